"""The answer type check: a supported span must have what its question asks for."""

from __future__ import annotations

import pytest

from ragchat.answer_type import fits_question
from ragchat.decide import decide
from ragchat.span import whole_phrase
from ragchat.types import Evidence


@pytest.mark.parametrize(
    ("question", "answer", "fits"),
    [
        ("How many stalls did the market have?", "the old market [1]", False),
        ("How many stalls did the market have?", "300 stalls [1]", True),
        ("How many stalls did the market have?", "three hundred [1]", True),
        # "one of" picks an item out, it is no count or duration
        ("How long did the siege last?", "one of the longest sieges of the war [1]", False),
        ("How long did the siege last?", "one year [1]", True),
        ("How many stalls did the market have?", "one [1]", True),
        ("How many people came?", "hundreds of people [1]", True),
        ("When was the abbey founded?", "the abbot Odo [1]", False),
        ("In what year was the abbey founded?", "1066 [1]", True),
        ("When was the abbey founded?", "after the war [1]", True),
        ("Who conceptualized the piston?", "the first successful engine [1]", False),
        ("Who conceptualized the piston?", "Denis Papin [1]", True),
        ("What was the piston made of?", "cast iron [1]", True),
        ("广茂铁路全长多少公里？", "广东省 [1]", False),
        ("广茂铁路全长多少公里？", "364公里 [1]", True),
        ("广茂铁路哪一年立项？", "1997年 [1]", True),
        ("广茂铁路由谁修建？", "广东省铁路建设投资集团 [1]", True),
        ("Why did OPEC raise the price of oil to $5.11?", "the posted price of oil [1]", False),
        ("Why did OPEC raise the price of oil?", "in response to American aid to Israel [1]", True),
        (
            "Why did OPEC raise the price of oil to $5.11?",
            "the posted price of oil by 70% [1]",
            False,
        ),
        ("Why was Merit formed?", "the Michigan Educational Research Information Triad [1]", False),
        ("Why did sales fall?", "demand fell sharply across every region [1]", True),
        ("Who founded Telnet?", "the first FCC-licensed public data network [1]", False),
        (  # a kind of thing known by its name: a description does not name it
            "What entity has taken the view that free trade is underpinned by the treaty?",
            "the general aims of the treaty [1]",
            False,
        ),
        (
            "What entity has taken the view that free trade is underpinned by the treaty?",
            "the Court of Justice [1]",
            True,
        ),
        ("Which country did the Normans conquer in 1066?", "England [1]", True),
        ("Who was Richard's fiancee?", "the person named by Richard [2]", False),  # nobody new
        ("Who was Richard's fiancee?", "Berengaria [2]", True),
        ("Who succeeded King Richard?", "King John [1]", True),
        ("What kind of engines do cars have?", "four cylinder engines [1]", True),
        ("Who founded Telnet?", "ARPA IPTO director Larry Roberts [1]", True),
        ("Why could the forces not take part?", "it had started before their arrival [1]", True),
        # only the question's own words: no answer
        ("Who married Edgar's sister Margaret?", "Edgar [1]", False),
        ("Who married Edgar's sister Margaret?", "King Malcolm III of Scotland [1]", True),
        ("Was the treaty signed in 911 or in 912?", "911 [1]", True),
        ("Name a luxury division of Toyota.", "luxury divisions [1]", False),  # a plural
        ("DEC had 3 layers but evolved into how many layers?", "three layers [1]", False),
        ("DEC had 3 layers but evolved into how many layers?", "seven layers [1]", True),
        ("Name a luxury division of Toyota.", "Acura [1]", True),
        ("What class is the analysis in?", "the class analyses [1]", False),  # another form
        ("广茂铁路由谁修建？", "广茂铁路 [1]", False),
    ],
)
def test_an_answer_must_have_the_type_its_question_asks_for(question, answer, fits):
    from ragchat.answer_type import fits_question
    from ragchat.text import detect_lang

    assert fits_question(answer, question, detect_lang(question)) is fits


def test_a_supported_answer_of_the_wrong_type_gives_way_to_the_quote():
    evidence = [
        Evidence(
            1,
            "Denis Papin conceptualized the piston for the first successful engine.",
            "c:0",
            "a.pdf",
            1,
            (),
            0.8,
        )
    ]
    asked = "Who conceived the piston?"  # not the sentence's verb: no doer to name (ragchat.doer)
    d = decide("the first successful engine [1]", asked, evidence, "en")
    assert d.fallback and "Denis Papin" in d.text
    d = decide("Denis Papin [1]", asked, evidence, "en")
    assert not d.fallback and d.text.startswith("Denis Papin")


def _one(text: str) -> list[Evidence]:
    return [Evidence(1, text, "c:0", "a.pdf", 1, (), 0.8)]


@pytest.mark.parametrize(
    ("answer", "sentence", "shown"),
    [
        (  # a list ends where a phrase about all its items starts (the bundled Normans sample)
            "Richard de Camville [1]",
            "Before his departure, he named two of his Norman generals, Richard de Camville and"
            " Robert de Thornham, as governors of Cyprus.",
            "Richard de Camville and Robert de Thornham [1]",
        ),
        (  # the first item of a list: the whole list
            "the courts of member states [1]",
            "European Union law is applied by the courts of member states and the Court of"
            " Justice of the European Union.",
            "the courts of member states and the Court of Justice of the European Union [1]",
        ),
        (
            "primary law [1]",
            "The three sources are primary law, secondary law and supplementary law.",
            "primary law, secondary law and supplementary law [1]",
        ),
        # a new clause after "and", a double object, a number: left alone
        ("Scotland [1]", "William invaded Scotland and the king fled north.", "Scotland [1]"),
        (
            "Rollo [1]",
            "The treaty offered Rollo and his men the French lands between the Epte and the sea.",
            "Rollo [1]",
        ),
        ("1072 [1]", "William invaded Scotland in 1072 and 1073.", "1072 [1]"),
        (  # a number that opens a dash range: the range
            "1763 [1]",
            "The next step occurred when James Watt developed (1763–1775) an improved engine.",
            "1763–1775 [1]",
        ),
        (  # after a name, "and" + an adjective is a second predicate, not another item
            "Pusey Library [1]",
            "The oldest maps are stored in Pusey Library and open to the public.",
            "Pusey Library [1]",
        ),
        ("Paris [1]", "He lived in Paris, Lyon and the Alps.", "Paris, Lyon and the Alps [1]"),
        (  # a number in words is a number too: "and its President" starts the next clause
            "six months [1]",
            "It meets each six months and its President (currently Donald Tusk) chairs it.",
            "six months [1]",
        ),
        (  # numbered items under a plural heading: all of them, whatever the model's number
            "Article 106 [1]",
            "Articles 106 and 107 provide that member states may deliver public services.",
            "Articles 106 and 107 [1]",
        ),
        ("Sections 3 [1]", "See Sections 3, 4 and 7.2 for details.", "Sections 3, 4 and 7.2 [1]"),
        (  # a close copy is shown in the sentence's own words; another number is not
            "the legislative body [1]",
            "The Parliament is the Legislative Body of the Union.",
            "the Legislative Body [1]",
        ),
        ("in 1651 [1]", "The charter was granted in 1650.", "in 1651 [1]"),
        (  # a space matched before the copy is no part of it
            "the former Poland Prime Minister [1]",
            "Its President (currently former Poland Prime Minister Donald Tusk) chairs it.",
            "former Poland Prime Minister [1]",
        ),
        (
            "the Anglo-Saxon tongue [1]",
            "They spoke the language of the Anglo-Saxons.",
            "the Anglo-Saxon tongue [1]",
        ),
        ("Article 106 [1]", "Article 106 and the Treaty apply.", "Article 106 [1]"),
        (  # a time the answer dates from keeps its "since"
            "the 1960s [1]",
            "The principle has been recognised by the Court since the 1960s.",
            "since the 1960s [1]",
        ),
        ("$12 [1]", "The price rose to nearly $12 a barrel.", "nearly $12 [1]"),  # a hedge
        ("1294 [1]", "It was built around 1294.", "around 1294 [1]"),
        ("the church [1]", "It was built around the church.", "the church [1]"),  # no amount
    ],
)
def test_a_first_list_item_is_widened_to_the_whole_list(answer, sentence, shown):
    assert whole_phrase(answer, _one(sentence), "en") == shown


@pytest.mark.parametrize(
    "answer",
    [
        # the sentence holds all but the subject, which a parenthesis separates from its verb:
        # placed, it would show "were the people who …" without saying who
        "The Normans were the people who in the 10th and 11th centuries gave their name to"
        " Normandy, a region in France. [1]",
    ],
)
def test_an_answer_is_not_placed_without_a_word_of_its_own(answer):
    sentence = (
        "The Normans (Norman: Nourmands; French: Normands; Latin: Normanni) were the people"
        " who in the 10th and 11th centuries gave their name to Normandy, a region in France."
    )
    assert whole_phrase(answer, _one(sentence), "en") == answer


def test_the_shown_chinese_answer_holds_the_unit():
    d = decide("650 [1]", "波斯黇鹿现存多少头？", _one("现存650头，栖息在伊朗。"), "zh")
    assert not d.fallback and not d.refused
    assert d.text == "650头 [1]"


def test_the_shown_answer_holds_the_whole_list():
    sentence = (
        "European Union law is applied by the courts of member states and the Court of Justice"
        " of the European Union."
    )
    d = decide(
        "the courts of member states [1]", "Which courts apply EU law?", _one(sentence), "en"
    )
    assert not d.fallback and not d.refused
    assert (
        d.text == "the courts of member states and the Court of Justice of the European Union [1]"
    )


@pytest.mark.parametrize(
    ("answer", "question", "fits"),
    [
        ("2012年 [1]", "隐面龙属被发现的地点在哪里?", False),  # a date for a place
        ("1981年（昭和56年） [1]", "《停止！！云雀》在哪个杂志上连载？", False),  # for a thing
        ("2012年10月18日起 [1]", "2012年10月18日，珠江台为什么被勒令停播？", False),  # a reason
        ("尼日 [1]", "隐面龙属被发现的地点在哪里?", True),
        ("1959年 [1]", "这个词在什么年代出现？", True),  # the question asks a time
        ("清朝 [1]", "吴音是在哪朝传入日本的？", True),
        ("1753年 [1]", "这个庙建于哪一年？", True),
        ("112.7公里 [1]", "龙烟铁路是哪条铁路的重要组成部分？", False),  # an amount for a thing
        ("170万平方公里 [1]", "华北陆块范围包含哪里？", False),
        ("3号线 [1]", "他坐哪条线？", True),
        ("2013年1月1日 [1]", "赵鹏和曾诚一起加盟了哪支球队？", False),  # a date for a team
        ("广州恒大 [1]", "赵鹏和曾诚一起加盟了哪支球队？", True),
        ("三茂铁路股份有限公司 [1]", "广茂铁路由哪家公司管理运营？", True),  # 三 in a name
        ("70.99平方公里 [1]", "涞滩镇的面积是多少平方公里？", True),  # an amount is asked
    ],
)
def test_a_bare_date_does_not_answer_a_chinese_question_for_a_place_or_reason(
    answer, question, fits
):
    assert fits_question(answer, question, "zh") is fits


@pytest.mark.parametrize(
    ("answer", "question", "fits"),
    [
        ("1635年 [1]", "袁彭年历仕几朝？", False),  # years, not dynasties
        ("三朝 [1]", "袁彭年历仕几朝？", True),
        ("92千米 [1]", "津蓟铁路长多少米？", True),  # the same measure
        ("3万 [1]", "这个镇有多少人？", True),  # no counted unit: not checked
        ("5元 [1]", "门票多少钱？", True),
        ("70.39亿元 [1]", "集双高速总长多少公里？", False),  # a unit of two characters
        ("97.829公里 [1]", "集双高速总长多少公里？", True),
        ("5000米 [1]", "全长多少公里？", True),
        ("第一汽车 [1]", "他买了几辆车？", True),  # 汽 of 一汽 counts nothing
        ("蒙 [1]", "索尼的父亲和叔父受谁重用过？", False),  # one character names nobody
        ("努尔哈赤 [1]", "索尼的父亲和叔父受谁重用过？", True),
        ("蒙 [1]", "这种文字叫什么？", True),  # only "who" needs a name
        # the question said back with a pronoun for the answer (gold: 慕容垂)
        ("前秦对前燕发动灭国战争就是他主导的 [1]", "前秦对前燕发动的灭国战争是谁主导的？", False),
        ("慕容垂 [1]", "前秦对前燕发动的灭国战争是谁主导的？", True),
        ("1994年 [1]", "鑫诺卫星通信有限公司哪年成立？", True),
        ("红色 [1]", "国旗是红色还是蓝色？", True),  # a choice: the answer is in the question
    ],
)
def test_a_chinese_answer_counts_what_is_asked_and_a_person_is_named(answer, question, fits):
    assert fits_question(answer, question, "zh") is fits


@pytest.mark.parametrize(
    ("answer", "question", "fits"),
    [
        ("广州地铁五号线的车站 [1]", "大沙地站在哪里？", False),  # what it is, not where
        ("香港主要明渠之一 [1]", "观塘明渠位于哪里？", False),
        ("香港最著名天后庙 [1]", "佛堂门天后古庙在哪里？", False),
        ("黄埔区大沙地西路港湾路口西侧的地底 [1]", "大沙地站在哪里？", True),
        ("美国得克萨斯州的一处公园 [1]", "威克水槽在哪里？", True),
        ("广州东站 [1]", "这趟车的终点站是哪个站？", True),  # only "X在哪里" is checked
    ],
)
def test_a_chinese_where_answer_says_where_not_what_the_place_is(answer, question, fits):
    assert fits_question(answer, question, "zh") is fits


@pytest.mark.parametrize(
    ("answer", "question", "sentence", "shown"),
    [
        (
            "3600 [1]",
            "In the United States, what is a usual turbine speed with 60 Hertz of power?",
            "Typical speeds are 3600 revolutions per minute (RPM) in the USA with 60 Hertz power.",
            "3600 revolutions per minute [1]",
        ),
        (
            "£200,000 [1]",  # a close copy, placed first
            "How much capital did Danish law require to start a company?",
            "UK law required £1 of capital, Denmark 200,000 Danish krone (around €27,000).",
            "200,000 Danish krone [1]",
        ),
        (
            "30 [1]",
            "What is the approximate condenser temperature?",
            "The condenser is kept at about 30 °C to keep the pressure low.",
            "about 30 °C [1]",  # with its hedge
        ),
        (  # the question names the unit: the number alone answers it
            "1,000 [1]",
            "How many people were killed?",
            "About 1,000 people were killed in the raid.",
            "About 1,000 [1]",
        ),
        (  # a year is not a quantity
            "1805 [1]",
            "In what year was Henry Ware elected?",
            "In 1805 Henry Ware was elected to the chair.",
            "1805 [1]",
        ),
        (  # a verb or a function word after the number: nothing to add
            "12 [1]",
            "What was the price of oil?",
            "The price had risen to 12 globally by March.",
            "12 [1]",
        ),
    ],
)
def test_an_english_number_is_shown_with_its_unit(answer, question, sentence, shown):
    assert whole_phrase(answer, _one(sentence), "en", question) == shown


def test_an_answer_cited_to_a_weaker_sentence_is_widened_along_the_best_one():
    question = "What is a usual turbine speed in the United States?"
    evidence = [
        Evidence(
            1,
            "Typical speeds are 3600 revolutions per minute in the USA.",
            "c:0",
            "a.pdf",
            1,
            (),
            0.8,
        ),
        Evidence(2, "A speed of 3600 is common.", "c:1", "a.pdf", 2, (), 0.5),
    ]
    d = decide("3600 [2]", question, evidence, "en")
    assert (d.text, d.cited, d.fallback) == ("3600 revolutions per minute [1]", (1,), False)


_FRAME = "该线营运初期是为开发茂名的石油工业服务，性质属工业支线。"


@pytest.mark.parametrize(
    ("answer", "question", "shown"),
    [
        (
            "开发茂名的石油工业服务 [1]",
            "该线营运初期是为什么服务的？",
            "为开发茂名的石油工业服务 [1]",
        ),
        ("开发茂名的石油工业 [1]", "该线营运初期是为什么服务的？", "为开发茂名的石油工业服务 [1]"),
        ("开发茂名的石油工业 [1]", "该线为什么修建？", "开发茂名的石油工业 [1]"),  # no frame asked
    ],
)
def test_a_chinese_purpose_is_shown_with_its_frame(answer, question, shown):
    assert whole_phrase(answer, _one(_FRAME), "zh", question) == shown


@pytest.mark.parametrize(
    ("answer", "question", "sentence", "shown"),
    [
        (
            "500万 [1]",
            "年创利税近多少元？",
            "该厂年创利税近500万元。",
            "500万元 [1]",
        ),  # asks past 近
        ("500万 [1]", "年创利税多少？", "该厂年创利税近500万元。", "近500万元 [1]"),
        ("2017年 [1]", "于哪一年12月19日18时开通？", "于2017年12月19日18时开通。", "2017年 [1]"),
        ("2017年 [1]", "于哪一天开通？", "于2017年12月19日开通。", "2017年12月19日 [1]"),
        ("1.7万 [1]", "面积有多少平方米？", "面积1.7万平方米。", "1.7万平方米 [1]"),  # a unit stays
    ],
)
def test_a_chinese_answer_is_not_widened_with_what_the_question_says(
    answer, question, sentence, shown
):
    assert whole_phrase(answer, _one(sentence), "zh", question) == shown


def test_a_name_swapped_for_another_of_the_sentence_is_shown_as_the_sentence_says():
    # the bundled Normans sample: "Which archbishop of Canterbury did Edward appoint?"
    sentence = (
        "He appointed Robert of Jumièges archbishop of Canterbury and made Ralph the Timid earl"
        " of Hereford."
    )
    q = "Which archbishop of Canterbury did Edward appoint?"
    shown = whole_phrase("Ralph of Jumièges archbishop of Canterbury [1]", _one(sentence), "en", q)
    assert shown == "Robert of Jumièges archbishop of Canterbury [1]"
    assert whole_phrase("Ralph the Timid [1]", _one(sentence), "en", q) == "Ralph the Timid [1]"

"""A quote must hold the kind of thing the question asks for (a time, an amount), and a
follow-up is typed by its own words, not by the question it was joined to."""

from __future__ import annotations

from dataclasses import replace

from ragchat.answer_type import states_what_is_asked
from ragchat.decide import decide
from ragchat.quotable import quotes_what_is_asked
from ragchat.rewrite import asked_part, rewrite_followup
from ragchat.types import Evidence


def ev(*texts: str, score: float = 0.8) -> list[Evidence]:
    return [
        Evidence(i + 1, t, f"c:{i}", "a.pdf", 1, (), score - 0.05 * i) for i, t in enumerate(texts)
    ]


LISBON = ev(
    "Instead, the Lisbon Treaty was enacted.",
    "The 2007 Lisbon Treaty explicitly recognised fundamental rights.",
)


def test_a_when_question_quotes_the_sentence_that_holds_a_time():
    d = decide("", "When was the Lisbon Treaty established?", LISBON, "en")
    assert d.fallback and d.cited == (2,) and "2007" in d.text


def test_a_time_far_down_the_evidence_is_another_event_s_so_it_is_not_quoted():
    far = ev("Rollo swore fealty to King Charles III.", "In 1066, William conquered England.")
    far = [far[0], Evidence(2, far[1].text, "c:1", "a.pdf", 1, (), 0.6)]  # 0.2 below the best
    assert decide("", "When did Rollo swear fealty?", far, "en").refused


def test_no_sentence_with_a_time_is_a_refusal_not_a_quote_that_cannot_say_when():
    untimed = ev("Rollo's contingents included Danes and Norwegians.", "Rollo was a Viking ruler.")
    assert decide("Danes", "When did Rollo die?", untimed, "en").refused
    assert decide("", "How many ships did Rollo have?", untimed, "en").refused
    # other questions still get the best sentence
    d = decide("", "Who was Rollo?", untimed, "en")
    assert d.fallback and d.cited == (1,)


def test_a_chinese_question_asking_an_amount_quotes_a_sentence_with_a_number():
    zh = ev("广茂铁路由广东省管理运营。", "广茂铁路全长364.6公里。")
    d = decide("", "广茂铁路全长多少公里？", zh, "zh")
    assert d.cited == (2,) and "364.6" in d.text
    assert states_what_is_asked("该音由僧人带入。", "该音什么时候传入？", "zh") is False
    assert states_what_is_asked("即江户时代（明清）传入的汉字音。", "什么时候传入日本的？", "zh")


def test_a_quote_says_when_by_itself_not_only_before_or_after_something():
    # the bundled Normans sample, asked "When did he die?" after "Who was Rollo?"
    before = ev(
        "Rollo's contingents included Danes and Norwegians.",
        "Before Rollo's arrival, its populations did not differ from Picardy.",
    )
    assert decide("Rollo died in 1856.", "When did Rollo die?", before, "en").refused
    assert not quotes_what_is_asked(before[1].text, "When did Rollo die?", "en")
    # a short answer may still be relative ("after the war"); a quote with a date is kept
    assert states_what_is_asked(before[1].text, "When did Rollo die?", "en")
    assert quotes_what_is_asked("Rollo died before 933.", "When did Rollo die?", "en")
    assert quotes_what_is_asked("It ended in the reign of Henry I.", "When did it end?", "en")


def test_a_percentage_is_quoted_from_a_sentence_holding_one():
    rows = ev(
        "Gross margin; Three Months Ended June 25, 2022: 35,885",
        "Total gross margin percentage; Three Months Ended June 25, 2022: 43.3%",
    )
    d = decide("", "What was the gross margin percentage?", rows, "en")
    assert d.cited == (2,) and "43.3%" in d.text
    assert decide("", "What was the gross margin?", rows, "en").cited == (1,)
    assert quotes_what_is_asked(
        "Prices rose two per cent.", "By what percent did prices rise?", "en"
    )
    assert not quotes_what_is_asked("Prices rose.", "What percentage did prices rise?", "en")
    # the bundled 10-Q quoted "Products gross margin percentage increased …" for "What was
    # Apple's gross margin percentage in the third quarter of 2022?": the word is no share
    said = "Products gross margin percentage decreased during the third quarter of 2022."
    assert not quotes_what_is_asked(said, "What was the gross margin percentage?", "en")
    assert quotes_what_is_asked("About half of it was sold.", "What percent was sold?", "en")
    # a percentage the question gives does not make it ask for one
    assert quotes_what_is_asked("In the 1990s.", "In what decade was 90% made so?", "en")


def test_what_was_an_amount_is_quoted_from_a_sentence_holding_a_figure_not_only_dates():
    letter = ev(
        "We are aware that our report dated April 25, 2023, on Microsoft's Quarterly Report on "
        "Form 10-Q for the quarter ended March 31, 2023, is incorporated by reference.",
        "Total revenue; Three Months Ended March 31, 2023: $52,857",
    )
    letter = [replace(e, heading_path=("Microsoft Corporation",)) for e in letter]
    q = "What was Microsoft's revenue for the quarter ended March 31, 2023?"
    d = decide("", q, letter, "en")
    assert d.cited == (2,) and "52,857" in d.text
    assert decide("", q, letter[:1], "en").refused
    # a figure or a number in words counts; a reason, a trend or a name is no amount
    assert quotes_what_is_asked(
        "Its population was six thousand.", "What was its population?", "en"
    )
    trend = "What was the trend of the female student population?"
    assert quotes_what_is_asked("The share of women steadily increased.", trend, "en")
    # "How much …?" asks an amount as surely (the samples quoted a MacBook launch for cash)
    launch = "At the end of the third quarter of 2022, the Company introduced an all-new MacBook."
    q = "How much cash did Apple have at the end of the quarter?"
    assert not quotes_what_is_asked(launch, q, "en")
    assert quotes_what_is_asked("Cash, ending balances; June 25, 2022: $27,502", q, "en")
    assert quotes_what_is_asked("He was allowed to claim 6 million Lira.", "How much money?", "en")
    # and names what is measured: "steam", not a medal's citation with "no one" in it
    medal = "When Corliss was given the medal, no one invention had so enhanced efficiency."
    assert not quotes_what_is_asked(medal, "How much less steam did the engine use?", "en")
    assert quotes_what_is_asked("It used 30% less steam.", "How much less steam did it use?", "en")


def test_a_follow_up_is_typed_by_its_own_question():
    joined = rewrite_followup("When did he die?", [("Who did Rollo lead?", "Vikings")])
    assert joined != "When did he die?" and asked_part(joined) == "When did he die?"
    named = ev("Rollo was a Viking ruler who led the Norse raiders.")
    # "Who did Rollo lead" alone would take this quote; the follow-up asks when: no time in it
    assert decide("", joined, named, "en").refused
    # after "Who was Rollo?" the follow-up is asked of him: a question of its own
    own = rewrite_followup("When did he die?", [("Who was Rollo?", "a Viking ruler")])
    assert own == "When did Rollo die?" and decide("", own, named, "en").refused
    assert asked_part("What is A — B?") == "What is A — B?"  # a dash in a standalone question
    assert asked_part("罗洛是谁？ 他哪一年去世？") == "他哪一年去世？"


def test_who_is_a_named_subject_asks_for_a_description_not_another_name():
    from ragchat.answer_type import fits_question

    assert not fits_question("Danes [1]", "Who was Rollo?", "en")  # the bundled Normans sample
    assert fits_question("a Viking ruler [1]", "Who was Rollo?", "en")
    assert fits_question("the famed Viking ruler Rollo", "Who was Rollo?", "en")
    # a question that names a role or a relation still asks for a name
    assert fits_question("Conrad of Montferrat", "Who was Guy's rival?", "en")
    assert fits_question("William", "Who was the duke of Normandy?", "en")
    # so the draft gives way to the quote of the best sentence
    about = ev("Rollo's contingents included Danes, Norwegians and Swedes.")
    d = decide("Danes [1]", "Who was Rollo?", about, "en")
    assert d.fallback and d.text.startswith("The document says")


def test_a_heading_is_not_quoted_as_an_answer():
    # the bundled 10-Q, asked "List the products Apple sells.": "sells" matched a heading
    lines = ev(
        "Selling, General and Administrative",
        "The Company designs, manufactures and markets smartphones, personal computers, tablets "
        "and wearables.",
    )
    lines = [replace(e, heading_path=("Apple Inc.",)) for e in lines]
    d = decide("", "List the products Apple sells.", lines, "en")
    assert d.fallback and d.cited == (2,)
    assert decide("", "List the products Apple sells.", lines[:1], "en").refused


def test_a_quote_for_the_x_of_y_names_the_x():
    # the bundled samples: "What is the capital of France?" quoted a sentence about Normandy
    fief = "The Duchy of Normandy was a great fief of medieval France."
    assert decide("", "What is the capital of France?", ev(fief), "en").refused
    assert not quotes_what_is_asked(fief, "What is the capital of France?", "en")
    signed = ev(
        "A signed original of this statement has been provided to Apple Inc.",
        "By: /s/ Timothy D. Cook Timothy D. Cook Chief Executive Officer",
    )
    signed = [replace(e, heading_path=("Apple Inc.",)) for e in signed]
    d = decide("", "Who is the CEO of Apple?", signed, "en")
    assert d.cited == (2,) and "Timothy D. Cook" in d.text  # initials name the CEO
    # a word starting as the thing asked names it; a measure or a name is said without naming
    assert quotes_what_is_asked(
        "Newcomen invented it in 1712.", "Who was the inventor of the engine?", "en"
    )
    assert quotes_what_is_asked(
        "A bushel weighs 94 pounds.", "What is the weight of a bushel?", "en"
    )
    assert quotes_what_is_asked("It was called Neustria.", "What was the name of the region?", "en")


def test_a_chinese_who_question_is_quoted_from_a_sentence_naming_the_role():
    # the bundled samples: "谁是中国的国家主席？" quoted a footballer's first cap for 国家队
    cap = "2010年6月4日，白磊在中国国家队1比0击败法国的世界杯热身赛中首次代表成年国家队出场。"
    assert decide("", "谁是中国的国家主席？", ev(cap), "zh").refused
    assert not quotes_what_is_asked(cap, "中国的国家主席是谁？", "zh")
    chair = "楼曾瑞是前香港英文中学联会主席。"  # a chairman, not of the state
    assert not quotes_what_is_asked(chair, "谁是中国的国家主席？", "zh")
    # a longer word shares two characters: "主场" says no "主教练"
    away = "2011年张世昌在作客深圳队（实是在当时的临时主场惠州）的赛事中出彩。"
    assert not quotes_what_is_asked(away, "谁是深圳队的主教练？", "zh")
    assert quotes_what_is_asked("深圳队主教练特鲁西埃。", "谁是深圳队的主教练？", "zh")
    # a word of the role said in another word ("导演": "执导"); a role ending in 的 asks none
    film = "《林投姐》是一部1979年的台湾电影，由丁善玺执导。"
    assert quotes_what_is_asked(film, "林投姐的导演是谁？", "zh")
    assert quotes_what_is_asked("庙内供奉天后妈祖。", "佛堂门天后古庙主要供奉的是谁？", "zh")
    # adverbs and numbers name no role: "两位候选人分别" asks for 候选人
    two = "伊万诺夫和弗尔奇科夫斯基均领先于其余5位候选人。"
    assert quotes_what_is_asked(two, "领先的两位候选人分别是谁？", "zh")


def test_no_or_few_is_no_amount_for_what_was_the_population():
    # the bundled Normans sample quoted this for "What is the population of Normandy?"
    settlers = "Where the population remained about the same with almost no foreign settlers."
    assert not quotes_what_is_asked(settlers, "What is the population of Normandy?", "en")
    assert quotes_what_is_asked("It had six thousand people.", "What is its population?", "en")
    assert quotes_what_is_asked("Half of them stayed.", "What was the population?", "en")


def test_a_quote_for_where_names_a_place():
    signed = (
        "A signed original of this written statement required by Section 906 has been provided"
        " to Apple Inc. and will be retained by Apple Inc. and furnished to the Securities and"
        " Exchange Commission or its staff upon request."
    )
    q = "Where is Apple headquartered?"
    assert not quotes_what_is_asked(signed, q, "en")
    assert decide("", q, ev(signed), "en").refused
    for placed in (
        "Apple's principal executive offices are in Cupertino, California.",  # in + a name
        "Watt's partner Boulton saw one at a flour mill.",  # at + anything
        "Huguenots concentrated mainly in the southern and central parts of France.",
        "Harvard Stadium is located on a 358-acre campus.",  # a verb of being somewhere
        "Dyrrachium was one of the most important naval bases of the Adriatic.",  # a place word
    ):
        assert quotes_what_is_asked(placed, "Where was it?", "en"), placed
    assert quotes_what_is_asked(signed, "Who signed it?", "en")  # only "where" asks a place


def test_a_quote_for_how_many_names_the_things_counted():
    row = "iPhone (1); Three Months Ended June 25, 2022: $40,665; Nine Months Ended: $162,863"
    q = "How many employees does Apple have?"
    assert not quotes_what_is_asked(row, q, "en")
    assert decide("1", q, ev(row), "en").refused
    toulouse = "Nearly 3,000 Protestants were slaughtered in Toulouse alone."
    assert not quotes_what_is_asked(toulouse, "How many people were slaughtered?", "en")
    # the things named as the question names them, or not to be looked for
    for question, sentence in (
        ("How many total judges are there?", "There is one judge from each member state."),
        ("How many Huguenots were killed in Toulouse?", toulouse),  # a name: said otherwise
        ("How many types of networks were there?", "There were two kinds of X.25 networks."),
        ("How many died at Hastings?", "Some 4,000 men fell at Hastings."),  # a verb
    ):
        assert quotes_what_is_asked(sentence, question, "en"), question


def _tenq(n: int, text: str, score: float) -> Evidence:
    """Evidence from the bundled 10-Q's page 18."""
    return Evidence(n, text, f"c:{n}", "apple-10q.pdf", 18, (), score)


IPAD_PROSE = "iPad net sales decreased during the third quarter of 2022."
IPAD_ROW = "Net sales by category – iPad (1); Three Months Ended June 25, 2022: 7,224"


def test_a_row_the_question_names_by_its_label_is_quoted_though_prose_scores_higher():
    # the bundled 10-Q: two sentences about iPad net sales outscore the row that holds them
    ipad = [
        _tenq(1, IPAD_PROSE, 0.96),
        _tenq(2, "iPhone net sales increased during the third quarter of 2022.", 0.82),
        _tenq(3, f"{IPAD_ROW}; Three Months Ended June 26, 2021: 7,368", 0.81),
    ]
    d = decide("", "What were Apple iPad net sales in the third quarter of 2022?", ipad, "en")
    assert d.cited == (3,) and "7,224" in d.text
    # a row that is not named by its label stays bound by the margin
    other = [ipad[0], replace(ipad[2], text=ipad[2].text.replace("iPad (1)", "Mac (1)"))]
    assert decide(
        "", "What were Apple iPad net sales in the third quarter of 2022?", other, "en"
    ).refused


def test_a_period_is_no_amount():
    asked = "What were Wearables net sales in the third quarter of 2022?"
    nine = "Wearables net sales increased during the first nine months of 2022 due to AirPods."
    assert not quotes_what_is_asked(nine, asked, "en")
    assert quotes_what_is_asked(
        "Wearables net sales were $8.1 billion in the quarter.", asked, "en"
    )


def test_a_forms_captions_are_no_quote():
    # the bundled 10-Q's cover page, asked "Where is Apple's principal executive office?"
    captions = "(Address of principal executive offices) (Zip Code)"
    assert not quotes_what_is_asked(captions, "Where is Apple's principal executive office?", "en")
    assert quotes_what_is_asked(
        "One Apple Park Way, Cupertino, California (Address of principal executive offices)",
        "Where is Apple's principal executive office?",
        "en",
    )


def test_a_drafted_answer_to_an_amount_question_holds_a_figure():
    ipad = [_tenq(1, IPAD_PROSE, 0.96), _tenq(2, IPAD_ROW, 0.81)]
    q = "What were Apple iPad net sales in the third quarter of 2022?"
    d = decide("iPad net sales decreased during the third quarter of 2022. [1]", q, ipad, "en")
    assert d.fallback and "7,224" in d.text  # the copied prose gives way to the row
    assert decide("7,224 [1]", q, [replace(ipad[1], n=1, score=0.96)], "en").text == "7,224 [1]"

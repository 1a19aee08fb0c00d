"""Self-QA question rules (finetune.questions, finetune.english): answers copied from the text,
grammatical questions, fragments and cut answers rejected, Chinese questions in Chinese."""

import random

import pytest

from finetune.questions import COPY_THRESHOLD, copy_overlap, questions_for

FACTS = (
    "The Normans were in Normandy in the 10th and 11th centuries. Rollo was a Viking leader. "
    "The treaty was signed in 911 by Charles the Simple. The duchy had 300,000 people. "
    "William the Conqueror was a duke of Normandy. The abbey was founded in 1066. "
)


def test_questions_have_answers_copied_from_the_chunk():
    qas = questions_for(FACTS, random.Random(0), limit=5)
    assert len(qas) >= 4
    for qa in qas:
        assert qa.answer in FACTS and qa.question.endswith("?")
        assert qa.answer.lower() not in qa.question.lower()
        assert qa.sentence and qa.answer in qa.sentence
    assert len({qa.kind for qa in qas}) >= 3, "several kinds of question"


def test_questions_keep_the_clause_that_holds_the_answer_not_the_sentence():
    sentence = (
        "After a long campaign across the northern provinces, the old stone tower of Rouen was"
        " completed in 1189, and the city council moved into it soon afterwards."
    )
    (qa,) = questions_for(sentence, random.Random(0), limit=1)
    assert qa.answer == "1189"
    assert qa.question.startswith("In what year was"), qa.question
    assert copy_overlap(qa.question, sentence) < COPY_THRESHOLD
    assert copy_overlap(sentence.replace("1189", "what year") + "?", sentence) > COPY_THRESHOLD


@pytest.mark.parametrize(
    "sentence",
    [
        "While Eliot was the most crucial figure in the secularization of education, he was"
        " motivated by Transcendentalism.",
        "Where the Harvard Library is centered in 1905 in Harvard Yard and Widener Library.",
        "The European Commission says 49 says that article applies.",
        "In some cases the heat source is a nuclear reactor.",
    ],
)
def test_fragments_are_no_questions(sentence):
    """A subordinate clause is no definition, a question never ends mid-phrase ("... and?"),
    and "49 says" is no amount."""
    for qa in questions_for(sentence, random.Random(0), limit=5):
        assert not qa.question.lower().startswith(("what was while", "what is in some"))
        assert qa.question.rstrip("?").split()[-1].lower() not in {"and", "the", "of", "in"}
        assert qa.answer != "49 says"


def test_dates_and_names_give_when_and_what_questions():
    qas = questions_for(
        "The treaty of the two kingdoms was signed on October 16, 1973 in the old castle. "
        "The northern province is known as Vestland.",
        random.Random(0),
        limit=5,
    )
    by_answer = {qa.answer: qa.question for qa in qas}
    assert by_answer.get("October 16, 1973", "").startswith("When ")
    assert by_answer.get("Vestland") == "What is the northern province known as?"


@pytest.mark.parametrize(
    ("sentence", "question", "answer"),
    [
        (  # no auxiliary: "did" + the verb's base form, not "In what year William invaded"
            "William invaded Scotland in 1072 with a small army, and the king fled north.",
            "In what year did William invade Scotland with a small army?",
            "1072",
        ),
        (  # a person's name that opens the sentence
            "Denis Papin conceptualized the piston in 1690, and the idea was ignored.",
            "Who conceptualized the piston in 1690?",
            "Denis Papin",
        ),
        (  # the object of a past-tense verb
            "The Edict reaffirmed Catholicism as the state religion of France, and churches closed.",
            "What did the Edict reaffirm as the state religion of France?",
            "Catholicism",
        ),
        (  # the object of a present-tense verb: "does"
            "Harvard Yard contains the central administrative offices of the university.",
            "What does Harvard Yard contain?",
            "the central administrative offices of the university",
        ),
        (  # the object of a later clause with its own subject
            "The league banned cartels, and the Court rejected the German arguments.",
            "What did the Court reject?",
            "the German arguments",
        ),
        (  # the named subject of a passive clause
            "The French Protestant Church of London was established by Royal Charter in 1550.",
            "What was established by Royal Charter in 1550?",
            "The French Protestant Church of London",
        ),
        (  # ... and a person's name: "Who"
            "Henry Ware was elected to the chair in 1805, and the liberal Samuel Webber followed.",
            "Who was elected to the chair in 1805?",
            "Henry Ware",
        ),
        (  # the unit moves into the question
            "The strong men would often walk three miles on Saturday evening.",
            "How many miles would the strong men often walk on Saturday evening?",
            "three miles",
        ),
        (  # an amount that opens its clause is asked about as the subject
            "20% of American gasoline stations had no fuel in the last week of February.",
            "What percentage of American gasoline stations had no fuel in the last week of"
            " February?",
            "20%",
        ),
        (  # a year that opens the sentence: the clause after it is the question
            "In 1066, Duke William II of Normandy conquered England at the Battle of Hastings.",
            "In what year did Duke William II of Normandy conquer England at the Battle of"
            " Hastings?",
            "1066",
        ),
        (  # a decade or a century: "When"
            "In the 1060s, Robert Crispin led the Normans of Edessa against the Turks.",
            "When did Robert Crispin lead the Normans of Edessa against the Turks?",
            "the 1060s",
        ),
        (  # a common-noun subject with a defining verb
            "A computational problem is understood to be a task that is solved by a computer.",
            "What is a computational problem understood to be?",
            "a task that is solved by a computer",
        ),
        (  # ... after a discourse marker, with "referred to as"
            "For example, the input string for a problem is referred to as a problem instance.",
            "What is the input string for a problem referred to as?",
            "a problem instance",
        ),
        (  # a list after "are"
            "The three sources of European Union law are primary law, secondary law and"
            " supplementary law.",
            "What are the three sources of European Union law?",
            "primary law, secondary law and supplementary law",
        ),
        (  # "include": the first verb of the sentence, not a later "are"
            "Secondary sources include regulations and directives which are based on the Treaties.",
            "What do secondary sources include?",
            "regulations and directives which are based on the Treaties",
        ),
        (  # a title before a name keeps its capital ("King", not "king")
            "King Malcolm III of Scotland built a church in 1070.",
            "In what year did King Malcolm III of Scotland build a church?",
            "1070",
        ),
    ],
)
def test_english_questions_are_grammatical(sentence, question, answer):
    by_answer = {qa.answer: qa.question for qa in questions_for(sentence, random.Random(0), 5)}
    assert by_answer.get(answer) == question, by_answer


@pytest.mark.parametrize(
    ("sentence", "not_an_answer"),
    [
        ("The price of oil had risen from US$3 per barrel to nearly $12 globally.", "$3"),
        ("Another 4,000 Huguenots settled in the German territories of Baden.", "the German"),
        ("Typical speeds are 3600 revolutions per minute in the USA.", "3600 revolutions"),
        ("Harvard College accepted 5.3% of applicants for the class of 2019.", "5.3%"),
        (
            "AUSTPAC was an Australian public X.25 network operated by Telstra.",
            "an Australian public X",
        ),
        ("Harvard's alumni include eight U.S. presidents and many others.", "eight U"),
    ],
)
def test_answers_cut_out_of_a_phrase_make_no_question(sentence, not_an_answer):
    """No "$3" from "US$3", no place "the German" from "the German territories", and no
    question "... accepted of applicants"."""
    qas = questions_for(sentence, random.Random(0), 5)
    assert not_an_answer not in {qa.answer for qa in qas}, qas


def test_chinese_questions_in_chinese():
    text = "广茂铁路于1997年11月批复立项，全长364公里，由广东省铁路建设投资集团主持修建。"
    qas = questions_for(text, random.Random(0), limit=3)
    assert qas and all(qa.question.endswith("？") for qa in qas)
    assert all(qa.answer in text and qa.answer not in qa.question for qa in qas)


@pytest.mark.parametrize(
    "sentence",
    [
        "Steam acts upon these blades, producing rotary motion.",  # no object: "upon ..."
        "Routing a packet requires the node to look up the connection id.",  # not the object
        "Harvard operates several arts, cultural, and scientific museums.",  # a list cut short
        "The treaty offered Rollo and his men the French lands.",  # a coordinated object
        "Most Norman knights remained poor for a generation.",  # a linking verb
        "Harvard College reduced the number of students who receive Latin honors.",
        "Having obtained the consent of the pope, Robert continued his campaign.",
    ],
)
def test_no_what_question_from_a_partial_object(sentence):
    """The "What did/does X <verb>?" rule asks only for a whole object: not a preposition's
    phrase, the first item of a list or of "X and Y", or a noun a relative clause continues."""
    asked = [qa for qa in questions_for(sentence, random.Random(0), 5) if qa.kind == "object"]
    assert asked == [], asked


@pytest.mark.parametrize(
    ("sentence", "not_an_answer"),
    [
        ("Steam was used in the mines of Cornwall for pumping.", "Steam"),  # not a name
        ("ARPANET and SITA HLN became operational in 1969.", "SITA HLN"),  # half the subject
        ("Harvard was formed in 1636 by vote of the Great and General Court.", "Harvard"),
        (
            "Initially the Normans maintained a distinct culture and ethnicity.",
            "Initially the Normans",
        ),
    ],
)
def test_no_subject_question_from_a_partial_subject_or_a_common_word(sentence, not_an_answer):
    qas = questions_for(sentence, random.Random(0), 5)
    assert not_an_answer not in {qa.answer for qa in qas}, qas


STATEMENT = """|  | Three Months Ended March 31, 2022 | Three Months Ended March 31, 2023 |
|---|---|---|
| OPERATING ACTIVITIES: |  |  |
| Net income (loss) | (3,844) | 3,172 |
| Proceeds from long-term debt | — | 18,892 |
| Depreciation and amortization | 9,000 | 11,123 |
"""
SHIFTED = """| 2022 | 2023 |  |  |
|---|---|---|---|
| Total non-operating expense | (8,934) | (655) |  |
| Net income (loss) | $ | (3,844) | $ |
"""
SPLIT_CURRENCY = """|  | 2022 | 2023 |  |  |
|---|---|---|---|---|
| Net income (loss) | $ | (3,844) | $ | 3,172 |
| Basic earnings per share | $ | (0.38) | $ | 0.31 |
"""
SPECS = """| Model | Weight | Noise |
|---|---|---|
| X200 | 41 kg | 44 dB |
| X300 | 45 kg | 42 dB |
"""


def test_table_questions_name_the_row_by_its_label_and_the_column_by_its_header():
    qas = [qa for seed in range(6) for qa in questions_for(STATEMENT, random.Random(seed), 4)]
    assert qas
    for qa in qas:  # the first column's header is empty: the label is still the row's name
        assert (
            qa.question.startswith("What was ")
            and " for Three Months Ended March 31, 202" in qa.question
        )
        label = qa.question[len("What was ") : qa.question.index(" for ")]
        assert label in (
            "Net income (loss)",
            "Proceeds from long-term debt",
            "Depreciation and amortization",
        )
        assert qa.answer not in ("—", "$", "") and qa.answer in qa.sentence
        column = qa.question[qa.question.index(" for ") + 5 : -1]
        assert f"{column}: {qa.answer}" in qa.sentence  # the value stands under that header
    specs = questions_for(SPECS, random.Random(0), 4)
    assert {qa.question for qa in specs} <= {
        "What is the Weight of X200?",
        "What is the Noise of X200?",
        "What is the Weight of X300?",
        "What is the Noise of X300?",
    } and specs


def test_split_currency_cells_are_rejoined_and_a_shifted_header_asks_nothing():
    qas = {
        (qa.question, qa.answer)
        for seed in range(8)
        for qa in questions_for(SPLIT_CURRENCY, random.Random(seed), 4)
    }
    assert qas == {
        ("What was Net income (loss) for 2022?", "$(3,844)"),
        ("What was Net income (loss) for 2023?", "$3,172"),
        ("What was Basic earnings per share for 2022?", "$(0.38)"),
        ("What was Basic earnings per share for 2023?", "$0.31"),
    }
    # no currency cells to go by: a header opening with a year may sit over the labels
    for text in (SHIFTED.replace("$", "—"),):
        assert [qa for seed in range(6) for qa in questions_for(text, random.Random(seed), 4)] == []


def test_a_data_row_taken_for_the_header_names_no_column():
    text = """|  | 79,600 | Finance Leases |
|---|---|---|
| Long-term lease liabilities | 74,267 | 3,120 |
| Operating Leases | Finance Leases | 12 |
| Due within one year $ | 41,857 | 7 |
"""
    qas = [qa for seed in range(8) for qa in questions_for(text, random.Random(seed), 4)]
    assert {(qa.question, qa.answer) for qa in qas} == {
        ("What is the Finance Leases of Long-term lease liabilities?", "3,120"),
        ("What is the Finance Leases of Operating Leases?", "12"),
    }


def test_a_heading_line_is_not_read_into_the_next_sentence():
    text = (
        "Net sales were flat.\n\nSales and Marketing\n\nSales and marketing costs include "
        "advertising and payroll and related expenses for personnel engaged in marketing.\n\n"
        "The first commercial steam-powered device was\n\na water pump, developed in 1698."
    )
    qas = questions_for(text, random.Random(0), limit=6)
    questions = [qa.question for qa in qas]
    assert "What do sales and marketing costs include?" in questions
    assert not any("Marketing Sales" in q or "marketing Sales" in q for q in questions)
    # a sentence a column break cut (it goes on in lower case) is still one sentence
    assert any(qa.answer == "a water pump" for qa in qas)


def test_an_instruction_with_whether_is_no_definition():
    qas = questions_for(
        "Indicate by check mark whether the registrant is a large accelerated filer.",
        random.Random(0),
    )
    assert not any(qa.kind == "definition" for qa in qas)


def test_chinese_where_questions_name_the_sentence_s_topic():
    qas = questions_for(
        "海宁西站，是沪昆客运专线的一个车站，位于浙江省嘉兴市海宁市许村镇报国村沈士大道以西。",
        random.Random(0),
    )
    assert ("海宁西站位于哪里？", "浙江省嘉兴市海宁市许村镇报国村沈士大道以西") in {
        (qa.question, qa.answer) for qa in qas
    }
    for text in (
        "全线均位于吉林省内。",  # no named topic
        "大沙地站设有一个岛式月台，位于大沙地西路地底。",  # a clause, not a name
        "另外，车站位于余新镇。",
    ):
        assert not [qa for qa in questions_for(text, random.Random(0)) if qa.kind == "zh-place"]


def test_chinese_alias_questions_ask_what_the_topic_is_also_called():
    def asked(text: str) -> set[tuple[str, str]]:
        qas = questions_for(text, random.Random(0))
        return {(qa.question, qa.answer) for qa in qas if qa.kind == "zh-alias"}

    assert asked("勉语，又称瑶语，是苗瑶语系瑶语支唯一的语言。") == {("勉语又称什么？", "瑶语")}
    assert asked("余杭火车站（简称余杭站），是沪杭客运专线上新建的一个车站。") == {
        ("余杭火车站简称什么？", "余杭站")
    }
    for text in (
        # the alias belongs to another name than the topic
        "真君庙是香港一所庙宇，位于新界青衣岛，供奉灵昭真君（俗称真君大帝）。",
        "固始站是宁西铁路上的一座车站，位于河南省固始县段集镇，隶属于武汉铁路局。",
        "保险公司表示，保险额度属于保密条款，不能对外公布。",
    ):
        assert not asked(text), text


def test_chinese_questions_are_cut_at_punctuation_never_inside_a_word():
    s = "2012年2月5日，波亚斯带领的切尔西主场迎战曼联，出现令人争议的判决，曼联在落后三球的情况下，追成3-3。"
    qas = {(qa.question, qa.answer) for qa in questions_for(s, random.Random(0))}
    # a clause too short to ask about takes the next one; before: "哪一年2月5日，波亚斯带领的切？"
    assert ("哪一年2月5日，波亚斯带领的切尔西主场迎战曼联？", "2012年") in qas
    long_clause = "于1847年至1862年间大部份的华工被安排乘坐美式船到古巴而人数达至年近六千人之多并且死亡率甚高。"
    assert not questions_for(long_clause, random.Random(0)), "too long to ask: no question"


def test_chinese_who_questions_ask_for_the_person_who_acts():
    """A Chinese KB gave 11 who-questions (由X…) against 260 "X是什么？" definitions, and the
    adapter answered a who-question with the description after a name ("台湾民乐工作者、歌仔戏乐师"
    for whom someone learned from)."""

    def asked(text: str) -> set[tuple[str, str]]:
        qas = questions_for(text, random.Random(0))
        return {(qa.question, qa.answer) for qa in qas if qa.kind == "zh-person"}

    assert asked("永嘉之乱，司马晏被刘曜所杀，时年三十一。") == {("司马晏被谁所杀？", "刘曜")}
    assert asked("由于其父早死，王沈被叔叔王昶抚养。") == {("王沈被叔叔谁抚养？", "王昶")}
    assert asked("李国治，高雄市人，师从苏桐学习扬琴与歌仔戏音乐艺术。") == {
        ("师从谁学习扬琴与歌仔戏音乐艺术？", "苏桐")
    }
    for text in (
        "孙和之子孙晧被封为乌程侯。",  # a title, not an agent
        "毛被黄棕、红棕或棕褐色。",  # 被 of 毛被 (fur), before a list's comma
        "司马晏为人恭愿，才能在武帝诸子中最劣。",  # no agent word
    ):
        assert not asked(text), text

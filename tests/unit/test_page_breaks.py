"""A sentence that a page or column break cut into two paragraphs is read as one."""

from ragchat.evidence import sentences_of
from tests.fakes import make_hit


def test_a_sentence_split_by_a_page_break_is_one_sentence_again():
    # the chunk joins the blocks of two pages with a blank line in mid-sentence
    text = (
        "The Norman language was forged by a Norse-speaking class, and it developed into the"
        "\n\nregional language that survives today.\n\niPhone\n\niPhone net sales increased."
    )
    out = sentences_of(make_hit(text), "en")
    assert out[0] == (
        "The Norman language was forged by a Norse-speaking class, and it developed into the"
        " regional language that survives today."
    )
    assert out[1:] == ["iPhone", "iPhone net sales increased."]  # a heading stays apart
    out = sentences_of(
        make_hit("到了2002赛季，内托转会到OFK贝尔格莱德，\n\n他随后成为最佳射手。"), "zh"
    )
    assert out == ["到了2002赛季，内托转会到OFK贝尔格莱德，他随后成为最佳射手。"]
    out = sentences_of(make_hit("环氧氯丙烷\n\n环氧氯丙烷是一个有机氯化合物。"), "zh")
    assert out == ["环氧氯丙烷", "环氧氯丙烷是一个有机氯化合物。"]


def test_an_encyclopedias_cleanup_tags_are_not_part_of_a_sentence():
    text = (
        "Prince Louis de Condé, along with his sons Daniel and Osias,[citation needed] arranged"
        " with Count Ludwig von Nassau-Saarbrücken to establish a Huguenot community.[when?]"
        " Who wrote it [sic] is unknown.[12]"
    )
    out = sentences_of(make_hit(text), "en")
    assert out[0] == (
        "Prince Louis de Condé, along with his sons Daniel and Osias, arranged with Count"
        " Ludwig von Nassau-Saarbrücken to establish a Huguenot community."
    )
    assert out[1] == "Who wrote it [sic] is unknown.[12]"  # an author's [sic] and a reference stay
    assert sentences_of(make_hit("该站于1905年启用。[来源请求]车站后来改建。"), "zh") == [
        "该站于1905年启用。",
        "车站后来改建。",
    ]


def test_a_title_the_question_names_is_no_evidence():
    from ragchat.evidence import select_evidence

    hit = make_hit("伊维卡·奥利奇\n\n伊维卡·奥利奇是一名克罗地亚职业足球运动员。")
    evidence = select_evidence(
        "伊维卡·奥利奇的职业是什么？", [hit], lang="zh", weights={"职业": 1.0}
    )
    assert [e.text for e in evidence] == ["伊维卡·奥利奇是一名克罗地亚职业足球运动员。"]
    hit = make_hit("iPhone\n\niPhone net sales increased due to higher sales.")
    evidence = select_evidence("What about iPhone?", [hit], lang="en", weights={"iphone": 1.0})
    assert [e.text for e in evidence] == ["iPhone net sales increased due to higher sales."]


def test_a_forms_caption_carries_the_value_above_it():
    # the bundled 10-Q's cover page: the address was read as the chunk's heading
    text = (
        "(Address of principal executive offices) (Zip Code)\n\n(408) 996-1010\n\n"
        "(Registrant’s telephone number, including area code)"
    )
    hit = make_hit(text, heading=("Apple Inc.", "One Apple Park Way Cupertino, California 95014"))
    assert sentences_of(hit, "en") == [
        "One Apple Park Way Cupertino, California 95014 "
        "(Address of principal executive offices) (Zip Code)",
        "(408) 996-1010",
        "(408) 996-1010 (Registrant’s telephone number, including area code)",
    ]

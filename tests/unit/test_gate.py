"""The coverage gate's Chinese features, on real chunks without a model: a KB of one book must
not refuse a question because it words the answer's context differently."""

from __future__ import annotations

from collections import Counter

import pytest

from ragchat.calibrate import choose_threshold
from ragchat.gate import (
    DEFAULT_GATE,
    GATE_FEATURES,
    finest,
    gate_features,
    gate_score,
    stored_threshold,
    term_weights,
)
from ragchat.text import lexical_tokens, question_tokens
from ragchat.types import Chunk, Hit

BOOK = [
    "《战国无双3》（）是由光荣和ω-force开发的战国无双系列的正统第三续作。本作以三大故事为主轴。",
    "徐晓飞是中国足球运动员，司职中场，返回中国后不久因身体原因而退役。",
    "广茂铁路是在2004年由广州至茂名的铁路，全长364公里。",
]


def _hits(texts: list[str]) -> list[Hit]:
    return [
        Hit(Chunk(f"d:{i}", "d", "book.pdf", t, (), 1, 1, (0, len(t))), 1.0 / (i + 1), i + 1)
        for i, t in enumerate(texts)
    ]


def _score(question: str, texts: list[str]) -> float:
    """The gate score over a KB made of `texts`, its passages ranked by shared terms."""
    qtokens = question_tokens(question)  # as the retriever reads a question
    df = Counter(t for text in texts for t in set(lexical_tokens(text)))
    ranked = sorted(texts, key=lambda x: -sum(t in x for t in qtokens))
    features = gate_features(qtokens, _hits(ranked), [], dict(df), len(texts), "zh")
    return gate_score(features, "zh")


def test_a_compound_and_its_parts_count_once() -> None:
    tokens = lexical_tokens("《战国无双3》是由哪两个公司合作开发的？")
    assert "合作开发" in tokens  # jieba's search mode adds the compound next to its parts
    kept = finest(tokens)
    assert "合作开发" not in kept and {"合作", "开发", "战国", "无双"} <= set(kept)


def test_a_rare_name_outweighs_common_words() -> None:
    w = term_weights(lexical_tokens("《战国无双3》是由哪两个公司合作开发的？"), {}, 3, "zh")
    assert w["无双"] > 2 * w["公司"] and w["战国"] > w["两个"]


def test_a_paraphrased_question_about_the_book_is_covered() -> None:
    # "合作" (together) and "两个公司" (two companies) are not in the passage; its topic is
    assert _score("《战国无双3》是由哪两个公司合作开发的？", BOOK) >= DEFAULT_GATE["zh"]
    assert _score("广茂铁路全长多少公里？", BOOK) >= DEFAULT_GATE["zh"]


def test_the_words_that_only_ask_are_not_terms() -> None:
    assert set(question_tokens("广三铁路是哪一年建成的？")) == {"广三", "铁路", "建成"}
    assert "时候" not in question_tokens("他什么时候去世？")
    assert "几个" not in question_tokens("广茂铁路共有几个车站？")
    assert "几内亚" in question_tokens("几内亚的首都是哪里？")  # a name, not a question word
    assert question_tokens("When did Rollo die?") == lexical_tokens("When did Rollo die?")


def test_a_name_jieba_glued_to_the_next_word_is_a_term_of_its_own() -> None:
    # "楼曾瑞是谁？" was cut "楼", "曾瑞是": a term no passage holds, and the gate refused
    assert "曾瑞是" not in question_tokens("楼曾瑞是谁？")
    assert set(question_tokens("楼曾瑞是哪里人？")) >= set(lexical_tokens("楼曾瑞"))
    assert "目的" in question_tokens("这次访问的目的是什么？")  # a dictionary word stays whole
    person = ["楼曾瑞，祖籍上海，是前香港英文中学联会主席。", *BOOK]
    assert _score("楼曾瑞是谁？", person) >= DEFAULT_GATE["zh"]


def test_a_question_asking_which_year_is_covered_by_its_other_words() -> None:
    # "哪一年" and "一年" in no passage once kept this question below the threshold (0.42)
    assert _score("广茂铁路是哪一年建成的？", BOOK) >= DEFAULT_GATE["zh"]


@pytest.mark.parametrize("question", ["中国的首都是哪里？", "纽波特是哪个大学的所在地？"])
def test_a_question_sharing_only_common_words_is_not(question: str) -> None:
    assert _score(question, BOOK) < DEFAULT_GATE["zh"]


def test_a_threshold_calibrated_on_older_features_is_not_used() -> None:
    assert stored_threshold({"zh": 0.9}, "zh") is None  # calibrated before the features changed
    current = {"zh": 0.6, "zh_features": GATE_FEATURES["zh"], "en": 0.4}
    assert stored_threshold(current, "zh") == 0.6
    assert stored_threshold(current, "en") == 0.4  # English features are unchanged
    assert stored_threshold({}, "zh") is None


def test_calibration_picks_the_gap_between_the_two_kinds() -> None:
    picked = choose_threshold([0.7, 0.8, 0.9], [0.1, 0.2, 0.3])
    assert 0.3 < picked["threshold"] < 0.7 and picked["answerable_refused"] == 0


def test_the_gate_shift_moves_each_languages_own_threshold(tmp_path):
    from ragchat.kb.files import KnowledgeBase
    from ragchat.retrieval import Retriever
    from ragchat.settings import Settings

    kb = KnowledgeBase.open(tmp_path, "k", embedder="e", dim=4, create=True)
    kb.update_manifest(gate={"en": 0.4, "zh": 0.6, "zh_features": GATE_FEATURES["zh"]})
    try:
        calibrated = Retriever(kb, None, Settings())
        assert (calibrated.threshold("en"), calibrated.threshold("zh")) == (0.4, 0.6)
        stricter = Retriever(kb, None, Settings(gate_shift=0.1))
        assert stricter.threshold("en") == pytest.approx(0.5)
        assert stricter.threshold("zh") == pytest.approx(0.7)
        assert Retriever(kb, None, Settings(gate_shift=-0.5)).threshold("en") == 0.0
        fixed = Retriever(kb, None, Settings(gate_threshold=0.3, gate_shift=0.1))
        assert fixed.threshold("zh") == 0.3  # an absolute threshold wins
    finally:
        kb.close()


NORMANS = [
    "In the 1060s, Robert Crispin led the Normans of Edessa against the Turks. Roussel de "
    "Bailleul even tried to carve out an independent state in Asia Minor.",
    "The Normans adopted the Gallo-Romance language of the Frankish land they settled.",
    "Norman architecture typically stands out as a new stage in the regions they subdued.",
    "The capital cities of the region were fortified by the Normans.",
    "The capital of the duchy moved to Rouen.",
    "Net sales in Australia rose; capital spending in Australia fell.",
    "Australia and Japan are reported with the rest of Asia Pacific.",
    "Sales in Australia grew. Capital expenditures were $2 billion.",
    "Australia's retail stores reopened.",
    "Stores in Australia reopened.",
]


def _score_en(question: str, cosine: float) -> float:
    """The English gate score over NORMANS with the best cosine the embedder gave."""
    qtokens = question_tokens(question)
    df = Counter(t for text in NORMANS for t in set(lexical_tokens(text)))
    ranked = sorted(NORMANS, key=lambda x: -sum(t in x.lower() for t in qtokens))
    features = gate_features(qtokens, _hits(ranked), [(0, cosine)], dict(df), len(NORMANS), "en")
    return gate_score(features, "en")


def test_a_passage_holding_every_term_and_a_rare_one_lifts_the_dense_floor() -> None:
    # the embedder does not know the name: cosine 0.22, under the floor
    assert _score_en("Who was Roussel de Bailleul?", 0.22) >= DEFAULT_GATE["en"]
    # words all found together but in more than RARE_DF passages each do not
    assert _score_en("What is the capital of Australia?", 0.22) == pytest.approx(0.22)
    # nor a rare word without the rest of the question
    assert _score_en("Who did Roussel de Bailleul marry in Sicily?", 0.22) == pytest.approx(0.22)

"""A chunk whose first sentence leans on a pronoun reads with the sentence before it, taken from
the chunk before (`ragchat.neighbours.sentences_before`), on a real file store."""

from __future__ import annotations

from dataclasses import replace

from ragchat.evidence import select_evidence, sentences_of
from ragchat.kb.files import KnowledgeBase
from ragchat.neighbours import sentences_before
from ragchat.types import Hit
from tests.kbdata import DIM, put

ARCH = (
    "Norman architecture typically stands out as a new stage in the regions they subdued. "
    "They spread a unique Romanesque idiom to England and Italy."
)
STYLE = "Their style was characterised by rounded arches and massive proportions."


def _kb(tmp_path, texts: list[str]) -> KnowledgeBase:
    kb = KnowledgeBase.open(tmp_path / "kb", "docs", embedder="e", dim=DIM, create=True)
    put(kb, "/d/normans.pdf", texts)
    return kb


def _hit(kb: KnowledgeBase, ordinal: int) -> Hit:
    (chunk,) = [c for c in kb.chunks_of("/d/normans.pdf") if c.ordinal == ordinal]
    return Hit(chunk, 0.5, 1)


def test_a_chunk_starting_with_a_pronoun_carries_the_sentences_it_leans_on(tmp_path):
    kb = _kb(tmp_path, [ARCH, f"{STYLE} Castles followed."])
    hit = _hit(kb, 1)
    before = sentences_before(kb, [hit], "en")
    # "They spread …" leans on "Norman architecture …" in turn: both are carried
    assert before == {hit.chunk.chunk_id: ARCH}
    first = sentences_of(hit, "en", before[hit.chunk.chunk_id])[0]
    assert first == f"{ARCH} {STYLE}"
    assert sentences_of(hit, "en", before[hit.chunk.chunk_id])[1] == "Castles followed."

    q = "What characterised Norman architecture?"
    weights = {"characterised": 1.0, "norman": 1.0, "architecture": 1.0}
    alone = select_evidence(q, [hit], lang="en", weights=weights)
    carried = select_evidence(q, [hit], lang="en", weights=weights, before=before)
    assert alone[0].text == STYLE and carried[0].text == f"{ARCH} {STYLE}"
    assert carried[0].score > alone[0].score  # it now names what it is about
    kb.close()


def test_nothing_is_carried_across_sections_or_into_a_chunk_not_leaning_on_it(tmp_path):
    kb = _kb(tmp_path, [ARCH, STYLE, "Castles were built in stone."])
    other_section = replace(_hit(kb, 1), chunk=replace(_hit(kb, 1).chunk, heading_path=("X",)))
    assert sentences_before(kb, [other_section], "en") == {}
    assert sentences_before(kb, [_hit(kb, 2)], "en") == {}  # starts with no pronoun
    assert sentences_before(kb, [_hit(kb, 0)], "en") == {}  # the first chunk has none before
    kb.close()


def test_a_sentence_carried_over_as_overlap_is_not_carried_twice(tmp_path):
    kb = _kb(
        tmp_path,
        [
            "Rollo led the Vikings. They settled in Normandy.",
            "They settled in Normandy. They swore fealty to Charles.",
        ],
    )
    hit = _hit(kb, 1)
    # the chunk starts with the overlap "They settled …": the sentence before it is Rollo's
    assert sentences_before(kb, [hit], "en") == {hit.chunk.chunk_id: "Rollo led the Vikings."}
    kb.close()

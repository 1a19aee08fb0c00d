"""Acronym questions over a real KB ("What does DER stand for?"): answered where a document
spells the acronym out, with no model, even when every other chunk uses it more often."""

from __future__ import annotations

from ingestion.index import Ingestor
from ragchat.embedder import load_embedder
from ragchat.kb.files import KnowledgeBase
from ragchat.pipeline import RagChat
from ragchat.settings import Settings
from tests import pdfgen

INTRODUCTION = (
    "Introduction. This manual describes GNU Libtasn1, a library for Abstract Syntax Notation"
    " One (ASN.1) parsing and Distinguished Encoding Rules (DER) encoding and decoding."
)
REFERENCE = (
    "Function reference. der: the DER buffer. der_len: bytes of DER in der. The DER encoding of"
    " the input is placed in der. The DER length is returned. DER output is canonical DER."
)


def test_an_acronym_is_answered_with_the_words_a_document_spells_it_out_in(
    tmp_path, fake_generator
):
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "a", embedder=emb.name, dim=emb.dim, create=True)
    Ingestor(kb, settings, emb).ingest(
        [
            pdfgen.simple(tmp_path / "intro.pdf", INTRODUCTION),
            pdfgen.simple(tmp_path / "reference.pdf", REFERENCE, pages=3),
        ]
    )
    kb.close()
    chat = RagChat.open(settings, "a", embedder=emb)
    answer = chat.ask("What does DER stand for?")
    assert answer.text == "Distinguished Encoding Rules [1]"
    assert [(c.file, c.page) for c in answer.citations] == [("intro.pdf", 1)]
    assert "Distinguished Encoding Rules (DER)" in answer.citations[0].quote
    assert chat.ask("ASN.1是什么的缩写？").text == "Abstract Syntax Notation One [1]"
    assert fake_generator.calls == []  # the documents answered, not a model
    # an acronym the documents never spell out goes the usual way
    other = chat.ask("What does XML stand for?")
    assert "Extensible" not in other.text

"""A man page's keywords through a real KB: each keyword the parser reads as a heading lends its
name to the sentences below it, so "The default is 3." answers the question about password
prompts, and the quote says whose default it is."""

from __future__ import annotations

from ingestion.index import Ingestor
from ragchat.embedder import load_embedder
from ragchat.kb.files import KnowledgeBase
from ragchat.pipeline import RagChat
from ragchat.settings import Settings
from tests import pdfgen_manuals


def test_a_keyword_s_sentences_answer_in_its_name(tmp_path, fake_generator):
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "man", embedder=emb.name, dim=emb.dim, create=True)
    Ingestor(kb, settings, emb).ingest([pdfgen_manuals.man_page(tmp_path / "ssh_config.pdf")])
    headings = {c.heading_path[-1] for f in kb.files() for c in kb.chunks_of(f.path)}
    kb.close()
    assert "NumberOfPasswordPrompts" in headings  # the parser's reading the rule relies on
    chat = RagChat.open(settings, "man", embedder=emb)
    fake_generator.refuse = True  # the quote path: what the evidence itself shows
    answer = chat.ask("How many password prompts does ssh give before giving up by default?")
    assert not answer.refused
    assert answer.evidence[0].text == "NumberOfPasswordPrompts: The default is 3."
    assert "NumberOfPasswordPrompts: The default is 3." in answer.text
    assert [(c.file, c.page) for c in answer.citations] == [("ssh_config.pdf", 1)]
    answer = chat.ask("What is the default value of ConnectionAttempts?")
    assert "ConnectionAttempts: The default is 1." in answer.text

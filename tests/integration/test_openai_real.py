"""The packaged SmolLM2 behind `ragchat serve`, asked through OpenAIGenerator: the streamed
answer must be exactly what the same model produces in-process (greedy decoding)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.index import Ingestor
from ragchat.embedder import load_embedder
from ragchat.generation import HFGenerator, OpenAIGenerator, estimate_tokens, load_generator
from ragchat.kb.files import KnowledgeBase
from ragchat.pipeline import STOP_SEQUENCES, RagChat
from ragchat.prompt import build_messages
from ragchat.settings import PACKAGED_GENERATOR, Settings
from tests import pdfgen
from tests.integration.serve_helpers import start_server

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]
QUESTION = "What is the operating pressure of the boiler?"


def test_packaged_model_answers_through_the_server_as_it_does_locally(
    tmp_path: Path, cached_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_server(tmp_path, PACKAGED_GENERATOR)  # loads while the KB is built
    try:
        settings = Settings.load().replace(generator=PACKAGED_GENERATOR)  # what the server serves
        emb = load_embedder(settings)
        kb = KnowledgeBase.open(settings.kb_root, "m", embedder=emb.name, dim=emb.dim, create=True)
        Ingestor(kb, settings, emb).ingest(
            [pdfgen.structured(tmp_path / "manual.pdf"), pdfgen.chinese(tmp_path / "zh.pdf")]
        )
        local = load_generator(settings)
        assert isinstance(local, HFGenerator)
        server.wait_ready(timeout=300)

        # One real question: the same messages, in-process and over the wire.
        chat = RagChat(settings, kb, emb, local)
        hits = chat.search(QUESTION).hits
        messages = build_messages(QUESTION, [h.chunk for h in hits])
        remote = OpenAIGenerator(local.name, base_url=server.url, timeout=120)
        kw = {"max_new_tokens": 60, "temperature": 0.0, "stop": STOP_SEQUENCES}
        pieces = list(remote.stream(messages, **kw))
        direct = "".join(local.stream(messages, **kw))
        assert direct.strip() and len(pieces) >= 3
        assert "".join(pieces) == direct
        assert remote.complete(messages, **kw) == direct

        # The whole pipeline, selected by settings, gives the in-process answer too: the same
        # draft, and the same answer once the in-process one is decided without the confidence
        # check (a server sends no token probabilities, so over the wire there is none).
        over_wire = RagChat(
            settings.replace(generator=f"openai:{local.name}", openai_base_url=server.url), kb, emb
        )
        answer = over_wire.ask(QUESTION)
        assert isinstance(over_wire.generator, OpenAIGenerator)
        assert answer.confidence is None
        in_process = chat.ask(QUESTION)
        assert answer.draft == in_process.draft and in_process.confidence is not None
        monkeypatch.setattr("ragchat.decide.CONFIDENCE_THRESHOLD", 0.0)
        assert answer.text == chat.ask(QUESTION).text and answer.text

        # The estimate never under-counts the real tokenizer on this material.
        texts = [direct, *(h.chunk.text for h in hits), "维修人员必须佩戴护目镜。", QUESTION]
        for text in texts:
            assert estimate_tokens(text) >= local.count_tokens(text), text
    finally:
        server.stop()

"""The answer pipeline over a real KB and embedder, with a fake generator at the model seam."""

from __future__ import annotations

import pytest

from ingestion.index import Ingestor
from ragchat.embedder import load_embedder
from ragchat.kb.files import KnowledgeBase
from ragchat.pipeline import RagChat
from ragchat.prompt import REFUSAL_MESSAGES
from ragchat.settings import Settings
from tests import pdfgen
from tests.fakes import FakeGenerator


@pytest.fixture
def kb(tmp_path, fake_generator):
    """Settings that answer with the fake generator, and its embedder, for the KB "m"."""
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "m", embedder=emb.name, dim=emb.dim, create=True)
    Ingestor(kb, settings, emb).ingest(
        [pdfgen.structured(tmp_path / "manual.pdf"), pdfgen.chinese(tmp_path / "zh.pdf")]
    )
    kb.close()
    return settings, emb


def open_chat(kb, **changes) -> RagChat:
    settings, emb = kb
    return RagChat.open(settings.replace(**changes), "m", embedder=emb)


def test_answer_streams_with_citations_and_timings(kb, fake_generator):
    fake = fake_generator
    chat = open_chat(kb)
    stream = chat.stream("What is the operating pressure of the boiler?")
    pieces = list(stream)
    answer = stream.answer
    assert "".join(pieces).strip() == answer.text
    assert not answer.refused and not answer.fallback
    assert "3 bar" in answer.text and answer.text.endswith("[1]")
    assert all(c.supported for c in answer.checks)
    cite = answer.citations[0]
    assert cite.n == 1 and cite.file == "manual.pdf" and cite.page == 1
    assert cite.quote == answer.evidence[0].text and "3 bar" in cite.quote
    # the sentence is highlighted, not the whole chunk: its rectangles are its own lines
    chunk = next(h.chunk for h in answer.hits if h.chunk.chunk_id == cite.chunk_id)
    assert cite.bboxes and cite.bboxes != chunk.bboxes
    assert {"retrieval", "evidence", "first_token", "total"} <= set(answer.timings)
    # the model read evidence sentences, not chunks
    assert (
        "<evidence>" in fake.calls[0][1]["content"] and "<source" not in fake.calls[0][1]["content"]
    )
    assert answer.gate_score >= chat.retriever.threshold("en")
    system = fake.calls[0][0]["content"]
    assert "untrusted" in system


def test_gate_refuses_before_generation_in_the_question_language(kb, fake_generator):
    fake = fake_generator
    chat = open_chat(kb)
    answer = chat.ask("What is the capital of Australia?")
    assert answer.refused and answer.text == REFUSAL_MESSAGES["en"]
    zh = chat.ask("澳大利亚的首都是哪里？")
    assert zh.refused and zh.text == REFUSAL_MESSAGES["zh"] and zh.lang == "zh"
    assert fake.calls == []
    assert answer.hits, "closest passages are offered"


def test_a_refusal_over_strong_evidence_becomes_a_labelled_quote(kb, fake_generator):
    fake_generator.refuse = True
    chat = open_chat(kb)
    answer = chat.ask("What is the operating pressure of the boiler?")
    assert not answer.refused and answer.fallback and answer.draft == "NOT IN DOCUMENTS"
    assert answer.text.startswith("The document says: “") and answer.text.endswith("[1]")
    assert "3 bar" in answer.text and answer.citations[0].quote in answer.text


def test_an_invented_number_or_link_never_reaches_the_user(kb, fake_generator):
    # a confident answer with a number that is in no source
    fake_generator.pieces = [
        "The operating pressure is ",
        "7 bar [1]. ",
        "See https://evil.example.",
    ]
    answer = open_chat(kb).ask("What is the operating pressure of the boiler?")
    assert "7 bar" not in answer.text and "evil" not in answer.text
    assert answer.fallback and "3 bar" in answer.text
    assert [c.supported for c in answer.checks] == [False, False]
    assert "7" in answer.checks[0].reason


class RedraftingGenerator(FakeGenerator):
    """Drafts `first` (the prompt's example answer, or only a sentence number) unless `word` is
    banned as its first token (a local model's `ban`), then answers from the evidence."""

    def __init__(self, first: str, word: str) -> None:
        super().__init__()
        self.first, self.word = first, word

    def stream(self, messages, *, max_new_tokens=64, temperature=0.0, stop=(), ban=None):
        self.calls.append(messages)
        yield "3 bar [1]" if ban is not None and self.word in ban.words else self.first


class CutOffGenerator(FakeGenerator):
    """Says `pieces` word by word, one token each, until `max_new_tokens` cuts it off; records
    each token in a local model's trace (what tells the pipeline that the limit was hit)."""

    class tokenizer:  # the attribute a local generator has
        @staticmethod
        def decode(ids):
            return "x"

    def stream(self, messages, *, max_new_tokens=64, temperature=0.0, stop=(), trace=None):
        self.calls.append(messages)
        for i, word in enumerate(" ".join(self.pieces).split(" ")[:max_new_tokens]):
            if trace is not None:
                trace.steps.append((i, 0.99))
            yield word + " "


@pytest.mark.parametrize(
    ("words", "draft"),
    [
        # a sentence finished before the limit: shown without the unfinished one after it
        (
            "The operating pressure is 3 bar [1]. It also runs at",
            "The operating pressure is 3 bar [1].",
        ),
        # none finished: the best evidence is quoted whole
        ("The operating pressure is 3 bar when the", ""),
    ],
)
def test_a_draft_the_token_limit_cut_off_shows_no_unfinished_sentence(kb, words, draft):
    settings, emb = kb
    cut = CutOffGenerator(pieces=[words])
    settings = settings.replace(max_new_tokens=len(words.split()))
    answer = RagChat.open(settings, "m", embedder=emb, generator=cut).ask(
        "What is the operating pressure of the boiler?"
    )
    assert answer.draft == draft and "runs at" not in answer.text and "when the" not in answer.text
    assert "3 bar" in answer.text and answer.fallback == (draft == "")
    # the same words with room to finish are the model's to show (and fail verification)
    roomy = RagChat.open(settings.replace(max_new_tokens=64), "m", embedder=emb, generator=cut)
    assert roomy.ask("What is the operating pressure of the boiler?").draft.startswith(words)


@pytest.mark.parametrize(
    ("first", "word"),
    [
        ("Rollo [1]", "Rollo"),  # copies the prompt's example
        ("[1]", "["),  # only points at a sentence
    ],
)
def test_a_draft_that_copies_the_example_or_only_points_is_drafted_again(kb, first, word):
    redrafting = RedraftingGenerator(first, word)
    settings, emb = kb
    chat = RagChat.open(settings, "m", embedder=emb, generator=redrafting)
    answer = chat.ask("What is the operating pressure of the boiler?")
    assert len(redrafting.calls) == 2 and redrafting.calls[0] == redrafting.calls[1]
    assert answer.text == "3 bar [1]" and not answer.fallback and answer.draft == "3 bar [1]"


def test_a_generator_that_cannot_ban_words_is_not_asked_twice(kb, fake_generator):
    fake_generator.pieces = ["Rollo [1]"]
    answer = open_chat(kb).ask("What is the operating pressure of the boiler?")
    assert len(fake_generator.calls) == 1
    assert "Rollo" not in answer.text and answer.fallback and "3 bar" in answer.text


def test_extractive_mode_quotes_without_a_model(kb, fake_generator):
    fake = fake_generator
    chat = open_chat(kb, answer_mode="extractive")
    answer = chat.ask("What is the operating pressure of the boiler?")
    assert fake.calls == [] and answer.fallback and "3 bar" in answer.text
    assert answer.citations and answer.citations[0].quote in answer.text


def test_chinese_question_gets_a_chinese_answer(kb):
    answer = open_chat(kb).ask("维修人员必须佩戴什么？")
    assert not answer.refused and answer.lang == "zh"
    assert answer.citations and answer.citations[0].file == "zh.pdf"
    assert not any("a" <= ch.lower() <= "z" for ch in answer.text.replace("[", "").replace("]", ""))


def test_chinese_question_finds_the_chinese_passage(kb):
    chat = open_chat(kb)
    result = chat.search("维修人员必须佩戴什么？")
    assert result.covered and result.hits[0].chunk.file == "zh.pdf"


def test_follow_up_is_rewritten_for_retrieval(kb):
    chat = open_chat(kb)
    first = chat.ask("What is the operating pressure of the boiler?")
    follow = chat.ask(
        "and the goggles?", history=[("What is the operating pressure of the boiler?", first.text)]
    )
    assert follow.standalone_question and "operating pressure" in follow.standalone_question


def test_the_adapter_choice_picks_the_generator_adapter(kb, fake_generator, tmp_path):
    from ragchat import DEFAULT_ADAPTER, NO_ADAPTER
    from ragchat import RagChat as exported

    settings, emb = kb
    assert exported is RagChat
    store = KnowledgeBase.open(settings.kb_root, "m")
    store.update_manifest(default_adapter=str(tmp_path / "kb-default"))
    store.close()
    default = RagChat.open(settings, "m", embedder=emb, adapter=DEFAULT_ADAPTER)
    assert default.adapter == tmp_path / "kb-default"
    base = RagChat.open(settings, "m", embedder=emb, adapter=NO_ADAPTER)
    assert base.adapter is None and base.generator is fake_generator
    chosen = RagChat.open(settings, "m", embedder=emb, adapter=tmp_path / "other")
    assert chosen.adapter == tmp_path / "other"
    configured = settings.replace(adapter=tmp_path / "configured")
    assert RagChat.open(configured, "m", embedder=emb).adapter == tmp_path / "configured"
    lazy = RagChat.open(settings, "m", embedder=emb, adapter=NO_ADAPTER, load_generator=False)
    assert fake_generator.adapters == [
        tmp_path / "kb-default",
        None,
        tmp_path / "other",
        tmp_path / "configured",
    ], "each chat loads its generator with its adapter, unless told to wait"
    assert lazy.embedder is emb and lazy.kb.manifest.name == "m"


def test_import_ragchat_does_not_load_the_pipeline():
    import subprocess
    import sys

    code = "import sys, ragchat; assert 'ragchat.pipeline' not in sys.modules; ragchat.RagChat"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_question_about_the_documents_lists_them_without_the_model(kb, fake_generator):
    chat = open_chat(kb)
    answer = chat.ask("What is this document about?")
    assert not answer.refused and fake_generator.calls == []
    assert answer.text.startswith("This knowledge base holds 2 documents:")
    assert {c.file for c in answer.citations} == {"manual.pdf", "zh.pdf"}
    assert "[1] manual.pdf" in answer.text and "[2] zh.pdf" in answer.text
    zh = chat.ask("这份文档讲了什么？")
    assert zh.lang == "zh" and zh.text.startswith("知识库中有 2 份文档")


FILING = (
    "Quarterly results. iPhone net sales were $40,665 million in the quarter. Research and "
    "development expenses were $6,797 million in the quarter. Selling, general and "
    "administrative expenses were $6,012 million in the quarter. Earnings per share were $1.20 "
    "in the quarter, and the shares used in computing them numbered 16,262,203 thousand."
)
SIGNED = (
    "Signatures. Timothy D. Cook, Chief Executive Officer. Luca Maestri, Chief Financial Officer."
)


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("How much did the company spend on R&D in the quarter?", "6,797"),
        ("What were SG&A expenses in the quarter?", "6,012"),
        ("What was EPS in the quarter?", "$1.20"),
        ("Who is the CEO?", "Timothy D. Cook"),
    ],
)
def test_an_acronym_finds_the_words_it_stands_for(tmp_path, question, said):
    settings = Settings.load().replace(answer_mode="extractive")
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "f", embedder=emb.name, dim=emb.dim, create=True)
    filing = pdfgen.simple(tmp_path / "filing.pdf", FILING)
    Ingestor(kb, settings, emb).ingest([filing, pdfgen.simple(tmp_path / "signed.pdf", SIGNED)])
    kb.close()
    answer = RagChat.open(settings, "f", embedder=emb).ask(question)
    assert not answer.refused and said in answer.text


SALES = (
    "Quarterly results. iPhone net sales were $40,665 million in the quarter. Mac net sales were"
    " $7,382 million in the quarter. Services net sales were $19,604 million in the quarter."
)


@pytest.mark.parametrize(
    ("follow_up", "said", "not_said"),
    [("What about Mac?", "7,382", "40,665"), ("And Services?", "19,604", "40,665")],
)
def test_a_follow_up_s_own_words_pick_the_sentence(tmp_path, follow_up, said, not_said):
    # joined to the previous question, "Mac" is one term against its many ("net sales",
    # "quarter", "iPhone"): counted twice, it picks the Mac sentence over the iPhone one
    settings = Settings.load().replace(answer_mode="extractive")
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "s", embedder=emb.name, dim=emb.dim, create=True)
    Ingestor(kb, settings, emb).ingest([pdfgen.simple(tmp_path / "sales.pdf", SALES)])
    kb.close()
    chat = RagChat.open(settings, "s", embedder=emb)
    first = "What were iPhone net sales in the quarter?"
    answer = chat.ask(follow_up, history=[(first, chat.ask(first).text)])
    assert not answer.refused and said in answer.text and not_said not in answer.text


PLAYERS = (
    "于乐，中国足球运动员，司职前锋。2012年张世昌与河南建业的队友于乐一同加盟深圳红钻。"
    "张世昌，中国足球运动员，司职守门员。"
)


def test_a_follow_up_about_someone_else_is_not_answered_about_both(tmp_path):
    # "那张世昌呢？" joined to "于乐司职什么位置？": the sentence naming both players held both
    # names; with 于乐 dropped, the one about 张世昌's position wins
    settings = Settings.load().replace(answer_mode="extractive")
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "p", embedder=emb.name, dim=emb.dim, create=True)
    doc = pdfgen.simple(tmp_path / "players.pdf", PLAYERS, fontname="china-s")
    Ingestor(kb, settings, emb).ingest([doc])
    kb.close()
    chat = RagChat.open(settings, "p", embedder=emb)
    first = "于乐司职什么位置？"
    answer = chat.ask("那张世昌呢？", history=[(first, chat.ask(first).text)])
    assert not answer.refused and "守门员" in answer.text and "深圳" not in answer.text

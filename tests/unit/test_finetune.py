"""Adapter data building (Self-QA questions that do not copy their sentence, grounded targets
citing the evidence sentence that holds the answer, refusal targets, no split leakage), the shared
prompt builder, the label-free evaluation questions, and a few
training steps on a tiny random model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finetune.card import write_dataset
from finetune.data import DataConfig, build_examples, ood_questions
from finetune.evaluate import held_out_questions
from finetune.train import TrainConfig, encode, train
from ingestion.index import Ingestor
from ragchat.embedder import load_embedder
from ragchat.kb.files import KnowledgeBase
from ragchat.pipeline import RagChat
from ragchat.prompt import REFUSAL_MARKER, build_evidence_messages
from ragchat.settings import Settings
from tests import pdfgen
from tests.tiny_models import tiny_llama, tiny_tokenizer

SHARED = Path(__file__).resolve().parents[3] / "shared"
FACTS = (
    "The Normans were in Normandy in the 10th and 11th centuries. Rollo was a Viking leader. "
    "The treaty was signed in 911 by Charles the Simple. The duchy had 300,000 people. "
    "William the Conqueror was a duke of Normandy. The abbey was founded in 1066. "
)


TOWNS = ["Rouen", "Caen", "Bayeux", "Lisieux", "Evreux", "Falaise"]
PEOPLE = ["Rollo", "Richard", "Robert", "William", "Odo", "Emma"]


def facts(i: int) -> str:
    t, p = TOWNS[i], PEOPLE[i]
    lines = []
    for k in range(14):
        lines.append(  # two clauses each: a question asks about one and does not copy both
            f"The hall number {k} of {t} was founded in {1010 + 7 * i + k}, long before the"
            f" river changed its course. Tower {k} of {t} was built by {p} Builder, while the"
            f" monks paved the roads. The market {k} of {t} had {300 + 11 * i + k} stalls, and"
            " traders came from the coast every week."
        )
    return " ".join(lines)


@pytest.fixture
def chat(tmp_path):
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "ft", embedder=emb.name, dim=emb.dim, create=True)
    paths = [pdfgen.simple(tmp_path / f"doc{i}.pdf", facts(i), pages=1) for i in range(6)]
    Ingestor(kb, settings, emb).ingest(paths)
    return RagChat(settings, kb, emb)


def _evidence_lines(e) -> dict[int, str]:
    lines = e.messages[1]["content"].split("\n")
    return {int(x[1 : x.index("]")]): x for x in lines if x.startswith("[") and "]" in x}


def test_dataset_kinds_shares_and_split(chat, tmp_path):
    config = DataConfig(
        max_grounded=60, no_oracle_share=0.4, swapped_share=0.3, near_miss_share=0.5, val_share=0.3
    )
    examples = build_examples(chat, config)
    kinds = {
        k: [e for e in examples if e.kind == k]
        for k in ("grounded", "no_oracle", "swapped", "near_miss", "out_of_domain")
    }
    assert all(kinds[k] for k in ("grounded", "no_oracle", "out_of_domain")), {
        k: len(v) for k, v in kinds.items()
    }
    # every town here has the same halls and markets: a question with its town swapped for
    # another is answered by that town's document, so it must never become a refusal target
    assert kinds["swapped"] == [], [e.question for e in kinds["swapped"]]
    share = len(kinds["no_oracle"]) / (len(kinds["grounded"]) + len(kinds["no_oracle"]))
    assert 0.1 <= share <= 0.5
    for e in kinds["no_oracle"] + kinds["near_miss"] + kinds["out_of_domain"]:
        assert e.target == REFUSAL_MARKER
    assert kinds["near_miss"], "questions with a number or a passive get near-miss twins"
    grounded_questions = {e.question for e in kinds["grounded"]}
    for e in kinds["near_miss"]:
        assert e.question not in grounded_questions and e.answer is None
        assert e.source_sentence and any(
            x.endswith(e.source_sentence) for x in _evidence_lines(e).values()
        ), "the sentence that almost answers it is kept"
    for e in kinds["no_oracle"]:
        assert not any(
            e.question and e.source_sentence and x.endswith(e.source_sentence)
            for x in _evidence_lines(e).values()
        ), "the answer's sentence is cut"
    for e in kinds["grounded"]:
        assert e.messages == build_evidence_messages(e.question, [], "en")[:1] + e.messages[1:]
        answer, marker = e.target.rsplit(" ", 1)
        n = int(marker.strip("[]"))
        assert answer == e.answer and answer in _evidence_lines(e)[n], "[n] holds the answer"
    cited = [int(e.target.rsplit("[", 1)[1].rstrip("]")) for e in kinds["grounded"]]
    assert sum(n != 1 for n in cited) >= len(cited) // 5, "the answer is not always [1]"
    train_docs = {e.doc_id for e in examples if e.split == "train" and e.kind != "out_of_domain"}
    val_docs = {e.doc_id for e in examples if e.split == "val" and e.kind != "out_of_domain"}
    assert val_docs and not (train_docs & val_docs), "no document in both splits"
    pages = {f.doc_id: (f.name, f.pages) for f in chat.kb.files()}
    card = write_dataset(examples, tmp_path / "data", config, pages)
    assert (tmp_path / "data" / "card.md").is_file() and card["counts"]
    per_doc = card["per_document"]
    asked = {(e.doc_id, e.question) for e in examples if e.kind in ("grounded", "followup")}
    assert per_doc["(all)"]["questions"] == len(asked) > 0
    assert sum(d["questions"] for k, d in per_doc.items() if k != "(all)") == len(asked)
    assert "per 10 pages" in (tmp_path / "data" / "card.md").read_text()
    lines = (tmp_path / "data" / "train.jsonl").read_text().splitlines()
    assert len(lines) == sum(1 for e in examples if e.split == "train")


def test_training_prompt_is_the_inference_prompt():
    from ragchat.generation import HFGenerator

    tok = tiny_tokenizer()
    msgs = build_evidence_messages("What is the pressure?", [], "en")
    ids, labels = encode(tok, msgs, "3 bar [1]", 2048)
    prompt_len = sum(1 for x in labels if x == -100)
    generator = HFGenerator(
        model=type("M", (), {"config": None})(), tokenizer=tok, name="tiny", context=2048
    )
    assert tok.decode(ids[:prompt_len]) == generator.render_prompt(msgs)
    assert tok.decode(ids[prompt_len:]).startswith("3 bar [1]")


class Writer:
    """A generator double at the process boundary: replies with the next canned text."""

    name = "writer"

    def __init__(self, replies):
        self.replies = list(replies)

    def stream(self, messages, **kw):
        yield self.replies.pop(0)


def test_generator_written_questions_are_kept_only_when_they_pass_the_checks():
    from finetune.questions import QA
    from finetune.writer import written

    sentence = "The old stone tower of Rouen was completed in 1189 by the city guild."
    qa = QA("In what year was the old stone tower of Rouen completed?", "1189", "year", sentence)
    replies = [
        "When did the builders finish Rouen's tower?",  # kept
        "In what year was it completed, 1189?",  # gives the answer away
        "What does the sentence say?",  # about the sentence, not the document
        sentence.replace("in 1189", "when") + "?",  # a copy of the sentence
        "When was it done",  # not a question
        "Who built the tower of Rouen?",  # "1189" does not answer "Who ...?"
    ]
    pairs = [(qa, sentence, f"c{i}") for i in range(len(replies))]
    kept = list(written(Writer(replies), pairs, minutes=1))
    assert [(q.question, cid) for q, cid in kept] == [(replies[0], "c0")]
    assert kept[0][0].answer == "1189" and kept[0][0].kind == "llm"


def test_label_free_questions_come_from_the_validation_split(chat, tmp_path):
    config = DataConfig(max_grounded=40, swapped_share=0.3, val_share=0.3)
    examples = build_examples(chat, config)
    write_dataset(examples, tmp_path / "data", config)
    qs = held_out_questions(
        tmp_path / "data", {"answerable": 5, "unanswerable": 3, "out_of_domain": 3}
    )
    val = {e.question for e in examples if e.split == "val"}
    train_q = {e.question for e in examples if e.split == "train"}
    assert qs and all(q["question"] in val for q in qs)
    assert not any(q["question"] in train_q for q in qs if q["kind"] != "out_of_domain")
    answerable = [q for q in qs if q["kind"] == "answerable"]
    assert answerable and all(q["answers"] for q in answerable)


@pytest.mark.skipif(not (SHARED / "eval").is_dir(), reason="../shared is not available")
def test_ood_questions_do_not_overlap_the_evaluation_sets():
    ours = {q.strip().lower() for q in ood_questions()}
    theirs = {
        json.loads(line)["question"].strip().lower()
        for f in (SHARED / "eval").glob("*/questions.jsonl")
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert len(ours) >= 100 and not (ours & theirs)


@pytest.mark.slow
def test_a_few_steps_on_a_tiny_model_save_a_loadable_adapter_that_changes_outputs(chat, tmp_path):
    import torch

    from ragchat.generation import load_adapter, load_causal_lm

    settings = Settings.load({"generator": str(tiny_llama(tmp_path / "tiny"))})
    examples = build_examples(chat, DataConfig(max_grounded=24, seed=2, val_share=0.4))
    write_dataset(examples, tmp_path / "data", DataConfig())
    config = TrainConfig(steps=6, batch=2, save_every=3, lr=5e-3, max_len=2048)
    card = train(settings, tmp_path / "data", tmp_path / "adapter", config)
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()
    assert (
        json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())[
            "base_model_name_or_path"
        ]
        == "tiny"
    )
    assert card["metrics"]["train_loss_last10"] == card["metrics"]["train_loss_last10"]
    base, tok = load_causal_lm(settings)
    ids = tok("Question: pressure?", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        before = base(ids).logits
        tuned = load_adapter(base, tmp_path / "adapter", "tiny")
        after = tuned(ids).logits
    assert not torch.allclose(before, after), "the adapter changes the model's outputs"
    assert card["peak_rss_mb"] > 0
    assert 0 < card["refusal_threshold"] < 1 and card["calibration"]["n"]["answerable"] > 0
    assert card["data_sha256"]["train"] and card["train_seconds"] > 0
    # an interrupted run resumes from its checkpoint (step 3), not from the start

    class Interrupted(Exception):
        pass

    def stop_at_4(step: int, total: int, loss: float) -> None:
        if step == 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(settings, tmp_path / "data", tmp_path / "adapter2", config, progress=stop_at_4)
    assert (tmp_path / "adapter2" / "checkpoint" / "state.json").is_file()
    card2 = train(settings, tmp_path / "data", tmp_path / "adapter2", config)
    assert card2["resumed_from_step"] == 3
    assert not (tmp_path / "adapter2" / "checkpoint").exists(), (
        "a finished run drops its checkpoint"
    )
    # ... but not from a checkpoint of data that was rebuilt since
    with pytest.raises(Interrupted):
        train(settings, tmp_path / "data", tmp_path / "adapter3", config, progress=stop_at_4)
    rows = (tmp_path / "data" / "train.jsonl").read_text().splitlines()
    (tmp_path / "data" / "train.jsonl").write_text("\n".join(rows[1:]) + "\n")
    card3 = train(settings, tmp_path / "data", tmp_path / "adapter3", config)
    assert card3["resumed_from_step"] == 0


@pytest.mark.slow
def test_gradient_checkpointing_trains_the_same_as_keeping_activations(chat, tmp_path):
    settings = Settings.load({"generator": str(tiny_llama(tmp_path / "tiny"))})
    examples = build_examples(chat, DataConfig(max_grounded=24, seed=2, val_share=0.4))
    write_dataset(examples, tmp_path / "d", DataConfig())
    losses: dict[bool, list[float]] = {True: [], False: []}
    for on in (True, False):
        train(
            settings,
            tmp_path / "d",
            tmp_path / f"a{on}",
            TrainConfig(steps=3, batch=2, dropout=0.0, max_len=2048, grad_checkpointing=on),
            progress=lambda step, total, loss, on=on: losses[on].append(loss),
        )
    assert len(losses[True]) == 3
    assert losses[True] == pytest.approx(losses[False], rel=1e-3), "same loss at every step"


def test_build_data_with_writer_minutes_asks_the_base_generator(fake_generator, chat):
    # one question for every sentence it is shown: it stands for the sentence it names (and is
    # kept there), the others fail their checks or lose their answer's sentence to the named one
    fake_generator.pieces = ["Which year saw the founding of hall number 10 of Rouen?"]
    config = DataConfig(max_grounded=20, writer_minutes=1.0)
    examples = build_examples(chat, config)
    written = [e for e in examples if e.id.endswith("w")]
    assert written and all(e.question == fake_generator.pieces[0] for e in written)
    assert all(e.kind == "grounded" and e.answer in e.target for e in written)
    assert fake_generator.adapters == [None], "questions come from the base model"


def test_the_evaluation_holds_one_model_in_memory_at_a_time(chat, tmp_path, monkeypatch):
    """Base model, then adapter: the base is released before the adapter's model loads (two
    0.5B models side by side took `ragchat-finetune run` past its 8 GB budget)."""
    import weakref

    from finetune.evaluate import compare
    from ragchat.generation import registry
    from tests.fakes import FakeGenerator

    loaded: list[weakref.ref] = []
    earlier_alive: list[bool] = []

    def load(settings: object, adapter: Path | None = None) -> FakeGenerator:
        earlier_alive.append(any(r() is not None for r in loaded))
        model = FakeGenerator()
        loaded.append(weakref.ref(model))
        return model

    monkeypatch.setitem(registry.GENERATORS, "counting", load)
    settings = chat.settings.replace(generator="counting:one-at-a-time")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    question = {
        "question": "In what year was the hall number 3 of Rouen founded?",
        "kind": "answerable",
        "answers": ["1013"],
        "lang": "en",
    }
    results = compare(settings, "ft", adapter, [question])
    assert results["base"]["n"]["answerable"] == results["adapter"]["n"]["answerable"] == 1
    assert len(loaded) == 2, "one load for the base model, one for the adapter"
    assert earlier_alive == [False, False], "the base model was still in memory"
    assert all(r() is None for r in loaded), "nothing stays loaded after the evaluation"


def test_an_adapter_that_does_worse_does_not_become_the_default():
    from finetune.evaluate import better_than_base

    base = {"answerable_f1": 0.40, "over_refusal": 0.05}
    assert better_than_base(
        {"base": base, "adapter": {"answerable_f1": 0.5, "over_refusal": 0.05}}
    )[0]
    worse = better_than_base({"base": base, "adapter": {"answerable_f1": 0.3, "over_refusal": 0.0}})
    assert not worse[0] and "0.30" in worse[1]
    refuses = better_than_base(
        {"base": base, "adapter": {"answerable_f1": 0.6, "over_refusal": 0.2}}
    )
    assert not refuses[0] and "20%" in refuses[1]


@pytest.mark.slow
def test_a_deadline_leaves_time_for_what_follows_training(chat, tmp_path, monkeypatch):
    """`finish_by` bounds training so that validation, calibration and saving still fit: a
    deadline already reached trains nothing (with the floor set to 0), a far one trains every
    step, and the card records the estimate next to the measured time."""
    import time

    from finetune import train as train_module

    settings = Settings.load({"generator": str(tiny_llama(tmp_path / "tiny"))})
    examples = build_examples(chat, DataConfig(max_grounded=12, seed=2, val_share=0.4))
    write_dataset(examples, tmp_path / "d", DataConfig())
    config = TrainConfig(steps=3, batch=2, max_len=2048, minutes=None)
    monkeypatch.setattr(train_module, "MIN_TRAIN_SECONDS", 0.0)
    late = train(settings, tmp_path / "d", tmp_path / "late", config, finish_by=time.time())
    assert late["steps_done"] == 0 and late["train_budget_seconds"] == 0.0
    assert late["after_training_seconds"]["estimated"] > 0
    assert late["after_training_seconds"]["measured"] > 0
    early = train(
        settings, tmp_path / "d", tmp_path / "early", config, finish_by=time.time() + 3600
    )
    assert early["steps_done"] == 3 and early["train_budget_seconds"] > 3000
    free = train(settings, tmp_path / "d", tmp_path / "free", config)
    assert (
        free["train_budget_seconds"] is None and free["after_training_seconds"]["estimated"] is None
    )


def test_validation_documents_take_a_bounded_share_of_the_questions(chat):
    def in_val(cap: int, budget: int) -> int:
        config = DataConfig(max_grounded=budget, val_share=0.5, val_grounded=cap)
        return sum(e.split == "val" for e in build_examples(chat, config) if e.kind == "grounded")

    assert in_val(1000, 24) > 5 and in_val(5, 24) == 5  # the rest of the budget trains
    assert in_val(5, 200) > 5, "questions the training documents cannot use are kept"

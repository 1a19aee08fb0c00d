"""`ragchat-finetune run --kb NAME` end to end on a tiny in-process model: data, training, the
adapter set as the KB's default, and `ragchat ask` and the Python API loading it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests import pdfgen
from tests.tiny_models import tiny_llama
from tests.unit.test_finetune import facts


@pytest.mark.slow
def test_finetune_run_makes_the_kb_default_adapter_that_ask_loads(tmp_path, monkeypatch):
    from finetune.cli import main as finetune_main
    from ingestion.cli import main as ingest_main
    from ragchat.cli import main as ragchat_main
    from ragchat.pipeline import RagChat
    from ragchat.settings import Settings

    home = tmp_path / "home"
    monkeypatch.setenv("RAGCHAT_HOME", str(home))
    monkeypatch.setenv("RAGCHAT_GENERATOR", str(tiny_llama(tmp_path / "tiny")))
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):
        pdfgen.simple(docs / f"doc{i}.pdf", facts(i), pages=1)
    runner = CliRunner()
    ingested = runner.invoke(ingest_main, ["add", str(docs), "--kb", "ft", "--json"])
    assert ingested.exit_code == 0, ingested.output

    result = runner.invoke(
        finetune_main, ["run", "--kb", "ft", "--steps", "2", "--max-len", "2048", "--no-evaluate"]
    )
    assert result.exit_code == 0, result.output
    adapter = home / "kb" / "ft" / "adapter"
    assert (adapter / "adapter_model.safetensors").is_file()
    assert (adapter / "adapter_config.json").is_file()
    card = json.loads((adapter / "training_card.json").read_text())
    assert card["config"]["steps"] == 2 and card["examples"]["train"] > 0
    assert (home / "kb" / "ft" / "adapter-data" / "card.md").is_file()

    chat = RagChat.open(Settings.load(), "ft")
    assert chat.adapter == adapter, "the KB records the adapter as its default"
    assert type(chat.generator.model).__name__.startswith("Peft"), "loaded through PEFT"

    monkeypatch.setenv("RAGCHAT_CONTEXT_TOKENS", "150")  # the tiny tokenizer is nearly per-char
    asked = runner.invoke(
        ragchat_main,
        ["ask", "When was the hall number 3 of Rouen founded?", "--kb", "ft", "--json"],
    )
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert set(answer) >= {"answer", "refused", "citations", "timings"}

    # the threshold chosen again on the validation split, stored in the card
    recalibrated = runner.invoke(finetune_main, ["calibrate", "--kb", "ft"])
    assert recalibrated.exit_code == 0, recalibrated.output
    assert "refusal threshold" in recalibrated.output
    card = json.loads((adapter / "training_card.json").read_text())
    assert card["calibration"]["probabilities"]["answerable"], "the card keeps what it measured"

    # the label-free report: held-out generated questions, base vs adapter, JSON and chart
    monkeypatch.delenv("RAGCHAT_CONTEXT_TOKENS")
    report = runner.invoke(
        finetune_main,
        [
            "evaluate",
            "--kb",
            "ft",
            "--answerable",
            "3",
            "--unanswerable",
            "2",
            "--out-of-domain",
            "2",
        ],
    )
    assert report.exit_code == 0, report.output
    saved = json.loads((adapter / "evaluation" / "report.json").read_text())
    assert saved["labelled"] is False and (adapter / "evaluation" / "report.png").is_file()
    assert saved["base"]["n"]["answerable"] >= 1 and "answerable_f1" in saved["adapter"]
    assert len(saved["examples"]) >= 1 and {"base", "adapter"} <= set(saved["examples"][0])

    # the whole run within a budget: the base model answers the report's questions before
    # training, which is bounded by what is left (the card records both times)
    budgeted = runner.invoke(
        finetune_main, ["run", "--kb", "ft", "--steps", "2", "--max-len", "2048", "--budget", "30"]
    )
    assert budgeted.exit_code == 0, budgeted.output
    card = json.loads((adapter / "training_card.json").read_text())
    assert 0 < card["train_budget_seconds"] < 30 * 60
    assert card["after_training_seconds"]["estimated"] > 0
    saved = json.loads((adapter / "evaluation" / "report.json").read_text())
    assert saved["base"]["n"] == saved["adapter"]["n"] and saved["base"]["n"]["answerable"] >= 1
    assert "whole run:" in budgeted.output

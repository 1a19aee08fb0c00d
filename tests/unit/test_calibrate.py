"""The refusal threshold (`finetune.calibrate`): chosen on the validation split's marker
probabilities, measured on a tiny model, and chosen again for a trained adapter."""

from __future__ import annotations

import json

import pytest

from finetune.calibrate import calibrate, choose_threshold
from ragchat.prompt import build_evidence_messages
from ragchat.settings import Settings
from tests.tiny_models import tiny_llama


def test_threshold_keeps_wrong_refusals_within_budget():
    answerable = [i / 100 for i in range(100)]  # marker probabilities on answerable questions
    unanswerable = [0.5 + i / 1000 for i in range(100)]  # 0.60 of them only under 0.91
    t = choose_threshold(answerable, unanswerable, max_wrong=0.08)
    assert sum(p >= t for p in answerable) <= 8
    assert sum(p >= t for p in answerable) >= 7, "the target is out of reach: the lowest allowed"
    assert sum(p >= t for p in unanswerable) < 60


def test_threshold_refuses_fewer_answerable_ones_once_the_unanswerable_target_is_met():
    """Among thresholds within the wrong-refusal budget, the highest that still refuses 60 % of
    the unanswerable questions: the generated validation questions are easier than people's, so
    the answerable ones' margin is kept rather than spent on refusing more than the target."""
    answerable = [i / 100 for i in range(100)]
    unanswerable = [0.88 + i / 1000 for i in range(100)]  # 0.920 .. 0.979 are the top 60
    t = choose_threshold(answerable, unanswerable, max_wrong=0.08, target=0.6)
    assert sum(p >= t for p in unanswerable) == 60, "exactly the target, no more"
    assert sum(p >= t for p in answerable) <= 8
    lowest = choose_threshold(answerable, unanswerable, max_wrong=0.08, target=0.0)
    assert t > lowest and sum(p >= lowest for p in unanswerable) > 60


def test_recalibrating_a_trained_adapter_stores_the_new_threshold_in_its_card(tmp_path):
    """`ragchat-finetune calibrate`: the marker measured on the adapter's validation split, the
    threshold and the probabilities written to its training card (atomically), the old one
    returned; an adapter whose training data is gone is a one-line error."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from finetune.calibrate import recalibrate
    from ragchat.errors import AdapterError
    from ragchat.generation import clear_generator_cache

    base = tiny_llama(tmp_path / "tiny")
    lora = LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    adapter = tmp_path / "adapter"
    get_peft_model(AutoModelForCausalLM.from_pretrained(base), lora).save_pretrained(adapter)
    data = tmp_path / "data"
    data.mkdir()
    msgs = build_evidence_messages("When?", [], "en")
    kinds = ("grounded", "grounded", "followup", "no_oracle", "swapped", "out_of_domain")
    rows = [{"kind": k, "messages": msgs, "target": "x"} for k in kinds]
    (data / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    card = adapter / "training_card.json"
    card.write_text(json.dumps({"data": str(data), "refusal_threshold": 0.5, "steps_done": 3}))
    settings = Settings.load({"generator": str(base)})
    try:
        result = recalibrate(settings, adapter)
    finally:
        clear_generator_cache()
    saved = json.loads(card.read_text())
    assert result["previous_threshold"] == 0.5 and saved["steps_done"] == 3
    assert saved["refusal_threshold"] == result["threshold"] == saved["calibration"]["threshold"]
    probs = saved["calibration"]["probabilities"]
    assert len(probs["answerable"]) == 3 and len(probs["unanswerable"]) == 3
    assert all(0 <= p <= 1 for p in probs["answerable"] + probs["unanswerable"])
    (data / "val.jsonl").unlink()
    with pytest.raises(AdapterError, match="validation data"):
        recalibrate(settings, adapter)
    assert json.loads(card.read_text()) == saved, "a failed calibration leaves the card alone"


def test_calibration_measures_the_first_token_on_validation_examples(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where = tiny_llama(tmp_path / "tiny")
    model, tok = AutoModelForCausalLM.from_pretrained(where), AutoTokenizer.from_pretrained(where)
    msgs = build_evidence_messages("When?", [], "en")
    rows = [{"kind": k, "messages": msgs} for k in ("grounded", "followup", "no_oracle", "swapped")]
    result = calibrate(model, tok, rows)
    assert 0 < result["threshold"] < 1
    assert result["n"] == {"answerable": 2, "unanswerable": 2}
    assert result["val_answerable_wrongly_refused"] is not None


def test_calibration_reads_at_most_max_examples_per_group(monkeypatch):
    """The rows calibration reads are the ones training's deadline budgets for: a KB with a
    large validation split (cmrc-zh: 160 examples) must not make the estimate read them all."""
    from finetune import calibrate

    monkeypatch.setattr(calibrate, "MAX_EXAMPLES", 2)
    rows = [{"kind": k, "i": i} for i in range(5) for k in ("grounded", "swapped", "followup")]
    picked = calibrate.calibration_rows(rows)
    kinds = [r["kind"] for r in picked]
    assert len(picked) == 4 and kinds.count("swapped") == 2
    assert set(kinds[:2]) <= set(calibrate.ANSWERABLE)

"""The published adapter table is computed from the run's own reports, goals judged correctly."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from tests.conftest import REPO


def _script():
    spec = importlib.util.spec_from_file_location(
        "adapter_report", REPO / "scripts" / "adapter_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_table_reads_the_reports_and_judges_each_goal(tmp_path):
    adapter = tmp_path / "kb" / "squad-en" / "adapter"
    n = {"answerable": 60, "unanswerable": 40, "out_of_domain": 40}
    base = {
        "answerable_f1": 0.40,
        "answerable_contains_gold": 0.70,
        "over_refusal": 0.02,
        "citation_validity": 0.8,
        "unanswerable_refused": 0.05,
        "out_of_domain_refused": 0.97,
        "n": n,
    }
    tuned = {
        "answerable_f1": 0.52,
        "answerable_contains_gold": 0.65,
        "over_refusal": 0.08,
        "citation_validity": 0.9,
        "unanswerable_refused": 0.30,
        "out_of_domain_refused": 0.97,
        "n": n,
    }
    _write(
        adapter / "evaluation" / "labelled.json", {"base": base, "adapter": tuned, "examples": []}
    )
    _write(
        adapter / "training_card.json",
        {
            "examples": {"train": 300},
            "steps_done": 60,
            "refusal_threshold": 0.5,
            "data_sha256": {"train": "ab"},
        },
    )
    readme, doc, files = _script().build(tmp_path, ["squad-en"])
    rows = {line.split(" | ")[0].strip("| "): line for line in readme.splitlines()}
    assert "| 0.400 | 0.520 | ≥ base + 0.10: met |" in rows["answerable F1"]
    assert "missed" in rows["answer contains gold"]  # 0.65 < 0.70
    assert "missed" in rows["unanswerable refused"] and "met" in rows["out-of-domain refused"]
    assert "60 answerable / 40 unanswerable / 40 out-of-domain" in readme
    assert "refusal threshold 0.5" in doc
    assert "results/adapter-squad-en-labelled.json" in files
    provenance = "Trained at abc1234 on a 2-core CPU."
    _, with_note, _ = _script().build(tmp_path, ["squad-en"], provenance)
    assert with_note.startswith(f"# Domain adapter results\n\n{provenance}\n\n")
    assert provenance not in doc

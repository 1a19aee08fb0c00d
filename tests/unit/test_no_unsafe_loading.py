"""No unsafe deserialisation anywhere in the product: no pickle, no torch.load without
weights_only=True, no allow_dangerous_deserialization, adapters only from safetensors."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = [
    p for d in ("ragchat", "ingestion", "finetune", "bench") for p in (REPO / d).rglob("*.py")
] + [REPO / "streamlit_app.py"]

PATTERNS = {
    "pickle": re.compile(
        r"^\s*(import pickle|from pickle|import cPickle|import dill|import joblib)", re.M
    ),
    "pickle.load": re.compile(r"\bpickle\.loads?\("),
    "allow_dangerous_deserialization": re.compile(r"allow_dangerous_deserialization"),
    "torch.load without weights_only=True": re.compile(
        r"torch\.load\((?![^)]*weights_only\s*=\s*True)"
    ),
    "numpy allow_pickle=True": re.compile(r"allow_pickle\s*=\s*True"),
    "FAISS.load_local": re.compile(r"\.load_local\("),
}


def test_sources_exist():
    assert len([p for p in SOURCES if p.exists()]) > 10


def test_no_unsafe_deserialisation_in_sources():
    found = []
    for path in SOURCES:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        for name, pattern in PATTERNS.items():
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert not found, "\n".join(found)


def test_the_grep_itself_catches_violations():
    bad = "import pickle\nx = torch.load(f)\ny = torch.load(f, weights_only=True)\nFAISS.load_local(p, allow_dangerous_deserialization=True)\n"
    hits = {name for name, p in PATTERNS.items() if p.search(bad)}
    assert hits == {
        "pickle",
        "torch.load without weights_only=True",
        "allow_dangerous_deserialization",
        "FAISS.load_local",
    }

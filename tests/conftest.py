"""Shared test setup: no network, a private data home per test, shared model caches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = REPO / "samples"
# Converted models and ONNX exports are expensive to make, so tests share one cache dir
# (RAGCHAT_MODELS_DIR); everything else lives in a fresh data home per test.
MODEL_CACHE_HOME = Path(os.environ.get("RAGCHAT_TEST_CACHE", REPO / ".cache" / "test-home"))


@pytest.fixture(autouse=True)
def _data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data home; nothing touches ~/.ragchat."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("RAGCHAT_HOME", str(home))
    monkeypatch.setenv("RAGCHAT_MODELS_DIR", str(MODEL_CACHE_HOME / "models"))
    return home


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "eval").is_dir():
        pytest.skip("../shared is not available")
    return SHARED


@pytest.fixture(scope="session")
def cached_home() -> Path:
    """A data home whose models/ cache persists across tests (and across runs)."""
    MODEL_CACHE_HOME.mkdir(parents=True, exist_ok=True)
    return MODEL_CACHE_HOME

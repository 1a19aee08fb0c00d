"""Answer generation: the Generator protocol and its backends.

    base.py      the Generator protocol and the stop-sequence cut
    registry.py  load_generator: settings.generator -> one generator per process
    local.py   HFGenerator (a transformers model in this process), the chat template, the
               refusal gate
    models.py  loading local models: packaged and local GGUFs converted once, LoRA adapters
    openai.py  OpenAIGenerator, a client for any OpenAI-compatible server
    wire.py    the OpenAI chat completions wire format, shared with `ragchat serve`

Importing this package loads no model and no torch.
"""

from ragchat.generation.base import Generator, StopCutter, cut_at_stop, first_stop
from ragchat.generation.local import (
    REFUSAL_THRESHOLDS,
    FirstTokenBan,
    HFGenerator,
    RefusalGate,
    TokenTrace,
    hf_generator,
    refusal_threshold_for,
    render_chat,
)
from ragchat.generation.models import (
    PACKAGED_GGUFS,
    base_model_identity,
    inference_dtype,
    load_adapter,
    load_causal_lm,
    resolve_generator_dir,
)
from ragchat.generation.openai import OpenAIGenerator, estimate_tokens, openai_generator
from ragchat.generation.registry import (
    GENERATORS,
    GeneratorFactory,
    clear_generator_cache,
    load_generator,
    unload_generator,
)

__all__ = [
    "GENERATORS",
    "PACKAGED_GGUFS",
    "REFUSAL_THRESHOLDS",
    "FirstTokenBan",
    "Generator",
    "GeneratorFactory",
    "HFGenerator",
    "OpenAIGenerator",
    "RefusalGate",
    "StopCutter",
    "TokenTrace",
    "base_model_identity",
    "clear_generator_cache",
    "cut_at_stop",
    "estimate_tokens",
    "first_stop",
    "hf_generator",
    "inference_dtype",
    "load_adapter",
    "load_causal_lm",
    "load_generator",
    "openai_generator",
    "refusal_threshold_for",
    "render_chat",
    "resolve_generator_dir",
    "unload_generator",
]

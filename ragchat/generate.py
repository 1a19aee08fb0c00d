"""Generators: stream an answer for chat messages. HFGenerator runs a local transformers model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from ragchat.errors import ModelError
from ragchat.settings import Settings


class Generator(Protocol):
    name: str

    def count_tokens(self, text: str) -> int: ...

    def render_prompt(self, messages: list[dict[str, str]]) -> str: ...

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int,
        temperature: float,
        stop: Sequence[str] = (),
    ) -> Iterator[str]: ...


def render_chat(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The prompt text for chat messages: the one function inference and training share."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


# Refusal-marker probability at the first answer token at or above which a model refuses. Base
# models get no gate: measured on squad-en, Qwen2.5-0.5B's marker probability barely differs
# between answerable and unanswerable questions (medians 0.29 / 0.37), so a threshold that keeps
# answerable refusals under 0.08 refuses few unanswerable ones. An adapter trained with refusal
# targets stores its own calibrated threshold in its training card.
REFUSAL_THRESHOLDS: dict[str, float] = {}


def refusal_threshold_for(generator: Any, adapter: Path | None = None) -> float | None:
    """The calibrated threshold: the adapter's own (training_card.json), else the model's."""
    if adapter is not None:
        import json

        card = Path(adapter) / "training_card.json"
        try:
            value = json.loads(card.read_text(encoding="utf-8")).get("refusal_threshold")
        except (OSError, ValueError):
            value = None
        if isinstance(value, int | float):
            return float(value)
    return REFUSAL_THRESHOLDS.get(getattr(generator, "name", ""))


class RefusalGate:
    """Decides at the first answer token whether the model refuses (see HFGenerator.stream).
    After generation, `probability` holds the marker's probability there."""

    def __init__(self, marker: str, threshold: float) -> None:
        self.marker = marker
        self.threshold = threshold
        self.probability: float | None = None

    def processor(self, tokenizer: Any, prompt_len: int) -> Any:
        from transformers import LogitsProcessor

        ids = sorted(
            {
                tokenizer(v, add_special_tokens=False)["input_ids"][0]
                for v in (self.marker, " " + self.marker)
            }
        )
        gate = self

        class _Gate(LogitsProcessor):
            def __call__(self, input_ids: Any, scores: Any) -> Any:
                if input_ids.shape[1] != prompt_len:  # only the first answer token
                    return scores
                p = float(scores[0].float().softmax(-1)[ids].sum())
                gate.probability = p
                if p >= gate.threshold:
                    keep = scores[0, ids[0]].clone()
                    scores[0, :] = float("-inf")
                    scores[0, ids[0]] = keep
                else:
                    scores[0, ids] = float("-inf")
                return scores

        return _Gate()


class HFGenerator:
    def __init__(self, model: Any, tokenizer: Any, name: str, context: int | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.context = context or int(getattr(model.config, "max_position_embeddings", 2048))
        self._lock = threading.Lock()  # one generation at a time per model

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def render_prompt(self, messages: list[dict[str, str]]) -> str:
        return render_chat(self.tokenizer, messages)

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 160,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        repetition_penalty: float = 1.1,
        refusal_gate: RefusalGate | None = None,
    ) -> Iterator[str]:
        """Stream the answer. With a `refusal_gate`, the probability of the refusal marker at
        the first answer token decides: at or over the threshold the model refuses, below it
        the marker is masked and the model answers (one forward pass, no second prompt)."""
        import torch
        from transformers import (
            LogitsProcessorList,
            StoppingCriteria,
            StoppingCriteriaList,
            TextIteratorStreamer,
        )

        prompt = self.render_prompt(messages)
        ids = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        room = self.context - max_new_tokens
        if ids.shape[1] > room:
            raise ModelError(
                f"prompt of {ids.shape[1]} tokens does not fit the model's context of"
                f" {self.context} with {max_new_tokens} new tokens; lower context_tokens"
            )
        halt = threading.Event()

        class _Halt(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> bool:
                return halt.is_set()

        streamer = TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=300
        )
        kwargs: dict[str, Any] = {
            "input_ids": ids,
            "attention_mask": torch.ones_like(ids),
            "max_new_tokens": max_new_tokens,
            "streamer": streamer,
            "repetition_penalty": repetition_penalty,
            "stopping_criteria": StoppingCriteriaList([_Halt()]),
            "logits_processor": LogitsProcessorList(
                [refusal_gate.processor(self.tokenizer, ids.shape[1])] if refusal_gate else []
            ),
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=0.9)
        else:
            kwargs.update(do_sample=False)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**kwargs)
            except BaseException as exc:  # surfaced in the consumer thread
                errors.append(exc)
                streamer.end()

        with self._lock:
            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            text = ""
            try:
                for piece in streamer:
                    if not piece:
                        continue
                    text += piece
                    cut = _first_stop(text, stop)
                    if cut is not None:
                        tail = piece[: max(0, len(piece) - (len(text) - cut))]
                        if tail:
                            yield tail
                        break
                    yield piece
            finally:
                halt.set()
                thread.join()
        if errors:
            raise ModelError(f"generation failed ({errors[0]})") from errors[0]

    def complete(self, messages: list[dict[str, str]], **kw: Any) -> str:
        return "".join(self.stream(messages, **kw))


def _first_stop(text: str, stop: Sequence[str]) -> int | None:
    found = [text.find(s) for s in stop if s and s in text]
    return min(found) if found else None


def _hf_generator(settings: Settings, adapter: Path | None) -> HFGenerator:
    from ragchat.models import base_model_identity, inference_dtype, load_causal_lm

    model, tok = load_causal_lm(settings, adapter, dtype=inference_dtype(settings))
    return HFGenerator(model, tok, base_model_identity(settings))


def _module_generator(settings: Settings, adapter: Path | None) -> Any:
    """`module:package.module:factory` — a generator of your own (any object with the
    Generator methods), e.g. a client for a model server. The factory gets (settings, adapter)."""
    import importlib

    _, module, attr = [*settings.generator.split(":", 2), "", ""][:3]
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ModelError(
            f"generator {settings.generator!r}: cannot import {module}:{attr} ({exc})"
        ) from exc
    return factory(settings, adapter)


def _openai_generator(settings: Settings, adapter: Path | None) -> Any:
    """`openai:<model>` — a client for an OpenAI-compatible server (settings.openai_base_url)."""
    from ragchat.generate_openai import openai_generator

    return openai_generator(settings, adapter)


GENERATORS: dict[str, Callable[[Settings, Path | None], Any]] = {
    "hf": _hf_generator,
    "module": _module_generator,
    "openai": _openai_generator,
}
_CACHE: dict[tuple[str, str], Any] = {}
_CACHE_LOCK = threading.Lock()


def load_generator(settings: Settings, adapter: Path | None = None) -> Any:
    """The generator for these settings, loaded once per process. `kind:name` specs pick a
    registered factory (e.g. a test fake); anything else is a transformers model."""
    kind = settings.generator.split(":", 1)[0] if ":" in settings.generator else "hf"
    factory = GENERATORS.get(kind, GENERATORS["hf"])
    key = (settings.generator, str(adapter or ""))
    if kind == "openai":  # the same model name on another server is another generator
        key = (f"{settings.generator}@{settings.openai_base_url}", key[1])
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = factory(settings, adapter)
        return _CACHE[key]

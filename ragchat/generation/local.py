"""The local generator: HFGenerator streams answers from a transformers model in this process.

Also what inference and training share about that model: the chat template (`render_chat`) and
the refusal gate, which decides at the first answer token whether the model refuses. Loading
the model (packaged GGUFs, conversion, adapters) is generation/models.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ragchat.errors import ModelError
from ragchat.generation.base import Generator, StopCutter
from ragchat.settings import Settings


def render_chat(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The prompt text for chat messages: the one function inference and training share."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


# Refusal-marker probability at the first answer token at or above which a model refuses. Base
# models get no gate: measured on squad-en, Qwen2.5-0.5B's marker probability barely differs
# between answerable and unanswerable questions (medians 0.29 / 0.37), so a threshold that keeps
# answerable refusals under 0.08 refuses few unanswerable ones. An adapter trained with refusal
# targets stores its own calibrated threshold in its training card.
REFUSAL_THRESHOLDS: dict[str, float] = {}


def refusal_threshold_for(generator: Generator, adapter: Path | None = None) -> float | None:
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


class FirstTokenBan:
    """Keeps the model from opening its answer with these words (their first token is banned at
    the first answer token only): a draft that copied the prompt's example answer is drafted
    again without it (`ragchat.pipeline`)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = tuple(words)

    def processor(self, tokenizer: Any, prompt_len: int) -> Any:
        from transformers import LogitsProcessor

        ids: set[int] = set()
        for word in self.words:
            for variant in (word, " " + word):
                tokens = tokenizer(variant, add_special_tokens=False)["input_ids"]
                if tokens and "\ufffd" not in tokenizer.decode(tokens[:1]):
                    ids.add(tokens[0])
        banned = sorted(ids)

        class _Ban(LogitsProcessor):
            def __call__(self, input_ids: Any, scores: Any) -> Any:
                if input_ids.shape[1] == prompt_len and banned:
                    scores[:, banned] = float("-inf")
                return scores

        return _Ban()


class TokenTrace:
    """Records, at each generated token, the token and its probability (after the other logits
    processors: the repetition penalty, the refusal gate). `ragchat.confidence` reads how sure the
    model was of the answer it wrote from this."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, float]] = []

    def processor(self) -> Any:
        from transformers import LogitsProcessor

        trace = self

        class _Trace(LogitsProcessor):
            def __call__(self, input_ids: Any, scores: Any) -> Any:
                p, i = scores[0].float().softmax(-1).max(-1)
                trace.steps.append((int(i), float(p)))
                return scores

        return _Trace()


class HFGenerator:
    """A transformers causal LM and its tokenizer, behind the Generator protocol."""

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
        trace: TokenTrace | None = None,
        ban: FirstTokenBan | None = None,
    ) -> Iterator[str]:
        """Stream the answer. With a `refusal_gate`, the probability of the refusal marker at
        the first answer token decides: at or over the threshold the model refuses, below it
        the marker is masked and the model answers (one forward pass, no second prompt). A
        `trace` records each generated token with its probability; `ban` keeps the answer from
        opening with its words."""
        import torch
        from transformers import (
            LogitsProcessorList,
            StoppingCriteria,
            StoppingCriteriaList,
            TextIteratorStreamer,
        )

        prompt = self.render_prompt(messages)
        ids = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        ids = ids.to(self.model.device)
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
                ([ban.processor(self.tokenizer, ids.shape[1])] if ban else [])
                + ([refusal_gate.processor(self.tokenizer, ids.shape[1])] if refusal_gate else [])
                + ([trace.processor()] if trace is not None else [])
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
            try:
                yield from StopCutter(stop).cut(streamer)
            finally:
                halt.set()
                thread.join()
        if errors:
            raise ModelError(f"generation failed ({errors[0]})") from errors[0]

    def complete(self, messages: list[dict[str, str]], **kw: Any) -> str:
        return "".join(self.stream(messages, **kw))


def hf_generator(settings: Settings, adapter: Path | None = None) -> HFGenerator:
    """The factory behind a model spec: load the model (and adapter) and wrap it."""
    from ragchat.generation.models import base_model_identity, inference_dtype, load_causal_lm

    model, tok = load_causal_lm(settings, adapter, dtype=inference_dtype(settings))
    return HFGenerator(model, tok, base_model_identity(settings))

"""Generators: stream an answer for chat messages.

`Generator` is the seam; `HFGenerator` runs a local transformers causal LM; `GENERATORS` maps a
spec prefix (`packaged:`, `module:`, ...) to a factory `(settings, adapter) -> Generator`, so
tests and plugins register a generator exactly where the real one sits.

Long prompts: if the rendered prompt does not fit the model's context minus max_new_tokens, the
middle of the last message is cut (its start and its end are kept: with
`ragchat.prompt.build_messages` that drops the lowest-ranked sources but keeps the best ones,
the question and the instructions). The system message is never cut; if it alone does not fit,
that is a ModelError.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ragchat.errors import ModelError
from ragchat.settings import Settings

Messages = list[dict[str, str]]
TAIL_TOKENS = 96  # tokens kept from the end of a truncated message (question + instructions)
STREAM_TIMEOUT = 600.0  # seconds without a new piece before the stream gives up


class Generator(Protocol):
    name: str

    def count_tokens(self, text: str) -> int: ...

    def render_prompt(self, messages: Messages) -> str: ...

    def stream(
        self,
        messages: Messages,
        *,
        max_new_tokens: int,
        temperature: float,
        stop: Sequence[str] = (),
    ) -> Iterator[str]: ...

    def complete(self, messages: Messages, **kw: Any) -> str: ...


@dataclass(frozen=True, slots=True)
class GenerationStats:
    """What the last `stream` call did (for benchmarks and tests)."""

    prompt_tokens: int
    new_tokens: int
    first_piece_seconds: float  # prompt processing + first generated piece
    seconds: float
    truncated: bool  # the prompt was cut to fit the context
    stopped: bool  # a stop string ended the stream


def render_chat(tokenizer: Any, messages: Messages) -> str:
    """The prompt text for chat messages: the one function inference and training share."""
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except Exception as exc:  # no chat template, bad roles, ...
        raise ModelError(
            f"cannot render the chat prompt ({exc}); the generator's tokenizer needs a"
            " chat_template (use an instruct/chat model)"
        ) from exc


class HFGenerator:
    """A transformers causal LM (optionally with a PEFT adapter) behind the Generator seam."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        name: str,
        context: int | None = None,
        repetition_penalty: float = 1.1,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.context = context or int(getattr(model.config, "max_position_embeddings", 2048))
        self.repetition_penalty = repetition_penalty
        self.last_stats: GenerationStats | None = None
        self._lock = threading.Lock()  # one generation at a time per model

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def render_prompt(self, messages: Messages) -> str:
        return render_chat(self.tokenizer, messages)

    def complete(self, messages: Messages, **kw: Any) -> str:
        return "".join(self.stream(messages, **kw))

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def fit_prompt(self, messages: Messages, max_new_tokens: int) -> tuple[list[int], bool]:
        """Token ids of the prompt, with the middle of the last message cut if it is too long."""
        room = self.context - max_new_tokens
        ids = self._encode(self.render_prompt(messages))
        if len(ids) <= room:
            return ids, False
        last = messages[-1]
        fixed = len(self._encode(self.render_prompt([*messages[:-1], {**last, "content": ""}])))
        content = self._encode(last["content"])
        budget = room - fixed - 8  # margin: re-tokenising at the cut may add a token or two
        if len(messages) < 2 or budget < 32:
            raise ModelError(
                f"the prompt needs {len(ids)} tokens, and without the last message still"
                f" {fixed}; the model's context is {self.context} with max_new_tokens="
                f"{max_new_tokens}. Lower max_new_tokens or context_tokens"
            )
        for _ in range(4):
            tail = min(TAIL_TOKENS, budget // 2)
            text = (
                self.tokenizer.decode(content[: budget - tail])
                + "\n…\n"
                + self.tokenizer.decode(content[len(content) - tail :])
            )
            ids = self._encode(self.render_prompt([*messages[:-1], {**last, "content": text}]))
            if len(ids) <= room:
                return ids, True
            budget -= len(ids) - room + 4
        raise ModelError(f"could not cut the prompt to {room} tokens; lower context_tokens")

    def stream(
        self,
        messages: Messages,
        *,
        max_new_tokens: int = 160,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        repetition_penalty: float | None = None,
    ) -> Iterator[str]:
        """Yield text pieces as they are generated. Greedy when temperature == 0.

        A stop string ends the stream (it is not yielded) and halts the generation thread.
        Closing the iterator early (`.close()`) halts it too.
        """
        if not messages:
            raise ModelError("no messages to answer")
        if not 0 < max_new_tokens < self.context:
            raise ModelError(
                f"max_new_tokens={max_new_tokens} must lie in 1..{self.context - 1} (context)"
            )
        import torch
        from transformers import TextIteratorStreamer

        t0 = time.perf_counter()
        ids, truncated = self.fit_prompt(messages, max_new_tokens)
        input_ids = torch.tensor([ids], dtype=torch.long)
        halt = _HaltFlag()
        streamer = TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=STREAM_TIMEOUT
        )
        kwargs = {
            "input_ids": input_ids,
            "attention_mask": torch.ones_like(input_ids),
            "generation_config": self._generation_config(
                max_new_tokens, temperature, repetition_penalty
            ),
            "streamer": streamer,
            "stopping_criteria": _stopping_criteria(halt),
        }
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**kwargs)
            except BaseException as exc:  # surfaced in the consumer thread
                errors.append(exc)
                streamer.end()

        first = 0.0
        stopped = False
        with self._lock:
            thread = threading.Thread(target=run, name="ragchat-generate", daemon=True)
            thread.start()
            try:
                for out, hit in _cut_at_stops(_pieces(streamer), tuple(s for s in stop if s)):
                    if out:
                        first = first or time.perf_counter() - t0
                        yield out
                    if hit:
                        stopped = True
                        break
            finally:
                halt.set()
                thread.join()
                self.last_stats = GenerationStats(
                    prompt_tokens=len(ids),
                    new_tokens=max(0, halt.length - len(ids)),
                    first_piece_seconds=first,
                    seconds=time.perf_counter() - t0,
                    truncated=truncated,
                    stopped=stopped,
                )
        if errors:
            raise ModelError(f"generation failed in {self.name} ({errors[0]})") from errors[0]

    def _generation_config(
        self, max_new_tokens: int, temperature: float, repetition_penalty: float | None
    ) -> Any:
        from transformers import GenerationConfig

        tok = self.tokenizer
        base = getattr(self.model, "generation_config", None)
        eos = getattr(base, "eos_token_id", None)
        eos = eos if eos is not None else tok.eos_token_id
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        args: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "repetition_penalty": repetition_penalty or self.repetition_penalty,
            "eos_token_id": eos,
            "pad_token_id": pad,
        }
        if temperature > 0:
            args.update(do_sample=True, temperature=temperature, top_p=0.9)
        else:
            args.update(do_sample=False)
        return GenerationConfig(**args)


class _HaltFlag:
    """Set by the consumer to stop generation; also records the sequence length seen."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.length = 0

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


def _stopping_criteria(halt: _HaltFlag) -> Any:
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Halt(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kw: Any) -> Any:
            halt.length = int(input_ids.shape[1])
            return torch.full((input_ids.shape[0],), halt.is_set(), dtype=torch.bool)

        def __deepcopy__(self, memo: dict[int, Any]) -> Halt:  # generate() deep-copies criteria
            return self

    return StoppingCriteriaList([Halt()])


def _pieces(streamer: Any) -> Iterator[str]:
    try:
        yield from streamer
    except queue.Empty as exc:
        raise ModelError(
            f"no text from the generator for {STREAM_TIMEOUT:.0f} s; the model is too slow for"
            " this machine (lower max_new_tokens or context_tokens)"
        ) from exc


def _cut_at_stops(pieces: Iterator[str], stop: tuple[str, ...]) -> Iterator[tuple[str, bool]]:
    """(text, stopped) pairs: text up to the first stop string, holding back any tail that
    could be the start of a stop string until the next piece decides it."""
    pending = ""
    for piece in pieces:
        pending += piece
        hits = [i for i in (pending.find(s) for s in stop) if i >= 0]
        if hits:
            yield pending[: min(hits)], True
            return
        hold = max((_overlap(pending, s) for s in stop), default=0)
        yield pending[: len(pending) - hold], False
        pending = pending[len(pending) - hold :]
    yield pending, False


def _overlap(text: str, stop: str) -> int:
    """Length of the longest end of `text` that is a proper start of `stop`."""
    for n in range(min(len(text), len(stop) - 1), 0, -1):
        if text.endswith(stop[:n]):
            return n
    return 0


# ---------------------------------------------------------------- registry
GeneratorFactory = Callable[[Settings, Path | None], Generator]


def _hf_generator(settings: Settings, adapter: Path | None = None) -> HFGenerator:
    from ragchat.models import base_model_identity, load_causal_lm

    model, tok = load_causal_lm(settings, adapter)
    name = base_model_identity(settings)
    return HFGenerator(model, tok, f"{name}+{Path(adapter).name}" if adapter else name)


def _module_generator(settings: Settings, adapter: Path | None = None) -> Generator:
    """`module:package.module:factory` — a generator of your own (any object with the
    Generator methods), e.g. a client for a model server. The factory gets (settings, adapter)."""
    import importlib

    _, module, attr = [*settings.generator.split(":", 2), "", ""][:3]
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ModelError(
            f"generator {settings.generator!r}: cannot import {module}:{attr} ({exc}); use"
            " module:package.module:factory"
        ) from exc
    return factory(settings, adapter)


# spec prefix before ":" -> factory; a spec without a registered prefix is a directory or hub id
GENERATORS: dict[str, GeneratorFactory] = {
    "packaged": _hf_generator,
    "hf": _hf_generator,
    "module": _module_generator,
}
_CACHE: dict[tuple[str, str], Generator] = {}
_CACHE_LOCK = threading.Lock()


def generator_kind(spec: str) -> str:
    """The registry key for a generator spec ("hf" for directories and hub ids)."""
    kind = spec.split(":", 1)[0] if ":" in spec else "hf"
    if kind in GENERATORS or Path(spec).expanduser().exists():
        return kind if kind in GENERATORS else "hf"
    if len(kind) > 1:  # "C:\\models\\x" is a Windows path, "foo:bar" a typo
        raise ModelError(
            f"generator {spec!r}: unknown kind {kind!r}; use one of"
            f" {', '.join(sorted(GENERATORS))}, a model directory or a Hugging Face id"
        )
    return "hf"


def load_generator(settings: Settings, adapter: Path | None = None) -> Generator:
    """The generator for these settings, loaded once per process per (generator, adapter)."""
    factory = GENERATORS[generator_kind(settings.generator)]
    key = (settings.generator, str(Path(adapter).expanduser().resolve()) if adapter else "")
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = factory(settings, adapter)
        return _CACHE[key]

"""`ragchat`: ask questions of a knowledge base from the terminal.

Arguments and the KB are checked before any model loads (a typo costs a fraction of a second),
and models load only when a command needs them.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

import ragchat.runtime_env  # noqa: F401  (sets OMP_WAIT_POLICY before anything loads torch)
from ragchat.cli_common import (
    common_options,
    fail_cleanly,
    kb_option,
    require_kb,
    require_question,
    settings_from,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ragchat")
def main() -> None:
    """Chat with your PDFs: cited answers from a local model, or a plain "not covered"."""


def _opts(fn: Any) -> Any:
    fn = click.option("--k", "top_k", type=int, default=None, help="Chunks to retrieve.")(fn)
    fn = click.option(
        "--threshold", "gate_threshold", type=float, default=None, help="Override the gate."
    )(fn)
    fn = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(fn)
    fn = click.option(
        "--batch",
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        default=None,
        help='JSONL file of {"id", "question"}: one JSON result per line.',
    )(fn)
    return kb_option(common_options(fn))


def _read_batch(path: Path) -> Iterator[tuple[Any, str]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                yield row.get("id", n), str(row["question"])
            except (ValueError, KeyError, TypeError) as exc:
                raise click.ClickException(
                    f"{path}:{n}: not a JSON object with a question ({exc})"
                ) from None


def search_json(retrieval: Any) -> dict[str, Any]:
    return {
        "hits": [
            {
                "rank": h.rank,
                "score": round(h.score, 6),
                "file": h.chunk.file,
                "page_start": h.chunk.page_start,
                "page_end": h.chunk.page_end,
                "heading_path": list(h.chunk.heading_path),
                "text": h.chunk.text,
            }
            for h in retrieval.hits
        ],
        "covered": retrieval.covered,
        "gate_score": round(retrieval.gate_score, 6),
    }


def answer_json(answer: Any) -> dict[str, Any]:
    return {
        "answer": answer.text,
        "refused": answer.refused,
        "citations": [
            {
                "n": c.n,
                "file": c.file,
                "page": c.page,
                "heading_path": list(c.heading_path),
                "quote": c.quote,
            }
            for c in answer.citations
        ],
        "gate_score": round(answer.gate_score, 6),
        "standalone_question": answer.standalone_question,
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
        "fallback": answer.fallback,
        "draft": answer.draft,
        "evidence": [
            {"n": e.n, "text": e.text, "file": e.file, "page": e.page, "score": e.score}
            for e in answer.evidence
        ],
        "checks": [
            {
                "text": c.text,
                "cited": list(c.cited),
                "supported": c.supported,
                "score": c.score,
                "reason": c.reason,
            }
            for c in answer.checks
        ],
    }


@main.command(short_help="Show the passages found for QUESTION.")
@click.argument("question", required=False)
@_opts
def search(question: str | None, **opts: Any) -> None:
    """Show the chunks retrieved for QUESTION and whether the KB covers it."""
    require_question(question, opts["batch"])
    settings = settings_from(opts, top_k=opts["top_k"], gate_threshold=opts["gate_threshold"])
    with fail_cleanly():
        require_kb(settings, opts["kb"])
        from ragchat.pipeline import RagChat

        chat = RagChat.open(settings, opts["kb"], load_generator=False)
        if opts["batch"]:
            for qid, q in _read_batch(opts["batch"]):
                click.echo(
                    json.dumps({"id": qid, **search_json(chat.search(q))}, ensure_ascii=False)
                )
            return
        assert question is not None
        result = chat.search(question)
    if opts["as_json"]:
        click.echo(json.dumps(search_json(result), ensure_ascii=False, indent=2))
        return
    state = "covered" if result.covered else "NOT covered"
    click.echo(f"gate {result.gate_score:.3f} (threshold {result.threshold:.3f}): {state}")
    for h in result.hits:
        where = f"{h.chunk.file} p.{h.chunk.page_start}"
        section = " > ".join(h.chunk.heading_path)
        click.echo(f"\n[{h.rank}] {where}  {section}  (score {h.score:.4f})")
        click.echo("    " + h.chunk.text[:400].replace("\n", "\n    "))


@main.command(short_help="Answer QUESTION with cited sources.")
@click.argument("question", required=False)
@click.option(
    "--adapter",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="LoRA adapter directory.",
)
@_opts
def ask(question: str | None, adapter: Path | None, **opts: Any) -> None:
    """Answer QUESTION from the KB with numbered sources, or say it is not covered.

    The answering model loads only when the KB covers the question.
    """
    require_question(question, opts["batch"])
    settings = settings_from(
        opts, top_k=opts["top_k"], gate_threshold=opts["gate_threshold"], adapter=adapter
    )
    with fail_cleanly():
        require_kb(settings, opts["kb"])
        from ragchat.pipeline import RagChat

        chat = RagChat.open(settings, opts["kb"], load_generator=False)
        if opts["batch"]:
            for qid, q in _read_batch(opts["batch"]):
                answer = chat.ask(q)
                click.echo(json.dumps({"id": qid, **answer_json(answer)}, ensure_ascii=False))
            return
        assert question is not None
        if opts["as_json"]:
            click.echo(json.dumps(answer_json(chat.ask(question)), ensure_ascii=False, indent=2))
            return
        _stream_answer(chat, question, ())


def _stream_answer(chat: Any, question: str, history: Any) -> Any:
    stream = chat.stream(question, history=history)
    for piece in stream:
        click.echo(piece, nl=False)
        sys.stdout.flush()
    answer = stream.answer
    click.echo("")
    if answer.refused:
        if answer.hits:
            click.echo(click.style("\nClosest passages (you may look here):", dim=True))
            for h in answer.hits[:3]:
                click.echo(click.style(f"  - {h.chunk.file} p.{h.chunk.page_start}", dim=True))
        return answer
    if answer.citations:
        click.echo("\nSources:")
        for c in answer.citations:
            section = " > ".join(c.heading_path)
            click.echo(f"  [{c.n}] {c.file}, page {c.page}" + (f" — {section}" if section else ""))
            if not answer.fallback:  # a fallback answer is the quote already
                click.echo(click.style(f"      “{c.quote}”", dim=True))
    return answer


@main.command(short_help="Chat in the terminal, with history.")
@click.option(
    "--adapter",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="LoRA adapter directory.",
)
@kb_option
@common_options
def chat(adapter: Path | None, **opts: Any) -> None:
    """Interactive chat with history (Ctrl-D to leave, /new to start over)."""
    settings = settings_from(opts, adapter=adapter)
    with fail_cleanly():
        require_kb(settings, opts["kb"])
        from ragchat.pipeline import RagChat

        rag = RagChat.open(settings, opts["kb"])
        history: list[tuple[str, str]] = []
        click.echo(
            f"ragchat on KB {opts['kb']!r}. Ask a question; /new clears history; Ctrl-D quits."
        )
        while True:
            try:
                question = click.prompt("you", prompt_suffix="> ").strip()
            except (EOFError, click.Abort):
                click.echo("")
                return
            if question == "/new":
                history.clear()
                click.echo("history cleared: the next question starts a new conversation")
                continue
            if not question:
                continue
            click.echo("ragchat> ", nl=False)
            answer = _stream_answer(rag, question, history)
            history.append((question, answer.text))


@main.command(short_help="Fit the KB's coverage gate.")
@click.option(
    "--questions",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    required=True,
    help="JSONL with question, lang and kind (answerable / out_of_domain).",
)
@click.option("--max-per-kind", type=int, default=300, show_default=True)
@kb_option
@common_options
def calibrate(questions: Path, max_per_kind: int, **opts: Any) -> None:
    """Calibrate the KB's coverage gate per language and store it in the KB."""
    settings = settings_from(opts)
    with fail_cleanly():
        require_kb(settings, opts["kb"])
        from ragchat.calibrate import calibrate_kb
        from ragchat.pipeline import RagChat

        rag = RagChat.open(settings, opts["kb"], load_generator=False)
        result = calibrate_kb(rag, questions, max_per_kind=max_per_kind)
    click.echo(json.dumps(result, indent=2))


@main.command(short_help="Serve the model over an OpenAI-style API.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port (0 = any free one).")
@click.option(
    "--api-key",
    envvar="RAGCHAT_SERVE_API_KEY",
    default=None,
    help="Require Authorization: Bearer KEY (env RAGCHAT_SERVE_API_KEY).",
)
@click.option(
    "--model-name", default=None, help="Model id clients send (default: the generator's name)."
)
@click.option(
    "--adapter",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="LoRA adapter directory.",
)
@common_options
def serve(
    host: str,
    port: int,
    api_key: str | None,
    model_name: str | None,
    adapter: Path | None,
    **opts: Any,
) -> None:
    """Serve the local generator over an OpenAI-compatible API (/v1/chat/completions)."""
    from ragchat.generation import load_generator
    from ragchat.serve import make_server

    settings = settings_from(opts, adapter=adapter)
    with fail_cleanly():
        generator = load_generator(settings, settings.adapter)
        server = make_server(
            generator, host=host, port=port, model_name=model_name, api_key=api_key or ""
        )
    if host not in {"127.0.0.1", "localhost", "::1"} and not api_key:
        click.echo(f"warning: listening on {host} without --api-key", err=True)
    click.echo(f"serving model {server.model_name!r} at {server.url} (Ctrl-C stops)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command("prepare-models", short_help="Convert the packaged model once.")
@common_options
def prepare_models(**opts: Any) -> None:
    """Convert the configured GGUF generator (the packaged one by default) to the cached
    safetensors copy it loads from.

    Done once (set-up runs it); later runs only check. Other generators need nothing.
    """
    from ragchat.embedder import resolve_embedder_path
    from ragchat.settings import PACKAGED_EMBEDDER

    settings = settings_from(opts)
    with fail_cleanly():
        if settings.embedder == PACKAGED_EMBEDDER:
            click.echo(f"embedder: packaged, {resolve_embedder_path(settings.embedder)}")
        target = _conversion_target(settings)
        if target is None:
            click.echo(f"generator: {settings.generator} (nothing to convert)")
            return
        if (target / "model.safetensors").is_file():
            click.echo(f"generator: ready, {target}")
            return
        click.echo(
            f"generator: converting {settings.generator} from GGUF to safetensors in {target}"
            " (once; about a minute)..."
        )
        sys.stdout.flush()
        t0 = time.perf_counter()
        from ragchat.generation.models import resolve_generator_dir

        resolve_generator_dir(settings)
    click.echo(f"generator: ready after {time.perf_counter() - t0:.0f} s, {target}")


def _conversion_target(settings: Any) -> Path | None:
    """Where the configured generator's converted copy lives, or None if it needs none."""
    from ragchat.generation.models import PACKAGED_GGUFS, check_gguf, gguf_cache_name

    generators = settings.model_cache / "generators"
    spec = settings.generator
    if spec in PACKAGED_GGUFS:
        return generators / PACKAGED_GGUFS[spec].name
    if spec.lower().endswith(".gguf"):
        return generators / gguf_cache_name(check_gguf(Path(spec).expanduser()))
    return None


if __name__ == "__main__":
    main()

"""`ragchat-finetune`: retrain a domain adapter from a knowledge base."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

import ragchat.runtime_env  # noqa: F401  (sets OMP_WAIT_POLICY before anything loads torch)
from ragchat.cli_common import common_options, fail_cleanly, kb_option, require_kb, settings_from


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Build training data from a KB, train a LoRA adapter, and measure it against the base."""


def _chat(opts: dict[str, Any], **extra: Any) -> Any:
    from ragchat.pipeline import RagChat

    settings = settings_from(opts, **extra)
    with fail_cleanly():
        require_kb(settings, opts["kb"])  # before any model loads
    return settings, RagChat.open(settings, opts["kb"], load_generator=False)


@main.command("build-data", short_help="Make training data from a KB.")
@kb_option
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@click.option("--max-examples", type=int, default=360, show_default=True, help="Grounded examples.")
@click.option("--seed", type=int, default=0, show_default=True)
@common_options
def build_data(out: Path, max_examples: int, seed: int, **opts: Any) -> None:
    """Generate grounded, no-oracle and out-of-domain examples from the KB alone."""
    card = _build(opts, out, max_examples, seed)
    click.echo(json.dumps(card["counts"], indent=2))


def _build(opts: dict[str, Any], out: Path, max_examples: int, seed: int) -> dict[str, Any]:
    from tqdm import tqdm

    from finetune.data import DataConfig, build_examples, write_dataset

    with fail_cleanly():
        _, chat = _chat(opts)
        config = DataConfig(max_grounded=max_examples, seed=seed)
        bar = tqdm(desc="chunks", unit="chunk", file=sys.stderr)

        def step(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        examples = build_examples(chat, config, progress=step)
        bar.close()
        return write_dataset(examples, out, config)


@main.command(short_help="Train a LoRA adapter.")
@click.option(
    "--data", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Adapter directory.")
@click.option("--steps", type=int, default=None, help="Optimizer steps (default 110).")
@click.option("--max-len", type=int, default=None, help="Longest example in tokens (default 640).")
@click.option("--no-resume", is_flag=True, help="Ignore an existing checkpoint.")
@common_options
def train(
    data: Path, out: Path, steps: int | None, max_len: int | None, no_resume: bool, **opts: Any
) -> None:
    """Train a LoRA adapter (PEFT) on the cached base model; resumes from checkpoints."""
    card = _train(opts, data, out, steps, not no_resume, max_len)
    click.echo(json.dumps(card["metrics"], indent=2))


def _train(
    opts: dict[str, Any],
    data: Path,
    out: Path,
    steps: int | None,
    resume: bool,
    max_len: int | None = None,
) -> dict[str, Any]:
    import dataclasses

    from tqdm import tqdm

    from finetune.train import TrainConfig, train

    config = TrainConfig()
    if steps is not None:
        config = dataclasses.replace(config, steps=steps)
    if max_len is not None:
        config = dataclasses.replace(config, max_len=max_len)
    settings = settings_from(opts)
    bar = tqdm(total=config.steps, desc="train", unit="step", file=sys.stderr)

    def step(done: int, total: int, loss: float) -> None:
        bar.n = done
        bar.set_postfix(loss=f"{loss:.3f}")
        bar.refresh()

    with fail_cleanly():
        card = train(settings, data, out, config, resume=resume, progress=step)
    bar.close()
    return card


@main.command(short_help="Compare the adapter with the base model.")
@click.option(
    "--adapter", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True
)
@click.option(
    "--questions", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True
)
@click.option("--answerable", type=int, default=80, show_default=True)
@click.option("--unanswerable", type=int, default=50, show_default=True)
@click.option("--out-of-domain", "ood", type=int, default=50, show_default=True)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Write JSON and PNG here."
)
@kb_option
@common_options
def evaluate(
    adapter: Path,
    questions: Path,
    answerable: int,
    unanswerable: int,
    ood: int,
    out: Path | None,
    **opts: Any,
) -> None:
    """Answer the same questions with the base model and with the adapter; compare."""
    _evaluate(
        opts,
        adapter,
        questions,
        {"answerable": answerable, "unanswerable": unanswerable, "out_of_domain": ood},
        out,
    )


def _evaluate(
    opts: dict[str, Any], adapter: Path, questions: Path, n: dict[str, int], out: Path | None
) -> dict[str, Any]:
    from tqdm import tqdm

    from finetune.evaluate import chart, compare, sample_questions, table

    settings = settings_from(opts)
    with fail_cleanly():
        require_kb(settings, opts["kb"])  # before any model loads
    qs = sample_questions(questions, n)
    bar = tqdm(total=2 * len(qs), desc="evaluate", unit="q", file=sys.stderr)
    with fail_cleanly():
        results = compare(settings, opts["kb"], adapter, qs, progress=bar.update)
    bar.close()
    out = out or adapter / "evaluation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(results, indent=2))
    chart(results, out / "evaluation.png")
    click.echo(json.dumps(results))
    click.echo(table(results))
    return results


@main.command(short_help="build-data + train (+ evaluate), set default.")
@kb_option
@click.option(
    "--questions",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Labelled questions for the evaluation (optional).",
)
@click.option("--steps", type=int, default=None, help="Optimizer steps (default 110).")
@click.option("--max-len", type=int, default=None, help="Longest example in tokens (default 640).")
@common_options
def run(questions: Path | None, steps: int | None, max_len: int | None, **opts: Any) -> None:
    """build-data, train and (with --questions) evaluate; then make the adapter the KB's default."""
    _, chat = _chat(opts)
    root = chat.kb.root
    _build(opts, root / "adapter-data", 360, 0)
    _train(opts, root / "adapter-data", root / "adapter", steps, True, max_len)
    chat.kb.update_manifest(default_adapter=str(root / "adapter"))
    click.echo(
        f"adapter saved to {root / 'adapter'} and set as the default for KB {chat.kb.name!r}"
    )
    if questions:
        _evaluate(
            opts,
            root / "adapter",
            questions,
            {"answerable": 80, "unanswerable": 50, "out_of_domain": 50},
            None,
        )


if __name__ == "__main__":
    main()

"""`ragchat-finetune`: retrain a domain adapter from a knowledge base."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

import ragchat.runtime_env  # noqa: F401  (sets OMP_WAIT_POLICY before anything loads torch)
from ragchat.cli_common import (
    common_options,
    fail_cleanly,
    kb_adapter_option,
    kb_option,
    require_kb,
    settings_from,
)
from ragchat.runtime_env import release_freed_memory


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
@click.option("--max-examples", type=int, default=420, show_default=True, help="Grounded examples.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--writer-minutes", type=float, default=0.0, show_default=True,
              help="Also let the generator write questions for this long.")  # fmt: skip
@common_options
def build_data(out: Path, max_examples: int, seed: int, writer_minutes: float, **opts: Any) -> None:
    """Generate grounded, no-oracle and out-of-domain examples from the KB alone."""
    card = _build(opts, out, max_examples, seed, writer_minutes)
    click.echo(json.dumps(card["counts"], indent=2))


def _build(
    opts: dict[str, Any], out: Path, max_examples: int, seed: int, writer_minutes: float = 0.0
) -> dict[str, Any]:
    from tqdm import tqdm

    from finetune.card import write_dataset
    from finetune.data import DataConfig, build_examples

    with fail_cleanly():
        _, chat = _chat(opts)
        config = DataConfig(max_grounded=max_examples, seed=seed, writer_minutes=writer_minutes)
        bar = tqdm(desc="questions", unit="q", file=sys.stderr)

        def step(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        examples = build_examples(chat, config, progress=step)
        bar.close()
        pages = {f.doc_id: (f.name, f.pages) for f in chat.kb.files()}
        return write_dataset(examples, out, config, pages)


@main.command(short_help="Train a LoRA adapter.")
@click.option(
    "--data", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Adapter directory.")
@click.option("--steps", type=int, default=None, help="Most optimizer steps (default 100).")
@click.option("--minutes", type=float, default=None, help="Most training minutes (default 18).")
@click.option("--max-len", type=int, default=None, help="Longest example in tokens (default 512).")
@click.option("--no-resume", is_flag=True, help="Ignore an existing checkpoint.")
@common_options
def train(
    data: Path,
    out: Path,
    steps: int | None,
    minutes: float | None,
    max_len: int | None,
    no_resume: bool,
    **opts: Any,
) -> None:
    """Train a LoRA adapter (PEFT) on the cached base model; resumes from checkpoints."""
    card = _train(opts, data, out, steps, not no_resume, max_len, minutes)
    click.echo(json.dumps(card["metrics"], indent=2))


def _train(
    opts: dict[str, Any],
    data: Path,
    out: Path,
    steps: int | None,
    resume: bool,
    max_len: int | None = None,
    minutes: float | None = None,
    finish_by: float | None = None,
) -> dict[str, Any]:
    import dataclasses

    from tqdm import tqdm

    from finetune.train import TrainConfig, train

    config = TrainConfig()
    if steps is not None:
        config = dataclasses.replace(config, steps=steps)
    if max_len is not None:
        config = dataclasses.replace(config, max_len=max_len)
    if minutes is not None:
        config = dataclasses.replace(config, minutes=minutes if minutes > 0 else None)
    settings = settings_from(opts)
    bar = tqdm(total=config.steps, desc="train", unit="step", file=sys.stderr)

    def step(done: int, total: int, loss: float) -> None:
        bar.total = total  # the minutes budget may end the run before `steps`
        bar.n = done
        bar.set_postfix(loss=f"{loss:.3f}")
        bar.refresh()

    with fail_cleanly():
        card = train(settings, data, out, config, resume=resume, progress=step, finish_by=finish_by)
    bar.close()
    return card


@main.command(short_help="Compare the adapter with the base model.")
@kb_option
@kb_adapter_option
@click.option(
    "--questions",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Labelled questions (JSON lines). Without: held-out generated questions, no labels.",
)
@click.option("--answerable", type=int, default=None, help="[default: 80 labelled, 30 held-out]")
@click.option("--unanswerable", type=int, default=None, help="[default: 50 / 15]")
@click.option(
    "--out-of-domain",
    "ood",
    type=int,
    default=None,
    help="[default: 50 / 15] A count over what the set holds takes all of that kind.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Write JSON and PNG here."
)
@common_options
def evaluate(
    adapter: Path | None,
    questions: Path | None,
    answerable: int | None,
    unanswerable: int | None,
    ood: int | None,
    out: Path | None,
    **opts: Any,
) -> None:
    """Answer the same questions with the base model and with the adapter; compare.

    Without --questions, the questions are generated from documents the adapter never trained
    on (the validation split of its training data) plus held-out out-of-domain ones."""
    defaults = (80, 50, 50) if questions else (30, 15, 15)
    n = {
        "answerable": defaults[0] if answerable is None else answerable,
        "unanswerable": defaults[1] if unanswerable is None else unanswerable,
        "out_of_domain": defaults[2] if ood is None else ood,
    }
    _evaluate(opts, adapter, questions, n, out)


@main.command(short_help="Choose the adapter's refusal threshold again.")
@kb_option
@kb_adapter_option
@common_options
def calibrate(adapter: Path | None, **opts: Any) -> None:
    """Measure the refusal marker on the adapter's validation examples and store the threshold
    the present rule chooses in its training card (no retraining)."""
    from finetune.calibrate import recalibrate

    settings = settings_from(opts)
    with fail_cleanly():
        require_kb(settings, opts["kb"])
        adapter = adapter or _kb_adapter(settings, opts["kb"])
        r = recalibrate(settings, adapter)
    shares = f"{r['val_answerable_wrongly_refused']} / {r['val_unanswerable_refused']}"
    click.echo(
        f"refusal threshold {r['previous_threshold']} -> {r['threshold']} (validation: "
        f"answerable / unanswerable refused {shares}; n={r['n']})"
    )


def _evaluate(
    opts: dict[str, Any],
    adapter: Path | None,
    questions: Path | None,
    n: dict[str, int],
    out: Path | None,
) -> dict[str, Any]:
    settings = settings_from(opts)
    with fail_cleanly():
        require_kb(settings, opts["kb"])  # before any model loads
        adapter = adapter or _kb_adapter(settings, opts["kb"])
        qs, source = _questions(questions, n, _training_data(adapter), adapter)
    results = _compare(settings, opts["kb"], adapter, qs)
    return _report(opts["kb"], results, source, bool(questions), out or adapter / "evaluation")


def _questions(
    questions: Path | None, n: dict[str, int], data: Path | None, adapter: Path
) -> tuple[list[dict[str, Any]], str]:
    """The questions to compare on and where they come from."""
    from finetune.evaluate import held_out_questions, sample_questions

    if questions:
        return sample_questions(questions, n), str(questions)
    if data is None:
        from ragchat.errors import AdapterError

        raise AdapterError(
            f"{adapter}: its training data is gone, so there are no held-out questions;"
            " pass --questions FILE"
        )
    return held_out_questions(data, n), "held-out generated questions"


def _compare(
    settings: Any,
    kb: str,
    adapter: Path | None,
    qs: list[dict[str, Any]],
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Both models' answers (with `adapter` None: the base model's scores alone)."""
    from tqdm import tqdm

    from finetune.evaluate import compare, score_model

    total = (1 if base is not None or adapter is None else 2) * len(qs)
    bar = tqdm(total=total, desc="evaluate", unit="q", file=sys.stderr)
    with fail_cleanly():
        if adapter is None:
            results = score_model(settings, kb, None, qs, progress=bar.update)
        else:
            results = compare(settings, kb, adapter, qs, progress=bar.update, base=base)
    bar.close()
    return results


def _report(
    kb: str, results: dict[str, Any], source: str, labelled: bool, out: Path
) -> dict[str, Any]:
    """Write the comparison as JSON and a PNG chart in `out`, and print its table."""
    from finetune.evaluate import chart, table

    results["questions"] = source
    results["labelled"] = labelled
    out.mkdir(parents=True, exist_ok=True)
    name = "labelled" if labelled else "report"
    tmp = out / f".{name}.json.tmp"
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out / f"{name}.json")
    chart(results, out / f"{name}.png", title=f"{kb}: {source}")
    click.echo(table(results))
    click.echo(f"report: {out / (name + '.json')}, chart: {out / (name + '.png')}")
    return results


def _kb_adapter(settings: Any, name: str) -> Path:
    from ragchat.errors import AdapterError
    from ragchat.kb import open_kb

    kb = open_kb(settings, name)
    try:
        default = kb.manifest.default_adapter
    finally:
        kb.close()
    if not default or not Path(default).is_dir():
        raise AdapterError(
            f"KB {name!r} has no adapter: train one with `ragchat-finetune run --kb {name}`"
        )
    return Path(default)


def _training_data(adapter: Path) -> Path | None:
    card = adapter / "training_card.json"
    try:
        data = Path(json.loads(card.read_text(encoding="utf-8"))["data"])
    except (OSError, ValueError, KeyError):
        return None
    return data if (data / "val.jsonl").is_file() else None


@main.command(short_help="build-data + train + evaluate, set default.")
@kb_option
@click.option(
    "--questions",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Labelled questions for the evaluation (default: held-out generated ones).",
)
@click.option(
    "--budget",
    type=float,
    default=30.0,
    show_default=True,
    help="Minutes for the whole run: training gets what building the data and the report leave"
    " (0 = no limit; training then stops after --minutes, default 18).",
)
@click.option("--steps", type=int, default=None, help="Most optimizer steps (default 100).")
@click.option(
    "--minutes", type=float, default=None, help="Most training minutes [default: see --budget]"
)
@click.option("--max-len", type=int, default=None, help="Longest example in tokens (default 512).")
@click.option("--no-evaluate", is_flag=True, help="Skip the base-vs-adapter report.")
@click.option("--writer-minutes", type=float, default=0.0, help="See build-data.")
@common_options
def run(
    questions: Path | None,
    budget: float,
    steps: int | None,
    minutes: float | None,
    max_len: int | None,
    no_evaluate: bool,
    writer_minutes: float,
    **opts: Any,
) -> None:
    """build-data, train and evaluate; then make the adapter the KB's default if it did no
    worse than the base model (always, with --no-evaluate).

    Within --budget, the base model answers the report's questions before training, and the
    time that took is kept back for the adapter's answers after it."""
    import time

    from finetune.evaluate import better_than_base

    start = time.time()
    settings, chat = _chat(opts)
    root = chat.kb.root
    data, adapter = root / "adapter-data", root / "adapter"
    _build(opts, data, 420, 0, writer_minutes)
    finish_by = start + budget * 60 if budget > 0 else None
    qs, source, base = [], "", None
    if not no_evaluate:
        n = {"answerable": 30, "unanswerable": 15, "out_of_domain": 15}
        if questions:
            n = {"answerable": 80, "unanswerable": 50, "out_of_domain": 50}
        with fail_cleanly():
            qs, source = _questions(questions, n, data, adapter)
        t = time.time()
        base = _compare(settings, opts["kb"], None, qs)
        release_freed_memory()  # the base model's pages, before training loads its own copy
        if finish_by is not None:  # the adapter answers the same questions, a little slower
            finish_by -= REPORT_MARGIN * (time.time() - t)
    if finish_by is not None and minutes is None:
        minutes = 0.0  # no cap of its own: training takes what the budget leaves
        if (left := (finish_by - time.time()) / 60) < 5:
            click.echo(
                f"the {budget:g}-minute budget leaves {max(left, 0):.0f} min for training and"
                " calibration; raise --budget for a better adapter",
                err=True,
            )
    _train(opts, data, adapter, steps, True, max_len, minutes, finish_by)
    release_freed_memory()  # free the training copy of the model before the evaluation loads one
    click.echo(f"adapter saved to {adapter}")
    verdict = None
    if not no_evaluate:
        results = _compare(settings, opts["kb"], adapter, qs, base=base)
        verdict = better_than_base(
            _report(opts["kb"], results, source, bool(questions), adapter / "evaluation")
        )
    click.echo(f"whole run: {(time.time() - start) / 60:.1f} min")
    if verdict is None or verdict[0]:
        chat.kb.update_manifest(default_adapter=str(adapter))
        click.echo(f"set as the default for KB {chat.kb.name!r}")
    else:
        click.echo(
            f"not set as the default for KB {chat.kb.name!r}: {verdict[1]}. Use it with"
            f" --adapter {adapter} to try it anyway"
        )


# the adapter's half of the report takes about this much longer than the base model's (LoRA)
REPORT_MARGIN = 1.15


if __name__ == "__main__":
    main()

"""`ragchat-ingest`: build and maintain knowledge bases from folders of PDFs.

Arguments and the KB are checked before any model loads, and the embedder loads only when a
file needs embedding: a re-ingest of an unchanged folder takes a second, not a model load.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

import ragchat.runtime_env  # noqa: F401  (sets OMP_WAIT_POLICY before anything loads torch)
from ragchat.cli_common import (
    common_options,
    fail_cleanly,
    kb_option,
    open_kb,
    open_or_create_kb,
    settings_from,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ragchat")
def main() -> None:
    """Turn folders of PDFs into knowledge bases that ragchat can answer from."""


def _run_ingest(ctx_opts: dict[str, Any], paths: tuple[Path, ...], sync_root: Path | None) -> None:
    settings = settings_from(ctx_opts)
    as_json = ctx_opts["as_json"]
    missing = [p for p in paths if not p.expanduser().exists()]
    if len(missing) == len(paths):  # nothing to read: say so before touching a KB or a model
        _report_missing(ctx_opts["kb"], missing, as_json)
    from ingestion.index import Ingestor

    def load() -> Any:
        from ragchat.embedder import load_embedder

        return load_embedder(settings)

    bar = None if as_json else _Bar()
    try:
        with fail_cleanly():
            kb, created = open_or_create_kb(settings, ctx_opts["kb"], load)
            report = Ingestor(kb, settings, embedder_loader=load).ingest(
                list(paths),
                sync_root=sync_root,
                password=ctx_opts.get("password"),
                progress=bar.update if bar else None,
            )
    finally:
        if bar:
            bar.close()
    if as_json:
        click.echo(json.dumps({**report.summary(), "created": created}, ensure_ascii=False))
    else:
        for failure in report.failed:
            click.echo(f"error: {failure.file}: {failure.error}", err=True)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(
            f"{report.kb}: {len(report.added)} added, {len(report.updated)} updated,"
            f" {len(report.unchanged)} unchanged, {len(report.removed)} removed,"
            f" {len(report.failed)} failed; {report.chunks_total} chunks in the KB"
            f" ({report.chunks_embedded} embedded now, {report.chunks_truncated} truncated)"
            f" in {report.seconds:.1f} s"
        )
    if report.failed:
        sys.exit(1)


def _report_missing(kb: str, missing: list[Path], as_json: bool) -> None:
    """Every path is missing: one line each (or the JSON summary), exit 1, no KB created."""
    if as_json:
        from ingestion.index import FileFailure, IngestReport

        failed = tuple(FileFailure(str(p.expanduser()), "no such file or folder") for p in missing)
        click.echo(json.dumps({**IngestReport(kb=kb, failed=failed).summary(), "created": False}))
    else:
        for p in missing:
            click.echo(f"error: {p}: no such file or folder", err=True)
    sys.exit(1)


@main.command(short_help="Add PDFs (files or folders) to a KB.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@kb_option
@click.option("--password", envvar="RAGCHAT_PDF_PASSWORD", help="Password for encrypted PDFs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary instead of a bar.")
@common_options
def add(paths: tuple[Path, ...], **opts: Any) -> None:
    """Add PDFs (files or folders, recursive) to a KB; changed files are updated.

    The KB is created if it does not exist (said on stderr). Unchanged files are skipped
    without loading the embedder.
    """
    _run_ingest(opts, paths, None)


@main.command(short_help="Make a KB mirror a folder.")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@kb_option
@click.option("--password", envvar="RAGCHAT_PDF_PASSWORD", help="Password for encrypted PDFs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary instead of a bar.")
@common_options
def sync(folder: Path, **opts: Any) -> None:
    """Make the KB mirror FOLDER: add new, update changed, remove deleted files."""
    _run_ingest(opts, (folder,), folder)


@main.command(short_help="Remove files from a KB.")
@click.argument("files", nargs=-1, required=True)
@kb_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def remove(files: tuple[str, ...], **opts: Any) -> None:
    """Remove files (by path or file name) from a KB."""
    from ingestion.index import remove_files

    settings = settings_from(opts)
    with fail_cleanly():
        kb = open_kb(settings, opts["kb"])
        removed, missing = remove_files(kb, files)
    if opts["as_json"]:
        click.echo(
            json.dumps({"kb": kb.name, "removed": removed, "failed": [m.__dict__ for m in missing]})
        )
    else:
        for path in removed:
            click.echo(f"removed {path}")
        for m in missing:
            click.echo(f"error: {m.file}: {m.error}", err=True)
    if missing:
        sys.exit(1)


@main.command(name="list", short_help="List the knowledge bases.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def list_(**opts: Any) -> None:
    """List the knowledge bases in the data home."""
    from ragchat.kb import describe_store, list_kbs

    settings = settings_from(opts)
    rows = []
    with fail_cleanly():
        for name in list_kbs(settings):
            st = open_kb(settings, name).stats()
            rows.append({"kb": name, "files": st.files, "pages": st.pages, "chunks": st.chunks})
    if opts["as_json"]:
        click.echo(json.dumps(rows))
    elif not rows:
        click.echo(f"no knowledge bases in {describe_store(settings)}")
    else:
        for r in rows:
            click.echo(
                f"{r['kb']:<24} {r['files']:>5} files {r['pages']:>7} pages {r['chunks']:>8} chunks"
            )


@main.command(short_help="Show a KB's files, pages and problems.")
@kb_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def stats(**opts: Any) -> None:
    """Show a KB's files, pages, chunks and problems."""
    settings = settings_from(opts)
    with fail_cleanly():
        kb = open_kb(settings, opts["kb"])
        st = kb.stats()
        files = kb.files()
    data = {
        "kb": st.name,
        "files": st.files,
        "pages": st.pages,
        "chunks": st.chunks,
        "embedder": st.embedder,
        "dim": st.dim,
        "generation": st.generation,
        "bytes_on_disk": st.bytes_on_disk,
        "gate": kb.manifest.gate,
        "default_adapter": kb.manifest.default_adapter,
        "documents": [
            {
                "file": f.name,
                "path": f.path,
                "pages": f.pages,
                "chunks": f.chunks,
                "ingested_at": time.strftime("%Y-%m-%d %H:%M", time.localtime(f.ingested_at)),
                "warnings": list(f.warnings),
            }
            for f in files
        ],
    }
    if opts["as_json"]:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{st.name}: {st.files} files, {st.pages} pages, {st.chunks} chunks;"
        f" embedder {st.embedder} ({st.dim} dims); {st.bytes_on_disk / 1e6:.1f} MB on disk"
    )
    for d in data["documents"]:
        problems = f"  [{len(d['warnings'])} warnings]" if d["warnings"] else ""
        click.echo(
            f"  {d['file']:<40} {d['pages']:>5} pages {d['chunks']:>6} chunks  {d['ingested_at']}{problems}"
        )


@main.command(short_help="Delete a knowledge base.")
@click.option("--kb", required=True, help="The knowledge base to delete.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@common_options
def drop(kb: str, yes: bool, **opts: Any) -> None:
    """Delete the knowledge base KB with everything in it (asks first; --yes skips)."""
    from ragchat.kb import delete_kb

    settings = settings_from(opts)
    with fail_cleanly():
        store = open_kb(settings, kb)  # one line naming the KB and the existing ones if missing
        st = store.stats()
        store.close()
    if not yes:
        click.confirm(
            f"Delete knowledge base {kb!r} ({st.files} files, {st.chunks} chunks)?"
            " This cannot be undone",
            abort=True,
            err=True,
        )
    with fail_cleanly():
        delete_kb(settings, kb)
    click.echo(f"deleted knowledge base {kb!r}")


def progress_text(p: Any) -> str:
    """What the bar says about the file in flight: "file 2 of 3 b.pdf: parse, page 4 of 12"."""
    done = p.files_done if p.stage in {"commit", "skip", "fail"} else p.files_done + 1
    text = f"file {min(max(done, 1), p.files_total)} of {p.files_total} {p.file[:40]}: {p.stage}"
    if p.stage == "skip":
        return f"{text} (unchanged)"
    if p.pages_total:
        text += f", page {p.pages} of {p.pages_total}"
    elif p.pages:
        text += f", page {p.pages}"
    if p.chunks:
        text += f", {p.chunks} chunks" + (" embedded" if p.stage == "embed" else "")
    return text


class _Bar:
    """A tqdm bar over files; the text names the file in flight and its page (per file).

    The bar appears with the first file, so an error before any file leaves no stray bar."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.t0 = time.perf_counter()
        self.pages = 0

    def update(self, p: Any) -> None:
        if self.bar is None:
            if not p.files_total:
                return
            from tqdm import tqdm

            self.bar = tqdm(total=p.files_total, unit="file", dynamic_ncols=True, file=sys.stderr)
        if self.bar.total != p.files_total:
            self.bar.total = p.files_total
        if p.stage == "commit":
            self.pages += p.pages
        if p.stage in {"commit", "skip", "fail"}:
            self.bar.update(1)
        rate = self.pages / max(time.perf_counter() - self.t0, 1e-6)
        tail = f" | {rate:.1f} pages/s" if self.pages else ""
        self.bar.set_postfix_str(progress_text(p) + tail, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


if __name__ == "__main__":
    main()

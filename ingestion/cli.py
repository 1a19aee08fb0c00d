"""`ragchat-ingest`: build and maintain knowledge bases from folders of PDFs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from ragchat.cli_common import common_options, fail_cleanly, kb_option, open_kb, settings_from


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ragchat")
def main() -> None:
    """Turn folders of PDFs into knowledge bases that ragchat can answer from."""


def _run_ingest(ctx_opts: dict[str, Any], paths: tuple[Path, ...], sync_root: Path | None) -> None:
    from ingestion.index import Ingestor
    from ragchat.embedder import load_embedder

    settings = settings_from(ctx_opts)
    as_json = ctx_opts["as_json"]
    with fail_cleanly():
        embedder = load_embedder(settings)
        kb = open_kb(settings, ctx_opts["kb"], embedder=embedder, create=True)
        bar = None if as_json else _Bar()
        report = Ingestor(kb, settings, embedder).ingest(
            list(paths),
            sync_root=sync_root,
            password=ctx_opts.get("password"),
            progress=bar.update if bar else None,
        )
        if bar:
            bar.close()
    if as_json:
        click.echo(json.dumps(report.summary(), ensure_ascii=False))
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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@kb_option
@click.option("--password", envvar="RAGCHAT_PDF_PASSWORD", help="Password for encrypted PDFs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary instead of a bar.")
@common_options
def add(paths: tuple[Path, ...], **opts: Any) -> None:
    """Add PDFs (files or folders, recursive) to a KB; changed files are updated."""
    _run_ingest(opts, paths, None)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@kb_option
@click.option("--password", envvar="RAGCHAT_PDF_PASSWORD", help="Password for encrypted PDFs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary instead of a bar.")
@common_options
def sync(folder: Path, **opts: Any) -> None:
    """Make the KB mirror FOLDER: add new, update changed, remove deleted files."""
    _run_ingest(opts, (folder,), folder)


@main.command()
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


@main.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options
def list_(**opts: Any) -> None:
    """List the knowledge bases in the data home."""
    from ragchat.stores import describe_store, list_kbs

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


@main.command()
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


class _Bar:
    """A tqdm bar over files showing pages/s and chunks/s."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit="file", dynamic_ncols=True, file=sys.stderr)
        self.t0 = time.perf_counter()
        self.pages = 0
        self.chunks = 0
        self._file_pages = 0
        self._file_chunks = 0

    def update(self, p: Any) -> None:
        if self.bar.total != p.files_total:
            self.bar.total = p.files_total
        if p.stage == "parse":
            self._file_pages = p.pages
        elif p.stage == "embed":
            self._file_chunks = p.chunks
        elif p.stage in {"commit", "skip", "fail"}:
            self.pages += p.pages if p.stage == "commit" else 0
            self.chunks += self._file_chunks if p.stage == "commit" else 0
            self._file_pages = self._file_chunks = 0
            self.bar.update(1)
        dt = max(time.perf_counter() - self.t0, 1e-6)
        pages = self.pages + self._file_pages
        chunks = self.chunks + self._file_chunks
        self.bar.set_postfix_str(
            f"{p.file[:30]} {p.stage} | {pages} pages {pages / dt:.1f}/s | {chunks} chunks {chunks / dt:.1f}/s",
            refresh=False,
        )
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


if __name__ == "__main__":
    main()

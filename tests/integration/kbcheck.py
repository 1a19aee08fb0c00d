"""Helpers for reliability tests: generated corpora and KB consistency checks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pymupdf

REPO = Path(__file__).resolve().parents[2]


def make_corpus(folder: Path, n: int, pages: int = 3) -> list[Path]:
    """n PDFs, each with a unique code word so a search can tell them apart."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        doc = pymupdf.open()
        for p in range(pages):
            page = doc.new_page(width=595, height=842)
            page.insert_text((72, 80), f"Report {i:02d} section {p}", fontsize=16)
            y = 120
            for j in range(30):
                page.insert_text(
                    (72, y),
                    f"Codeword zq{i:02d}x marks file {i}. Line {j} on page {p} describes item {i * 100 + j}.",
                    fontsize=9,
                )
                y += 14
        path = folder / f"report-{i:02d}.pdf"
        doc.save(path)
        doc.close()
        paths.append(path)
    return paths


def ingest_cmd(folder: Path, kb: str) -> list[str]:
    return [sys.executable, "-m", "ingestion.cli", "add", str(folder), "--kb", kb, "--json"]


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RAGCHAT_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), **extra})
    return env


def run_ingest(folder: Path, kb: str, home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ingest_cmd(folder, kb),
        env=env_for(home, **extra),
        capture_output=True,
        text=True,
        timeout=600,
    )


def kb_state(home: Path, kb: str) -> dict[str, int] | None:
    """{file name: chunk rows} as committed in the KB, checked for internal consistency."""
    from ragchat.kb.files import KnowledgeBase

    root = home / "kb" / kb
    if not (root / "manifest.json").is_file():
        return None
    if not (root / "kb.sqlite").is_file():
        return {}
    kb_ = KnowledgeBase.open(home / "kb", kb)
    try:
        counts = kb_.row_counts()  # one read view, even while a writer runs
        files, rows, per_file = counts["files"], counts["chunks"], counts["per_file"]
        assert counts["vectors"] == rows == counts["lexical"], counts
        assert sum(f.chunks for f in files) == rows
        assert {f.name: f.chunks for f in files} == per_file
        db2 = sqlite3.connect(root / "kb.sqlite")
        assert db2.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db2.close()
        return per_file
    finally:
        kb_.close()

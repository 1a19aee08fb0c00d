"""Reliability: SIGKILL at random points during ingest, concurrent writers, reads during writes."""

from __future__ import annotations

import contextlib
import json
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.kbcheck import env_for, ingest_cmd, kb_state, make_corpus, run_ingest

KILLS = 20


def committed_files(home: Path, kb: str) -> int:
    """Files committed so far, read without writing anything (read-only SQLite)."""
    db = home / "kb" / kb / "kb.sqlite"
    if not db.is_file():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as c:
            return int(c.execute("SELECT COUNT(*) FROM files").fetchone()[0])
    except sqlite3.Error:
        return 0


def kill_after(proc: subprocess.Popen, home: Path, kb: str, target: int, limit: float) -> None:
    """SIGKILL once `target` files are committed (or at `limit` seconds): a kill in the middle
    of the batch however long the model takes to load on a busy machine."""
    deadline = time.perf_counter() + limit
    while proc.poll() is None and time.perf_counter() < deadline:
        if committed_files(home, kb) >= target:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)


@pytest.mark.slow
def test_sigkill_leaves_the_kb_before_or_after_a_file_commit(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    make_corpus(folder, 8)
    home = tmp_path / "home"
    t0 = time.perf_counter()
    ref = run_ingest(folder, "ref", home)
    full = time.perf_counter() - t0
    assert ref.returncode == 0, ref.stderr
    reference = kb_state(home, "ref")
    assert reference and len(reference) == 8
    order = sorted(reference)  # the ingest commits files in sorted path order

    rng = random.Random(1234)
    outcomes = []
    for k in range(KILLS):
        kb = f"crash{k}"
        proc = subprocess.Popen(
            ingest_cmd(folder, kb),
            env=env_for(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if k % 2:  # half the kills at a random time, half right after a random file's commit
            kill_after(proc, home, kb, rng.randint(1, 7), full * 3)
        else:
            time.sleep(rng.uniform(0.3, full * 1.05))
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = kb_state(home, kb)  # raises if the KB cannot be opened or is inconsistent
        if state is None:
            outcomes.append(0)
            continue
        n = len(state)
        assert sorted(state) == order[:n], "files committed form a prefix of the batch"
        assert state == {f: reference[f] for f in order[:n]}, "each file complete, none partial"
        outcomes.append(n)
        # the killed KB is usable: finishing the ingest gives the reference state
        if k % 5 == 0:
            assert run_ingest(folder, kb, home).returncode == 0
            assert kb_state(home, kb) == reference
    # the kills landed at different points of the batch
    assert len(set(outcomes)) >= 3, outcomes
    (tmp_path.parent / "crash-figures.json").write_text(
        json.dumps({"kills": KILLS, "states": outcomes})
    )


@pytest.mark.slow
def test_second_writer_fails_clearly_and_readers_see_consistent_states(tmp_path: Path) -> None:
    from ragchat.embedder import load_embedder
    from ragchat.kb.files import KnowledgeBase
    from ragchat.settings import Settings

    folder = tmp_path / "docs"
    make_corpus(folder, 10)
    home = tmp_path / "home"
    emb = load_embedder(Settings.load({"home": home}))
    kb = KnowledgeBase.open(home / "kb", "kb", embedder=emb.name, dim=emb.dim, create=True)
    with kb.writer():  # another writer holds the KB
        second = subprocess.run(
            ingest_cmd(folder, "kb"),
            env=env_for(home, RAGCHAT_LOCK_TIMEOUT="0.5"),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert second.returncode == 1
    assert "being written by another process" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert kb.chunk_count() == 0

    # readers during a write: every snapshot is internally consistent
    first = subprocess.Popen(
        ingest_cmd(folder, "kb"),
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    states = set()
    while first.poll() is None:
        state = kb_state(home, "kb")
        if state:
            states.add(tuple(sorted(state.items())))
        time.sleep(0.1)
    assert first.returncode == 0, first.stderr
    final = kb_state(home, "kb")
    assert final is not None and len(final) == 10
    assert states, "the reader saw the KB while it was being written"
    assert kb.lexical_search(["zq03x"], 3)

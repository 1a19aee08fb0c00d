"""Start-up benchmark: how long the CLIs take to say something, before and after the fast start.

    python -m bench.startup                 # everything (about 10 minutes on 2 busy cores)
    python -m bench.startup --no-ttft       # only the quick paths and the unchanged re-ingest
    python -m bench.startup --no-baseline   # skip the old code

Every command runs as a fresh process, as a user runs it. Measured:

- the quick paths: `--help` of the three CLIs, a wrong KB name (ask, search, chat, stats), an
  empty or whitespace-only question, a missing folder (goal: one line in <= 1.5 s);
- `ragchat-ingest add samples` when nothing changed: time and peak RSS (goal: <= 2 s);
- time to the first byte of `ragchat ask`'s answer on the samples KB, idle and with a busy-loop
  process on every core, with OMP_WAIT_POLICY=PASSIVE (the new default) and unset (the old
  default: idle OpenMP threads spin).

The baseline is the code before the fast-start change (`--baseline REV`, default the parent of
the commit that added ragchat/runtime_env.py), extracted with `git archive` and run with the
same interpreter, in its own data home, in the same run. Prints one JSON object and a table;
writes docs/results/startup.json and docs/results/startup.png.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
OUT = REPO / "docs" / "results" / "startup.json"
QUESTION = "Who was the Norse leader?"
GOAL_QUICK_S = 1.5
GOAL_UNCHANGED_S = 2.0
# Converted models are shared with the user's (or the tests') cache: converting is not measured.
MODELS_DIR = Path(os.environ.get("RAGCHAT_MODELS_DIR", "~/.ragchat/models")).expanduser()

# Runs a CLI's main like its console script does. BENCH_OMP=unset removes the OMP_WAIT_POLICY
# default that ragchat.runtime_env sets, to measure the old behaviour with the new code.
LAUNCH = """
import os, sys
policy = os.environ.pop("BENCH_OMP", "")
try:
    import ragchat.runtime_env
except ImportError:
    pass
if policy == "unset":
    os.environ.pop("OMP_WAIT_POLICY", None)
module, sys.argv = sys.argv[1], sys.argv[2:]
sys.exit(__import__(module, fromlist=["main"]).main())
"""
CLI = {
    "ragchat": "ragchat.cli",
    "ragchat-ingest": "ingestion.cli",
    "ragchat-finetune": "finetune.cli",
}


class Tree:
    """A source tree to run (the working tree or an extracted baseline) with its own data home."""

    def __init__(self, label: str, root: Path, home: Path) -> None:
        self.label, self.root, self.home = label, root, home

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"OMP_WAIT_POLICY", "RAGCHAT_KB"}}
        env.update(
            PYTHONPATH=str(self.root),
            RAGCHAT_HOME=str(self.home),
            RAGCHAT_MODELS_DIR=str(MODELS_DIR),
            TRANSFORMERS_OFFLINE="1",
            HF_HUB_OFFLINE="1",
            **extra,
        )
        return env

    def cmd(self, cli: str, *args: str) -> list[str]:
        return [sys.executable, "-c", LAUNCH, CLI[cli], cli, *args]


def run(tree: Tree, cli: str, *args: str, **env: str) -> dict[str, Any]:
    """One process: wall seconds, exit code, and what it printed (stderr lines, first line)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        tree.cmd(cli, *args),
        cwd=tree.root,
        env=tree.env(**env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate()  # reads both pipes; the process has exited when this returns
    seconds = time.perf_counter() - t0
    stderr = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
    return {
        "seconds": round(seconds, 3),
        "exit": proc.returncode,
        "stderr_lines": len(stderr),
        "first_line": (stderr or out.decode(errors="replace").splitlines() or [""])[0][:160],
    }


def run_rss(tree: Tree, cli: str, *args: str) -> dict[str, Any]:
    """Like `run`, but reaps the process itself to read its peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        tree.cmd(cli, *args),
        cwd=tree.root,
        env=tree.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 3),
        "exit": proc.returncode,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "first_line": out.decode(errors="replace").strip().splitlines()[-1][:160] if out else "",
    }


def repeat(n: int, fn: Any, *args: Any, **kw: Any) -> dict[str, Any]:
    runs = [fn(*args, **kw) for _ in range(n)]
    best = dict(runs[-1])
    best["seconds"] = round(statistics.median(r["seconds"] for r in runs), 3)
    best["runs"] = [r["seconds"] for r in runs]
    rss = [r["peak_rss_mb"] for r in runs if r.get("peak_rss_mb")]
    if rss:
        best["peak_rss_mb"] = max(rss)
    return best


def quick_cases(tmp: Path) -> dict[str, tuple[str, ...]]:
    return {
        "ragchat --help": ("ragchat", "--help"),
        "ragchat-ingest --help": ("ragchat-ingest", "--help"),
        "ragchat-finetune --help": ("ragchat-finetune", "--help"),
        "ask, wrong KB": ("ragchat", "ask", QUESTION, "--kb", "sampels"),
        "search, wrong KB": ("ragchat", "search", QUESTION, "--kb", "sampels"),
        "chat, wrong KB": ("ragchat", "chat", "--kb", "sampels"),
        "stats, wrong KB": ("ragchat-ingest", "stats", "--kb", "sampels"),
        "ask, empty question": ("ragchat", "ask", "", "--kb", "samples"),
        "ask, whitespace question": ("ragchat", "ask", "   ", "--kb", "samples"),
        "add, missing folder": (
            "ragchat-ingest",
            "add",
            str(tmp / "no-such-folder"),
            "--kb",
            "samples",
        ),
    }


def measure_tree(tree: Tree, tmp: Path, repeats: int) -> dict[str, Any]:
    print(f"[{tree.label}] ingesting samples/ (not timed)", file=sys.stderr)
    first = run(tree, "ragchat-ingest", "add", str(SAMPLES), "--kb", "samples", "--json")
    if first["exit"] != 0:
        raise SystemExit(f"[{tree.label}] ingesting the samples failed: {first}")
    quick = {}
    for name, (cli, *args) in quick_cases(tmp).items():
        print(f"[{tree.label}] {name}", file=sys.stderr)
        quick[name] = repeat(repeats, run, tree, cli, *args)
    print(f"[{tree.label}] add samples, unchanged", file=sys.stderr)
    unchanged = repeat(
        repeats, run_rss, tree, "ragchat-ingest", "add", str(SAMPLES), "--kb", "samples", "--json"
    )
    return {"quick": quick, "unchanged_add": unchanged}


# ---------------------------------------------------------------- time to first token


def first_byte(tree: Tree, policy: str) -> dict[str, Any]:
    """Seconds from launching `ragchat ask` to the first byte of its answer, and in total."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        tree.cmd("ragchat", "ask", QUESTION, "--kb", "samples"),
        cwd=tree.root,
        env=tree.env(BENCH_OMP=policy),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # unbuffered: read(1) takes exactly the first byte
    )
    assert proc.stdout is not None
    head = proc.stdout.read(1)
    ttft = time.perf_counter() - t0
    rest, err = proc.communicate()
    total = time.perf_counter() - t0
    text = (head + rest).decode(errors="replace").strip()
    return {
        "ttft_s": round(ttft, 2),
        "total_s": round(total, 2),
        "exit": proc.returncode,
        "answer": text.splitlines()[0][:120] if text else err.decode(errors="replace")[-200:],
    }


class BusyLoad:
    """One busy-loop process per core, for the duration of a `with` block."""

    def __enter__(self) -> BusyLoad:
        self.procs = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 1)
        ]
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: Any) -> None:
        for p in self.procs:
            p.kill()
            p.wait()


def measure_ttft(tree: Tree, repeats: int) -> dict[str, Any]:
    prepared = run(tree, "ragchat", "prepare-models")  # the one-time conversion is not timed
    if prepared["exit"] != 0:
        raise SystemExit(f"ragchat prepare-models failed: {prepared}")
    first_byte(tree, "")  # warm the page cache: every measured run starts equal
    results: dict[str, Any] = {}
    for load in ("no added load", "a busy loop on each core"):
        for policy in ("PASSIVE", "unset"):
            name = f"{load}, OMP_WAIT_POLICY {policy}"
            print(f"[ttft] {name}", file=sys.stderr)
            loadavg = round(os.getloadavg()[0], 2)
            runs = []
            for _ in range(repeats):
                if load != "no added load":
                    with BusyLoad():
                        runs.append(first_byte(tree, "" if policy == "PASSIVE" else policy))
                else:
                    runs.append(first_byte(tree, "" if policy == "PASSIVE" else policy))
            results[name] = {
                "ttft_s": round(statistics.median(r["ttft_s"] for r in runs), 2),
                "total_s": round(statistics.median(r["total_s"] for r in runs), 2),
                "load_average_before": loadavg,  # the machine is shared: other work counts too
                "runs": runs,
            }
    return results


# ---------------------------------------------------------------- baseline, report


def default_baseline() -> str:
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "ragchat/runtime_env.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not added:
        raise SystemExit("no commit adds ragchat/runtime_env.py; give --baseline REV")
    return f"{added[-1]}^"


def extract(rev: str, target: Path) -> str:
    sha = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = target.with_suffix(".tar")
    with open(archive, "wb") as fh:
        subprocess.run(["git", "archive", sha], cwd=REPO, stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return sha


def table(results: dict[str, Any]) -> str:
    now, base = results["now"], results.get("baseline")
    head = f"| case | {'before (s) | ' if base else ''}now (s) | stderr lines | goal |"
    rows = [head, "|---|" + ("---:|" if base else "") + "---:|---:|---|"]
    for name, r in now["quick"].items():
        before = f"{base['quick'][name]['seconds']:.2f} | " if base else ""
        rows.append(
            f"| {name} | {before}{r['seconds']:.2f} | {r['stderr_lines']} | ≤ {GOAL_QUICK_S} s |"
        )
    u = now["unchanged_add"]
    before = ""
    if base:
        b = base["unchanged_add"]
        before = f"{b['seconds']:.2f} ({b['peak_rss_mb']:.0f} MB) | "
    rows.append(
        f"| add samples, unchanged (peak RSS) | {before}{u['seconds']:.2f} ({u['peak_rss_mb']:.0f}"
        f" MB) | – | ≤ {GOAL_UNCHANGED_S} s |"
    )
    text = "\n".join(rows)
    if "ttft" in results:
        text += (
            "\n\n| `ragchat ask` on samples | first token (s) | total (s) | load average |"
            "\n|---|---:|---:|---:|\n"
        )
        text += "\n".join(
            f"| {name} | {r['ttft_s']:.1f} | {r['total_s']:.1f} | {r['load_average_before']:.1f} |"
            for name, r in results["ttft"].items()
        )
    return text


def chart(results: dict[str, Any], path: Path) -> None:
    from bench.common import chart_figure

    names = [*results["now"]["quick"], "add samples, unchanged"]
    now = [r["seconds"] for r in results["now"]["quick"].values()]
    now.append(results["now"]["unchanged_add"]["seconds"])
    with chart_figure(path, figsize=(8, 4)) as ax:
        y = range(len(names))
        if results.get("baseline"):
            base = [r["seconds"] for r in results["baseline"]["quick"].values()]
            base.append(results["baseline"]["unchanged_add"]["seconds"])
            ax.barh([i + 0.2 for i in y], base, height=0.4, label="before", color="#bbbbbb")
        ax.barh([i - 0.2 for i in y], now, height=0.4, label="now", color="#2a7ab9")
        ax.axvline(GOAL_QUICK_S, color="#d62728", lw=1, ls="--", label=f"goal {GOAL_QUICK_S} s")
        ax.set_yticks(list(y), names)
        ax.invert_yaxis()
        ax.set_xlabel("seconds until the command has answered (median)")
        ax.legend(loc="upper right")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=3, help="Runs per quick case (median).")
    ap.add_argument("--ttft-repeats", type=int, default=2, help="Runs per first-token case.")
    ap.add_argument("--baseline", default=None, help="Git revision of the old code.")
    ap.add_argument("--baseline-repeats", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-ttft", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()

    results: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "question": QUESTION,
    }
    with tempfile.TemporaryDirectory(prefix="ragchat-startup-") as tmpdir:
        tmp = Path(tmpdir)
        now = Tree("now", REPO, tmp / "home-now")
        if not args.no_baseline:
            rev = args.baseline or default_baseline()
            sha = extract(rev, tmp / "baseline")
            results["baseline_rev"] = sha
            old = Tree(f"before {sha}", tmp / "baseline", tmp / "home-before")
            results["baseline"] = measure_tree(old, tmp, args.baseline_repeats)
        results["now"] = measure_tree(now, tmp, args.repeats)
        if not args.no_ttft:
            results["ttft"] = measure_ttft(now, args.ttft_repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    chart(results, args.out.with_suffix(".png"))
    print(json.dumps(results, ensure_ascii=False))
    print(table(results))


if __name__ == "__main__":
    main()

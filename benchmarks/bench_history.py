"""What the history store's safety costs: opening a store runs SQLite's ``PRAGMA quick_check`` every time.

    python benchmarks/bench_history.py [--checks 1000] [--runs 5] [--repeat 5]

Builds a store of N real checks (the A100 ResNet-18 QAT engine against itself, ``--runs`` profiling runs a side,
so every check writes its group rows and 2 x runs x 37 layer rows), then times, alternating A and B:
(A) ``history.connect(url, create=False)`` (file checks + quick_check + layout version) and (B) the same with the
quick_check skipped, plus the whole ``trtinspect history`` command as a process. Absolute times depend on the
machine and its load; the ratio is the figure to read.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trtinspect
from trtinspect.inspector import history, history_store
from trtinspect.inspector.check import run_check

RESNET = Path(__file__).resolve().parent.parent / "sample_engines" / "resnet18-a100"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checks", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    qat = trtinspect.load(RESNET / "qat")
    # check refuses a run against itself: a GENERATED second run of qat (scripts/derive_rerun.py) is the candidate
    spec = importlib.util.spec_from_file_location("derive_rerun", RESNET.parents[1] / "scripts" / "derive_rerun.py")
    assert spec is not None and spec.loader is not None
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    with tempfile.TemporaryDirectory() as tmp:
        rerun = trtinspect.load(derive.derive(RESNET / "qat", Path(tmp) / "qat-rerun.generated"))
    result = run_check([qat], [rerun])
    folder = Path(tempfile.mkdtemp(prefix="bench-history-"))
    store = folder / "h.sqlite"
    engine = history.connect(str(store))
    t0 = time.perf_counter()
    for _ in range(args.checks):
        history.record(result, [qat] * args.runs, [rerun] * args.runs, engine=engine)
    record_s = (time.perf_counter() - t0) / args.checks
    engine.dispose()
    counts = history.summary(history.connect(str(store), create=False))
    size_mb = store.stat().st_size / 1e6

    real_check = history_store._quick_check
    with_check, without_check, command = [], [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        history.connect(str(store), create=False).dispose()
        with_check.append(time.perf_counter() - t)
        history_store._quick_check = lambda *_a, **_k: None
        t = time.perf_counter()
        history.connect(str(store), create=False).dispose()
        without_check.append(time.perf_counter() - t)
        history_store._quick_check = real_check
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "trtinspect", "history", "--db", str(store)], check=True,
                       capture_output=True)
        command.append(time.perf_counter() - t)
    a, b, c = (statistics.median(x) for x in (with_check, without_check, command))
    print(f"store: {counts['runs']} checks, {counts['group_measurements']} group rows, "
          f"{counts['layer_measurements']} layer rows, {size_mb:.1f} MB; record: {record_s * 1000:.1f} ms/check")
    print(f"open read-only with quick_check: {a * 1000:.1f} ms; without: {b * 1000:.1f} ms "
          f"(ratio {a / b:.1f}x); quick_check alone ~{(a - b) * 1000:.1f} ms")
    print(f"`trtinspect history` as a process: {c * 1000:.0f} ms (median of {args.repeat}); "
          f"quick_check is {(a - b) / c * 100:.0f}% of it")


if __name__ == "__main__":
    main()

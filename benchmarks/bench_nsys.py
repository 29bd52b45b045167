"""Benchmark: load + attribute a GENERATED 1,000,000-kernel TensorRT-shaped nsys export.

The export is written at run time into a temporary directory by ``scripts/generate_nsys_trt.py --kernels N``
(real nsys 2026.2.1 DDL, two processes, ResNet-18 layer ranges). Each measurement runs in a fresh child
process so its peak RSS (``VmHWM``) is that of the measured work alone:

* ``trtinspect``: ``read_nsys_sqlite`` + ``attribute`` (per-layer profile, per-iteration times, gaps);
* ``read_sql``: the baseline -- ``pandas.read_sql_query`` of the same kernel/runtime/NVTX columns, no
  attribution at all.

Run:  .venv/bin/python benchmarks/bench_nsys.py [--kernels 1000000] [--repeat 3]
Prints best-of-N wall/CPU seconds and peak RSS, and the ratio trtinspect / read_sql (targets: < 10 s and
< 1.5 GB on a 2-core machine). From a terminal the load shows a rich progress bar.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import machine

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
path, mode = sys.argv[1], sys.argv[2]
t0, c0 = time.perf_counter(), time.process_time()
if mode == "trtinspect":
    from trtinspect.parsers.nsys.sqlite import read_nsys_sqlite
    from trtinspect.parsers.nsys.attribution import attribute
    export = read_nsys_sqlite(path)
    t1 = time.perf_counter()
    att = attribute(export)
    extra = {"load_s": t1 - t0, "layers": len(att.profile), "iterations": len(att.times),
             "kernels": len(export.kernels)}
else:
    import sqlite3
    import pandas as pd
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    frames = [pd.read_sql_query(q, con) for q in (
        "SELECT start, end, deviceId, contextId, streamId, correlationId, globalPid, demangledName, "
        "shortName, "
        "graphId, graphNodeId FROM CUPTI_ACTIVITY_KIND_KERNEL",
        "SELECT start, end, globalTid, correlationId, nameId, returnValue FROM CUPTI_ACTIVITY_KIND_RUNTIME",
        "SELECT start, end, eventType, text, textId, domainId, globalTid FROM NVTX_EVENTS")]
    extra = {"rows": sum(len(f) for f in frames)}
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
# VmHWM: this process's own peak resident set (ru_maxrss keeps the parent's peak across fork + exec)
hwm = [int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
peak_kib = hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_kib / 1024, **extra}))
"""


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "generate_nsys_trt", REPO / "scripts" / "generate_nsys_trt.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _measure(path: Path, mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _show_progress(path: Path) -> None:
    """One extra load with the terminal progress bar, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return
    from trtinspect.parsers.nsys.sqlite import read_nsys_sqlite
    from trtinspect.render.progress import terminal_progress

    with terminal_progress() as progress:
        read_nsys_sqlite(path, progress=progress)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="write the generated export here and keep it")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench_generated.sqlite"
        truth = _generator().generate(path, kernels=args.kernels, processes=2, seed=0)
        size_mb = path.stat().st_size / 1024**2
        print(
            f"generated {path.name}: {truth['kernels']:,} kernels, {truth['iterations']:,} iterations x 2 "
            f"processes, {size_mb:.0f} MiB"
        )
        _show_progress(path)
        runs = {
            mode: [_measure(path, mode) for _ in range(args.repeat)] for mode in ("trtinspect", "read_sql")
        }
    best = {mode: min(r, key=lambda x: x["wall_s"]) for mode, r in runs.items()}
    peak = {mode: max(x["peak_rss_mb"] for x in r) for mode, r in runs.items()}
    ti, rs = best["trtinspect"], best["read_sql"]
    print(f"machine: {machine()}")
    print("| measurement | best wall (s) | CPU (s) | peak RSS (MiB) |")
    print("|---|---|---|---|")
    print(
        f"| trtinspect load + attribution | {ti['wall_s']:.2f} (load {ti['load_s']:.2f}) "
        f"| {ti['cpu_s']:.2f} | {peak['trtinspect']:.0f} |"
    )
    print(
        f"| pandas.read_sql_query of the same columns (no attribution) | {rs['wall_s']:.2f} "
        f"| {rs['cpu_s']:.2f} | {peak['read_sql']:.0f} |"
    )
    print(
        f"ratio trtinspect / read_sql: wall {ti['wall_s'] / rs['wall_s']:.2f}x, "
        f"peak RSS {peak['trtinspect'] / peak['read_sql']:.2f}x"
    )
    print(f"per-layer rows {ti['layers']}, iterations {ti['iterations']}, kernels {ti['kernels']:,}")
    ok = ti["wall_s"] < 10 and peak["trtinspect"] * 1.048576 < 1500  # MiB -> MB
    print("targets (< 10 s, < 1.5 GB):", "PASS" if ok else "MISS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

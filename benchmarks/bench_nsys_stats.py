"""Benchmark: the ``nsys stats`` summaries of GENERATED nsys exports, whole commands, against a floor and nsys-ai.

Exports are written at run time into a temporary directory (never the repository) by
``scripts/generate_nsys_trt.py`` (real nsys 2026.2.1 DDL, two processes; labelled generated):

* ``plain``: ``--kernels N --no-tensorrt`` -- a CUDA application without TensorRT activity, so
  ``trtinspect report X --format json`` is the nsys stats summaries and nothing else;
* ``trt``: ``--kernels N`` -- TensorRT-shaped (NVTX layer ranges): ``report`` adds per-layer attribution.

Every measurement is one fresh process, timed as a user runs it (imports and exit included); its peak RSS is
the child's own ``ru_maxrss`` from ``wait4`` (this driver imports nothing large, so it cannot inflate it):

* ``trtinspect``: ``trtinspect report X --format json``;
* ``floor``: one SQL scan of the kernel table, ``SELECT count(*), sum(end - start)`` (the least any tool
  summarising kernels must do), in ``python -c``;
* ``nsys-ai`` (when ``--nsys-ai PATH`` names its console script, e.g. from a throwaway venv:
  ``python -m venv /tmp/nsysai && /tmp/nsysai/bin/pip install nsys-ai==0.3.0``):
  ``nsys-ai skill run top_kernels COPY --format json`` on a fresh copy of the export (nsys-ai writes into the
  files it opens). Without network access its DuckDB extension download fails and it falls back to sqlite3
  after a timeout; that is how it runs here and is reported as such.

A and B alternate round by round; the figures are medians, and the ratios are what to compare (absolute
times move with whatever else the machine runs). Targets (issue 16): 10,000,000 kernels summarised in
< 60 s and < 1.5 GB; 1,000,000 kernels < 10 s.

Run:  python benchmarks/bench_nsys_stats.py [--kernels 1000000 10000000] [--repeat 3] [--nsys-ai PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "scripts" / "generate_nsys_trt.py"
FLOOR = (
    "import sqlite3, sys\n"
    "con = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro&immutable=1', uri=True)\n"
    "print(con.execute('SELECT count(*), sum(end - start) FROM CUPTI_ACTIVITY_KIND_KERNEL').fetchone())\n"
)


def run(cmd: list[str], timeout: float) -> Run:
    """(wall s, peak RSS MB, exit code, CPU s) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024 * 1.048576, proc.returncode, usage.ru_utime + usage.ru_stime


def trtinspect_exe() -> str:
    exe = Path(sys.executable).with_name("trtinspect")
    return str(exe) if exe.exists() else shutil.which("trtinspect") or "trtinspect"


Run = tuple[float, float, int, float]  # wall s, peak RSS MB, exit code, CPU s


def measure(path: Path, repeat: int, nsys_ai: str | None, timeout: float) -> dict[str, list[Run]]:
    cmds: dict[str, list[str]] = {
        "trtinspect": [trtinspect_exe(), "report", str(path), "--format", "json"],
        "floor": [sys.executable, "-c", FLOOR, str(path)],
    }
    out: dict[str, list[Run]] = {k: [] for k in cmds}
    if nsys_ai:
        out["nsys-ai"] = []
    for _ in range(repeat):
        for name, cmd in cmds.items():
            out[name].append(run(cmd, timeout))
        if nsys_ai:
            copy = path.with_name("copy_" + path.name)
            shutil.copyfile(path, copy)
            for extra in path.parent.glob("copy_*.nsys-cache*"):
                shutil.rmtree(extra, ignore_errors=True) if extra.is_dir() else extra.unlink()
            out["nsys-ai"].append(
                run([nsys_ai, "skill", "run", "top_kernels", str(copy), "--format", "json"], timeout)
            )
            copy.unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--shape", choices=["plain", "trt", "both"], default="both",
                    help="plain: no TensorRT activity (summaries only); trt: TensorRT-shaped (attribution too)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--nsys-ai", default=None, help="path of an installed nsys-ai console script (optional)")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--tmp", type=Path, default=None, help="folder for the generated exports (default: a temp dir)")
    args = ap.parse_args(argv)
    shapes = ["plain", "trt"] if args.shape == "both" else [args.shape]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print("| export | kernels | command | median wall (s) | median CPU (s) | peak RSS (MB) | wall / floor | exit |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for n in args.kernels:
            for shape in shapes:
                if shape == "trt" and n > 2_000_000:
                    continue  # per-layer attribution loads every event: measured at 1M (see docs/nsys.md)
                path = Path(tmp) / f"bench_{shape}_{n}_generated.sqlite"
                gen = [sys.executable, str(GENERATOR), str(path), "--kernels", str(n)]
                subprocess.run(gen + (["--no-tensorrt"] if shape == "plain" else []), check=True,
                               stdout=subprocess.DEVNULL)
                res = measure(path, args.repeat, args.nsys_ai, args.timeout)
                floor = statistics.median(r[0] for r in res["floor"])
                for name, runs in res.items():
                    wall = statistics.median(r[0] for r in runs)
                    cpu = statistics.median(r[3] for r in runs)
                    peak = max(r[1] for r in runs)
                    codes = sorted({r[2] for r in runs})
                    print(f"| {shape} | {n:,} | {name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {wall / floor:.1f}x "
                          f"| {codes} |")
                if "nsys-ai" in res:
                    pairs = [a[0] / b[0] for a, b in zip(res["nsys-ai"], res["trtinspect"], strict=True)]
                    print(f"|   | {n:,} | nsys-ai / trtinspect, same round | median {statistics.median(pairs):.1f}x |"
                          " | | | |")
                path.unlink()
    return 0


@pytest.mark.benchmark
@pytest.mark.parametrize(("kernels", "limit_s"), [(1_000_000, 10.0), (10_000_000, 60.0)])
def test_nsys_summaries_within_targets(tmp_path: Path, kernels: int, limit_s: float) -> None:
    """Issue 16's targets for `report` on an export without TensorRT activity (the summaries alone):
    1,000,000 kernels < 10 s, 10,000,000 kernels < 60 s, both < 1.5 GB peak RSS (on a quiet 2-core machine)."""
    path = tmp_path / f"plain_{kernels}_generated.sqlite"
    subprocess.run([sys.executable, str(GENERATOR), str(path), "--kernels", str(kernels), "--no-tensorrt"],
                   check=True, stdout=subprocess.DEVNULL)
    wall, peak, code, _ = run([trtinspect_exe(), "report", str(path), "--format", "json"], timeout=900)
    assert code == 0
    assert wall < limit_s and peak < 1500, (wall, peak)


if __name__ == "__main__":
    sys.exit(main())

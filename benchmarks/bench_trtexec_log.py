"""Benchmark: parse the real verbose trtexec log ``result-02.log`` (777 KB, TRT 10.16) against baselines.

Baselines, measured in the same run on the same text:
* ``read+split``: ``_io.read_text`` + ``str.split("\\n")`` (the floor for any line-oriented reader);
* ``prefix regex``: read + split + one ``re.match`` of the log-prefix pattern per line.
Linearity: the same log repeated ``--scale`` times (GENERATED at run time in a temporary file) must take
about ``--scale`` times as long.

Run:  .venv/bin/python benchmarks/bench_trtexec_log.py [--repeat 15] [--scale 20]
Prints best-of-N times and the ratios (parse / baseline); docs/trtexec-logs.md records a run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from trtinspect.parsers import _io
from trtinspect.parsers.trtexec_log import parse_trtexec_log
from trtinspect.parsers.trtexec_log_sections import PREFIX

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import machine, rounds

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "sample_engines" / "trtexec-logs" / "trt10.16-h100" / "result-02.log"


def best_of(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Best time of each function; the functions are interleaved so load changes hit them alike."""
    return {name: min(times) for name, times in rounds(fns, repeat).items()}


def read_split(path: Path) -> list[str]:
    return _io.read_text(path, what="log").split("\n")


def prefix_pass(path: Path) -> int:
    return sum(1 for line in read_split(path) if PREFIX.match(line))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--scale", type=int, default=20)
    args = ap.parse_args()

    size_kb = SOURCE.stat().st_size / 1024
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "repeated.log"
        big.write_text(SOURCE.read_text() * args.scale)
        t = best_of({"parse": lambda: parse_trtexec_log(SOURCE), "split": lambda: read_split(SOURCE),
                     "prefix": lambda: prefix_pass(SOURCE)}, args.repeat)
        t_big = best_of({"big": lambda: parse_trtexec_log(big)}, max(2, args.repeat // 3))["big"]
    t_parse, t_split, t_prefix = t["parse"], t["split"], t["prefix"]

    print(f"machine: {machine()}")
    print(f"input: {SOURCE.name} ({size_kb:.0f} KiB, {len(read_split(SOURCE))} lines)")
    print("| measurement | best time | ratio |")
    print("|---|---|---|")
    print(f"| parse_trtexec_log | {t_parse * 1000:.1f} ms | 1 |")
    print(f"| read+split | {t_split * 1000:.1f} ms | parse = {t_parse / t_split:.1f}x |")
    print(f"| prefix regex per line | {t_prefix * 1000:.1f} ms | parse = {t_parse / t_prefix:.1f}x |")
    print(f"| parse, log x{args.scale} | {t_big * 1000:.1f} ms | {t_big / t_parse:.1f}x the 1x time "
          f"(linear = {args.scale}x) |")


if __name__ == "__main__":
    main()

"""Benchmark: parse a generated 50,000-layer engine layer JSON against a plain ``json.loads`` of it.

The file is GENERATED at run time in a temporary directory by ``benchmarks/generated_engine.py`` (the real
ResNet-18 QAT ``graph.json`` replicated with unique layer, tensor and source-node names).

Run:  .venv/bin/python benchmarks/bench_layers.py [--layers 50000] [--repeat 3]
Prints the best-of-N times and the ratio parse / json.loads (the whole ``report`` must stay within 2x).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trtinspect.parsers.layers import parse_layer_info

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import machine, peak_rss_mib
from generated_engine import generate

_RSS_IMPORT = "from trtinspect.parsers.layers import parse_layer_info"
_RSS_PARSE = _RSS_IMPORT + "\nmeta, frame = parse_layer_info(sys.argv[1])"


def wall_and_cpu(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, float]]:
    """Best wall and best CPU time (process_time: robust when other jobs share the machine), interleaved."""
    best = {name: (float("inf"), float("inf")) for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            result = fn()  # kept alive until timed: freeing it is not part of loading
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            del result
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="trtinspect-bench-") as tmp:
        path = generate(Path(tmp), args.layers).graph
        size_mb = path.stat().st_size / 1e6
        meta, frame = parse_layer_info(path)
        assert len(frame) == args.layers == meta.n_layers
        del meta, frame
        t = wall_and_cpu({"json": lambda: json.loads(path.read_bytes()), "parse": lambda: parse_layer_info(path)},
                         args.repeat)
        rss_before, rss_after = peak_rss_mib(_RSS_IMPORT), peak_rss_mib(_RSS_PARSE, [str(path)])
    t_json, t_parse = t["json"], t["parse"]
    print(f"machine: {machine()}")
    print(f"file: {args.layers} layers, {size_mb:.1f} MB")
    print(f"json.loads (read + decode): wall {t_json[0]:.3f} s  cpu {t_json[1]:.3f} s")
    print(f"parse_layer_info:           wall {t_parse[0]:.3f} s  cpu {t_parse[1]:.3f} s")
    ratio_wall, ratio_cpu = t_parse[0] / t_json[0], t_parse[1] / t_json[1]
    print(f"ratio parse / json.loads:   wall {ratio_wall:.2f}x  cpu {ratio_cpu:.2f}x")
    print(f"peak RSS of a fresh process: {rss_before:.0f} MiB after imports, {rss_after:.0f} MiB after parsing")


if __name__ == "__main__":
    main()

"""Benchmark: parse a generated 50,000-layer engine layer JSON against a plain ``json.loads`` of it.

The file is GENERATED at run time in a temporary directory by replicating the real ResNet-18 QAT
``graph.json`` (sample_engines/resnet18-a100/qat) with unique layer and tensor names (copy k renames every
layer and tensor ``X`` to ``X #k``; the first copy keeps the engine bindings as its inputs/outputs).

Run:  .venv/bin/python benchmarks/bench_layers.py [--layers 50000] [--repeat 3]
Prints the best-of-N times and the ratio parse / json.loads (target: <= 2x for the whole ``report``).
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from trtinspect.parsers.layers import parse_layer_info

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "sample_engines" / "resnet18-a100" / "qat" / "resnet-qat.onnx.engine.graph.json"


def generate(n_layers: int, out: Path) -> Path:
    """Write a layer-information JSON with ``n_layers`` layers replicated from the real QAT graph."""
    base = json.loads(SOURCE.read_text())
    layers: list[dict[str, Any]] = []
    k = 0
    while len(layers) < n_layers:
        for rec in base["Layers"]:
            if len(layers) >= n_layers:
                break
            r = copy.deepcopy(rec)
            if k:
                r["Name"] = f"{r['Name']} #{k}"
                for t in r["Inputs"] + r["Outputs"]:
                    t["Name"] = f"{t['Name']} #{k}"
            layers.append(r)
        k += 1
    path = out / f"generated-{n_layers}.graph.json"
    path.write_text(json.dumps({"Layers": layers, "Bindings": base["Bindings"]}, indent=1))
    return path


def best_of(fn: Any, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (process_time: robust when other jobs share the machine)."""
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()  # kept alive until timed: freeing it is not part of loading
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        del result
    return min(walls), min(cpus)


_PEAK_SCRIPT = """
import sys
from trtinspect.parsers.layers import parse_layer_info
def hwm():  # peak resident set size of this process (Linux), MB
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
before = hwm()
meta, frame = parse_layer_info(sys.argv[1])
print(before, hwm())
"""


def peak_rss_mb(path: Path) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh interpreter after imports, and after parsing ``path``."""
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(path)], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(args.layers, Path(tmp))
        size_mb = path.stat().st_size / 1e6
        t_json = best_of(lambda: json.loads(path.read_bytes()), args.repeat)
        t_parse = best_of(lambda: parse_layer_info(path), args.repeat)
        meta, frame = parse_layer_info(path)
        assert len(frame) == args.layers == meta.n_layers
        del meta, frame
        rss_before, rss_after = peak_rss_mb(path)
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"file: {args.layers} layers, {size_mb:.1f} MB")
    print(f"json.loads (read + decode): wall {t_json[0]:.3f} s  cpu {t_json[1]:.3f} s")
    print(f"parse_layer_info:           wall {t_parse[0]:.3f} s  cpu {t_parse[1]:.3f} s")
    ratio_wall, ratio_cpu = t_parse[0] / t_json[0], t_parse[1] / t_json[1]
    print(f"ratio parse / json.loads:   wall {ratio_wall:.2f}x  cpu {ratio_cpu:.2f}x")
    print(f"peak RSS of a fresh process: {rss_before:.0f} MB after imports, {rss_after:.0f} MB after parsing")


if __name__ == "__main__":
    main()

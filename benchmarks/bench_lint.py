"""Benchmark: ``lint`` of a generated 50,000-layer engine against a plain ``json.loads`` of its graph file.

The engine is GENERATED at run time in a temporary directory by replicating the real ResNet-18 QAT bundle
(sample_engines/resnet18-a100/qat: graph.json and profile.json) with unique layer and tensor names (copy k
renames every layer and tensor ``X`` to ``X #k``). Copies are chained: copy k's network input is copy k-1's
network output, so the graph is one connected 50,000-layer engine and every rule walks real edges.

Run:  .venv/bin/python benchmarks/bench_lint.py [--layers 50000] [--repeat 3]
Prints best-of-N times measured in the same run and the ratio lint / json.loads (target: <= 2x).
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trtinspect
from trtinspect.inspector.lint import lint

REPO = Path(__file__).resolve().parent.parent
QAT = REPO / "sample_engines" / "resnet18-a100" / "qat"
GRAPH = QAT / "resnet-qat.onnx.engine.graph.json"
PROFILE = QAT / "resnet-qat.onnx.engine.profile.json"


def generate(n_layers: int, out: Path) -> tuple[Path, Path]:
    """Write ``engine.graph.json`` + ``engine.profile.json``: ``n_layers`` layers copied from QAT."""
    base = json.loads(GRAPH.read_text())
    prof = json.loads(PROFILE.read_text())
    times = {r["name"]: r for r in prof[1:]}
    first_in, last_out = base["Bindings"][0], base["Bindings"][-1]
    layers: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    k = 0
    while len(layers) < n_layers:
        for rec in base["Layers"]:
            if len(layers) >= n_layers:
                break
            r = copy.deepcopy(rec)
            t = dict(times[r["Name"]])
            if k:
                r["Name"] = t["name"] = f"{r['Name']} #{k}"
                for tensor in r["Inputs"] + r["Outputs"]:
                    if tensor["Name"] == first_in:  # chain: this copy reads the previous copy's output
                        tensor["Name"] = last_out if k == 1 else f"{last_out} #{k - 1}"
                    else:
                        tensor["Name"] = f"{tensor['Name']} #{k}"
            layers.append(r)
            rows.append(t)
        k += 1
    graph = out / "engine.graph.json"
    profile = out / "engine.profile.json"
    graph.write_text(json.dumps({"Layers": layers, "Bindings": base["Bindings"]}, indent=1))
    profile.write_text(json.dumps([{"count": 1}, *rows], indent=1))
    return graph, profile


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        graph, profile = generate(args.layers, Path(tmp))
        size_mb = graph.stat().st_size / 1e6
        t_json = best_of(lambda: json.loads(graph.read_bytes()), args.repeat)
        gc.disable()  # lint pauses the cyclic GC internally; show json.loads under the same condition too
        t_json_nogc = best_of(lambda: json.loads(graph.read_bytes()), args.repeat)
        gc.enable()
        t_load = best_of(lambda: trtinspect.load(graph, profile), args.repeat)
        bundle = trtinspect.load(graph, profile)
        assert len(bundle.layers) == args.layers
        t_lint = best_of(lambda: lint(bundle), args.repeat)
        findings = lint(bundle)
        bundle_np = trtinspect.load(graph)
        t_lint_np = best_of(lambda: lint(bundle_np), args.repeat)
    by_rule = findings["rule_id"].value_counts().to_dict()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cpu(s), "
        f"python {platform.python_version()}"
    )
    print(f"engine: {args.layers} layers (generated from the QAT ResNet-18), graph file {size_mb:.1f} MB")
    print(f"json.loads of the graph file (read + decode): {t_json:.3f} s")
    print(f"json.loads with the cyclic GC paused:         {t_json_nogc:.3f} s")
    print(f"trtinspect.load(graph, profile):              {t_load:.3f} s")
    print(
        f"lint(bundle) with profile:                    {t_lint:.3f} s  ({len(findings)} findings: {by_rule})"
    )
    print(f"lint(bundle) without profile:                 {t_lint_np:.3f} s")
    print(f"ratio lint / json.loads:                      {t_lint / t_json:.2f}x (target <= 2x)")
    print(f"ratio lint / json.loads with GC paused:       {t_lint / t_json_nogc:.2f}x")
    print(f"ratio (load + lint) / json.loads:             {(t_load + t_lint) / t_json:.2f}x")


if __name__ == "__main__":
    main()

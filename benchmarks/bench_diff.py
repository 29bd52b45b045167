"""Benchmark: ``diff`` of two generated 50,000-layer engines against a plain ``json.loads`` of one graph file.

Both engines are GENERATED at run time in a temporary directory by replicating real ResNet-18 bundles from
sample_engines/resnet18-a100 (default: A = qat, B = qat-residual; graph.json + profile.json). Copy k gets
unique layer names, tensor names and ONNX source nodes: auto-numbered nodes ``Op_N`` become
``Op_{N + 1000 k}`` (they stay auto-numbered, so the exporter-divergence logic runs as on the real pair),
other nodes (initializers such as ``layer1.0.conv1.weight``) become ``r{k}.<name>``, tensors ``<name> #k``.
Copy k of A corresponds to copy k of B; each engine is cut at exactly ``--layers`` layers.

Run:  .venv/bin/python benchmarks/bench_diff.py [--layers 50000] [--repeat 3] [--pair qat,qat-residual]
Prints best-of-N times measured in the same run and the ratio diff / json.loads (target: <= 4x).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trtinspect
from trtinspect.inspector.diff import diff

REPO = Path(__file__).resolve().parent.parent
RESNET = REPO / "sample_engines" / "resnet18-a100"
OFFSET = 1000
_NUM = re.compile(r"(_|Unnamed Layer\* )(\d+)")
_COPY = re.compile(r"^(Reformatting CopyNode for (?:Input|Output) Tensor \d+ to )(.+)$", re.S)


def _node(part: str, k: int) -> str:
    if _NUM.search(part):
        return _NUM.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + OFFSET * k}", part)
    return f"r{k}.{part}"


def rename(name: str, k: int) -> str:
    """The name of layer ``name`` in copy ``k`` (copy 0 keeps the real names)."""
    if k == 0:
        return name
    m = _COPY.match(name)
    if m:
        return m.group(1) + rename(m.group(2), k)
    return " + ".join(_node(p, k) for p in name.split(" + "))


def generate(variant: str, n_layers: int, out: Path) -> Path:
    """Write ``out/<variant>/gen.engine.{graph,profile}.json`` with ``n_layers`` replicated layers."""
    graph = json.loads(next((RESNET / variant).glob("*.engine.graph.json")).read_text())
    prof = json.loads(next((RESNET / variant).glob("*.engine.profile.json")).read_text())
    layers: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = [prof[0]]
    by_name = {r["name"]: r for r in prof[1:]}
    k = 0
    while len(layers) < n_layers:
        for rec in graph["Layers"]:
            if len(layers) >= n_layers:
                break
            r = json.loads(json.dumps(rec))
            r["Name"] = rename(rec["Name"], k)
            if k:
                for t in r["Inputs"] + r["Outputs"]:
                    t["Name"] = f"{t['Name']} #{k}"
            layers.append(r)
            rows.append({**by_name[rec["Name"]], "name": r["Name"]})
        k += 1
    folder = out / variant
    folder.mkdir(parents=True)
    doc = {"Layers": layers, "Bindings": graph["Bindings"]}
    (folder / "gen.engine.graph.json").write_text(json.dumps(doc))
    (folder / "gen.engine.profile.json").write_text(json.dumps(rows))
    return folder


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pair", default="qat,qat-residual", help="two variants of sample_engines/resnet18-a100")
    args = ap.parse_args()
    va, vb = args.pair.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        da, db = generate(va, args.layers, Path(tmp)), generate(vb, args.layers, Path(tmp))
        raw = (da / "gen.engine.graph.json").read_bytes()
        t_json, _ = best_of(args.repeat, lambda: json.loads(raw))
        t_load, (a, b) = best_of(args.repeat, lambda: (trtinspect.load(da), trtinspect.load(db)))
        t_diff, result = best_of(args.repeat, lambda: diff(a, b, findings=False))
        t_all, _ = best_of(1, lambda: diff(trtinspect.load(da), trtinspect.load(db), findings=False))
    kinds = result.groups["kind"].value_counts().to_dict()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"engines: A={va} x -> {len(a.layers)} layers, B={vb} x -> {len(b.layers)} layers; "
          f"graph file {len(raw) / 1e6:.1f} MB; {len(result.groups)} groups {kinds}; mode {result.mode}")
    print(f"json.loads(one graph file)      {t_json:8.3f} s")
    print(f"load both bundles               {t_load:8.3f} s")
    print(f"diff(a, b) (align + accounting) {t_diff:8.3f} s   ratio {t_diff / t_json:5.2f}x (target <= 4x)")
    print(f"load both + diff                {t_all:8.3f} s   ratio {t_all / t_json:5.2f}x")


if __name__ == "__main__":
    main()

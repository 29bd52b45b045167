"""Benchmark: ``lint`` of a generated 50,000-layer engine against a plain ``json.loads`` of its graph file.

The engine is GENERATED at run time in a temporary directory by ``benchmarks/generated_engine.py`` (the real
ResNet-18 QAT bundle replicated with unique layer, tensor and source-node names; copies chained through their
network input/output, so it is one connected 50,000-layer graph and every rule walks real edges).

Run:  .venv/bin/python benchmarks/bench_lint.py [--layers 50000] [--repeat 3]
Prints best-of-N times measured in the same run (interleaved rounds) and the ratio lint / json.loads
(target: <= 2x).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import trtinspect
from trtinspect.inspector.lint import lint

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import best_of, machine, peak_rss_mib, rounds
from generated_engine import generate

_RSS_LINT = """
import trtinspect
from trtinspect.inspector.lint import lint
lint(trtinspect.load(sys.argv[1]))
"""


def run(n_layers: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="trtinspect-bench-") as tmp:
        eng = generate(Path(tmp), n_layers)
        data = eng.graph.read_bytes()
        # baseline on a clean heap (no bundle alive: the collector has less to scan, so json.loads is faster)
        t_json_clean = best_of(lambda: json.loads(eng.graph.read_bytes()), repeat)
        bundle = trtinspect.load(eng.folder)
        assert len(bundle.layers) == n_layers
        bundle_np = trtinspect.load(eng.graph)
        lint(bundle)  # warm imports once
        r = rounds({"json": lambda: json.loads(eng.graph.read_bytes()), "lint": lambda: lint(bundle),
                    "lint_graph_only": lambda: lint(bundle_np)}, repeat)
        gc.disable()  # lint pauses the cyclic GC internally; show json.loads under the same condition too
        try:
            t_json_nogc = best_of(lambda: json.loads(data), repeat)
        finally:
            gc.enable()
        t_load = best_of(lambda: trtinspect.load(eng.folder), repeat)
        findings = lint(bundle)
        peak = peak_rss_mib(_RSS_LINT, [str(eng.folder)])
        graph_mb = len(data) / 1e6
    t_json, t_lint, t_lint_np = min(r["json"]), min(r["lint"]), min(r["lint_graph_only"])
    return {"layers": n_layers, "graph_mb": graph_mb, "json_s": t_json, "json_nogc_s": t_json_nogc,
            "json_clean_s": t_json_clean, "ratio_clean": t_lint / t_json_clean,
            "load_s": t_load, "lint_s": t_lint, "lint_graph_only_s": t_lint_np, "ratio": t_lint / t_json,
            "ratio_per_round": [round(a / b, 2) for a, b in zip(r["lint"], r["json"], strict=True)],
            "findings": len(findings), "by_rule": findings["rule_id"].value_counts().to_dict(),
            "peak_rss_load_lint_mib": peak, "machine": machine()}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    r = run(args.layers, args.repeat)
    print(f"machine: {r['machine']}")
    print(f"engine: {r['layers']} layers (generated from the QAT ResNet-18), graph file {r['graph_mb']:.1f} MB")
    print(f"json.loads of the graph file (read + decode): {r['json_s']:.3f} s")
    print(f"  same, before any bundle is loaded (clean heap): {r['json_clean_s']:.3f} s")
    print(f"json.loads with the cyclic GC paused:         {r['json_nogc_s']:.3f} s")
    print(f"trtinspect.load(folder):                      {r['load_s']:.3f} s")
    print(f"lint(bundle) with profile:                    {r['lint_s']:.3f} s  ({r['findings']} findings: "
          f"{r['by_rule']})")
    print(f"lint(bundle) without profile:                 {r['lint_graph_only_s']:.3f} s")
    print(f"ratio lint / json.loads:                      {r['ratio']:.2f}x (target <= 2x; per round "
          f"{r['ratio_per_round']})")
    print(f"ratio lint / clean-heap json.loads:           {r['ratio_clean']:.2f}x "
          f"{'PASS' if max(r['ratio'], r['ratio_clean']) <= 2 else 'MISS'} (the stricter of the two)")
    print(f"ratio lint / json.loads with GC paused:       {r['lint_s'] / r['json_nogc_s']:.2f}x")
    print(f"ratio (load + lint) / json.loads:             {(r['load_s'] + r['lint_s']) / r['json_s']:.2f}x")
    print(f"peak RSS of a fresh process, load + lint:     {r['peak_rss_load_lint_mib']:.0f} MiB")


@pytest.mark.benchmark
def test_lint_50k_layers_within_target() -> None:
    r = run(50_000, 2)
    assert max(r["ratio"], r["ratio_clean"]) <= 2.0, r


if __name__ == "__main__":
    main()

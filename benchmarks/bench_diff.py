"""Benchmark: ``diff`` of two generated 50,000-layer engines against a plain ``json.loads`` of one graph file.

Both engines are GENERATED at run time in a temporary directory by ``benchmarks/generated_engine.py`` from
two real ResNet-18 bundles of sample_engines/resnet18-a100 (default: A = qat, B = qat-residual): unique layer
names, tensor names and ONNX source nodes per copy, auto-numbered nodes kept auto-numbered (so the
exporter-divergence logic runs as on the real pair); copy k of A corresponds to copy k of B.

Run:  .venv/bin/python benchmarks/bench_diff.py [--layers 50000] [--repeat 3] [--pair qat,qat-residual]
Prints best-of-N times measured in the same run and the ratios to json.loads (target: <= 4x): ``diff`` on
loaded bundles, and end to end (load both + diff, what ``trtinspect diff A B`` does).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import trtinspect
from trtinspect.inspector.diff import diff

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import best_of, machine, peak_rss_mib, rounds, timed
from generated_engine import generate

_RSS_DIFF = """
import trtinspect
from trtinspect.inspector.diff import diff
diff(trtinspect.load(sys.argv[1]), trtinspect.load(sys.argv[2]), findings=False)
"""


def run(n_layers: int, repeat: int, pair: tuple[str, str] = ("qat", "qat-residual")) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="trtinspect-bench-") as tmp:
        ea, eb = generate(Path(tmp), n_layers, pair[0]), generate(Path(tmp), n_layers, pair[1])
        raw = ea.graph.read_bytes()
        # baseline on a clean heap (no bundle alive: the collector has less to scan, so json.loads is faster)
        t_json_clean = best_of(lambda: json.loads(raw), repeat)
        _, (a, b) = timed(lambda: (trtinspect.load(ea.folder), trtinspect.load(eb.folder)))
        result = diff(a, b, findings=False)  # warm imports once
        r = rounds({"json": lambda: json.loads(raw), "diff": lambda: diff(a, b, findings=False)}, repeat)
        t_load = best_of(lambda: (trtinspect.load(ea.folder), trtinspect.load(eb.folder)), repeat)
        t_all = best_of(lambda: diff(trtinspect.load(ea.folder), trtinspect.load(eb.folder), findings=False),
                        max(1, repeat // 2))
        peak = peak_rss_mib(_RSS_DIFF, [str(ea.folder), str(eb.folder)])
        sizes = (len(raw) / 1e6, eb.graph.stat().st_size / 1e6)
    t_json, t_diff = min(r["json"]), min(r["diff"])
    return {"pair": pair, "layers": (len(a.layers), len(b.layers)), "graph_mb": sizes,
            "groups": len(result.groups), "kinds": result.groups["kind"].value_counts().to_dict(),
            "mode": result.mode, "json_s": t_json, "json_clean_s": t_json_clean,
            "load_s": t_load, "diff_s": t_diff, "all_s": t_all,
            "ratio_diff": t_diff / t_json, "ratio_all": t_all / t_json,
            "ratio_diff_clean": t_diff / t_json_clean, "ratio_all_clean": t_all / t_json_clean,
            "ratio_per_round": [round(x / y, 2) for x, y in zip(r["diff"], r["json"], strict=True)],
            "peak_rss_mib": peak, "machine": machine()}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pair", default="qat,qat-residual", help="two variants of sample_engines/resnet18-a100")
    args = ap.parse_args()
    va, vb = args.pair.split(",")
    r = run(args.layers, args.repeat, (va, vb))
    print(f"machine: {r['machine']}")
    print(f"engines: A={va} -> {r['layers'][0]} layers, B={vb} -> {r['layers'][1]} layers; graph files "
          f"{r['graph_mb'][0]:.1f} / {r['graph_mb'][1]:.1f} MB; {r['groups']} groups {r['kinds']}; mode {r['mode']}")
    print(f"json.loads(graph file A)        {r['json_s']:8.3f} s   (interleaved with diff, bundles alive)")
    print(f"  same, clean heap (no bundles) {r['json_clean_s']:8.3f} s   (strict baseline)")
    print(f"load both bundles               {r['load_s']:8.3f} s   ratio {r['load_s'] / r['json_s']:5.2f}x")
    print(f"diff(a, b) (align + accounting) {r['diff_s']:8.3f} s   ratio {r['ratio_diff']:5.2f}x (target <= 4x; "
          f"per round {r['ratio_per_round']}); vs clean heap {r['ratio_diff_clean']:5.2f}x "
          f"{'PASS' if r['ratio_diff_clean'] <= 4 else 'MISS'}")
    print(f"load both + diff (end to end)   {r['all_s']:8.3f} s   ratio {r['ratio_all']:5.2f}x; vs clean heap "
          f"{r['ratio_all_clean']:5.2f}x {'PASS' if r['ratio_all_clean'] <= 4 else 'MISS'}")
    print(f"peak RSS of a fresh process, load both + diff: {r['peak_rss_mib']:.0f} MiB")


@pytest.mark.benchmark
def test_diff_50k_layers_within_target() -> None:
    r = run(50_000, 2)
    assert r["ratio_diff_clean"] <= 4.0, r


if __name__ == "__main__":
    main()

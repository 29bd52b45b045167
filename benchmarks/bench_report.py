"""Benchmark: `trtinspect report` on a generated 50,000-layer engine vs a plain json.loads of its graph file.

The engine is GENERATED at run time in a temporary folder by ``benchmarks/generated_engine.py``: the real
ResNet-18 QAT bundle (sample_engines/resnet18-a100/qat) replicated with unique layer, tensor and source-node
names to N layers, with a matching ``--exportProfile`` file and the real timing/metadata files beside it.

Measured in one process, same run: ``json.loads`` (standard library) and ``orjson.loads`` of the graph bytes,
then the report end to end (``trtinspect.load`` + ``build_report`` + ``render_text``) and its parts. Peak
memory is the peak RSS (``VmHWM``) of a fresh subprocess that runs the report once, next to the peak RSS of
a fresh subprocess that only imports trtinspect and ``json.loads`` the graph.

    python benchmarks/bench_report.py [--layers 50000] [--repeat 3]
    pytest -m benchmark benchmarks/
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import best_of, machine, peak_rss_mib, rounds
from generated_engine import GeneratedEngine, generate


def report_once(folder: Path) -> str:
    from trtinspect.inspector.report import build_report
    from trtinspect.parsers.bundle import load
    from trtinspect.render.report import render_text

    return render_text(build_report(load(folder), lint=False))


def report_once_gc_on(folder: Path) -> str:
    """The same report with the loader's garbage-collector pause switched off (to show what it saves)."""
    import contextlib

    import trtinspect.parsers.bundle as loader

    @contextlib.contextmanager
    def no_pause() -> Iterator[None]:
        yield

    paused = loader.gc_paused
    loader.gc_paused = no_pause
    try:
        return report_once(folder)
    finally:
        loader.gc_paused = paused


def parts(eng: GeneratedEngine, repeat: int) -> dict[str, float]:
    """Where the report's time goes."""
    from trtinspect.inspector.report import build_report
    from trtinspect.parsers.bundle import load
    from trtinspect.parsers.join import join_profile
    from trtinspect.parsers.layers import parse_layer_info
    from trtinspect.parsers.profile import parse_profile
    from trtinspect.parsers.sniff import detect_kind
    from trtinspect.render.report import render_text

    folder = eng.folder
    bundle = load(folder)
    report = build_report(bundle, lint=False)
    return {
        "sniff (all files)": best_of(lambda: [detect_kind(p) for p in folder.iterdir()], repeat),
        "parse_layer_info": best_of(lambda: parse_layer_info(eng.graph), repeat),
        "parse_profile": best_of(lambda: parse_profile(eng.profile), repeat),
        "join_profile": best_of(lambda: join_profile(bundle.layers, bundle.profile), repeat),
        "build_report": best_of(lambda: build_report(bundle, lint=False), repeat),
        "render_text": best_of(lambda: render_text(report), repeat),
    }


_RSS_REPORT = """
from pathlib import Path
from bench_report import report_once
report_once(Path(sys.argv[1]))
"""
_RSS_JSON = """
import json
from pathlib import Path
import trtinspect.parsers.bundle, trtinspect.inspector.report
json.loads(Path(sys.argv[1]).read_bytes())
"""


def run(n_layers: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="trtinspect-bench-") as tmp:
        eng = generate(Path(tmp), n_layers)
        folder = eng.folder
        data = eng.graph.read_bytes()
        report_once(folder)  # warm imports and caches once
        # interleaved rounds, so a busy machine slows all alike; best of the rounds for each
        r = rounds({"json": lambda: json.loads(data), "orjson": lambda: orjson.loads(data),
                    "report": lambda: report_once(folder), "gc_on": lambda: report_once_gc_on(folder)}, repeat)
        t_json, t_orjson, t_report, t_gc_on = (min(r[k]) for k in ("json", "orjson", "report", "gc_on"))
        return {
            "layers": n_layers,
            "graph_mib": len(data) / 1024**2,
            "profile_mib": eng.profile.stat().st_size / 1024**2,
            "json_loads_s": t_json,
            "orjson_loads_s": t_orjson,
            "report_s": t_report,
            "ratio_vs_json": t_report / t_json,
            "ratio_vs_orjson": t_report / t_orjson,
            "ratio_per_round": [round(a / b, 2) for a, b in zip(r["report"], r["json"], strict=True)],
            "report_gc_on_s": t_gc_on,
            "ratio_gc_on_vs_json": t_gc_on / t_json,
            "parts_s": parts(eng, repeat),
            "peak_rss_report_mib": peak_rss_mib(_RSS_REPORT, [str(folder)]),
            "peak_rss_json_only_mib": peak_rss_mib(_RSS_JSON, [str(eng.graph)]),
            "machine": machine(),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    r = run(args.layers, args.repeat)
    print(f"machine: {r['machine']}")
    print(f"generated: {r['layers']} layers, graph {r['graph_mib']:.1f} MiB, "
          f"profile {r['profile_mib']:.1f} MiB")
    print(f"json.loads(graph)   {r['json_loads_s']:.3f} s")
    print(f"orjson.loads(graph) {r['orjson_loads_s']:.3f} s")
    print(f"report end to end   {r['report_s']:.3f} s  = {r['ratio_vs_json']:.2f}x json.loads, "
          f"{r['ratio_vs_orjson']:.2f}x orjson.loads (per round: {r['ratio_per_round']})")
    print(f"  (same report with the collector left on: {r['report_gc_on_s']:.3f} s = "
          f"{r['ratio_gc_on_vs_json']:.2f}x json.loads)")
    for name, secs in r["parts_s"].items():
        print(f"  {name:<18} {secs:.3f} s ({secs / r['json_loads_s']:.2f}x json.loads)")
    print(f"peak RSS: report {r['peak_rss_report_mib']:.0f} MiB; import + json.loads only "
          f"{r['peak_rss_json_only_mib']:.0f} MiB")
    ok = r["ratio_vs_json"] <= 2.0 and r["peak_rss_report_mib"] * 1.048576 < 600
    print(f"targets (<= 2x json.loads, < 600 MB peak): {'PASS' if ok else 'MISS'}")


@pytest.mark.benchmark
def test_report_50k_layers_within_targets() -> None:
    r = run(50_000, 2)
    assert r["ratio_vs_json"] <= 2.0, r
    assert r["peak_rss_report_mib"] < 600, r


if __name__ == "__main__":
    main()

"""Benchmark: `trtinspect report` on a generated 50,000-layer engine vs a plain json.loads of its graph file.

The engine is GENERATED at run time in a temporary folder: the real ResNet-18 QAT graph
(sample_engines/resnet18-a100/qat) is replicated with unique layer and tensor names (suffix ``__rN``) until it
holds N layers, with a matching ``--exportProfile`` file (the real profile records, renamed the same way) and
the real timing/metadata files beside it, TREx-named ``bench.engine.*``.

Measured in one process, same run: ``json.loads`` (standard library) and ``orjson.loads`` of the graph bytes,
then the report end to end (``trtinspect.load`` + ``build_report`` + ``render_text``) and its parts. Peak
memory is the peak RSS (``VmHWM``) of a fresh subprocess that runs the report once, next to the peak RSS of
a fresh subprocess that only imports trtinspect and ``json.loads`` the graph.

    python benchmarks/bench_report.py [--layers 50000] [--repeat 3]
    pytest -m benchmark benchmarks/bench_report.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

REPO = Path(__file__).resolve().parent.parent
QAT = REPO / "sample_engines" / "resnet18-a100" / "qat"
STEM = "resnet-qat.onnx.engine"


def _rename_layer(layer: dict[str, Any], suffix: str) -> dict[str, Any]:
    out = dict(layer)
    out["Name"] = f"{layer['Name']}{suffix}"
    for key in ("Inputs", "Outputs"):
        if isinstance(layer.get(key), list):
            out[key] = [dict(t, Name=f"{t['Name']}{suffix}") for t in layer[key]]
    return out


def generate(folder: Path, n_layers: int) -> dict[str, Path]:
    """Write bench.engine.{graph,profile,timing,*metadata}.json with ``n_layers`` layers into ``folder``."""
    graph = json.loads((QAT / f"{STEM}.graph.json").read_text())
    profile = json.loads((QAT / f"{STEM}.profile.json").read_text())
    base_layers, base_prof = graph["Layers"], profile[1:]
    by_name = {r["name"]: r for r in base_prof}
    layers: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    rep = 0
    while len(layers) < n_layers:
        suffix = f"__r{rep}"
        for layer in base_layers:
            if len(layers) == n_layers:
                break
            layers.append(_rename_layer(layer, suffix))
            rec = by_name.get(layer["Name"])
            if rec is not None:
                records.append(dict(rec, name=f"{rec['name']}{suffix}"))
        rep += 1
    total = sum(r["timeMs"] for r in records)
    for r in records:
        r["percentage"] = 100.0 * r["timeMs"] / total
    paths = {"graph": folder / "bench.engine.graph.json", "profile": folder / "bench.engine.profile.json"}
    paths["graph"].write_text(json.dumps({"Layers": layers, "Bindings": graph.get("Bindings", [])}, indent=1))
    paths["profile"].write_text(json.dumps([profile[0], *records], indent=1))
    for suffix in ("timing.json", "build.metadata.json", "profile.metadata.json", "metadata.json"):
        shutil.copy(QAT / f"{STEM}.{suffix}", folder / f"bench.engine.{suffix}")
    return paths


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def report_once(folder: Path) -> str:
    from trtinspect.bundle import load
    from trtinspect.report import build_report, render_text

    return render_text(build_report(load(folder), lint=False))


def report_once_gc_on(folder: Path) -> str:
    """The same report with the loader's garbage-collector pause switched off (to show what it saves)."""
    import contextlib

    import trtinspect.bundle as loader

    @contextlib.contextmanager
    def no_pause() -> Iterator[None]:
        yield

    paused = loader.gc_paused
    loader.gc_paused = no_pause  # type: ignore[assignment]
    try:
        return report_once(folder)
    finally:
        loader.gc_paused = paused


def parts(folder: Path, paths: dict[str, Path], repeat: int) -> dict[str, float]:
    """Where the report's time goes."""
    from trtinspect.bundle import join_profile, load
    from trtinspect.parsers.layers import parse_layer_info
    from trtinspect.parsers.profile import parse_profile
    from trtinspect.parsers.sniff import detect_kind
    from trtinspect.report import build_report, render_text

    bundle = load(folder)
    report = build_report(bundle, lint=False)
    return {
        "sniff (all files)": _best(lambda: [detect_kind(p) for p in folder.iterdir()], repeat),
        "parse_layer_info": _best(lambda: parse_layer_info(paths["graph"]), repeat),
        "parse_profile": _best(lambda: parse_profile(paths["profile"]), repeat),
        "join_profile": _best(lambda: join_profile(bundle.layers, bundle.profile), repeat),
        "build_report": _best(lambda: build_report(bundle, lint=False), repeat),
        "render_text": _best(lambda: render_text(report), repeat),
    }


_RSS_SNIPPET = """
import resource, sys, json
from pathlib import Path
mode, folder = sys.argv[1], Path(sys.argv[2])
import trtinspect.bundle, trtinspect.report
if mode == "report":
    sys.path.insert(0, {bench_dir!r})
    from bench_report import report_once
    report_once(folder)
else:
    json.loads((folder / "bench.engine.graph.json").read_bytes())
# VmHWM: this process's peak resident set (ru_maxrss can carry the parent's peak across fork + exec)
status = Path("/proc/self/status")
hwm = [ln for ln in status.read_text().splitlines() if ln.startswith("VmHWM:")] if status.exists() else []
print(int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mib(folder: Path, mode: str) -> float:
    code = _RSS_SNIPPET.format(bench_dir=str(Path(__file__).parent))
    out = subprocess.run([sys.executable, "-c", code, mode, str(folder)], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024  # KiB -> MiB


def run(n_layers: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="trtinspect-bench-") as tmp:
        folder = Path(tmp)
        paths = generate(folder, n_layers)
        data = paths["graph"].read_bytes()
        report_once(folder)  # warm imports and caches once
        # interleaved rounds, so a busy machine slows all three alike; best of the rounds for each
        rounds = [(_best(lambda: json.loads(data), 1), _best(lambda: orjson.loads(data), 1),
                   _best(lambda: report_once(folder), 1), _best(lambda: report_once_gc_on(folder), 1))
                  for _ in range(repeat)]
        t_json, t_orjson, t_report, t_gc_on = (min(r[i] for r in rounds) for i in range(4))
        return {
            "layers": n_layers,
            "graph_mib": len(data) / 1024**2,
            "profile_mib": paths["profile"].stat().st_size / 1024**2,
            "json_loads_s": t_json,
            "orjson_loads_s": t_orjson,
            "report_s": t_report,
            "ratio_vs_json": t_report / t_json,
            "ratio_vs_orjson": t_report / t_orjson,
            "ratio_per_round": [round(r[2] / r[0], 2) for r in rounds],
            "report_gc_on_s": t_gc_on,
            "ratio_gc_on_vs_json": t_gc_on / t_json,
            "parts_s": parts(folder, paths, repeat),
            "peak_rss_report_mib": peak_rss_mib(folder, "report"),
            "peak_rss_json_only_mib": peak_rss_mib(folder, "json"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
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


@pytest.mark.benchmark
def test_report_50k_layers_within_targets() -> None:
    r = run(50_000, 2)
    assert r["ratio_vs_json"] <= 2.0, r
    assert r["peak_rss_report_mib"] < 600, r


if __name__ == "__main__":
    main()

"""trtexec's performance summary recomputed from real ``--exportTimes`` files (issue 12).

Every real bundle that has both a times file and trtexec's printed summary (TREx ``profile.metadata.json``):
5 A100 ResNet-18 bundles, 2 TITAN RTX MobileNet-v2 QAT bundles, 3 RTX 3090 ResNet-50 bundles (TensorRT 8.x
era) and one RTX 3060 Laptop AlexNet FP16 bundle (TensorRT 10.4, ``--warmUp=5000 --noDataTransfers
--useCudaGraph``). The printed figures are compared as trtexec prints them (6 significant digits).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, RESNET, RESNET_VARIANTS

from trtinspect.parsers import schema
from trtinspect.parsers import trtexec_summary as ts
from trtinspect.parsers.bundle import load

EXT = DATA / "external"
REAL = [RESNET / v for v in RESNET_VARIANTS] + [
    EXT / "trex-titanrtx-mobilenet" / "qat", EXT / "trex-titanrtx-mobilenet" / "qat-residuals",
    EXT / "trex-rtx3090-resnet50" / "fp32", EXT / "trex-rtx3090-resnet50" / "fp16",
    EXT / "trex-rtx3090-resnet50" / "qat", EXT / "trex-rtx3060laptop-alexnet",
]
# The warm-up each bundle's trtexec run used ("Duration: 3s (+ N ms warm up)"); 200 ms is trtexec's default.
WARMUP = {"trex-rtx3060laptop-alexnet": 5000.0}
# Figures a times file determines exactly (durations are recovered on their float32 grid).
EXACT = ("GPU Compute Time", "Latency", "H2D Latency", "D2H Latency", "Total GPU Compute Time")


def _recompute(folder: Path) -> tuple[ts.Recomputed, list[ts.Agreement], dict[str, object]]:
    bundle = load(folder)
    warm, source = ts.warmup_ms(bundle.inference_options)
    rec = ts.recompute(bundle.times, warmup=warm, warmup_source=source,
                       percentiles=ts.percentiles_of(bundle.summary),
                       batch=ts.batch_size(bundle.inference_options), era=bundle.extras["times_era"])
    assert rec is not None
    printed = json.loads(next(folder.glob("*.profile.metadata.json")).read_text())["performance_summary"]
    return rec, ts.compare(rec, bundle.summary, bundle.times), printed


@pytest.mark.parametrize("folder", REAL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_printed_figure_is_reproduced(folder: Path) -> None:
    rec, rows, printed = _recompute(folder)
    assert rec.warmup_ms == WARMUP.get(folder.name, 200.0) and "Duration" in rec.warmup_source
    by = {(r.metric, r.stat): r for r in rows}
    n_gpu = len(printed["GPU Compute Time"])
    assert len([k for k in by if k[0] == "GPU Compute Time"]) == n_gpu  # min max mean median + percentiles
    for r in rows:
        if r.metric in EXACT:
            assert r.status == "exact", r
            assert ts.printed(r.ours) == ts.printed(r.printed)
        elif r.metric == "Enqueue Time":
            assert r.status in ("exact", ts.COARSE), r
        else:  # throughput, walltime: timestamps printed with 6 significant digits
            assert r.status in ("exact", ts.NEAR), r
            assert abs(r.ours - r.printed) <= r.bound
    assert not [r for r in rows if r.status == "differs"]
    # the iteration count: trtexec's total GPU time / its mean
    assert round(printed["Total GPU Compute Time"] * 1000 / printed["GPU Compute Time"][2]) == rec.iterations


def test_titan_rtx_figures_of_the_issue() -> None:
    rec, _rows, _ = _recompute(EXT / "trex-titanrtx-mobilenet" / "qat")
    gpu = rec.metrics["compute_ms"]
    assert (rec.total, rec.first, rec.iterations) == (8945, 455, 8490)
    assert ts.printed(gpu.mean) == "0.352143"
    assert ts.printed(gpu.percentiles[99.0]) == "0.376038"
    assert ts.printed(gpu.max) == "0.586731"


def test_rtx3090_fp16_p99_no_longer_exceeds_the_max() -> None:
    rec, _rows, printed = _recompute(EXT / "trex-rtx3090-resnet50" / "fp16")
    gpu = rec.metrics["compute_ms"]
    assert gpu.percentiles[99.0] <= gpu.max
    assert ts.printed(gpu.max) == "4.08575" == ts.printed(printed["GPU Compute Time"][1])


def test_trt10_bundle_with_a_long_warmup_and_no_transfers() -> None:
    """TensorRT 10.4 exports only the timed iterations (first at 5000 ms, after --warmUp=5000): all 6,039 are
    the window, and every GPU/latency/throughput figure is reproduced; H2D/D2H are printed as 0."""
    rec, rows, printed = _recompute(EXT / "trex-rtx3060laptop-alexnet")
    assert (rec.total, rec.first, rec.iterations) == (6039, 0, 6039)
    p99 = rec.metrics["compute_ms"].percentiles[99.0]
    assert ts.printed(p99) == "0.5" == ts.printed(printed["GPU Compute Time"][6])
    by = {(r.metric, r.stat): r for r in rows}
    assert by[("Throughput", "value")].status == "exact" and ts.printed(by[("Throughput", "value")].ours) == "2012.22"
    assert printed["H2D Latency"] == [0.0] * 7 and by[("H2D Latency", "max")].status == "exact"


def test_describe_says_what_agrees() -> None:
    _rec, rows, _ = _recompute(EXT / "trex-titanrtx-mobilenet" / "qat")
    text = ts.describe(rows)
    assert text is not None and "reproduced exactly" in text and "Enqueue Time: not reproducible" in text
    assert "DIFFERENT" not in text


# ---------------------------------------------------------------------------------------------- the rules
def test_percentile_index_is_trtexecs() -> None:
    # float32: (1 - 0.99f) * 100 = 0.999999 -> 0 excluded, so trtexec's p99 of 100 values is the maximum
    assert ts.percentile_index(99, 100) == 99
    assert ts.percentile_index(90, 100) == 89  # (1 - 0.9f) * 100 = 10.0000024 -> 10 excluded
    assert ts.percentile_index(99, 8490) == 8490 - 1 - 84
    assert ts.percentile_index(50, 4) == 1
    assert ts.percentile_index(99, 1) == 0


def test_median_and_float32_mean() -> None:
    m = ts.summarize(np.array([4.0, 1.0, 3.0, 2.0], dtype=np.float32), [99])
    assert (m.min, m.max, m.median, m.mean) == (1.0, 4.0, 2.5, 2.5)
    big = np.full(20_000_000 // 1000, 0.1, dtype=np.float32)
    assert ts.float32_sum(big) != pytest.approx(2000.0, abs=1e-9)  # float32 rounding, as trtexec accumulates


@pytest.mark.parametrize(("options", "commands", "expected"), [
    ({"Warmup": "500ms"}, [], 500.0),
    ({"Duration": "3s (+ 50ms warm up)"}, [], 50.0),
    ({}, ["trtexec --loadEngine=a.engine --warmUp=1000"], 1000.0),
    ({}, [], 200.0),
])
def test_warmup_sources(options: dict[str, str], commands: list[str], expected: float) -> None:
    value, source = ts.warmup_ms(options, commands)
    assert value == expected
    assert ("default" in source) == (not options and not commands)


def test_batch_for_throughput() -> None:
    assert ts.batch_size({"Batch": "Explicit"}) == 1
    assert ts.batch_size({"Batch": "16"}) == 16
    assert ts.batch_size({}) == 1


def _times(starts: list[float], compute: list[float]) -> pd.DataFrame:
    frame = pd.DataFrame({"compute_start_ms": starts, "compute_ms": compute, "h2d_start_ms": starts,
                          "h2d_ms": 0.0, "d2h_ms": 0.0,
                          "d2h_end_ms": [s + c for s, c in zip(starts, compute, strict=True)]})
    frame["iteration"] = range(len(frame))
    for col, dtype in schema.TIMES.items():
        if col not in frame:
            frame[col] = pd.Series(np.nan, index=frame.index, dtype=dtype)
    return schema.conform(frame, schema.TIMES)


def test_window_is_idempotent_for_files_without_warmup() -> None:
    # TensorRT 8.5+ exports only measured iterations: the rule keeps them all
    rec = ts.recompute(_times([250.0, 251.0, 252.0], [0.5, 0.5, 0.5]), warmup=200)
    assert rec is not None and rec.first == 0 and rec.iterations == 3
    rec = ts.recompute(_times([10.0, 199.9, 200.0, 300.0], [0.5, 9.0, 0.5, 0.5]), warmup=200)
    assert rec is not None and rec.first == 2 and rec.metrics["compute_ms"].max == 0.5


def test_no_iteration_after_the_warmup() -> None:
    assert ts.recompute(_times([10.0, 20.0], [0.5, 0.5]), warmup=200) is None


def test_snap_keeps_values_that_are_not_on_the_grid() -> None:
    # a value 0.3 away from any grid point is not moved (data not written by trtexec)
    vals, n = ts.snap(np.array([0.123457]), np.array([3000.0]))
    assert n == 0 and float(vals[0]) == pytest.approx(0.123457, rel=1e-6)
    vals, n = ts.snap(np.array([0.349854]), np.array([3000.0]))
    assert n == 1 and float(vals[0]) * 4096 == 1433.0


# ------------------------------------------------------------------------------------ the bundle's one summary
def test_every_command_reads_the_same_gpu_compute() -> None:
    """report, lint, diff and check all show trtexec's window mean (issue 12: they used to disagree)."""
    from trtinspect.inspector import check_inputs
    from trtinspect.inspector.diff import diff
    from trtinspect.inspector.lint import lint
    from trtinspect.inspector.report import build_report

    a, b = load(EXT / "trex-titanrtx-mobilenet" / "qat"), load(EXT / "trex-titanrtx-mobilenet" / "qat-residuals")
    printed = 0.352143
    assert ts.printed(build_report(a, lint=False)["timing"]["compute_ms"]["mean"]) == "0.352143"
    findings = lint(a)
    assert ts.printed(findings.attrs["end_to_end_ms"]) == "0.352143"
    assert diff(a, b).totals["a_gpu_compute_ms"] == pytest.approx(printed, rel=2e-6)
    source, samples = check_inputs.end_to_end_samples([a])
    assert source == "iterations" and len(samples[0]) == 8490
    assert float(np.median(samples[0])) == pytest.approx(a.timing.gpu_compute.median)


def test_transfers_disabled_are_not_measured_not_zero() -> None:
    from trtinspect.inspector.report import build_report
    from trtinspect.render.report import render_text

    b = load(EXT / "trex-rtx3090-resnet50" / "fp16")
    t = b.timing
    assert t.metrics["h2d_ms"].unmeasured == "not measured (data transfers disabled)" and not t.metrics["h2d_ms"].known
    text = render_text(build_report(b, lint=False))
    assert "H2D and D2H not measured (data transfers disabled)" in " ".join(text.split())   # wrapped between words
    assert re.search(r"^  H2D +not measured$", text, re.M)
    assert "Timing per iteration of batch 32" in text and "mean/sample" in text
    gpu = re.search(r"^  GPU compute +(.*)$", text, re.M)
    assert gpu is not None and gpu.group(1).split() == ["4.00281", "4.08575", "4.02732", "4.02026", "4.08063",
                                                        "0.125854"]   # trtexec's min max mean median p99; /32
    enqueue = re.search(r"^  Enqueue +(.*)$", text, re.M)
    assert enqueue is not None and len(enqueue.group(1).split()) == 5   # no per-sample enqueue figure
    assert "747 measured iteration(s) (of 795 exported; the first 48 ran in the warm-up)" in text
    assert t.batch == 32 and "input_1=32x224x224x3" in (t.batch_source or "")


def test_unknown_warmup_is_trtexecs_default_with_a_note(tmp_path: Path) -> None:
    src = EXT / "trex-titanrtx-mobilenet" / "qat"
    for name in ("mobilenet.qat.onnx.engine.timing.json", "mobilenet.qat.onnx.engine.profile.json"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    t = load(tmp_path).timing
    assert t.window is not None and t.window.warmup_ms == 200.0 and t.iterations == 8490
    assert any("trtexec's default 200 ms assumed" in n for n in t.notes)
    assert ts.printed(t.gpu_compute.mean) == "0.352143"


def test_times_written_by_trtinspect_profile_have_no_warmup_window(tmp_path: Path) -> None:
    from trtinspect.parsers import bundle_writer

    its = [bundle_writer.IterationTiming(i * 1.0, i * 1.0 + 0.01, i * 1.0, i * 1.0, i * 1.0, i * 1.0 + 0.5,
                                         i * 1.0 + 0.5, i * 1.0 + 0.5) for i in range(50)]
    meta = {"performance_summary": bundle_writer.performance_summary(its, 0.05),
            "inference_options": {"Warm-up": "10 iterations"}, "trtinspect": {"version": "test"}}
    bundle_writer.write_bundle(tmp_path, "x", iterations=its, metadata=meta)
    t = load(tmp_path).timing
    assert t.iterations == 50 and t.window is not None and t.window.first == 0 and t.window.warmup_ms is None
    assert any("written by trtinspect profile" in n for n in t.notes)
    assert t.gpu_compute.mean == pytest.approx(0.5)

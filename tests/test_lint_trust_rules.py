"""Lint findings fixed after the TensorRT-engineer review (session of issue 11): trtexec's throughput warnings
(enqueue-bound, transfer-bound, unstable GPU compute time), the printed per-layer averages of unstable-timing, and
int8-fallback on Q/DQ networks. Each test runs the command from the review on the real file."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trtinspect
from tests.conftest import DATA, RESNET, run_cli
from trtinspect.inspector.lint import lint
from trtinspect.inspector.rules_timing import coefficient_of_variation, cv_threshold
from trtinspect.parsers.model import EngineBundle

EXTERNAL = DATA / "external"
ENQUEUE_LOG = EXTERNAL / "quoted" / "trt10-multipercentile.issue4177.log"
LPRNET = EXTERNAL / "xavier-nx-trt8.5.2-lprnet" / "profile.log"
MOBILENET = EXTERNAL / "trex-titanrtx-mobilenet"


def _lint_json(path: str, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, Any]]:
    code, out, err = run_cli(["lint", path, "--format", "json", *extra], capsys)
    assert code == 0, err
    findings: list[dict[str, Any]] = json.loads(out)["findings"]
    return findings


# ------------------------------------------------------------------------------------------ enqueue-bound
def test_enqueue_bound_run_gets_trtexecs_finding(capsys: pytest.CaptureFixture[str]) -> None:
    """`lint trt10-multipercentile.issue4177.log`: Enqueue Time median 7.86694 ms > 0.8 x GPU Compute median
    7.14139 ms is trtexec's enqueue-bound rule; the GPU was busy 98.8% of the walltime (2.96536 of 3.00082 s),
    so it is info and says the gain is at most 1.2%."""
    findings = _lint_json(str(ENQUEUE_LOG), capsys)
    assert [f["rule_id"] for f in findings] == ["enqueue-bound"]
    f = findings[0]
    ev = f["evidence"]
    assert ev["enqueue_median_ms"] == 7.86694 and ev["gpu_compute_median_ms"] == 7.14139
    assert ev["threshold"] == 0.8 and ev["medians_from"] == "summary" and ev["gpu_busy_share"] == 0.9882
    assert "7.86694 ms > 0.8 x GPU compute median 7.14139 ms" in f["title"]
    assert f["severity"] == "info" and f["layer_names"] == [] and f["cost_ms"] is None
    assert "at most 1.2% throughput" in f["cause"] and "no per-layer profile" not in f["cause"]
    # the files do not say whether CUDA graphs were used: advised "if not already"
    assert "--useCudaGraph" in f["mitigation"] and "did not already use them" in f["mitigation"]
    assert "--infStreams" in f["mitigation"] and "--useSpinWait" in f["mitigation"]
    code, out, _ = run_cli(["lint", str(ENQUEUE_LOG)], capsys)
    assert code == 0 and "Throughput may be bound by Enqueue Time" in out


def _with(path: Any, **changes: Any) -> EngineBundle:
    b = trtinspect.load(path)
    for key, value in changes.items():
        setattr(b, key, value)
    return b


def test_enqueue_bound_advice_fits_the_build() -> None:
    """The same real summary, as if the run had used CUDA graphs (its inference options say so): no CUDA-graph
    advice; the other remedies stay."""
    b = _with(ENQUEUE_LOG, inference_options={"CUDA Graph": "Enabled"})
    f = lint(b, ["enqueue-bound"]).iloc[0]
    assert "run with CUDA graphs" not in f["mitigation"] and "already used CUDA graphs" in f["mitigation"]
    assert "--infStreams" in f["mitigation"] and f["evidence"]["cuda_graphs"] is True


def _summary_with(path: Any, metric: str, median: float) -> pd.DataFrame:
    s = trtinspect.load(path).summary.copy()
    s.loc[(s["metric"] == metric) & (s["stat"] == "median"), "value"] = median
    return s


def test_enqueue_bound_is_trtexecs_threshold_exactly() -> None:
    """0.8 x 7.14139 = 5.713112: an enqueue median just above is flagged, one just below is not (the real
    summary with its Enqueue median edited; a warning when the totals are gone)."""
    for median, flagged in ((5.7132, True), (5.7131, False)):
        s = _summary_with(ENQUEUE_LOG, "Enqueue Time", median)
        s = s[~s["metric"].isin(["Total Host Walltime", "Total GPU Compute Time"])]
        got = lint(_with(ENQUEUE_LOG, summary=s), ["enqueue-bound"])
        assert len(got) == int(flagged)
        if flagged:
            assert got.iloc[0]["severity"] == "warning"


def test_transfer_bound_is_trtexecs_rule() -> None:
    """H2D median >= GPU compute median (trtexec's rule; none of the bundled runs is transfer-bound): the
    real summary with its H2D median edited to equal the GPU compute median."""
    assert lint(trtinspect.load(ENQUEUE_LOG), ["transfer-bound"]).empty
    got = lint(_with(ENQUEUE_LOG, summary=_summary_with(ENQUEUE_LOG, "H2D Latency", 7.14139)), ["transfer-bound"])
    assert len(got) == 1 and "host-to-device transfers" in got.iloc[0]["title"]
    assert got.iloc[0]["evidence"]["h2d_median_ms"] == 7.14139


# ------------------------------------------------------------------------------------------ unstable-timing
def test_unstable_timing_shows_the_printed_average(capsys: pytest.CaptureFixture[str]) -> None:
    """`lint xavier-nx-trt8.5.2-lprnet/profile.log`: res5b_branch2a's row prints Avg 0.3337 ms, Median 0.2137
    ms; the title showed the time-share average 0.3338."""
    findings = _lint_json(str(LPRNET), capsys)
    unstable = [f for f in findings if f["rule_id"] == "unstable-timing"]
    assert len(unstable) == 1            # one root cause (the run's timing noise): one finding, not 8
    members = unstable[0]["evidence"]["members"]
    hit = [m for m in members if "res5b_branch2a" in m["title"]]
    assert len(hit) == 1
    assert "(average 0.3337 vs median 0.2137 ms)" in hit[0]["title"]
    assert hit[0]["evidence"]["avg_ms"] == 0.3337 and hit[0]["evidence"]["median_ms"] == 0.2137


def test_unstable_layers_are_one_finding(capsys: pytest.CaptureFixture[str]) -> None:
    """`trtinspect lint tests/data/external/xavier-nx-trt8.5.2-lprnet` (TensorRT-engineer review, defect 7):
    findings 3-10 were each an unstable-timing finding about one layer; one cause, one finding listing the 8
    layers, with no cost (a measurement-quality finding, not 0 ms)."""
    findings = _lint_json(str(LPRNET.parent), capsys)
    unstable = [f for f in findings if f["rule_id"] == "unstable-timing"]
    assert len(unstable) == 1
    f = unstable[0]
    assert f["title"] == "Unstable timing: 8 layers whose average and median differ by 20% or more"
    assert len(f["layer_names"]) == 8 and f["evidence"]["count"] == 8
    assert f["cost_ms"] is None


def test_unstable_compute_is_trtexecs_cv_rule() -> None:
    """trtexec's CV rule on the measured iterations of a times file: MobileNet QAT residuals 11.1877% > 2.5%
    (version unknown), the A100 QAT 0.1155% is stable; thresholds by version as in the OSS sampleReporting.cpp."""
    f = lint(trtinspect.load(MOBILENET / "qat-residuals"), ["unstable-timing"])
    engine_wide = f[f["layer_names"].map(len) == 0]
    assert len(engine_wide) == 1
    ev = engine_wide.iloc[0]["evidence"]
    assert ev["coefficient_of_variation_pct"] == 11.1877 and ev["threshold_pct"] == 2.5
    assert "GPU compute time is unstable, with coefficient of variance = 11.1877%" in engine_wide.iloc[0]["title"]
    a100 = lint(trtinspect.load(RESNET / "qat"), ["unstable-timing"])
    assert not (a100["layer_names"].map(len) == 0).any()
    assert cv_threshold("8.6.1")[0] == 1.0 and cv_threshold("10.13.0")[0] == 1.0
    assert cv_threshold("10.13.2")[0] == 2.5 and cv_threshold("11.0.0")[0] == 2.5
    assert cv_threshold("8.2.3")[0] is None and cv_threshold(None)[0] == 2.5

    values = np.array([1.0, 1.0, 1.0, 3.0])   # mean 1.5, population std 0.8660254 -> 57.735%
    assert coefficient_of_variation(values, 1.5, float32=True) == pytest.approx(57.735, abs=1e-3)


def test_log_warning_without_profile_keeps_its_own_cost_method(capsys: pytest.CaptureFixture[str]) -> None:
    """A finding about the whole run (no layers) does not say "no per-layer profile" about itself."""
    findings = _lint_json(str(DATA.parent.parent / "sample_engines/trtexec-logs/trt10.16-h100/result-01.log"), capsys)
    run_level = [f for f in findings if not f["layer_names"]]
    assert run_level and all("no per-layer profile" not in f["cause"] + f["cost_method"] for f in run_level)


# ------------------------------------------------------------------------------------------ int8-fallback
@pytest.mark.parametrize(("path", "layer", "precision"), [
    (RESNET / "qat", "GlobalAveragePool_246", "FP16"),
    (RESNET / "qat-residual", "GlobalAveragePool_294", "FP32"),
    (MOBILENET / "qat", "GlobalAveragePool_843", "FP16"),
    (MOBILENET / "qat-residuals", "GlobalAveragePool_747", "FP16"),
])
def test_qdq_network_float_layer_is_not_a_fallback(path: Any, layer: str, precision: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`lint sample_engines/resnet18-a100/qat`: no Q/DQ on the pooling's input (the Quantize is after it), so
    float is what the network's quantization asked for: info, and the title says why, not "fell back"."""
    findings = _lint_json(str(path), capsys)
    hit = [f for f in findings if f["rule_id"] == "int8-fallback"]
    assert len(hit) == 1 and hit[0]["severity"] == "info"
    assert hit[0]["title"] == f"Pooling {layer} runs in {precision}: its input is not quantized (no Q/DQ on it)"
    titles = json.dumps(findings)
    assert "fell back" not in titles and "fall back to float" not in titles


# ------------------------------------------------------------------------------------------ dla-gpu-fallback
DLA_LOG = EXTERNAL / "quoted" / "orin-dla-int8.jetson_dla_tutorial.log"


def test_dla_gpu_fallback_layers_and_transitions(capsys: pytest.CaptureFixture[str]) -> None:
    """`lint orin-dla-int8.jetson_dla_tutorial.log`: lines 4-6 put GlobalAveragePool_8 (and TensorRT's inserted
    squeeze after the last DLA subgraph) on the GPU between/after the two DLA subgraphs: DLA -> GPU -> DLA -> GPU,
    3 transitions (order from the ONNX node numbers: inferred); cost not measured."""
    findings = _lint_json(str(DLA_LOG), capsys)
    assert [f["rule_id"] for f in findings] == ["dla-gpu-fallback"]
    f = findings[0]
    gpu = ["GlobalAveragePool_8", "copied_squeeze_after_(Unnamed Layer* 20) [ElementWise]"]
    assert f["layer_names"] == gpu and f["evidence"]["gpu_layers"] == gpu
    assert f["evidence"]["transitions"] == 3 and f["evidence"]["order"] == "onnx-node-numbers"
    assert len(f["evidence"]["dla_subgraphs"]) == 2 and f["confidence"] == "inferred"
    assert f["severity"] == "warning" and f["cost_ms"] is None and f["cost_method"].startswith("not measured")
    assert "3 DLA<->GPU transition(s)" in f["title"] and "GlobalAveragePool_8" in f["title"]


def test_dla_lists_are_the_layers_of_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    """`report` on the same log lists its 4 layers (was "Layers none in these files") and says where they come
    from; the DLA subgraphs are DLA layers, the GPU layers keep the kind TensorRT printed."""
    code, out, err = run_cli(["report", str(DLA_LOG), "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["layers"]["count"] == 4
    assert any("2 DLA subgraph(s) and 2 GPU layer(s)" in n for n in doc["notes"])
    b = trtinspect.load(DLA_LOG)
    assert b.layers["name"].tolist() == [
        "{ForeignNode[Conv_0...Relu_7]}", "GlobalAveragePool_8", b.layers["name"].iloc[2],
        "copied_squeeze_after_(Unnamed Layer* 20) [ElementWise]"]
    assert b.layers["layer_type"].tolist() == ["DLA", "Reduce", "DLA", "Shuffle"]
    code, out, _ = run_cli(["report", str(DLA_LOG)], capsys)
    assert "none in these files" not in out and "Layers           4 (names only)" in out
    assert "dla-gpu-fallback" in out


def test_trt7_dla_profile_counts_its_transition() -> None:
    """TensorRT 7.1.3 Xavier AGX profile: the DLA subgraph, then `prob` on the GPU (its input reformatter and the
    DLA bookkeeping rows are not fallbacks): 1 transition, in execution order (proven)."""
    f = lint(trtinspect.load(EXTERNAL / "quoted" / "xavier-agx-dla-trt7.1.3.hax-conn.log"), ["dla-gpu-fallback"])
    assert len(f) == 1
    assert f.iloc[0]["layer_names"] == ["prob"] and f.iloc[0]["evidence"]["transitions"] == 1
    assert f.iloc[0]["confidence"] == "proven" and f.iloc[0]["evidence"]["gpu_layers_ms"] == 0.01   # as printed


def test_dla_fix_leaves_one_subgraph_and_one_transition(capsys: pytest.CaptureFixture[str]) -> None:
    """The tutorial's fix (GlobalAveragePool as a 2x2 AveragePool): one DLA subgraph, then TensorRT's
    reshape_after_Gemm_15 on the GPU (placed after the subgraph holding Gemm_15): 1 transition."""
    findings = _lint_json(str(EXTERNAL / "quoted" / "orin-dla-int8-avgpool.jetson_dla_tutorial.log"), capsys)
    assert [f["rule_id"] for f in findings] == ["dla-gpu-fallback"]
    assert findings[0]["layer_names"] == ["reshape_after_Gemm_15"] and findings[0]["evidence"]["transitions"] == 1

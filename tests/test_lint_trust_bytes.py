"""The bytes-based float-write saving and the words around lint's costs, fixed after the TensorRT-engineer review
(trust-lint defects 1-6): integrated GPUs (Jetson) get no bytes estimate, the estimate says it is a lower bound
when a kernel change is at stake, Nsight Systems' recorded bandwidth is used, lint's words on an nsys export follow
the facts report shows, the DLA fallback advice names the layers that fell back, and tensors are counted in
their stored (padded) format. Each test runs the command of the defect on the real files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import trtinspect
from tests.conftest import DATA, REPO, edited_export, run_cli
from trtinspect.inspector.diff import diff
from trtinspect.inspector.lint import lint
from trtinspect.inspector.rules_base import LintContext, tensor_bytes
from trtinspect.parsers.device import bandwidth_unknown, integrated_gpu, peak_memory_bandwidth
from trtinspect.parsers.formats import stored_elements, vector_layout

A100 = REPO / "sample_engines" / "resnet18-a100"
QUOTED = DATA / "external" / "quoted"
ORIN_LOG = QUOTED / "orin-trt10.16.2-device.meta-tegra2243.log"
XAVIER_NX = DATA / "external" / "xavier-nx-trt8.5.2-lprnet"
NSYS_3060 = DATA / "nsys" / "nsight-2025.5.2.sqlite"
MOBILENET_QAT = DATA / "external" / "trex-titanrtx-mobilenet" / "qat"


def _one(f: Any, rule: str) -> dict[str, Any]:
    sub = f[f["rule_id"] == rule]
    assert len(sub) == 1, (rule, list(sub["title"]))
    rec: dict[str, Any] = sub.iloc[0].to_dict()
    return rec


def _lint_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run_cli(["lint", *args, "--format", "json"], capsys)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


# ------------------------------------------------------------------------------------------ 1. integrated GPUs
def test_jetson_devices_are_integrated_and_get_no_bandwidth() -> None:
    """The real Orin (TensorRT 10.16, 'Application Memory Clock Rate: 0.408 GHz', 256 bits) and Xavier NX logs:
    2 x clock x width / 8 would say 26 GB/s (Orin; its modules have 34-204.8 GB/s); no bandwidth, and why."""
    orin = trtinspect.load(ORIN_LOG).device
    assert 2 * orin["memory_clock_ghz"] * orin["memory_bus_width_bits"] / 8 == pytest.approx(26.1, abs=0.1)
    assert peak_memory_bandwidth(orin) is None
    why = bandwidth_unknown(orin)
    assert why.startswith("an integrated GPU (Orin, compute capability 8.7)")
    assert "here 0.408 GHz, 256 bits" in why and "204.8 GB/s (AGX Orin)" in why
    xavier = trtinspect.load(XAVIER_NX).device
    assert peak_memory_bandwidth(xavier) is None
    assert bandwidth_unknown(xavier).startswith("an integrated GPU (Xavier, compute capability 7.2)")
    assert "59.7 GB/s (Xavier NX)" in bandwidth_unknown(xavier)
    # CUDA's own flag decides where it is known: the A100's TREx metadata says INTEGRATED 0
    a100 = trtinspect.load(A100 / "qat").device
    assert a100["integrated"] is False and integrated_gpu(a100) is None
    assert integrated_gpu({"name": "NVIDIA Thor"}) is not None and integrated_gpu({"compute_capability": "8.7"})
    assert integrated_gpu({"name": "Orin", "integrated": False}) is None


def test_lint_on_jetson_device_does_not_estimate_float_writes() -> None:
    """The A100 QAT engine's layers with the Orin log's device facts (what a Jetson bundle holds): the float-write
    part is not estimated (it would be 74x the A100's per byte at the 26 GB/s the printed clock gives), the
    cost_method says why, and the Quantize layers that go away are still counted."""
    b = trtinspect.load(A100 / "qat")
    b.device = dict(trtinspect.load(ORIN_LOG).device)
    res = _one(lint(b), "residual-not-quantized")
    assert res["evidence"]["saving_from_bytes_ms"] is None and res["evidence"]["memory_bandwidth"] is None
    assert "memory bandwidth is unknown (an integrated GPU (Orin, compute capability 8.7)" in res["cost_method"]
    assert "the float-write traffic is not estimated" in res["cost_method"]
    convs = {m["convolution"] for m in res["evidence"]["convolutions"]}
    by_layer = dict(zip(res["layer_names"], (res["cost_by_layer"].get(i) for i in res["layer_indices"]), strict=True))
    assert convs and all(by_layer[c] is None for c in convs)
    assert res["cost_ms"] == pytest.approx(math.fsum(v for v in by_layer.values() if v is not None))


# ------------------------------------------------------------------------------------------ 2. a lower bound
def test_bytes_estimate_says_it_is_a_lower_bound_when_the_kernel_changes(capsys: pytest.CaptureFixture[str]) -> None:
    """`lint sample:resnet18-a100/qat-residual`: int8-fallback charges layer4.1.conv2 (INT8 in, FP32 out) 0.0025
    ms from bytes; `diff qat-residual qat-residual-qgap` measures 0.041 ms once it writes INT8 (another kernel).
    The cost_method says the estimate counts only the bytes not written and is then a lower bound."""
    doc = _lint_json(["sample:resnet18-a100/qat-residual"], capsys)
    f = next(x for x in doc["findings"] if x["rule_id"] == "int8-fallback")
    conv = next(n for n in f["layer_names"] if n.startswith("layer4.1.conv2."))
    estimate = f["cost_by_layer"][str(f["layer_indices"][f["layer_names"].index(conv)])]
    assert estimate == pytest.approx(0.0025, abs=5e-5)
    groups = diff(trtinspect.load(A100 / "qat-residual"), trtinspect.load(A100 / "qat-residual-qgap"),
                  findings=False).groups
    measured = -float(groups[groups["label"] == "layer4.1.conv2"]["delta_ms"].iloc[0])
    assert measured == pytest.approx(0.041, abs=5e-4) and estimate < measured
    method = " ".join(f["cost_method"].split())
    assert "counting only the bytes not written" in method
    assert "it is a lower bound when the float output also made TensorRT pick a slower kernel" in method


# ------------------------------------------------------------------------------------------ 3. nsys bandwidth
def test_nsys_export_bandwidth_is_read_into_the_device_facts() -> None:
    """The real RTX 3060 export (Nsight Systems 2025.5.2): TARGET_INFO_GPU.memoryBandwidth 360048000000 bytes/s
    and isDiscrete 1 become device facts, and the bandwidth is used as recorded."""
    device = trtinspect.load(NSYS_3060).device
    assert device["memory_bandwidth_bytes_per_s"] == 360_048_000_000 and device["integrated"] is False
    bw = peak_memory_bandwidth(device)
    assert bw is not None and bw[0] == 360_048_000_000
    assert bw[1] == "360 GB/s memory bandwidth as Nsight Systems recorded it (TARGET_INFO_GPU.memoryBandwidth)"


def test_lint_nsys_export_with_layer_json_uses_the_recorded_bandwidth(
        nsys_generated: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lint EXPORT.sqlite resnet-qat.onnx.engine.graph.json` (a GENERATED TensorRT-shaped export, its GPU given
    an A100 40GB's 1555.2 GB/s): the float-write estimate uses the recorded bandwidth and says so."""
    export = edited_export(nsys_generated[0], tmp_path / "generated-bw.sqlite",
                           "UPDATE TARGET_INFO_GPU SET memoryBandwidth = 1555200000000")
    graph = A100 / "qat" / "resnet-qat.onnx.engine.graph.json"
    doc = _lint_json([str(export), str(graph)], capsys)
    res = next(x for x in doc["findings"] if x["rule_id"] == "residual-not-quantized")
    assert res["evidence"]["memory_bandwidth"] == (
        "1555 GB/s memory bandwidth as Nsight Systems recorded it (TARGET_INFO_GPU.memoryBandwidth)")
    assert res["evidence"]["saving_from_bytes_ms"] > 0
    assert "as Nsight Systems recorded it" in res["cost_method"]


# ------------------------------------------------------------------------------------------ 4. nsys wording
def test_lint_on_nsys_export_says_what_report_says(nsys_generated: tuple[Path, dict[str, Any]],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`lint EXPORT.sqlite` spoke of trtexec's warm-up and of per-layer profiling overhead; `report` on the same
    export says its times have no warm-up. Now lint says the same window and that the per-layer times come from the
    same iterations."""
    export = str(nsys_generated[0])
    code, out, err = run_cli(["report", export, "--format", "json"], capsys)
    assert code == 0, err
    window = json.loads(out)["timing"]["window"]
    assert window["warmup_ms"] is None
    doc = _lint_json([export], capsys)
    assert doc["end_to_end_source"] == f"mean GPU compute time of the measured iterations ({window['warmup_source']})"
    assert doc["per_layer_method"].startswith("the GPU time of the kernels inside each layer's NVTX range")
    code, text, err = run_cli(["lint", export], capsys)
    assert code == 0, err
    flat = " ".join(text.split())
    assert "after the warm-up" not in flat and "per-layer profiling adds overhead" not in flat
    assert "no warm-up in them" in flat and "with no per-layer profiling overhead" in flat
    # a trtexec bundle keeps its words, and says nothing of an nsys per-layer method
    qat = _lint_json(["sample:resnet18-a100/qat"], capsys)
    assert "after the warm-up, as trtexec" in qat["end_to_end_source"] and qat["per_layer_method"] is None


# ------------------------------------------------------------------------------------------ 5. DLA advice
def test_dla_fallback_advice_names_the_layers_that_fell_back(capsys: pytest.CaptureFixture[str]) -> None:
    """`lint orin-dla-int8-avgpool.jetson_dla_tutorial.log`: only reshape_after_Gemm_15 fell back, after the
    last DLA subgraph; the advice names it (at the tail) and not GlobalAveragePool, which is no layer of this
    engine. The tutorial's first model keeps the GlobalAveragePool advice, on GlobalAveragePool_8."""
    f = _lint_json([str(QUOTED / "orin-dla-int8-avgpool.jetson_dla_tutorial.log")], capsys)["findings"][0]
    assert f["rule_id"] == "dla-gpu-fallback"
    assert "GlobalAveragePool" not in f["mitigation"]
    assert f["mitigation"].startswith("reshape_after_Gemm_15 (Shuffle) runs on the GPU after the last DLA subgraph")
    f = _lint_json([str(QUOTED / "orin-dla-int8.jetson_dla_tutorial.log")], capsys)["findings"][0]
    assert f["mitigation"].startswith("Keep the DLA work in one piece: replace or restructure GlobalAveragePool_8 "
                                      "(Reduce)")
    assert "AveragePool with a fixed kernel" in f["mitigation"]
    assert "copied_squeeze_after_(Unnamed Layer* 20) [ElementWise] (Shuffle) runs on the GPU after the last" \
        in f["mitigation"]


# ------------------------------------------------------------------------------------------ 6. stored sizes
def test_vectorised_formats_count_padded_channels() -> None:
    """TensorRT pads C to the vector width of a vectorised format; the A100 QAT engine's input reformat writes
    the C=3 input as INT8 NC/4HW4 (4 channels stored)."""
    assert vector_layout("NC/32HW32") == (32, 3) and vector_layout("NDHWC8") == (8, 4)
    assert vector_layout("NCHW") is None and vector_layout("NHWC") is None and vector_layout("DLA_HWC4") is None
    assert stored_elements([1, 20, 7, 7], 980, "NC/32HW32") == 32 * 49
    assert stored_elements([1, 20, 7, 7], 980, "NHWC8") == 24 * 49
    assert stored_elements([1, 20, 7, 7], 980, "NCHW") == 980
    ctx = LintContext(trtinspect.load(A100 / "qat"))
    t = next(t for r in range(ctx.n) for t in ctx.outputs[r] if t.get("layout") == "NC/4HW4")
    assert t["shape"] == [32, 3, 224, 224]
    assert tensor_bytes(t) == 32 * 4 * 224 * 224


def test_mobilenet_c24_float_write_counts_32_stored_channels() -> None:
    """`lint tests/data/external/trex-titanrtx-mobilenet/qat`: features.2.conv.2 writes a 1x24x56x56 FP16
    tensor in NC/32HW32, stored as 32 channels: its saving is 32 x 56 x 56 bytes at 672.096 GB/s (was 24 x ...)."""
    res = _one(lint(trtinspect.load(MOBILENET_QAT)), "residual-not-quantized")
    m = next(c for c in res["evidence"]["convolutions"] if c["convolution"].startswith("features.2.conv.2."))
    assert m["estimated_saving_ms"] == pytest.approx(32 * 56 * 56 / 672.096e9 * 1e3, rel=1e-9)
    assert "channels padded to its vectorised format's multiple" in res["cost_method"]


def test_enqueue_bound_on_nsys_export_names_its_iterations(nsys_generated: tuple[Path, dict[str, Any]],
                                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lint EXPORT.sqlite` on a GENERATED export whose enqueueV3 ranges were stretched to 1.8 ms (GPU compute
    median ~1.99 ms): trtexec's enqueue-bound rule fires; its cause said the medians came from "the --exportTimes
    iterations" and quoted trtexec's "Total Host Walltime". Now it names the iterations as report does."""
    export = edited_export(nsys_generated[0], tmp_path / "generated-enqueue.sqlite",
                           "UPDATE NVTX_EVENTS SET end = start + 1800000 WHERE text = 'ExecutionContext::enqueueV3'")
    code, out, err = run_cli(["report", str(export), "--format", "json"], capsys)
    assert code == 0, err
    warmup_source = json.loads(out)["timing"]["window"]["warmup_source"]
    f = _lint_json([str(export), "--rules", "enqueue-bound"], capsys)["findings"][0]
    assert f["rule_id"] == "enqueue-bound"
    cause = " ".join(f["cause"].split())
    assert f"(medians from the measured iterations ({warmup_source}))" in cause
    assert "--exportTimes" not in cause and "Total Host Walltime" not in cause
    assert "of host walltime" in cause and "over the measured iterations" in cause

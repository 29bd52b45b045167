"""Defects a TensorRT-engineer review of session 9 found in lint's wording and causes (each test runs the command
on the real input)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from trtinspect.cli import cli

REPO = Path(__file__).resolve().parent.parent
H100_LOG = REPO / "sample_engines" / "trtexec-logs" / "trt10.16-h100" / "result-02.log"


def _lint(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["lint", *args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    found: dict = json.loads(result.output)
    return found


def _one(findings: dict, rule_id: str) -> dict:
    hits = [f for f in findings["findings"] if f["rule_id"] == rule_id]
    assert len(hits) == 1, [f["rule_id"] for f in findings["findings"]]
    return hits[0]


def test_workspace_need_is_the_verbose_lines_need_not_the_warnings_budget() -> None:
    """#1: TensorRT 10's '[W] ... Skipping tactic 0 due to insufficient memory on requested size of 206080' gives
    the budget the tactic had; the [V] line before it says 'Exceeded mem budget of 206080. Need 1204224'. The
    finding said 'the largest asked for 201.2 KiB'; it now gives the largest need and its line."""
    f = _one(_lint("sample:trtexec-logs/trt10.16-h100/result-02.log"), "workspace-limited")
    assert "the largest need is 1204224 B = 1.148 MiB (line 3138: 'Exceeded mem budget of 206080. Need 1204224'" \
        in f["cause"]
    assert "asked for 201.2 KiB" not in f["cause"] and "log lines 1740, 1753, 1955, 2334, 3116, ..." in f["cause"]
    assert f["evidence"]["largest_need_bytes"] == 1204224 and f["evidence"]["largest_need_line_no"] == 3138
    assert "largest workspace a skipped tactic asked for" not in f["mitigation"]
    assert "largest need TensorRT printed" in f["mitigation"]


def test_workspace_need_not_in_a_log_without_verbose_lines(tmp_path: Path) -> None:
    """#1, the other form: the same build log without its [V] lines (what a build without --verbose prints) has
    only the [W] lines, whose figure is no need: the finding says the need is not in the log."""
    log = tmp_path / "result-02-no-verbose.log"
    lines = H100_LOG.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(x for x in lines if "] [V] " not in x), encoding="utf-8")
    f = _one(_lint(str(log)), "workspace-limited")
    assert f["evidence"]["skipped_tactics"] == 4 and f["evidence"]["largest_need_bytes"] is None
    assert "how much they need is not in the log" in f["cause"]
    assert "201.2 KiB" not in f["cause"] and "asked for" not in f["cause"].split("; the command line")[0]


def test_layout_only_reformat_is_the_kernels_choice_not_the_model() -> None:
    """#2: an FP32 -> FP32 layout reformat (A100 FP32 MaxPool_2, C=64) was told to keep neighbours in one
    precision and use channel multiples of 8/32; the two kernels' layouts differ (TiledPooling writes row-major
    linear, the TF32 convolution reads channel-major), and the advice says so."""
    f = _one(_lint("sample:resnet18-a100/fp32"), "reformat-copy")
    assert "'MaxPool_2' (a TiledPooling kernel, tactic not named) writes 'Row major linear FP32'" in f["cause"]
    assert "sm80_xmma_fprop_implicit_gemm_f32f32_tf32f32" in f["cause"]
    assert "read(s) 'Channel major FP32 format'" in f["cause"]
    assert "Nothing in the model asks for this copy" in f["mitigation"]
    assert "multiples of 8" not in f["mitigation"] and "keep neighbours in one precision" not in f["mitigation"]


def test_layout_only_reformats_of_a_verbose_log_get_the_same_advice() -> None:
    """#2 on the TensorRT 8.4 verbose log (dtype-only formats: 'layout, FP32 -> FP32'): no channel advice."""
    f = _one(_lint("sample:trtexec-logs/trt8.4/result-FP16.log"), "reformat-copy")
    assert f["title"] == "2 reformat copies of one kind (layout, FP32 -> FP32)"
    assert f["mitigation"].startswith("Nothing in the model asks for these copies")
    assert "multiples of 8" not in f["mitigation"]
    causes = [m["cause"] for m in f["evidence"]["members"]]
    assert "the two kernels' layouts differ: 'MaxPool-3' (a TiledPooling kernel, tactic not named)" in causes[0]


def test_qat_conv1_on_cuda_cores_is_part_of_the_residual_root() -> None:
    """#3: the QAT conv1 (C=3, int8x4 CUDA-core kernel) writes FP32 for MaxPool_12, which residual-not-quantized
    explains; no-tensor-cores listed it apart, called a CUDA-core first layer 'the usual choice' and advised
    padding the input to 16 channels. It is now a member of that finding, and no text calls it usual."""
    out = _lint("sample:resnet18-a100/qat", "--absorbed", "full")
    assert not [f for f in out["findings"] if f["rule_id"] == "no-tensor-cores"]
    root = _one(out, "residual-not-quantized")
    ntc = [m for m in root["evidence"]["absorbed"] if m["rule_id"] == "no-tensor-cores"]
    assert len(ntc) == 1 and ntc[0]["layers"] == ["conv1.weight + QuantizeLinear_7 + Conv_9"]
    assert ntc[0]["cause"].startswith("it writes FP32 because its reader(s) 'MaxPool_12' run in float")
    text = json.dumps(out)
    assert "usual choice" not in text and "usually right" not in text
    # the FP32 engine's first conv keeps its own finding, without the claim either
    fp32 = _one(_lint("sample:resnet18-a100/fp32"), "no-tensor-cores")
    assert "usual" not in fp32["cause"] + fp32["mitigation"] and "TensorRT chose this CUDA-core kernel" in fp32["cause"]


def test_int8_fallback_names_the_side_without_qdq() -> None:
    """#4 (qat): GlobalAveragePool_246's output is quantized by QuantizeLinear_250; only its input lacks Q/DQ.
    The cause said 'its input/output were not quantized (no Q/DQ around it)'."""
    f = _one(_lint("sample:resnet18-a100/qat"), "int8-fallback")
    assert "input/output were not quantized" not in f["cause"]
    assert ("its input is not quantized (no Q/DQ between it and 'layer4.1.conv2.weight + QuantizeLinea...'); "
            "its output is quantized ('QuantizeLinear_250')") in f["cause"]


def test_int8_fallback_lists_adjacent_conversions_apart_from_the_residual_dequantize() -> None:
    """#4 (qat-residual): DequantizeLinear_291 feeds the FP32 residual input onnx::Add_454 of layer4.1.conv2, not
    the pooling layer; the cause listed it among '2 conversion layer(s) around it'."""
    f = _one(_lint("sample:resnet18-a100/qat-residual"), "int8-fallback")
    assert "around it" not in f["cause"]
    assert "1 conversion layer(s) between it and its INT8 neighbours (QuantizeLinear_298)" in f["cause"]
    assert ("1 Dequantize layer(s) for the float residual input of its INT8 producer(s) (DequantizeLinear_291 -> "
            "onnx::Add_454 (FP32) of 'layer4.1.conv2.weight + QuantizeLinea...')") in f["cause"]
    # the cost still counts both (they go with the same fix)
    assert f["evidence"]["conversions"] == ["QuantizeLinear_298", "DequantizeLinear_291"]

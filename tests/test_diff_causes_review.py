"""diff's causes after a TensorRT-engineer review of main (session 9): no effect left out ("and N more") is larger
than one printed, and layers that compute INT8 but still write float are said as such, not as "moved to INT8"."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import trtinspect.inspector.diff as diff_module
from trtinspect.cli import cli
from trtinspect.inspector import diff_mixed
from trtinspect.inspector.check import Thresholds

S = "sample:resnet18-a100"
_MS = re.compile(r"\(([+-]\d+\.\d{3}) ms\)$")


def _diff_json(a: str, b: str) -> dict:
    result = CliRunner().invoke(cli, ["diff", f"{S}/{a}", f"{S}/{b}", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _printed_and_hidden(cause: dict) -> tuple[list[str], list[str]]:
    """The effects a cause's sentence prints and the ones it leaves out."""
    printed = [e for e in cause["effects"] if e in cause["text"]]
    return printed, [e for e in cause["effects"] if e not in printed]


def _ms(effect: str) -> float:
    m = _MS.search(effect)
    assert m is not None, effect
    return abs(float(m.group(1)))


def test_no_hidden_effect_is_larger_than_a_printed_one() -> None:
    """`diff fp16 qat` printed a +0.002 ms Gemm effect and hid "engine input conversion ... now outputs INT8
    instead of FP16 (-0.019 ms)" behind "and 1 smaller change"; `diff qat qat-residual` printed a -0.011 ms
    effect and hid "B added 1 standalone dequantize reformat (DequantizeLinear_291) (+0.013 ms)"."""
    fq = _diff_json("fp16", "qat")["causes"][0]
    assert ("now outputs INT8 instead of FP16 (-0.019 ms)" in fq["text"]
            and "engine input conversion" in fq["text"])
    assert "smaller change" not in fq["text"]
    qr = _diff_json("qat", "qat-residual")
    text = qr["causes"][0]["text"]
    assert "B added 1 standalone dequantize reformat (DequantizeLinear_291) (+0.013 ms)" in text
    assert text.endswith("; and 4 more changes, each smaller than 0.011 ms")
    assert qr["causes"][1]["text"].endswith("; and 1 more change, smaller than 0.005 ms")
    for pair in (("fp16", "qat"), ("qat", "qat-residual"), ("qat-residual", "qat-residual-qgap"),
                 ("fp32", "fp16"), ("qat-residual-qgap", "fp16")):
        for cause in _diff_json(*pair)["causes"]:
            printed, hidden = _printed_and_hidden(cause)
            if printed and hidden:
                smallest = min(_ms(e) for e in printed)
                assert all(_ms(e) <= smallest for e in hidden if _MS.search(e)), (pair, cause["text"])


def test_int8_layers_that_still_write_float_are_said_apart() -> None:
    """`diff fp16 qat` said "12 convolutions moved from FP16 to INT8 (-0.063 ms)", burying conv1's +0.090 ms
    (+80.7%, the top "Worst regressions" row: in qat it computes INT8 on ampere_fp32_icudnn_int8x4_... and
    writes onnx::MaxPool_136 "Row major linear FP32" for MaxPool_12, which runs FP32; fp16 ran the Tensor Core
    ..._first_layer_hmma_... kernel), and "8 convolutions with fused residual adds moved from FP16 to INT8" for
    layers that still write FP16 and read their residual in FP16 (lint's residual-not-quantized error)."""
    d = _diff_json("fp16", "qat")
    text = d["causes"][0]["text"]
    assert "12 convolutions" not in text and "moved from FP16 to INT8 (-0.063 ms)" not in text
    assert ("convolution (A: Conv_0 + Relu_1; B: conv1) now computes INT8 instead of FP16 but outputs FP32 (for "
            "MaxPool_12, which runs FP32), on a CUDA-core int8x4 kernel where A ran a Tensor Core kernel "
            "(+0.090 ms)") in text
    assert ("8 convolutions with fused residual adds now compute INT8 instead of FP16 but still output FP16 "
            "(residual not quantized) (-0.085 ms)") in text
    assert ("3 convolutions now compute INT8 instead of FP16 but still output FP16 (residual not quantized) "
            "(-0.047 ms)") in text
    assert "8 convolutions moved from FP16 to INT8 (-0.106 ms)" in text   # these write INT8
    assert ("fully connected layer (Gemm) (A: Gemm_48; B: fc) now computes INT8 instead of FP16 but outputs FP32 "
            "(for the network output) (+0.002 ms)") in text
    # mirrored: diff qat fp16 says the same groups from the other side, each side's facts its own (see
    # test_mirrored_float_out_says_each_side_its_own_facts)
    back = _diff_json("qat", "fp16")["causes"][0]["text"]
    assert ("convolution (A: conv1; B: Conv_0 + Relu_1) now computes and writes FP16 on a Tensor Core kernel, "
            "where A computed INT8 on a CUDA-core int8x4 kernel and wrote FP32 for MaxPool_12, which runs FP32 "
            "(-0.090 ms)") in back
    assert ("8 convolutions with fused residual adds now compute and write FP16, where A computed INT8 and wrote "
            "FP16 (residual not quantized) (+0.085 ms)") in back


def test_mirrored_float_out_says_each_side_its_own_facts() -> None:
    """Review (session 9, round 2): `diff qat fp16` put A's facts on B's layer - "now computes FP16 instead of INT8
    with FP32 output (for MaxPool_12, which runs FP32)", but B's Conv_0 + Relu_1 writes FP16 (C%8) for MaxPool_2,
    a CudaPooling layer running FP16 (fp16 graph.json), and "(residual not quantized)" described the FP16 engine,
    where nothing is quantized. The mirrored sentence says B's compute/output, then A's kernel, output and reason."""
    for a, b in (("qat", "fp16"), ("qat-residual-qgap", "fp16")):
        back = _diff_json(a, b)["causes"]
        text = " ".join(c["text"] for c in back)
        assert "instead of INT8 with" not in text
        assert "where A computed INT8" in text
    qgap = " ".join(c["text"] for c in _diff_json("qat-residual-qgap", "fp16")["causes"])
    assert ("fully connected layer (Gemm) (A: fc; B: Gemm_48) now computes and writes FP16, where A computed INT8 "
            "and wrote FP32 for the network output") in qgap
    # the forward direction is unchanged
    fwd = _diff_json("fp16", "qat")["causes"][0]["text"]
    assert "now computes INT8 instead of FP16 but outputs FP32 (for MaxPool_12, which runs FP32)" in fwd


def test_an_event_names_members_its_net_hides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever groups one event sums, a member moving against the net by more than it (and by at least check's
    floor) is named: with the write-precision key switched off, `diff fp16 qat` sums conv1 (+0.090 ms) with 11
    faster convolutions again, and the sentence says so instead of a bare -0.063 ms."""
    monkeypatch.setattr(diff_module, "float_out_facts", lambda groups, layers: [None] * len(groups))
    text = _diff_json("fp16", "qat")["causes"][0]["text"]
    assert ("12 convolutions moved from FP16 to INT8 (-0.063 ms net: +0.090 ms in Conv_0 + Relu_1, -0.154 ms in "
            "the other 11)") in text
    assert (Thresholds().floor_ms, Thresholds().floor_share) == (diff_mixed.FLOOR_MS, diff_mixed.FLOOR_SHARE)

"""`trtinspect check` words a slower fusion group with what changed in its layers (inspector/check_cause.py).

The real A100 ResNet-18 FP16 -> qat-residual-qgap pair: GlobalAveragePool_46 (+66.7%) and the input quantize
QuantizeLinear_2 (+17.7%) are real slowdowns, read from the layer JSON: the pooling reads INT8 NC/32HW32 with
another layer type and tactic, the input is quantized where the FP16 build reformatted it. With --strict-groups
they fail, worded with that cause; without it they are 'traded' in every output.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from conftest import LOGS, RESNET, run_cli

FP16, QGAP, QAT = str(RESNET / "fp16"), str(RESNET / "qat-residual-qgap"), str(RESNET / "qat")
POOL = ("pooling now reads INT8 NC/32HW32 where it read FP16 NHWC8, writes INT8 NC/32HW32 where it wrote FP16 "
        "NHWC8, layer type CaskPooling -> CudaPooling, tactic "
        "sm50_xmma_pooling_fw_4d_FP16FP32NHWC_Average_FastDiv_CAlign8 -> 0xfffffffffffffffc")
QUANT = ("new input quantization (Q/DQ) in place of the baseline's reformat copy: 'QuantizeLinear_2' converts "
         "input.1 FP32 NCHW -> INT8 NCHW where the baseline's 'Reformatting CopyNode for Input Tensor 0 to Conv_0 "
         "+ Relu_1' converted it FP32 NCHW -> FP16 NHWC4, tactic 0x0000000000000000 -> 0x00000000000003ea")


def _groups(out: str) -> dict[str, dict[str, object]]:
    return {str(g["label"]): g for g in json.loads(out)["groups"]}


def test_strict_groups_fail_worded_with_their_cause(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["check", "--baseline", FP16, "--candidate", QGAP, "--strict-groups", "--json", "-"],
                             capsys)
    assert code == 1 and err == ""
    groups = _groups(out)
    pool, quant = groups["GlobalAveragePool_46"], groups["QuantizeLinear_2"]
    # the alignment is right: the same pooling, and the one conversion of the network input on each side
    assert pool["layers_a"] == ["GlobalAveragePool_46"] and pool["layers_b"] == ["GlobalAveragePool_300"]
    assert quant["layers_a"] == ["Reformatting CopyNode for Input Tensor 0 to Conv_0 + Relu_1"]
    assert quant["layers_b"] == ["QuantizeLinear_2"]
    assert pool["status"] == quant["status"] == "regression"
    assert pool["reason"] == f"what changed in its layers: {POOL}; +66.7% (+0.0061 ms): >= 10%, >= 0.0051 ms " \
        "floor, 2.3% of per-layer time (larger side); significance not assessed (< 3 runs a side)"
    assert str(quant["reason"]).startswith(f"what changed in its layers: {QUANT}; +17.7% (+0.0143 ms)")
    # only the slower groups are worded
    assert [g for g, r in groups.items() if "what changed" in str(r["reason"])] == ["QuantizeLinear_2",
                                                                                 "GlobalAveragePool_46"]
    notes = json.loads(out)["notes"]
    assert f"GlobalAveragePool_46: {POOL}" in " ".join(notes)
    assert not any("traded" in n for n in notes)

    code, out, _ = run_cli(["check", "--baseline", FP16, "--candidate", QGAP, "--strict-groups"], capsys)
    assert code == 1
    assert out.startswith("REGRESSION: ") and "2 fusion group(s) regressed" in out.splitlines()[0]
    assert (f"note: what changed in the layers of the 2 slower group(s) (layer information of both engines): "
            f"QuantizeLinear_2: {QUANT}; GlobalAveragePool_46: {POOL}\n") in out


def test_without_strict_groups_they_are_traded_in_every_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = run_cli(["check", "--baseline", FP16, "--candidate", QGAP], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("0 fusion group(s) regressed (2 slower but traded for the end-to-end gain)")
    assert [ln.split()[0] for ln in lines if ln.endswith(("QuantizeLinear_2", "GlobalAveragePool_46"))] == \
        ["traded", "traded"]
    assert ("slower parts of an engine that got faster as a whole (what changed in their layers: the note "
            "above), reported as 'traded', not failing") in out
    assert "time moved between groups" not in out   # the pooling's time did not move anywhere
    annotations = [ln for ln in (out + err).splitlines()
                   if "GlobalAveragePool_46::" in ln or "QuantizeLinear_2::" in ln]
    assert len(annotations) == 2
    assert all(a.startswith("::warning ") and "::traded for the end-to-end gain: what changed" in a
               for a in annotations)

    monkeypatch.delenv("GITHUB_ACTIONS")
    code, out, _ = run_cli(["check", "--baseline", FP16, "--candidate", QGAP, "--junit", "-"], capsys)
    cases = {c.get("name"): c for c in ET.fromstring(out).iter("testcase")}
    pool_out = cases["21: GlobalAveragePool_46"].findtext("system-out") or ""
    assert pool_out.startswith(f"traded: what changed in its layers: {POOL}; ")
    assert cases["21: GlobalAveragePool_46"].find("failure") is None

    code, out, _ = run_cli(["check", "--baseline", FP16, "--candidate", QGAP, "--markdown", "-"], capsys)
    assert "#### Regressed fusion groups" not in out
    assert f"| traded | `GlobalAveragePool_46` | precision_changed | 0.0092 | 0.0154 | +66.7% | +55.2% | " \
        f"what changed in its layers: {POOL.replace('>', '&gt;')}; " in out


def test_reverse_direction_and_other_pairs_say_what_changed(capsys: pytest.CaptureFixture[str]) -> None:
    """qgap -> fp16: the convolutions that got slower now run FP16; fp16 -> qat: the float MaxPool and the
    extra reformat copy in front of the pooling."""
    code, out, _ = run_cli(["check", "--baseline", QGAP, "--candidate", FP16, "--json", "-"], capsys)
    assert code == 1
    groups = _groups(out)
    assert str(groups["conv1"]["reason"]).startswith(
        "what changed in its layers: 2 layer(s) now run FP16 where 1 ran INT8, layer types ConvActPool -> "
        "CaskConvolution/CudaPooling, other tactics; +142.9%")
    assert str(groups["layer1.0.conv1"]["reason"]).startswith(
        "what changed in its layers: convolution now reads FP16 NHWC8 where it read INT8 NC/32HW32")
    code, out, _ = run_cli(["check", "--baseline", FP16, "--candidate", QAT, "--json", "-"], capsys)
    groups = _groups(out)
    assert str(groups["MaxPool_2"]["reason"]).startswith(
        "what changed in its layers: pooling now reads FP32 NCHW where it read FP16 NHWC8")
    assert ("1 more conversion layer(s) in the candidate ('Reformatting CopyNode for Input Tensor 0 to "
            "GlobalAveragePool_246'); +122.2%") in str(groups["GlobalAveragePool_46"]["reason"])


def test_no_layer_information_no_cause(capsys: pytest.CaptureFixture[str]) -> None:
    """Profile logs without layer records: the slower groups are judged as before, nothing is claimed."""
    seed = LOGS / "seed-fx-vs-implicit-int8"
    code, out, _ = run_cli(["check", "--baseline", str(seed / "fx-qdq-int8.profile.log"), "--candidate",
                            str(seed / "implicit-int8.profile.log"), "--strict-groups", "--json", "-"], capsys)
    assert code in (0, 1)
    assert "what changed in" not in out


def test_a_changed_residual_input_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    """Review (session 9, round 2): check qat -> qat-residual said of layer4.1.conv2 only "now writes FP32 NCHW
    where it wrote FP16 NC/32HW32, tactic ...", but its input 1 changed too: inputs.28 (FP16, 32-wide) became
    onnx::Add_454 (row-major FP32), written by the new DequantizeLinear_291 (qat-residual graph.json)."""
    code, out, err = run_cli(["check", "--baseline", QAT, "--candidate", str(RESNET / "qat-residual")], capsys)
    assert code == 0 and err == ""
    assert ("layer4.1.conv2: convolution now writes FP32 NCHW where it wrote FP16 NC/32HW32, input 1 is now "
            "onnx::Add_454 (FP32 NCHW), written by the new DequantizeLinear_291, where it was inputs.28 "
            "(FP16 NC/32HW32), tactic ") in " ".join(out.split())
    # two exports name layers differently: "the new" only for a layer check reports as added
    code, out, err = run_cli(["check", "--baseline", QGAP, "--candidate", FP16], capsys)
    assert ("input 1 is now input.132 (FP16 NHWC8), written by Conv_38 + Add_39 + Relu_40, where it was "
            "onnx::DequantizeLinear_424 (INT8 NC/32HW32)") in " ".join(out.split())

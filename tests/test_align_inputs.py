"""TensorRT-engineer review of main (trust-align defects 1-3), on the real A100 ResNet-18 TREx bundles
(sample_engines/resnet18-a100, provenance in sample_engines/PROVENANCE.md) and real trtexec logs.

1. The FP16 engine converts its FP32 input with a copy reformat (``Reformatting CopyNode for Input Tensor 0 to
   Conv_0 + Relu_1``, 0.080896 ms); the Q/DQ engines do that job with their input ``QuantizeLinear_2`` (FP32 ->
   INT8, 0.06144 ms). They pair as one engine-input conversion, and the FP16 convolution pairs with the INT8
   one alone (0.1116 -> 0.2017 ms, +80.7%), in both directions.
2. diff's end-to-end table lists End-to-End Host Latency where both sides have it.
3. diff's setup line names the run settings check compares by words, not field names.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke as _invoke

from trtinspect.inspector.check_inputs import COMPARABILITY
from trtinspect.inspector.model_match import _FIELD_LABELS

REPO = Path(__file__).resolve().parents[1]
LOGS = REPO / "sample_engines" / "trtexec-logs"
FP16, QAT, QGAP = ("sample:resnet18-a100/" + n for n in ("fp16", "qat", "qat-residual-qgap"))
COPY = "Reformatting CopyNode for Input Tensor 0 to Conv_0 + Relu_1"


def _diff_json(a: str, b: str) -> dict[str, Any]:
    code, out = _invoke("diff", a, b, "--format", "json")
    assert code == 0, out
    return dict(json.loads(out))


def _group_with(doc: dict[str, Any], side: str, name: str) -> dict[str, Any]:
    """The group holding the layer ``name`` of side "A" / "B"."""
    gids = {m["group_id"] for m in doc["members"] if m["side"] == side and m["name"] == name}
    assert len(gids) == 1, (name, gids)
    return next(g for g in doc["groups"] if g["group_id"] in gids)


@pytest.mark.parametrize("reverse", [False, True])
def test_input_reformat_pairs_with_input_quantize_and_conv_with_conv(reverse: bool) -> None:
    """`diff fp16 qat` (and `diff qat fp16`): the input conversion is one pair, the convolution another."""
    doc = _diff_json(QAT, FP16) if reverse else _diff_json(FP16, QAT)
    fp16, qat = ("B", "A") if reverse else ("A", "B")
    conv = _group_with(doc, fp16, COPY)
    assert conv == _group_with(doc, qat, "QuantizeLinear_2")
    assert conv["method"] == "input-conversion" and conv["kind"] == "precision_changed"
    ms = {fp16: 0.080896, qat: 0.06144}
    assert (conv["a_ms"], conv["b_ms"]) == pytest.approx((ms["A"], ms["B"]))
    members = {(m["side"], m["name"]) for m in doc["members"] if m["group_id"] == conv["group_id"]}
    assert members == {(fp16, COPY), (qat, "QuantizeLinear_2")}
    g = _group_with(doc, fp16, "Conv_0 + Relu_1")
    assert g == _group_with(doc, qat, "conv1.weight + QuantizeLinear_7 + Conv_9")
    assert (g["n_a"], g["n_b"], g["a_reformats"], g["b_reformats"]) == (1, 1, 0, 0)
    ms = {fp16: 0.111616, qat: 0.201728}
    assert (g["a_ms"], g["b_ms"]) == pytest.approx((ms["A"], ms["B"]))
    assert not [x for x in doc["groups"] if x["kind"] in ("only_a", "only_b") and x["label"] == "QuantizeLinear_2"]
    assert any(x["kind"] == "precision_changed" for x in doc["groups"] if x["label"] == "Conv_0 + Relu_1"
               or x["label"].startswith("conv1"))


def test_check_flags_the_first_convolution() -> None:
    """`check --baseline fp16 --candidate qat` flagged only MaxPool_2; conv1 showed +4.8%. Now +80.7%."""
    code, out = _invoke("check", "--baseline", FP16, "--candidate", QAT)
    assert code == 1, out
    assert re.search(r"regression\s+0\.1116\s+0\.2017\s+\+80\.7%.*\bconv1\n", out), out
    assert re.search(r"regression\s+0\.0625\s+0\.1321\s+\+111\.5%.*MaxPool_2\n", out), out


@pytest.mark.parametrize("reverse", [False, True])
def test_fusion_and_input_conversion_causes_qgap(reverse: bool) -> None:
    """`diff fp16 qat-residual-qgap`: the fusion no longer holds the input reformat (-0.183 -> -0.102 ms) and the
    input's net change is the conversion pair (+0.014 ms), not an added quantize (+0.095 ms). Both are effects of
    the one Q/DQ cause (trust-diff defect 2): the convolution the max pooling fuses into holds Q/DQ nodes in QAT."""
    doc = _diff_json(QGAP, FP16) if reverse else _diff_json(FP16, QGAP)
    causes = {c["cause"]: c for c in doc["causes"]}
    sign = -1 if reverse else 1
    assert "fusion" not in causes
    effects = {e["text"].split(" (")[0]: e["delta_ms"] for e in doc["events"] if e.get("next_to_changed_qdq")}
    fusion = "B split 1 max pooling out of its convolution" if reverse else "B fused 1 max pooling into its convolution"
    assert effects[fusion] == pytest.approx(-0.102 * sign, abs=5e-4)
    conversion = next(e for e in doc["events"] if e["text"].startswith("engine input conversion (A: "))
    assert conversion["delta_ms"] == pytest.approx(0.014 * sign, abs=5e-4)
    assert conversion["text"] in causes["qdq"]["effects"]
    assert not any("standalone quantize reformat" in c["text"] for c in doc["causes"]), doc["causes"]
    fused = next(g for g in doc["groups"] if g["kind"] in ("fused", "split"))
    names = {m["name"] for m in doc["members"] if m["group_id"] == fused["group_id"]}
    assert COPY not in names and "QuantizeLinear_2" not in names, names


def test_end_to_end_host_latency_in_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both summary logs print End-to-End Host Latency (mean 6.43806 vs 7.56827 ms): diff lists it."""
    d = LOGS / "seed-fx-vs-implicit-int8"
    a, b = str(d / "fx-qdq-int8.after-fix.summary.log"), str(d / "fx-qdq-int8.before-fix.summary.log")
    doc = _diff_json(a, b)
    row = next(r for r in doc["end_to_end"] if r["metric"] == "end_to_end_host")
    assert (row["a_ms"], row["b_ms"]) == pytest.approx((6.43806, 7.56827))
    assert row["source"] == "performance summary (mean)"
    monkeypatch.setenv("COLUMNS", "200")
    code, out = _invoke("diff", a, b)
    assert code == 0, out
    assert re.search(r"end_to_end_host\s+│\s+6\.4381\s+│\s+7\.5683\s+│\s+\+1\.1302\s+│ performance summary", out), out
    # a side without it (the TREx bundles' times export has no endToEndMs): no row, not a half-empty one
    assert not [r for r in _diff_json(FP16, QAT)["end_to_end"] if r["metric"] == "end_to_end_host"]


def test_setup_line_names_run_settings_in_words(tmp_path: Path) -> None:
    """`diff` of a TensorRT 10.16 run and the same run with --weightStreamingBudget=50% (edited copy, as
    tests/test_run_settings_valued.py makes it) said `weight_streaming: off -> 50%`."""
    src = LOGS / "trt10.16-h100" / "result-01.log"
    lines = []
    for line in src.read_text().splitlines():
        line = re.sub(r"(\[I\] Weight Streaming Budget: ).*", r"\g<1>50.000000%", line)
        if line.startswith("&&&& ") and " # trtexec " in line:
            line += " --allowWeightStreaming --weightStreamingBudget=50%"
        lines.append(line)
    cand = tmp_path / "ws.log"
    cand.write_text("\n".join(lines) + "\n")
    context = _diff_json(str(src), str(cand))["context"]
    assert "weight-streaming budget (--weightStreamingBudget): off -> 50%" in context, context
    assert not any("weight_streaming" in c for c in context), context


def test_every_compared_setting_has_a_label() -> None:
    assert set(COMPARABILITY) <= set(_FIELD_LABELS)

"""Lint rules on small engine graphs GENERATED here, for patterns the real fixtures do not contain
(every real A100 ResNet-18 convolution is fused): proven unfused chains through tensor edges, build-log
warnings, tiny kernels, shape layers and unstable timing. Records follow the exportLayerInfo shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect.inspector.lint import lint
from trtinspect.parsers import schema
from trtinspect.parsers.layers import frame_from_layer_records
from trtinspect.parsers.model import EngineBundle

FP16 = "Channel major FP16 format where channel % 8 == 0"
FP32 = "Row major linear FP32"
INT8 = "Thirty-two wide channel vectorized row major Int8 format"


def t(name: str, fmt: str = FP16, c: int = 64) -> dict[str, Any]:
    return {"Name": name, "Location": "Device", "Dimensions": [1, c, 8, 8], "Format/Datatype": fmt}


def conv(name: str, ins: list[dict[str, Any]], out: dict[str, Any], **extra: Any) -> dict[str, Any]:
    rec = {
        "Name": name,
        "LayerType": "CaskConvolution",
        "ParameterType": "Convolution",
        "Inputs": ins,
        "Outputs": [out],
        "OutMaps": out["Dimensions"][1],
        "Groups": 1,
        "TacticName": "sm80_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tensor16x8x16",
        "TacticValue": "0x1",
    }
    rec.update(extra)
    return rec


def layer(
    name: str, ltype: str, ins: list[dict[str, Any]], outs: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "Name": name,
        "LayerType": ltype,
        "ParameterType": ltype,
        "Inputs": ins,
        "Outputs": outs,
        "TacticValue": "0x0",
        **extra,
    }


def engine(
    records: list[dict[str, Any]],
    times: dict[str, tuple[float, float]] | None = None,
    warnings: list[dict[str, Any]] | None = None,
) -> EngineBundle:
    b = EngineBundle(name="generated", layers=frame_from_layer_records(records), detailed=True)
    if times:
        b.profile = schema.frame_from_records(
            [
                {
                    "name": n,
                    "time_ms": a * 10,
                    "avg_ms": a,
                    "median_ms": m,
                    "percentage": float("nan"),
                    "row": i,
                    "name_recovered": False,
                }
                for i, (n, (a, m)) in enumerate(times.items())
            ],
            schema.PROFILE,
        )
    if warnings:
        b.warnings = schema.frame_from_records(warnings, schema.WARNINGS)
    return b


def test_proven_unfused_conv_add_relu_through_edges() -> None:
    recs = [
        conv("Conv_1", [t("x")], t("a")),
        conv("Conv_2", [t("x")], t("b")),
        layer("Add_3", "ElementWise", [t("a"), t("b", FP32)], [t("s")]),
        layer("Relu_4", "Activation", [t("s")], [t("y")]),
    ]
    f = lint(engine(recs, {r["Name"]: (0.01, 0.01) for r in recs}), ["unfused-conv-epilogue"])
    # one finding for the Add (both convolutions feed it), none for the ReLU (it follows the Add, not a conv)
    assert len(f) == 1
    rec = f.iloc[0]
    assert rec["confidence"] == "proven"
    assert rec["evidence"]["convolutions"] == ["Conv_1", "Conv_2"]
    assert rec["layer_names"] == ["Conv_1", "Conv_2", "Add_3"]
    assert rec["cost_ms"] == 0.01  # the Add's time; the convolutions would run anyway
    assert "precision mismatch" in rec["cause"]


def test_qdq_between_conv_and_activation_is_named_as_cause() -> None:
    recs = [
        conv("Conv_1", [t("x", INT8)], t("a", FP32)),
        layer("QuantizeLinear_2", "Reformat", [t("a", FP32)], [t("q", INT8)], Origin="QDQ"),
        layer("DequantizeLinear_3", "Reformat", [t("q", INT8)], [t("d", FP32)], Origin="QDQ"),
        layer("Relu_4", "Activation", [t("d", FP32)], [t("y", FP32)]),
    ]
    f = lint(engine(recs), ["unfused-conv-epilogue"])
    assert len(f) == 1
    assert f.iloc[0]["evidence"]["between"] == ["QuantizeLinear_2", "DequantizeLinear_3"]
    assert "Q/DQ" in f.iloc[0]["cause"]
    assert pd.isna(f.iloc[0]["cost_ms"]) and "cost unknown" in f.iloc[0]["cause"]


def test_fused_convolutions_give_no_fusion_finding() -> None:
    recs = [
        conv("Conv_1 + Relu_2", [t("x")], t("a"), Activation="RELU", HasReLU=1),
        layer("Add_3", "ElementWise", [t("a"), t("x")], [t("y")]),  # an add after an activation: not fusable
        conv("Conv_4 + Add_5 + Relu_6", [t("y"), t("x")], t("z")),
        layer("MaxPool_7", "Pooling", [t("z")], [t("p")]),
    ]
    assert lint(engine(recs), ["unfused-conv-epilogue"]).empty


def test_build_log_warnings_become_findings() -> None:
    recs = [conv("Conv_1", [t("x", INT8)], t("a", INT8)), layer("Softmax_2", "SoftMax", [t("a")], [t("y")])]
    warn = [
        {
            "kind": "missing_int8_scales",
            "severity": "W",
            "line_no": 12,
            "layer": "Softmax_2",
            "message": "Missing scale and zero-point for tensor Softmax_2",
        },
        {
            "kind": "no_conforming_impl",
            "severity": "W",
            "line_no": 40,
            "layer": None,
            "message": "No implementation obeys the requested constraints",
        },
        {"kind": "aux_streams", "severity": "I", "line_no": 50, "layer": None, "message": "aux streams"},
    ]
    b = engine(recs, {"Conv_1": (0.2, 0.2), "Softmax_2": (0.05, 0.05)}, warn)
    b.sources["trtexec_log"] = [Path("build.log")]   # the kind the loader records a log under
    f = lint(b, ["int8-build-warning"])
    assert [e["line_no"] for e in f["evidence"]] == [12, 40]
    assert [e["log"] for e in f["evidence"]] == [["build.log"], ["build.log"]]   # was [] (a stale kind name)
    assert f.iloc[0]["layer_names"] == ["Softmax_2"] and f.iloc[0]["cost_ms"] == 0.05
    assert f.iloc[1]["layer_names"] == [] and pd.isna(f.iloc[1]["cost_ms"])


def test_tiny_kernels_shape_layers_and_unstable_timing() -> None:
    recs = [conv("Conv_0", [t("x0")], t("x1"))]
    times = {"Conv_0": (0.1, 0.1)}
    for i in range(1, 13):
        recs.append(layer(f"Reshape_{i}", "Shuffle", [t(f"x{i}")], [t(f"x{i + 1}")]))
        times[f"Reshape_{i}"] = (0.02, 0.02)
    recs.append(layer("Cast_20", "Cast", [t("x13")], [t("x14")]))
    times["Cast_20"] = (0.004, 0.004)
    for i in range(21, 33):
        recs.append(layer(f"Tiny_{i}", "ElementWise", [t(f"x{i - 7}")], [t(f"x{i - 6}")]))
        times[f"Tiny_{i}"] = (0.008, 0.008)
    times["Reshape_3"] = (0.03, 0.02)  # average 50% over the median
    f = lint(engine(recs, times), ["tiny-kernels", "shape-layers", "unstable-timing"])
    by_rule = {r: f[f["rule_id"] == r] for r in ("tiny-kernels", "shape-layers", "unstable-timing")}
    tiny = by_rule["tiny-kernels"].iloc[0]
    assert tiny["layer_names"] == ["Cast_20", *[f"Tiny_{i}" for i in range(21, 33)]]
    shape = by_rule["shape-layers"].iloc[0]
    assert shape["layer_names"] == [f"Reshape_{i}" for i in range(1, 13)] + ["Cast_20"]
    assert list(by_rule["unstable-timing"]["layer_names"]) == [["Reshape_3"]]

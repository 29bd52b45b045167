"""inspector.align on the real A100 ResNet-18 engines, the seed fx-vs-implicit logs, and small made-up cases.

Expected pairs below were read off the graph files by hand (layer names quoted verbatim).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import pytest
from conftest import LOGS, resnet_file

import trtinspect
from trtinspect.inspector.align import (
    MODE_DIVERGED,
    MODE_ORDER,
    MODE_SOURCE,
    Alignment,
    align,
    groups_frame,
    op_kind,
)
from trtinspect.parsers.layers import frame_from_layer_records, parse_layer_info

PAIRS = [("fp32", "fp16"), ("qat", "qat-residual"), ("qat-residual", "qat-residual-qgap")]


def layers(variant: str) -> pd.DataFrame:
    return parse_layer_info(resnet_file(variant, "graph.json"))[1]


def raw_names(variant: str) -> list[str]:
    return [rec["Name"] for rec in orjson.loads(resnet_file(variant, "graph.json").read_bytes())["Layers"]]


def group_with(al: Alignment, side: str, name: str) -> pd.Series:
    m = al.members
    hit = m[(m["side"] == side) & (m["name"] == name)]
    assert len(hit) == 1, (side, name)
    gid = int(hit["group_id"].iloc[0])
    return al.groups.set_index("group_id").loc[gid]


def names_of(al: Alignment, side: str, indices: list[int]) -> set[str]:
    m = al.members[al.members["side"] == side].set_index("layer_index")
    return {str(m.loc[i, "name"]) for i in indices}


@pytest.fixture(scope="module")
def aligned() -> dict[tuple[str, str], Alignment]:
    return {(a, b): align(layers(a), layers(b)) for a, b in PAIRS}


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_every_layer_in_exactly_one_group(aligned: dict[tuple[str, str], Alignment], a: str, b: str) -> None:
    al = aligned[(a, b)]
    for side, variant, col in (("A", a, "a_layers"), ("B", b, "b_layers")):
        n = len(raw_names(variant))
        listed = [i for lst in al.groups[col] for i in lst]
        assert sorted(listed) == list(range(n))          # each layer once, none dropped
        members = al.members[al.members["side"] == side]
        assert sorted(members["layer_index"]) == list(range(n))
        assert list(members.sort_values("layer_index")["name"]) == raw_names(variant)
    # members and groups agree
    for row in al.groups.itertuples():
        for side, lst in (("A", row.a_layers), ("B", row.b_layers)):
            m = al.members[(al.members["side"] == side) & (al.members["group_id"] == row.group_id)]
            assert sorted(m["layer_index"]) == sorted(lst)
    only = al.groups[al.groups["kind"].isin(["only_a", "only_b"])]
    assert all((len(r.a_layers) == 0) != (len(r.b_layers) == 0) for r in only.itertuples())


def test_fp32_fp16_same_export_all_precision_changed(aligned: dict[tuple[str, str], Alignment]) -> None:
    al = aligned[("fp32", "fp16")]
    assert al.mode == MODE_SOURCE and not al.notes
    copy_a = sum(n.startswith("Reformatting CopyNode") for n in raw_names("fp32"))
    copy_b = sum(n.startswith("Reformatting CopyNode") for n in raw_names("fp16"))
    assert (copy_a, copy_b) == (8, 12)
    # every non-copy layer pairs 1:1 (same ONNX export, same fusions); copies ride with the layer they serve
    assert len(al.groups) == len(raw_names("fp32")) - copy_a == len(raw_names("fp16")) - copy_b == 24
    assert set(al.groups["kind"]) == {"precision_changed"}
    assert (al.groups["n_a"] == 1).all() and (al.groups["n_b"] == 1).all()
    assert set(al.groups["a_precision"]) == {"FP32"} and set(al.groups["b_precision"]) == {"FP16"}
    g = group_with(al, "B", "Reformatting CopyNode for Input Tensor 0 to Conv_43 + Add_44 + Relu_45")
    assert names_of(al, "A", g["a_layers"]) == {
        "Reformatting CopyNode for Input Tensor 0 to Conv_43 + Add_44 + Relu_45",
        "Reformatting CopyNode for Input Tensor 1 to Conv_43 + Add_44 + Relu_45",
        "Conv_43 + Add_44 + Relu_45",
    }
    assert (g["a_reformats"], g["b_reformats"]) == (2, 1)
    assert "format" in g["changes"]


def test_qat_to_qat_residual_expected_groups(aligned: dict[tuple[str, str], Alignment]) -> None:
    al = aligned[("qat", "qat-residual")]
    # the two ONNX exports number nodes differently: Conv_84 is layer2.0.conv2 in A but layer2.0.conv1 in B
    assert al.mode == MODE_DIVERGED
    assert any("QuantizeLinear_82" in n or "Conv_84" in n for n in al.notes)
    expected_1to1 = {
        "layer1.0.conv2.weight + QuantizeLinear_32 + Conv_34 + Add_36 + Relu_37":
            "layer1.0.conv2.weight + QuantizeLinear_32 + Conv_34 + Add_42 + Relu_43",
        "layer1.1.conv2.weight + QuantizeLinear_57 + Conv_59 + Add_61 + Relu_62":
            "layer1.1.conv2.weight + QuantizeLinear_63 + Conv_65 + Add_73 + Relu_74",
        # the residual add moved from the downsample convolution into conv2
        "layer2.0.downsample.0.weight + QuantizeLinear_93 + Conv_95 + Add_97 + Relu_98":
            "layer2.0.downsample.0.weight + QuantizeLinear_105 + Conv_107",
        "layer2.0.conv2.weight + QuantizeLinear_82 + Conv_84":
            "layer2.0.conv2.weight + QuantizeLinear_94 + Conv_96 + Add_115 + Relu_116",
        "layer2.0.conv1.weight + QuantizeLinear_70 + Conv_72":
            "layer2.0.conv1.weight + QuantizeLinear_82 + Conv_84",
        "QuantizeLinear_2": "QuantizeLinear_2",
        "QuantizeLinear_250": "QuantizeLinear_298",                 # structural: same op, same shapes
    }
    for a_name, b_name in expected_1to1.items():
        g = group_with(al, "A", a_name)
        assert names_of(al, "B", g["b_layers"]) == {b_name}, a_name
        assert names_of(al, "A", g["a_layers"]) == {a_name}
    conv2 = group_with(al, "A", "layer1.0.conv2.weight + QuantizeLinear_32 + Conv_34 + Add_36 + Relu_37")
    assert conv2["kind"] == "precision_changed"
    assert (conv2["a_output_precision"], conv2["b_output_precision"]) == ("FP16", "INT8")
    # conv1 and the standalone max pooling (with its copy reformat) fused into one ConvActPool layer
    fused = group_with(al, "B", "conv1.weight + QuantizeLinear_7 + Conv_9 + MaxPool_12")
    assert fused["kind"] == "fused"
    assert names_of(al, "A", fused["a_layers"]) == {
        "conv1.weight + QuantizeLinear_7 + Conv_9", "MaxPool_12",
        "Reformatting CopyNode for Output Tensor 0 to MaxPool_12"}
    # standalone quantize reformats that B no longer needs
    removed = {f"QuantizeLinear_{n}" for n in (15, 40, 65, 101, 126, 162, 187, 223)}
    assert removed <= set(raw_names("qat")) and not removed & set(raw_names("qat-residual"))
    for name in removed:
        assert group_with(al, "A", name)["kind"] == "only_a"
    only_a = al.groups[al.groups["kind"] == "only_a"]
    assert names_of(al, "A", [i for lst in only_a["a_layers"] for i in lst]) == removed
    only_b = al.groups[al.groups["kind"] == "only_b"]
    assert names_of(al, "B", [j for lst in only_b["b_layers"] for j in lst]) == {"DequantizeLinear_291"}
    gap = group_with(al, "A", "GlobalAveragePool_246")
    assert names_of(al, "B", gap["b_layers"]) == {"GlobalAveragePool_294"}
    assert (gap["a_precision"], gap["b_precision"], gap["method"]) == ("FP16", "FP32", "structural")


def test_qgap_moves_global_average_pooling_to_int8(aligned: dict[tuple[str, str], Alignment]) -> None:
    al = aligned[("qat-residual", "qat-residual-qgap")]
    assert al.mode == MODE_SOURCE
    gap = group_with(al, "A", "GlobalAveragePool_294")
    assert names_of(al, "B", gap["b_layers"]) == {"GlobalAveragePool_300"}
    assert (gap["kind"], gap["a_precision"], gap["b_precision"]) == ("precision_changed", "FP32", "INT8")
    for name in ("DequantizeLinear_291", "QuantizeLinear_298"):
        assert group_with(al, "A", name)["kind"] == "only_a"
    assert not (al.groups["kind"] == "only_b").any()
    fc = group_with(al, "A", next(n for n in raw_names("qat-residual") if n.startswith("fc.weight")))
    assert names_of(al, "B", fc["b_layers"]) == {next(n for n in raw_names("qat-residual-qgap")
                                                      if n.startswith("fc.weight"))}


def _log_layers(name: str) -> pd.DataFrame:
    import trtinspect

    return trtinspect.load(LOGS / "seed-fx-vs-implicit-int8" / name).layers


def test_different_exporters_fall_back_to_order_and_type() -> None:
    a, b = _log_layers("fx-qdq-int8.profile.log"), _log_layers("implicit-int8.profile.log")
    assert "conv2d_109" in " ".join(a["name"]) and "Conv_109" in " ".join(b["name"])
    al = align(a, b)
    assert al.mode == MODE_ORDER and al.shared_source_nodes == 0
    assert "share no ONNX source node" in al.notes[0]
    both = al.groups[~al.groups["kind"].isin(["only_a", "only_b"])]
    assert len(both) > 0 and set(both["method"]) == {"order-and-type"}
    assert sorted(i for lst in al.groups["a_layers"] for i in lst) == list(range(len(a)))
    assert sorted(j for lst in al.groups["b_layers"] for j in lst) == list(range(len(b)))
    # pairs only layers of the same op kind: each 1:1 pair has equal primary ops, or is called a fusion change
    for r in both.itertuples():
        if r.n_a == 1 and r.n_b == 1:
            assert r.a_primary_ops == r.b_primary_ops or r.kind == "repartitioned"


def test_groups_frame_for_check_uses_layer_names(aligned: dict[tuple[str, str], Alignment]) -> None:
    al = aligned[("qat", "qat-residual")]
    frame = groups_frame(al)
    assert list(frame.columns[:5]) == ["group_id", "kind", "label", "layers_a", "layers_b"]
    row = frame[frame["layers_b"].apply(lambda x: "DequantizeLinear_291" in x)]
    assert len(row) == 1 and row["kind"].iloc[0] == "only_b" and row["layers_a"].iloc[0] == []


# ------------------------------------------------------------------------------------------ made-up cases


def _rec(name: str, inp: list[str], out: list[str], shape: list[int], fmt: str = "Row major linear FP32",
         ltype: str = "CaskConvolution") -> dict[str, object]:
    t = {"Location": "Device", "Dimensions": shape, "Format/Datatype": fmt}
    return {"Name": name, "LayerType": ltype, "ParameterType": ltype,
            "Inputs": [{**t, "Name": n} for n in inp], "Outputs": [{**t, "Name": n} for n in out],
            "TacticValue": "0x1"}


def test_split_and_repartition_in_one_export() -> None:
    a = frame_from_layer_records([
        _rec("Conv_1 + Relu_2", ["x"], ["t1"], [1, 8, 4, 4]),
        _rec("Conv_3 + Add_5", ["t1"], ["t3"], [1, 8, 4, 4]),
        _rec("Conv_4 + Relu_6", ["t3"], ["t4"], [1, 8, 4, 4]),
    ])
    b = frame_from_layer_records([
        _rec("Conv_1", ["x"], ["u1"], [1, 8, 4, 4]),
        _rec("Relu_2", ["u1"], ["u2"], [1, 8, 4, 4], ltype="PointWiseV2"),
        _rec("Conv_3", ["u2"], ["u3"], [1, 8, 4, 4]),
        _rec("Conv_4 + Add_5 + Relu_6", ["u3"], ["u4"], [1, 8, 4, 4]),
    ])
    al = align(a, b)
    assert al.mode == MODE_SOURCE
    kinds = dict(zip(al.groups["label"], al.groups["kind"], strict=True))
    assert kinds == {"Conv_1 + Relu_2": "split", "Conv_3 + Add_5 + Conv_4 + Relu_6": "repartitioned"}


COPY = "Reformatting CopyNode for Input Tensor 0 to renamed"


def test_copy_reformat_attaches_through_edges_when_name_unknown() -> None:
    a = frame_from_layer_records([
        _rec("Conv_1", ["x"], ["t1"], [1, 8, 4, 4]),
        _rec(COPY, ["t1"], ["t2"], [1, 8, 4, 4], ltype="Reformat"),
        _rec("Conv_2", ["t2"], ["t3"], [1, 8, 4, 4]),
    ])
    b = frame_from_layer_records([_rec("Conv_1", ["x"], ["u1"], [1, 8, 4, 4]),
                                  _rec("Conv_2", ["u1"], ["u2"], [1, 8, 4, 4])])
    al = align(a, b)
    g = group_with(al, "A", COPY)
    assert names_of(al, "A", g["a_layers"]) == {"Conv_2", COPY}
    assert g["a_reformats"] == 1 and "format" in g["changes"]


def test_empty_sides() -> None:
    a = layers("qat")
    al = align(a, a.iloc[0:0])
    assert set(al.groups["kind"]) == {"only_a"} and len(al.members) == len(a)
    assert len(align(a.iloc[0:0], a.iloc[0:0]).groups) == 0


@pytest.mark.parametrize(("node", "kind"), [
    ("Conv_84", "Conv"), ("conv2d_109", "Conv"), ("conv_transpose2d_3", "ConvTranspose"),
    ("quantize_per_channel_110_input", "QuantizeLinear"), ("(Unnamed Layer* 306) [Shuffle]", "Shuffle"),
    ("layer1.0.conv1.weight", None), ("/layer1/layer1.0/conv1/Conv", "Conv"),
    # the op a name stands for, not the unnamed layer it is built on (TensorRT review of the fx pair)
    ("(Unnamed Layer* 741) [Quantize]_output_.dequant", "DequantizeLinear"),
    ("(Unnamed Layer* 592) [Constant]_output_per_channel_quant", "QuantizeLinear"),
    # block suffixes, as precision.op_kind reads them (strip_block_suffix is shared)
    ("Conv_3009 [b3]", "Conv"), ("Conv_5 [profile 1]", "Conv"), ("fc.bias (b2)", None),
])
def test_op_kind(node: str, kind: str | None) -> None:
    assert op_kind(node) == kind


def test_align_is_pure(tmp_path: Path) -> None:
    a, b = layers("qat"), layers("qat-residual")
    before = (a.copy(deep=True), b.copy(deep=True))
    first = align(a, b)
    pd.testing.assert_frame_equal(a, before[0])
    pd.testing.assert_frame_equal(b, before[1])
    pd.testing.assert_frame_equal(first.groups, align(a, b).groups)


def test_myelin_kernels_without_source_nodes_pair_by_identical_name() -> None:
    """TRT 10.16 H100 profile (real): the `__myl_*` Myelin kernels carry no ONNX node; against the same engine
    each pairs 1->1 with its namesake (method `name`) instead of being lumped into a type bucket."""
    bundle = trtinspect.load(LOGS / "trt10.16-h100" / "result-05.log")
    al = align(bundle.layers, bundle.layers)
    myelin = [n for n in bundle.layers["name"] if n.startswith("__my")]
    assert len(myelin) == 8  # 8 of the 15 profiled layers in result-05.log
    members = al.members[al.members["name"].isin(myelin)]
    assert set(members["method"]) == {"name"}
    assert set(al.groups["kind"]) == {"unchanged"}
    assert (al.groups["n_a"] == al.groups["n_b"]).all()

"""Engine layer information parser (parsers/layers.py) against the real fixtures and mangled variants."""

from __future__ import annotations

import copy
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LOGS, RESNET_VARIANTS, resnet_file
from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.layers import (
    CONSUMED_KEYS,
    LayerInfoMeta,
    format_precision,
    frame_from_layer_records,
    frame_from_names,
    parse_layer_info,
    parse_layer_info_obj,
    source_nodes_from_name,
)

TRT10_FILE = LOGS / "trt10.16-h100" / "model-trained-exportLayerInfo.log"
NAMES_ONLY_FILE = LOGS / "trt8.4" / "modelInformation.log"
GRAPH_FILES = [resnet_file(v, "graph.json") for v in RESNET_VARIANTS] + [TRT10_FILE]
# Bytes per weight element, stated here independently of the parser's table.
WEIGHT_SIZES = {"Int8": 1, "Half": 2, "Float": 4}


def _raw(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _assert_schema(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(schema.LAYERS)
    for col, dtype in schema.LAYERS.items():
        assert str(frame[col].dtype) == str(pd.Series(dtype=dtype).dtype), col


# ------------------------------------------------------------------------------------------------ real files


@pytest.mark.parametrize("path", GRAPH_FILES, ids=lambda p: p.parent.name)
def test_every_layer_in_file_order(path: Path) -> None:
    raw = _raw(path)
    meta, frame = parse_layer_info(path)
    _assert_schema(frame)
    assert isinstance(meta, LayerInfoMeta) and meta.detailed
    assert len(frame) == meta.n_layers == len(raw["Layers"])
    assert frame["name"].tolist() == [r["Name"] for r in raw["Layers"]]
    assert frame["layer_index"].tolist() == list(range(len(raw["Layers"])))
    assert frame["layer_type"].tolist() == [r["LayerType"] for r in raw["Layers"]]
    assert meta.bindings == raw["Bindings"]


@pytest.mark.parametrize("path", GRAPH_FILES, ids=lambda p: p.parent.name)
def test_edges_follow_tensor_names(path: Path) -> None:
    raw = _raw(path)
    _, frame = parse_layer_info(path)
    writers: dict[str, list[int]] = {}
    for i, rec in enumerate(raw["Layers"]):
        for t in rec["Outputs"]:
            writers.setdefault(t["Name"], []).append(i)
    for i, rec in enumerate(raw["Layers"]):
        expected = []
        for t in rec["Inputs"]:
            if t["Name"] in raw["Bindings"]:
                assert t["Name"] not in writers        # engine inputs have no producer
                continue
            assert len(writers[t["Name"]]) == 1        # each other input has exactly one producer
            expected.append(writers[t["Name"]][0])
        assert frame.at[i, "producers"] == list(dict.fromkeys(expected))
        for p in frame.at[i, "producers"]:
            assert i in frame.at[p, "consumers"]


def test_known_qat_edges_and_weights() -> None:
    _, frame = parse_layer_info(resnet_file("qat", "graph.json"))
    idx = {n: i for i, n in enumerate(frame["name"])}
    q, conv = idx["QuantizeLinear_2"], idx["conv1.weight + QuantizeLinear_7 + Conv_9"]
    assert frame.at[conv, "producers"] == [q]
    assert frame.at[q, "consumers"] == [conv]
    assert frame.at[q, "producers"] == []              # reads the binding input.1
    # conv1: Weights Int8 x 9408 + Bias Float x 64
    assert frame.at[conv, "weights_bytes"] == 9408 * 1 + 64 * 4
    assert frame.at[conv, "tactic_value"] == "0xb29abdd00304c881"
    assert frame.at[conv, "attributes"]["Kernel"] == [7, 7]
    assert "Name" not in frame.at[conv, "attributes"]


@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_weights_bytes_from_file(variant: str) -> None:
    raw = _raw(resnet_file(variant, "graph.json"))
    _, frame = parse_layer_info(resnet_file(variant, "graph.json"))
    for i, rec in enumerate(raw["Layers"]):
        blobs = [v for k, v in rec.items() if isinstance(v, dict) and {"Type", "Count"} <= set(v)]
        expected = sum(b["Count"] * WEIGHT_SIZES[b["Type"]] for b in blobs) if blobs else None
        got = frame.at[i, "weights_bytes"]
        assert (pd.isna(got) and expected is None) or got == expected, rec["Name"]


def test_fp32_engine_is_all_fp32() -> None:
    _, frame = parse_layer_info(resnet_file("fp32", "graph.json"))
    assert set(frame["precision"]) == {"FP32"}
    assert set(frame["output_precision"]) == {"FP32"}
    raw = _raw(resnet_file("fp32", "graph.json"))
    n_channel_major = sum(r["Inputs"][0]["Format/Datatype"].startswith("Channel major FP32 format")
                          for r in raw["Layers"])
    assert (frame["input_format"].str.startswith("NHWC")).sum() == n_channel_major > 0


def test_fp16_engine_precisions_follow_formats() -> None:
    raw = _raw(resnet_file("fp16", "graph.json"))
    _, frame = parse_layer_info(resnet_file("fp16", "graph.json"))
    first_in = [r["Inputs"][0]["Format/Datatype"] for r in raw["Layers"]]
    expected = ["FP32" if "FP32" in f else "FP16" for f in first_in]
    assert frame["precision"].tolist() == expected
    assert "INT8" not in set(frame["precision"])
    convs = frame[frame["layer_type"] == "CaskConvolution"]
    assert len(convs) == 21 and set(convs["precision"]) == {"FP16"}
    # the engine's FP32 binding is converted by the first and last layers
    assert frame.at[0, "output_precision"] == "FP16" and frame.iloc[-1]["output_precision"] == "FP32"


@pytest.mark.parametrize("variant", ["qat", "qat-residual", "qat-residual-qgap"])
def test_qat_convolutions_compute_in_int8(variant: str) -> None:
    raw = _raw(resnet_file(variant, "graph.json"))
    _, frame = parse_layer_info(resnet_file(variant, "graph.json"))
    for i, rec in enumerate(raw["Layers"]):
        if rec["LayerType"] in ("CaskConvolution", "ConvActPool"):
            assert "Int8" in rec["Inputs"][0]["Format/Datatype"]
            assert frame.at[i, "precision"] == "INT8", rec["Name"]
            out_fmt = rec["Outputs"][0]["Format/Datatype"]
            assert frame.at[i, "output_precision"] == ("INT8" if "Int8" in out_fmt else
                                                       "FP16" if "FP16" in out_fmt else "FP32")
    # INT8 convolutions with a float output exist in the plain QAT engine (conv1 writes FP32)
    if variant == "qat":
        mixed = frame[(frame["precision"] == "INT8") & (frame["output_precision"] != "INT8")]
        assert "conv1.weight + QuantizeLinear_7 + Conv_9" in set(mixed["name"])


@pytest.mark.parametrize("variant", ["qat", "qat-residual", "qat-residual-qgap"])
def test_qdq_reformats(variant: str) -> None:
    raw = _raw(resnet_file(variant, "graph.json"))
    _, frame = parse_layer_info(resnet_file(variant, "graph.json"))
    n_qdq = sum(r.get("Origin") == "QDQ" for r in raw["Layers"])
    assert n_qdq == {"qat": 10, "qat-residual": 3, "qat-residual-qgap": 1}[variant]
    qdq = frame[frame["origin"] == "QDQ"]
    assert len(qdq) == n_qdq and qdq["is_reformat"].all()
    quantize = qdq[qdq["name"].str.startswith("QuantizeLinear")]
    assert (quantize["output_precision"] == "INT8").all()
    assert quantize["source_nodes"].map(len).eq(1).all()     # named after their ONNX node


def test_reformat_layers_and_serving() -> None:
    raw = _raw(resnet_file("fp16", "graph.json"))
    _, frame = parse_layer_info(resnet_file("fp16", "graph.json"))
    expected = [r["LayerType"] == "Reformat" or r["Name"].startswith("Reformatting CopyNode")
                for r in raw["Layers"]]
    assert frame["is_reformat"].tolist() == expected
    noop_reformats = frame[frame["is_reformat"] & (frame["layer_type"] == "NoOp")]
    assert len(noop_reformats) == sum(r["LayerType"] == "NoOp" and r["Name"].startswith("Reformatting")
                                      for r in raw["Layers"]) == 10
    name = "Reformatting CopyNode for Input Tensor 1 to Conv_5 + Add_6 + Relu_7"
    row = frame[frame["name"] == name].iloc[0]
    assert row["source_nodes"] == [] and row["source_from"] == "none"
    assert row["attributes"]["serves"] == "Conv_5 + Add_6 + Relu_7"
    assert frame.at[row["attributes"]["serves_index"], "name"] == "Conv_5 + Add_6 + Relu_7"


def test_trt10_metadata_myelin_and_streams() -> None:
    raw = _raw(TRT10_FILE)
    meta, frame = parse_layer_info(TRT10_FILE)
    assert meta.has_metadata and meta.trt_generation == "10.x"
    assert frame.at[0, "source_nodes"] == ["node_conv2d", "node_relu"]     # \x1e separated
    assert frame.at[0, "source_from"] == "metadata" and frame.at[0, "fusion"] == "vertical"
    gemm = frame[frame["layer_type"] == "gemm"].iloc[0]
    assert gemm["source_nodes"] == ["node_linear", "node_relu_2"]          # \x1f separated
    assert pd.isna(gemm["tactic_value"]) and gemm["fusion"] == "foreign"
    for i, rec in enumerate(raw["Layers"]):
        entries = [e for e in rec["Metadata"].replace("\x1f", "\x1e").split("\x1e") if e]
        assert len(frame.at[i, "source_nodes"]) == len(set(entries))
        assert frame.at[i, "stream_id"] == rec["StreamId"]
        assert pd.isna(frame.at[i, "tactic_value"]) == ("TacticValue" not in rec)
    last = frame.iloc[-1]                                                   # Metadata "" and a __myl_ name
    assert last["source_nodes"] == [] and last["source_from"] == "none"
    assert (last["precision"], last["output_precision"]) == ("INT32", "INT64")
    assert set(frame["precision"].iloc[:-1]) == {"FP32"}
    assert frame["input_format"].isna().all()                               # plain datatypes state no layout
    kgen_inputs = frame[frame["layer_type"] == "kgen"]["inputs"].iloc[0]
    assert kgen_inputs[0]["location"] is None                               # no Location on Myelin tensors


def test_names_only_file() -> None:
    raw = _raw(NAMES_ONLY_FILE)
    meta, frame = parse_layer_info(NAMES_ONLY_FILE)
    _assert_schema(frame)
    assert not meta.detailed and meta.trt_generation is None
    assert frame["name"].tolist() == raw["Layers"] and meta.bindings == raw["Bindings"]
    assert any("names-only" in n for n in meta.notes)
    reformats = frame[frame["is_reformat"]]
    assert reformats["name"].str.startswith("Reformatting CopyNode").all() and len(reformats) == 2
    assert set(reformats["layer_type"]) == {"Reformat"}
    assert frame["precision"].isna().all() and frame["producers"].map(len).eq(0).all()
    assert frame.at[0, "source_nodes"] == ["Conv-1", "ReLU-2"] and frame.at[0, "fusion"] == "vertical"
    assert reformats.iloc[0]["attributes"]["serves"] == "MaxPool-3"


def test_frame_from_names_matches_names_only_parse() -> None:
    raw = _raw(NAMES_ONLY_FILE)
    a = frame_from_names(raw["Layers"])
    b = parse_layer_info_obj(raw)[1]
    pd.testing.assert_frame_equal(a, b)
    _assert_schema(frame_from_names([]))


# ------------------------------------------------------------------------------------------------ formats

FORMAT_CASES = [
    ("Row major linear FP32", "FP32", "NCHW"),
    ("Row major linear FP16 format", "FP16", "NCHW"),
    ("Row major linear FP16 format (kLINEAR)", "FP16", "NCHW"),
    ("Row major Int8 format", "INT8", "NCHW"),
    ("Row major linear Int32", "INT32", "NCHW"),
    ("Row major linear BOOL", "BOOL", "NCHW"),
    ("Row major linear UInt8 format", "UINT8", "NCHW"),
    ("Row major linear Int64 format", "INT64", "NCHW"),
    ("Row major linear BFloat16 format", "BF16", "NCHW"),
    ("Row major linear FP8 format", "FP8", "NCHW"),
    ("Row major linear FP4 format (kLINEAR)", "FP4", "NCHW"),
    ("Two wide channel vectorized row major FP16 format", "FP16", "NC/2HW2"),
    ("Four wide channel vectorized row major Int8 format", "INT8", "NC/4HW4"),
    ("Sixteen wide channel vectorized row major FP16 format", "FP16", "NC/16HW16"),
    ("Thirty-two wide channel vectorized row major Int8 format", "INT8", "NC/32HW32"),
    ("Thirty-two wide channel vectorized row major FP16 format", "FP16", "NC/32HW32"),
    ("Thirty-two wide channel vectorized row major Int8 format with 3 spatial dimensions", "INT8",
     "NC/32DHW32"),
    ("Channel major FP32 format", "FP32", "NHWC"),
    ("Channel major FP16 format where channel % 8 == 0", "FP16", "NHWC8"),
    ("Channel major FP16 format where channel % 16 == 0", "FP16", "NHWC16"),
    ("Channel major FP32 format where channel % 4 == 0", "FP32", "NHWC4"),
    ("Channel major FP16 format where channel % 8 == 0 with 3 spatial dimensions", "FP16", "NDHWC8"),
    ("Channel major FP32 format with 3 spatial dimensions", "FP32", "NDHWC"),
    ("Channel major BFloat16 format where channel % 8 == 0", "BF16", "NHWC8"),
    ("Channel major FP16 format where channel == 4 and column stride % 32 == 0", "FP16", "DLA_HWC4"),
    ("Row major INT8 format where column stride % 64 == 0", "INT8", "DLA_LINEAR"),
    ("Half", "FP16", None),
    ("Float", "FP32", None),
    ("Int8", "INT8", None),
    ("Int64", "INT64", None),
    ("BFloat16", "BF16", None),
    ("FP8", "FP8", None),
    ("Half[-1,32:8,14,14]", "FP16", "vectorized-8"),
    ("Float[-1,1,28,28]", "FP32", None),
    ("Some future format", None, None),
    ("", None, None),
]


@pytest.mark.parametrize(("fmt", "precision", "layout"), FORMAT_CASES)
def test_format_precision(fmt: str, precision: str | None, layout: str | None) -> None:
    assert format_precision(fmt) == (precision, layout)


@pytest.mark.parametrize("path", GRAPH_FILES, ids=lambda p: p.parent.name)
def test_every_fixture_format_is_understood(path: Path) -> None:
    for rec in _raw(path)["Layers"]:
        for t in rec["Inputs"] + rec["Outputs"]:
            precision, layout = format_precision(t["Format/Datatype"])
            assert precision is not None, t["Format/Datatype"]
            assert layout is not None or t["Format/Datatype"] in ("Float", "Int32", "Int64")


# ------------------------------------------------------------------------------------------------ fused names

NAME_CASES = [
    ("Conv_0 + Relu_1", ["Conv_0", "Relu_1"], "vertical"),
    ("MaxPool_2", ["MaxPool_2"], "none"),
    ("conv1 || conv2", ["conv1", "conv2"], "horizontal"),
    ("conv1 + relu1 || conv2 + relu2", ["conv1", "relu1", "conv2", "relu2"], "mixed"),
    ("PWN(Add_3, Relu_4)", ["Add_3", "Relu_4"], "pwn"),
    ("PWN(PWN(Sigmoid_5), Mul_6)", ["Sigmoid_5", "Mul_6"], "pwn"),
    ("Conv_7 + PWN(Sigmoid_8, Mul_9)", ["Conv_7", "Sigmoid_8", "Mul_9"], "mixed"),
    ("{ForeignNode[node_conv2d...node_relu]}", ["node_conv2d", "node_relu"], "foreign"),
    ("{ForeignNode[gemm2.bias + ONNXTRT_Broadcast_4...ONNXTRT_castHelper_9]}",
     ["gemm2.bias", "ONNXTRT_Broadcast_4", "ONNXTRT_castHelper_9"], "mixed"),
    ("conv1 [profile 1]", ["conv1"], "none"),
    ("Conv_0 + Relu_1 [profile 12]", ["Conv_0", "Relu_1"], "vertical"),
    ("Reformatting CopyNode for Input Tensor 0 to Conv_5 + Add_6 + Relu_7", [], "none"),
    ("Reformatting CopyNode for Output Tensor 0 to MaxPool_12 [profile 1]", [], "none"),
    ("conv1 input reformatter 0", [], "none"),
    ("conv1.weight + QuantizeLinear_7 + Conv_9", ["conv1.weight", "QuantizeLinear_7", "Conv_9"], "vertical"),
    ("quantize_per_channel_110_input + (Unnamed Layer* 592) [Constant]_output_per_channel_quant + conv2d_107",
     ["quantize_per_channel_110_input", "(Unnamed Layer* 592) [Constant]_output_per_channel_quant",
      "conv2d_107"],
     "vertical"),
    ("copied_squeeze_after_(Unnamed Layer* 361) [ElementWise]",
     ["copied_squeeze_after_(Unnamed Layer* 361) [ElementWise]"], "none"),
    ("(Unnamed Layer* 1) [Shuffle] + (Unnamed Layer* 2) [Shuffle]",
     ["(Unnamed Layer* 1) [Shuffle]", "(Unnamed Layer* 2) [Shuffle]"], "vertical"),
    ("node_conv2d_myl0_1", ["node_conv2d"], "none"),
    ("__mye59_0_myl0_0", [], "none"),
    ("__myl_Resh_myl5_1", [], "none"),
    ("[trainStation1]", [], "none"),
    ("Add_1 + Add_1", ["Add_1"], "vertical"),
]


@pytest.mark.parametrize(("name", "nodes", "kind"), NAME_CASES)
def test_source_nodes_from_name(name: str, nodes: list[str], kind: str) -> None:
    assert source_nodes_from_name(name) == (nodes, kind)


def test_deeply_nested_name_does_not_recurse_forever() -> None:
    name = "PWN(" * 5000 + "x" + ")" * 5000
    nodes, kind = source_nodes_from_name(name)
    assert kind == "pwn" and len(nodes) == 1


# ------------------------------------------------------------------------------------------------ variants


def _tensor(name: str, fmt: str, dims: list[int] | None = None, location: bool = True) -> dict[str, Any]:
    t: dict[str, Any] = {"Name": name, "Dimensions": dims or [-1, 8, 4, 4], "Format/Datatype": fmt}
    if location:
        t["Location"] = "Device"
    return t


def test_variant_records_without_bindings_location_or_tactics() -> None:
    doc = {"Layers": [
        {"Name": "[trainStation1]", "LayerType": "TrainStation", "Inputs": [], "Outputs": []},
        {"Name": "__myl_Cast_myl0_0", "LayerType": "kgen",
         "Inputs": [_tensor("x", "Float", location=False)],
         "Outputs": [_tensor("h", "Half", location=False)]},
        {"Name": "node_mm_myl0_1", "LayerType": "gemm",
         "Inputs": [_tensor("h", "Half", location=False), _tensor("w", "BFloat16", location=False)],
         "Outputs": [_tensor("y", "Half", location=False)], "Metadata": ""},
        {"Name": "__myl_Mix_myl0_2", "LayerType": "kgen",
         "Inputs": [_tensor("y", "Half", [1, 64]), _tensor("s", "Float", [1, 64])],
         "Outputs": [_tensor("z", "Half", [1, 64])]},
        {"Name": "__myl_Scale_myl0_3", "LayerType": "fusion",
         "Inputs": [_tensor("z", "Half", [1, 64]), _tensor("k", "Float", [1]), _tensor("ix", "Int64", [4])],
         "Outputs": [_tensor("out", "Half", [1, 64])]},
        {"Name": "shape_call_0", "LayerType": "shape_call"},
        {"Name": "[signal 1]", "LayerType": "signal"},
        {"Name": "[wait 1]", "LayerType": "wait"},
    ]}
    meta, frame = parse_layer_info_obj(doc)
    _assert_schema(frame)
    assert meta.bindings is None and meta.trt_generation == "10.x"
    assert any("Bindings" in n for n in meta.notes)
    assert frame["tactic_value"].isna().all()
    assert frame.at[0, "source_nodes"] == [] and frame.at[0, "precision"] is pd.NA
    assert frame.at[1, "source_nodes"] == [] and frame.at[1, "precision"] == "FP32"
    assert frame.at[2, "source_nodes"] == ["node_mm"] and frame.at[2, "precision"] == "FP16"  # gemm: input 0
    assert frame.at[3, "precision"] == "mixed"            # kgen: FP16 and FP32 inputs of equal size
    assert frame.at[4, "precision"] == "FP16"             # fusion: largest non-index input wins
    assert frame.at[2, "producers"] == [1] and frame.at[1, "producers"] == []
    assert frame.at[5, "source_nodes"] == [] and frame.at[5, "inputs"] == []


def test_profile_suffix_duplicates_and_control_characters() -> None:
    doc = {"Layers": [
        {"Name": "conv1 [profile 1]", "LayerType": "CaskConvolution",
         "Inputs": [_tensor("in [profile 1]", "Row major linear FP16 format")],
         "Outputs": [_tensor("a [profile 1]", "Row major linear FP16 format")], "TacticValue": "0x1"},
        {"Name": "relu\x01bad", "LayerType": "CaskPointWise",
         "Inputs": [_tensor("a [profile 1]", "Row major linear FP16 format")],
         "Outputs": [_tensor("b", "Row major linear FP16 format")], "TacticValue": "0x2"},
        {"Name": "relu\x01bad", "LayerType": "CaskPointWise",
         "Inputs": [_tensor("b", "Row major linear FP16 format")],
         "Outputs": [_tensor("c", "Row major linear FP16 format")], "TacticValue": "0x3"},
    ], "Bindings": ["in [profile 1]", "c"]}
    meta, frame = parse_layer_info_obj(doc)
    assert frame["name"].tolist() == ["conv1 [profile 1]", "relu\x01bad", "relu\x01bad"]   # raw, both kept
    assert frame.at[0, "base_name"] == "conv1" and frame.at[0, "profile_index"] == 1
    assert pd.isna(frame.at[1, "profile_index"])
    assert any("more than once" in n for n in meta.notes)
    assert any("control characters" in n for n in meta.notes)
    assert frame["producers"].tolist() == [[], [0], [1]]
    assert frame["consumers"].tolist() == [[1], [2], []]


def test_minimal_records_as_the_log_parser_builds_them() -> None:
    VEC8 = "Half[-1,32:8,28,28]"  # TRT 10 verbose-log form of an FP16 tensor vectorized by 8
    records = [
        {"Name": "Conv-1 + ReLU-2", "LayerType": "CaskConvolution", "TacticValue": "0x632674f65e3422ae",
         "Inputs": [{"Name": "tensor-0", "Dimensions": [-1, 1, 28, 28], "Format/Datatype": "Float"}],
         "Outputs": [{"Name": "tensor-2", "Dimensions": [-1, 32, 28, 28], "Format/Datatype": VEC8}]},
        {"Name": "MaxPool-3", "LayerType": "TiledPooling", "TacticValue": "0x0000000000620101",
         "Inputs": [{"Name": "tensor-2", "Dimensions": [-1, 32, 28, 28], "Format/Datatype": VEC8}],
         "Outputs": [{"Name": "tensor-3", "Dimensions": [-1, 32, 14, 14], "Format/Datatype": "Half"}]},
    ]
    before = copy.deepcopy(records)
    frame = frame_from_layer_records(records)
    assert records == before                               # the caller's records are not modified
    _assert_schema(frame)
    assert frame["precision"].tolist() == ["FP32", "FP16"]
    assert frame.at[1, "input_format"] == "vectorized-8"
    assert frame.at[0, "inputs"][0]["shape"] == [-1, 1, 28, 28]
    assert frame["producers"].tolist() == [[], [0]]
    assert frame.at[0, "source_nodes"] == ["Conv-1", "ReLU-2"]
    _assert_schema(frame_from_layer_records([]))


def test_attributes_hold_exactly_the_unconsumed_keys() -> None:
    rec = _raw(TRT10_FILE)["Layers"][0]
    _, frame = parse_layer_info_obj({"Layers": [rec]})
    assert set(frame.at[0, "attributes"]) == set(rec) - CONSUMED_KEYS
    assert frame.at[0, "attributes"]["Metadata"] == rec["Metadata"]


# ------------------------------------------------------------------------------------------------ bad input


def _write(tmp_path: Path, data: bytes, name: str = "layers.json") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b'{"Layers": [{"Name": "a", "LayerType": "Reformat", "Inp', "truncated"),
    (b"\x00\x01\x02\x7fELF\x00" * 50, "binary"),
    (b"[03/03/2022-14:46:31] [I] === Model Options ===\n", "trtexec log"),
    (b'{"count": 3}', "Layers"),
    (b'[{"count": 1}, {"name": "a", "timeMs": 1.0, "averageMs": 1.0, "percentage": 100}]', "exportProfile"),
    (b'[{"startComputeMs": 1, "computeMs": 1, "latencyMs": 1}]', "exportTimes"),
    (b'[{"Name": "a", "LayerType": "Reformat", "Inputs": []}]', "wrapper"),
    (b'{"Layers": [1, 2]}', "record 0"),
    (b'{"Layers": ["a", {"Name": "b"}]}', "mixes"),
    (b'{"Layers": [{"LayerType": "Reformat"}]}', "Name"),
    (b'{"Layers": [{"Name": "a", "Inputs": "x"}]}', "Inputs"),
    (b'{"Layers": [{"Name": "a", "Inputs": [3]}]}', "Inputs"),
    (b'"just a string"', "JSON str"),
    (b"hello, this is not json\n", "text file"),
])
def test_bad_input_raises_one_clear_error(tmp_path: Path, data: bytes, words: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(TrtInspectError) as info:
        parse_layer_info(path)
    message = str(info.value)
    assert words in message and str(path) in message and "\n" not in message
    if words not in ("empty",):
        assert "--exportLayerInfo" in message


@pytest.mark.parametrize("suffix", ["profile.json", "timing.json", "metadata.json", "build.metadata.json",
                                    "profile.metadata.json"])
def test_wrong_kind_fixture_says_what_it_is(suffix: str) -> None:
    with pytest.raises(TrtInspectError, match="not layer information") as info:
        parse_layer_info(resnet_file("qat", suffix))
    assert "--exportLayerInfo=FILE --profilingVerbosity=detailed" in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(TrtInspectError, match="no such file"):
        parse_layer_info("/nonexistent/layers.json")


def test_empty_layer_list() -> None:
    meta, frame = parse_layer_info_obj({"Layers": [], "Bindings": []})
    _assert_schema(frame)
    assert len(frame) == 0 and meta.n_layers == 0 and any("no layers" in n for n in meta.notes)


# ------------------------------------------------------------------------------------------------ properties

FIXTURE_BYTES = [p.read_bytes() for p in [*GRAPH_FILES, NAMES_ONLY_FILE]]
FIXTURE_DOCS = [json.loads(b) for b in FIXTURE_BYTES]
PROPERTY_SETTINGS = settings(max_examples=30, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _parse_bytes(data: bytes) -> tuple[LayerInfoMeta, pd.DataFrame] | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mangled.json"
        path.write_bytes(data)
        try:
            return parse_layer_info(path)
        except TrtInspectError:
            return None


def _check(result: tuple[LayerInfoMeta, pd.DataFrame] | None) -> None:
    if result is not None:
        meta, frame = result
        _assert_schema(frame)
        assert meta.n_layers == len(frame)


@PROPERTY_SETTINGS
@given(which=st.integers(0, len(FIXTURE_BYTES) - 1), cut=st.floats(0.0, 1.0))
def test_truncated_fixture(which: int, cut: float) -> None:
    data = FIXTURE_BYTES[which]
    _check(_parse_bytes(data[: int(len(data) * cut)]))


@PROPERTY_SETTINGS
@given(which=st.integers(0, len(FIXTURE_BYTES) - 1), data=st.data())
def test_random_bytes_spliced_into_fixture(which: int, data: st.DataObject) -> None:
    raw = bytearray(FIXTURE_BYTES[which])
    for _ in range(data.draw(st.integers(1, 5))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos:pos + 1] = data.draw(st.binary(min_size=0, max_size=8))
    _check(_parse_bytes(bytes(raw)))


@PROPERTY_SETTINGS
@given(blob=st.binary(max_size=512))
def test_random_bytes(blob: bytes) -> None:
    _check(_parse_bytes(blob))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@PROPERTY_SETTINGS
@given(which=st.integers(0, len(FIXTURE_DOCS) - 1), data=st.data())
def test_records_with_keys_deleted_or_replaced(which: int, data: st.DataObject) -> None:
    doc = copy.deepcopy(FIXTURE_DOCS[which])
    layers: list[Any] = doc["Layers"]
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(layers) - 1))
        target: Any = layers[i]
        tensors: list[dict[str, Any]] = [
            t for k in ("Inputs", "Outputs") if isinstance(target, dict) and isinstance(target.get(k), list)
            for t in target[k] if isinstance(t, dict)
        ]
        mangle_tensor: bool = bool(tensors) and data.draw(st.booleans())
        if mangle_tensor:
            target = data.draw(st.sampled_from(tensors))
        if not isinstance(target, dict) or not target:
            layers[i] = data.draw(JSON_VALUES)
            continue
        key = data.draw(st.sampled_from(sorted(target)))
        if data.draw(st.booleans()):
            del target[key]
        else:
            target[key] = data.draw(JSON_VALUES)
    if data.draw(st.booleans()):
        doc.pop(data.draw(st.sampled_from(sorted(doc))))
    try:
        result = parse_layer_info_obj(doc)
    except TrtInspectError:
        return
    _check(result)
    counts = Counter(result[1]["name"])
    assert sum(counts.values()) == len(layers)

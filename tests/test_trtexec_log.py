# ruff: noqa: E501  (log text transcribed verbatim; lines are as long as trtexec printed them)
"""trtexec stdout log parser: real logs (TRT 10.16 H100, TRT 8.4 GTX 1070, 8.2-era excerpts), transcribed
public snippets of older formats, bad input and mangled logs."""

from __future__ import annotations

import math
import re
from pathlib import Path

import orjson
import pandas as pd
import pytest
from conftest import LOGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.sniff import detect_kind
from trtinspect.parsers.trtexec_log import (
    TrtexecLog,
    decode_version_token,
    looks_like_trtexec_log,
    parse_trtexec_log,
    parse_trtexec_text,
)
from trtinspect.parsers.trtexec_log_layers import parse_engine_layer_line, parse_oneline_record

H100 = LOGS / "trt10.16-h100"
T84 = LOGS / "trt8.4"
SEED = LOGS / "seed-fx-vs-implicit-int8"
ALL_LOGS = sorted(LOGS.rglob("*.log"))
JSON_LOGS = {H100 / "model-trained-exportLayerInfo.log", T84 / "modelInformation.log"}
TEXT_LOGS = [p for p in ALL_LOGS if p not in JSON_LOGS]


def value(log: TrtexecLog, metric: str, stat: str) -> float:
    v = log.summary_value(metric, stat)
    assert v is not None, (metric, stat)
    return v


def tensors(side: list[dict]) -> list[tuple[str, list[int], str]]:
    return [(t["Name"], t["Dimensions"], t["Format/Datatype"]) for t in side]


# ---- TensorRT 10.16.1, H100 ------------------------------------------------------------------------------

def test_h100_build_and_run_fp32() -> None:
    log = parse_trtexec_log(H100 / "result-01.log")
    assert (log.trt_version, log.version_token, log.build_tag, log.status) == ("10.16.1", "v101601", "b11", "PASSED")
    assert log.command is not None and log.command.startswith("trtexec --onnx=/work/trt-samples-for-hackathon-cn")
    assert log.device["name"] == "NVIDIA H100 PCIe"
    assert log.device["compute_capability"] == "9.0"
    assert log.device["sms"] == 114
    assert log.device["global_memory_mib"] == 81081
    assert log.device["uuid"] == "GPU-31e9692b-62b7-2d62-f0b1-f4195b568ac7"
    assert log.device["compute_clock_ghz"] == 1.755 and log.device["memory_clock_ghz"] == 1.593
    assert log.device["ecc"] is True
    assert log.build_options["Precision"] == "FP32"
    assert log.build_options["MaxAuxStreams"] == "-1"
    assert log.reporting_options["Percentiles"] == "90,95,99"
    assert log.inference_options["Duration"] == "3s (+ 200ms warm up)"
    assert log.model_options["Format"] == "ONNX"
    assert log.system_options["Device"] == "0"
    # numbers as printed on lines 171-176 of the file
    assert value(log, "GPU Compute Time", "mean") == 0.0359588
    assert value(log, "GPU Compute Time", "median") == 0.0361328
    assert value(log, "GPU Compute Time", "p90") == 0.0368652
    assert value(log, "GPU Compute Time", "p99") == 0.041748
    assert value(log, "Throughput", "value") == 15374.3
    assert value(log, "Total Host Walltime", "value") == 3.00013
    assert value(log, "Total GPU Compute Time", "value") == 1.6586
    assert value(log, "GPU Compute Time CV", "value") == 6.58751
    metrics = set(log.summary["metric"])
    assert {"Latency", "Enqueue Time", "H2D Latency", "D2H Latency"} <= metrics
    assert "End-to-End Host Latency" not in metrics  # 10.x no longer prints it
    assert len(log.summary[log.summary["metric"] == "Latency"]) == 7  # min max mean median p90 p95 p99
    unstable = log.warnings[log.warnings["kind"] == "unstable_compute"]
    assert len(unstable) == 1
    row = unstable.iloc[0]
    assert row["severity"] == "W" and row["line_no"] == 576
    assert "6.58751%" in row["message"] and "locking GPU clock frequency" in row["message"]  # continuation kept
    assert log.lines_without_prefix is False
    assert log.layer_records is None and log.profile.empty


def test_h100_verbose_fp16_dynamic_build() -> None:
    log = parse_trtexec_log(H100 / "result-02.log")
    assert log.build_options["Precision"] == "FP32+FP16"
    assert log.build_options["MaxAuxStreams"] == "4"
    assert log.build_options["BuilderOptimizationLevel"] == "5"
    assert log.build_options["Input build shape (profile 0)"] == "x=1x1x28x28+4x1x28x28+16x1x28x28"
    assert log.build_options["Skip inference"] == "Enabled"
    assert log.summary.empty
    assert any("--skipInference" in n for n in log.notes)
    assert log.layer_records_source == "engine_layer_information"
    recs = log.layer_records
    assert recs is not None and len(recs) == 6
    assert recs[0]["Name"] == "{ForeignNode[node_conv2d...node_relu]}" and recs[0]["LayerType"] == "Myelin"
    assert tensors(recs[0]["Inputs"]) == [("x", [-1, 1, 28, 28], "Float")]
    assert tensors(recs[0]["Outputs"]) == [("relu", [-1, 32, 28, 28], "Float")]
    reformat = recs[2]
    assert reformat["Name"] == "Reformatting CopyNode for Input Tensor 0 to {ForeignNode[node_conv2d_1...node_relu_1]}"
    assert tensors(reformat["Outputs"]) == [
        ("Reformatted Input Tensor 0 to {ForeignNode[node_conv2d_1...node_relu_1]}", [-1, 32, 14, 14],
         "Half[-1,32:8,14,14]")]
    assert recs[4]["TacticValue"] == "0xf9ae51e35ff7f5db"
    assert recs[-1]["Name"] == "{ForeignNode[gemm2.bias + ONNXTRT_Broadcast_4...ONNXTRT_castHelper_9]}"
    assert tensors(recs[-1]["Inputs"]) == [("max_pool2d_1", [-1, 64, 7, 7], "Half[-1,64:8,7,7]")]
    assert tensors(recs[-1]["Outputs"]) == [("y", [-1, 10], "Float"), ("z", [-1], "Int64")]
    aux = log.warnings[log.warnings["kind"] == "aux_streams"]
    assert len(aux) == 2 and all("Multi stream is disabled" in m for m in aux["message"])
    assert (log.warnings["kind"] == "other").sum() == 8


def test_h100_cuda_graph_run() -> None:
    log = parse_trtexec_log(H100 / "result-03.log")
    assert log.inference_options["CUDA Graph"] == "Enabled"
    assert log.inference_options["Spin-wait"] == "Enabled"
    assert log.inference_options["Data transfers"] == "Disabled"
    assert log.inference_options["Input inference shape"] == "x=4x1x28x28"
    assert log.build_options == {}  # --loadEngine runs print no Build Options section
    assert value(log, "GPU Compute Time", "mean") == 0.0387646
    assert value(log, "GPU Compute Time", "p95") == 0.0389404
    assert value(log, "Throughput", "value") == 24896.9
    h2d = log.summary[log.summary["metric"] == "H2D Latency"]
    assert len(h2d) == 7 and (h2d["value"] == 0).all()  # --noDataTransfers
    assert log.warnings.empty


def test_h100_dump_layer_info_matches_export() -> None:
    """result-04's command wrote --dumpLayerInfo to stdout and --exportLayerInfo to the JSON beside it. The
    shipped JSON comes from another run of that command: autotuning chose other tactics for two layers; every
    other key of every record must equal what the log printed."""
    log = parse_trtexec_log(H100 / "result-04.log")
    assert log.layer_records_source == "dumpLayerInfo"
    exported = orjson.loads((H100 / "model-trained-exportLayerInfo.log").read_bytes())["Layers"]
    recs = log.layer_records
    assert recs is not None and len(recs) == len(exported) == 9
    tactic_differs = []
    for got, want in zip(recs, exported, strict=True):
        assert set(got) == set(want), want["Name"]
        for key in want:
            if key in ("TacticName", "TacticValue") and got[key] != want[key]:
                tactic_differs.append(want["Name"])
                continue
            assert got[key] == want[key], (want["Name"], key)
    assert sorted(set(tactic_differs)) == ["node_conv2d_1 + node_relu_1", "node_linear_myl4_0"]
    assert recs[0]["Metadata"] == "[ONNX Layer: node_conv2d]\x1e[ONNX Layer: node_relu]"
    assert recs[0]["Kernel"] == [5, 5] and recs[0]["OutMaps"] == 32
    assert recs[2]["TacticValue"] == "0xf26d5b1bbc7d3ee9"  # as printed in result-04.log


def test_h100_dump_profile() -> None:
    log = parse_trtexec_log(H100 / "result-05.log")
    assert log.profile_iterations == 18362
    assert log.profile_layout == "8.6+"
    prof = log.profile
    assert len(prof) == 15
    assert list(prof["row"]) == list(range(15))
    assert prof.iloc[0][["name", "time_ms", "avg_ms", "median_ms", "percentage"]].tolist() == \
        ["__mye59_0_myl0_0", 31.40, 0.0017, 0.0018, 2.1]
    assert prof.iloc[-1]["name"] == "__myl_Cast_myl5_7"
    braces = prof[prof["name"] == "Reformatting CopyNode for Input Tensor 0 to {ForeignNode[node_conv2d_1...node_relu_1]}"]
    assert braces[["time_ms", "median_ms"]].values.tolist() == [[101.96, 0.0044]]
    assert "Total" not in set(prof["name"])
    assert log.profile_total == {"time_ms": 1529.13, "avg_ms": 0.0833, "median_ms": 0.0804, "percentage": 100.0}
    assert abs(prof["time_ms"].sum() - 1529.13) < 0.05
    assert log.summary.empty and any("--separateProfileRun" in n for n in log.notes)


# ---- TensorRT 8.4.1, GTX 1070 ----------------------------------------------------------------------------

def test_trt84_fp16_verbose_build() -> None:
    log = parse_trtexec_log(T84 / "result-FP16.log")
    assert (log.trt_version, log.version_token, log.build_tag, log.status) == ("8.4.1", "v8401", None, "PASSED")
    assert log.device["name"] == "NVIDIA GeForce GTX 1070"
    assert (log.device["compute_capability"], log.device["sms"]) == ("6.1", 16)
    assert log.device["memory_clock_ghz"] == 4.004 and log.device["ecc"] is False
    assert log.build_options["Precision"] == "FP32+FP16"
    assert log.build_options["Input build shape"] == "tensor-0=1x1x28x28+4x1x28x28+16x1x28x28"
    assert log.reporting_options["Percentile"] == "99"
    assert value(log, "GPU Compute Time", "mean") == 0.16247
    assert value(log, "GPU Compute Time", "median") == 0.154663
    assert value(log, "GPU Compute Time", "p99") == 0.427002
    assert value(log, "Total GPU Compute Time", "value") == 2.97694
    recs = log.layer_records
    assert recs is not None and len(recs) == 12
    assert recs[0]["Name"] == "Conv-1 + ReLU-2" and recs[0]["TacticValue"] == "0x632674f65e3422ae"
    assert tensors(recs[0]["Inputs"]) == [("tensor-0", [-2, 1, 28, 28], "Float")]
    assert tensors(recs[3]["Inputs"]) == [("Reformatted Input Tensor 0 to Conv-4 + ReLU-5", [-2, 32, 14, 14], "Float")]
    assert tensors(recs[10]["Outputs"]) == [("(Unnamed Layer* 28) [TopK]_output_1", [-2, 1], "Float"),
                                            ("(Unnamed Layer* 28) [TopK]_output_2", [-2, 1], "Int32")]
    assert recs[-1]["Name"] == "(Unnamed Layer* 32) [Shuffle]"
    assert tensors(recs[-1]["Inputs"]) == [("(Unnamed Layer* 28) [TopK]_output_2", [-2, 1], "Int32")]
    assert tensors(recs[-1]["Outputs"]) == [("tensor-15", [-2], "Int32")]


def test_trt84_load_and_inference() -> None:
    log = parse_trtexec_log(T84 / "result-loadAndInference.log")
    assert log.build_options["Precision"] == "FP32" and log.build_options["Load engine"] == "./model-FP32.plan"
    assert value(log, "GPU Compute Time", "mean") == 0.159919
    assert value(log, "Latency", "p99") == 0.388947
    assert log.layer_records is None
    # the verbose "Explanations of the performance metrics" lines are prose, not numbers
    assert set(log.summary["unit"]) == {"ms", "s", "qps"}


# ---- layer records -> LAYERS frame (parsers.layers) ------------------------------------------------------

layers_mod = pytest.importorskip("trtinspect.parsers.layers")


def test_layer_records_convert_to_layers_frame() -> None:
    fp16 = layers_mod.frame_from_layer_records(parse_trtexec_log(H100 / "result-02.log").layer_records)
    assert len(fp16) == 6
    by_name = fp16.set_index("name")
    assert by_name.loc["node_max_pool2d_1", "precision"] == "FP16"
    assert by_name.loc["node_max_pool2d", "precision"] == "FP32"
    assert (fp16["precision"] == "FP16").sum() == 3  # the layers that read the Half[..32:8..] tensors
    assert fp16.loc[2, "output_precision"] == "FP16"  # the FP32 -> FP16 reformat
    gtx = layers_mod.frame_from_layer_records(parse_trtexec_log(T84 / "result-FP16.log").layer_records)
    assert len(gtx) == 12
    # the GTX 1070 has no fast FP16: TensorRT kept every layer in FP32, the final int shuffle in INT32
    assert list(gtx["precision"]) == ["FP32"] * 11 + ["INT32"]
    dumped = layers_mod.frame_from_layer_records(parse_trtexec_log(H100 / "result-04.log").layer_records)
    assert len(dumped) == 9 and dumped.loc[0, "source_nodes"] == ["node_conv2d", "node_relu"]


def test_engine_layer_lines_with_awkward_names() -> None:
    # SYNTHETIC lines in the two printed forms, with names holding commas, arrows and brackets.
    rec = parse_engine_layer_line(
        "Layer(Reformat): a, b -> c [x], Tactic: 0x00000000000003e9, in, put -> 1 (Half[-1,32:8,14,14]), "
        "y[0] (Int8[1,64:32,7,7]) -> out -> z (Float[1,10])")
    assert rec is not None and rec["Name"] == "a, b -> c [x]"
    assert tensors(rec["Inputs"]) == [("in, put -> 1", [-1, 32, 14, 14], "Half[-1,32:8,14,14]"),
                                      ("y[0]", [1, 64, 7, 7], "Int8[1,64:32,7,7]")]
    assert tensors(rec["Outputs"]) == [("out -> z", [1, 10], "Float")]
    rec = parse_engine_layer_line(
        "Layer(Shuffle): n, Tactic: 0x1, (Unnamed Layer* 28) [TopK]_output_2[Int32(-2,1)] -> t[5][Half(3:2)]")
    assert rec is not None
    assert tensors(rec["Inputs"]) == [("(Unnamed Layer* 28) [TopK]_output_2", [-2, 1], "Int32")]
    assert tensors(rec["Outputs"]) == [("t[5]", [3], "Half(3:2)")]
    rec = parse_engine_layer_line("Layer(Constant): c, Tactic: 0x0, -> w (Float[64])")
    assert rec is not None and rec["Inputs"] == [] and tensors(rec["Outputs"]) == [("w", [64], "Float")]
    assert parse_engine_layer_line("Layer(X) without a tactic") is None


_PIECES = st.sampled_from([
    *"abc ,:[](){}-0123456789>", "Float", "Half", " -> ", ", Tactic: 0x1, ", "Name: ", ", LayerType: ", "Inputs: [", "], Outputs: [",
    "{ Name: ", ", Dimensions: [", ", Format/Datatype: ", " }", "}]"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_layer_line_readers_never_crash(text: str) -> None:
    rec = parse_engine_layer_line("Layer(X): " + text)
    assert rec is None or isinstance(rec["Inputs"], list)
    assert "Name" in parse_oneline_record("Name: " + text)
    assert "Name" in parse_oneline_record(text)


# ---- 8.2-era excerpts without header or prefix -----------------------------------------------------------

@pytest.mark.parametrize(("name", "e2e_mean", "gpu_median", "throughput"), [
    ("fx-qdq-int8.after-fix.summary.log", 6.43806, 3.24609, 305.313),
    ("fx-qdq-int8.before-fix.summary.log", 7.56827, 3.81421, 260.926),
])
def test_seed_summaries_without_prefix(name: str, e2e_mean: float, gpu_median: float, throughput: float) -> None:
    log = parse_trtexec_log(SEED / name)
    assert log.lines_without_prefix is True
    assert value(log, "End-to-End Host Latency", "mean") == e2e_mean
    assert value(log, "GPU Compute Time", "median") == gpu_median
    assert value(log, "Throughput", "value") == throughput
    assert log.status is None and log.trt_version is None


def test_seed_fx_profile_headerless() -> None:
    log = parse_trtexec_log(SEED / "fx-qdq-int8.profile.log")
    assert log.profile_layout == "headerless" and log.profile_iterations is None
    prof = log.profile
    assert len(prof) == 28
    row = prof[prof["name"] == "add_30 + relu_100"].iloc[0]
    assert (row["time_ms"], row["avg_ms"], row["percentage"]) == (8.84, 0.0136, 0.4)
    assert math.isnan(row["median_ms"]) and prof["median_ms"].isna().all()
    assert prof.iloc[0]["name"] == "add_29 + relu_97"
    assert "(Unnamed Layer* 779) [Quantize]_output_.dequant" in set(prof["name"])
    assert log.profile_total == {"time_ms": 2464.87, "avg_ms": 3.8038, "median_ms": pytest.approx(math.nan, nan_ok=True),
                                 "percentage": 100.0}
    assert any("excerpt" in n for n in log.notes)  # 28 rows are a slice of the table


def test_seed_implicit_profile_headerless() -> None:
    prof = parse_trtexec_log(SEED / "implicit-int8.profile.log").profile
    assert len(prof) == 18
    fused = prof[prof["name"] == "Conv_129 + Relu_130 || Conv_132 + Relu_133 || Conv_135 + Relu_136"]
    assert fused[["time_ms", "avg_ms", "percentage"]].values.tolist() == [[197.13, 0.2632, 8.4]]


# ---- every log in the fixtures ---------------------------------------------------------------------------

_GPU_LINE = re.compile(r"GPU Compute Time: min = (\S+) ms, max = (\S+) ms, mean = (\S+) ms, median = (\S+) ms")


@pytest.mark.parametrize("path", ALL_LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_log(path: Path) -> None:
    if path in JSON_LOGS:
        with pytest.raises(TrtInspectError, match=r"layer-information JSON.*--exportLayerInfo"):
            parse_trtexec_log(path)
        assert not looks_like_trtexec_log(path.read_text(errors="replace"))
        return
    text = path.read_text(errors="replace")
    assert looks_like_trtexec_log(text[:65536])
    log = parse_trtexec_log(path)
    for name, frame in (("summary", log.summary), ("profile", log.profile), ("warnings", log.warnings)):
        spec = getattr(schema, name.upper())
        assert list(frame.columns) == list(spec), name
        pd.testing.assert_frame_equal(frame, schema.conform(frame, spec))
    # an independent reading of the GPU Compute Time line gives the same numbers
    lines = _GPU_LINE.findall(text)
    if lines:
        mn, mx, mean, median = (float(x) for x in lines[-1])
        assert (value(log, "GPU Compute Time", "min"), value(log, "GPU Compute Time", "max")) == (mn, mx)
        assert (value(log, "GPU Compute Time", "mean"), value(log, "GPU Compute Time", "median")) == (mean, median)
    assert not log.summary.empty or not log.profile.empty or log.layer_records


def test_prefix_free_and_crlf_copies_parse_the_same() -> None:
    text = (H100 / "result-05.log").read_text()
    bare = "\n".join(re.sub(r"^\[[^\]]+\] \[[VIWEF]\] ?(\[TRT\] )?", "", ln) for ln in text.split("\n"))
    plain, stripped, crlf = (parse_trtexec_text(t) for t in (text, bare, text.replace("\n", "\r\n")))
    assert stripped.lines_without_prefix and not plain.lines_without_prefix
    for other in (stripped, crlf):
        pd.testing.assert_frame_equal(other.profile, plain.profile)
        assert other.profile_total == plain.profile_total and other.profile_iterations == 18362
        assert other.device == plain.device and other.status == "PASSED"


# ---- transcribed public snippets of formats the fixtures lack --------------------------------------------

# Transcribed from https://github.com/NVIDIA/TensorRT/issues/2054 (TensorRT 7.x trtexec output).
TRT7_SUMMARY = """\
[06/12/2022-22:34:00] [I] Average on 10 runs - GPU latency: 1.55903 ms - Host latency: 1.65396 ms (end to end 3.01013 ms, enqueue 0.93772 ms)
[06/12/2022-22:34:00] [I] Host Latency
[06/12/2022-22:34:00] [I] min: 1.64058 ms (end to end 1.66368 ms)
[06/12/2022-22:34:00] [I] max: 6.2915 ms (end to end 7.65552 ms)
[06/12/2022-22:34:00] [I] mean: 1.66069 ms (end to end 3.00909 ms)
[06/12/2022-22:34:00] [I] median: 1.65601 ms (end to end 3.01636 ms)
[06/12/2022-22:34:00] [I] percentile: 1.67065 ms at 99% (end to end 3.03931 ms at 99%)
[06/12/2022-22:34:00] [I] throughput: 0 qps
[06/12/2022-22:34:00] [I] walltime: 3.00461 s
"""
# The 7.x "GPU Compute" block layout, transcribed from the TensorRT 7.0 samples/common/sampleReporting.cpp
# (printEpilog) as mirrored at https://github.com/Eralien/TensorRT_Samples; the numbers are SYNTHETIC.
TRT7_GPU_BLOCK_SYNTHETIC = """\
[01/01/2020-00:00:00] [I] GPU Compute
[01/01/2020-00:00:00] [I] min: 1.5 ms
[01/01/2020-00:00:00] [I] max: 6.2 ms
[01/01/2020-00:00:00] [I] mean: 1.56 ms
[01/01/2020-00:00:00] [I] median: 1.55 ms
[01/01/2020-00:00:00] [I] percentile: 1.6 ms at 99%
[01/01/2020-00:00:00] [I] total compute time: 2.9 s
"""


def test_transcribed_trt7_summary() -> None:
    log = parse_trtexec_text(TRT7_SUMMARY + TRT7_GPU_BLOCK_SYNTHETIC)
    assert value(log, "Latency", "mean") == 1.66069
    assert value(log, "End-to-End Host Latency", "p99") == 3.03931
    assert value(log, "End-to-End Host Latency", "max") == 7.65552
    assert value(log, "Throughput", "value") == 0.0
    assert value(log, "Total Host Walltime", "value") == 3.00461
    assert value(log, "GPU Compute Time", "median") == 1.55
    assert value(log, "GPU Compute Time", "p99") == 1.6
    assert value(log, "Total GPU Compute Time", "value") == 2.9
    assert looks_like_trtexec_log(TRT7_SUMMARY)


# Transcribed from https://github.com/WongKinYiu/yolov7/pull/329 (TensorRT 8.x, one percentile, CV warning).
TRT8_SUMMARY = """\
[07/28/2022-16:00:55] [I] === Performance summary ===
[07/28/2022-16:00:55] [I] Throughput: 716.632 qps
[07/28/2022-16:00:55] [I] Latency: min = 1.3476 ms, max = 1.5657 ms, mean = 1.38629 ms, median = 1.38037 ms, percentile(99%) = 1.55853 ms
[07/28/2022-16:00:55] [I] Enqueue Time: min = 0.0109863 ms, max = 0.0975342 ms, mean = 0.022185 ms, median = 0.0200195 ms, percentile(99%) = 0.071167 ms
[07/28/2022-16:00:55] [I] H2D Latency: min = 0 ms, max = 0 ms, mean = 0 ms, median = 0 ms, percentile(99%) = 0 ms
[07/28/2022-16:00:55] [I] GPU Compute Time: min = 1.3476 ms, max = 1.5657 ms, mean = 1.38629 ms, median = 1.38037 ms, percentile(99%) = 1.55853 ms
[07/28/2022-16:00:55] [I] D2H Latency: min = 0 ms, max = 0 ms, mean = 0 ms, median = 0 ms, percentile(99%) = 0 ms
[07/28/2022-16:00:55] [I] Total Host Walltime: 3.00294 s
[07/28/2022-16:00:55] [I] Total GPU Compute Time: 2.9833 s
[07/28/2022-16:00:55] [W] * GPU compute time is unstable, with coefficient of variance = 2.10486%.
[07/28/2022-16:00:55] [W]   If not already in use, locking GPU clock frequency or adding --useSpinWait may improve the stability.
[07/28/2022-16:00:55] [I] Explanations of the performance metrics are printed in the verbose logs.
"""
# Transcribed from https://github.com/NVIDIA/TensorRT/issues/3143 (pre-8.6 --dumpProfile header, no median).
PRE86_PROFILE = """\
[07/06/2023-17:19:08] [I]                               Layer   Time (ms)   Avg. Time (ms)   Time %
[07/06/2023-17:19:08] [I]                       images to nvm       33.99           0.0852      1.1
[07/06/2023-17:19:08] [I]  {ForeignNode[Conv_0...Concat_198]}        3.38           0.0085      0.1
[07/06/2023-17:19:08] [I]                     head_3 from nvm     3069.55           7.6931     98.4
[07/06/2023-17:19:08] [I]                  images copy finish        0.67           0.0017      0.0
"""
# Transcribed from https://github.com/NVIDIA/TensorRT/issues/3842 (8.6+ layout).
NEW_PROFILE = """\
[05/08/2024-14:05:14] [I] === Profile (2094 iterations ) ===
[05/08/2024-14:05:14] [I]    Time(ms)     Avg.(ms)   Median(ms)   Time(%)   Layer
[05/08/2024-14:05:14] [I]       16.15       0.0077       0.0075       0.5   Reformatting CopyNode for Input Tensor 0 to node_of_gpu_0/conv1_1 + node_of_gpu_0/res_conv1_bn_1 + node_of_gpu_0/res_conv1_bn_2
[05/08/2024-14:05:14] [I]       47.82       0.0228       0.0225       1.6   node_of_gpu_0/conv1_1 + node_of_gpu_0/res_conv1_bn_1 + node_of_gpu_0/res_conv1_bn_2
[05/08/2024-14:05:14] [I]       14.02       0.0067       0.0069       0.5   node_of_gpu_0/pool1_1
"""


def test_transcribed_trt8_single_percentile_summary() -> None:
    log = parse_trtexec_text(TRT8_SUMMARY)
    assert value(log, "Latency", "p99") == 1.55853 and value(log, "Enqueue Time", "median") == 0.0200195
    assert value(log, "GPU Compute Time CV", "value") == 2.10486
    assert list(log.warnings["kind"]) == ["unstable_compute"]


def test_transcribed_pre86_profile_header() -> None:
    log = parse_trtexec_text(PRE86_PROFILE)
    assert log.profile_layout == "pre-8.6"
    assert list(log.profile["name"]) == ["images to nvm", "{ForeignNode[Conv_0...Concat_198]}", "head_3 from nvm",
                                         "images copy finish"]
    assert log.profile.loc[2, ["time_ms", "avg_ms", "percentage"]].tolist() == [3069.55, 7.6931, 98.4]
    assert log.profile["median_ms"].isna().all()


def test_transcribed_new_profile_layout() -> None:
    log = parse_trtexec_text(NEW_PROFILE)
    assert log.profile_iterations == 2094 and log.profile_layout == "8.6+"
    assert len(log.profile) == 3 and log.profile.loc[1, "median_ms"] == 0.0225
    assert log.profile.loc[0, "name"].startswith("Reformatting CopyNode for Input Tensor 0 to node_of_gpu_0/conv1_1")


def test_pre86_profile_with_median_and_version_tokens() -> None:
    # 8.4/8.5 header with the median column (layout from sampleReporting.cpp of that era); numbers SYNTHETIC.
    text = ("&&&& RUNNING TensorRT.trtexec [TensorRT v8502] # trtexec --loadEngine=a.plan --dumpProfile\n"
            "[01/01/2023-00:00:00] [I] === Profile (100 iterations ) ===\n"
            "[01/01/2023-00:00:00] [I]        Layer   Time (ms)   Avg. Time (ms)   Median Time (ms)   Time %\n"
            "[01/01/2023-00:00:00] [I]   conv 1 + relu       10.00           0.1000             0.0990     50.0\n"
            "[01/01/2023-00:00:00] [I]          fc 7       10.00           0.1000             0.0980     50.0\n"
            "[01/01/2023-00:00:00] [I]          Total       20.00           0.2000             0.1970    100.0\n"
            "&&&& PASSED TensorRT.trtexec [TensorRT v8502] # trtexec --loadEngine=a.plan --dumpProfile\n")
    log = parse_trtexec_text(text)
    assert log.trt_version == "8.5.2" and log.status == "PASSED"
    assert list(log.profile["name"]) == ["conv 1 + relu", "fc 7"]  # names ending in a number survive
    assert list(log.profile["median_ms"]) == [0.099, 0.098]
    assert log.profile_total is not None and log.profile_total["median_ms"] == 0.197


@pytest.mark.parametrize(("token", "version"), [
    ("v8401", "8.4.1"), ("v8601", "8.6.1"), ("v8205", "8.2.5"), ("v100200", "10.2.0"), ("v101601", "10.16.1"),
    ("vABC", None), ("v12", None),
])
def test_decode_version_token(token: str, version: str | None) -> None:
    assert decode_version_token(token) == version


def test_trt7_status_line_without_token_and_failed_run() -> None:
    text = ("&&&& RUNNING TensorRT.trtexec # ./trtexec --onnx=model.onnx\n"
            "[05/10/2021-12:24:30] [E] [TRT] Network has dynamic or shape inputs, but no optimization profile\n"
            "&&&& FAILED TensorRT.trtexec # ./trtexec --onnx=model.onnx\n")
    log = parse_trtexec_text(text)
    assert (log.status, log.version_token, log.trt_version) == ("FAILED", None, None)
    assert log.command == "./trtexec --onnx=model.onnx"
    assert log.warnings.loc[0, "severity"] == "E"


def test_warning_kinds_and_subjects() -> None:
    text = (
        "&&&& RUNNING TensorRT.trtexec [TensorRT v8401] # trtexec --onnx=m.onnx --int8\n"
        "[01/01/2023-00:00:00] [W] [TRT] Missing scale and zero-point for tensor input_1, expect fall back to "
        "non-int8 implementation for any layer consuming or producing given tensor\n"
        "[01/01/2023-00:00:00] [W] [TRT] No implementation of layer Mul__9 obeys the requested constraints in "
        "strict mode. No conforming implementation was found i.e. requested layer computation precision and "
        "output precision types are ignored, using the fastest implementation.\n"
        "[01/01/2023-00:00:00] [W] [TRT] [MS] Multi stream is disabled because the stream assignment failed.\n"
        "[01/01/2023-00:00:00] [W] --workspace flag has been deprecated by --memPoolSize flag.\n"
    )
    w = parse_trtexec_text(text).warnings
    assert list(w["kind"]) == ["missing_int8_scales", "no_conforming_impl", "aux_streams", "other"]
    assert list(w["layer"].fillna("-")) == ["input_1", "Mul__9", "-", "-"]
    assert list(w["line_no"]) == [2, 3, 4, 5]


def test_repeated_option_keys_are_joined() -> None:
    # TRT 10.2 prints one "Input inference shape" line per input (https://github.com/NVIDIA/TensorRT/issues/4036)
    text = ("[07/30/2024-15:30:36] [I] === Inference Options ===\n"
            "[07/30/2024-15:30:36] [I] Input inference shape : ref_y=1x128x100x160\n"
            "[07/30/2024-15:30:36] [I] Input inference shape : c1=1x48x1600x2560\n"
            "[07/30/2024-15:30:36] [I] Iterations: 10\n")
    opts = parse_trtexec_text(text).inference_options
    assert opts == {"Input inference shape": "ref_y=1x128x100x160; c1=1x48x1600x2560", "Iterations": "10"}


# ---- bad input -------------------------------------------------------------------------------------------

def test_empty_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("  \n")
    with pytest.raises(TrtInspectError, match="empty"):
        parse_trtexec_log(empty)
    binary = tmp_path / "model.log"
    binary.write_bytes(b"\x00\x01\x02ENGINE" * 100)
    with pytest.raises(TrtInspectError, match="binary"):
        parse_trtexec_log(binary)
    with pytest.raises(TrtInspectError, match="no such file"):
        parse_trtexec_log(tmp_path / "missing.log")


def test_truncated_logs(tmp_path: Path) -> None:
    text = (H100 / "result-01.log").read_text()
    cut = tmp_path / "cut.log"
    cut.write_text(text[:9])  # "&&&& RUNN": nothing left to read
    with pytest.raises(TrtInspectError, match="not a trtexec log"):
        parse_trtexec_log(cut)
    # cut in the middle of the GPU Compute Time line: what came before is kept, the partial line is not
    stop = text.index("GPU Compute Time: min") + 60
    cut.write_text(text[:stop])
    log = parse_trtexec_log(cut)
    assert log.status is None
    assert value(log, "H2D Latency", "mean") == 0.00395853
    assert log.summary_value("GPU Compute Time", "min") is None
    assert any("cut off mid-line" in n for n in log.notes) and any("PASSED/FAILED" in n for n in log.notes)


@pytest.mark.parametrize(("content", "expected"), [
    ('[{"count": 10}, {"name": "a", "timeMs": 1, "averageMs": 0.1, "percentage": 100}]', "--exportProfile"),
    ('[{"startEnqMs": 0.1, "endEnqMs": 0.2, "computeMs": 1.0}]', "--exportTimes"),
    ('{"Layers": ["a"], "Bindings": ["x"]}', "--exportLayerInfo"),
    ('{"something": 1}', "holds JSON"),
    ("name,time,avg\na,1,2\nb,3,4\n", "CSV"),
    ("Lorem ipsum dolor sit amet.\nConsectetur adipiscing elit.\n", "no '&&&& RUNNING"),
])
def test_not_a_trtexec_log(tmp_path: Path, content: str, expected: str) -> None:
    f = tmp_path / "thing.log"
    f.write_text(content)
    with pytest.raises(TrtInspectError, match=re.escape(expected)) as err:
        parse_trtexec_log(f)
    assert str(f) in str(err.value) and "\n" not in str(err.value)
    assert not looks_like_trtexec_log(content)


def test_shell_script_is_not_a_log() -> None:
    with pytest.raises(TrtInspectError, match="not a trtexec log"):
        parse_trtexec_log(H100 / "main.sh")
    assert not looks_like_trtexec_log((H100 / "main.sh").read_text())


# ---- property test: mangled real logs --------------------------------------------------------------------

_SOURCES = [H100 / "result-05.log", H100 / "result-04.log", T84 / "result-FP16.log", SEED / "fx-qdq-int8.profile.log",
            SEED / "fx-qdq-int8.after-fix.summary.log"]
_SOURCE_LINES = [p.read_text().split("\n")[:400] for p in _SOURCES]


@st.composite
def mangled(draw: st.DrawFn) -> str:
    lines = list(draw(st.sampled_from(_SOURCE_LINES)))
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["drop", "dup", "cut", "garbage", "swap"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "cut":
            lines[i] = lines[i][: draw(st.integers(0, max(len(lines[i]), 1)))]
        elif op == "garbage":
            junk = draw(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    text = "\n".join(lines)
    return text[: draw(st.integers(0, len(text)))] if draw(st.booleans()) else text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_logs_never_crash(text: str) -> None:
    try:
        log = parse_trtexec_text(text, path="mangled.log")
    except TrtInspectError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(log, TrtexecLog)
    assert list(log.summary.columns) == list(schema.SUMMARY)
    assert list(log.profile.columns) == list(schema.PROFILE)
    looks_like_trtexec_log(text)


# ---- how logs get saved: colour codes, byte-order marks, UTF-16, concatenated runs ----------------------

EXTERNAL_QUOTED = Path(__file__).parent / "data" / "external" / "quoted"


def _same_content(other: TrtexecLog, plain: TrtexecLog) -> None:
    pd.testing.assert_frame_equal(other.summary, plain.summary)
    pd.testing.assert_frame_equal(other.profile, plain.profile)
    pd.testing.assert_frame_equal(other.warnings, plain.warnings)
    assert other.build_options == plain.build_options and other.device == plain.device
    assert other.trt_version == plain.trt_version and other.status == plain.status


@pytest.mark.parametrize("path", [H100 / "result-01.log", H100 / "result-05.log",
                                  SEED / "implicit-int8.profile.log"], ids=lambda p: p.name)
def test_ansi_colour_codes_are_ignored(path: Path, tmp_path: Path) -> None:
    """A log captured through a colouring logger/terminal (ESC[..m around the prefix) reads the same."""
    text = path.read_text()
    coloured = re.sub(r"(?m)^(\[[^\]]*\] \[[VIWE]\])", lambda m: "\x1b[32m" + m.group(1) + "\x1b[0m", text)
    assert coloured != text
    out = tmp_path / path.name
    out.write_text(coloured)
    plain = parse_trtexec_log(path)
    assert not plain.summary.empty or not plain.profile.empty
    _same_content(parse_trtexec_log(out), plain)
    _same_content(parse_trtexec_text(coloured), plain)
    assert looks_like_trtexec_log(coloured)


@pytest.mark.parametrize("path", [EXTERNAL_QUOTED / "trt10.2-windows-header.issue4036.log",
                                  EXTERNAL_QUOTED / "xavier-agx-dla-trt7.1.3.hax-conn.log"], ids=lambda p: p.name)
def test_utf8_bom_keeps_the_first_line(path: Path, tmp_path: Path) -> None:
    plain = parse_trtexec_log(path)
    assert plain.trt_version or not plain.summary.empty  # the first line carries the version / a summary line
    out = tmp_path / path.name
    out.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    _same_content(parse_trtexec_log(out), plain)
    _same_content(parse_trtexec_text("\ufeff" + path.read_text()), plain)


def test_utf16_log_from_windows_powershell(tmp_path: Path) -> None:
    """PowerShell 5.1 `trtexec ... > run.log` writes UTF-16LE with a BOM and CRLF line endings."""
    path = H100 / "result-05.log"
    out = tmp_path / "run.log"
    out.write_bytes(path.read_text().replace("\n", "\r\n").encode("utf-16"))
    assert detect_kind(out) == "trtexec_log"
    log = parse_trtexec_log(out)
    _same_content(log, parse_trtexec_log(path))
    assert len(log.profile) == 15


def test_concatenated_runs_are_noted() -> None:
    first, second = H100 / "result-01.log", H100 / "result-05.log"
    log = parse_trtexec_text(first.read_text() + second.read_text())
    # the summary comes from the first run, the profile from the second: the log must say runs were mixed
    assert not log.summary.empty and not log.profile.empty
    assert any("2 trtexec runs" in n for n in log.notes), log.notes
    assert not any("2 trtexec runs" in n for n in parse_trtexec_log(first).notes)

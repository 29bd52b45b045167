"""The parsers on real trtexec/TREx output from GPUs and TensorRT versions that are not in the seed fixtures.

Every file under ``tests/data/external/`` is real tool output (see ``tests/data/external/PROVENANCE.md``):
whole files copied byte for byte, byte-exact slices of files too large to ship, or short excerpts quoted in
public issue threads / READMEs. Expectations are computed from the raw files or stated from reading them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import DATA

import trtinspect
from trtinspect.parsers import trtexec_log
from trtinspect.parsers.layers import layer_type_from_name, parse_layer_info, source_nodes_from_name
from trtinspect.parsers.metadata import parse_build_metadata, parse_profile_metadata
from trtinspect.parsers.profile import parse_profile

EXT = DATA / "external"
RTX = EXT / "trex-rtx3090-resnet50"
GTX = EXT / "trt8.2-gtx1070"
QUOTED = EXT / "quoted"

_TYPE_BYTES = {"Int8": 1, "Half": 2, "Float": 4}


def _stat(summary, metric: str, stat: str) -> float:  # type: ignore[no-untyped-def]
    rows = summary[(summary["metric"] == metric) & (summary["stat"] == stat)]
    assert len(rows) == 1, (metric, stat, summary)
    return float(rows["value"].iloc[0])


def _log(name: str) -> trtexec_log.TrtexecLog:
    return trtexec_log.parse_trtexec_log(QUOTED / name)


# ---- TREx example bundle: TensorFlow ResNet-50 on an RTX 3090 (sm_86), TensorRT 8.2/8.4 era -------------

def test_rtx3090_qat_layer_json_matches_raw_file() -> None:
    path = RTX / "qat" / "resnet-qat.onnx.engine.graph.json"
    raw = json.loads(path.read_text())
    meta, frame = parse_layer_info(path)
    assert meta.detailed and meta.n_layers == len(raw["Layers"]) == 63
    assert meta.bindings == ["input_1", "quant_predictions"]
    assert list(frame["name"]) == [r["Name"] for r in raw["Layers"]]
    assert list(frame["layer_type"]) == [r["LayerType"] for r in raw["Layers"]]
    # Precision from the "Format/Datatype" strings: 58 layers compute in INT8, 5 in FP32
    # (input Slice, the QDQ Reformat FP32->INT8, the output Reformat, NoOp, SoftMax).
    assert frame["precision"].value_counts().to_dict() == {"INT8": 58, "FP32": 5}
    assert (frame["layer_type"] == "CaskConvolution").sum() == 54
    # The quantize layer is a Reformat with Origin QDQ: FP32 row-major in, INT8 NC/4HW4 out.
    q = frame[frame["name"] == "QuantLinearNode__838"].iloc[0]
    assert (q["origin"], q["is_reformat"]) == ("QDQ", True)
    assert (q["output_precision"], q["output_format"]) == ("INT8", "NC/4HW4")
    # The classifier conv reads INT8 and writes FP32 ("Thirty-two wide channel vectorized row major FP32 format").
    fc = frame.iloc[-4]
    assert (fc["precision"], fc["output_precision"], fc["output_format"]) == ("INT8", "FP32", "NC/32HW32")
    # Weights bytes = Int8 weights + Float bias, summed from the raw records.
    blobs = [r[k] for r in raw["Layers"] for k in ("Weights", "Bias") if k in r]
    expected = sum(b["Count"] * _TYPE_BYTES[b["Type"]] for b in blobs)
    assert int(frame["weights_bytes"].sum()) == expected
    conv1 = frame.iloc[3]
    assert conv1["weights_bytes"] == 9408 + 64 * 4
    assert conv1["fusion"] == "vertical" and conv1["source_nodes"][-1] == "resnet50/quant_conv1_conv/BiasAdd"
    # Graph edges through tensor names: conv1 reads the Shuffle's output and feeds the Padding layer.
    assert list(conv1["producers"]) == [2] and list(conv1["consumers"]) == [4]


def test_rtx3090_fp32_profile_json() -> None:
    path = RTX / "fp32" / "resnet.onnx.engine.profile.json"
    raw = json.loads(path.read_text())
    meta, profile = parse_profile(path)
    assert meta.count == raw[0]["count"] == 1
    assert len(profile) == len(raw) - 1 == 103
    assert meta.has_median and not meta.recovered
    assert profile["time_ms"].sum() == pytest.approx(sum(r["timeMs"] for r in raw[1:]))
    assert profile["percentage"].sum() == pytest.approx(100.0, abs=1e-3)
    top = profile.loc[profile["avg_ms"].idxmax()]
    assert (top["name"], top["avg_ms"]) == ("Conv__435 + resnet50/conv1_relu/Relu", 0.433152)


def test_rtx3090_metadata_and_bundles() -> None:
    build = parse_build_metadata(RTX / "qat" / "resnet-qat.onnx.engine.build.metadata.json")
    assert build.build_options["Precision"] == "FP32+FP16+INT8"
    pm = parse_profile_metadata(RTX / "qat" / "resnet-qat.onnx.engine.profile.metadata.json")
    assert _stat(pm.summary, "GPU Compute Time", "mean") == 2.19446
    assert _stat(pm.summary, "Throughput", "value") == 455.388
    assert pm.device_information["Selected Device"] == "NVIDIA GeForce RTX 3090"

    fp32 = trtinspect.load(RTX / "fp32")
    assert fp32.device["name"] == "NVIDIA GeForce RTX 3090" and fp32.device["compute_capability"] == "8.6"
    assert fp32.inference_options["Input inference shape"] == "input_1=32x224x224x3"
    assert _stat(fp32.summary, "GPU Compute Time", "median") == 12.1682
    assert len(fp32.layers) == len(fp32.profile) == 103      # names-only layers from the profile itself
    assert fp32.unmatched_profile == [] and fp32.unmatched_layers == []

    qat = trtinspect.load(RTX / "qat")
    assert len(qat.layers) == 63 and qat.detailed
    assert qat.build_options["Precision"] == "FP32+FP16+INT8"
    assert qat.device["sms"] == 82


# ---- TensorRT 8.2.3 on a GeForce GTX 1070: byte-exact head and tail of a 285 kB verbose load+run log --------

def test_trt82_gtx1070_log_slices() -> None:
    head = trtexec_log.parse_trtexec_log(GTX / "result-load-FP32.head.txt")
    assert (head.trt_version, head.version_token) == ("8.2.3", "v8203")
    assert head.device["name"] == "NVIDIA GeForce GTX 1070" and head.device["sms"] == 16
    assert head.build_options["Load engine"] == "./model-FP32.plan"
    assert head.inference_options["Input inference shape"] == "x:0=4x1x28x28"
    assert head.status is None and any("PASSED/FAILED" in n for n in head.notes)   # the slice is cut

    tail = trtexec_log.parse_trtexec_log(GTX / "result-load-FP32.tail.txt")
    assert tail.status == "PASSED"
    s = tail.summary
    assert _stat(s, "Throughput", "value") == 6199.99
    assert _stat(s, "End-to-End Host Latency", "mean") == 0.284975     # 8.0-8.2 only line
    assert _stat(s, "GPU Compute Time", "p99") == 0.156616
    assert _stat(s, "Total GPU Compute Time", "value") == 2.8484

    bundle = trtinspect.load(GTX)                                        # both slices of one run, by content
    assert bundle.trt_version == "8.2.3" and bundle.device["name"] == "NVIDIA GeForce GTX 1070"
    assert _stat(bundle.summary, "Latency", "median") == 0.15918


# ---- Quoted tool output (issue threads, READMEs) ----------------------------------------------------------

def test_trt7_host_latency_block() -> None:
    """TensorRT 7.x: "Host Latency" header, then "mean: X ms (end to end Y ms)" lines."""
    log = _log("trt7-host-latency.issue2054.log")
    s = log.summary
    assert _stat(s, "Latency", "mean") == 1.66069
    assert _stat(s, "End-to-End Host Latency", "mean") == 3.00909
    assert _stat(s, "Latency", "p99") == 1.67065 and _stat(s, "End-to-End Host Latency", "p99") == 3.03931
    assert _stat(s, "Total Host Walltime", "value") == 3.00461

    orin = _log("xavier-agx-trt7-host-latency.hax-conn.log")
    assert _stat(orin.summary, "Throughput", "value") == 496.392
    assert _stat(orin.summary, "End-to-End Host Latency", "max") == 2.21094


def test_trt7_dla_profile_table_xavier() -> None:
    """TensorRT 7.1.3 on Xavier AGX with DLA: old 4-column table, "[I]" prefix without a date, DLA subgraph
    named by listing its layers ``{a,b,c}``."""
    path = QUOTED / "xavier-agx-dla-trt7.1.3.hax-conn.log"
    log = trtexec_log.parse_trtexec_log(path)
    assert (log.profile_layout, log.profile_iterations) == ("pre-8.6", 1514)
    assert log.profile_total is not None and log.profile_total["time_ms"] == 5477.95
    assert len(log.profile) == 6 and log.profile["median_ms"].isna().all()
    assert log.profile["percentage"].sum() == pytest.approx(99.9)          # rounded shares, as printed
    assert _stat(log.summary, "GPU Compute Time", "mean") == 3.68068
    assert _stat(log.summary, "Total GPU Compute Time", "value") == 3.68068

    dla_name = log.profile["name"].iloc[1]
    listed = dla_name[1:-1].split(",")
    nodes, kind = source_nodes_from_name(dla_name)
    # Regression: the whole "{...}" used to come back as one source node.
    assert (nodes, kind) == (listed, "foreign") and len(nodes) == 140
    assert layer_type_from_name(dla_name) == "DLA"
    bundle = trtinspect.load(path)
    assert bundle.layers["layer_type"].iloc[1] == "DLA"
    assert bundle.layers["layer_type"].iloc[3] == "Reformat"              # "prob input reformatter 0"


def test_trt852_orin_profile_table_with_median() -> None:
    log = _log("orin-trt8.5.2.hax-conn.log")
    assert (log.profile_layout, log.profile_iterations) == ("pre-8.6", 4932)
    assert list(log.profile["median_ms"]) == [0.0379, 1.0321, 0.0162, 0.0170]
    assert log.profile["name"].iloc[1] == "{ForeignNode[conv1/7x7_s2...loss3/classifier]}"
    assert source_nodes_from_name(log.profile["name"].iloc[1]) == (["conv1/7x7_s2", "loss3/classifier"], "foreign")


def test_trt86_profile_table_new_layout() -> None:
    path = QUOTED / "trt8.6-profile-table.issue3842.log"
    log = trtexec_log.parse_trtexec_log(path)
    assert (log.profile_layout, log.profile_iterations) == ("8.6+", 2094)
    rows = [ln for ln in path.read_text().splitlines() if re.search(r"\]\s+\d", ln)]
    assert len(log.profile) == len(rows) == 6
    assert log.profile["time_ms"].tolist() == [16.15, 47.82, 14.02, 14.86, 39.67, 22.46]
    assert log.profile["name"].iloc[2] == "node_of_gpu_0/pool1_1"


@pytest.mark.parametrize(
    ("name", "version", "status", "gpu_mean", "e2e"),
    [
        ("xavier-agx-trt8.4.meta-tegra952.log", "8.4.0", "PASSED", 0.388221, False),
        ("xavier-nx.meta-tegra1124.log", None, None, 0.564682, True),
        ("trt10-multipercentile.issue4177.log", None, None, 7.58404, False),
    ],
)
def test_performance_summaries(name: str, version: str | None, status: str | None, gpu_mean: float, e2e: bool) -> None:
    log = _log(name)
    assert (log.trt_version, log.status) == (version, status)
    assert _stat(log.summary, "GPU Compute Time", "mean") == gpu_mean
    assert ("End-to-End Host Latency" in set(log.summary["metric"])) is e2e


def test_trt10_multi_percentile_summary() -> None:
    s = _log("trt10-multipercentile.issue4177.log").summary
    assert {"p90", "p95", "p99"} <= set(s[s["metric"] == "Latency"]["stat"])
    assert (_stat(s, "Latency", "p90"), _stat(s, "Latency", "p95")) == (10.2996, 10.8698)
    assert _stat(s, "D2H Latency", "p99") == 0.0994873


def test_trt863_device_block_with_application_clocks() -> None:
    log = _log("rtx2080-trt8.6.3-device.issue3747.log")
    assert log.trt_version == "8.6.3"
    assert log.device["name"] == "NVIDIA GeForce RTX 2080"
    assert (log.device["compute_capability"], log.device["sms"]) == ("7.5", 46)
    assert log.device["compute_clock_ghz"] == 1.71 and log.device["memory_clock_ghz"] == 7.0


def test_trt10_windows_header() -> None:
    log = _log("trt10.2-windows-header.issue4036.log")
    assert (log.trt_version, log.version_token) == ("10.2.0", "v100200")
    assert log.command is not None and "trtexec.exe" in log.command
    shapes = log.inference_options["Input inference shape"]
    assert shapes.split("; ") == ["ref_y=1x128x100x160", "c1=1x48x1600x2560", "c2=1x64x800x1280", "c3=1x96x400x640"]


def test_every_external_file_reports(tmp_path: Path) -> None:
    """`trtinspect report` gives exit 0 on every external artifact (no crash on any era's output)."""
    from click.testing import CliRunner

    from trtinspect.cli import cli

    targets = [RTX / "fp32", RTX / "qat", GTX, *sorted(QUOTED.glob("*.log"))]
    runner = CliRunner()
    for target in targets:
        result = runner.invoke(cli, ["report", str(target), "--format", "json"])
        assert result.exit_code == 0, (target, result.output)
        assert json.loads(result.output)

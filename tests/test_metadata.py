"""parsers.metadata against the real TREx process_engine.py metadata files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import RESNET_VARIANTS, resnet_file

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.metadata import (
    parse_build_metadata,
    parse_device_metadata,
    parse_profile_metadata,
    summary_from_performance,
)


def _value(frame: pd.DataFrame, metric: str, stat: str) -> float:
    rows = frame[(frame["metric"] == metric) & (frame["stat"] == stat)]
    assert len(rows) == 1, (metric, stat)
    return float(rows["value"].iloc[0])


@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_build_metadata(variant: str) -> None:
    path = resnet_file(variant, "build.metadata.json")
    raw = json.loads(path.read_text())
    meta = parse_build_metadata(path)
    assert meta.model_options == raw["model_options"]
    assert meta.build_options == raw["build_options"]
    assert meta.build_options["Precision"].startswith("FP32")


@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_profile_metadata_summary(variant: str) -> None:
    path = resnet_file(variant, "profile.metadata.json")
    raw = json.loads(path.read_text())
    perf = raw["performance_summary"]
    meta = parse_profile_metadata(path)
    frame = meta.summary
    assert frame.dtypes.astype(str).to_dict() == schema.SUMMARY
    # TREx keeps the log's order: min, max, mean, median, percentile(99%) (trtexec 8.4 default)
    for metric in ("Latency", "Enqueue Time", "H2D Latency", "GPU Compute Time", "D2H Latency"):
        for i, stat in enumerate(["min", "max", "mean", "median", "p99"]):
            assert _value(frame, metric, stat) == perf[metric][i]
    assert _value(frame, "Throughput", "value") == perf["Throughput"]
    assert _value(frame, "Total GPU Compute Time", "value") == perf["Total GPU Compute Time"]
    units = dict(zip(frame["metric"], frame["unit"], strict=False))
    assert units["Throughput"] == "qps" and units["GPU Compute Time"] == "ms"
    assert units["Total Host Walltime"] == "s"
    assert meta.inference_options == raw["inference_options"]
    assert meta.device_information["Selected Device"] == "NVIDIA A100 80GB PCIe"
    assert not meta.notes


def test_percentile_labels_follow_count() -> None:
    three = summary_from_performance({"Latency": [1, 5, 2, 2.5, 3, 4, 4.5]})
    assert three["stat"].tolist() == ["min", "max", "mean", "median", "p90", "p95", "p99"]
    notes: list[str] = []
    two = summary_from_performance({"Latency": [1, 5, 2, 2.5, 3, 4]}, notes=notes)
    assert two["stat"].tolist()[-2:] == ["pct1", "pct2"] and notes


@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_device_metadata(variant: str) -> None:
    path = resnet_file(variant, "metadata.json")
    raw = json.loads(path.read_text())
    meta = parse_device_metadata(path)
    assert meta.first["Name"] == raw[0]["Name"] == "NVIDIA A100 80GB PCIe"
    assert meta.first["ComputeCapability"] == [8, 0] and len(meta.devices) == len(raw)


def test_wrong_kind_metadata(tmp_path: Path) -> None:
    with pytest.raises(TrtInspectError, match="performance_summary"):
        parse_profile_metadata(resnet_file("qat", "build.metadata.json"))
    with pytest.raises(TrtInspectError, match="model_options"):
        parse_build_metadata(resnet_file("qat", "metadata.json"))
    with pytest.raises(TrtInspectError, match="device"):
        parse_device_metadata(resnet_file("qat", "profile.json"))
    empty = tmp_path / "e.json"
    empty.write_text("")
    with pytest.raises(TrtInspectError, match="empty"):
        parse_build_metadata(empty)

"""Metadata JSON files written by TREx's ``process_engine.py`` (TensorRT Engine Explorer).

* ``X.engine.build.metadata.json``: ``{"model_options": {...}, "build_options": {...}}`` (strings as the
  build log printed them; newer TREx also writes ``device_information``).
* ``X.engine.profile.metadata.json``: ``{"performance_summary": {...}, "inference_options": {...},
  "device_information": {...}}``. TREx's ``parse_trtexec_log.py`` turns each ``Metric: min = a ms, max = b ms,
  mean = c ms, median = d ms, percentile(P%) = e ms, ...`` log line into the bare list
  ``[a, b, c, d, e, ...]`` in the order the log printed it, so the stats are ``min, max, mean, median``
  followed by the percentiles trtexec was asked for. The list does not say which percentiles: one extra
  value is read as ``p99`` (trtexec 8.4's default ``--percentile=99``), three as ``p90, p95, p99``
  (8.5+ default ``--percentile=90,95,99``); any other
  count is labelled ``pct1, pct2, ...`` and a note says so. Scalars (Throughput, Total Host Walltime,
  Total GPU Compute Time) become ``stat="value"`` rows.
* ``X.engine.metadata.json``: a list with one dict of CUDA device properties per GPU (``Name``,
  ``ComputeCapability``, ``TotalMemory``, ``CLOCK_RATE``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import _io, schema

HINT = "pass the metadata JSON written by TREx process_engine.py"

# performance_summary key -> unit (anything else is kept in ``raw`` only).
METRIC_UNITS: dict[str, str] = {
    "Throughput": "qps",
    "Latency": "ms",
    "End-to-End Host Latency": "ms",
    "Enqueue Time": "ms",
    "H2D Latency": "ms",
    "GPU Compute Time": "ms",
    "D2H Latency": "ms",
    "Total Host Walltime": "s",
    "Total GPU Compute Time": "s",
}
STAT_ORDER = ["min", "max", "mean", "median"]
# number of percentile values after the median -> their labels (trtexec's defaults, see module doc)
PERCENTILE_LABELS: dict[int, list[str]] = {0: [], 1: ["p99"], 3: ["p90", "p95", "p99"]}


@dataclass
class BuildMetadata:
    path: Path | None
    model_options: dict[str, str] = field(default_factory=dict)
    build_options: dict[str, str] = field(default_factory=dict)
    device_information: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProfileMetadata:
    path: Path | None
    summary: pd.DataFrame = field(default_factory=lambda: schema.empty_frame(schema.SUMMARY))
    inference_options: dict[str, str] = field(default_factory=dict)
    device_information: dict[str, Any] = field(default_factory=dict)
    raw_summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Written by `trtinspect profile` (trtinspect.parsers.bundle_writer), absent in TREx files:
    tool: dict[str, Any] = field(default_factory=dict)       # "trtinspect": tool/TensorRT versions, settings
    gpu_state: dict[str, Any] = field(default_factory=dict)  # NVML snapshots and drift warnings


@dataclass
class DeviceMetadata:
    path: Path | None
    devices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first(self) -> dict[str, Any]:
        return self.devices[0] if self.devices else {}


def _str_dict(obj: Any) -> dict[str, str]:
    if not isinstance(obj, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in obj.items()}


def _load_dict(path: str | Path, what: str, required: tuple[str, ...]) -> dict[str, Any]:
    obj = _io.read_json(path, what=what, hint=HINT)
    if not isinstance(obj, dict) or not any(k in obj for k in required):
        raise TrtInspectError(f"not {what} (no {' / '.join(required)} key)", path=path, hint=HINT)
    for key in SECTIONS:
        if obj.get(key) is not None and not isinstance(obj[key], dict):
            raise TrtInspectError(f"'{key}' is a {type(obj[key]).__name__}, not an object", path=path,
                                  hint="the file is damaged or was edited; re-export it with TREx")
    return obj


# Sections of TREx metadata files that are JSON objects (checked before use).
SECTIONS = ("model_options", "build_options", "inference_options", "device_information", "trtinspect",
            "gpu_state")


def parse_build_metadata(path: str | Path) -> BuildMetadata:
    """``*.build.metadata.json`` -> model and build options (string values, as trtexec printed them)."""
    obj = _load_dict(path, "a TREx build metadata JSON", ("model_options", "build_options"))
    return BuildMetadata(
        path=Path(path),
        model_options=_str_dict(obj.get("model_options")),
        build_options=_str_dict(obj.get("build_options")),
        device_information=dict(obj.get("device_information") or {}),
    )


def parse_profile_metadata(path: str | Path) -> ProfileMetadata:
    """``*.profile.metadata.json`` -> performance summary (SUMMARY frame), inference options, device info."""
    obj = _load_dict(path, "a TREx profile metadata JSON", ("performance_summary",))
    perf = obj.get("performance_summary")
    if not isinstance(perf, dict):
        raise TrtInspectError("performance_summary is not an object", path=path, hint=HINT)
    notes: list[str] = []
    summary = summary_from_performance(perf, notes=notes)
    for metric, stat, value in summary[["metric", "stat", "value"]].itertuples(index=False):
        why = _io.bad_number(f"performance_summary {metric!r} {stat}", float(value))
        if why is not None:
            raise TrtInspectError(why, path=path, hint="the file is damaged or was edited; re-export it with TREx")
    return ProfileMetadata(
        path=Path(path),
        summary=summary,
        inference_options=_str_dict(obj.get("inference_options")),
        device_information=dict(obj.get("device_information") or {}),
        raw_summary=perf,
        notes=notes,
        tool=dict(obj.get("trtinspect") or {}) if isinstance(obj.get("trtinspect"), dict) else {},
        gpu_state=dict(obj.get("gpu_state") or {}) if isinstance(obj.get("gpu_state"), dict) else {},
    )


def parse_device_metadata(path: str | Path) -> DeviceMetadata:
    """``*.metadata.json`` -> one dict of CUDA device properties per GPU."""
    what = "a TREx device metadata JSON"
    obj = _io.read_json(path, what=what, hint=HINT)
    if isinstance(obj, dict):
        obj = [obj]
    if not isinstance(obj, list) or not obj or not all(isinstance(d, dict) and "Name" in d for d in obj):
        raise TrtInspectError(f"not {what} (expected a list of device property objects with 'Name')",
                              path=path, hint=HINT)
    return DeviceMetadata(path=Path(path), devices=[dict(d) for d in obj])


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.split()[0])
        except (ValueError, IndexError):
            return None
    return None


def summary_from_performance(perf: dict[str, Any], *, notes: list[str] | None = None) -> pd.DataFrame:
    """Turn a TREx ``performance_summary`` dict into SUMMARY rows (see module doc for the stat order)."""
    rows: list[dict[str, Any]] = []
    for metric, value in perf.items():
        unit = METRIC_UNITS.get(str(metric), "")
        if isinstance(value, list):
            values = [_as_float(v) for v in value]
            extra = max(len(values) - len(STAT_ORDER), 0)
            labels = STAT_ORDER[: len(values)] + PERCENTILE_LABELS.get(
                extra, [f"pct{i + 1}" for i in range(extra)])
            if extra not in PERCENTILE_LABELS and notes is not None:
                notes.append(f"{metric}: {extra} percentile values whose percentiles are not recorded; "
                             "labelled pct1..pctN")
            for stat, v in zip(labels, values, strict=False):
                if v is not None:
                    rows.append({"metric": str(metric), "stat": stat, "value": v, "unit": unit or "ms"})
        else:
            v = _as_float(value)
            if v is not None:
                rows.append({"metric": str(metric), "stat": "value", "value": v, "unit": unit})
    return schema.frame_from_records(rows, schema.SUMMARY)

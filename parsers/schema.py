"""Column schemas of every frame trtinspect produces, declared once.

Each schema is an ordered mapping ``column -> pandas dtype``. Parsers build their frames through
:func:`frame_from_records` / :func:`empty_frame`, so an empty result still carries its columns and dtypes.
The same tables are rendered into ``docs/schemas.md`` (a test checks the two agree).

Conventions: times are milliseconds (``*_ms``), sizes bytes; missing values are ``NA``/``NaN`` (never a
silent 0); list-valued columns have dtype ``object`` and hold Python lists/tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

Schema = dict[str, str]

# One row per engine layer (parsers.layers).
LAYERS: Schema = {
    "layer_index": "int64",         # position in the engine's execution order (0-based)
    "name": "string",               # layer name as TensorRT reports it, control characters kept
    "base_name": "string",          # name without a trailing " [profile N]" suffix
    "profile_index": "Int64",       # N of a " [profile N]" suffix, else NA
    "layer_type": "string",         # LayerType: CaskConvolution, Reformat, kgen, Myelin, ... ("" when names-only)
    "parameter_type": "string",     # ParameterType: Convolution, Pooling, Reformat, ...
    "tactic_name": "string",
    "tactic_value": "string",       # hex string as written, NA for Myelin/kgen records without one
    "inputs": "object",             # list[dict(name, shape, format, dtype, location)]
    "outputs": "object",            # list[dict(name, shape, format, dtype, location)]
    "input_names": "object",        # list[str]
    "output_names": "object",       # list[str]
    "precision": "string",          # compute precision: FP32, TF32?, FP16, BF16, INT8, FP8, INT4, INT32, INT64, BOOL, mixed
    "output_precision": "string",   # precision of the first output
    "input_format": "string",       # layout of the first input, e.g. "NCHW", "NC/32HW32", "NHWC8"
    "output_format": "string",
    "source_nodes": "object",       # list[str]: ONNX nodes this engine layer came from
    "source_from": "string",        # "metadata" | "name" | "none"
    "fusion": "string",             # "none" | "vertical" | "horizontal" | "pwn" | "foreign" | "mixed"
    "origin": "string",             # Origin field (e.g. "QDQ"), NA when absent
    "is_reformat": "bool",          # reformat / copy / reformatter layer
    "weights_bytes": "Int64",       # weights + bias bytes, NA when unknown
    "stream_id": "Int64",
    "producers": "object",          # list[int] of layer_index producing this layer's inputs
    "consumers": "object",          # list[int] of layer_index consuming this layer's outputs
    "attributes": "object",         # dict of every other raw key of the record (Kernel, OutMaps, Activation...)
}

# One row per profiled layer (parsers.profile, trtexec --exportProfile / --dumpProfile / nsys attribution).
PROFILE: Schema = {
    "name": "string",
    "time_ms": "float64",           # total time over all profiled iterations
    "avg_ms": "float64",            # average per iteration
    "median_ms": "float64",         # NaN where the source has no median (8.2 era)
    "percentage": "float64",        # share of the profile total, as the source reports it
    "row": "int64",                 # position in the source (profile order)
    "name_recovered": "bool",       # the raw name was damaged (unescaped by trtexec) and repaired
}

# One row per inference iteration (parsers.times, trtexec --exportTimes, nsys).
TIMES: Schema = {
    "iteration": "int64",
    "enqueue_start_ms": "float64",
    "enqueue_end_ms": "float64",
    "h2d_start_ms": "float64",
    "h2d_end_ms": "float64",
    "compute_start_ms": "float64",
    "compute_end_ms": "float64",
    "d2h_start_ms": "float64",
    "d2h_end_ms": "float64",
    "h2d_ms": "float64",
    "compute_ms": "float64",
    "d2h_ms": "float64",
    "latency_ms": "float64",        # h2d + compute + d2h as trtexec defines it
    "enqueue_ms": "float64",
    "end_to_end_ms": "float64",     # host end-to-end where the source has it (8.0-8.2 endToEndMs), else NaN
}

# One row per statistic of a trtexec performance summary (parsers.trtexec_log, metadata).
SUMMARY: Schema = {
    "metric": "string",             # "Latency", "GPU Compute Time", "H2D Latency", "Throughput", ...
    "stat": "string",               # "min", "max", "mean", "median", "p90", "p95", "p99", "value"
    "value": "float64",
    "unit": "string",               # "ms", "s", "qps", "%"
}

# One row per warning a log carries (parsers.trtexec_log).
WARNINGS: Schema = {
    "kind": "string",               # "unstable_compute", "aux_streams", "missing_int8_scales", "no_conforming_impl", "other"
    "severity": "string",           # "W" | "E" | "I"
    "line_no": "int64",
    "message": "string",
    "layer": "string",              # layer/tensor named in the warning, NA when none
}


def empty_frame(schema: Mapping[str, str]) -> pd.DataFrame:
    """An empty frame with the schema's columns and dtypes."""
    return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in schema.items()})


def frame_from_records(records: Iterable[Mapping[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    """Build a frame holding exactly the schema's columns (missing keys become NA) with its dtypes."""
    rows = list(records)
    if not rows:
        return empty_frame(schema)
    data = {col: [r.get(col) for r in rows] for col in schema}
    out = {}
    for col, dtype in schema.items():
        values = data[col]
        if dtype == "object":
            s = pd.Series(values, dtype="object")
        else:
            s = pd.Series(values).astype(dtype)
        out[col] = s
    return pd.DataFrame(out)


def conform(frame: pd.DataFrame, schema: Mapping[str, str]) -> pd.DataFrame:
    """Return ``frame`` restricted to and ordered by the schema's columns, cast to its dtypes."""
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise KeyError(f"frame lacks schema columns {missing}")
    return frame[list(schema)].astype(dict(schema))


ALL_SCHEMAS: dict[str, Schema] = {
    "layers": LAYERS,
    "profile": PROFILE,
    "times": TIMES,
    "summary": SUMMARY,
    "warnings": WARNINGS,
}

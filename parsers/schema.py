"""Column schemas of every frame trtinspect produces, declared once.

Each schema is an ordered mapping ``column -> pandas dtype``. Parsers build their frames through
:func:`frame_from_records` / :func:`empty_frame`, so an empty result still carries its columns and dtypes.
The same tables are rendered into ``docs/schemas.md`` (a test checks the two agree).

Conventions: times are milliseconds (``*_ms``), sizes bytes; missing values are ``NA``/``NaN`` (never a
silent 0); list-valued columns have dtype ``object`` and hold Python lists/tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import numpy as np
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
    out: dict[str, pd.Series] = {}
    for col, dtype in schema.items():
        values = data[col]
        if dtype == "object":
            out[col] = pd.Series(values, dtype="object")
        else:
            out[col] = pd.Series(values).astype(cast(Any, dtype))
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


# One row per fusion group of a CI check (inspector.check): baseline vs candidate, per-run means.
CHECK_GROUPS: Schema = {
    "group_id": "int64",
    "label": "string",              # readable name of the group (its layers, shortened)
    "kind": "string",               # alignment kind: unchanged, fused, split, ..., only_a, only_b
    "status": "string",             # regression | traded | improvement | ok | added | removed | unmeasured | ignored
    "base_ms": "float64",           # mean over baseline runs of the group's time per iteration (NaN: absent)
    "cand_ms": "float64",           # mean over candidate runs
    "delta_ms": "float64",          # cand_ms - base_ms (added/removed: +cand_ms / -base_ms)
    "delta_pct": "float64",         # 100 * delta / base_ms (inf when base_ms == 0 < delta)
    "base_share_pct": "float64",    # its share of the BASELINE's per-layer total time (0 when absent there)
    "cand_share_pct": "float64",    # its share of the CANDIDATE's per-layer total time (0 when absent there)
    "share_pct": "float64",         # max(base_share_pct, cand_share_pct): the min_share criterion's figure
    "spread_ms": "float64",         # pooled run-to-run standard deviation (NaN with < 2 runs a side)
    "floor_ms": "float64",          # absolute floor applied: max(min(floor_ms, floor_share x engine), 3 x spread if K >= 3)
    "threshold_pct": "float64",     # relative threshold applied (after overrides)
    # the size threshold: smallest slowdown the fixed size rule flags (ms); not a measured detection limit
    "size_threshold_ms": "float64",
    "size_threshold_pct": "float64",  # the same relative to base_ms (with K >= 3 it must also be significant)
    "p_value": "float64",           # one-sided p of the change in the flagged direction (NaN: not assessed)
    "q_value": "float64",           # Benjamini-Hochberg adjusted p across groups
    "significance": "string",       # significant | not significant | not assessed
    "reason": "string",             # why it is (not) flagged, one line
    "layers_a": "object",           # list[str] baseline layer names
    "layers_b": "object",           # list[str] candidate layer names
}

ALL_SCHEMAS["check_groups"] = CHECK_GROUPS


# ---- Nsight Systems exports (parsers.nsys.sqlite, parsers.nsys.attribution) ----------------------------
# Raw event frames keep nsys' own integer nanoseconds (``*_ns``, exact); per-layer and per-iteration results
# reuse PROFILE and TIMES (milliseconds). Repeated names are ``category`` so a 1,000,000-kernel export stays small.
# ``pid``/``tid`` are decoded from nsys' globalTid/globalPid: pid = (g >> 24) & 0xFFFFFF, tid = g & 0xFFFFFF.

# One row per CUDA kernel execution (CUPTI_ACTIVITY_KIND_KERNEL).
NSYS_KERNELS: Schema = {
    "start_ns": "int64",
    "end_ns": "int64",
    "duration_ns": "int64",
    "device_id": "Int64",
    "context_id": "Int64",
    "stream_id": "Int64",
    "correlation_id": "Int64",      # joins the launching runtime call (with global_pid)
    "global_pid": "Int64",          # nsys' serialized process id (VM id and pid)
    "pid": "Int64",
    "name": "category",             # demangled kernel name
    "short_name": "category",
    "graph_id": "Int64",            # set when the kernel ran inside a CUDA graph traced at node level
    "graph_node_id": "Int64",
}

# One row per memory copy or memset (CUPTI_ACTIVITY_KIND_MEMCPY / _MEMSET).
NSYS_MEMOPS: Schema = {
    "start_ns": "int64",
    "end_ns": "int64",
    "duration_ns": "int64",
    "device_id": "Int64",
    "context_id": "Int64",
    "stream_id": "Int64",
    "correlation_id": "Int64",
    "global_pid": "Int64",
    "pid": "Int64",
    "op": "category",               # "memcpy" | "memset"
    "copy_kind": "Int64",           # raw copyKind (NA for memsets)
    "direction": "category",        # label from the file's ENUM_CUDA_MEMCPY_OPER, e.g. "Host-to-Device"; "Memset"
    "transfer": "category",         # "H2D" | "D2H" | "D2D" | "H2H" | "P2P" | "memset" | "other"
    "bytes": "Int64",
    "graph_node_id": "Int64",
}

# One row per CUDA runtime/driver API call (CUPTI_ACTIVITY_KIND_RUNTIME).
NSYS_RUNTIME: Schema = {
    "start_ns": "int64",
    "end_ns": "int64",
    "duration_ns": "int64",
    "global_tid": "Int64",
    "global_pid": "Int64",
    "pid": "Int64",
    "tid": "Int64",
    "correlation_id": "Int64",
    "name": "category",             # e.g. "cudaLaunchKernel_v7000", "cudaGraphLaunch_v10000"
    "return_value": "Int64",
}

# One row per NVTX event (NVTX_EVENTS): ranges, marks, domain creations.
NSYS_NVTX: Schema = {
    "start_ns": "int64",
    "end_ns": "Int64",              # NA for marks and ranges still open when the capture ended
    "duration_ns": "Int64",
    "event_type": "int64",          # 59 push/pop, 60 start/end, 34 mark, 75 domain create, ...
    "kind": "category",             # "push_pop" | "start_end" | "mark" | "domain_create" | ... (declared map)
    "text": "category",             # inline text, else StringIds[textId]
    "domain_id": "Int64",
    "domain": "category",           # domain name from the domain-create events ("default" for domain 0)
    "global_tid": "Int64",
    "global_pid": "Int64",
    "pid": "Int64",
    "tid": "Int64",
}

# One row per GPU (TARGET_INFO_GPU, or TARGET_INFO_CUDA_GPU in 2021-era exports).
NSYS_GPUS: Schema = {
    "device_id": "Int64",
    "name": "string",
    "chip_name": "string",
    "uuid": "string",
    "bus_location": "string",
    "sm_count": "Int64",
    "compute_capability": "string",  # "8.6"
    "total_memory_bytes": "Int64",
    "clock_rate_hz": "Int64",
    "memory_bandwidth_bytes_s": "Int64",   # TARGET_INFO_GPU.memoryBandwidth: peak DRAM bandwidth, bytes/s
    "is_discrete": "boolean",              # TARGET_INFO_GPU.isDiscrete: False for an integrated GPU
}

# One row per GPU operation (kernel, graph, memcpy, memset) with its launch and NVTX context (nsys attribution).
NSYS_OPS: Schema = {
    "op": "category",               # "kernel" | "graph" (whole-graph execution) | "memcpy" | "memset"
    "transfer": "category",         # H2D/D2H/... for copies, "kernel" / "graph" otherwise
    "start_ns": "int64",
    "end_ns": "int64",
    "duration_ns": "int64",
    "device_id": "Int64",
    "stream_id": "Int64",
    "correlation_id": "Int64",
    "global_pid": "Int64",
    "pid": "Int64",
    "tid": "Int64",                 # launching thread, NA when the launching call is not in the export
    "name": "category",
    "api_name": "category",         # launching runtime call
    "api_start_ns": "Int64",
    "nvtx_range": "category",       # innermost push/pop range (any domain) open on the launching thread
    "nvtx_domain": "category",
    "layer": "category",            # innermost TensorRT-domain layer range, NA outside layers
    "iteration": "Int64",           # index of the enqueue range (or structural iteration) it belongs to
}

# One row per inference iteration: where GPU time went besides the operations themselves (nsys attribution).
NSYS_GAPS: Schema = {
    "iteration": "int64",
    "pid": "Int64",
    "span_ms": "float64",           # first op start to last op end of the iteration
    "busy_ms": "float64",           # union of op intervals
    "idle_ms": "float64",           # span_ms - busy_ms
    "h2d_to_compute_ms": "float64", # compute start - H2D end (NaN without copies)
    "compute_to_d2h_ms": "float64", # D2H start - compute end
    "to_next_ms": "float64",        # next iteration's first op start - this one's last op end
}

ALL_SCHEMAS["nsys_kernels"] = NSYS_KERNELS
ALL_SCHEMAS["nsys_memops"] = NSYS_MEMOPS
ALL_SCHEMAS["nsys_runtime"] = NSYS_RUNTIME
ALL_SCHEMAS["nsys_nvtx"] = NSYS_NVTX
ALL_SCHEMAS["nsys_gpus"] = NSYS_GPUS
ALL_SCHEMAS["nsys_ops"] = NSYS_OPS
ALL_SCHEMAS["nsys_gaps"] = NSYS_GAPS

# ---- nsys stats summaries (parsers.nsys.stats): the tables `nsys stats` prints, same rows and rounding -----
# One row per group of one report (cuda_gpu_kern_sum, cuda_gpu_mem_time_sum, cuda_api_sum, nvtx_sum, osrt_sum),
# ordered as nsys orders it (total time, highest first). Times are nsys' integer nanoseconds; avg/median/stddev
# and time_pct are rounded to 0.1 half away from zero, as nsys' report SQL rounds them.
NSYS_STAT_SUM: Schema = {
    "report": "string",             # nsys report name, e.g. "cuda_gpu_kern_sum"
    "name": "string",               # kernel / operation / API function / NVTX range ("domain:text") / OS function
    "style": "string",              # nvtx_sum only: "PushPop" | "StartEnd"
    "pid": "Int64",                 # NA unless summarised per process (summarise(by=...))
    "device_id": "Int64",           # NA unless summarised per device
    "stream_id": "Int64",           # NA unless summarised per stream
    "time_pct": "float64",          # Time (%): total_ns * 100 / sum of total_ns of the report
    "total_ns": "int64",            # Total Time: sum of durations
    "instances": "int64",           # Instances / Count / Num Calls
    "avg_ns": "float64",            # Avg = total / instances
    "median_ns": "float64",         # Med: middle value, mean of the two middle values for an even count
    "min_ns": "int64",
    "max_ns": "int64",
    "stddev_ns": "float64",         # StdDev: sample standard deviation (n - 1), 0 for one instance
}

# cuda_gpu_mem_size_sum: one row per memory operation kind, by bytes (nsys prints MB = bytes / 1e6, unrounded).
NSYS_STAT_SIZE: Schema = {
    "report": "string",             # "cuda_gpu_mem_size_sum"
    "name": "string",               # "[CUDA memcpy Host-to-Device]", "[CUDA memset]", ...
    "total_bytes": "int64",
    "count": "int64",
    "avg_bytes": "float64",
    "median_bytes": "float64",
    "min_bytes": "int64",
    "max_bytes": "int64",
    "stddev_bytes": "float64",      # sample standard deviation (n - 1), 0 for one operation
}

# GPU work per process, device and stream (SQL GROUP BY over kernels, memcpy, memset).
NSYS_STREAMS: Schema = {
    "pid": "Int64",
    "process": "string",            # PROCESSES.name
    "device_id": "Int64",
    "stream_id": "Int64",
    "kernels": "Int64",             # number of kernel executions
    "kernel_ns": "Int64",           # sum of kernel durations
    "memcpys": "Int64",
    "memcpy_ns": "Int64",
    "memcpy_bytes": "Int64",
    "memsets": "Int64",
    "memset_ns": "Int64",
    "memset_bytes": "Int64",
    "gpu_ns": "Int64",              # kernel_ns + memcpy_ns + memset_ns (overlaps counted twice)
}

# nvtx_gpu_proj_sum: one row per NVTX range name and style, the ranges projected onto the GPU work launched inside
# them (parsers.nsys.nvtx_proj). Ordered by total_proj_ns, highest first. Integer nanoseconds; averages rounded to 0.1.
NSYS_NVTX_PROJ_SUM: Schema = {
    "report": "string",             # "nvtx_gpu_proj_sum"
    "name": "string",               # Range: "domain:text" (":text" in the default domain)
    "style": "string",              # "PushPop" | "StartEnd"
    "total_proj_ns": "int64",       # Total Proj Time: sum over instances of (last GPU op end - first GPU op start)
    "total_range_ns": "int64",      # Total Range Time: sum of the original (CPU) range durations
    "instances": "int64",           # Range Instances: ranges of this name that launched GPU work
    "proj_avg_ns": "float64",       # Proj Avg: total_proj_ns / instances
    "proj_median_ns": "float64",    # Proj Med: middle projected duration, mean of the two middle ones for an even count
    "proj_min_ns": "int64",         # Proj Min
    "proj_max_ns": "int64",         # Proj Max
    "proj_stddev_ns": "float64",    # Proj StdDev: sample standard deviation (n - 1), 0 for one instance
    "total_gpu_ops": "int64",       # Total GPU Ops: launching API calls (distinct correlation ids) inside the instances
    "avg_gpu_ops": "float64",       # Avg GPU Ops: total_gpu_ops / instances
    "avg_range_level": "float64",   # Avg Range Lvl: mean nesting depth on its thread (0 = outermost), over all ranges
    "avg_children": "float64",      # Avg Num Child: mean number of projected ranges directly inside an instance
}

ALL_SCHEMAS["nsys_stat_sum"] = NSYS_STAT_SUM
ALL_SCHEMAS["nsys_stat_size"] = NSYS_STAT_SIZE
ALL_SCHEMAS["nsys_streams"] = NSYS_STREAMS
ALL_SCHEMAS["nsys_nvtx_proj_sum"] = NSYS_NVTX_PROJ_SUM

# One row per lint finding (inspector.lint). Sorted by severity, then cost_kind (estimated saving, layer time, not
# estimated), then cost_ms, highest first.
FINDINGS: Schema = {
    "finding_id": "string",         # stable id: rule_id + short hash of the layer names involved
    "rule_id": "string",            # id of the rule in trtinspect.inspector.rules.RULES
    "severity": "string",           # "info" | "warning" | "error"
    "title": "string",              # one line naming the problem and the layers
    "layer_indices": "object",      # list[int]: layer_index of every layer involved (may be empty: engine-wide)
    "layer_names": "object",        # list[str]: their names, same order
    "evidence": "object",           # dict: formats, precisions, tactic, source names, edges, thresholds...
    "cause": "string",              # likely cause, in words
    "cost_ms": "float64",           # ms per iteration a fix could save (see cost_kind); NaN = unknown / not estimated
    "cost_pct": "float64",          # cost_ms as % of the per-layer total (EngineBundle.layer_total, the one denominator)
    "cost_kind": "string",          # "estimated saving" | "layer time" (an upper bound) | "not estimated"
    "cost_method": "string",        # how cost_ms was computed, in words
    "cost_by_layer": "object",      # dict[int, float]: layer_index -> ms charged there (totals count a layer once)
    "confidence": "string",         # "proven" (graph edges / formats) | "inferred" (names and layer order only)
    "mitigation": "string",         # what to try
    "reference": "string",          # documentation URL
}

ALL_SCHEMAS["findings"] = FINDINGS


def frame_from_columns(columns: Mapping[str, list[Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    """Build a frame from column lists (equal lengths; missing columns become NA) with the schema's dtypes.

    The fast path for large frames (parsers.layers builds 50,000-row frames this way): no per-row dicts,
    and each column is converted once straight to its dtype.
    """
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns have different lengths: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    if n == 0:
        return empty_frame(schema)
    out: dict[str, pd.Series] = {}
    for col, dtype in schema.items():
        values = columns.get(col)
        if values is None:
            values = [None] * n
        out[col] = column_series(values, dtype)
    return pd.DataFrame(out, copy=False)


_INT_OR_NONE = frozenset({int, type(None)})


def _int64_data_and_mask(values: list[int | None]) -> tuple[np.ndarray, np.ndarray]:
    """Values (0 where None) and the None mask of a list of ints and Nones, whole-array steps only (a column
    of no value at all, e.g. ``stream_id``, costs nothing); OverflowError outside int64."""
    n = len(values)
    missing = values.count(None)
    if missing == n:
        return np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
    if missing == 0:
        return np.array(values, dtype=np.int64), np.zeros(n, dtype=bool)
    objects = np.array(values, dtype=object)
    mask = np.equal(objects, cast(Any, None))
    objects[mask] = 0
    return objects.astype(np.int64), mask


def column_series(values: list[Any], dtype: str) -> pd.Series:
    """``pd.Series(values, dtype=dtype)``, built without pandas' per-value inference where that is safe:
    ``object`` columns (lists, dicts) are laid into an object array as they are, and ``Int64`` columns of
    plain ints and None become data + mask arrays. Same values, dtype and index (tests/test_fast_paths.py)."""
    n = len(values)
    if dtype == "object":
        return pd.Series(np.fromiter(values, dtype=object, count=n), dtype=object, copy=False)
    if dtype == "Int64" and set(map(type, values)) <= _INT_OR_NONE:
        try:
            data, mask = _int64_data_and_mask(values)
        except OverflowError:  # outside int64: pandas says so
            return pd.Series(values, dtype=dtype)
        return pd.Series(pd.arrays.IntegerArray(data, mask), copy=False)
    return pd.Series(values, dtype=cast(Any, dtype))

# One row per fusion group of an alignment of two engines A and B (inspector.align). Layer lists hold
# layer_index values; every layer of A and of B is in exactly one group (copy reformats in the group they serve).
DIFF_GROUPS: Schema = {
    "group_id": "int64",            # 0.. in execution order of A (B-only groups after their B predecessor)
    "kind": "string",               # unchanged | precision_changed | format_changed | tactic_changed | fused | split | repartitioned | bucket | only_a | only_b
    "method": "string",             # how it was matched: input-conversion | source-node | name | structural | tensor-boundary | type-bucket | order-and-type | only (joined by "/")
    "changes": "object",            # list[str] of "precision", "format", "tactic" that differ between A and B
    "label": "string",              # readable name: module paths of the weights, else the layer name (shortened)
    "a_layers": "object",           # list[int] layer_index of A (core layers and attached copy reformats)
    "b_layers": "object",           # list[int] layer_index of B
    "n_a": "int64",                 # core (non copy-reformat) layers in A
    "n_b": "int64",
    "a_reformats": "int64",         # copy reformats attached in A
    "b_reformats": "int64",
    "a_types": "string",            # distinct layer types of the core layers, "/"-joined
    "b_types": "string",
    "a_ops": "string",              # distinct ONNX op kinds of the source nodes (Conv, Add, QuantizeLinear...)
    "b_ops": "string",
    "a_primary_ops": "object",      # list[str]: the op kind naming each core layer (Conv for Conv+Add+Relu), in order
    "b_primary_ops": "object",
    "a_precision": "string",        # distinct compute precisions of the core layers
    "b_precision": "string",
    "a_output_precision": "string",
    "b_output_precision": "string",
    "a_format": "string",           # "input layouts -> output layouts" of the core layers
    "b_format": "string",
    "a_tactic": "string",
    "b_tactic": "string",
}

# One row per layer of A and of B: the group it belongs to (inspector.align).
DIFF_MEMBERS: Schema = {
    "side": "string",               # "A" | "B"
    "layer_index": "int64",
    "name": "string",
    "group_id": "int64",
    "method": "string",             # input-conversion | source-node | served | name | structural | tensor-boundary | type-bucket | order-and-type | only
}

# One row per fusion group with its per-iteration time in A and B (inspector.diff.group_times).
GROUP_TIMES: Schema = {
    "group_id": "int64",
    "kind": "string",
    "label": "string",
    "a_ms": "float64",              # sum of avg_ms of the group's A layers (0.0 when it has none)
    "b_ms": "float64",
    "delta_ms": "float64",          # b_ms - a_ms
    "delta_pct": "float64",         # 100 * delta / a_ms (NaN when a_ms == 0)
    "a_untimed": "int64",           # layers of the group without a profile row (counted as 0 ms)
    "b_untimed": "int64",
}

ALL_SCHEMAS["diff_groups"] = DIFF_GROUPS
ALL_SCHEMAS["diff_members"] = DIFF_MEMBERS
ALL_SCHEMAS["group_times"] = GROUP_TIMES

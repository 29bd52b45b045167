"""Attribute GPU work in an nsys export to launching threads, NVTX ranges, TensorRT layers and iterations.

1. Each kernel / memcpy / memset / graph execution is joined to the runtime call that launched it on
   ``correlationId`` **and** the process (``globalPid``): correlation ids restart in every process, so
   joining on the id alone pairs work with another process' calls.
2. The launch time and thread of that call are placed in the NVTX push/pop ranges of the thread with an O((N
   + M) log M) sweep (:func:`innermost_ranges`): ranges are sorted per thread, each gets its nesting level
   from the running count of opened minus closed ranges, and each launch takes the most recent range of the
   level open at its time. No cross join. Ranges that do not nest are detected (the answer is checked to
   contain the launch) and reported instead of being guessed.
3. TensorRT marks every engine layer with a push/pop range in the NVTX domain ``TensorRT`` named like the
   layer, inside an ``ExecutionContext::enqueue*`` range. Kernels launched inside a layer range give
   per-layer GPU time (PROFILE schema, joins the engine's layer frame by name): the sum of their GPU durations.
   A Myelin kernel's range (``..._myl<G>_<K>``, as TensorRT 10's profiler names them) nested inside a layer
   range (its ``{ForeignNode[...]}`` layer) is a part of that layer: its kernels count for the enclosing layer,
   unless the engine's layer information names the nested ranges and not the layer (then they are its layers:
   :func:`layer_level`). Other nesting keeps the innermost range. Each enqueue range is one
   iteration (TIMES schema: H2D copies launched before it, compute launched inside it, D2H copies launched
   after it). Without enqueue ranges, iterations are cut from the H2D -> compute -> D2H order of the GPU
   work itself.
4. CUDA-graph launches replay kernels without the per-layer ranges: per-layer attribution is then refused,
   with the reason, rather than charging every kernel to the enqueue range.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from trtinspect.parsers import schema
from trtinspect.parsers.join import MYELIN_PART
from trtinspect.parsers.nsys.sqlite import GRAPH_LAUNCH_API, NVTX_PUSH_POP, NVTX_START_END, NsysExport

log = logging.getLogger(__name__)

TENSORRT_DOMAIN = "TensorRT"
# TensorRT's per-inference range: ExecutionContext::enqueue / enqueueV2 / enqueueV3 / executeV2 ...
ENQUEUE_RANGE = re.compile(r"^(I?ExecutionContext::)?(enqueue|execute)(V\d+)?\b")
_BIG = np.iinfo(np.int64).max
NS_PER_MS = 1e6
PHASE_BY_TRANSFER: dict[str, int] = {"H2D": 0, "D2H": 2}  # everything else is compute (phase 1)


@dataclass
class NsysAttribution:
    """Result of :func:`attribute`: ``profile`` (PROFILE), ``times`` (TIMES), ``ops``, ``gaps`` (NSYS_*)."""

    ops: pd.DataFrame
    profile: pd.DataFrame
    times: pd.DataFrame
    gaps: pd.DataFrame
    pid: int | None  # process the per-layer / per-iteration frames describe
    engine_pids: list[int] = field(default_factory=list)  # processes with TensorRT layer ranges
    iteration_source: str = "none"  # "enqueue" | "structure" | "none"
    per_layer_blocked: str | None = None  # why per-layer attribution was refused (CUDA graphs)
    enqueue_ranges: list[str] = field(default_factory=list)  # the enqueue ranges' names (iteration_source "enqueue")
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------
# The sweep


def innermost_ranges(
    r_thread: np.ndarray, r_start: np.ndarray, r_end: np.ndarray, q_thread: np.ndarray, q_time: np.ndarray
) -> tuple[np.ndarray, int]:
    """For each query (thread, time): the innermost range with ``start <= time < end`` on that thread.

    Ranges must nest per thread (NVTX push/pop do). Returns (indices into the range arrays, -1 where none;
    number of queries whose answer failed the containment check because ranges on that thread do not nest).
    """
    out = np.full(len(q_time), -1, dtype=np.int64)
    if len(r_start) == 0 or len(q_time) == 0:
        return out, 0
    keep = np.flatnonzero(r_end > r_start)
    order = keep[np.lexsort((-r_end[keep], r_start[keep], r_thread[keep]))]
    rt, rs, re_ = r_thread[order], r_start[order], r_end[order]
    threads, first = np.unique(rt, return_index=True)
    bounds = np.append(first, len(rt))
    q_order = np.argsort(q_thread, kind="stable")
    q_sorted = q_thread[q_order]
    bad = 0
    for k, th in enumerate(threads):
        qlo = np.searchsorted(q_sorted, th, side="left")
        qhi = np.searchsorted(q_sorted, th, side="right")
        if qlo == qhi:
            continue
        lo, hi = bounds[k], bounds[k + 1]
        s, e = rs[lo:hi], re_[lo:hi]
        ends = np.sort(e)
        level = np.arange(1, len(s) + 1) - np.searchsorted(ends, s, side="right")
        qi = q_order[qlo:qhi]
        t = q_time[qi]
        n_started = np.searchsorted(s, t, side="right")
        depth = n_started - np.searchsorted(ends, t, side="right")
        found = np.full(len(t), -1, dtype=np.int64)
        for d in np.unique(depth[depth > 0]):
            at_level = np.flatnonzero(level == d)
            sel = np.flatnonzero(depth == d)
            pos = np.searchsorted(at_level, n_started[sel] - 1, side="right") - 1
            ok = pos >= 0
            found[sel[ok]] = at_level[pos[ok]]
        hit = found >= 0
        contained = np.zeros(len(t), dtype=bool)
        contained[hit] = (s[found[hit]] <= t[hit]) & (t[hit] < e[found[hit]])
        bad += int((hit & ~contained).sum())
        found[~contained] = -1
        res = np.full(len(t), -1, dtype=np.int64)
        res[found >= 0] = order[lo + found[found >= 0]]
        out[qi] = res
    return out, bad


# ----------------------------------------------------------------------------------------------------
# Building the ops frame


def _int(s: pd.Series | pd.api.extensions.ExtensionArray, fill: int = -1) -> np.ndarray:
    arr = s.array if isinstance(s, pd.Series) else s
    if isinstance(arr, pd.arrays.IntegerArray):
        return arr.to_numpy(dtype=np.int64, na_value=fill)
    return pd.array(np.asarray(arr), dtype="Int64").to_numpy(dtype=np.int64, na_value=fill)


def _as_object_cat(values: pd.Series) -> pd.Categorical:
    c = pd.Categorical(values.astype("category"))
    return pd.Categorical.from_codes(c.codes, categories=pd.Index(c.categories, dtype=object))


def _cat_union(parts: list[pd.Series]) -> pd.Categorical:
    return union_categoricals([_as_object_cat(p) for p in parts], ignore_order=True)


def _gpu_ops(export: NsysExport) -> pd.DataFrame:
    """Kernels, graph executions and memory operations in one frame, in GPU start order."""
    frames: list[tuple[pd.DataFrame, str | None, pd.Series]] = []
    for frame, op in ((export.kernels, "kernel"), (export.graph_execs, "graph")):
        if not frame.empty:
            frames.append((frame, op, frame["name"]))
    if not export.memops.empty:
        frames.append((export.memops, None, export.memops["direction"]))
    num_cols = [
        "start_ns",
        "end_ns",
        "duration_ns",
        "device_id",
        "stream_id",
        "correlation_id",
        "global_pid",
        "pid",
    ]
    data: dict[str, Any] = {c: pd.concat([f[c] for f, _, _ in frames], ignore_index=True) for c in num_cols}
    data["name"] = _cat_union([n for _, _, n in frames])
    ops_parts = [
        pd.Series(pd.Categorical.from_codes(np.zeros(len(f), np.int8), categories=pd.Index([op])))
        if op is not None
        else f["op"]
        for f, op, _ in frames
    ]
    tr_parts = [
        pd.Series(pd.Categorical.from_codes(np.zeros(len(f), np.int8), categories=pd.Index([op])))
        if op is not None
        else f["transfer"]
        for f, op, _ in frames
    ]
    data["op"] = _cat_union(ops_parts)
    data["transfer"] = _cat_union(tr_parts)
    ops = pd.DataFrame(data)
    order = np.argsort(ops["start_ns"].to_numpy(), kind="stable")
    return ops.take(order).reset_index(drop=True)


def _composite(gpid: np.ndarray, corr: np.ndarray) -> np.ndarray | None:
    """One int64 per (process, correlationId) when both fit (vm id < 128, id < 2**32); else None."""
    if len(gpid) == 0:
        return np.empty(0, np.int64)
    hi = gpid >> 24
    if hi.min() < 0 or hi.max() >= 2**31 or corr.min() < -1 or corr.max() >= 2**32:
        return None
    return (hi << 32) | np.where(corr < 0, 2**32 - 1, corr)


def _join_runtime(ops: pd.DataFrame, runtime: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Add the launching call (global_tid, tid, api_start_ns, api_name), matched on (process, correlation)."""
    rt = runtime[runtime["correlation_id"].notna()]
    by_pid = bool(ops["global_pid"].notna().any() and rt["global_pid"].notna().any())
    if not by_pid and len(rt):
        notes.append("no process ids on GPU work: runtime calls matched on correlationId alone")
    o_corr, r_corr = _int(ops["correlation_id"]), _int(rt["correlation_id"])
    o_key = _composite(_int(ops["global_pid"]) if by_pid else np.zeros(len(ops), np.int64), o_corr)
    r_key = _composite(_int(rt["global_pid"]) if by_pid else np.zeros(len(rt), np.int64), r_corr)
    if o_key is None or r_key is None:  # ids out of the packed range: let pandas join the two columns
        keys = ["global_pid", "correlation_id"] if by_pid else ["correlation_id"]
        codes = pd.MultiIndex.from_frame(rt[keys]).get_indexer(pd.MultiIndex.from_frame(ops[keys]))
        uniq_pos = np.asarray(codes, dtype=np.int64)
        dups = int(rt.duplicated(keys).sum())
    else:
        uniq, first = np.unique(r_key, return_index=True)
        dups = len(r_key) - len(uniq)
        pos = np.searchsorted(uniq, o_key)
        pos_c = np.minimum(pos, max(len(uniq) - 1, 0))
        hit = (
            (len(uniq) > 0) & (uniq[pos_c] == o_key) & (o_corr >= 0)
            if len(uniq)
            else np.zeros(len(o_key), bool)
        )
        uniq_pos = np.where(hit, first[pos_c] if len(uniq) else -1, -1)
    if dups:
        notes.append(f"{dups} runtime calls share a (process, correlationId) with another; kept the first")
    idx = uniq_pos
    ok = idx >= 0
    safe = np.maximum(idx, 0)

    def pick(col: str) -> Any:
        src = rt[col].array
        if len(src) == 0:
            return (
                pd.array([pd.NA] * len(idx), dtype="Int64")
                if col != "name"
                else pd.Categorical.from_codes(np.full(len(idx), -1), categories=pd.Index([], dtype=object))
            )
        taken = src.take(safe)
        if isinstance(taken, pd.Categorical):
            codes = np.where(ok, taken.codes, -1)
            return pd.Categorical.from_codes(codes, categories=taken.categories)
        vals = np.asarray(
            taken.to_numpy(dtype=np.int64, na_value=-(2**63)) if hasattr(taken, "to_numpy") else taken,
            dtype=np.int64,
        )
        vals = np.where(ok, vals, -(2**63))
        return pd.arrays.IntegerArray(vals, vals == -(2**63))

    ops = ops.copy()
    ops["global_tid"] = pick("global_tid")
    ops["tid"] = pick("tid")
    ops["api_start_ns"] = pick("start_ns")
    ops["api_name"] = pick("name")
    return ops


def _attach_ranges(
    ops: pd.DataFrame, nvtx: pd.DataFrame, mask: np.ndarray, *, notes: list[str], what: str
) -> np.ndarray:
    """Innermost range among ``nvtx[mask]`` for each op's launch; returns indices into ``nvtx`` (-1: none)."""
    idx = np.full(len(ops), -1, dtype=np.int64)
    sub = np.flatnonzero(mask)
    launched = ops["global_tid"].notna().to_numpy() & ops["api_start_ns"].notna().to_numpy()
    if len(sub) == 0 or not launched.any():
        return idx
    rng = nvtx.iloc[sub]
    r_end = rng["end_ns"].astype("Int64").fillna(_BIG).to_numpy(dtype=np.int64)
    q = np.flatnonzero(launched)
    found, bad = innermost_ranges(
        _int(rng["global_tid"]),
        rng["start_ns"].to_numpy(dtype=np.int64),
        r_end,
        _int(ops["global_tid"].iloc[q]),
        _int(ops["api_start_ns"].iloc[q]),
    )
    if bad:
        notes.append(
            f"{bad} launches fall in {what} ranges that do not nest on their thread; left unattributed"
        )
    idx[q] = np.where(found >= 0, sub[np.maximum(found, 0)], -1)
    return idx


def _cat_match(values: pd.Series, pred: Any) -> np.ndarray:
    """Boolean mask of rows whose (categorical) value satisfies ``pred``, evaluated once per category."""
    cat = values.astype("category")
    ok = np.array([bool(pred(c)) for c in cat.cat.categories], dtype=bool)
    codes = np.asarray(cat.cat.codes)
    return np.where(codes >= 0, ok[np.maximum(codes, 0)] if len(ok) else False, False)


def _phase(transfer: pd.Series) -> np.ndarray:
    """0 for H2D, 2 for D2H, 1 (compute) for everything else (PHASE_BY_TRANSFER)."""
    cat = transfer.astype("category")
    lut = np.array([PHASE_BY_TRANSFER.get(str(c), 1) for c in cat.cat.categories] or [1], dtype=np.int64)
    codes = np.asarray(cat.cat.codes)
    return np.where(codes >= 0, lut[np.maximum(codes, 0)], 1)


def _take(values: pd.Series, idx: np.ndarray) -> pd.Categorical:
    cat = values.astype("category")
    codes = np.asarray(cat.cat.codes)
    if len(codes) == 0:
        return pd.Categorical.from_codes(np.full(len(idx), -1), categories=cat.cat.categories)
    out = np.where(idx >= 0, codes[np.maximum(idx, 0)], -1)
    return pd.Categorical.from_codes(out, categories=cat.cat.categories)


# ----------------------------------------------------------------------------------------------------
# Iterations


def _enqueue_iterations(
    ops: pd.DataFrame, nvtx: pd.DataFrame, enq_mask: np.ndarray, enq_idx: np.ndarray
) -> tuple[np.ndarray, pd.DataFrame]:
    """Iteration of every op (-1: none) and the enqueue ranges (one row per iteration)."""
    enq = nvtx.iloc[np.flatnonzero(enq_mask)][["start_ns", "end_ns", "global_tid", "pid"]].copy()
    enq["nvtx_index"] = np.flatnonzero(enq_mask)
    enq = enq.sort_values(["pid", "start_ns"], kind="stable", ignore_index=True)
    enq["end_ns"] = enq["end_ns"].astype("Int64").fillna(_BIG)
    iteration_of_range = np.full(len(nvtx), -1, dtype=np.int64)
    iteration_of_range[enq["nvtx_index"].to_numpy()] = np.arange(len(enq))
    it = np.where(enq_idx >= 0, iteration_of_range[np.maximum(enq_idx, 0)], -1)
    # Copies launched between enqueues on the same thread: H2D before the next one, D2H after the last one.
    is_kind = {
        "H2D": _cat_match(ops["transfer"], lambda x: x == "H2D"),
        "D2H": _cat_match(ops["transfer"], lambda x: x == "D2H"),
    }
    g = _int(ops["global_tid"])
    t = _int(ops["api_start_ns"], fill=-(2**62))
    eg = _int(enq["global_tid"])
    es = enq["start_ns"].to_numpy(dtype=np.int64)
    ee = enq["end_ns"].to_numpy(dtype=np.int64)
    for th in np.unique(eg):
        rows = np.flatnonzero(eg == th)  # this thread's enqueues, in start order
        s, e = es[rows], ee[rows]
        for kind, pick_next in (("H2D", True), ("D2H", False)):
            sel = np.flatnonzero(is_kind[kind] & (g == th) & (it < 0))
            if len(sel) == 0:
                continue
            tt = t[sel]
            if pick_next:
                j = np.searchsorted(s, tt, side="right")  # next enqueue starting after the copy
                ok = (j < len(s)) & ((j == 0) | (tt >= e[np.maximum(j - 1, 0)]))
            else:
                j = np.searchsorted(e, tt, side="right") - 1  # last enqueue ended before the copy
                ok = (j >= 0) & ((j + 1 >= len(s)) | (tt < s[np.minimum(j + 1, len(s) - 1)]))
            it[sel[ok]] = rows[j[ok]]
    return it, enq


def _structural_iterations(ops: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Cut ``ops.iloc[rows]`` (one process) into H2D* compute* D2H* iterations by GPU start order."""
    it = np.full(len(ops), -1, dtype=np.int64)
    if len(rows) == 0:
        return it
    sub = ops.iloc[rows]
    order = np.argsort(sub["start_ns"].to_numpy(), kind="stable")
    phase = _phase(sub["transfer"])[order]
    new = np.r_[False, phase[1:] < phase[:-1]]
    it[rows[order]] = np.cumsum(new)
    return it


def _times_and_gaps(
    ops: pd.DataFrame, enq: pd.DataFrame | None, pid: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    sub = ops[ops["iteration"].notna()]
    if sub.empty:
        return schema.empty_frame(schema.TIMES), schema.empty_frame(schema.NSYS_GAPS)
    sub = sub.assign(phase=_phase(sub["transfer"]))
    iters = np.sort(sub["iteration"].unique().astype(np.int64))
    out = pd.DataFrame(index=pd.Index(iters, name="iteration"))
    for name, phase in (("h2d", 0), ("compute", 1), ("d2h", 2)):
        g = sub[sub["phase"] == phase].groupby("iteration")
        out[f"{name}_start_ms"] = g["start_ns"].min() / NS_PER_MS
        out[f"{name}_end_ms"] = g["end_ns"].max() / NS_PER_MS
        out[f"{name}_ms"] = out[f"{name}_end_ms"] - out[f"{name}_start_ms"]
    parts = out[["h2d_ms", "compute_ms", "d2h_ms"]]
    out["latency_ms"] = parts.sum(axis=1, min_count=1)
    if enq is not None and not enq.empty:
        e = enq.iloc[iters]
        out["enqueue_start_ms"] = e["start_ns"].to_numpy(dtype=np.float64) / NS_PER_MS
        end = e["end_ns"].to_numpy(dtype=np.float64)
        end[end >= _BIG] = np.nan
        out["enqueue_end_ms"] = end / NS_PER_MS
        out["enqueue_ms"] = out["enqueue_end_ms"] - out["enqueue_start_ms"]
    out = out.reset_index()
    times = schema.conform(out.reindex(columns=list(schema.TIMES)), schema.TIMES)

    # Gaps: union of op intervals per iteration (sorted by start; running max of earlier ends).
    s = sub.sort_values(["iteration", "start_ns"], kind="stable")
    prev_max = s.groupby("iteration")["end_ns"].cummax().groupby(s["iteration"]).shift(1)
    start = s["start_ns"].to_numpy(dtype=np.float64)
    end = s["end_ns"].to_numpy(dtype=np.float64)
    pm = prev_max.to_numpy(dtype=np.float64, na_value=np.nan)
    lo = np.where(np.isnan(pm), start, np.maximum(start, pm))
    covered = pd.Series(np.maximum(end - lo, 0.0), index=s.index).groupby(s["iteration"]).sum()
    first = s.groupby("iteration")["start_ns"].min()
    last = s.groupby("iteration")["end_ns"].max()
    span = (last - first) / NS_PER_MS
    busy = covered / NS_PER_MS
    gaps = pd.DataFrame(
        {
            "iteration": iters,
            "pid": pid,
            "span_ms": span.to_numpy(),
            "busy_ms": busy.to_numpy(),
            "idle_ms": (span - busy).to_numpy(),
            "h2d_to_compute_ms": (times["compute_start_ms"] - times["h2d_end_ms"]).to_numpy(),
            "compute_to_d2h_ms": (times["d2h_start_ms"] - times["compute_end_ms"]).to_numpy(),
            "to_next_ms": np.r_[(first.to_numpy()[1:] - last.to_numpy()[:-1]) / NS_PER_MS, np.nan],
        }
    )
    return times, schema.conform(gaps, schema.NSYS_GAPS)


# ----------------------------------------------------------------------------------------------------
# Per-layer profile


def _layer_profile(ops: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    sub = ops[ops["layer"].notna() & ops["iteration"].notna()]
    if sub.empty:
        return schema.empty_frame(schema.PROFILE)
    layer = sub["layer"].cat.remove_unused_categories()
    iteration = pd.Series(_int(sub["iteration"]), index=sub.index)
    # One engine per set of layer names; keep the most common set if iterations disagree. The set is
    # summarised
    # by (count, sum, sum of squares) of its category codes: cheap and collision-free in practice.
    pairs = pd.DataFrame({"iteration": iteration, "code": np.asarray(layer.cat.codes, dtype=np.float64)})
    pairs = pairs.drop_duplicates()
    pairs["code2"] = pairs["code"] ** 2
    sig = pairs.groupby("iteration").agg(n=("code", "size"), s=("code", "sum"), s2=("code2", "sum"))
    sig_key = pd.Series(list(zip(sig["n"], sig["s"], sig["s2"], strict=True)), index=sig.index)
    counts = sig_key.value_counts()
    if len(counts) > 1:
        keep = sig_key.index[sig_key == counts.index[0]]
        notes.append(
            f"{len(counts)} different sets of TensorRT layer ranges across enqueues (several engines or "
            f"shape profiles); per-layer times use the most common set ({int(counts.iloc[0])} of "
            f"{int(counts.sum())} iterations)"
        )
        m = iteration.isin(keep).to_numpy()
        sub, layer, iteration = sub[m], layer[m], iteration[m]
    n_iter = int(iteration.nunique())
    per_iter = sub["duration_ns"].groupby([layer, iteration], observed=True).sum()
    dense = per_iter.unstack(fill_value=0)
    total_ns = dense.sum(axis=1)
    first_seen = sub["start_ns"].groupby(layer, observed=True).min()
    order = first_seen.sort_values(kind="stable").index
    total_ms = total_ns.reindex(order) / NS_PER_MS
    prof = pd.DataFrame(
        {
            "name": order.astype(str),
            "time_ms": total_ms.to_numpy(),
            "avg_ms": total_ms.to_numpy() / n_iter,
            "median_ms": dense.reindex(order).median(axis=1).to_numpy() / NS_PER_MS,
            "percentage": (100.0 * total_ms / total_ms.sum()).to_numpy() if total_ms.sum() > 0 else np.nan,
            "row": np.arange(len(order)),
            "name_recovered": False,
        }
    )
    return schema.conform(prof, schema.PROFILE)


# ----------------------------------------------------------------------------------------------------
# Entry point


@dataclass
class _Ranges:
    """NVTX masks and, per GPU operation, the index of its innermost range of each kind (-1: none)."""

    in_domain: np.ndarray
    push_pop: np.ndarray
    start_end: np.ndarray
    is_enqueue: np.ndarray
    enq_idx: np.ndarray


def nested_ranges(nvtx: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    """Which ranges of ``nvtx[mask]`` start inside another range of ``mask`` on the same thread (they nest:
    push/pop). One sort by (thread, start, longest first) and a running maximum of the earlier ends per thread."""
    out = np.zeros(len(nvtx), dtype=bool)
    sub = np.flatnonzero(mask)
    if len(sub) < 2:
        return out
    rng = nvtx.iloc[sub]
    thread, start = _int(rng["global_tid"]), rng["start_ns"].to_numpy(dtype=np.int64)
    end = rng["end_ns"].astype("Int64").fillna(_BIG).to_numpy(dtype=np.int64)
    order = np.lexsort((-end, start, thread))
    t, s, e = thread[order], start[order], end[order]
    first = np.r_[True, t[1:] != t[:-1]]
    group = np.cumsum(first) - 1
    shifted = np.where(e > s, e, s)   # an empty range holds nothing
    running = pd.Series(shifted).groupby(group).cummax().to_numpy()
    prev_end = np.r_[np.iinfo(np.int64).min, running[:-1]]
    prev_end[first] = np.iinfo(np.int64).min
    out[sub[order]] = s < prev_end
    return out


def layer_level(outer: pd.Categorical, inner: pd.Categorical, layer_names: set[str] | None) -> np.ndarray:
    """Per op: True where its layer is the nested (inner) range rather than the enclosing layer range: when the
    engine's layer information is given, names the inner range and not the outer one."""
    use_inner = np.zeros(len(outer), dtype=bool)
    if not layer_names:
        return use_inner
    o_in = np.array([str(c) in layer_names for c in outer.categories], dtype=bool)
    i_in = np.array([str(c) in layer_names for c in inner.categories], dtype=bool)
    oc, ic = np.asarray(outer.codes), np.asarray(inner.codes)
    o_named = np.where(oc >= 0, o_in[np.maximum(oc, 0)] if len(o_in) else False, False)
    i_named = np.where(ic >= 0, i_in[np.maximum(ic, 0)] if len(i_in) else False, False)
    return ~o_named & i_named


def _nested_note(nvtx: pd.DataFrame, outer_idx: np.ndarray, inner_idx: np.ndarray, use_inner: np.ndarray,
                 nested: np.ndarray, domain: str) -> str:
    """What was done with TensorRT ranges nested inside layer ranges (e.g. the Myelin kernels of a ForeignNode)."""
    text = nvtx["text"]
    differ = (inner_idx >= 0) & (outer_idx >= 0) & (inner_idx != outer_idx)
    k = int(np.flatnonzero(differ)[0]) if differ.any() else -1
    example = (f" (e.g. {str(text.iloc[inner_idx[k]])!r} inside {str(text.iloc[outer_idx[k]])!r})" if k >= 0
               else "")
    names = text.iloc[np.flatnonzero(nested)].astype(str).nunique()
    head = f"{int(nested.sum())} {domain} ranges ({names} names) nest inside a layer range{example}"
    if use_inner.any():
        return (f"{head}: the engine's layer information names the nested ranges and not the enclosing one, so "
                "their kernels are charged to them as layers")
    return (f"{head}: they are parts of that engine layer (Myelin kernels of a {{ForeignNode[...]}} layer), so the "
            "layer's time is the summed GPU time of every kernel launched inside its range, nested ones included")


def _attach_all(ops: pd.DataFrame, nvtx: pd.DataFrame, domain: str, notes: list[str],
                layer_names: set[str] | None = None) -> _Ranges:
    """Innermost NVTX range, TensorRT layer range and enqueue range of every op's launch (adds ``nvtx_range``,
    ``nvtx_domain``, ``layer`` to ``ops``). A Myelin kernel's range nested in another layer range (inside its
    ``{ForeignNode[...]}`` layer) counts for the enclosing layer unless ``layer_names`` (the engine's layer
    information) names the nested range and not the enclosing one."""
    etype = nvtx["event_type"].to_numpy()
    in_domain = _cat_match(nvtx["domain"], lambda x: x == domain)
    is_enqueue = in_domain & _cat_match(nvtx["text"], lambda x: isinstance(x, str) and bool(ENQUEUE_RANGE.match(x)))
    push_pop = etype == NVTX_PUSH_POP
    start_end = etype == NVTX_START_END
    any_idx = _attach_ranges(ops, nvtx, push_pop, notes=notes, what="NVTX")
    layer_mask = push_pop & in_domain & ~is_enqueue
    layer_idx = _attach_ranges(ops, nvtx, layer_mask, notes=notes, what=f"{domain} layer")
    # Myelin kernels' ranges inside their layer's range: parts of that layer (nesting computed only when any)
    nested = layer_mask & _cat_match(nvtx["text"], lambda x: isinstance(x, str) and MYELIN_PART.search(x) is not None)
    if nested.any():
        nested &= nested_ranges(nvtx, layer_mask)
    if nested.any():   # the enclosing layer range, unless the layer info names the parts and not the layer
        inner_idx = layer_idx
        outer_idx = _attach_ranges(ops, nvtx, layer_mask & ~nested, notes=[], what=f"{domain} layer")
        use_inner = layer_level(_take(nvtx["text"], outer_idx), _take(nvtx["text"], inner_idx), layer_names)
        notes.append(_nested_note(nvtx, outer_idx, inner_idx, use_inner, nested, domain))
        layer_idx = np.where(use_inner, inner_idx, outer_idx)
    if (start_end & in_domain).any():  # Myelin-style start/end ranges: used where no push/pop layer range is open
        se_idx = _attach_ranges(ops, nvtx, start_end & in_domain & ~is_enqueue, notes=notes,
                                what=f"{domain} start/end")
        layer_idx = np.where(layer_idx >= 0, layer_idx, se_idx)
    enq_idx = _attach_ranges(ops, nvtx, push_pop & is_enqueue, notes=notes, what="enqueue")
    ops["nvtx_range"] = _take(nvtx["text"], any_idx)
    ops["nvtx_domain"] = _take(nvtx["domain"], any_idx)
    ops["layer"] = _take(nvtx["text"], layer_idx)
    return _Ranges(in_domain, push_pop, start_end, is_enqueue, enq_idx)


def _choose_pid(ops: pd.DataFrame, engine_pids: list[int], pid: int | None, notes: list[str]) -> int | None:
    """The process the per-layer / per-iteration frames describe (see the module docstring)."""
    if pid is not None:
        return pid
    op_pid = ops["pid"]
    if engine_pids:
        layer_counts = op_pid[ops["layer"].notna()].value_counts()
        candidates = [p for p in layer_counts.index if int(p) in engine_pids] or engine_pids
        pid = int(candidates[0])
        if len(engine_pids) > 1:
            notes.append(
                f"{len(engine_pids)} processes ran TensorRT engines (pids {', '.join(map(str, engine_pids))}); "
                f"per-layer and per-iteration figures are for pid {pid} (choose another with pid=)"
            )
    elif op_pid.notna().any():
        pid = int(op_pid.value_counts().index[0])
        if op_pid.nunique() > 1:
            notes.append(
                f"GPU work from {op_pid.nunique()} processes; per-iteration figures are for pid {pid}, "
                "the one with the most GPU operations"
            )
    return pid


def _iterations(ops: pd.DataFrame, nvtx: pd.DataFrame, r: _Ranges, in_pid: np.ndarray, pid: int | None,
                notes: list[str]) -> tuple[np.ndarray, pd.DataFrame | None, str]:
    """Iteration of every op (-1: none), the enqueue ranges (or None) and where iterations came from."""
    enq_mask = r.push_pop & r.is_enqueue
    if pid is not None:
        enq_mask = enq_mask & (nvtx["pid"] == pid).fillna(False).to_numpy(dtype=bool)
    if enq_mask.any():
        it, enq = _enqueue_iterations(ops, nvtx, enq_mask, r.enq_idx)
        return np.where(in_pid, it, -1), enq, "enqueue"
    if pid is not None:
        notes.append("no TensorRT enqueue ranges: iterations cut from the H2D -> compute -> D2H order of GPU work")
        return _structural_iterations(ops, np.flatnonzero(in_pid)), None, "structure"
    return np.full(len(ops), -1, dtype=np.int64), None, "none"


def _graph_blocked(ops: pd.DataFrame, in_pid: np.ndarray, pid: int | None, export: NsysExport,
                   notes: list[str]) -> str | None:
    """Why per-layer time is refused for CUDA-graph work of the chosen process, or None (no graph work)."""
    graph_work = in_pid & (
        _cat_match(ops["api_name"], lambda x: isinstance(x, str) and bool(GRAPH_LAUNCH_API.match(x)))
        | _cat_match(ops["op"], lambda x: x == "graph")
    )
    if not graph_work.any():
        return None
    blocked = graph_block_reason(int(graph_work.sum()), pid, export.cuda_graph)
    notes.append(blocked)
    return blocked


def attribute(
    export: NsysExport, *, pid: int | None = None, domain: str = TENSORRT_DOMAIN, layer_names: set[str] | None = None
) -> NsysAttribution:
    """Join GPU work to launches, NVTX ranges, TensorRT layers and iterations (see the module docstring).
    ``layer_names``: the engine's layer names (its layer-information JSON), which decide whether nested layer
    ranges are layers of their own (:func:`layer_level`)."""
    notes: list[str] = []
    ops = _join_runtime(_gpu_ops(export), export.runtime, notes)
    unmatched = int(ops["api_start_ns"].isna().sum())
    if unmatched:
        notes.append(
            f"{unmatched} of {len(ops)} GPU operations have no launching runtime call in the export "
            "(launched before the capture window or through an untraced API)"
        )
    nvtx = export.nvtx
    r = _attach_all(ops, nvtx, domain, notes, layer_names)
    engine_pids = sorted(int(p) for p in pd.unique(nvtx.loc[r.in_domain & (r.push_pop | r.start_end), "pid"].dropna()))
    pid = _choose_pid(ops, engine_pids, pid, notes)
    in_pid = (ops["pid"] == pid).fillna(False).to_numpy(dtype=bool) if pid is not None else np.zeros(len(ops), bool)
    blocked = _graph_blocked(ops, in_pid, pid, export, notes)  # CUDA graphs: replays carry no per-layer ranges
    it, enq, source = _iterations(ops, nvtx, r, in_pid, pid, notes)
    ops["iteration"] = pd.array(np.where(it >= 0, it, 0), dtype="Int64")
    ops.loc[it < 0, "iteration"] = pd.NA
    ops = schema.conform(ops.reindex(columns=list(schema.NSYS_OPS)), schema.NSYS_OPS)
    times, gaps = _times_and_gaps(ops[in_pid] if pid is not None else ops.iloc[:0], enq, pid)
    if blocked is None and engine_pids:
        profile = _layer_profile(ops[in_pid], notes)
    else:
        profile = schema.empty_frame(schema.PROFILE)
        if not engine_pids:
            notes.append(
                f"no NVTX ranges in the {domain} domain: no per-layer times (profile TensorRT with "
                "`nsys profile --trace=cuda,nvtx` and build with --profilingVerbosity=detailed or layer_names_only)"
            )
    enqueue_ranges = [] if enq is None else sorted({str(t) for t in nvtx["text"].iloc[enq["nvtx_index"]]})
    return NsysAttribution(ops=ops, profile=profile, times=times, gaps=gaps, pid=pid, engine_pids=engine_pids,
                           iteration_source=source, per_layer_blocked=blocked, notes=notes,
                           enqueue_ranges=enqueue_ranges)


def graph_block_reason(n_ops: int, pid: int | None, g: dict[str, Any]) -> str:
    """Why GPU work replayed from CUDA graphs gets no per-layer time, by nsys' CUDA-graph trace mode."""
    mode = (g.get("trace_mode") or "").lower()
    head = (f"{n_ops} GPU operations of pid {pid} ran from CUDA graph launches ({g.get('graph_launches', 0)} "
            f"cudaGraphLaunch calls, --cuda-graph-trace={mode or 'unknown'})")
    if mode == "graph":
        why = ("graph-level tracing records each replay as one whole-graph execution, with no kernel inside it to "
               "map to a layer")
    elif mode == "node":
        why = ("the kernels are traced per node, but TensorRT's per-layer NVTX ranges were recorded once, when the "
               "graph was captured, not at each replay; mapping graph nodes back to the layer ranges open at capture "
               "is not implemented (no real node-level TensorRT capture was available to verify it)")
    else:
        why = "graph replays carry no per-layer NVTX ranges"
    return (f"{head}: {why}, so per-layer time is not attributed (per-iteration times still are). For per-layer "
            "time profile without --useCudaGraph, or use trtexec --dumpProfile")


def layer_names(attribution: NsysAttribution) -> list[str]:
    """The per-layer range names in execution order (the profile's order)."""
    return attribution.profile["name"].astype(str).tolist()


def brute_force_innermost(ranges: Sequence[tuple[int, int, int]], thread: int, t: int) -> int:
    """Reference implementation for tests: index of the innermost (latest-starting, then shortest) range of
    ``ranges`` = [(thread, start, end)] containing ``t`` on ``thread``; -1 if none. O(M) per query."""
    best, best_key = -1, None
    for i, (th, s, e) in enumerate(ranges):
        if th == thread and s <= t < e:
            key: Any = (s, -e)
            if best_key is None or key > best_key:
                best, best_key = i, key
    return best

"""The summaries ``nsys stats`` prints, computed from an Nsight Systems SQLite export without nsys.

:func:`summarise` returns an :class:`NsysStats`: one frame per report, with the rows, order, statistics,
units and rounding of nsys' own report scripts (nsys 2023.2 - 2026.x):

============================  ==============================================================  ================
report                        rows (grouped by)                                                frame schema
============================  ==============================================================  ================
``cuda_gpu_kern_sum``         CUPTI_ACTIVITY_KIND_KERNEL by demangled name                      NSYS_STAT_SUM
``cuda_gpu_mem_time_sum``     memcpy by copy kind (``[CUDA memcpy <label>]``) + ``[CUDA memset]``  NSYS_STAT_SUM
``cuda_gpu_mem_size_sum``     the same operations, by bytes                                     NSYS_STAT_SIZE
``cuda_api_sum``              CUPTI_ACTIVITY_KIND_RUNTIME by nameId                             NSYS_STAT_SUM
``nvtx_sum``                  push/pop and start/end ranges by ``domain:text`` and style       NSYS_STAT_SUM
``osrt_sum``                  OSRT_API (eventClass 27) by nameId                                NSYS_STAT_SUM
============================  ==============================================================  ================

Statistics, as nsys defines them: Total = sum of durations (integer ns), Avg = Total / count, Med = the middle
value (mean of the two middle values for an even count), Min / Max, StdDev = *sample* standard deviation
(divisor n - 1; 0 for a single instance), Time (%) = Total * 100 / sum of Totals of the report. Avg, Med, StdDev
and Time (%) are rounded to one decimal half away from zero (SQLite's ``round(x, 1)``); sizes are not rounded.

How: no row becomes a Python object. For each report one SQL expression per column is streamed out of SQLite
in chunks of rowids as ``group_concat`` text that numpy parses (a few MB at a time), the group keys are
factorised to small integers, and one sort of ``(group, value)`` packed into an int64 gives every group's
median, minimum, maximum and an exact two-pass standard deviation with ``reduceat``. The per process /
device / stream overview (:data:`~trtinspect.parsers.schema.NSYS_STREAMS`) is a plain SQL ``GROUP BY``.
Reports run concurrently on read-only connections of their own (SQLite releases the GIL while it steps).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.nsys.sqlite import (
    NVTX_DOMAIN_CREATE,
    TABLES,
    corrupt_export,
    factorize_ints,
    open_readonly,
    resolve_table,
)

log = logging.getLogger(__name__)

NULL = np.iinfo(np.int64).min  # SQL NULL as it leaves SQLite in the streamed columns
CHUNK_ROWS = 1_000_000
TENSORRT_DOMAIN = "TensorRT"
OSRT_EVENT_CLASS = 27  # OSRT_API rows nsys' osrt_sum counts (function calls)
NVTX_RANGE_STYLES: dict[int, str] = {59: "PushPop", 60: "StartEnd", 70: "PushPop", 71: "StartEnd"}

# Report -> display title (nsys' own).
REPORTS: dict[str, str] = {
    "cuda_gpu_kern_sum": "CUDA GPU Kernel Summary",
    "cuda_gpu_mem_time_sum": "CUDA GPU MemOps Summary (by Time)",
    "cuda_gpu_mem_size_sum": "CUDA GPU MemOps Summary (by Size)",
    "cuda_api_sum": "CUDA API Summary",
    "nvtx_sum": "NVTX Range Summary",
    "osrt_sum": "OS Runtime Summary",
}
NOT_COMPUTED: dict[str, str] = {
    "nvtx_gpu_proj_sum": (
        "not computed: its projection of nested NVTX ranges onto GPU work (child counts, range levels, "
        "ranges crossing threads) is not published precisely enough to reproduce exactly"
    ),
}
Progress = Callable[[str, int, int], None]


@dataclass
class NsysStats:
    """The ``nsys stats`` summaries of one export (see the module docstring)."""

    path: Path
    reports: dict[str, pd.DataFrame]  # report name -> NSYS_STAT_SUM / NSYS_STAT_SIZE frame (present reports only)
    streams: pd.DataFrame  # NSYS_STREAMS: GPU work per process, device and stream
    missing: dict[str, str] = field(default_factory=dict)  # report -> why it has no frame
    tensorrt: bool = False  # NVTX ranges in the TensorRT domain, or a trtexec process
    tensorrt_evidence: str = ""  # what `tensorrt` rests on, in words
    processes: dict[int, str] = field(default_factory=dict)  # pid -> process name
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows (kernels, memcpy, runtime, nvtx ...)

    @property
    def kernel_count(self) -> int:
        return self.counts.get("kernels", 0)


# ----------------------------------------------------------------------------------------------------
# Streaming columns out of SQLite


def _chunks(
    con: sqlite3.Connection, table: str, exprs: Sequence[str], where: str, chunk: int
) -> Iterator[list[np.ndarray]]:
    """Integer SQL expressions over ``table`` (rows passing ``where``), one rowid chunk at a time, as int64
    arrays (NULL -> :data:`NULL`): one ``group_concat`` string per expression (all aggregates of one SELECT see
    the rows in the same order) that numpy parses."""
    lo, hi = con.execute(f'SELECT min(rowid), max(rowid) FROM "{table}"').fetchone()
    if lo is None:
        return
    cols = ", ".join(f"group_concat(COALESCE(CAST(({e}) AS INTEGER), {NULL}), ',')" for e in exprs)
    sql = f'SELECT count(*), {cols} FROM "{table}" WHERE rowid >= ? AND rowid < ? AND ({where})'
    for start in range(int(lo), int(hi) + 1, chunk):
        row = con.execute(sql, (start, start + chunk)).fetchone()
        n = int(row[0])
        if n == 0:
            continue
        out = []
        for k, blob in enumerate(row[1:]):
            arr = np.fromstring(blob, dtype=np.int64, sep=",") if blob else np.empty(0, np.int64)
            if len(arr) != n:
                raise TrtInspectError(f"table {table}: column {exprs[k]!r} could not be read as integers")
            out.append(arr)
        yield out


def stream_columns(
    con: sqlite3.Connection, table: str, exprs: Sequence[str], *, where: str = "1", chunk: int = CHUNK_ROWS
) -> list[np.ndarray]:
    """Integer SQL expressions over ``table`` as whole int64 arrays (see :func:`_chunks`)."""
    parts: list[list[np.ndarray]] = [[] for _ in exprs]
    for arrays in _chunks(con, table, exprs, where, chunk):
        for k, arr in enumerate(arrays):
            parts[k].append(arr)
    return [np.concatenate(p) if len(p) != 1 else p[0] for p in parts] if parts[0] else [
        np.empty(0, np.int64) for _ in exprs
    ]


class Codes:
    """Small int32 codes for the distinct values (or tuples of values) met chunk by chunk."""

    def __init__(self) -> None:
        self.index: dict[tuple[int, ...], int] = {}
        self.keys: list[tuple[int, ...]] = []

    def add(self, cols: Sequence[np.ndarray]) -> np.ndarray:
        local, uniq = _combine(cols)
        lut = np.empty(len(uniq[0]), dtype=np.int32)
        for i, key in enumerate(zip(*(u.tolist() for u in uniq), strict=True)):
            code = self.index.get(key)
            if code is None:
                code = self.index[key] = len(self.keys)
                self.keys.append(key)
            lut[i] = code
        return lut[local]

    def column(self, j: int) -> np.ndarray:
        """The j-th key column of every code, as int64 (NULL kept as :data:`NULL`)."""
        return np.fromiter((k[j] for k in self.keys), dtype=np.int64, count=len(self.keys))


@dataclass
class Grouped:
    """A table streamed as group codes and values: ``codes[i]`` (int32) indexes ``keys[i].keys``."""

    keys: list[Codes]
    codes: list[np.ndarray]
    values: list[np.ndarray]


def stream_grouped(
    con: sqlite3.Connection,
    table: str,
    groups: Sequence[Sequence[str]],
    values: Sequence[str],
    *,
    where: str = "1",
    chunk: int = CHUNK_ROWS,
) -> Grouped:
    """Stream ``table``: each group of key expressions becomes one int32 code column, each value expression an
    int64 column. Memory: 4 bytes per row per group, 8 per value (the rowid span is reserved, untouched pages
    cost nothing)."""
    lo, hi = con.execute(f'SELECT min(rowid), max(rowid) FROM "{table}"').fetchone()
    span = 0 if lo is None else int(hi) - int(lo) + 1
    keys = [Codes() for _ in groups]
    codes = [np.empty(span, dtype=np.int32) for _ in groups]
    vals = [np.empty(span, dtype=np.int64) for _ in values]
    n = 0
    exprs = [e for g in groups for e in g] + list(values)
    for arrays in _chunks(con, table, exprs, where, chunk):
        m = len(arrays[0])
        k = 0
        for gi, g in enumerate(groups):
            codes[gi][n : n + m] = keys[gi].add(arrays[k : k + len(g)])
            k += len(g)
        for vi in range(len(values)):
            vals[vi][n : n + m] = arrays[k + vi]
        n += m
    return Grouped(keys, [c[:n] for c in codes], [v[:n] for v in vals])


# ----------------------------------------------------------------------------------------------------
# Group statistics


@dataclass
class GroupStats:
    """Per-group statistics of integer values; arrays aligned on ``group`` (the group's code)."""

    group: np.ndarray
    count: np.ndarray
    total: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    stddev: np.ndarray


def group_stats(codes: np.ndarray, values: np.ndarray) -> GroupStats:
    """Statistics of ``values`` per group ``codes`` (small non-negative ints), nsys' definitions.

    Median: middle value, mean of the two middle ones for an even count. StdDev: sample (n - 1), 0 when n = 1,
    computed in two passes around the exact mean. Sums stay integers. One int64 sort of (group, value) packed
    together; temporaries are reused in place so a 10,000,000-row table needs about three 80 MB arrays.
    """
    if len(values) == 0:
        e_i, e_f = np.empty(0, np.int64), np.empty(0, np.float64)
        return GroupStats(e_i, e_i, e_i, e_f, e_f, e_i, e_i, e_f)
    values = np.asarray(values, dtype=np.int64)
    vmin, vmax = int(values.min()), int(values.max())
    gbits = max(1, int(np.max(codes)).bit_length())
    vbits = max(1, (vmax - vmin).bit_length())
    if gbits + vbits <= 62:  # one int64 sort of (group, value) packed together
        v = np.asarray(codes).astype(np.int64)
        v <<= vbits
        v |= (values - vmin) if vmin else values
        v.sort()
        g = v >> vbits
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        groups = g[starts]
        del g
        v &= (1 << vbits) - 1
        if vmin:
            v += vmin
    else:
        order = np.lexsort((values, codes))
        g, v = np.asarray(codes, dtype=np.int64)[order], values[order]
        del order
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        groups = g[starts]
        del g
    n = np.diff(np.r_[starts, len(v)])
    total = np.add.reduceat(v, starts)
    mean = total / n
    lo, hi = v[starts + (n - 1) // 2], v[starts + n // 2]
    median = lo + (hi - lo) / 2.0
    ss = _squared_deviations(v, starts, n, mean)
    std = np.sqrt(np.divide(ss, n - 1, out=np.zeros_like(ss), where=n > 1))
    return GroupStats(groups, n, total, mean, median, v[starts], v[starts + n - 1], std)


def _squared_deviations(v: np.ndarray, starts: np.ndarray, n: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Sum of (v - mean of its group)^2 per group; few groups: one segment at a time (no full-size temporary)."""
    if len(starts) <= 256:
        out = np.empty(len(starts), dtype=np.float64)
        for i, (s, m) in enumerate(zip(starts.tolist(), n.tolist(), strict=True)):
            seg = v[s : s + m] - mean[i]
            out[i] = float(np.dot(seg, seg))
        return out
    dev = v - np.repeat(mean, n)
    dev *= dev
    return np.add.reduceat(dev, starts)


def round1(x: np.ndarray | pd.Series) -> np.ndarray:
    """Round to one decimal half away from zero, as SQLite's ``round(x, 1)`` does in nsys' report SQL."""
    a = np.asarray(x, dtype=np.float64)
    return np.sign(a) * np.floor(np.abs(a) * 10.0 + 0.5) / 10.0


def _combine(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """One small-int code per row for a tuple of int key columns; and each column's value per code."""
    inverse_parts = [factorize_ints(k) for k in keys]
    code = np.zeros(len(keys[0]), dtype=np.int64)
    for uniq, inv in inverse_parts:
        code = code * len(uniq) + inv
    uniq_code, code = factorize_ints(code)
    values: list[np.ndarray] = []
    rem = uniq_code.copy()
    for uniq, _ in reversed(inverse_parts):
        values.append(uniq[rem % len(uniq)])
        rem //= len(uniq)
    return code, list(reversed(values))


def _sum_frame(
    report: str,
    names: Sequence[Any],
    st: GroupStats,
    *,
    styles: Sequence[Any] | None = None,
    scope: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """An NSYS_STAT_SUM frame from per-group stats (``names[i]`` names group code ``i``)."""
    grand = float(st.total.sum())
    frame = pd.DataFrame(
        {
            "report": report,
            "name": [names[int(g)] for g in st.group],
            "style": [styles[int(g)] for g in st.group] if styles is not None else None,
            "time_pct": round1(st.total * 100.0 / grand) if grand else np.nan,
            "total_ns": st.total,
            "instances": st.count,
            "avg_ns": round1(st.mean),
            "median_ns": round1(st.median),
            "min_ns": st.minimum,
            "max_ns": st.maximum,
            "stddev_ns": round1(st.stddev),
        }
    )
    for col in ("pid", "device_id", "stream_id"):
        frame[col] = (scope or {}).get(col, pd.NA)
    frame = frame.sort_values(["total_ns", "instances", "name"], ascending=[False, True, True], kind="stable")
    frame = frame.reset_index(drop=True).reindex(columns=list(schema.NSYS_STAT_SUM))
    return schema.conform(frame, schema.NSYS_STAT_SUM)


# ----------------------------------------------------------------------------------------------------
# Reports


@dataclass
class _Ctx:
    path: Path
    tables: dict[str, str]  # logical name (TABLES keys + osrt) -> table in the file
    strings: dict[int, str]
    by: tuple[str, ...]


def _strings(con: sqlite3.Connection, table: str | None, ids: np.ndarray) -> dict[int, str]:
    if table is None or len(ids) == 0:
        return {}
    wanted = [int(i) for i in ids if i != NULL]
    out: dict[int, str] = {}
    for k in range(0, len(wanted), 500):
        part = wanted[k : k + 500]
        sql = f'SELECT id, value FROM "{table}" WHERE id IN ({",".join("?" * len(part))})'
        out.update({int(i): str(v) for i, v in con.execute(sql, part)})
    return out


SCOPE_EXPRS: dict[str, str] = {
    "pid": "(globalPid >> 24) & 16777215",
    "device_id": "deviceId",
    "stream_id": "streamId",
}
SCOPE_COLUMNS: dict[str, str] = {"pid": "globalPid", "device_id": "deviceId", "stream_id": "streamId"}


def _scope_exprs(cols: dict[str, str]) -> list[str]:
    return [SCOPE_EXPRS[k] if c in cols else "NULL" for k, c in SCOPE_COLUMNS.items()]


def _names_from_strings(
    con: sqlite3.Connection, ctx: _Ctx, transform: Callable[[str | None], Any] | None = None
) -> Callable[[np.ndarray], list[Any]]:
    def names(ids: np.ndarray) -> list[Any]:
        found = _strings(con, ctx.tables.get("strings"), ids)
        out = [found.get(int(i)) for i in ids]
        return [transform(n) for n in out] if transform is not None else out

    return names


def _keyed_frame(
    report: str,
    keys: Codes,
    codes: np.ndarray,
    values: np.ndarray,
    name_of: Callable[[np.ndarray], list[Any]],
    scope: Sequence[str] = (),
) -> pd.DataFrame:
    """NSYS_STAT_SUM rows of ``values`` grouped by ``codes``: key column 0 names the group (through
    ``name_of``), columns 1.. are the ``scope`` columns (pid / device_id / stream_id) when summarised per scope."""
    st = group_stats(codes, values)
    names = name_of(keys.column(0)[st.group])
    scoped: dict[str, np.ndarray] = {}
    for i, col in enumerate(scope):
        vals = keys.column(i + 1)[st.group]
        scoped[col] = np.where(vals == NULL, -1, vals)
    frame = _sum_frame(report, names, GroupStats(np.arange(len(st.group)), *_rest(st)), scope=scoped)
    for col in scope:
        frame.loc[frame[col] == -1, col] = pd.NA
    return frame


def _rest(st: GroupStats) -> tuple[np.ndarray, ...]:
    return (st.count, st.total, st.mean, st.median, st.minimum, st.maximum, st.stddev)


@dataclass
class _Pass:
    """What one scan of one table gives: report frames and this table's part of the stream overview."""

    reports: dict[str, pd.DataFrame] = field(default_factory=dict)
    streams: pd.DataFrame | None = None


def _stream_part(prefix: str, keys: Codes, codes: np.ndarray, dur: np.ndarray, nbytes: np.ndarray | None
                 ) -> pd.DataFrame:
    """count, summed duration (and bytes) per (pid, device, stream) code."""
    n = len(keys.keys)
    data: dict[str, Any] = {
        "pid": _nullable_ints(keys.column(0)),
        "device_id": _nullable_ints(keys.column(1)),
        "stream_id": _nullable_ints(keys.column(2)),
        f"{prefix}s": np.bincount(codes, minlength=n).astype(np.int64),
        f"{prefix}_ns": _exact_bincount(codes, dur, n),
    }
    if nbytes is not None:
        data[f"{prefix}_bytes"] = _exact_bincount(codes, np.where(nbytes == NULL, 0, nbytes), n)
    return pd.DataFrame(data)


def _exact_bincount(code: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Integer sums per code; float64 accumulation is exact below 2**53, else an integer np.add.at."""
    if len(values) and float(np.abs(values).max()) * len(values) >= 2.0**53:
        exact = np.zeros(n, dtype=np.int64)
        np.add.at(exact, code, values)
        return exact
    return np.rint(np.bincount(code, weights=values, minlength=n)).astype(np.int64)


def _nullable_ints(a: np.ndarray) -> pd.arrays.IntegerArray:
    a = np.ascontiguousarray(a, dtype=np.int64)
    return pd.arrays.IntegerArray(a, a == NULL)


def _kernel_pass(con: sqlite3.Connection, ctx: _Ctx) -> _Pass:
    table = ctx.tables["kernels"]
    cols = _column_types(con, table)
    name_col = "demangledName" if "demangledName" in cols else "shortName"
    if "CHAR" in cols.get(name_col, "") or cols.get(name_col) == "TEXT":
        raise TrtInspectError(f"{table}.{name_col} holds inline text; this export layout is not summarised")
    scope = _scope_exprs(cols)
    by = [scope[list(SCOPE_COLUMNS).index(b)] for b in ctx.by]
    g = stream_grouped(con, table, [[f'"{name_col}"', *by], scope], ['"end" - "start"'])
    dur = g.values[0]
    frame = _keyed_frame("cuda_gpu_kern_sum", g.keys[0], g.codes[0], dur, _names_from_strings(con, ctx), ctx.by)
    return _Pass({"cuda_gpu_kern_sum": frame}, _stream_part("kernel", g.keys[1], g.codes[1], dur, None))


def api_display_name(raw: str | None) -> str | None:
    """nsys' cuda_api_sum name: a 6-character ``_v<4 digits>`` version suffix is dropped
    (``cudaLaunchKernel_v7000`` -> ``cudaLaunchKernel``; ``cudaStreamIsCapturing_v10000`` stays)."""
    if raw is None:
        return None
    return raw[:-6] if len(raw) >= 6 and raw[-6:-4] == "_v" else raw


def _api_pass(con: sqlite3.Connection, ctx: _Ctx) -> _Pass:
    g = stream_grouped(con, ctx.tables["runtime"], [['"nameId"']], ['"end" - "start"'])
    names = _names_from_strings(con, ctx, api_display_name)
    return _Pass({"cuda_api_sum": _keyed_frame("cuda_api_sum", g.keys[0], g.codes[0], g.values[0], names)})


def _osrt_pass(con: sqlite3.Connection, ctx: _Ctx) -> _Pass:
    g = stream_grouped(
        con, ctx.tables["osrt"], [['"nameId"']], ['"end" - "start"'], where=f'"eventClass" = {OSRT_EVENT_CLASS}'
    )
    names = _names_from_strings(con, ctx)
    return _Pass({"osrt_sum": _keyed_frame("osrt_sum", g.keys[0], g.codes[0], g.values[0], names)})


def _memcpy_labels(con: sqlite3.Connection, ctx: _Ctx) -> dict[int, str]:
    table = ctx.tables.get("memcpy_enum")
    if table is None:
        return {}
    label = "label" if "label" in _column_types(con, table) else "name"
    return {int(i): str(v) for i, v in con.execute(f'SELECT id, "{label}" FROM "{table}"')}


def _memops_pass(con: sqlite3.Connection, ctx: _Ctx) -> _Pass:
    """cuda_gpu_mem_time_sum and cuda_gpu_mem_size_sum: memcpy rows inner-joined on the file's copy-kind enum
    (``[CUDA memcpy <label>]``, as nsys), then memset rows (``[CUDA memset]``); one scan of each table."""
    codes: list[np.ndarray] = []
    durs: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    names: list[Any] = []
    parts: list[pd.DataFrame] = []
    for logical in ("memcpy", "memset"):
        table = ctx.tables.get(logical)
        if table is None:
            continue
        cols = _column_types(con, table)
        kind = ['"copyKind"'] if logical == "memcpy" else ["0"]
        g = stream_grouped(con, table, [kind, _scope_exprs(cols)],
                           ['"end" - "start"', '"bytes"' if "bytes" in cols else "0"])
        dur, nbytes = g.values
        parts.append(_stream_part(logical, g.keys[1], g.codes[1], dur, nbytes))
        if logical == "memcpy":
            labels = _memcpy_labels(con, ctx)
            lut = np.full(len(g.keys[0].keys), -1, dtype=np.int64)
            for i, k in enumerate(g.keys[0].column(0).tolist()):
                if k in labels:
                    lut[i] = len(names)
                    names.append(f"[CUDA memcpy {labels[k]}]")
            row = lut[g.codes[0]]
            known = row >= 0
            codes.append(row[known])
            durs.append(dur[known])
            sizes.append(nbytes[known])
        else:
            codes.append(np.full(len(dur), len(names), dtype=np.int64))
            durs.append(dur)
            sizes.append(nbytes)
            names.append("[CUDA memset]")
    code = np.concatenate(codes) if codes else np.empty(0, np.int64)
    dur_all = np.concatenate(durs) if durs else code
    by_time = _sum_frame("cuda_gpu_mem_time_sum", names, group_stats(code, dur_all))
    by_time = by_time.sort_values("total_ns", ascending=False, kind="stable", ignore_index=True)
    return _Pass(
        {"cuda_gpu_mem_time_sum": by_time, "cuda_gpu_mem_size_sum": _size_frame(code, sizes, names)},
        _merge_parts(parts),
    )


def _size_frame(code: np.ndarray, sizes: list[np.ndarray], names: list[Any]) -> pd.DataFrame:
    st = group_stats(code, np.concatenate(sizes) if sizes else code)
    frame = pd.DataFrame(
        {
            "report": "cuda_gpu_mem_size_sum",
            "name": [names[int(g)] for g in st.group],
            "total_bytes": st.total,
            "count": st.count,
            "avg_bytes": st.mean,
            "median_bytes": st.median,
            "min_bytes": st.minimum,
            "max_bytes": st.maximum,
            "stddev_bytes": st.stddev,
        }
    )
    frame = frame.sort_values("total_bytes", ascending=False, kind="stable", ignore_index=True)
    return schema.conform(frame.reindex(columns=list(schema.NSYS_STAT_SIZE)), schema.NSYS_STAT_SIZE)


def _merge_parts(parts: list[pd.DataFrame]) -> pd.DataFrame | None:
    merged: pd.DataFrame | None = None
    for part in parts:
        merged = part if merged is None else merged.merge(part, on=KEYS3, how="outer")
    return merged


def _nvtx_pass(con: sqlite3.Connection, ctx: _Ctx) -> _Pass:
    return _Pass({"nvtx_sum": _nvtx_sum(con, ctx)})


def _nvtx_domains(con: sqlite3.Connection, table: str) -> dict[tuple[int, int], list[str | None]]:
    """(domainId, process bits of globalTid) -> domain names, as nsys' ``domains`` CTE: one row per
    (domainId, globalTid) creation, text of its earliest event; joined on the process bits of the thread."""
    sql = (
        f'SELECT domainId, globalTid, text, min(start) FROM "{table}" '
        f"WHERE eventType = {NVTX_DOMAIN_CREATE} GROUP BY domainId, globalTid"
    )
    out: dict[tuple[int, int], list[str | None]] = {}
    for dom, gtid, text, _ in con.execute(sql):
        if dom is None or gtid is None:
            continue
        out.setdefault((int(dom), int(gtid) & 0xFFFFFF000000), []).append(text)
    return out


def _nvtx_sum(con: sqlite3.Connection, ctx: _Ctx) -> pd.DataFrame:
    """nvtx_sum: push/pop and start/end ranges grouped by (``domain:text`` or text, style); an open range
    ends at the last NVTX timestamp of the file. Text: StringIds[textId] first, else the inline text."""
    table = ctx.tables["nvtx"]
    styles = ",".join(str(t) for t in NVTX_RANGE_STYLES)
    maxts = con.execute(f'SELECT max(max(start), max("end")) FROM "{table}"').fetchone()[0]
    has_text = "text" in _column_types(con, table)
    text_expr = "NULL"
    if has_text:
        con.execute("DROP TABLE IF EXISTS temp.trtinspect_nvtx_text")
        con.execute(
            "CREATE TEMP TABLE trtinspect_nvtx_text AS SELECT DISTINCT text AS t FROM "
            f'"{table}" WHERE text IS NOT NULL AND eventType IN ({styles})'
        )
        con.execute("CREATE UNIQUE INDEX temp.trtinspect_nvtx_text_t ON trtinspect_nvtx_text(t)")
        text_expr = (f'CASE WHEN "{table}".text IS NULL THEN NULL ELSE '
                     f'(SELECT rowid FROM temp.trtinspect_nvtx_text WHERE t = "{table}".text) END')
    g = stream_grouped(
        con,
        table,
        [["eventType", "domainId", "globalTid & 0xFFFFFF000000", "textId", text_expr]],  # process bits: VM id, pid
        [f'COALESCE("end", {int(maxts or 0)}) - start'],
        where=f"eventType IN ({styles})",
    )
    code, dur = g.codes[0], g.values[0]
    u_etype, u_dom, u_proc, u_tid, u_trow = (g.keys[0].column(j) for j in range(5))
    domains = _nvtx_domains(con, table)
    # Rows whose (domain, process) was created more than once join every creation, as in nsys' SQL.
    strings = _strings(con, ctx.tables.get("strings"), np.unique(u_tid))
    inline: dict[int, str] = {}
    if has_text:
        wanted = sorted({int(r) for r in u_trow if r != NULL})
        for k in range(0, len(wanted), 500):
            part = wanted[k : k + 500]
            q = f"SELECT rowid, t FROM temp.trtinspect_nvtx_text WHERE rowid IN ({','.join('?' * len(part))})"
            inline.update({int(r): str(t) for r, t in con.execute(q, part)})
    tags: list[tuple[Any, str]] = []  # per raw key: (tag, style); duplicated keys add more entries
    copies: list[list[int]] = []
    for i in range(len(u_etype)):
        text = strings.get(int(u_tid[i])) if u_tid[i] != NULL else None
        if text is None and u_trow[i] != NULL:
            text = inline.get(int(u_trow[i]))
        created = domains.get((int(u_dom[i]), int(u_proc[i])), []) if u_dom[i] != NULL and u_proc[i] != NULL else []
        names: list[str | None] = list(created) or [None]
        style = NVTX_RANGE_STYLES.get(int(u_etype[i]), "Unknown")
        idx = []
        for dname in names:
            # SQL: domain || ':' || text is NULL when the text is NULL
            tag = text if dname is None else (f"{dname}:{text}" if text is not None else None)
            idx.append(len(tags))
            tags.append((tag, style))
        copies.append(idx)
    final_codes, final_vals = _expand(code, dur, copies)
    pairs = pd.MultiIndex.from_tuples(tags, names=["tag", "style"]) if tags else None
    if pairs is None:
        return schema.empty_frame(schema.NSYS_STAT_SUM)
    group_of_tag, uniq_pairs = pd.factorize(pairs)
    st = group_stats(np.asarray(group_of_tag, dtype=np.int64)[final_codes], final_vals)
    return _sum_frame(
        "nvtx_sum",
        [p[0] for p in uniq_pairs],
        st,
        styles=[p[1] for p in uniq_pairs],
    )


def _expand(code: np.ndarray, values: np.ndarray, copies: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of raw key ``c`` become one row per entry of ``copies[c]`` (usually exactly one)."""
    first = np.array([c[0] for c in copies], dtype=np.int64)
    if all(len(c) == 1 for c in copies):
        return first[code], values
    out_c, out_v = [first[code]], [values]
    for k, c in enumerate(copies):
        for extra in c[1:]:
            sel = code == k
            out_c.append(np.full(int(sel.sum()), extra, dtype=np.int64))
            out_v.append(values[sel])
    return np.concatenate(out_c), np.concatenate(out_v)


# ----------------------------------------------------------------------------------------------------
# Per process / device / stream overview


KEYS3 = ["pid", "device_id", "stream_id"]


def _merge_streams(parts: list[pd.DataFrame], processes: dict[int, str]) -> pd.DataFrame:
    """GPU work per (process, device, stream) from each table's part."""
    merged = _merge_parts(parts)
    if merged is None or merged.empty:
        return schema.empty_frame(schema.NSYS_STREAMS)
    merged["process"] = merged["pid"].map(processes)
    busy = [c for c in ("kernel_ns", "memcpy_ns", "memset_ns") if c in merged]
    merged["gpu_ns"] = merged[busy].fillna(0).sum(axis=1)
    merged = merged.sort_values(KEYS3, kind="stable", ignore_index=True)
    return schema.conform(merged.reindex(columns=list(schema.NSYS_STREAMS)), schema.NSYS_STREAMS)


def ctx_processes(con: sqlite3.Connection, ctx: _Ctx) -> dict[int, str]:
    table = ctx.tables.get("processes")
    if table is None or not {"pid", "name"} <= set(_column_types(con, table)):
        return {}
    return {int(p): str(n) for p, n in con.execute(f'SELECT pid, name FROM "{table}"') if p is not None}


# ----------------------------------------------------------------------------------------------------
# TensorRT activity


def tensorrt_activity(
    con: sqlite3.Connection, tables: dict[str, str], processes: dict[int, str]
) -> tuple[bool, str]:
    """(any TensorRT activity, the evidence in words): NVTX ranges in the ``TensorRT`` domain, or a process
    named ``trtexec``. Neither: the export is not evidence about a TensorRT engine."""
    nvtx = tables.get("nvtx")
    if nvtx is not None:
        sql = (
            f'SELECT count(*) FROM "{nvtx}" AS e JOIN (SELECT DISTINCT domainId AS d, '
            f'globalTid & 0xFFFFFF000000 AS p FROM "{nvtx}" WHERE eventType = {NVTX_DOMAIN_CREATE} AND text = ?) '
            "AS dom "
            "ON e.domainId = dom.d AND (e.globalTid & 0xFFFFFF000000) = dom.p "
            f"WHERE e.eventType IN ({','.join(str(t) for t in NVTX_RANGE_STYLES)})"
        )
        n = int(con.execute(sql, (TENSORRT_DOMAIN,)).fetchone()[0])
        if n:
            return True, f"{n:,} NVTX ranges in the {TENSORRT_DOMAIN} domain"
    trtexec = sorted(pid for pid, name in processes.items() if Path(name).name.startswith("trtexec"))
    if trtexec:
        return True, f"trtexec process(es) {', '.join(map(str, trtexec))} (no {TENSORRT_DOMAIN} NVTX ranges)"
    return False, f"no NVTX ranges in the {TENSORRT_DOMAIN} domain and no trtexec process"


def has_tensorrt_activity(path: Path) -> bool:
    """:func:`tensorrt_activity` of an export file (a few small queries; False for what is not an export)."""
    con = open_readonly(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        found = {k: t for k, cands in TABLES.items() if (t := resolve_table(names, cands)) is not None}
        ctx = _Ctx(path=path, tables=found, strings={}, by=())
        return tensorrt_activity(con, found, ctx_processes(con, ctx))[0]
    except sqlite3.DatabaseError:
        return False
    finally:
        con.close()


# ----------------------------------------------------------------------------------------------------
# Entry point


def _column_types(con: sqlite3.Connection, table: str) -> dict[str, str]:
    return {row[1]: (row[2] or "").upper() for row in con.execute(f'PRAGMA table_info("{table}")')}


# One scan per table: table (logical name) -> (reports it yields, pass).
PASSES: dict[str, tuple[tuple[str, ...], Callable[[sqlite3.Connection, _Ctx], _Pass]]] = {
    "kernels": (("cuda_gpu_kern_sum",), _kernel_pass),
    "runtime": (("cuda_api_sum",), _api_pass),
    "nvtx": (("nvtx_sum",), _nvtx_pass),
    "memops": (("cuda_gpu_mem_time_sum", "cuda_gpu_mem_size_sum"), _memops_pass),
    "osrt": (("osrt_sum",), _osrt_pass),
}
WHY_MISSING: dict[str, str] = {
    "kernels": "no CUPTI_ACTIVITY_KIND_KERNEL table (profile with --trace=cuda)",
    "memops": "no CUPTI_ACTIVITY_KIND_MEMCPY / _MEMSET table",
    "runtime": "no CUPTI_ACTIVITY_KIND_RUNTIME table (profile with --trace=cuda)",
    "nvtx": "no NVTX_EVENTS table (profile with --trace=nvtx)",
    "osrt": "no OSRT_API table (profile with --trace=osrt)",
}


def _run_pass(path: Path, ctx: _Ctx, table: str) -> _Pass:
    con = open_readonly(path)
    try:
        return PASSES[table][1](con, ctx)
    finally:
        con.close()


def summarise(path: str | Path, *, by: Sequence[str] = (), workers: int = 2, export: Any = None) -> NsysStats:
    """The ``nsys stats`` summaries of an export (see the module docstring).

    ``by``: any of ``pid``, ``device_id``, ``stream_id`` to split cuda_gpu_kern_sum rows further (nsys itself
    groups by name only; the default reproduces it). ``export``: the file's
    :class:`~trtinspect.parsers.nsys.sqlite.NsysExport` when already read (for attribution): the kernel, API and
    memory summaries then come from its frames instead of a second scan. Raises :class:`TrtInspectError` on bad
    input.
    """
    p = Path(path)
    bad = set(by) - set(SCOPE_EXPRS)
    if bad:
        raise ValueError(f"by: unknown {sorted(bad)}; choose from {sorted(SCOPE_EXPRS)}")
    con = open_readonly(p)
    try:
        return _summarise(con, p, tuple(by), workers, export)
    except sqlite3.DatabaseError as exc:
        raise corrupt_export(p, exc) from None
    finally:
        con.close()


def _summarise(con: sqlite3.Connection, p: Path, by: tuple[str, ...], workers: int, export: Any) -> NsysStats:
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
    found = {k: t for k, cands in TABLES.items() if (t := resolve_table(names, cands)) is not None}
    if (osrt := resolve_table(names, ("OSRT_API",))) is not None:
        found["osrt"] = osrt
    if "StringIds" not in names and "META_DATA_EXPORT" not in names:
        raise TrtInspectError("is an SQLite database but not an nsys export", path=p)
    ctx = _Ctx(path=p, tables=found, strings={}, by=by)
    counts: dict[str, int] = {k: int(con.execute(f'SELECT count(*) FROM "{found[k]}"').fetchone()[0])
              for k in ("kernels", "memcpy", "memset", "runtime", "nvtx", "osrt") if k in found}
    missing: dict[str, str] = dict(NOT_COMPUTED)
    todo: list[str] = []
    for table, (reports_of, _) in PASSES.items():
        present = ("memcpy" in found or "memset" in found) if table == "memops" else table in found
        if present:
            todo.append(table)
        else:
            missing.update({r: WHY_MISSING[table] for r in reports_of})
    pre: dict[str, _Pass] = {}
    if export is not None and not by:
        pre = passes_from_export(export, _memcpy_labels(con, ctx))
        todo = [t for t in todo if t not in pre]
    # the largest tables first, so the two workers finish together
    todo.sort(key=lambda t: -counts.get(t, counts.get("memcpy", 0) + counts.get("memset", 0)))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        passes = [pool.submit(_run_pass, p, ctx, t) for t in todo]
        results = [*pre.values(), *(f.result() for f in passes)]
    reports = {name: frame for r in results for name, frame in r.reports.items()}
    reports = {name: reports[name] for name in REPORTS if name in reports}  # nsys' order
    for r in [r for r, frame in reports.items() if frame.empty]:
        del reports[r]
        missing[r] = "no rows: the export has the table but no events of this kind"
    processes = ctx_processes(con, ctx)
    streams = _merge_streams([r.streams for r in results if r.streams is not None], processes)
    trt, evidence = tensorrt_activity(con, found, processes)
    log.debug("summarised %s: %s", p, {r: len(f) for r, f in reports.items()})
    return NsysStats(
        path=p,
        reports=reports,
        streams=streams,
        missing=missing,
        tensorrt=trt,
        tensorrt_evidence=evidence,
        processes=processes,
        counts=counts,
    )


# ----------------------------------------------------------------------------------------------------
# Plain data for reports


def _records(frame: pd.DataFrame, drop: Sequence[str] = ()) -> list[dict[str, Any]]:
    out = []
    for rec in frame.drop(columns=[c for c in drop if c in frame]).to_dict("records"):
        out.append({k: (None if v is pd.NA or (isinstance(v, float) and np.isnan(v)) else _plain(v))
                    for k, v in rec.items()})
    return out


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def report_section(stats: NsysStats, top: int) -> dict[str, Any]:
    """JSON-ready summary of ``stats`` for ``report``: the first ``top`` rows of each report (nsys' order),
    the per process / device / stream overview, and which reports are absent and why."""
    reports: dict[str, Any] = {}
    for name, frame in stats.reports.items():
        drop = ["report"]
        if name != "nvtx_sum":
            drop.append("style")
        if frame.empty or frame.get("pid", pd.Series(dtype="Int64")).isna().all():
            drop += ["pid", "device_id", "stream_id"]
        reports[name] = {
            "title": REPORTS[name],
            "rows": _records(frame.head(top), drop),
            "total_rows": len(frame),
        }
    return {
        "tensorrt_activity": stats.tensorrt,
        "tensorrt_evidence": stats.tensorrt_evidence,
        "counts": dict(stats.counts),
        "reports": reports,
        "not_available": dict(stats.missing),
        "streams": _records(stats.streams),
    }


# ----------------------------------------------------------------------------------------------------
# The same passes from frames already loaded (an export read for attribution): no second scan


def _cat_codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Category codes of ``values`` (NA -> an extra group named None) and the name of each code."""
    cat = values.astype("category")
    codes = np.asarray(cat.cat.codes, dtype=np.int64)
    names: list[Any] = [str(c) for c in cat.cat.categories]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(names), codes)
        names.append(None)
    return codes, names


def _ints(values: pd.Series) -> np.ndarray:
    return values.astype("Int64").to_numpy(dtype=np.int64, na_value=NULL)


def _frame_scope_part(prefix: str, frame: pd.DataFrame, dur: np.ndarray, nbytes: np.ndarray | None) -> pd.DataFrame:
    keys = Codes()
    code = keys.add([_ints(frame["pid"]), _ints(frame["device_id"]), _ints(frame["stream_id"])])
    return _stream_part(prefix, keys, code, dur, nbytes)


def passes_from_export(export: Any, labels: dict[int, str]) -> dict[str, _Pass]:
    """kernels, runtime and memops passes computed from an :class:`~trtinspect.parsers.nsys.sqlite.NsysExport`
    (same rows, grouping and statistics as the SQL passes; NVTX and OS runtime still come from SQL: their
    grouping differs from the export's frames)."""
    out: dict[str, _Pass] = {}
    if "kernels" in export.tables_present:
        k = export.kernels
        codes, names = _cat_codes(k["name"])
        dur = k["duration_ns"].to_numpy(dtype=np.int64)
        frame = _sum_frame("cuda_gpu_kern_sum", names, group_stats(codes, dur))
        out["kernels"] = _Pass({"cuda_gpu_kern_sum": frame}, _frame_scope_part("kernel", k, dur, None))
    if "runtime" in export.tables_present:
        r = export.runtime
        codes, names = _cat_codes(r["name"])
        frame = _sum_frame("cuda_api_sum", [api_display_name(n) for n in names],
                           group_stats(codes, r["duration_ns"].to_numpy(dtype=np.int64)))
        out["runtime"] = _Pass({"cuda_api_sum": frame})
    if "memcpy" in export.tables_present or "memset" in export.tables_present:
        out["memops"] = _memops_from_frame(export.memops, labels)
    return out


def _memops_from_frame(m: pd.DataFrame, labels: dict[int, str]) -> _Pass:
    names: list[Any] = []
    codes: list[np.ndarray] = []
    durs: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    parts: list[pd.DataFrame] = []
    op = m["op"].astype(str).to_numpy()
    for logical in ("memcpy", "memset"):
        sub = m[op == logical]
        if sub.empty:
            continue
        dur = sub["duration_ns"].to_numpy(dtype=np.int64)
        nbytes = _ints(sub["bytes"])
        parts.append(_frame_scope_part(logical, sub, dur, nbytes))
        if logical == "memcpy":
            kind = _ints(sub["copy_kind"])
            row = np.full(len(sub), -1, dtype=np.int64)
            for k in sorted({int(x) for x in np.unique(kind)} & set(labels)):
                row[kind == k] = len(names)
                names.append(f"[CUDA memcpy {labels[k]}]")
            known = row >= 0
            codes.append(row[known])
            durs.append(dur[known])
            sizes.append(nbytes[known])
        else:
            codes.append(np.full(len(sub), len(names), dtype=np.int64))
            durs.append(dur)
            sizes.append(nbytes)
            names.append("[CUDA memset]")
    code = np.concatenate(codes) if codes else np.empty(0, np.int64)
    by_time = _sum_frame("cuda_gpu_mem_time_sum", names, group_stats(code, np.concatenate(durs) if durs else code))
    by_time = by_time.sort_values("total_ns", ascending=False, kind="stable", ignore_index=True)
    return _Pass(
        {"cuda_gpu_mem_time_sum": by_time, "cuda_gpu_mem_size_sum": _size_frame(code, sizes, names)},
        _merge_parts(parts),
    )

"""Shared machinery of the ``nsys stats`` summaries: integer columns streamed out of SQLite, group codes,
nsys' group statistics, and the frames every summary family builds (see :mod:`trtinspect.parsers.nsys.stats`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.nsys.sqlite import factorize_ints

NULL = np.iinfo(np.int64).min  # SQL NULL as it leaves SQLite in the streamed columns
CHUNK_ROWS = 1_000_000
KEYS3 = ["pid", "device_id", "stream_id"]

# ----------------------------------------------------------------------------------------------------
# Streaming columns out of SQLite


def chunks(
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


def rowid_span(con: sqlite3.Connection, table: str) -> int:
    lo, hi = con.execute(f'SELECT min(rowid), max(rowid) FROM "{table}"').fetchone()
    return 0 if lo is None else int(hi) - int(lo) + 1


def stream_columns(
    con: sqlite3.Connection, table: str, exprs: Sequence[str], *, where: str = "1", chunk: int = CHUNK_ROWS
) -> list[np.ndarray]:
    """Integer SQL expressions over ``table`` as whole int64 arrays (see :func:`chunks`), filled into arrays
    reserved for the rowid span (untouched pages cost nothing), so no column is ever held twice."""
    span = rowid_span(con, table)
    out = [np.empty(span, dtype=np.int64) for _ in exprs]
    n = 0
    for arrays in chunks(con, table, exprs, where, chunk):
        m = len(arrays[0])
        for k, arr in enumerate(arrays):
            out[k][n : n + m] = arr
        n += m
    return [a[:n] for a in out]


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
    for arrays in chunks(con, table, exprs, where, chunk):
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


def sum_frame(
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
# Report helpers


@dataclass
class Ctx:
    path: Path
    tables: dict[str, str]  # logical name (TABLES keys + osrt) -> table in the file
    strings: dict[int, str]
    by: tuple[str, ...]


def strings_by_id(con: sqlite3.Connection, table: str | None, ids: np.ndarray) -> dict[int, str]:
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


def scope_exprs(cols: dict[str, str]) -> list[str]:
    return [SCOPE_EXPRS[k] if c in cols else "NULL" for k, c in SCOPE_COLUMNS.items()]


def names_from_strings(
    con: sqlite3.Connection, ctx: Ctx, transform: Callable[[str | None], Any] | None = None
) -> Callable[[np.ndarray], list[Any]]:
    def names(ids: np.ndarray) -> list[Any]:
        found = strings_by_id(con, ctx.tables.get("strings"), ids)
        out = [found.get(int(i)) for i in ids]
        return [transform(n) for n in out] if transform is not None else out

    return names


def keyed_frame(
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
    frame = sum_frame(report, names, GroupStats(np.arange(len(st.group)), *_rest(st)), scope=scoped)
    for col in scope:
        frame.loc[frame[col] == -1, col] = pd.NA
    return frame


def _rest(st: GroupStats) -> tuple[np.ndarray, ...]:
    return (st.count, st.total, st.mean, st.median, st.minimum, st.maximum, st.stddev)


@dataclass
class Pass:
    """What one scan of one table gives: report frames and this table's part of the stream overview."""

    reports: dict[str, pd.DataFrame] = field(default_factory=dict)
    streams: pd.DataFrame | None = None


def stream_part(prefix: str, keys: Codes, codes: np.ndarray, dur: np.ndarray, nbytes: np.ndarray | None
                 ) -> pd.DataFrame:
    """count, summed duration (and bytes) per (pid, device, stream) code."""
    n = len(keys.keys)
    data: dict[str, Any] = {
        "pid": nullable_ints(keys.column(0)),
        "device_id": nullable_ints(keys.column(1)),
        "stream_id": nullable_ints(keys.column(2)),
        f"{prefix}s": np.bincount(codes, minlength=n).astype(np.int64),
        f"{prefix}_ns": exact_bincount(codes, dur, n),
    }
    if nbytes is not None:
        data[f"{prefix}_bytes"] = exact_bincount(codes, np.where(nbytes == NULL, 0, nbytes), n)
    return pd.DataFrame(data)


def exact_bincount(code: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Integer sums per code; float64 accumulation is exact below 2**53, else an integer np.add.at."""
    if len(values) and float(np.abs(values).max()) * len(values) >= 2.0**53:
        exact = np.zeros(n, dtype=np.int64)
        np.add.at(exact, code, values)
        return exact
    return np.rint(np.bincount(code, weights=values, minlength=n)).astype(np.int64)


def nullable_ints(a: np.ndarray) -> pd.arrays.IntegerArray:
    a = np.ascontiguousarray(a, dtype=np.int64)
    return pd.arrays.IntegerArray(a, a == NULL)



def size_frame(code: np.ndarray, sizes: list[np.ndarray], names: list[Any]) -> pd.DataFrame:
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


def merge_parts(parts: list[pd.DataFrame]) -> pd.DataFrame | None:
    merged: pd.DataFrame | None = None
    for part in parts:
        merged = part if merged is None else merged.merge(part, on=KEYS3, how="outer")
    return merged


def column_types(con: sqlite3.Connection, table: str) -> dict[str, str]:
    return {row[1]: (row[2] or "").upper() for row in con.execute(f'PRAGMA table_info("{table}")')}

"""``nvtx_gpu_proj_sum``: NVTX ranges projected from the CPU onto the GPU work launched inside them.

Definition (nsys' ``nvtx_gpu_proj_trace`` report SQL, summarised by name and style as ``nvtx_gpu_proj_sum``):

* **Ranges**: NVTX push/pop and start/end ranges (eventType 59, 60, 70, 71) that end on the thread that started
  them (``endGlobalTid IS NULL``); an open range ends at the last timestamp of the file's NVTX ranges. Name =
  ``<domain>:<text>`` (domain name from the domain-create event of the same process, ``""`` for the default
  domain, so ``:step``; text ``StringIds[textId]`` before the inline ``text``).
* **GPU operations**: kernels, memcpys and memsets, each joined to the CUDA API call that launched it on
  ``correlationId`` and the process (``globalPid`` = the call's ``globalTid`` without its thread bits).
* **Containment**: an operation belongs to every range of the launching thread that holds the whole API call
  (``range.start <= call.start`` and ``call.end <= range.end``), not only the innermost one.
* **Projection** of one range instance: start = earliest start of its operations, end = latest end, duration =
  end - start; ``GPU ops`` = distinct correlation ids (API calls) among them. Ranges without GPU work are left out.
* **Hierarchy**: a range's parent is the tightest other range of the same thread that contains it (all ranges,
  with or without GPU work); ``level`` = depth from a root (0); ``children`` = projected ranges whose parent it is.

Summary per (name, style): Total Proj Time, Total Range Time (original durations), Range Instances, Proj
Avg / Med / Min / Max / StdDev (nsys' statistics: mean-of-two median, sample standard deviation, 0 for one
instance), Total GPU Ops, Avg GPU Ops, Avg Range Lvl, Avg Num Child; averages rounded to 0.1 as SQLite's
``round(x, 1)``; rows by Total Proj Time, highest first (ties: fewer instances, then name).

How: columns leave SQLite as ``group_concat`` text per rowid chunk (no row becomes a Python object); GPU work
is reduced to one (first start, last end) per (process, correlation id) by one sort; each thread's API calls
are sorted by start, so the calls inside a range are one contiguous run (checked: calls on a thread must not
overlap; where they do, that thread is matched call by call) and ``minimum/maximum.reduceat`` project every
range at once. Parents come from one stack sweep per thread over ranges sorted by (start, longest first);
threads whose ranges cross (start/end ranges need not nest) fall back to an exact pairwise search.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.nsys.sqlite import NVTX_DOMAIN_CREATE, factorize_ints
from trtinspect.parsers.nsys.stats_core import (
    CHUNK_ROWS,
    NULL,
    Codes,
    chunks,
    group_stats,
    round1,
    rowid_span,
    stream_columns,
    stream_grouped,
)

log = logging.getLogger(__name__)

REPORT = "nvtx_gpu_proj_sum"
TITLE = "NVTX GPU Projection Summary"
RANGE_TYPES: dict[int, str] = {59: "PushPop", 60: "StartEnd", 70: "PushPop", 71: "StartEnd"}
GPU_TABLES = ("kernels", "memcpy", "memset")
THREAD_BITS = 0xFFFFFF  # globalTid & ~THREAD_BITS = globalPid (VM id and process id kept)
PROCESS_BITS = 0xFFFFFF000000  # the process id bits nsys joins NVTX domains on


@dataclass
class Ranges:
    """NVTX ranges of the file, one entry per range (arrays aligned), with their name key codes."""

    keys: Codes  # (eventType, domainId, process bits, textId, inline-text row) per code
    code: np.ndarray
    thread: np.ndarray
    start: np.ndarray
    end: np.ndarray
    rowid: np.ndarray


@dataclass
class Calls:
    """CUDA API calls that launched GPU work: thread, call span, and the span of the work they launched."""

    thread: np.ndarray
    start: np.ndarray
    end: np.ndarray
    gpu_start: np.ndarray
    gpu_end: np.ndarray


def why_missing(tables: dict[str, str]) -> str | None:
    """Why this export cannot give nvtx_gpu_proj_sum, or None when it can."""
    if "nvtx" not in tables:
        return "no NVTX_EVENTS table (profile with --trace=nvtx)"
    if "runtime" not in tables:
        return "no CUPTI_ACTIVITY_KIND_RUNTIME table (profile with --trace=cuda)"
    if not any(t in tables for t in GPU_TABLES):
        return "no kernel, memcpy or memset table (profile with --trace=cuda)"
    return None


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in con.execute(f'PRAGMA table_info("{table}")')}


# ----------------------------------------------------------------------------------------------------
# Reading


def read_ranges(con: sqlite3.Connection, table: str) -> Ranges:
    """NVTX push/pop and start/end ranges ended on their own thread; an open range ends at the last NVTX range
    timestamp of the file (nsys' rule for this report)."""
    types = ",".join(str(t) for t in RANGE_TYPES)
    cols = _columns(con, table)
    maxts = con.execute(f'SELECT max(max(start), max("end")) FROM "{table}" WHERE eventType IN ({types})').fetchone()[0]
    where = f"eventType IN ({types})" + (' AND "endGlobalTid" IS NULL' if "endGlobalTid" in cols else "")
    text_expr = "NULL"
    if "text" in cols:
        con.execute("DROP TABLE IF EXISTS temp.trtinspect_proj_text")
        con.execute(f'CREATE TEMP TABLE trtinspect_proj_text AS SELECT DISTINCT text AS t FROM "{table}" '
                    f"WHERE text IS NOT NULL AND eventType IN ({types})")
        con.execute("CREATE UNIQUE INDEX temp.trtinspect_proj_text_t ON trtinspect_proj_text(t)")
        text_expr = (f'CASE WHEN "{table}".text IS NULL THEN NULL ELSE '
                     f'(SELECT rowid FROM temp.trtinspect_proj_text WHERE t = "{table}".text) END')
    text_id = '"textId"' if "textId" in cols else "NULL"
    g = stream_grouped(
        con, table, [["eventType", '"domainId"', f"globalTid & {PROCESS_BITS}", text_id, text_expr]],
        ["globalTid", "start", f'COALESCE("end", {int(maxts or 0)})', "rowid"], where=where,
    )
    thread, start, end, rowid = g.values
    return Ranges(g.keys[0], g.codes[0], thread, start, end, rowid)


# One int64 per (process, correlation id), computed by SQLite: the process bits above the 32-bit id. NULL (and a
# fallback to factorised ids) where a value does not fit: a VM id or process over 2^31, an id outside 32 bits.
PACKED_KEY = ("CASE WHEN ({tid} >> 24) BETWEEN 0 AND 2147483647 AND correlationId BETWEEN 0 AND 4294967295 "
              "THEN (({tid} >> 24) << 32) | correlationId END")
GPU_WHERE = "correlationId IS NOT NULL AND globalPid IS NOT NULL"
API_WHERE = "correlationId IS NOT NULL AND globalTid IS NOT NULL"


def _gpu_spans(con: sqlite3.Connection, tables: dict[str, str]) -> tuple[np.ndarray, ...] | None:
    """(sorted unique key, first start, last end) of the GPU work per (process, correlation id); None when a key
    does not fit :data:`PACKED_KEY`."""
    parts = [stream_columns(con, tables[t], [PACKED_KEY.format(tid="globalPid"), "start", '"end"'],
                            where=GPU_WHERE) for t in GPU_TABLES if t in tables]
    key, gstart, gend = (p[0] if len(parts) == 1 else np.concatenate(p) for p in zip(*parts, strict=True))
    del parts
    if len(key) and key.min() == NULL:
        return None
    order = np.argsort(key, kind="stable")
    key = key[order]
    gstart = gstart[order]
    gend = gend[order]
    del order
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.empty(0, np.int64)
    if len(first) == len(key):  # one operation per launch (the usual case): nothing to reduce
        return key, gstart, gend
    return key[first], np.minimum.reduceat(gstart, first), np.maximum.reduceat(gend, first)


def read_calls(con: sqlite3.Connection, tables: dict[str, str]) -> Calls:
    """API calls joined to the GPU work they launched (correlationId and process), one entry per call. The
    runtime table is looked up chunk by chunk, so only the calls that launched GPU work are kept."""
    spans = _gpu_spans(con, tables)
    if spans is None:
        return _read_calls_factorised(con, tables)
    ukey, gmin, gmax = spans
    out = [np.empty(rowid_span(con, tables["runtime"]), dtype=np.int64) for _ in range(5)]
    n = 0
    exprs = [PACKED_KEY.format(tid="globalTid"), "globalTid", "start", '"end"']
    for key, tid, start, end in chunks(con, tables["runtime"], exprs, API_WHERE, CHUNK_ROWS):
        if len(ukey) == 0:
            break
        if key.min() == NULL:
            return _read_calls_factorised(con, tables)
        pos = np.minimum(np.searchsorted(ukey, key), len(ukey) - 1)
        hit = np.flatnonzero(ukey[pos] == key)
        m = len(hit)
        for arr, values in zip(out, (tid[hit], start[hit], end[hit], gmin[pos[hit]], gmax[pos[hit]]), strict=True):
            arr[n : n + m] = values
        n += m
    return Calls(*(a[:n] for a in out))


def _read_calls_factorised(con: sqlite3.Connection, tables: dict[str, str]) -> Calls:
    """:func:`read_calls` for ids that do not pack into one int64: processes factorised first."""
    ops = [stream_columns(con, tables[t], ["globalPid", "correlationId", "start", '"end"'], where=GPU_WHERE)
           for t in GPU_TABLES if t in tables]
    gpid, corr, gstart, gend = (np.concatenate([o[k] for o in ops]) for k in range(4))
    rt_tid, rt_corr, rt_start, rt_end = stream_columns(
        con, tables["runtime"], ["globalTid", "correlationId", "start", '"end"'], where=API_WHERE)
    empty = np.empty(0, np.int64)
    if len(gpid) == 0 or len(rt_tid) == 0:
        return Calls(empty, empty, empty, empty, empty)
    procs, pcode = factorize_ints(gpid)
    lo = min(int(corr.min()), int(rt_corr.min()))
    span = int(max(corr.max(), rt_corr.max())) - lo + 1
    if len(procs) * span >= 2**62:
        raise TrtInspectError("correlation ids span more than 2^62 values; this export is not summarised")
    key = pcode * span + (corr - lo)
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ukey = key[first]
    gmin = np.minimum.reduceat(gstart[order], first)
    gmax = np.maximum.reduceat(gend[order], first)
    rt_pid = rt_tid & ~np.int64(THREAD_BITS)
    ppos = np.minimum(np.searchsorted(procs, rt_pid), len(procs) - 1)
    rkey = ppos * span + (rt_corr - lo)
    pos = np.minimum(np.searchsorted(ukey, rkey), len(ukey) - 1)
    hit = (procs[ppos] == rt_pid) & (ukey[pos] == rkey)
    pos = pos[hit]
    return Calls(rt_tid[hit], rt_start[hit], rt_end[hit], gmin[pos], gmax[pos])


# ----------------------------------------------------------------------------------------------------
# Projection and hierarchy, thread by thread


def _project(r_start: np.ndarray, r_end: np.ndarray, c: Calls, rows: slice) -> tuple[np.ndarray, ...]:
    """(GPU ops, first GPU start, last GPU end) per range of one thread; ``c`` sorted by call start."""
    qs, qe = c.start[rows], c.end[rows]
    gs, ge = c.gpu_start[rows], c.gpu_end[rows]
    lo = np.searchsorted(qs, r_start, side="left")
    hi = np.searchsorted(qs, r_end, side="right")
    n = len(qs)
    if n > 1 and bool((qe[:-1] > qs[1:]).any()):  # overlapping calls on this thread: match them one by one
        return _project_exact(r_start, r_end, qs, qe, gs, ge, lo, hi)
    # Calls do not overlap: only the last call starting inside a range can end after it.
    last = np.maximum(hi - 1, 0)
    straddles = (hi > lo) & (qe[last] > r_end) if n else np.zeros(len(lo), bool)
    hi = hi - straddles
    count = (hi - lo).astype(np.int64)
    first = np.full(len(lo), NULL, np.int64)
    final = np.full(len(lo), NULL, np.int64)
    some = np.flatnonzero(count > 0)
    if len(some):
        idx = np.empty(2 * len(some), dtype=np.int64)
        idx[0::2], idx[1::2] = lo[some], hi[some]
        first[some] = np.minimum.reduceat(np.append(gs, 0), idx)[0::2]
        final[some] = np.maximum.reduceat(np.append(ge, 0), idx)[0::2]
    return count, first, final


def _project_exact(r_start: np.ndarray, r_end: np.ndarray, qs: np.ndarray, qe: np.ndarray, gs: np.ndarray,
                   ge: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, ...]:
    count = np.zeros(len(lo), np.int64)
    first = np.full(len(lo), NULL, np.int64)
    final = np.full(len(lo), NULL, np.int64)
    for i in np.flatnonzero(hi > lo).tolist():
        inside = np.flatnonzero(qe[lo[i]:hi[i]] <= r_end[i]) + lo[i]
        if len(inside):
            count[i] = len(inside)
            first[i], final[i] = gs[inside].min(), ge[inside].max()
    return count, first, final


def _parents(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Tightest other range containing each range (index, -1 for none); ranges sorted by (start, end desc).

    A stack sweep: exact when the ranges nest (push/pop always do). If a range must be popped while it still
    overlaps the next one, ranges cross on this thread and the exact pairwise search answers instead."""
    parent = np.full(len(start), -1, dtype=np.int64)
    stack: list[int] = []
    s_list, e_list = start.tolist(), end.tolist()
    for i, (s, e) in enumerate(zip(s_list, e_list, strict=True)):
        while stack and e_list[stack[-1]] < e:
            if e_list[stack[-1]] > s:  # overlaps without containing: not nested
                return _parents_exact(start, end)
            stack.pop()
        if stack:
            parent[i] = stack[-1]
        stack.append(i)
    return parent


def _parents_exact(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Pairwise: the containing range with the least (child.start - start) + (end - child.end); O(n^2)."""
    parent = np.full(len(start), -1, dtype=np.int64)
    for i in range(len(start)):
        cand = np.flatnonzero((start <= start[i]) & (end >= end[i]))
        cand = cand[cand != i]
        if len(cand):
            tight = (start[i] - start[cand]) + (end[cand] - end[i])
            parent[i] = cand[int(np.argmin(tight))]
    return parent


def _levels(parent: np.ndarray) -> np.ndarray:
    """Depth from a root; parents precede their children in the sorted order."""
    level = np.zeros(len(parent), dtype=np.int64)
    has = np.flatnonzero(parent >= 0)
    if len(has) == 0:
        return level
    par = parent.tolist()
    lv = level.tolist()
    for i in has.tolist():
        lv[i] = lv[par[i]] + 1
    return np.asarray(lv, dtype=np.int64)


@dataclass
class Projected:
    """One entry per projected range instance (ranges with GPU work)."""

    code: np.ndarray  # name key code (Ranges.keys)
    proj_ns: np.ndarray
    range_ns: np.ndarray
    ops: np.ndarray
    level: np.ndarray
    children: np.ndarray
    proj_start: np.ndarray
    rowid: np.ndarray  # NVTX_EVENTS rowid of the range


def project(ranges: Ranges, calls: Calls) -> Projected:
    """Project every range onto the GPU work launched inside it (see the module docstring)."""
    r_order = np.lexsort((-ranges.end, ranges.start, ranges.thread))  # stable: ties keep file (rowid) order
    rt, rs, re_, rc, rid = (a[r_order] for a in (ranges.thread, ranges.start, ranges.end, ranges.code, ranges.rowid))
    del r_order
    c_order = np.lexsort((calls.start, calls.thread))
    c = Calls(*(a[c_order] for a in (calls.thread, calls.start, calls.end, calls.gpu_start, calls.gpu_end)))
    del c_order
    parts: list[tuple[np.ndarray, ...]] = []
    r_threads, r_first = np.unique(rt, return_index=True)
    r_bounds = np.append(r_first, len(rt))
    for k, th in enumerate(r_threads.tolist()):
        lo, hi = int(r_bounds[k]), int(r_bounds[k + 1])
        clo, chi = np.searchsorted(c.thread, th, "left"), np.searchsorted(c.thread, th, "right")
        if clo == chi:
            continue
        s, e = rs[lo:hi], re_[lo:hi]
        count, first, final = _project(s, e, c, slice(int(clo), int(chi)))
        if not (count > 0).any():
            continue
        parent = _parents(s, e)
        level = _levels(parent)
        projected = count > 0
        children = np.bincount(parent[projected & (parent >= 0)], minlength=len(s))
        keep = np.flatnonzero(projected)
        parts.append((rc[lo:hi][keep], (final - first)[keep], (e - s)[keep], count[keep], level[keep],
                      children[keep], first[keep], rid[lo:hi][keep]))
    if not parts:
        e_ = np.empty(0, np.int64)
        return Projected(e_, e_, e_, e_, e_, e_, e_, e_)
    cols = [np.concatenate([p[j] for p in parts]) for j in range(8)]
    return Projected(*cols)


# ----------------------------------------------------------------------------------------------------
# Names and the summary


def _domain_names(con: sqlite3.Connection, table: str, strings: str | None) -> dict[tuple[int, int], str | None]:
    """(domainId, process bits) -> name of the domain-create event (earliest per domain and thread, as nsys)."""
    has_text_id = "textId" in _columns(con, table)
    name = "COALESCE(s.value, e.text)" if strings and has_text_id else "e.text"
    join = f'LEFT JOIN "{strings}" AS s ON e.textId = s.id' if strings and has_text_id else ""
    sql = (f'SELECT e.domainId, e.globalTid, {name}, min(e.start) FROM "{table}" AS e {join} '
           f"WHERE e.eventType = {NVTX_DOMAIN_CREATE} GROUP BY e.domainId, e.globalTid ORDER BY min(e.start)")
    out: dict[tuple[int, int], str | None] = {}
    for dom, gtid, text, _ in con.execute(sql):
        if dom is not None and gtid is not None:
            out.setdefault((int(dom), int(gtid) & PROCESS_BITS), text)
    return out


def _lookup(con: sqlite3.Connection, sql: str, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for k in range(0, len(ids), 500):
        part = ids[k : k + 500]
        out.update({int(i): str(v) for i, v in con.execute(sql.format(",".join("?" * len(part))), part)})
    return out


def range_names(con: sqlite3.Connection, table: str, strings: str | None, keys: Codes) -> list[tuple[str, str]]:
    """(``domain:text``, style) of every range key code."""
    etype, dom, proc, tid, trow = (keys.column(j) for j in range(5))
    domains = _domain_names(con, table, strings)
    text_ids = sorted({int(i) for i in tid if i != NULL})
    by_id = _lookup(con, f'SELECT id, value FROM "{strings}" WHERE id IN ({{}})', text_ids) if strings else {}
    rows = sorted({int(r) for r in trow if r != NULL})
    inline = _lookup(con, "SELECT rowid, t FROM temp.trtinspect_proj_text WHERE rowid IN ({})", rows) if rows else {}
    out = []
    for i in range(len(etype)):
        text = by_id.get(int(tid[i])) if tid[i] != NULL else None
        if text is None and trow[i] != NULL:
            text = inline.get(int(trow[i]))
        dname = domains.get((int(dom[i]), int(proc[i]))) if dom[i] != NULL and proc[i] != NULL else None
        out.append((f"{dname or ''}:{text or ''}", RANGE_TYPES.get(int(etype[i]), "Unknown")))
    return out


def summary_frame(p: Projected, names: list[tuple[str, str]]) -> pd.DataFrame:
    """The NSYS_NVTX_PROJ_SUM frame: one row per (name, style)."""
    if len(p.code) == 0:
        return schema.empty_frame(schema.NSYS_NVTX_PROJ_SUM)
    group_of_key, uniq = pd.factorize(pd.MultiIndex.from_tuples(names, names=["name", "style"]))
    group = np.asarray(group_of_key, dtype=np.int64)[p.code]
    st = group_stats(group, p.proj_ns)
    g = st.group
    n = len(uniq)

    def total(values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        np.add.at(out, group, values)
        return out[g]

    frame = pd.DataFrame({
        "report": REPORT,
        "name": [uniq[int(i)][0] for i in g],
        "style": [uniq[int(i)][1] for i in g],
        "total_proj_ns": st.total,
        "total_range_ns": total(p.range_ns),
        "instances": st.count,
        "proj_avg_ns": round1(st.mean),
        "proj_median_ns": round1(st.median),
        "proj_min_ns": st.minimum,
        "proj_max_ns": st.maximum,
        "proj_stddev_ns": round1(st.stddev),
        "total_gpu_ops": total(p.ops),
        "avg_gpu_ops": round1(total(p.ops) / st.count),
        "avg_range_level": round1(total(p.level) / st.count),
        "avg_children": round1(total(p.children) / st.count),
    })
    frame = frame.sort_values(["total_proj_ns", "instances", "name"], ascending=[False, True, True], kind="stable")
    return schema.conform(frame.reset_index(drop=True), schema.NSYS_NVTX_PROJ_SUM)


def _ranges_and_names(con: sqlite3.Connection, tables: dict[str, str]) -> tuple[Ranges, list[tuple[str, str]]]:
    ranges = read_ranges(con, tables["nvtx"])
    return ranges, range_names(con, tables["nvtx"], tables.get("strings"), ranges.keys)


def nvtx_gpu_proj_sum(con: sqlite3.Connection, tables: dict[str, str],
                      connect: Callable[[], sqlite3.Connection] | None = None) -> pd.DataFrame:
    """nvtx_gpu_proj_sum of the export behind ``con`` (``tables``: logical name -> table, as ``summarise``).
    ``connect``: opens another read-only connection to the same file; the NVTX ranges are then read on it in a
    second thread while the launches are read on ``con``."""
    if connect is None:
        ranges, names = _ranges_and_names(con, tables)
        calls = read_calls(con, tables)
    else:
        def other() -> tuple[Ranges, list[tuple[str, str]]]:
            c = connect()
            try:
                return _ranges_and_names(c, tables)
            finally:
                c.close()

        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(other)
            calls = read_calls(con, tables)
            ranges, names = pending.result()
    p = project(ranges, calls)
    del calls
    log.debug("nvtx_gpu_proj_sum: %d ranges, %d projected", len(ranges.code), len(p.code))
    return summary_frame(p, names)


def trace_frame(con: sqlite3.Connection, tables: dict[str, str]) -> pd.DataFrame:
    """Per range instance (for tests and notebooks): name, style, projected start/duration, original duration,
    GPU ops, level and children, in projected start order."""
    ranges = read_ranges(con, tables["nvtx"])
    p = project(ranges, read_calls(con, tables))
    names = range_names(con, tables["nvtx"], tables.get("strings"), ranges.keys)
    data: dict[str, Any] = {
        "name": [names[int(c)][0] for c in p.code], "style": [names[int(c)][1] for c in p.code],
        "proj_start_ns": p.proj_start, "proj_ns": p.proj_ns, "range_ns": p.range_ns, "gpu_ops": p.ops,
        "level": p.level, "children": p.children, "rowid": p.rowid,
    }
    return pd.DataFrame(data).sort_values(["proj_start_ns", "proj_ns"], ascending=[True, False], kind="stable",
                                          ignore_index=True)

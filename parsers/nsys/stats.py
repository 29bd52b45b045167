"""The summaries ``nsys stats`` prints, computed from an Nsight Systems SQLite export without nsys.

:func:`summarise` returns an :class:`NsysStats`: one frame per report, with the rows, order, statistics,
units and rounding of nsys' own report scripts (nsys 2023.2 - 2026.x). One module per summary family:

============================  ==============================================================  ====================
report                        rows (grouped by)                                                module / schema
============================  ==============================================================  ====================
``cuda_gpu_kern_sum``         CUPTI_ACTIVITY_KIND_KERNEL by demangled name                      stats_cuda / STAT_SUM
``cuda_gpu_mem_time_sum``     memcpy by copy kind (``[CUDA memcpy <label>]``) + ``[CUDA memset]``  stats_cuda / STAT_SUM
``cuda_gpu_mem_size_sum``     the same operations, by bytes                                     stats_cuda / STAT_SIZE
``cuda_api_sum``              CUPTI_ACTIVITY_KIND_RUNTIME by nameId                             stats_cuda / STAT_SUM
``nvtx_sum``                  push/pop and start/end ranges by ``domain:text`` and style       stats_nvtx / STAT_SUM
``nvtx_gpu_proj_sum``         NVTX ranges projected onto the GPU work launched inside them     nvtx_proj / NVTX_PROJ_SUM
``osrt_sum``                  OSRT_API (eventClass 27) by nameId                                stats_cuda / STAT_SUM
============================  ==============================================================  ====================

Statistics, as nsys defines them: Total = sum of durations (integer ns), Avg = Total / count, Med = the middle
value (mean of the two middle values for an even count), Min / Max, StdDev = *sample* standard deviation
(divisor n - 1; 0 for a single instance), Time (%) = Total * 100 / sum of Totals of the report. Avg, Med, StdDev
and Time (%) are rounded to one decimal half away from zero (SQLite's ``round(x, 1)``); sizes are not rounded.

How: no row becomes a Python object. For each report one SQL expression per column is streamed out of SQLite
in chunks of rowids as ``group_concat`` text that numpy parses (a few MB at a time), the group keys are
factorised to small integers, and one sort of ``(group, value)`` packed into an int64 gives every group's
median, minimum, maximum and an exact two-pass standard deviation with ``reduceat``
(:mod:`~trtinspect.parsers.nsys.stats_core`). The per process / device / stream overview
(:data:`~trtinspect.parsers.schema.NSYS_STREAMS`) comes from the same scans. Reports run concurrently on
read-only connections of their own (SQLite releases the GIL while it steps).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.nsys import nvtx_proj
from trtinspect.parsers.nsys.sqlite import (
    NVTX_DOMAIN_CREATE,
    TABLES,
    corrupt_export,
    open_readonly,
    resolve_table,
)
from trtinspect.parsers.nsys.stats_core import (
    KEYS3,
    SCOPE_EXPRS,
    Ctx,
    Pass,
    column_types,
    group_stats,
    merge_parts,
    round1,
    stream_columns,
)
from trtinspect.parsers.nsys.stats_cuda import (
    api_display_name,
    api_pass,
    kernel_pass,
    memcpy_labels,
    memops_pass,
    osrt_pass,
    passes_from_export,
)
from trtinspect.parsers.nsys.stats_nvtx import NVTX_RANGE_STYLES, nvtx_pass

__all__ = ["REPORTS", "NsysStats", "api_display_name", "group_stats", "has_tensorrt_activity", "report_section",
           "round1", "stream_columns", "summarise", "tensorrt_activity"]

log = logging.getLogger(__name__)

TENSORRT_DOMAIN = "TensorRT"

# Report -> display title (nsys' own).
REPORTS: dict[str, str] = {
    "cuda_gpu_kern_sum": "CUDA GPU Kernel Summary",
    "cuda_gpu_mem_time_sum": "CUDA GPU MemOps Summary (by Time)",
    "cuda_gpu_mem_size_sum": "CUDA GPU MemOps Summary (by Size)",
    "cuda_api_sum": "CUDA API Summary",
    "nvtx_sum": "NVTX Range Summary",
    "nvtx_gpu_proj_sum": nvtx_proj.TITLE,
    "osrt_sum": "OS Runtime Summary",
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
# Per process / device / stream overview


def _merge_streams(parts: list[pd.DataFrame], processes: dict[int, str]) -> pd.DataFrame:
    """GPU work per (process, device, stream) from each table's part."""
    merged = merge_parts(parts)
    if merged is None or merged.empty:
        return schema.empty_frame(schema.NSYS_STREAMS)
    merged["process"] = merged["pid"].map(processes)
    busy = [c for c in ("kernel_ns", "memcpy_ns", "memset_ns") if c in merged]
    merged["gpu_ns"] = merged[busy].fillna(0).sum(axis=1)
    merged = merged.sort_values(KEYS3, kind="stable", ignore_index=True)
    return schema.conform(merged.reindex(columns=list(schema.NSYS_STREAMS)), schema.NSYS_STREAMS)


def ctx_processes(con: sqlite3.Connection, ctx: Ctx) -> dict[int, str]:
    table = ctx.tables.get("processes")
    if table is None or not {"pid", "name"} <= set(column_types(con, table)):
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
        ctx = Ctx(path=path, tables=found, strings={}, by=())
        return tensorrt_activity(con, found, ctx_processes(con, ctx))[0]
    except sqlite3.DatabaseError:
        return False
    finally:
        con.close()


# ----------------------------------------------------------------------------------------------------
# Entry point


def proj_pass(con: sqlite3.Connection, ctx: Ctx) -> Pass:
    frame = nvtx_proj.nvtx_gpu_proj_sum(con, ctx.tables)
    return Pass({"nvtx_gpu_proj_sum": frame})


PASSES: dict[str, tuple[tuple[str, ...], Callable[[sqlite3.Connection, Ctx], Pass]]] = {
    "kernels": (("cuda_gpu_kern_sum",), kernel_pass),
    "runtime": (("cuda_api_sum",), api_pass),
    "nvtx": (("nvtx_sum",), nvtx_pass),
    "memops": (("cuda_gpu_mem_time_sum", "cuda_gpu_mem_size_sum"), memops_pass),
    "osrt": (("osrt_sum",), osrt_pass),
    "nvtx_proj": (("nvtx_gpu_proj_sum",), proj_pass),
}
# nvtx_gpu_proj_sum joins every launch to every NVTX range: about 0.15 GB and 2-3.5 s of CPU per million CUDA
# API calls + NVTX ranges, measured on generated exports (docs/nsys.md). Above this many it is left out by
# default (the other summaries stay within issue 16's 10,000,000-kernel targets) and `missing` says so;
# projection=True forces it.
PROJECTION_MAX_ROWS = 5_000_000
WHY_MISSING: dict[str, str] = {
    "kernels": "no CUPTI_ACTIVITY_KIND_KERNEL table (profile with --trace=cuda)",
    "memops": "no CUPTI_ACTIVITY_KIND_MEMCPY / _MEMSET table",
    "runtime": "no CUPTI_ACTIVITY_KIND_RUNTIME table (profile with --trace=cuda)",
    "nvtx": "no NVTX_EVENTS table (profile with --trace=nvtx)",
    "osrt": "no OSRT_API table (profile with --trace=osrt)",
}


def _present(table: str, found: dict[str, str]) -> str | None:
    """Why the pass over ``table`` cannot run on this export, or None when it can."""
    if table == "memops":
        return None if ("memcpy" in found or "memset" in found) else WHY_MISSING[table]
    if table == "nvtx_proj":
        return nvtx_proj.why_missing(found)
    return None if table in found else WHY_MISSING[table]


def _run_pass(path: Path, ctx: Ctx, table: str) -> Pass:
    con = open_readonly(path)
    try:
        return PASSES[table][1](con, ctx)
    finally:
        con.close()


def summarise(path: str | Path, *, by: Sequence[str] = (), workers: int = 2, export: Any = None,
              projection: bool | None = None) -> NsysStats:
    """The ``nsys stats`` summaries of an export (see the module docstring).

    ``by``: any of ``pid``, ``device_id``, ``stream_id`` to split cuda_gpu_kern_sum rows further (nsys itself
    groups by name only; the default reproduces it). ``export``: the file's
    :class:`~trtinspect.parsers.nsys.sqlite.NsysExport` when already read (for attribution): the kernel, API and
    memory summaries then come from its frames instead of a second scan. ``projection``: compute
    nvtx_gpu_proj_sum (True), leave it out (False), or only up to :data:`PROJECTION_MAX_ROWS` CUDA API calls +
    NVTX events (None). Raises :class:`TrtInspectError` on bad input.
    """
    p = Path(path)
    bad = set(by) - set(SCOPE_EXPRS)
    if bad:
        raise ValueError(f"by: unknown {sorted(bad)}; choose from {sorted(SCOPE_EXPRS)}")
    con = open_readonly(p)
    try:
        return _summarise(con, p, tuple(by), workers, export, projection)
    except sqlite3.DatabaseError as exc:
        raise corrupt_export(p, exc) from None
    finally:
        con.close()


def _projection_gate(counts: dict[str, int], projection: bool | None) -> str | None:
    """Why nvtx_gpu_proj_sum is left out by choice or size, or None to compute it."""
    rows = counts.get("runtime", 0) + counts.get("nvtx", 0)
    if projection is False:
        return "not computed: left out by the caller (projection=False)"
    if projection is None and rows > PROJECTION_MAX_ROWS:
        return (f"not computed: {rows:,} CUDA API calls + NVTX events exceed {PROJECTION_MAX_ROWS:,} (about "
                f"{0.15 * rows / 1e6:.1f} GB and {3.5 * rows / 1e6:.0f} s of CPU to project); "
                "summarise(path, projection=True) computes it")
    return None


def _summarise(con: sqlite3.Connection, p: Path, by: tuple[str, ...], workers: int, export: Any,
               projection: bool | None) -> NsysStats:
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
    found = {k: t for k, cands in TABLES.items() if (t := resolve_table(names, cands)) is not None}
    if (osrt := resolve_table(names, ("OSRT_API",))) is not None:
        found["osrt"] = osrt
    if "StringIds" not in names and "META_DATA_EXPORT" not in names:
        raise TrtInspectError("is an SQLite database but not an nsys export", path=p)
    ctx = Ctx(path=p, tables=found, strings={}, by=by)
    counts: dict[str, int] = {k: int(con.execute(f'SELECT count(*) FROM "{found[k]}"').fetchone()[0])
              for k in ("kernels", "memcpy", "memset", "runtime", "nvtx", "osrt") if k in found}
    missing: dict[str, str] = {}
    todo: list[str] = []
    for table, (reports_of, _) in PASSES.items():
        why = _present(table, found)
        if why is None and table == "nvtx_proj":
            why = _projection_gate(counts, projection)
        if why is None:
            todo.append(table)
        else:
            missing.update({r: why for r in reports_of})
    pre: dict[str, Pass] = {}
    if export is not None and not by:
        pre = passes_from_export(export, memcpy_labels(con, ctx))
        todo = [t for t in todo if t not in pre]
    # the largest tables first, so the two workers finish together
    weight = {"memops": counts.get("memcpy", 0) + counts.get("memset", 0),
              "nvtx_proj": counts.get("runtime", 0) + counts.get("nvtx", 0)}
    todo.sort(key=lambda t: -weight.get(t, counts.get(t, 0)))
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
        if name not in ("nvtx_sum", "nvtx_gpu_proj_sum"):
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


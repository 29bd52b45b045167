"""Read ``nsys stats --format csv`` reports into frames with normalised column names.

Handles the reports trtinspect uses, under their current and pre-2023 names (``cuda_gpu_kern_sum`` /
``gpukernsum``, ``cuda_gpu_trace`` / ``gputrace``, ``nvtx_sum`` / ``nvtxsum``, ``cuda_gpu_mem_time_sum``,
``nvtx_gpu_proj_trace``, ``cuda_api_sum`` / ``cudaapisum`` ...), whether written with ``--output`` (one file
per report, named ``<base>_<report>.csv``) or captured from stdout with ``Generating ...`` / ``Processing
...`` preamble lines. The header row is found by content; columns are renamed through :data:`COLUMN_ALIASES`
(old ``Time(%)``/``Average``/``Minimum`` and new ``Time (%)``/``Avg (ns)``/``Min (ns)`` alike) and times are
converted to milliseconds from the unit in the header (``ns`` when none is given, as nsys reports default
to).

Normalised columns (when the report has them): ``name``, ``style``, ``time_pct``, ``total_ms``, ``count``,
``avg_ms``, ``median_ms``, ``min_ms``, ``max_ms``, ``stddev_ms``, ``start_ms``, ``duration_ms``,
``correlation_id``, ``grid_x``.. ``block_z``, ``registers_per_thread``, ``static_smem_mb``,
``dynamic_smem_mb``, ``bytes_mb``, ``throughput_mbps``, ``src_mem_kind``, ``dst_mem_kind``, ``device``,
``context``, ``stream``, ``projected_start_ms``, ``projected_duration_ms``, ``orig_start_ms``,
``orig_duration_ms``, ``pid``, ``tid``, ``gpu_ops``, ``level``, ``children``, ``range_id``, ``parent_id``,
``range_stack``, ``total_mb`` ... Unknown columns are kept under a snake_case version of their header.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers._io import read_text

# Canonical report name -> older names of the same report.
REPORT_NAMES: dict[str, tuple[str, ...]] = {
    "cuda_gpu_kern_sum": ("gpukernsum",),
    "cuda_gpu_kern_gb_sum": (),
    "cuda_gpu_trace": ("gputrace",),
    "cuda_gpu_sum": ("gpusum",),
    "cuda_gpu_mem_time_sum": ("gpumemtimesum",),
    "cuda_gpu_mem_size_sum": ("gpumemsizesum",),
    "cuda_api_sum": ("cudaapisum",),
    "cuda_api_trace": ("cudaapitrace",),
    "cuda_kern_exec_sum": (),
    "cuda_kern_exec_trace": (),
    "nvtx_sum": ("nvtxsum", "nvtxppsum"),
    "nvtx_gpu_proj_trace": (),
    "nvtx_gpu_proj_sum": (),
    "nvtx_kern_sum": ("nvtxkernsum",),
    "osrt_sum": ("osrtsum",),
}
_ALL_REPORTS = {alias: canon for canon, olds in REPORT_NAMES.items() for alias in (canon, *olds)}

# Header (lower case, alphanumerics and '%' only, unit removed) -> normalised column stem.
COLUMN_ALIASES: dict[str, str] = {
    "time%": "time_pct",
    "time": "time_pct",
    "totaltime": "total",
    "total": "total",
    "instances": "count",
    "numcalls": "count",
    "calls": "count",
    "count": "count",
    "numops": "count",
    "avg": "avg",
    "average": "avg",
    "mean": "avg",
    "med": "median",
    "median": "median",
    "min": "min",
    "minimum": "min",
    "max": "max",
    "maximum": "max",
    "stddev": "stddev",
    "stdev": "stddev",
    "name": "name",
    "range": "name",
    "operation": "name",
    "kernelname": "name",
    "style": "style",
    "start": "start",
    "duration": "duration",
    "corrid": "correlation_id",
    "correlationid": "correlation_id",
    "grdx": "grid_x",
    "grdy": "grid_y",
    "grdz": "grid_z",
    "blkx": "block_x",
    "blky": "block_y",
    "blkz": "block_z",
    "regtrd": "registers_per_thread",
    "stcsmem": "static_smem",
    "dymsmem": "dynamic_smem",
    "bytes": "bytes",
    "throughput": "throughput",
    "srcmemkd": "src_mem_kind",
    "dstmemkd": "dst_mem_kind",
    "device": "device",
    "ctx": "context",
    "greenctx": "green_context",
    "strm": "stream",
    "projectedstart": "projected_start",
    "projectedduration": "projected_duration",
    "origstart": "orig_start",
    "origduration": "orig_duration",
    "pid": "pid",
    "tid": "tid",
    "numgpuops": "gpu_ops",
    "lvl": "level",
    "numchild": "children",
    "rangeid": "range_id",
    "parentid": "parent_id",
    "rangestack": "range_stack",
}
# Stems that hold a time (converted to ms) when the header carries no unit.
TIME_STEMS = {
    "total",
    "avg",
    "median",
    "min",
    "max",
    "stddev",
    "start",
    "duration",
    "projected_start",
    "projected_duration",
    "orig_start",
    "orig_duration",
}
TEXT_STEMS = {"name", "style", "src_mem_kind", "dst_mem_kind", "range_stack", "device"}
TIME_UNITS_TO_MS: dict[str, float] = {"ns": 1e-6, "us": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1e3}
SIZE_UNITS_TO_MB: dict[str, float] = {
    "b": 1e-6,
    "kb": 1e-3,
    "mb": 1.0,
    "gb": 1e3,
    "kib": 1024 / 1e6,
    "mib": 1024**2 / 1e6,
    "gib": 1024**3 / 1e6,
}
RATE_UNITS_TO_MBPS: dict[str, float] = {"mbps": 1.0, "mb/s": 1.0, "gbps": 1e3, "gb/s": 1e3, "kbps": 1e-3}
# Column signatures that identify a report when neither the file name nor a preamble line names it.
SIGNATURES: list[tuple[str, set[str]]] = [
    ("nvtx_gpu_proj_trace", {"projected_start_ms", "range_stack"}),
    ("nvtx_gpu_proj_sum", {"projected_start_ms"}),
    ("cuda_gpu_trace", {"start_ms", "grid_x"}),
    ("cuda_api_trace", {"start_ms", "tid"}),
    ("nvtx_sum", {"style", "total_ms"}),
    ("cuda_gpu_mem_size_sum", {"total_mb", "count"}),
    ("cuda_gpu_mem_time_sum", {"time_pct", "total_ms", "count", "name"}),
]
_HEADER = re.compile(r"^(?P<base>.*?)\s*(?:\((?P<unit>[^)]*)\))?\s*$")
_REPORT_IN_TEXT = re.compile(r"\((?P<r>[a-z_]+)\)|\[(?:[^\]]*/)?(?P<s>[a-z_]+)\.py\]|'(?P<q>[a-z_]+)'")


def _norm_header(raw: str) -> tuple[str, str, str | None]:
    """(normalised column, stem, unit) for one header cell."""
    m = _HEADER.match(raw.strip())
    base, unit = (m.group("base"), m.group("unit")) if m else (raw, None)
    if base.endswith("%") or unit == "%":
        base, unit = base.rstrip("%").strip() + "%", None
    key = re.sub(r"[^a-z0-9%]", "", base.lower())
    if key == "time" and unit is None:
        key = "time%"
    stem = COLUMN_ALIASES.get(key)
    if stem is None:
        stem = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_") or "column"
    u = unit.strip().lower() if unit else None
    if u in TIME_UNITS_TO_MS or (u is None and stem in TIME_STEMS):
        return f"{stem}_ms", stem, u or "ns"
    if u in SIZE_UNITS_TO_MB:
        return f"{stem}_mb", stem, u
    if u in RATE_UNITS_TO_MBPS:
        return f"{stem}_mbps", stem, u
    return stem, stem, u


def _alias(cell: str) -> str | None:
    m = _HEADER.match(cell.strip())
    base = m.group("base") if m else cell
    return COLUMN_ALIASES.get(re.sub(r"[^a-z0-9%]", "", base.lower()))


def _is_header(cells: list[str]) -> bool:
    if len(cells) < 2:
        return False
    known = {k for k in (_alias(c) for c in cells) if k is not None}
    timed = {"total", "start", "projected_start", "time_pct", "duration"} & known
    return ("name" in known or len(known) >= 3) and bool(timed)


def _report_name(path: Path, preamble: list[str], columns: set[str]) -> str:
    stem = path.name.lower()
    for alias in sorted(_ALL_REPORTS, key=len, reverse=True):
        if re.search(rf"(^|[_\-.]){re.escape(alias)}([_\-.]|$)", stem):
            return _ALL_REPORTS[alias]
    for line in reversed(preamble):
        for m in _REPORT_IN_TEXT.finditer(line):
            found = m.group("r") or m.group("s") or m.group("q")
            if found in _ALL_REPORTS:
                return _ALL_REPORTS[found]
    for report, needed in SIGNATURES:
        if needed <= columns:
            return report
    if {"name", "count", "total_ms"} <= columns:
        return "cuda_gpu_kern_sum" if "api" not in stem else "cuda_api_sum"
    return "unknown"


def read_nsys_stats_csv(path: str | Path) -> tuple[str, pd.DataFrame]:
    """Parse one ``nsys stats`` CSV report: (canonical report name, frame with normalised columns)."""
    p = Path(path)
    text = read_text(p, what="an nsys stats CSV report")
    lines = text.splitlines()
    header_at = None
    rows: list[list[str]] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            cells = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            continue
        if _is_header(cells):
            header_at = i
            break
    if header_at is None:
        raise TrtInspectError(
            "no nsys stats table header found (expected a CSV report such as cuda_gpu_kern_sum)",
            path=p,
            hint="write it with `nsys stats --format csv --report cuda_gpu_kern_sum --output . X.sqlite`",
        )
    body: list[str] = []
    for line in lines[header_at:]:
        if not line.strip():
            if body and len(body) > 1:
                break
            continue
        body.append(line)
    reader = csv.reader(io.StringIO("\n".join(body)))
    header = next(reader)
    rows = [r for r in reader if r and any(c.strip() for c in r)]
    width = len(header)
    rows = [r for r in rows if len(r) == width]
    normalised = [_norm_header(h) for h in header]
    columns: dict[str, pd.Series] = {}
    for j, (col, stem, unit) in enumerate(normalised):
        raw = pd.Series([r[j] for r in rows], dtype=object)
        name = col if col not in columns else f"{col}_{j}"
        if stem in TEXT_STEMS or (col == stem and stem not in COLUMN_ALIASES.values() and _mostly_text(raw)):
            columns[name] = raw.str.strip().astype("string")
            continue
        cleaned = raw.str.replace(",", "", regex=False).str.strip()
        values = pd.to_numeric(cleaned, errors="coerce")
        _refuse_bad_numbers(p, header[j], cleaned, values)
        if col.endswith("_ms") and unit is not None:
            values = values * TIME_UNITS_TO_MS.get(unit, 1.0)
        elif col.endswith("_mb") and unit is not None:
            values = values * SIZE_UNITS_TO_MB.get(unit, 1.0)
        elif col.endswith("_mbps") and unit is not None:
            values = values * RATE_UNITS_TO_MBPS.get(unit, 1.0)
        columns[name] = values
    frame = pd.DataFrame(columns)
    report = _report_name(p, lines[:header_at], set(frame.columns))
    return report, frame


def _refuse_bad_numbers(path: Path, column: str, cells: pd.Series, values: pd.Series) -> None:
    """A numeric column's cell that is not a finite number (``NaN``, ``inf``, ``x``; an empty cell is a value nsys
    leaves out) is refused, naming the file, column and row, as a JSON input's would be."""
    bad = (cells != "") & ~np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan))
    if not bad.any():
        return
    row = int(np.flatnonzero(bad.to_numpy())[0])
    raise TrtInspectError(
        f"column {column.strip()!r}, data row {row + 1}: {str(cells.iloc[row])[:40]!r} is not a finite number"
        + (f" ({int(bad.sum()) - 1} more such cell(s))" if bad.sum() > 1 else ""),
        path=path, hint="use the CSV `nsys stats --format csv` wrote (numbers in every numeric column)")


def _mostly_text(values: pd.Series) -> bool:
    if values.empty:
        return False
    numeric = pd.to_numeric(values.str.replace(",", "", regex=False).str.strip(), errors="coerce")
    return bool(numeric.isna().mean() > 0.5)


def looks_like_nsys_stats_csv(text: str) -> bool:
    """True when one of the first lines of ``text`` is an ``nsys stats`` CSV header (``Time (%)``/``Total Time
    (ns)``/``Instances``/``Name`` ... or an older ``Time(%)``/``Average`` header)."""
    for line in text.splitlines()[:40]:
        if "," not in line:
            continue
        try:
            cells = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            continue
        if _is_header(cells) and any(_alias(c) in ("total", "time_pct", "projected_start") for c in cells):
            return True
    return False


def report_title(report: str) -> str:
    """The report's name as nsys lists it (``cuda_gpu_kern_sum`` -> ``CUDA GPU Kernel Summary``)."""
    return REPORT_TITLES.get(report, report)


REPORT_TITLES: dict[str, str] = {
    "cuda_gpu_kern_sum": "CUDA GPU Kernel Summary",
    "cuda_gpu_kern_gb_sum": "CUDA GPU Kernel/Grid/Block Summary",
    "cuda_gpu_trace": "CUDA GPU Trace",
    "cuda_gpu_sum": "CUDA GPU Summary (Kernels/MemOps)",
    "cuda_gpu_mem_time_sum": "CUDA GPU MemOps Summary (by Time)",
    "cuda_gpu_mem_size_sum": "CUDA GPU MemOps Summary (by Size)",
    "cuda_api_sum": "CUDA API Summary",
    "cuda_api_trace": "CUDA API Trace",
    "cuda_kern_exec_sum": "CUDA Kernel Launch & Exec Time Summary",
    "cuda_kern_exec_trace": "CUDA Kernel Launch & Exec Time Trace",
    "nvtx_sum": "NVTX Range Summary",
    "nvtx_gpu_proj_trace": "NVTX GPU Projection Trace",
    "nvtx_gpu_proj_sum": "NVTX GPU Projection Summary",
    "nvtx_kern_sum": "NVTX Range Kernel Summary",
    "osrt_sum": "OS Runtime Summary",
    "unknown": "unrecognised nsys stats report",
}


@dataclass
class NsysCsvReport:
    """One ``nsys stats --format csv`` file: which report it is and its rows (normalised columns, ms)."""

    path: Path
    report: str
    title: str
    frame: pd.DataFrame


def csv_report_section(reports: list[NsysCsvReport], top: int) -> list[dict[str, Any]]:
    """JSON-ready description of CSV reports for ``report``: file, report, title, row count, first ``top`` rows."""
    out = []
    for r in reports:
        head = r.frame.head(top).astype(object).where(r.frame.head(top).notna(), None)
        out.append(
            {
                "file": str(r.path),
                "report": r.report,
                "title": r.title,
                "total_rows": len(r.frame),
                "columns": list(r.frame.columns),
                "rows": [{k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
                         for rec in head.to_dict("records")],
            }
        )
    return out

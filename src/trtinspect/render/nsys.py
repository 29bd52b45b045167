"""The Nsight Systems part of ``report``: the ``nsys stats`` tables, headed and formatted as nsys prints them.

Input is the ``report["nsys"]`` section (:func:`trtinspect.parsers.nsys.stats.report_section`); output is
(title, header, rows) tables and headline rows for the shared text / markdown renderers. Times are integer
nanoseconds with thousands separators, Avg/Med/StdDev with one decimal, sizes in MB (10^6 bytes, 3 decimals),
exactly the columns of ``nsys stats`` so the two can be read side by side. Kernels are shown by the full
demangled name their rows are grouped by, as nsys' default ``cuda_gpu_kern_sum`` (its ``:base`` variant, which
groups by base name, is not computed). In text (:func:`text_table`) names are never cut: a long one
wraps under its column (or under its row on a narrow terminal) and the numbers stay whole.
"""

from __future__ import annotations

from typing import Any

from trtinspect.render.escape import printable
from trtinspect.textfmt import fit_row

Table = tuple[str, list[str], list[list[str]]]

TIME_HEADER = ["Time (%)", "Total Time (ns)", "Instances", "Avg (ns)", "Med (ns)", "Min (ns)", "Max (ns)",
               "StdDev (ns)"]
COUNT_LABEL = {"cuda_gpu_kern_sum": "Instances", "nvtx_sum": "Instances", "cuda_gpu_mem_time_sum": "Count",
               "cuda_api_sum": "Num Calls", "osrt_sum": "Num Calls"}
NAME_LABEL = {"cuda_gpu_kern_sum": "Name", "nvtx_sum": "Range", "cuda_gpu_mem_time_sum": "Operation",
              "cuda_api_sum": "Name", "osrt_sum": "Name", "cuda_gpu_mem_size_sum": "Operation"}
SIZE_HEADER = ["Total (MB)", "Count", "Avg (MB)", "Med (MB)", "Min (MB)", "Max (MB)", "StdDev (MB)"]
STREAM_HEADER = ["pid", "process", "device", "stream", "kernels", "kernel ms", "memcpys", "memcpy ms", "memcpy MB",
                 "memsets"]
ORDER = ["cuda_gpu_kern_sum", "cuda_gpu_mem_time_sum", "cuda_gpu_mem_size_sum", "cuda_api_sum", "nvtx_sum",
         "nvtx_gpu_proj_sum", "osrt_sum"]
# nvtx_gpu_proj_sum in text and markdown: six of nsys' fourteen columns, so the range names still fit 120
# characters (NSYS_NVTX_PROJ_SUM column, nsys header, format); JSON and the dashboard carry every column
PROJ_COLUMNS: list[tuple[str, str, str]] = [
    ("total_proj_ns", "Total Proj Time (ns)", "int"), ("instances", "Range Instances", "int"),
    ("proj_median_ns", "Proj Med (ns)", "one"), ("total_gpu_ops", "Total GPU Ops", "int"),
    ("avg_range_level", "Avg Range Lvl", "one"), ("name", "Range", "text"),
]
# columns the shared renderers treat as numbers (right-aligned) / long names (clipped) / text (markdown)
NUMERIC = ("Total (ms)", "Avg (ms)", "Med (ms)", "Min (ms)", "Max (ms)", "StdDev (ms)", "Start (ms)",
           "Duration (ms)", "Proj Start (ms)", "Proj Duration (ms)", *TIME_HEADER, "Num Calls", "Count",
           *SIZE_HEADER, "pid", "device", "stream", "kernels", "kernel ms", "memcpys", "memcpy ms", "memcpy MB",
           "memsets", *(h for _, h, f in PROJ_COLUMNS if f != "text"))
CLIPPED = ("Name", "Range", "Operation")     # the last column of every nsys table: text shows it whole, wrapped
NAME_ROOM = 25      # text_table closes its column gaps from 3 to 2 to 1 space until the name has this much room
TEXT = ("Name", "Range", "Operation", "Style", "process")


def _int(v: Any) -> str:
    return "-" if v is None else f"{int(v)}"


def _one(v: Any) -> str:
    return "-" if v is None else f"{float(v):.1f}"


def _mb(v: Any) -> str:
    return "-" if v is None else f"{float(v) / 1e6:,.3f}"


def _ms(v: Any) -> str:
    return "-" if v is None else f"{float(v) / 1e6:,.3f}"


def _clean(text: Any) -> str:
    """A name from the export as one line (render.escape.printable: the one escaping rule)."""
    return "(none)" if text is None else printable(text)


def _time_rows(name: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = [*TIME_HEADER]
    header[2] = COUNT_LABEL[name]
    scoped = any(k in rows[0] for k in ("pid", "device_id", "stream_id")) if rows else False
    if scoped:
        header = ["pid", "device", "stream", *header]
    if name == "nvtx_sum":
        header.append("Style")
    header.append(NAME_LABEL[name])
    out = []
    for r in rows:
        cells = [_one(r["time_pct"]), _int(r["total_ns"]), _int(r["instances"]), _one(r["avg_ns"]),
                 _one(r["median_ns"]), _int(r["min_ns"]), _int(r["max_ns"]), _one(r["stddev_ns"])]
        if scoped:
            cells = [_int(r.get("pid")), _int(r.get("device_id")), _int(r.get("stream_id")), *cells]
        if name == "nvtx_sum":
            cells.append(_clean(r.get("style")))
        cells.append(_clean(r["name"]))
        out.append(cells)
    return header, out


def _proj_rows(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    fmt = {"text": _clean, "int": _int, "one": _one}
    out = [[fmt[f](r.get(c)) for c, _, f in PROJ_COLUMNS] for r in rows]
    return [h for _, h, _ in PROJ_COLUMNS], out


def _size_rows(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    out = [[_mb(r["total_bytes"]), _int(r["count"]), _mb(r["avg_bytes"]), _mb(r["median_bytes"]),
            _mb(r["min_bytes"]), _mb(r["max_bytes"]), _mb(r["stddev_bytes"]), _clean(r["name"])] for r in rows]
    return [*SIZE_HEADER, "Operation"], out


def nsys_tables(section: dict[str, Any] | None) -> list[Table]:
    """The nsys stats tables, in nsys' order, then GPU work per process / device / stream."""
    if not section:
        return []
    tables: list[Table] = []
    for name in ORDER:
        rep = section["reports"].get(name)
        if rep is None or not rep["rows"]:
            continue
        if name == "cuda_gpu_mem_size_sum":
            header, rows = _size_rows(rep["rows"])
        elif name == "nvtx_gpu_proj_sum":
            header, rows = _proj_rows(rep["rows"])
        else:
            header, rows = _time_rows(name, rep["rows"])
        shown = len(rows)
        more = f", first {shown} of {rep['total_rows']:,} rows" if rep["total_rows"] > shown else ""
        note = "; more columns in --format json" if name == "nvtx_gpu_proj_sum" else ""
        tables.append((f"{rep['title']} ({name}{more}{note})", header, rows))
    streams = [[_int(s["pid"]), _clean(s["process"]), _int(s["device_id"]), _int(s["stream_id"]), _int(s["kernels"]),
                _ms(s["kernel_ns"]), _int(s["memcpys"]), _ms(s["memcpy_ns"]), _mb(s["memcpy_bytes"]),
                _int(s["memsets"])] for s in section["streams"]]
    if streams:
        tables.append(("GPU work per process, device and stream", STREAM_HEADER, streams))
    return tables


def nsys_headline(section: dict[str, Any] | None) -> list[tuple[str, str]]:
    """One headline row: TensorRT activity or its absence, and what the export holds."""
    if not section:
        return []
    c = section["counts"]
    held = ", ".join(f"{c[k]:,} {label}" for k, label in (("kernels", "kernels"), ("memcpy", "memcpy"),
                                                           ("memset", "memset"), ("runtime", "CUDA API calls"),
                                                           ("nvtx", "NVTX events"), ("osrt", "OS runtime calls"))
                     if c.get(k))
    activity = ("TensorRT activity: " + section["tensorrt_evidence"] if section["tensorrt_activity"]
                else "no TensorRT activity")
    return [("Nsight Systems", f"{activity}; {held}")]


def nsys_missing(section: dict[str, Any] | None) -> list[str]:
    """Reports absent from this export, and why (for the notes list)."""
    if not section:
        return []
    return [f"{name}: {why}" for name, why in section["not_available"].items()]


# nsys stats CSV columns shown in text/markdown, in nsys' order (normalised names -> header)
CSV_COLUMNS: dict[str, str] = {
    "time_pct": "Time (%)", "total_ms": "Total (ms)", "count": "Count", "avg_ms": "Avg (ms)",
    "median_ms": "Med (ms)", "min_ms": "Min (ms)", "max_ms": "Max (ms)", "stddev_ms": "StdDev (ms)",
    "start_ms": "Start (ms)", "duration_ms": "Duration (ms)", "projected_start_ms": "Proj Start (ms)",
    "projected_duration_ms": "Proj Duration (ms)", "total_mb": "Total (MB)", "style": "Style", "name": "Name",
}


def _csv_cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6f}".rstrip("0").rstrip(".") if v == v else "-"
    return _clean(v)


def nsys_csv_tables(section: list[dict[str, Any]] | None) -> list[Table]:
    """One table per `nsys stats` CSV file: its report, then its first rows (times in ms)."""
    tables: list[Table] = []
    for rep in section or []:
        cols = [c for c in CSV_COLUMNS if c in rep["columns"]]
        if not cols:
            continue
        rows = [[_csv_cell(r.get(c)) for c in cols] for r in rep["rows"]]
        more = f", first {len(rows)} of {rep['total_rows']:,} rows" if rep["total_rows"] > len(rows) else ""
        title = f"{rep['title']} ({rep['report']}{more}) from {_clean(rep['file'])}"
        tables.append((title, [CSV_COLUMNS[c] for c in cols], rows))
    return tables


def text_table(header: list[str], rows: list[list[str]], width: int) -> list[str]:
    """An nsys table for the terminal, at most ``width`` wide where the numbers allow: every column but the
    last (numbers, ids) at its natural width and never cut; the last, the kernel / range / operation name, whole,
    wrapped under its own column when it does not fit, or under its row on a narrow terminal (nsys prints
    these names on one line however long; text used to end them in an ellipsis after a few characters).
    Columns are three spaces apart as in the other report tables, fewer where that lets the numbers fit."""
    natural = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header[:-1])]
    right = [i > 0 and h in NUMERIC for i, h in enumerate(header[:-1])]
    name_width = max([len(header[-1]), *(len(r[-1]) for r in rows)])
    gap = next((g for g in (3, 2) if sum(natural) + g * len(natural) + 2 + min(name_width, NAME_ROOM) <= width), 1)

    def cells(values: list[str]) -> str:
        return "  " + "".join(f"{v:{'>' if r else '<'}{w}}" + " " * gap
                              for v, w, r in zip(values, natural, right, strict=True))

    head = fit_row(cells(header[:-1]), header[-1], width)
    body = [line for r in rows for line in fit_row(cells(r[:-1]), r[-1], width)]
    rule = " " + "\u2500" * (min(width, max(len(line) for line in [*head, *body])) - 1)
    return [*head, rule, *body]

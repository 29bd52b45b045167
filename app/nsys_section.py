"""Engine page section for Nsight Systems exports: the ``nsys stats`` summaries (kept apart from the rest).

One grid per report (cuda_gpu_kern_sum, cuda_gpu_mem_time_sum, cuda_gpu_mem_size_sum, cuda_api_sum, nvtx_sum,
nvtx_gpu_proj_sum, osrt_sum) with nsys' columns, then GPU work per process, device and stream, then the reports
this export cannot give and why. The figures are :class:`~trtinspect.parsers.nsys.stats.NsysStats` frames,
unchanged; the grids are the app's dash-ag-grid tables (:func:`trtinspect.app.tables.grid`).
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import html

from trtinspect.app.tables import grid
from trtinspect.parsers.model import EngineBundle
from trtinspect.parsers.nsys.stats import REPORTS, NsysStats

MAX_ROWS = 200  # rows per report sent to the browser (nsys' order: total time, highest first)
TEXT = ("name", "style", "process")
TIME_COLUMNS = [("time_pct", "Time (%)"), ("total_ns", "Total Time (ns)"), ("instances", "Instances"),
                ("avg_ns", "Avg (ns)"), ("median_ns", "Med (ns)"), ("min_ns", "Min (ns)"), ("max_ns", "Max (ns)"),
                ("stddev_ns", "StdDev (ns)"), ("style", "Style"), ("name", "Name")]
SIZE_COLUMNS = [("total_bytes", "Total (B)"), ("count", "Count"), ("avg_bytes", "Avg (B)"),
                ("median_bytes", "Med (B)"), ("min_bytes", "Min (B)"), ("max_bytes", "Max (B)"),
                ("stddev_bytes", "StdDev (B)"), ("name", "Operation")]
PROJ_COLUMNS = [("name", "Range"), ("style", "Style"), ("total_proj_ns", "Total Proj Time (ns)"),
                ("total_range_ns", "Total Range Time (ns)"), ("instances", "Range Instances"),
                ("proj_avg_ns", "Proj Avg (ns)"), ("proj_median_ns", "Proj Med (ns)"), ("proj_min_ns", "Proj Min (ns)"),
                ("proj_max_ns", "Proj Max (ns)"), ("proj_stddev_ns", "Proj StdDev (ns)"),
                ("total_gpu_ops", "Total GPU Ops"), ("avg_gpu_ops", "Avg GPU Ops"),
                ("avg_range_level", "Avg Range Lvl"), ("avg_children", "Avg Num Child")]
STREAM_COLUMNS = [("pid", "pid"), ("process", "process"), ("device_id", "device"), ("stream_id", "stream"),
                  ("kernels", "kernels"), ("kernel_ns", "kernel ns"), ("memcpys", "memcpys"),
                  ("memcpy_ns", "memcpy ns"), ("memcpy_bytes", "memcpy bytes"), ("memsets", "memsets")]
COLUMNS = {"cuda_gpu_mem_size_sum": SIZE_COLUMNS, "nvtx_gpu_proj_sum": PROJ_COLUMNS}


def _table(table_id: str, frame: pd.DataFrame, columns: list[tuple[str, str]]) -> dag.AgGrid:
    cols = [(c, label) for c, label in columns if c in frame and not (c == "style" and frame[c].isna().all())]
    shown = frame.head(MAX_ROWS)[[c for c, _ in cols]].astype(object)
    records: Any = shown.where(shown.notna(), None).to_dict("records")
    numeric = [c for c, _ in cols if c not in TEXT]
    return grid(table_id, cols, records, numeric=numeric, page_size=10, wide=["name"])


def nsys_section(bundle: EngineBundle) -> html.Div | None:
    """The section for a bundle loaded from an nsys export; None for any other bundle."""
    stats: NsysStats | None = bundle.extras.get("nsys_stats")
    if stats is None:
        return None
    activity = ("TensorRT activity: " + stats.tensorrt_evidence if stats.tensorrt
                else f"No TensorRT activity ({stats.tensorrt_evidence}): these summaries are all the export shows.")
    children: list[Any] = [html.H3("Nsight Systems: nsys stats summaries"), html.P(activity, className="muted")]
    for report, title in REPORTS.items():
        frame = stats.reports.get(report)
        if frame is None:
            continue
        more = f", first {MAX_ROWS} of {len(frame):,} rows" if len(frame) > MAX_ROWS else ""
        children.append(html.H4(f"{title} ({report}{more})"))
        children.append(_table(f"nsys-{report}", frame, COLUMNS.get(report, TIME_COLUMNS)))
    if not stats.streams.empty:
        children += [html.H4("GPU work per process, device and stream"),
                     _table("nsys-streams", stats.streams, STREAM_COLUMNS)]
    if stats.missing:
        children.append(html.Ul([html.Li(f"{r}: {why}") for r, why in stats.missing.items()], className="muted"))
    return html.Div(children, className="section", id="nsys-stats")

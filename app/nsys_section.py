"""Engine page section for Nsight Systems exports: the ``nsys stats`` summaries (kept apart from the rest).

One table per report (cuda_gpu_kern_sum, cuda_gpu_mem_time_sum, cuda_gpu_mem_size_sum, cuda_api_sum, nvtx_sum,
osrt_sum) with nsys' columns, then GPU work per process, device and stream, then the reports this export
cannot give and why. The figures are :class:`~trtinspect.parsers.nsys.stats.NsysStats` frames, unchanged.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html
from dash.dash_table.DataTable import DataTable

from trtinspect.app.tables import table_style
from trtinspect.parsers.model import EngineBundle
from trtinspect.parsers.nsys.stats import REPORTS, NsysStats

MAX_ROWS = 200  # rows per report sent to the browser (nsys' order: total time, highest first)
TIME_COLUMNS = [("time_pct", "Time (%)"), ("total_ns", "Total Time (ns)"), ("instances", "Instances"),
                ("avg_ns", "Avg (ns)"), ("median_ns", "Med (ns)"), ("min_ns", "Min (ns)"), ("max_ns", "Max (ns)"),
                ("stddev_ns", "StdDev (ns)"), ("style", "Style"), ("name", "Name")]
SIZE_COLUMNS = [("total_bytes", "Total (B)"), ("count", "Count"), ("avg_bytes", "Avg (B)"),
                ("median_bytes", "Med (B)"), ("min_bytes", "Min (B)"), ("max_bytes", "Max (B)"),
                ("stddev_bytes", "StdDev (B)"), ("name", "Operation")]
STREAM_COLUMNS = [("pid", "pid"), ("process", "process"), ("device_id", "device"), ("stream_id", "stream"),
                  ("kernels", "kernels"), ("kernel_ns", "kernel ns"), ("memcpys", "memcpys"),
                  ("memcpy_ns", "memcpy ns"), ("memcpy_bytes", "memcpy bytes"), ("memsets", "memsets")]


def _table(table_id: str, frame: pd.DataFrame, columns: list[tuple[str, str]]) -> DataTable:
    cols = [(c, label) for c, label in columns if c in frame and not (c == "style" and frame[c].isna().all())]
    shown = frame.head(MAX_ROWS)[[c for c, _ in cols]].astype(object)
    records: Any = shown.where(shown.notna(), None).to_dict("records")
    return DataTable(
        id=table_id,
        columns=[{"name": label, "id": c, "type": "text" if c in ("name", "style", "process") else "numeric"}
                 for c, label in cols],
        data=records,
        sort_action="native",
        page_size=10,
        **table_style("640px"),
    )


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
        cols = SIZE_COLUMNS if report == "cuda_gpu_mem_size_sum" else TIME_COLUMNS
        children.append(_table(f"nsys-{report}", frame, cols))
    if not stats.streams.empty:
        children += [html.H4("GPU work per process, device and stream"),
                     _table("nsys-streams", stats.streams, STREAM_COLUMNS)]
    if stats.missing:
        children.append(html.Ul([html.Li(f"{r}: {why}") for r, why in stats.missing.items()], className="muted"))
    return html.Div(children, className="section", id="nsys-stats")

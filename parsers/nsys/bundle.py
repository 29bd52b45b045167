"""An :class:`~trtinspect.parsers.model.EngineBundle` from an Nsight Systems SQLite export.

``trtinspect.load("run.sqlite")`` calls :func:`bundle_from_nsys` (the loader's nsys hook), so ``report``,
``lint``, ``diff`` and ``check`` work on nsys captures of TensorRT runs:

* ``profile`` -- per-layer GPU time from the TensorRT NVTX layer ranges (PROFILE schema; sum of the GPU
  durations of the kernels and copies launched inside each layer range, ``avg_ms`` per enqueue);
* ``layers`` -- names-only LAYERS frame built from those range names (``parsers.layers.frame_from_names``);
* ``times`` -- one row per enqueue (TIMES schema), ``summary`` -- trtexec-style statistics of it;
* ``device`` -- the GPU the chosen process ran on (TARGET_INFO_GPU);
* ``extras["nsys"]`` -- the :class:`NsysExport`; ``extras["nsys_attribution"]`` -- the
  :class:`NsysAttribution` (``ops`` frame of every GPU operation with its launch and ranges, ``gaps``).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.parsers import schema
from trtinspect.parsers.model import EngineBundle
from trtinspect.parsers.nsys.attribution import NsysAttribution, attribute
from trtinspect.parsers.nsys.sqlite import NsysExport, Progress, read_nsys_sqlite

log = logging.getLogger(__name__)

# TIMES column -> SUMMARY metric (the names trtexec prints in its performance summary).
SUMMARY_METRICS: dict[str, str] = {
    "latency_ms": "Latency",
    "h2d_ms": "H2D Latency",
    "compute_ms": "GPU Compute Time",
    "d2h_ms": "D2H Latency",
    "enqueue_ms": "Enqueue Time",
}
SUMMARY_STATS: dict[str, Callable[[pd.Series], float]] = {
    "min": lambda s: float(s.min()),
    "max": lambda s: float(s.max()),
    "mean": lambda s: float(s.mean()),
    "median": lambda s: float(s.median()),
    "p90": lambda s: float(np.percentile(s, 90)),
    "p95": lambda s: float(np.percentile(s, 95)),
    "p99": lambda s: float(np.percentile(s, 99)),
}


def bundle_from_nsys(
    path: str | Path, *, pid: int | None = None, name: str | None = None, progress: Progress | None = None
) -> EngineBundle:
    """Read ``path`` (an nsys SQLite export), attribute its GPU work, and return one engine bundle."""
    p = Path(path)
    export = read_nsys_sqlite(p, progress=progress)
    att = attribute(export, pid=pid)
    bundle = EngineBundle(name=name or p.stem)
    bundle.profile = att.profile
    bundle.times = att.times
    bundle.summary = summary_from_times(att.times)
    bundle.layers = _layers(att, bundle.notes)
    bundle.device = device_of(export, att)
    bundle.sources = {"nsys_sqlite": [p]}
    bundle.detailed = False
    bundle.notes.extend(export.notes)
    bundle.notes.extend(att.notes)
    if att.pid is not None and att.pid in export.processes:
        bundle.notes.append(
            f"nsys process {att.pid} ({export.processes[att.pid]}); iterations from {att.iteration_source}"
        )
    bundle.extras["nsys"] = export
    bundle.extras["nsys_attribution"] = att
    bundle.extras["nsys_ops"] = att.ops
    bundle.extras["nsys_gaps"] = att.gaps
    return bundle


def _layers(att: NsysAttribution, notes: list[str]) -> pd.DataFrame:
    names = att.profile["name"].astype(str).tolist()
    if not names:
        return schema.empty_frame(schema.LAYERS)
    try:
        from trtinspect.parsers.layers import frame_from_names
    except ImportError:
        notes.append("layer frame not built: trtinspect.parsers.layers.frame_from_names is unavailable")
        return schema.empty_frame(schema.LAYERS)
    layers: pd.DataFrame = frame_from_names(names)
    return layers


def device_of(export: NsysExport, att: NsysAttribution) -> dict[str, Any]:
    """The GPU of the chosen process (its most used device id), keyed like the trtexec log parser's device."""
    gpus = export.gpus
    if gpus.empty:
        return {}
    ops = att.ops
    if att.pid is not None:
        ops = ops[(ops["pid"] == att.pid).fillna(False)]
    used = ops["device_id"].dropna()
    row = gpus.iloc[0]
    if not used.empty:
        dev = int(used.value_counts().index[0])
        match = gpus[(gpus["device_id"] == dev).fillna(False)]
        if not match.empty:
            row = match.iloc[0]
    out: dict[str, Any] = {"source": "nsys"}
    fields = {
        "name": "name",
        "device_id": "device_id",
        "uuid": "uuid",
        "compute_capability": "compute_capability",
        "sm_count": "sms",
        "chip_name": "chip_name",
        "bus_location": "bus_location",
        "clock_rate_hz": "clock_rate_hz",
    }
    for col, key in fields.items():
        value = row[col]
        if not pd.isna(value):
            out[key] = value.item() if hasattr(value, "item") else value
    mem = row["total_memory_bytes"]
    if not pd.isna(mem):
        out["global_memory_mib"] = int(mem) // 1024**2
    return out


def summary_from_times(times: pd.DataFrame) -> pd.DataFrame:
    """trtexec-style statistics (SUMMARY schema) over the per-iteration frame."""
    records: list[dict[str, Any]] = []
    for col, metric in SUMMARY_METRICS.items():
        s = times[col].dropna() if col in times else pd.Series(dtype=float)
        if s.empty:
            continue
        records += [
            {"metric": metric, "stat": stat, "value": fn(s), "unit": "ms"}
            for stat, fn in SUMMARY_STATS.items()
        ]
    if len(times) > 1:
        start = times[["h2d_start_ms", "compute_start_ms"]].min(axis=1).min()
        end = times[["compute_end_ms", "d2h_end_ms"]].max(axis=1).max()
        if end > start:
            records.append(
                {
                    "metric": "Throughput",
                    "stat": "value",
                    "value": len(times) / ((end - start) / 1e3),
                    "unit": "qps",
                }
            )
    return schema.frame_from_records(records, schema.SUMMARY)


@contextlib.contextmanager
def terminal_progress(description: str = "reading nsys export") -> Iterator[Progress | None]:
    """A ``progress`` callback drawing a rich progress bar on stderr; None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TaskID, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{description}: {stage}", total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update

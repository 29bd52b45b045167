"""The one timing summary of a bundle: end-to-end H2D / GPU compute / D2H / latency statistics.

Every command reads its end-to-end figures from :attr:`EngineBundle.timing
<trtinspect.parsers.model.EngineBundle.timing>`, which calls :func:`timing_summary` once per bundle: the
``report`` timing table, the cost basis of ``lint`` (``cost_pct``), the end-to-end rows of ``diff``, the
samples ``check`` tests and the dashboard. Changing how the figures are computed (which iterations, which
percentile rule) means changing this module only.

Rule today (issue 12 replaces it with trtexec's window and percentile rule): per metric, statistics of the
per-iteration times (``--exportTimes``: mean, median, numpy's linear-interpolation 99th percentile over every
exported iteration) when the bundle has them, else trtexec's performance summary (a log or TREx metadata); the
enqueue time prefers the summary, because an exported ``enqueue_ms`` is a difference of two 6-significant-digit
timestamps (0.01 ms resolution after 1 s of run time). The samples ``check`` tests are the per-iteration values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

# metric key (a TIMES column) -> trtexec's name in the performance summary
METRICS: dict[str, str] = {
    "h2d_ms": "H2D Latency",
    "compute_ms": "GPU Compute Time",
    "d2h_ms": "D2H Latency",
    "latency_ms": "Latency",
    "enqueue_ms": "Enqueue Time",
    "end_to_end_ms": "End-to-End Host Latency",
}
SUMMARY_PREFERRED = ("enqueue_ms",)
FROM_TIMES = "times"
FROM_SUMMARY = "summary"


@dataclass(frozen=True)
class Stats:
    """Statistics of one metric in ms per iteration (None = unknown) and where they come from."""

    mean: float | None = None
    median: float | None = None
    p99: float | None = None
    source: str | None = None   # "times" (per-iteration export) | "summary" (trtexec's) | None

    @property
    def known(self) -> bool:
        return self.mean is not None


@dataclass(frozen=True)
class TimingSummary:
    """End-to-end timing of one engine (see module doc)."""

    metrics: dict[str, Stats]                        # every key of METRICS, unknown ones with mean None
    iterations: int | None = None                    # iterations in the per-iteration window (times)
    throughput_qps: float | None = None              # trtexec's throughput (summary)
    # per-iteration values in the window, per metric (times only): what check's statistics test
    samples: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def source(self) -> str | None:
        """Where the GPU compute figure comes from ("summary" | "times"), else any metric's source, else None."""
        if self.gpu_compute.known:
            return self.gpu_compute.source
        return next((s.source for s in self.metrics.values() if s.known), None)

    @property
    def gpu_compute(self) -> Stats:
        """GPU compute time per iteration: what every command shows as the engine's end-to-end compute."""
        return self.metrics["compute_ms"]


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def _times_stats(values: np.ndarray) -> Stats:
    if values.size == 0:
        return Stats()
    return Stats(_num(values.mean()), _num(np.median(values)), _num(np.percentile(values, 99)), FROM_TIMES)


def _summary_stats(summary: pd.DataFrame, metric: str) -> Stats:
    rows = summary[summary["metric"] == metric]
    lookup = dict(zip(rows["stat"].astype(str), rows["value"], strict=False))
    stats = Stats(_num(lookup.get("mean")), _num(lookup.get("median")), _num(lookup.get("p99")), FROM_SUMMARY)
    return stats if stats.known else Stats()


def timing_summary(bundle: EngineBundle) -> TimingSummary:
    """The bundle's end-to-end timing (computed once per bundle by ``EngineBundle.timing``)."""
    times, summary = bundle.times, bundle.summary
    samples: dict[str, np.ndarray] = {}
    if not times.empty:
        for key in METRICS:
            if key in times:
                samples[key] = times[key].to_numpy(dtype="float64", na_value=np.nan)
                samples[key] = samples[key][~np.isnan(samples[key])]
    metrics: dict[str, Stats] = {}
    for key, name in METRICS.items():
        from_times = _times_stats(samples.get(key, np.empty(0)))
        from_summary = _summary_stats(summary, name) if not summary.empty else Stats()
        first, second = (from_summary, from_times) if key in SUMMARY_PREFERRED else (from_times, from_summary)
        metrics[key] = first if first.known else second
    throughput = None
    if not summary.empty:
        tput = summary[summary["metric"] == "Throughput"]
        if not tput.empty:
            throughput = _num(tput["value"].iloc[0])
    return TimingSummary(metrics, len(times) if not times.empty else None, throughput, samples)

"""trtexec's performance summary, recomputed from an ``--exportTimes`` file with trtexec's own rules.

Read from ``samples/common/sampleReporting.cpp`` of every TensorRT era (7.0 to 11.x, NVIDIA/TensorRT):

* **Measured window.** ``printPerformanceReport`` starts the report at the first iteration whose compute starts
  at or after the warm-up time, on the trace's own clock (``computeStart >= warmupMs``; the trace is in ms
  since the run's first GPU event). Up to TensorRT 8.4 ``--exportTimes`` writes every iteration, warm-up
  included; from 8.5 it writes only the measured ones, and the same rule then keeps them all. The warm-up is
  ``--warmUp`` (inference options ``Warmup: 200ms`` or ``Duration: 3s (+ 200ms warm up)``), trtexec's default
  200 ms when the files do not say (a note says so).
* **Statistics** (``getPerformanceResult``): values sorted ascending; ``min``/``max`` the ends; ``mean`` a
  single-precision (float32) running sum in sorted order divided by the count (7.x: summed in run order);
  ``median`` the middle value, or the float32 mean of the two middle ones; percentile ``p`` the sorted value at
  ``max(n - 1 - int((1 - p/100) * n), 0)``.
* **Scalars.** Total Host Walltime = last iteration's D2H end minus the first measured iteration's H2D start;
  Throughput = batch x iterations / walltime (batch 1 for explicit-batch engines); Total GPU Compute Time =
  mean x iterations (7.x: the float32 sum).

The durations in a times file are float32 differences printed with 6 significant digits. A difference of two
float32 timestamps is a whole multiple of the start timestamp's float32 spacing (Sterbenz), so each duration is
snapped back to that grid when the printed precision is finer than the grid and the snapped value is within half
a printed digit: this recovers trtexec's exact values, and the figures then print exactly as trtexec printed
them (6 significant digits, C++ default stream precision). Timestamps themselves (enqueue start/end, the
walltime's ends) cannot be recovered: enqueue statistics, walltime and throughput carry the timestamps' printed
resolution, stated as a bound by :func:`compare`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_WARMUP_MS = 200.0            # trtexec's defaultWarmUp, every era
DEFAULT_PERCENTILES = (90.0, 95.0, 99.0)   # 8.5+ default --percentile (8.4 and earlier: 99 only)
F32 = np.float32

# metric (TIMES column) -> (trtexec's summary name, the TIMES column its start timestamp is in)
METRICS: dict[str, tuple[str, str | None]] = {
    "latency_ms": ("Latency", None),
    "enqueue_ms": ("Enqueue Time", None),
    "h2d_ms": ("H2D Latency", "h2d_start_ms"),
    "compute_ms": ("GPU Compute Time", "compute_start_ms"),
    "d2h_ms": ("D2H Latency", "d2h_start_ms"),
    "end_to_end_ms": ("End-to-End Host Latency", "h2d_start_ms"),
}
# What the times file cannot give exactly (timestamps printed with 6 significant digits).
FROM_TIMESTAMPS = ("enqueue_ms",)

_WARMUP_PATTERNS = (
    re.compile(r"^\s*(?P<v>\d+(?:\.\d+)?)\s*ms\s*$"),                  # Warmup: 200ms
    re.compile(r"\(\+\s*(?P<v>\d+(?:\.\d+)?)\s*ms warm ?up\)", re.I),    # Duration: 3s (+ 200ms warm up)
    re.compile(r"--warmUp[= ](?P<v>\d+(?:\.\d+)?)"),                     # the command line
)


@dataclass(frozen=True)
class MetricSummary:
    """One metric as trtexec prints it (ms per iteration)."""

    min: float
    max: float
    mean: float
    median: float
    percentiles: dict[float, float] = field(default_factory=dict)   # 99.0 -> value

    def stat(self, name: str) -> float | None:
        """``"min"``, ``"mean"``, ``"p99"``, ``"p99.9"`` ... (None when not computed)."""
        if name.startswith("p"):
            try:
                return self.percentiles.get(float(name[1:]))
            except ValueError:
                return None
        value = getattr(self, name, None)
        return float(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class Recomputed:
    """trtexec's performance summary recomputed from a times file (see module doc)."""

    warmup_ms: float
    warmup_source: str                   # where the warm-up came from ("trtexec's default" when unknown)
    first: int                           # index of the first measured iteration in the file
    total: int                           # iterations in the file
    batch: int                           # trtexec's batch for throughput (1 for explicit batch)
    era: str
    metrics: dict[str, MetricSummary]    # TIMES column -> figures (only metrics the file has)
    throughput_qps: float | None
    walltime_s: float | None
    gpu_compute_s: float | None
    samples: dict[str, np.ndarray]       # per-iteration values in the window (float64), per metric
    snapped: dict[str, int]              # values recovered on the float32 grid, per metric
    notes: list[str] = field(default_factory=list)

    @property
    def iterations(self) -> int:
        return self.total - self.first


# ------------------------------------------------------------------------------------------- inputs
def warmup_ms(options: Mapping[str, str], commands: Sequence[str] = ()) -> tuple[float, str]:
    """trtexec's warm-up in ms from the inference options or the command line, else its default."""
    for key in ("Warmup", "Warm up", "Duration"):
        text = options.get(key)
        if not text:
            continue
        for pattern in _WARMUP_PATTERNS[:2]:
            m = pattern.search(str(text))
            if m is not None:
                return float(m.group("v")), f"inference options '{key}: {text}'"
    for command in commands:
        m = _WARMUP_PATTERNS[2].search(command)
        if m is not None:
            return float(m.group("v")), f"the trtexec command line (--warmUp={m.group('v')})"
    return DEFAULT_WARMUP_MS, f"not recorded in these files: trtexec's default {DEFAULT_WARMUP_MS:g} ms assumed"


def batch_size(options: Mapping[str, str]) -> int:
    """trtexec's ``batchSize`` for throughput: the implicit batch (``Batch: 16``), 1 for explicit batch."""
    text = str(options.get("Batch", "")).strip()
    return int(text) if text.isdigit() and int(text) > 0 else 1


def measured_first(compute_start: np.ndarray, warmup: float) -> int:
    """Index of the first iteration whose compute starts at or after ``warmup`` (trtexec's ``isNotWarmup``);
    ``len`` when none does."""
    hits = np.flatnonzero(compute_start.astype(F32) >= F32(warmup))
    return int(hits[0]) if hits.size else len(compute_start)


# ---------------------------------------------------------------------------------------- float32 rules
def snap(values: np.ndarray, starts: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Durations back on the float32 grid of their start timestamps (see module doc); float32 out."""
    v = values.astype("float64")
    if starts is None:
        return v.astype(F32), 0
    s = np.abs(starts.astype(F32))
    q = np.spacing(s).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(v)))
        resolution = 10.0 ** (magnitude - 5)
        exact = np.round(v / q) * q
    ok = (v != 0) & np.isfinite(exact) & (q > 0) & (resolution <= q) & (np.abs(exact - v) <= resolution / 2)
    out = np.where(ok, exact, v)
    return out.astype(F32), int(ok.sum())


def float32_sum(values: np.ndarray) -> np.float32:
    """A running float32 sum in the given order (C++ ``std::accumulate(..., 0.F, ...)``)."""
    if values.size == 0:
        return F32(0)
    return F32(np.cumsum(values.astype(F32), dtype=F32)[-1])


RULES = ("min/max the ends of the sorted values, float64 mean, median the middle value (or the mean of the two "
         "middle ones), percentile p the sorted value at max(n - 1 - int((1 - p/100) * n), 0) "
         "(trtexec's rules, no interpolation)")


def percentile_index(p: float, n: int) -> int:
    """trtexec's ``findPercentile`` index into the ascending values."""
    exclude = int(F32(F32(1) - F32(p) / F32(100)) * F32(n))
    return max(n - 1 - exclude, 0)


def summarize(values: np.ndarray, percentiles: Sequence[float], *, run_order_mean: bool = False) -> MetricSummary:
    """trtexec's statistics of one metric (values in run order). float32 values get trtexec's float32 mean and
    median; float64 values (times not written by trtexec) the same order statistics with a float64 mean."""
    single = values.dtype == F32
    s = np.sort(values, kind="stable")
    n = int(s.size)
    if single:
        mean = float(F32(float32_sum(values if run_order_mean else s) / F32(n)))
    else:
        mean = float(math.fsum(s.tolist()) / n)
    m = n // 2
    if n % 2:
        median = float(s[m])
    else:
        median = float(F32(F32(s[m - 1] + s[m]) / F32(2))) if single else float((s[m - 1] + s[m]) / 2)
    pct = {float(p): float(s[percentile_index(p, n)]) for p in percentiles}
    return MetricSummary(float(s[0]), float(s[-1]), mean, median, pct)


# ----------------------------------------------------------------------------------------------- compute
def recompute(times: pd.DataFrame, *, warmup: float = DEFAULT_WARMUP_MS, warmup_source: str = "",
              percentiles: Sequence[float] = DEFAULT_PERCENTILES, batch: int = 1,
              era: str = "unknown", exact: bool = True) -> Recomputed | None:
    """trtexec's summary of a TIMES frame; None when no iteration is in the measured window.

    ``exact``: the times were written by trtexec (durations are recovered on their float32 grid and summed in
    float32 as trtexec does); False for times other tools wrote (float64 throughout)."""
    total = len(times)
    notes: list[str] = []
    starts = times["compute_start_ms"].to_numpy("float64", na_value=np.nan)
    if np.isnan(starts).all():
        first = 0
        notes.append("the times file has no compute start times: every exported iteration is measured")
    else:
        first = measured_first(np.nan_to_num(starts, nan=-np.inf), warmup)
    window = times.iloc[first:]
    if window.empty:
        return None
    metrics: dict[str, MetricSummary] = {}
    samples: dict[str, np.ndarray] = {}
    snapped: dict[str, int] = {}
    f32cols: dict[str, np.ndarray] = {}
    for key, (_name, start_col) in METRICS.items():
        if key == "latency_ms" or key not in window:
            continue
        raw = window[key].to_numpy("float64", na_value=np.nan)
        if np.isnan(raw).all():
            continue
        start = window[start_col].to_numpy("float64", na_value=np.nan) if start_col else None
        if not exact:
            vals, n_snapped = raw, 0
        elif key == "enqueue_ms":  # endEnq - startEnq in float32, from the printed timestamps
            raw32 = (window["enqueue_end_ms"].to_numpy("float64").astype(F32)
                     - window["enqueue_start_ms"].to_numpy("float64").astype(F32))
            vals, n_snapped = raw32.astype(F32), 0
        else:
            vals, n_snapped = snap(raw, start)
        f32cols[key], snapped[key] = vals, n_snapped
    parts = [f32cols.get(k) for k in ("h2d_ms", "compute_ms", "d2h_ms")]
    if parts[1] is not None and exact:  # latency() = h2d + compute + d2h, each float32
        zero = np.zeros_like(parts[1])
        h2d, d2h = (p if p is not None else zero for p in (parts[0], parts[2]))
        f32cols["latency_ms"] = (h2d + parts[1]) + d2h
    elif "latency_ms" in window and window["latency_ms"].notna().any():
        lat = window["latency_ms"].to_numpy("float64")
        f32cols["latency_ms"] = lat.astype(F32) if exact else lat
    run_order = era == "7.x"
    for key in METRICS:
        vals = f32cols.get(key)
        if vals is None or np.isnan(vals).any():
            continue
        metrics[key] = summarize(vals, percentiles, run_order_mean=run_order)
        samples[key] = vals.astype("float64")
    throughput = walltime = gpu_total = None
    n = len(window)
    end = window["d2h_end_ms"].iloc[-1]
    begin = window["h2d_start_ms"].iloc[0]
    if pd.notna(end) and pd.notna(begin):
        wall_ms = F32(F32(end) - F32(begin))
        if wall_ms > 0:
            walltime = float(wall_ms / F32(1000))
            throughput = float(F32(F32(batch * n) / wall_ms) * F32(1000))
    if "compute_ms" in metrics and not exact:
        gpu_total = metrics["compute_ms"].mean * n / 1000
    elif "compute_ms" in metrics:
        if run_order:
            gpu_total = float(float32_sum(f32cols["compute_ms"]) / F32(1000))
        else:
            gpu_total = float(F32(F32(metrics["compute_ms"].mean) * F32(n)) / F32(1000))
    return Recomputed(warmup, warmup_source, first, total, batch, era, metrics, throughput, walltime, gpu_total,
                      samples, snapped, notes)


# ----------------------------------------------------------------------------------------------- compare
@dataclass(frozen=True)
class Agreement:
    """One printed figure of trtexec's summary next to the recomputed one."""

    metric: str          # trtexec's name: "GPU Compute Time", "Throughput", ...
    stat: str            # "min", "mean", "p99", "value"
    printed: float
    ours: float
    status: str          # "exact" | "within export precision" | "timestamps too coarse" | "differs"
    bound: float         # the largest difference the export's printed precision explains


def printed(value: float) -> str:
    """A number as trtexec prints it: C++ default stream precision, 6 significant digits."""
    return format(float(value), "g")


def _digit(value: float) -> float:
    """One unit in the 6th significant digit of ``value``."""
    return 10.0 ** (math.floor(math.log10(abs(value))) - 5) if value else 0.0


def printed_apart(a: float, b: float) -> bool:
    """Whether two figures trtexec printed (6 significant digits) are of different values: they differ beyond one
    unit in the 6th digit, their printing's rounding."""
    return printed(a) != printed(b) and abs(a - b) > max(_digit(a), _digit(b))


def _timestamp_res(times: pd.DataFrame, col: str) -> float:
    vals = times[col].abs().dropna() if col in times else pd.Series(dtype="float64")
    return _digit(float(vals.max())) if len(vals) else 0.0


NEAR = "within export precision"
COARSE = "timestamps too coarse"
COARSE_METRICS = tuple(METRICS[k][0] for k in FROM_TIMESTAMPS)
SCALARS = {"Throughput": "throughput_qps", "Total Host Walltime": "walltime_s",
           "Total GPU Compute Time": "gpu_compute_s"}


def compare(rec: Recomputed, summary: pd.DataFrame, times: pd.DataFrame) -> list[Agreement]:
    """Every figure of ``summary`` (trtexec's printed summary) that the times file also gives, compared."""
    by_name = {name: key for key, (name, _start) in METRICS.items()}
    ts_res = max(_timestamp_res(times, "d2h_end_ms"), _timestamp_res(times, "h2d_start_ms"))
    enq_res = _timestamp_res(times, "enqueue_end_ms")
    out: list[Agreement] = []
    for metric, stat, value in summary[["metric", "stat", "value"]].itertuples(index=False):
        metric, stat = str(metric), str(stat)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        ours: float | None
        bound = 0.0
        if metric in by_name:
            fig = rec.metrics.get(by_name[metric])
            ours = fig.stat(stat) if fig is not None else None
            if by_name[metric] in FROM_TIMESTAMPS:
                bound = enq_res
        elif metric in SCALARS and stat == "value":
            ours = getattr(rec, SCALARS[metric])
            if ours is not None and metric != "Total GPU Compute Time":
                wall = rec.walltime_s or 0.0
                rel = ts_res / (wall * 1000) if wall else 0.0
                bound = abs(ours) * rel
        else:
            continue
        if ours is None:
            continue
        if printed(ours) == printed(value):
            status = "exact"
        elif abs(ours - value) <= bound + _digit(value):
            status = COARSE if metric in COARSE_METRICS else NEAR
        else:
            status = DIFFERS
        out.append(Agreement(metric, stat, float(value), float(ours), status, bound + _digit(value)))
    return out


def describe(rows: Sequence[Agreement]) -> str | None:
    """One line: how the recomputed figures agree with trtexec's printed ones (None when nothing compared)."""
    if not rows:
        return None
    coarse = sorted({r.metric for r in rows if r.status == COARSE})
    rest = [r for r in rows if r.status != COARSE]
    exact = sum(r.status == "exact" for r in rest)
    near = [r for r in rest if r.status == NEAR]
    off = [r for r in rest if r.status == DIFFERS]
    text = f"{exact} of {len(rest)} figures of trtexec's summary reproduced exactly from the times file"
    if near:
        text += ("; within the printed precision of the exported timestamps (6 significant digits): "
                 + ", ".join(f"{r.metric} {r.stat}" for r in near))
    if coarse:
        text += (f"; {', '.join(coarse)}: not reproducible from a times file (a difference of two timestamps "
                 "printed with 6 significant digits), trtexec's printed figures are used")
    if off:
        text += "; DIFFERENT: " + ", ".join(
            f"{r.metric} {r.stat} {printed(r.ours)} vs trtexec {printed(r.printed)}" for r in off)
    return text


DIFFERS = "differs"


def contradiction(rows: Sequence[Agreement], *, limit: int = 3) -> str | None:
    """The printed figures a times file contradicts beyond the export's precision, as one phrase
    (``"GPU Compute Time median 0.913782 vs trtexec 0.862183, ... (9 figures)"``); None when none does. Every real
    bundle holding both (tests/data, sample_engines) reproduces every figure: a difference means the two files are
    not of one run, or one was edited."""
    off = [r for r in rows if r.status == DIFFERS]
    if not off:
        return None
    # what a check decides on first: GPU compute, its median and mean
    off.sort(key=lambda r: (r.metric != "GPU Compute Time", {"median": 0, "mean": 1}.get(r.stat, 2)))
    shown = ", ".join(f"{r.metric} {r.stat} {printed(r.ours)} vs trtexec {printed(r.printed)}" for r in off[:limit])
    return shown + (f" ({len(off)} figures differ)" if len(off) > limit else "")


def percentiles_of(summary: pd.DataFrame) -> list[float]:
    """The percentiles trtexec printed (``p90``, ``p99`` rows), else its 8.5+ defaults."""
    found = sorted({float(s[1:]) for s in summary["stat"].astype(str) if re.fullmatch(r"p\d+(?:\.\d+)?", s)})
    return found or list(DEFAULT_PERCENTILES)


def as_dict(rec: Recomputed) -> dict[str, Any]:
    """JSON-ready figures (used by the report)."""
    return {key: {"min": m.min, "max": m.max, "mean": m.mean, "median": m.median,
                  **{f"p{p:g}": v for p, v in m.percentiles.items()}} for key, m in rec.metrics.items()}

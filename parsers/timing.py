"""The one timing summary of a bundle: end-to-end H2D / GPU compute / D2H / latency statistics.

Every command reads its end-to-end figures from :attr:`EngineBundle.timing
<trtinspect.parsers.model.EngineBundle.timing>`, which calls :func:`timing_summary` once per bundle: the
``report`` timing table, the end-to-end time ``lint`` shows beside its cost basis (``cost_pct`` divides by the
per-layer total, :attr:`EngineBundle.layer_total`, never by this), the end-to-end rows of ``diff``, the
samples ``check`` tests and the dashboard. Changing how the figures are computed means changing this module
(and :mod:`trtinspect.parsers.trtexec_summary`, trtexec's rules) only.

The rule (issue 12): with a trtexec ``--exportTimes`` file, the figures are trtexec's own, recomputed with its
rules (:mod:`~trtinspect.parsers.trtexec_summary`): the measured window starts at the first iteration whose
compute starts at or after the warm-up (``--warmUp`` from the options, metadata or command line; 200 ms, trtexec's
default, when unknown, said in a note); min, max, float32 mean, trtexec's median and percentiles. Where the bundle
also holds trtexec's printed summary (a log or TREx metadata) every figure is compared with it and the agreement
is stated. Figures a times file cannot give exactly (enqueue time, a difference of two timestamps printed with 6
significant digits; throughput and total host walltime, which depend on those timestamps) come from the printed
summary when there is one. Per-iteration times not written by trtexec (``trtinspect profile``, nsys) have no
warm-up in them: every iteration is measured, with the same median/percentile rule and a float64 mean; they are
not trtexec's figures, so nothing is compared with trtexec and a note says how they were computed (for nsys: which
GPU work makes an iteration, ``extras["times_method"]``, and trtexec's rules, :data:`trtexec_summary.RULES`). Without
times, the figures are trtexec's printed summary. H2D and D2H are "not measured" when the options say data
transfers were disabled. The samples ``check`` tests are the per-iteration values of the measured window.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trtinspect.parsers import run_facts, run_settings
from trtinspect.parsers import trtexec_summary as trt

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
SUMMARY_PREFERRED = trt.FROM_TIMESTAMPS
FROM_TIMES = "times"
FROM_SUMMARY = "summary"
NOT_MEASURED = "not measured (data transfers disabled)"
NOT_TRTEXEC = "timing figures computed by trtinspect from these per-iteration times"
TRANSFERS = ("h2d_ms", "d2h_ms")
# Metrics that time one inference of the whole batch, so that a per-sample figure (/ batch) means something.
# Enqueue time (a host call), H2D/D2H copies and end-to-end host latency are per iteration only.
PER_SAMPLE = ("compute_ms", "latency_ms")


@dataclass(frozen=True)
class Stats:
    """Statistics of one metric in ms per iteration (None = unknown) and where they come from."""

    mean: float | None = None
    median: float | None = None
    p99: float | None = None
    source: str | None = None   # "times" (per-iteration export) | "summary" (trtexec's) | None
    min: float | None = None
    max: float | None = None
    percentiles: dict[float, float] = field(default_factory=dict)   # 90.0 -> value (p99 included)
    unmeasured: str | None = None   # why there is no figure although the run had the metric (NOT_MEASURED)

    @property
    def known(self) -> bool:
        return self.mean is not None

    @property
    def printed_any(self) -> bool:
        """Any figure at all (min, max, mean, median or a percentile)."""
        return any(v is not None for v in (self.min, self.max, self.mean, self.median)) or bool(self.percentiles)


@dataclass(frozen=True)
class Window:
    """Which exported iterations are measured (trtexec's rule, see module doc)."""

    first: int                 # index of the first measured iteration in the times file
    total: int                 # iterations in the times file
    warmup_ms: float | None    # None: the times were not written by trtexec (no warm-up in them)
    warmup_source: str

    @property
    def count(self) -> int:
        return self.total - self.first


@dataclass(frozen=True)
class TimingSummary:
    """End-to-end timing of one engine (see module doc)."""

    metrics: dict[str, Stats]                        # every key of METRICS, unknown ones with mean None
    iterations: int | None = None                    # iterations in the measured window (times)
    throughput_qps: float | None = None              # trtexec's throughput (summary, else the times)
    # per-iteration values in the window, per metric (times only): what check's statistics test
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    window: Window | None = None
    walltime_s: float | None = None                  # trtexec's Total Host Walltime
    gpu_compute_s: float | None = None               # trtexec's Total GPU Compute Time
    batch: int | None = None                         # samples per iteration, where known
    batch_source: str | None = None
    agreement: list[trt.Agreement] = field(default_factory=list)   # recomputed vs printed, figure by figure
    notes: list[str] = field(default_factory=list)

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


def _from_recomputed(m: trt.MetricSummary) -> Stats:
    return Stats(m.mean, m.median, m.percentiles.get(99.0), FROM_TIMES, m.min, m.max, dict(m.percentiles))


def _by_metric(summary: pd.DataFrame) -> dict[str, list[tuple[str, Any]]]:
    """The performance summary's ``(stat, value)`` rows of each metric, in row order: one pass over the frame,
    not a boolean filter of it per metric."""
    out: dict[str, list[tuple[str, Any]]] = {}
    if summary.empty:
        return out
    for metric, stat, value in zip(summary["metric"].tolist(), summary["stat"].astype(str).tolist(),
                                   summary["value"].tolist(), strict=True):
        if isinstance(metric, str):
            out.setdefault(metric, []).append((str(stat), value))   # a missing stat: "nan", as before
    return out


def _summary_stats(rows: list[tuple[str, Any]]) -> Stats:
    """One metric's printed statistics (its :func:`_by_metric` rows)."""
    lookup = {s: _num(v) for s, v in rows}
    pct = {float(k[1:]): v for k, v in lookup.items() if v is not None and re.fullmatch(r"p\d+(?:\.\d+)?", k)}
    stats = Stats(lookup.get("mean"), lookup.get("median"), lookup.get("p99"), FROM_SUMMARY, lookup.get("min"),
                  lookup.get("max"), pct)
    # kept when trtexec printed any figure (a 7.x excerpt may lack the mean); `known` still means "has a mean"
    return stats if stats.known or stats.printed_any else Stats()


def _scalar(rows: list[tuple[str, Any]]) -> float | None:
    """A metric's single printed value (its first ``value`` row), from its :func:`_by_metric` rows."""
    return next((_num(v) for s, v in rows if s == "value"), None)


# ------------------------------------------------------------------------------------------ what the run did
def transfers_disabled(options: dict[str, str], commands: list[str], version: str | None = None) -> bool:
    """Did the run skip host/device copies (``--noDataTransfers``; options ``Data transfers: Disabled``; TensorRT
    11 without ``--includeDataTransfers``)?"""
    return run_settings.data_transfers(options, commands, version) is False


_DIMS = re.compile(r"^\s*(?P<dims>\d+(?:x\d+)*)\s*$")


def batch_of(bundle: EngineBundle) -> tuple[int | None, str | None]:
    """Samples per iteration: the implicit batch (:func:`trtinspect.parsers.run_facts.implicit_batch`: ``Batch:
    16``, else ``--batch=16`` on the command line), else the first dimension shared by every input shape the run
    used (explicit batch: the shapes option, else the shapes trtexec bound its inputs with; an assumption, said
    where it is shown), else None."""
    opts = bundle.inference_options
    implicit, source = run_facts.implicit_batch_read(bundle)
    if implicit is not None:
        return implicit, f"implicit batch ({source})"
    for key in ("Input inference shape", "Input inference shapes", "Shapes"):
        value = str(opts.get(key, "")).strip()
        if not value or value.lower() == "model":
            continue
        n = _first_dimension(value)
        if n is not None:
            return n, f"first dimension of the input shape '{value}'"
    bound = bundle.extras.get("input_bindings")
    if str(opts.get("Batch", "")).strip().lower() == "explicit" and isinstance(bound, str) and bound:
        n = _first_dimension(bound)   # explicit batch only: an implicit-batch binding has no batch dimension
        if n is not None:
            return n, f"first dimension of the input binding '{bound}'"
    return None, None


def _first_dimension(shapes: str) -> int | None:
    """The first dimension every ``name=AxBxC`` (or ``name:AxB``) of a list shares, else None; a name may hold ':'
    (``x:0=4x1x28x28``)."""
    firsts: set[int] = set()
    for part in re.split(r"[,;]", shapes):
        # the name ends at the last '=' (options: ``x:0=4x1x28x28``), else at the last ':' (``--shapes=x:0:4x1x28x28``,
        # as trtexec splits it): tensor names may hold ':' (tf2onnx's ``x:0``)
        name, sep, dims = part.rpartition("=") if "=" in part else part.rpartition(":")
        m = _DIMS.match(dims)
        if not sep or not name.strip() or m is None:
            return None
        firsts.add(int(m.group("dims").split("x")[0]))
    return firsts.pop() if len(firsts) == 1 else None


def _times_writer(bundle: EngineBundle) -> str:
    if "nsys_sqlite" in bundle.sources:
        return "nsys"
    return str(bundle.extras.get("times_writer", "trtexec"))


def _window(bundle: EngineBundle, writer: str) -> tuple[float | None, str]:
    if writer != "trtexec":
        return None, f"per-iteration times written by {writer}: no warm-up in them, every iteration is measured"
    return trt.warmup_ms(bundle.inference_options, list(bundle.extras.get("commands") or []))


# ------------------------------------------------------------------------------------------------ the summary
def timing_summary(bundle: EngineBundle) -> TimingSummary:
    """The bundle's end-to-end timing (computed once per bundle by ``EngineBundle.timing``)."""
    summary = bundle.summary
    commands = list(bundle.extras.get("commands") or [])
    notes: list[str] = []
    rec = _recompute(bundle, notes)
    metrics: dict[str, Stats] = {}
    by_metric = _by_metric(summary)
    for key, name in METRICS.items():
        from_times = _from_recomputed(rec.metrics[key]) if rec is not None and key in rec.metrics else Stats()
        from_summary = _summary_stats(by_metric.get(name, [])) if not summary.empty else Stats()
        first, second = (from_summary, from_times) if key in SUMMARY_PREFERRED else (from_times, from_summary)
        metrics[key] = next((s for s in (first, second) if s.known), None) or (
            first if first.printed_any or not second.printed_any else second)
    if transfers_disabled(bundle.inference_options, commands, bundle.trt_version):
        for key in TRANSFERS:
            metrics[key] = Stats(unmeasured=NOT_MEASURED)
    # only figures trtexec printed are compared (a summary `trtinspect profile` wrote is not trtexec's)
    printed_by_trtexec = _times_writer(bundle) == "trtexec"
    agreement = (trt.compare(rec, summary, bundle.times)
                 if rec is not None and not summary.empty and printed_by_trtexec else [])
    line = trt.describe(agreement)
    if line:
        notes.append(line)
    batch, batch_source = batch_of(bundle)
    throughput = _scalar(by_metric.get("Throughput", []))
    walltime = _scalar(by_metric.get("Total Host Walltime", []))
    gpu_total = rec.gpu_compute_s if rec is not None and rec.gpu_compute_s is not None else _scalar(
        by_metric.get("Total GPU Compute Time", []))
    if rec is not None:
        throughput = throughput if throughput is not None else rec.throughput_qps
        walltime = walltime if walltime is not None else rec.walltime_s
    window = None
    if rec is not None:
        window = Window(rec.first, rec.total, rec.warmup_ms if rec.era != "other" else None, rec.warmup_source)
    samples = rec.samples if rec is not None else {}
    return TimingSummary(metrics, rec.iterations if rec is not None else None, throughput, samples, window,
                         walltime, gpu_total, batch, batch_source, agreement, notes)


def _recompute(bundle: EngineBundle, notes: list[str]) -> trt.Recomputed | None:
    times = bundle.times
    if times.empty:
        return None
    writer = _times_writer(bundle)
    warmup, source = _window(bundle, writer)
    percentiles = trt.percentiles_of(bundle.summary) if not bundle.summary.empty else list(trt.DEFAULT_PERCENTILES)
    if 99.0 not in percentiles:
        percentiles = [*percentiles, 99.0]
    era = str(bundle.extras.get("times_era", "unknown")) if writer == "trtexec" else "other"
    rec = trt.recompute(times, warmup=warmup if warmup is not None else -math.inf, warmup_source=source,
                        percentiles=percentiles, batch=run_facts.implicit_batch(bundle) or 1, era=era,
                        exact=writer == "trtexec")
    if rec is None:
        notes.append(f"no exported iteration starts its compute after the {warmup:g} ms warm-up ({source}): "
                     "the times file holds warm-up only; per-iteration figures are not shown")
        return None
    if writer != "trtexec":
        method = bundle.extras.get("times_method")
        notes.append(f"measured window: all {rec.total} exported iterations ({source})"
                     + (f"; {method}" if method else ""))
        notes.append(f"{NOT_TRTEXEC} (not printed by trtexec): {trt.RULES}")
    elif rec.first:
        notes.append(f"measured window: iterations {rec.first + 1}-{rec.total} of the times file, as trtexec "
                     f"reports them; the first {rec.first} ran in the {warmup:g} ms warm-up ({source})")
    else:
        notes.append(f"measured window: all {rec.total} exported iterations (none starts inside the "
                     f"{warmup:g} ms warm-up; {source})")
    notes.extend(rec.notes)
    return rec

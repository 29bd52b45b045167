"""Rules about the whole timed run, read from the bundle's one timing summary (``EngineBundle.timing``):
trtexec's own throughput warnings, reproduced exactly.

trtexec (``samples/common/sampleReporting.cpp``, ``printEpilog``, TensorRT 8.0 and later) compares medians of
the measured iterations after printing its performance summary:

* ``enqueue-bound``: ``Enqueue Time median > 0.8 x GPU Compute Time median`` ("Throughput may be bound by
  Enqueue Time rather than GPU Compute and the GPU may be under-utilized.");
* ``transfer-bound``: ``H2D Latency median >= GPU Compute Time median`` (inputs) and the same for ``D2H
  Latency`` (outputs) ("Throughput may be bound by host-to-device / device-to-host transfers ...").

The comparison is made as trtexec makes it, in float32. The medians are trtexec's: the printed summary's
(6 significant digits, so a case within the last printed digit of the threshold may differ from what trtexec
decided), or recomputed from an ``--exportTimes`` file with trtexec's rules. These findings have no layers and
no cost on the per-layer basis: a host-side limit is not a layer's time. What the GPU idled is bounded by
trtexec's totals (Total Host Walltime - Total GPU Compute Time) and said in the finding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trtinspect.inspector.rules_base import Finding, LintContext
from trtinspect.parsers.timing import Stats

ENQUEUE_ID = "enqueue-bound"
TRANSFER_ID = "transfer-bound"
THRESHOLDS: dict[str, dict[str, float]] = {
    # trtexec's kENQUEUE_BOUND_REPORTING_THRESHOLD (enqueueBoundReportingThreshold before 8.6)
    ENQUEUE_ID: {"enqueue_over_compute": 0.8, "busy_share_info": 0.95},
    # trtexec: h2d/d2h median >= GPU compute median
    TRANSFER_ID: {"transfer_over_compute": 1.0},
}
SOURCE = "trtexec's rule (samples/common/sampleReporting.cpp, printEpilog)"
NO_TRANSFERS_NOTE = (
    "--noDataTransfers does not change it: trtexec launches the copies outside the timed enqueue call"
)


def _printed(value: float) -> str:
    """A figure as trtexec prints it (6 significant digits)."""
    return f"{value:.6g}"


def _medians(ctx: LintContext, key: str) -> tuple[Stats, Stats] | None:
    timing = ctx.bundle.timing
    metric, gpu = timing.metrics.get(key), timing.gpu_compute
    if metric is None or metric.median is None or gpu.median is None or gpu.median <= 0:
        return None
    return metric, gpu


def _warning_line(ctx: LintContext, text: str) -> int | None:
    """The log line where trtexec printed this warning itself, if the bundle's log has it."""
    w = ctx.bundle.warnings
    if w.empty:
        return None
    for line_no, message in zip(w["line_no"].tolist(), w["message"].tolist(), strict=True):
        if text in str(message):
            return int(line_no)
    return None


def run_by(ctx: LintContext) -> str:
    """Who ran the timed inferences, for advice in the run's own terms: ``"nsys"`` (an Nsight Systems capture of
    an application), ``"profile"`` (``trtinspect profile``: TensorRT's Python API, one stream and execution
    context, each inference waited for before the next), else ``"trtexec"``."""
    bundle = ctx.bundle
    if "nsys_sqlite" in bundle.sources or "nsys_stats_csv" in bundle.sources:
        return "nsys"
    return "profile" if bundle.extras.get("times_writer") == "trtinspect profile" else "trtexec"


def _not_trtexec(ctx: LintContext) -> str | None:
    """How the measured iterations were taken when trtexec did not write them (nsys, ``trtinspect profile``): the
    timing summary's own words, as ``report`` shows them (``timing.window.warmup_source``); None for trtexec's."""
    window = ctx.bundle.timing.window
    return window.warmup_source if window is not None and window.warmup_ms is None else None


def _medians_from(ctx: LintContext, stats: Stats) -> str:
    if stats.source == "summary":
        return "the summary trtinspect profile wrote" if run_by(ctx) == "profile" else "trtexec's printed summary"
    other = _not_trtexec(ctx)
    return "the --exportTimes iterations" if other is None else f"the measured iterations ({other})"


def busy_share(ctx: LintContext) -> tuple[float | None, str]:
    """GPU busy share of the host walltime from trtexec's totals (or the same totals of the measured iterations
    when trtexec did not write them), and a sentence saying it."""
    t = ctx.bundle.timing
    wall, gpu = t.walltime_s, t.gpu_compute_s
    if not wall or gpu is None or wall <= 0:
        return None, "trtexec's totals (Total Host Walltime, Total GPU Compute Time) are not in these files"
    share = gpu / wall
    other = _not_trtexec(ctx)
    said = (f"Total GPU Compute Time {_printed(gpu)} s of Total Host Walltime {_printed(wall)} s "
            f"(GPU busy {share:.1%})" if other is None else
            f"GPU compute time {_printed(gpu)} s of host walltime {_printed(wall)} s over the measured iterations, "
            f"totalled as trtexec totals them (GPU busy {share:.1%})")
    if share > 1:
        return None, said + OVER_WALLTIME.get(run_by(ctx), OVER_WALLTIME["trtexec"])
    return share, said


# Why the GPU compute total can exceed the host walltime, by who ran the inferences (run_by): trtexec's totals sum
# each inference's GPU time, so inferences in flight together (--streams / --infStreams) count twice; trtinspect
# profile runs one inference at a time on one stream and waits for each, so there it means the GPU's event times
# and the host's clock disagree (the labelled TensorRT test double's simulated GPU clock is not the host's).
OVER_WALLTIME = {
    "trtexec": ": inferences overlapped (several streams), so the idle time is not known",
    "nsys": ": inferences overlapped (several streams), so the idle time is not known",
    "profile": (": trtinspect profile runs one inference at a time on one stream and waits for each, so inferences "
                "cannot overlap: the GPU's event times and the host's clock disagree (a simulated GPU clock, as the "
                "TensorRT test double's, does this), so the idle time is not known"),
}


def _graph_advice(ctx: LintContext) -> str:
    graphs = ctx.cuda_graphs
    if graphs:
        return ("the run already used CUDA graphs (one graph launch per inference), so what remains is the "
                "launch itself and any wait inside it")
    advice = ("run with CUDA graphs (trtexec --useCudaGraph; TensorRT 11's trtexec uses them unless "
              "--noCudaGraph; in an application, capture enqueueV3 in a CUDA graph): one graph launch "
              "replaces the per-kernel launches")
    if graphs is None:
        advice += " (if the run did not already use them: these files do not say)"
    return advice


def _enqueue_advice(ctx: LintContext) -> str:
    """enqueue-bound's mitigation in the words of the source: trtexec's flags for a trtexec run; for an Nsight
    Systems capture (of any application, trtexec's own flags unknown) and for ``trtinspect profile`` (TensorRT's
    Python API) what an application does with TensorRT's and CUDA's API."""
    by = run_by(ctx)
    if by == "trtexec":
        return (f"Shorten the host's work per inference: {_graph_advice(ctx)}; --useSpinWait (the host wakes as "
                "soon as an inference finishes; more CPU); several inference streams (trtexec --infStreams=2, "
                "an application's threads/streams) so one inference is enqueued while another runs; a larger "
                f"batch (one enqueue for more samples). {NO_TRANSFERS_NOTE}.")
    if ctx.cuda_graphs:
        graphs = _graph_advice(ctx)
    else:
        graphs = ("capture enqueueV3 in a CUDA graph once (cudaStreamBeginCapture / cudaStreamEndCapture) and "
                  "launch the graph per inference (cudaGraphLaunch): one launch replaces the per-kernel launches")
        graphs += (" (if the application already launches a graph, what remains is the launch itself: the "
                   "export's enqueue ranges do not say)" if by == "nsys" else "")
    spin = ("let the thread that waits for results spin (cudaSetDeviceFlags(cudaDeviceScheduleSpin): it wakes as "
            "soon as an inference finishes; more CPU)")
    streams = ("several CUDA streams, each with its own execution context, so one inference is enqueued while "
               "another runs; a larger batch (one enqueue for more samples)")
    if by == "nsys":
        return f"Shorten the host's work per inference: {graphs}; {spin}; {streams}. {NSYS_TRANSFERS_NOTE}."
    return (f"{PROFILE_ENQUEUE_NOTE}. In the application, shorten the host's work per inference: {graphs}; "
            f"enqueue from C++ (IExecutionContext::enqueueV3) where the Python call's own time counts; {streams}. "
            f"{PROFILE_TRANSFERS_NOTE}.")


# how `trtinspect profile` (capture/cuda_timing.py) runs the timed iterations, for advice on its bundles
PROFILE_ENQUEUE_NOTE = ("trtinspect profile timed Enqueue as the host time of one execute_async_v3 call of "
                        "TensorRT's Python API (the binding's own time included), one inference at a time on one "
                        "stream and execution context, each waited for before the next, so no inference was "
                        "enqueued while another ran")
PROFILE_TRANSFERS_NOTE = ("The H2D/D2H copies are not in this Enqueue time: trtinspect profile launches them before "
                          "and after the execute_async_v3 call")


NSYS_TRANSFERS_NOTE = ("The H2D/D2H copies are not in this Enqueue time: the export's iterations count the copies "
                       "launched before and after each enqueue range as H2D/D2H")


def check_enqueue_bound(ctx: LintContext) -> list[Finding]:
    """trtexec's enqueue-bound warning: median enqueue time > 0.8 x median GPU compute time."""
    got = _medians(ctx, "enqueue_ms")
    if got is None:
        return []
    enq, gpu = got
    ratio = THRESHOLDS[ENQUEUE_ID]["enqueue_over_compute"]
    assert enq.median is not None and gpu.median is not None
    if not np.float32(enq.median) > np.float32(ratio) * np.float32(gpu.median):
        return []
    share, busy = busy_share(ctx)
    line = _warning_line(ctx, "bound by Enqueue Time")
    mostly_busy = share is not None and share >= THRESHOLDS[ENQUEUE_ID]["busy_share_info"]
    where = _medians_from(ctx, enq)
    cause = (
        f"{SOURCE}: the median Enqueue Time (the host's time in the enqueue call of one inference) "
        f"{_printed(enq.median)} ms is more than {ratio:g} x the median GPU Compute Time "
        f"{_printed(gpu.median)} ms (medians from {where}), so the host may not keep the GPU fed"
        + ("" if line is None else f"; trtexec printed this warning on line {line}")
        + f". {busy}"
    )
    if mostly_busy:
        assert share is not None
        cause += (
            ": the GPU was rarely idle, so in this run the long enqueue mostly waited for the GPU (an enqueue "
            "call blocks when CUDA's launch queue is full) rather than starving it; a faster enqueue could add "
            f"at most {1 - share:.1%} throughput"
        )
    ev: dict[str, Any] = {
        "enqueue_median_ms": enq.median,
        "gpu_compute_median_ms": gpu.median,
        "threshold": ratio,
        "enqueue_over_compute": round(enq.median / gpu.median, 4),
        "medians_from": enq.source,
        "gpu_busy_share": None if share is None else round(share, 4),
        "cuda_graphs": ctx.cuda_graphs,
        "line_no": line,
    }
    tail = f"; the GPU was still busy {share:.1%} of the host walltime" if mostly_busy and share else ""
    return [
        Finding(
            rule_id=ENQUEUE_ID,
            rows=[],
            title=(f"Throughput may be bound by Enqueue Time: median {_printed(enq.median)} ms > {ratio:g} x GPU "
                   f"compute median {_printed(gpu.median)} ms{tail}"),
            cause=cause,
            evidence=ev,
            severity="info" if mostly_busy else None,
            cost_ms=math.nan,
            cost_method=(
                "not estimated: host time is not a layer's time; "
                + (f"what the GPU idled (1 - {share:.1%} of the walltime) bounds the throughput a faster enqueue "
                   "could add" if share is not None else "the GPU's idle time is not known (" + busy + ")")
            ),
            mitigation=_enqueue_advice(ctx),
        )
    ]


def check_transfer_bound(ctx: LintContext) -> list[Finding]:
    """trtexec's transfer-bound warnings: median H2D (or D2H) latency >= median GPU compute time."""
    out: list[Finding] = []
    advice = TRANSFER_ADVICE[run_by(ctx)]
    for key, what, text, direction in (
        ("h2d_ms", "host-to-device transfers for the inputs", "bound by host-to-device", "H2D Latency"),
        ("d2h_ms", "device-to-host transfers for the outputs", "bound by device-to-host", "D2H Latency"),
    ):
        got = _medians(ctx, key)
        if got is None:
            continue
        copy, gpu = got
        assert copy.median is not None and gpu.median is not None
        if not np.float32(copy.median) >= np.float32(gpu.median):
            continue
        line = _warning_line(ctx, text)
        out.append(
            Finding(
                rule_id=TRANSFER_ID,
                rows=[],
                title=(f"Throughput may be bound by {what}: {direction} median {_printed(copy.median)} ms >= GPU "
                       f"compute median {_printed(gpu.median)} ms"),
                cause=(
                    f"{SOURCE}: the median {direction} {_printed(copy.median)} ms is at least the median GPU "
                    f"Compute Time {_printed(gpu.median)} ms, so the copies, not the engine, may limit throughput"
                    + ("" if line is None else f"; trtexec printed this warning on line {line}")
                    + f". {advice[0]}"
                ),
                evidence={f"{key[:3]}_median_ms": copy.median, "gpu_compute_median_ms": gpu.median,
                          "medians_from": copy.source, "line_no": line},
                cost_ms=math.nan,
                cost_method="not estimated: copy time is not a layer's time",
                mitigation=advice[1],
            )
        )
    return out


# transfer-bound's (cause sentence, mitigation) by who ran the inferences (:func:`run_by`): how to time the engine
# without the copies is that tool's own option; what an application does about the copies is the same everywhere
_APP_COPIES = ("In the application: pinned (page-locked) host buffers, copies on their own stream overlapping the "
               "previous inference (double buffering), data kept on the GPU between stages (pre/post-processing on "
               "the GPU), smaller I/O types (FP16/INT8 bindings: ")
TRANSFER_ADVICE: dict[str, tuple[str, str | None]] = {
    "trtexec": ("trtexec's advice (measure the engine without the copies: --noDataTransfers, TensorRT 11: leave out "
                "--includeDataTransfers) changes the measurement, not the application",
                None),   # the rule's own mitigation (inspector/rules.py), written for trtexec runs
    "profile": ("Measuring the engine without the copies (trtinspect profile --no-transfers) changes the "
                "measurement, not the application; trtinspect profile copies from pinned host buffers unless its "
                "notes say one could not be pinned",
                _APP_COPIES + "I/O formats set when the engine is built, ITensor.allowed_formats / dtype or trtexec "
                "--inputIOFormats/--outputIOFormats). To time the engine alone: trtinspect profile --no-transfers."),
    "nsys": ("The export's H2D/D2H are the copies the application launched before and after each enqueue range",
             _APP_COPIES + "I/O formats set when the engine is built, ITensor.allowed_formats / dtype or trtexec "
             "--inputIOFormats/--outputIOFormats)."),
}

"""Rules read from the per-layer profile: hot layers, many tiny kernels, shape/cast share, unstable timing.

All thresholds are declared in :data:`THRESHOLDS` (shown in ``rules_frame()`` and docs/lint.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trtinspect.inspector import rules_causes, rules_run
from trtinspect.inspector.rules_base import Finding, LintContext, names_of, short
from trtinspect.inspector.rules_run import run_by
from trtinspect.parsers import run_settings
from trtinspect.parsers.timing import FROM_TIMES

THRESHOLDS: dict[str, dict[str, float]] = {
    "hot-layer": {"min_share": 0.10},
    # launch_ms: assumed launch overhead per kernel that CUDA graphs remove (an assumption, stated in the
    # finding; measure with Nsight Systems for the real gaps).
    "tiny-kernels": {"max_ms": 0.010, "min_count": 10, "min_share": 0.20, "launch_ms": 0.002},
    "shape-layers": {"min_time_share": 0.05, "min_count_share_without_profile": 0.30, "min_count": 3},
    "unstable-timing": {"min_relative_gap": 0.20, "min_ms": 0.010},
}


def _timed(ctx: LintContext) -> list[int]:
    return np.flatnonzero(~np.isnan(ctx.avg_array)).tolist()


def _candidates(mask: np.ndarray) -> list[int]:
    """Rows a column-wise test keeps (the rule then decides each of them with its per-row test, so the
    column-wise one only has to keep every row that per-row test could accept)."""
    return np.flatnonzero(mask).tolist()


def check_hot_layers(ctx: LintContext) -> list[Finding]:
    """Layers taking at least ``min_share`` of the per-layer total time."""
    total = ctx.per_layer_total_ms
    if not ctx.has_profile or total <= 0:
        return []
    limit = THRESHOLDS["hot-layer"]["min_share"]
    out: list[Finding] = []
    for r in _candidates(ctx.avg_array / total >= limit):  # NaN: untimed, never a candidate
        share = ctx.avg_ms[r] / total
        if share < limit:
            continue
        kind = ctx.parameter_type[r] or ctx.layer_type[r] or "layer"
        ev: dict[str, Any] = {
            "share_of_layer_total": round(share, 4),
            "avg_ms": ctx.avg_ms[r],
            "median_ms": ctx.median_ms[r],
            "layer_type": ctx.layer_type[r] or None,
            "precision": ctx.precision[r] or None,
            "tactic": ctx.tactic[r] or None,
        }
        out.append(
            Finding(
                rule_id="hot-layer",
                rows=[r],
                title=f"Hot layer: {short(ctx.names[r], 60)} ({share:.1%} of the per-layer time)",
                cause=f"{kind} in {ctx.precision[r] or 'unknown precision'} takes {share:.1%} of the summed "
                "per-layer time; other findings on this layer (if any) say why it may be slow",
                evidence=ev,
            )
        )
    return out


def check_tiny_kernels(ctx: LintContext) -> list[Finding]:
    """Many layers each shorter than ``max_ms``, together a large share of the time: launch-bound.

    No saving is estimated: the per-layer times are the kernels' GPU time, which CUDA graphs do not shorten
    (the launch overhead they remove is host time, not in those times); the GPU busy share of the walltime,
    when trtexec's totals are there, shows whether the GPU waited. When the run already used CUDA graphs they
    are not advised.
    """
    total = ctx.per_layer_total_ms
    if not ctx.has_profile or total <= 0:
        return []
    th = THRESHOLDS["tiny-kernels"]
    avg = ctx.avg_array
    tiny = [r for r in _candidates((avg > 0) & (avg < th["max_ms"])) if not ctx.is_noop(r)]
    tiny_ms = math.fsum(ctx.avg_ms[r] for r in tiny)
    share = tiny_ms / total
    if len(tiny) < th["min_count"] or share < th["min_share"]:
        return []
    us = th["launch_ms"] * 1000
    graphs = ctx.cuda_graphs
    ev: dict[str, Any] = {
        "count": len(tiny),
        "share_of_layer_total": round(share, 4),
        "tiny_ms": tiny_ms,
        "max_ms": th["max_ms"],
        "cuda_graphs": graphs,
        "examples": names_of(ctx, tiny[:5]),
    }
    fuse = "simplify the graph so more layers fuse (fewer, larger kernels), or increase the batch size"
    if graphs:
        return [
            Finding(
                rule_id="tiny-kernels",
                rows=tiny,
                title=f"{len(tiny)} tiny kernels (< {th['max_ms'] * 1000:.0f} us each) take {share:.1%} of the "
                "per-layer time (CUDA graphs already used)",
                cause=f"{len(tiny)} of {ctx.n} layers run for less than {th['max_ms'] * 1000:.0f} us each; the "
                "run already used CUDA graphs, so launch overhead is mostly removed and the small kernels' "
                "own time remains",
                evidence=ev,
                cost_ms=math.nan,
                cost_kind="not estimated",
                cost_method=(
                    f"not estimated: the run used CUDA graphs (launch overhead already removed); the "
                    f"kernels' own time is {tiny_ms:.4f} ms"
                ),
                mitigation=fuse[0].upper() + fuse[1:] + ".",
            )
        ]
    launch = ("run with CUDA graphs (trtexec --useCudaGraph / cudaStreamBeginCapture)" if run_by(ctx) == "trtexec"
              else "capture the inference in a CUDA graph in the application (cudaStreamBeginCapture / "
                   "cudaStreamEndCapture once, cudaGraphLaunch per inference)")
    if graphs is None:
        launch += " if the run did not already use them (the inputs do not say)"
    busy = _launch_evidence(ctx, ev)
    return [
        Finding(
            rule_id="tiny-kernels",
            rows=tiny,
            title=f"{len(tiny)} tiny kernels (< {th['max_ms'] * 1000:.0f} us each) take {share:.1%} of the "
            "per-layer time",
            cause=f"{len(tiny)} of {ctx.n} layers run for less than {th['max_ms'] * 1000:.0f} us each; at this "
            f"size each kernel's launch (about {us:.0f} us of host time without CUDA graphs, assumed) can take "
            f"longer than the kernel itself, so the GPU may wait between kernels. {busy}",
            evidence=ev,
            cost_ms=math.nan,
            cost_kind="not estimated",
            cost_method=(
                "not estimated: the per-layer times are each kernel's GPU time; launch overhead and gaps between "
                "kernels are not in them, so no part of them is what CUDA graphs save (if each launch costs "
                f"{us:.0f} us of host time, assumed, the {len(tiny)} launches take about "
                f"{len(tiny) * th['launch_ms']:.4f} ms of host time per inference: not a per-layer saving; "
                "measure the real gaps with Nsight Systems)"
            ),
            mitigation=f"Reduce launch overhead: {launch}; or {fuse}.",
        )
    ]


def _launch_evidence(ctx: LintContext, ev: dict[str, Any]) -> str:
    """What shows whether the run was launch-bound: the GPU busy share of the host walltime (trtexec's totals),
    recorded in ``ev`` (``gpu_busy_share``, ``host_launch_ms_assumed``), and a sentence saying it."""
    share, said = rules_run.busy_share(ctx)
    ev["gpu_busy_share"] = None if share is None else round(share, 4)
    ev["host_launch_ms_assumed"] = ev["count"] * THRESHOLDS["tiny-kernels"]["launch_ms"]
    if share is None:
        return f"Whether it did is not in per-layer times: {said}."
    return (f"{said}: the GPU idled {1 - share:.1%} of the run (launches, gaps and host work together; per-layer "
            "times cannot split them).")


def check_shape_layers(ctx: LintContext) -> list[Finding]:
    """Shape, cast, reshape, shuffle, copy layers taking a large share of the time (or of the layers).

    Layers another rule gives a cause for are left to it: the input path (``input-path``) and explicit
    padding layers (``explicit-padding``)."""
    th = THRESHOLDS["shape-layers"]
    rows = [r for r in range(ctx.n) if ctx.is_shape_only(r) and not ctx.is_noop(r)]
    if len(rows) < th["min_count"]:  # fewer still once the explained ones are left out
        return []
    explained = set(rules_causes.explained_data_movement(ctx))
    rows = [r for r in rows if r not in explained]
    if len(rows) < th["min_count"]:
        return []
    total = ctx.per_layer_total_ms
    if ctx.has_profile and total > 0:
        ms = ctx.time_of(r for r in rows if not math.isnan(ctx.avg_ms[r]))
        share = ms / total
        if share < th["min_time_share"]:
            return []
        measure = f"{share:.1%} of the per-layer time"   # one decimal, as every other share
    else:
        share = len(rows) / max(ctx.n, 1)
        if share < th["min_count_share_without_profile"]:
            return []
        measure = f"{share:.1%} of the layers (no profile: time unknown)"
    return [
        Finding(
            rule_id="shape-layers",
            rows=rows,
            title=f"{len(rows)} shape/cast/shuffle layers take {measure}",
            cause="data-movement layers (reshape, transpose, cast, shuffle, slice, gather) do no math; a "
            "large "
            "share "
            "points at layout changes or casts the model could avoid",
            evidence={
                "count": len(rows),
                "share": round(share, 4),
                "basis": "time" if ctx.has_profile else "count",
                "examples": names_of(ctx, rows[:8]),
            },
            confidence="proven" if ctx.detailed else "inferred",
        )
    ]


def printed_averages(ctx: LintContext) -> np.ndarray:
    """Each row's average as its source printed it (a ``--dumpProfile`` table's ``Avg.(ms)``, a profile JSON's
    ``averageMs``), NaN where untimed. ``ctx.avg_ms`` is on the per-layer total's basis (a table row's time
    share of its Total row, trtexec's Time % rule), which can differ in the last printed digit; figures shown
    per layer are the printed ones."""
    cache = ctx.rule_cache
    if "printed_avg" not in cache:
        derived = ctx.avg_array
        out = derived
        profile = ctx.bundle.profile
        if ctx.has_profile and "avg_ms" in profile:
            joined = ctx.bundle.layer_times()
            rows = joined.get("profile_row")
            if rows is not None and len(rows) == ctx.n:
                at = rows.to_numpy(dtype="float64", na_value=np.nan)
                printed = profile["avg_ms"].to_numpy(dtype="float64", na_value=np.nan)
                ok = ~np.isnan(at)
                out = derived.copy()
                out[ok] = printed[at[ok].astype(np.int64)]
                out[ok & np.isnan(out)] = derived[ok & np.isnan(out)]
        cache["printed_avg"] = out
    printed_avg: np.ndarray = cache["printed_avg"]
    return printed_avg


def check_unstable_timing(ctx: LintContext) -> list[Finding]:
    """Layers whose average and median differ widely (both as printed), and the log's unstable-compute
    warning."""
    th = THRESHOLDS["unstable-timing"]
    out: list[Finding] = []
    a, m = printed_averages(ctx), ctx.median_array
    with np.errstate(divide="ignore", invalid="ignore"):
        maybe = (m > 0) & (np.maximum(a, m) >= th["min_ms"]) & (np.abs(a - m) / m >= th["min_relative_gap"])
    for r in _candidates(maybe):  # NaN anywhere: False
        avg, med = float(a[r]), ctx.median_ms[r]
        if math.isnan(med) or med <= 0 or max(avg, med) < th["min_ms"]:
            continue
        gap = abs(avg - med) / med
        if gap < th["min_relative_gap"]:
            continue
        out.append(
            Finding(
                rule_id="unstable-timing",
                rows=[r],
                title=f"Unstable timing: {short(ctx.names[r], 60)} (average {avg:.4f} vs median "
                f"{med:.4f} ms)",
                cause=f"average and median differ by {gap:.0%}: outlier iterations (clock changes, other "
                "work on "
                "the "
                "GPU, or data-dependent work) make this layer's time unreliable",
                evidence={"avg_ms": avg, "median_ms": med, "relative_gap": round(gap, 4)},
                cost_ms=math.nan,
                cost_kind="not estimated",
                cost_method="a measurement-quality finding: nothing to save",
                # one cause (noisy timing of the run), one finding listing every layer
                group="unstable layers",
                group_title=f"Unstable timing: {{n}} layers whose average and median differ by "
                f"{th['min_relative_gap']:.0%} or more",
                group_cause="outlier iterations (clock changes, other work on the GPU, or data-dependent work) "
                "make these {n} layers' times unreliable: one cause, the run's timing noise (per layer: "
                "evidence.members, average vs median as printed)",
            )
        )
    w = ctx.bundle.warnings
    if not w.empty:
        hits = w[(w["kind"] == "unstable_compute").fillna(False).astype(bool)]
        for line_no, message in zip(hits["line_no"].tolist(), hits["message"].tolist(), strict=True):
            out.append(
                Finding(
                    rule_id="unstable-timing",
                    rows=[],
                    title="trtexec warns that GPU compute time is unstable",
                    cause=str(message),
                    evidence={"line_no": int(line_no), "message": str(message)},
                    cost_ms=math.nan,
                )
            )
    if not any(not f.rows for f in out):  # trtexec's own warning is not in these files: apply its rule
        out.extend(_unstable_compute(ctx))
    if out:
        advice = unstable_advice(ctx)
        for f in out:
            f.mitigation = advice
    return out


def unstable_advice(ctx: LintContext) -> str:
    """unstable-timing's mitigation: trtexec's own advice (lock the GPU clocks; --useSpinWait, named when the
    run did not spin-wait or the files do not say), then more iterations and medians."""
    spin = run_settings.spin_wait(ctx.bundle)
    trtexec = run_by(ctx) == "trtexec"   # --useSpinWait is trtexec's flag
    if spin is False and trtexec:
        wait = ("run with --useSpinWait (trtexec's own advice; this run had spin-wait off: with a blocking wait "
                "the host wakes late after some iterations, and the GPU may idle and change clocks between them), ")
    elif spin is None and trtexec:
        wait = "run with --useSpinWait if the run did not already use it (these files do not say), "
    else:
        wait = ""
    return (f"Lock GPU clocks (nvidia-smi -lgc), {wait}keep other work off the GPU, {MORE_ITERATIONS[run_by(ctx)]} "
            "and compare medians.")


# How to time more iterations, in the terms of who ran the inferences (rules_run.run_by): trtexec's options,
# trtinspect profile's options, or, for an Nsight Systems capture of an arbitrary application, the capture itself.
MORE_ITERATIONS = {
    "trtexec": "use more iterations (--iterations / --duration)",
    "profile": "use more iterations (trtinspect profile --iterations / --duration)",
    "nsys": ("capture more iterations of the application (let it run more inferences inside a longer capture: "
             "nsys profile --duration, or a wider --capture-range)"),
}


# trtexec's kUNSTABLE_PERF_REPORTING_THRESHOLD (coefficient of variation of GPU Compute Time, %), read in every OSS
# release tag of NVIDIA/TensorRT's samples/common/sampleReporting.cpp: absent in 8.0.1 and 8.2.1, 1.0 from 8.4.1
# (when the check was added) to 10.13.0, 2.5 from 10.13.2 to 11.1 (the newest tag read). 8.3.x and 10.13.1 have
# no OSS release, so their threshold is not known.
CV_THRESHOLDS: tuple[tuple[tuple[int, ...], float], ...] = (((10, 13, 2), 2.5), ((8, 4), 1.0))
CV_UNREAD: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (((8, 3), (8, 4)), ((10, 13, 1), (10, 13, 2)))
CV_LAST_READ = (11, 1)
CV_CURRENT = 2.5


def _version(text: str | None) -> tuple[int, ...] | None:
    parts = []
    for p in str(text or "").split("."):
        if not p.isdigit():
            break
        parts.append(int(p))
    return tuple(parts) if len(parts) >= 2 else None


def cv_threshold(version: str | None) -> tuple[float | None, str, bool]:
    """The CV threshold (%) for the TensorRT version, how it was chosen, and whether it is that trtexec's own
    (False: the tool's, when the version is unknown or its source was not published); None: that trtexec did
    not check."""
    v = _version(version)
    tool = f"the tool's threshold: {CV_CURRENT:g}% as trtexec 10.13.2+ (1% in 8.4 to 10.13.0)"
    if v is None:
        return CV_CURRENT, f"TensorRT version unknown, so {tool}", False
    if any(lo <= v < hi for lo, hi in CV_UNREAD):
        return CV_CURRENT, f"trtexec {version}'s source was not published, so {tool}", False
    for since, pct in CV_THRESHOLDS:
        if v >= since:
            if v[:2] > CV_LAST_READ:
                return pct, f"trtexec 11.1's threshold ({version}'s source not read)", True
            return pct, f"trtexec {version}'s threshold", True
    return None, f"trtexec {version} did not check it (added in 8.4)", True


def coefficient_of_variation(values: np.ndarray, mean: float, *, float32: bool) -> float:
    """trtexec's ``findCoeffOfVariance``: population standard deviation / mean x 100, the squared deviations
    summed in float32 in ascending order (float64 for times other tools wrote)."""
    if float32:
        f = np.float32
        dev = np.sort(values.astype(f)) - f(mean)
        var = np.cumsum(dev * dev, dtype=f)[-1] / f(values.size)
        return float(f(np.sqrt(f(var))) / f(mean) * f(100))
    return float(np.sqrt(np.mean((values - mean) ** 2)) / mean * 100)


def _threshold_label(version: str | None, threshold: float, trtexecs: bool) -> str:
    """Whose threshold the unstable-timing title states: that trtexec's (its version named), or the tool's."""
    if trtexecs:
        return f"trtexec {version}'s rule: > {threshold:g}%"
    why = f"trtexec {version}'s is not published" if version else "TensorRT version unknown"
    return f"> {threshold:g}%, the tool's threshold: {why}"


def _unstable_compute(ctx: LintContext) -> list[Finding]:
    """trtexec's "GPU compute time is unstable" rule on the measured iterations of a times file."""
    timing = ctx.bundle.timing
    gpu, samples = timing.gpu_compute, timing.samples.get("compute_ms")
    if gpu.source != FROM_TIMES or samples is None or not samples.size or not gpu.mean or gpu.mean <= 0:
        return []
    threshold, chosen, trtexecs = cv_threshold(ctx.bundle.trt_version)
    exact = timing.window is not None and timing.window.warmup_ms is not None   # written by trtexec
    cv = coefficient_of_variation(samples, gpu.mean, float32=exact)
    if threshold is None or not cv > threshold:
        return []
    return [
        Finding(
            rule_id="unstable-timing",
            rows=[],
            title=f"GPU compute time is unstable, with coefficient of variance = {cv:.6g}% "
            f"({_threshold_label(ctx.bundle.trt_version, threshold, trtexecs)})",
            cause=f"trtexec's rule (samples/common/sampleReporting.cpp): the GPU Compute Time of the {samples.size} "
            f"measured iterations has a coefficient of variation (standard deviation / mean) of {cv:.6g}%, over "
            f"{threshold:g}% ({chosen}); trtexec prints this warning after its summary. Iterations differ: clock "
            "changes, other work on the GPU, or data-dependent work",
            evidence={"coefficient_of_variation_pct": round(cv, 4), "threshold_pct": threshold,
                      "threshold_basis": chosen, "iterations": int(samples.size), "gpu_compute_mean_ms": gpu.mean},
            cost_ms=math.nan,
        )
    ]

"""check's denominator: each side's per-layer total (:attr:`EngineBundle.layer_total`, what report, lint and diff
use), not the sum of the fusion groups' rows, which on a ``--dumpProfile`` table excerpt is only the listed part
(seed implicit-int8: 1.4451 of 3.1414 ms) and would inflate every share, lower the engine floor and pass the 1%
share criterion for groups below it. Where the profile is an excerpt, the unlisted part is said."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from trtinspect.inspector.check_inputs import BASE, CAND
from trtinspect.inspector.diff import NEGATIVE_GAP
from trtinspect.parsers.model import EngineBundle, per_layer_gap_meaning


def side_layer_totals(
    baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]
) -> dict[str, float]:
    """Per side, the mean over its runs of the per-layer total (``layer_total.ms``; NaN when none is known)."""
    out = {}
    for side, bundles in ((BASE, baseline), (CAND, candidate)):
        ms = [b.layer_total.ms for b in bundles if math.isfinite(b.layer_total.ms)]
        out[side] = math.fsum(ms) / len(ms) if ms else math.nan
    return out


def excerpt_notes(
    baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle], runs: pd.DataFrame
) -> list[str]:
    """One note per side whose --dumpProfile tables are excerpts: the Total row, what the listed rows hold, and
    the part of the per-layer total no row lists (in no group, yet in the denominator of every share)."""
    out = []
    for side, bundles in ((BASE, baseline), (CAND, candidate)):
        if not any(b.layer_total.missing_ms for b in bundles):
            continue
        mine = runs[runs["side"] == side]
        rows_ms = float(mine.groupby("run")["ms"].sum().mean()) if not mine.empty else 0.0
        total = math.fsum(b.layer_total.ms for b in bundles) / len(bundles)
        out.append(f"{side}: the --dumpProfile table is an excerpt: shares are of the per-layer total "
                   f"{total:.4f} ms ({bundles[0].layer_total.basis}); the listed rows hold {rows_ms:.4f} ms, "
                   f"the {total - rows_ms:.4f} ms no row lists is in no group")
    return out


def _side_figures(bundles: Sequence[EngineBundle], centre: float) -> tuple[float, float | None, str, str]:
    """(per-layer total, GPU compute, how) of one side: one run's own figures; over K runs the mean of the runs'
    per-layer totals (as the group table averages them) against the end-to-end centre the headline prints
    (``centre``; the mean of the runs' medians when the headline has no GPU-compute centre). Also how each
    figure was made, as words to print after it (empty for one run)."""
    if len(bundles) == 1:
        return bundles[0].total_layer_ms(), bundles[0].timing.gpu_compute.median, "", ""
    k = len(bundles)
    layers = math.fsum(b.total_layer_ms() for b in bundles) / k
    if math.isfinite(centre):
        return layers, centre, f" (mean of {k} runs)", ", the headline's median"
    medians = [b.timing.gpu_compute.median for b in bundles]
    known = [m for m in medians if m is not None]
    gpu = math.fsum(known) / k if len(known) == k else None
    return layers, gpu, f" (mean of {k} runs)", f" (mean of the {k} runs' medians)"


def overhead_note(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle],
                  centres: tuple[float, float] = (math.nan, math.nan)) -> str | None:
    """Per side with a profile and times: its per-layer total against its median GPU compute, and what the
    difference is: per-layer profiling overhead for a trtexec profile, else the bundle's own meaning
    (:func:`~trtinspect.parsers.model.per_layer_gap_meaning`: nsys per-layer times have no such overhead), said
    once after both sides' figures when both sides share it. ``centres``: the headline's GPU-compute centre per
    side (NaN: none), used for sides of several runs (:func:`_side_figures`)."""
    parts: list[tuple[str, str | None]] = []
    for side, bundles, centre in ((BASE, baseline, centres[0]), (CAND, candidate, centres[1])):
        b = bundles[0]
        if all(x.has_profile and x.has_times for x in bundles):
            layers, gpu, lhow, ghow = _side_figures(bundles, centre)
            if gpu is not None and gpu > 0:
                meaning = per_layer_gap_meaning(b)
                if meaning is None and layers < gpu:   # no overhead to speak of: GPU time outside the layers
                    meaning = NEGATIVE_GAP
                parts.append((   # nsys: a mean per-layer total against a median: the statistic is named
                    f"{side} per-layer total {layers:.3f} ms{lhow} vs {'' if meaning is None else 'median '}GPU "
                    f"compute {gpu:.3f} ms{ghow} ({100 * (layers - gpu) / gpu:+.0f}%", meaning))
    if not parts:
        return None
    shared = parts[0][1] if len(parts) == 2 and parts[0][1] is not None and parts[0][1] == parts[1][1] else None
    if shared is not None:   # one meaning for both sides: said once
        return "; ".join(f"{figures})" for figures, _ in parts) + f": on both sides the difference is {shared}"
    return "; ".join(figures + (" profiling overhead)" if meaning is None else f": {meaning})")
                     for figures, meaning in parts)

"""Reading check inputs from bundles: comparability fields, end-to-end samples, per-group run times, and
validation of each side's runs. Pure functions of bundles; the decisions live in ``inspector/check.py``."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check_chain import (
    CHAIN_KIND,
    CHAINS,
    COPY_KIND,
    merge_by_ids,
    moved_copy_rows,
    qdq_island_rows,
)
from trtinspect.inspector.check_moved import MOVED_OPS, merge_moved_ops
from trtinspect.parsers import run_settings
from trtinspect.parsers.layer_total import per_iteration_profile
from trtinspect.parsers.model import require_tensorrt  # imports the nsys package only for nsys inputs
from trtinspect.parsers.numbers import EVIDENCE, bad_columns, source_file
from trtinspect.parsers.run_facts import build_precision as build_precision  # check reads it from here
from trtinspect.parsers.run_facts import input_shapes, lookup
from trtinspect.parsers.run_facts import shapes_placeholder as shapes_placeholder  # model_match reads it here
from trtinspect.parsers.trtexec_summary import contradiction

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

BASE, CAND = "baseline", "candidate"


@dataclass(frozen=True)
class FieldDiff:
    """A comparability field whose values differ between two bundles."""

    field: str
    baseline: str
    candidate: str
    where: str = "baseline vs candidate"


# The end-to-end centre per source ("iterations": pooled per-iteration samples; "runs": one printed median per run;
# "layer_sum": one per-layer total per run), the word every output prints beside the numbers. One rule for GPU
# compute, whatever the input: the median of the measured window as trtexec prints it (robust to the slow
# outliers a shared GPU adds). A summary log's "median = " is used as printed, never its mean; over several runs
# the centre is the median of the per-run medians. The per-layer total has no median (a sum of per-layer means).
CENTRE = {"iterations": "median", "runs": "median", "layer_sum": "mean"}


def centre_word(source: str | None) -> str:
    """``median`` / ``mean`` for an end-to-end source (``-`` when unknown, e.g. a check without end to end)."""
    return CENTRE.get(str(source), "-")


_SOURCE_WORDS = {"iterations": "per-iteration times", "runs": "GPU compute figure of a performance summary",
                 "layer_sum": "per-layer profile"}


# What the end-to-end figure IS, by its source, in every output (headline, JUnit case, benchmark names, notes): a
# per-layer profile's sum is not GPU compute time (it holds profiler overhead and whatever the profile missed).
_METRIC = {"iterations": "end-to-end GPU compute", "runs": "end-to-end GPU compute",
           "layer_sum": "per-layer profile sum (not GPU compute time)"}


def metric_name(source: str | None, *, short: bool = False) -> str:
    """The end-to-end figure's name for ``source``: ``end-to-end GPU compute`` or ``per-layer profile sum (...)``
    (``short``: without the parenthesis)."""
    name = _METRIC.get(str(source), "end-to-end")
    return name.split(" (", 1)[0] if short else name


# `history`'s statistic column: the centre, and for a per-layer profile sum what the figure is (the column also holds
# GPU compute medians, which a profile sum is not comparable with)
_HISTORY_STAT = {"iterations": "median", "runs": "median", "layer_sum": "lsum"}
HISTORY_LSUM = "lsum: mean per-run per-layer profile sum, not GPU compute time"


def history_stat(source: str | None) -> str:
    """``median`` (GPU compute) or ``lsum`` (a per-layer profile sum, :data:`HISTORY_LSUM`); ``-`` when unknown."""
    return _HISTORY_STAT.get(str(source), "-")


def untested_phrase(n_base: int, n_cand: int, min_runs: int) -> str:
    """Why a change was not tested for significance, e.g. ``not tested for significance: 1 run per side``."""
    runs = (f"{n_base} run{'s' if n_base != 1 else ''} per side" if n_base == n_cand
            else f"{n_base} baseline / {n_cand} candidate run(s)")
    return f"not tested for significance: {runs}, a test needs >= {min_runs} a side"


def source_words(source: str) -> str:
    """The end-to-end evidence ``source`` in words, e.g. ``per-iteration times``."""
    return _SOURCE_WORDS.get(source, source)


# --------------------------------------------------------------------------------------------- bundles


def _shapes(b: EngineBundle) -> str | None:
    """The input shapes the run used (:func:`trtinspect.parsers.run_facts.input_shapes`: the one rule that
    ``report`` shows too)."""
    return input_shapes(b)[0]


# Clocks the run was held at, where recorded: locked clocks (nvidia-smi -lgc/-lmc) or the application clocks
# `trtinspect profile` read from NVML when the run started. NOT the device's maximum clock rate (TREx
# ``compute_clock_ghz``, CUDA ``clockRate``): that is a property of the GPU model and only repeats the gpu check.
_LOCKED_CLOCK_KEYS = ("locked_sm_clock_mhz", "locked_mem_clock_mhz", "app_sm_clock_mhz", "app_mem_clock_mhz")


def _clocks(b: EngineBundle) -> str | None:
    found: dict[str, str] = {}
    state = b.extras.get("gpu_state")
    start = state.get("start") if isinstance(state, dict) else None
    for source in (b.device, start if isinstance(start, dict) else {}):
        for key in _LOCKED_CLOCK_KEYS:
            v = source.get(key)
            if v not in (None, "") and key not in found:
                found[key] = f"{float(v):g}" if isinstance(v, int | float) else str(v)
    return " ".join(f"{k}={v}" for k, v in sorted(found.items())) or None


def _on_off(read: Callable[[EngineBundle], bool | None]) -> Callable[[EngineBundle], str | None]:
    def get(b: EngineBundle) -> str | None:
        v = read(b)
        return None if v is None else "enabled" if v else "disabled"
    return get


def _profiler(b: EngineBundle) -> str | None:
    v = run_settings.profiled_timing(b)
    return None if v is None else "profiler on in the timed run" if v else "timed run not profiled"


def _streams(b: EngineBundle) -> str | None:
    v = run_settings.streams(b)
    return None if v is None else str(v)


# field -> how to read it from a bundle (None = unknown, never a difference). The ENVIRONMENT of a measurement
# and the trtexec inference settings that change the times it reports (parsers/run_settings.py says how each
# does): a difference makes the check exit 3 (not comparable). Declared once; docs/check.md.
COMPARABILITY: dict[str, Callable[[EngineBundle], str | None]] = {
    "gpu": lambda b: lookup(b.device, ["name", "Selected Device", "Name", "device", "gpu"]),
    "trt_version": lambda b: b.trt_version or None,
    "input_shapes": _shapes,
    "clocks": _clocks,
    "cuda_graph": _on_off(run_settings.cuda_graph),
    "spin_wait": _on_off(run_settings.spin_wait),
    "streams": _streams,
    "threads": _on_off(run_settings.threads),
    "data_transfers": _on_off(run_settings.transfers),
    "profiling": _profiler,
    "expose_dma": _on_off(run_settings.expose_dma),
    **{name: partial(run_settings.valued, name=name) for name in run_settings.VALUED},
}
# the run settings among them (the rest is the environment): trtexec inference options, parsers/run_settings.py
RUN_SETTINGS = tuple(list(COMPARABILITY)[list(COMPARABILITY).index("cuda_graph"):])

# Build settings that are part of the change under test: compared, reported first, never "not comparable".
BUILD_CHANGES: dict[str, Callable[[EngineBundle], str | None]] = {
    "precision": build_precision,
}

# --allow-different accepts these; "precision" is kept for configs written when precision blocked the check
# (it no longer does: a precision change is compared).
ALLOWED_FIELDS = (*COMPARABILITY, *BUILD_CHANGES)


def build_changes(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]) -> list[str]:
    """``build precision changed: FP32+FP16 -> FP32`` lines, one per build setting known on both sides that
    differs (unknown is never a change: :func:`settings_not_compared` says so instead)."""
    out = []
    for name, get in BUILD_CHANGES.items():
        vb, vc = get(baseline[0]), get(candidate[0])
        if vb is not None and vc is not None and vb != vc:
            out.append(f"build {name} changed: {vb} -> {vc}")
    return out


@dataclass(frozen=True)
class NotCompared:
    """A setting ``check`` could not compare: unknown on ``sides`` (known on the other side, or unknown on both),
    so a difference in it would go unseen. ``check --json`` lists them (``settings_not_compared``); the notes say
    the same in sentences (:func:`not_compared_notes`)."""

    setting: str                 # a COMPARABILITY field or "precision" (BUILD_CHANGES), as --allow-different names it
    sides: tuple[str, ...]       # ("baseline",), ("candidate",) or both
    why: str                     # why it is unknown there, one reason per side when they differ
    known: str | None = None     # the other side's value when one side knows it (build settings), else None

    def to_dict(self) -> dict[str, Any]:
        return {"setting": self.setting, "sides": list(self.sides), "why": self.why}


def _build_why(bundles: Sequence[EngineBundle]) -> str:
    loaded = bundles[0].extras.get("loaded_engine")
    return (f"the run loaded a serialized engine ({loaded}) and its log records no build settings"
            if loaded else "its files record no build settings")


def _run_why(b: EngineBundle) -> str:
    """Why a side's files leave run settings unknown."""
    if b.inference_options or b.extras.get("commands"):
        return "its files do not record it"
    if "nsys_sqlite" in b.sources or "nsys_stats_csv" in b.sources:
        return "an Nsight Systems export of an application records no trtexec inference options or command line"
    return "its files record no trtexec inference options or command line"


def settings_not_compared(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]) -> list[NotCompared]:
    """Every setting that could not be compared, in the notes' order: build settings known on one side only,
    comparability fields known for one side's run 0 only (any field), then run settings unknown for both (an
    unrecorded GPU clock or TensorRT version of both sides is common and said nowhere else either). Unknown is
    never a difference (:func:`comparability`), so without this list a different setting would go unseen."""
    out = []
    runs = {BASE: baseline, CAND: candidate}
    for name, get in BUILD_CHANGES.items():
        built = {side: get(bundles[0]) for side, bundles in runs.items()}
        unknown = [side for side, v in built.items() if v is None]
        if len(unknown) == 1:
            known = CAND if unknown[0] == BASE else BASE
            out.append(NotCompared(name, (unknown[0],), _build_why(runs[unknown[0]]),
                                   f"{known}: {built[known]}"))
    sides = {BASE: baseline[0], CAND: candidate[0]}
    values = {name: {side: get(b) for side, b in sides.items()} for name, get in COMPARABILITY.items()}
    for side, b in sides.items():
        out += [NotCompared(n, (side,), _run_why(b)) for n, v in values.items()
                if v[side] is None and any(x is not None for x in v.values())]
    whys = {side: _run_why(b) for side, b in sides.items()}
    both = (whys[BASE] if whys[BASE] == whys[CAND] else
            "; ".join(f"{side}: {why}" for side, why in whys.items()))
    out += [NotCompared(n, (BASE, CAND), both) for n, v in values.items()
            if n in RUN_SETTINGS and all(x is None for x in v.values())]
    return out


def not_compared_notes(entries: Sequence[NotCompared]) -> list[str]:
    """The notes that say :func:`settings_not_compared` in sentences: one per build setting (``build precision of
    the candidate is unknown (...; baseline: FP32): not compared``), then one naming every other field."""
    out = [f"build {e.setting} of the {e.sides[0]} is unknown ({e.why}; {e.known}): not compared"
           for e in entries if e.setting in BUILD_CHANGES]
    parts = []
    for side in (BASE, CAND):
        names = [e.setting for e in entries if e.setting not in BUILD_CHANGES and e.sides == (side,)]
        if names:
            why = next(e.why for e in entries if e.sides == (side,) and e.setting not in BUILD_CHANGES)
            why = "its files do not record them" if why == "its files do not record it" else why
            parts.append(f"unknown for the {side} ({why}): {', '.join(names)}")
    both = [e for e in entries if len(e.sides) == 2]
    for why in dict.fromkeys(e.why for e in both):     # one reason (settings_not_compared gives all the same)
        names = [e.setting for e in both if e.why == why]
        why = "their files do not record them" if why == "its files do not record it" else \
            why.replace("its files", "their files", 1) if why.startswith("its files") else why
        parts.append(f"unknown for both sides ({why}): {', '.join(names)}")
    if parts:
        out.append(f"settings not compared (a difference in them would go unseen): {'; '.join(parts)}")
    return out


def comparability(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]) -> list[FieldDiff]:
    """Fields that differ: between runs of one side, and between baseline run 0 and candidate run 0."""
    diffs: list[FieldDiff] = []
    ref_b, ref_c = baseline[0], candidate[0]
    for name, get in COMPARABILITY.items():
        for side, runs in ((BASE, baseline), (CAND, candidate)):
            first = get(runs[0])
            for i, r in enumerate(runs[1:], start=1):
                v = get(r)
                if first is not None and v is not None and v != first:
                    diffs.append(FieldDiff(name, first, v, where=f"{side} run 0 vs run {i}"))
        vb, vc = get(ref_b), get(ref_c)
        if vb is not None and vc is not None and vb != vc:
            diffs.append(FieldDiff(name, vb, vc))
    return diffs


def per_sample_note(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle],
                    allowed: Sequence[FieldDiff], base_ms: float, cand_ms: float) -> str | None:
    """With input shapes allowed to differ, each side's iteration processes a different input: the end-to-end
    centres per sample (divided by each side's batch, ``EngineBundle.timing.batch``), or why there are none."""
    diff = next((d for d in allowed if d.field == "input_shapes" and d.where == "baseline vs candidate"), None)
    if diff is None or not (np.isfinite(base_ms) and np.isfinite(cand_ms)):
        return None
    head = "input shapes differ (allowed): each side's iteration processes a different input, and the verdict " \
           "compares per-iteration times"
    nb, nc = baseline[0].timing.batch, candidate[0].timing.batch
    if not nb or not nc:
        sides = " and ".join(s for s, n in ((BASE, nb), (CAND, nc)) if not n)
        return f"{head}; no per-sample figure: the batch of the {sides} is not recorded"
    if nb == nc:
        return f"{head}; both run batch {nb}: the inputs differ in other dimensions, so no per-sample figure"
    b, c = base_ms / nb, cand_ms / nc
    pct = f" ({100 * (c - b) / b:+.1f}%)" if b > 0 else ""
    return (f"{head}; per sample (batch {nb} vs {nc}): {b:.4g} -> {c:.4g} ms{pct}, the {centre_word('iterations')} "
            "per iteration divided by the batch")


def end_to_end_samples(bundles: Sequence[EngineBundle]) -> tuple[str, list[np.ndarray]]:
    """The best end-to-end GPU compute source every bundle has, and its samples per run (from each bundle's
    one timing summary, :attr:`EngineBundle.timing`)."""
    samples = [b.timing.samples.get("compute_ms") for b in bundles]
    if all(s is not None and s.size for s in samples):
        return "iterations", [s for s in samples if s is not None]
    medians = [gpu_compute_median(b) for b in bundles]
    if all(m is not None for m in medians):
        return "runs", [np.array([m]) for m in medians if m is not None]
    if all(b.has_profile for b in bundles):
        return "layer_sum", [np.array([b.total_layer_ms()]) for b in bundles]
    return "none", []


def gpu_compute_mean(b: EngineBundle) -> float | None:
    """Mean GPU compute time per iteration of one run (the bundle's timing summary), None when unknown."""
    return b.timing.gpu_compute.mean


def gpu_compute_median(b: EngineBundle) -> float | None:
    """Median GPU compute time per iteration of one run as trtexec prints it (the bundle's timing summary: the
    measured window's "median = " of a log, or the same rule over exported times), None when unknown."""
    return b.timing.gpu_compute.median


def profile_per_iteration(b: EngineBundle) -> pd.DataFrame:
    """The run's profile rows with ``avg_ms`` the figure check judges and history records: ms per iteration on
    the per-layer total's basis (:func:`~trtinspect.parsers.layer_total.per_iteration_profile`): an
    ``--exportProfile`` JSON's ``averageMs`` (its timeMs / count), a ``--dumpProfile`` row's Time(ms) share of the
    Total row over the iterations (unrounded, trtexec's Time % rule), never the 4-decimal printed average
    (0.0017 printed is 31.40 ms / 18,362 = 0.00171 ms: the printed digit alone moves a small layer by up to 3%)."""
    return per_iteration_profile(b.profile, b.layer_total)


def profile_ms_by_name(b: EngineBundle) -> dict[str, float]:
    """Each profiled name's ms per iteration on :func:`profile_per_iteration`'s basis, rows of one name summed
    (NaN when none of them is timed): what a fusion group adds up, and what ``check --record`` stores per layer."""
    frame = profile_per_iteration(b)
    return _by_name(frame["name"].astype(str).tolist(), frame["avg_ms"].to_numpy(dtype=float).tolist(), keep_nan=True)


def _by_name(names: list[str], values: list[float], *, keep_nan: bool = False) -> dict[str, float]:
    sums: dict[str, float] = {}
    for name, ms in zip(names, values, strict=True):
        if ms == ms:  # untimed layers (NaN) add nothing
            sums[name] = sums.get(name, 0.0) + ms
        elif keep_nan:
            sums.setdefault(name, math.nan)
    return sums


def _layer_ms(b: EngineBundle) -> dict[str, float]:
    """Per-iteration time of each timed layer by name (duplicates summed): the bundle's one join of profile
    to layers (:meth:`EngineBundle.layer_times`). Without layers (nothing to join to) the groups are the
    profile's own rows (:func:`groups_by_name`), read by name on the same basis (:func:`profile_per_iteration`)."""
    if b.layers.empty:
        return {name: ms for name, ms in profile_ms_by_name(b).items() if ms == ms}
    frame = b.layer_times()
    return _by_name(frame["name"].astype(str).tolist(), frame["avg_ms"].to_numpy(dtype=float).tolist())


GroupTimesFn = Callable[
    [Sequence["EngineBundle"], Sequence["EngineBundle"]], tuple[pd.DataFrame, pd.DataFrame]
]


def group_runs_by_alignment(
    baseline: Sequence[EngineBundle],
    candidate: Sequence[EngineBundle],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fusion groups from aligning baseline run 0 with candidate run 0 (``inspector.align``), then each
    group's per-iteration time in every run (layers are looked up by name in each run's profile)."""
    from trtinspect.inspector import align as align_mod

    alignment = align_mod.align(baseline[0].layers, candidate[0].layers)
    return _groups_from_alignment(alignment, baseline, candidate)


def _groups_from_alignment(
    alignment: Any, baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    groups = alignment_groups(alignment)
    # groups fused ops moved between (a residual Add+Relu from one convolution into its neighbour) did not do
    # the same work on both sides: judged as one (check_moved); the reason says so (check._group_gate)
    layers = {"a": baseline[0].layers, "b": candidate[0].layers}
    labels = [str(x) for x in groups["label"].tolist()]
    groups, moved = merge_moved_ops(groups, alignment.groups, layers)
    # a float island with its Q/DQ pair, reformat copies that moved: one change split over groups (check_chain)
    chains: dict[int, tuple[str, str]] = {}
    for comps, kind in ((qdq_island_rows(alignment.groups, layers, labels), CHAIN_KIND),
                        (moved_copy_rows(alignment.groups, labels), COPY_KIND)):
        groups, why = merge_by_ids(groups, alignment.groups, comps, kind)
        chains.update((g, (w, kind)) for g, w in why.items())
    groups.attrs["alignment_mode"] = alignment.mode
    groups.attrs[MOVED_OPS] = moved
    groups.attrs[CHAINS] = chains
    return groups, runs_for(groups, baseline, candidate)


def alignment_groups(alignment: Any) -> pd.DataFrame:
    """Meta frame (group_id, kind, label, layers_a, layers_b: layer NAMES) from an ``align.Alignment``:
    its ``groups`` frame gives kind and label, its ``members`` frame the layer names of each side."""
    groups, members = alignment.groups, alignment.members
    names: dict[tuple[str, int], list[str]] = {}
    for side, gid, name in zip(members["side"], members["group_id"], members["name"], strict=True):
        names.setdefault((str(side).upper(), int(gid)), []).append(str(name))
    gids = [int(g) for g in groups["group_id"]]
    stable: dict[int, str] = getattr(alignment, "stable_labels", {}) or {}
    return pd.DataFrame(
        {
            "group_id": pd.Series(gids, dtype="int64"),
            "kind": [str(k) for k in groups["kind"]],
            # the direction-independent name (history trends survive a fusion change), else diff's label
            "label": [whole_label(str(stable.get(g, x)), [*names.get(("A", g), []), *names.get(("B", g), [])])
                      for g, x in zip(gids, groups["label"], strict=True)],
            "layers_a": [names.get(("A", g), []) for g in gids],
            "layers_b": [names.get(("B", g), []) for g in gids],
        }
    )


# align names a group by its layers' names cut to 60 characters (inspector.align_groups: 57 + "..."); long
# TensorRT fused names ("Reformatting CopyNode for Input Tensor 0 to {ForeignNode[...]}") then read alike
CUT_AT, CUT_KEEP = 60, 57


def whole_label(label: str, layers: Iterable[str]) -> str:
    """``label`` with every layer name align cut (``prefix...``) written whole, in one pass (names may hold
    ``...`` themselves): a check names each group unambiguously (renderers wrap long names to the width) and
    history trends key on a name no two groups share. Names cut alike are all written (``a + b``)."""
    if "..." not in label:
        return label
    whole: dict[str, list[str]] = {}
    for name in dict.fromkeys(layers):
        if len(name) > CUT_AT:
            whole.setdefault(name[:CUT_KEEP] + "...", []).append(name)
    if not whole:
        return label
    cut = re.compile("|".join(re.escape(c) for c in sorted(whole, key=len, reverse=True)))
    return cut.sub(lambda m: " + ".join(whole[m.group()]), label)


def groups_by_name(
    baseline: Sequence[EngineBundle],
    candidate: Sequence[EngineBundle],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fallback grouping: each profiled layer name is its own group (exact name match, no fusion)."""
    a_names = list(dict.fromkeys(baseline[0].profile["name"].astype(str)))
    b_names = list(dict.fromkeys(candidate[0].profile["name"].astype(str)))
    b_set, a_set = set(b_names), set(a_names)
    rows = []
    for n in a_names:
        rows.append(
            {
                "kind": "same_name" if n in b_set else "only_a",
                "label": n,
                "layers_a": [n],
                "layers_b": [n] if n in b_set else [],
            }
        )
    for n in b_names:
        if n not in a_set:
            rows.append({"kind": "only_b", "label": n, "layers_a": [], "layers_b": [n]})
    meta = pd.DataFrame(rows)
    meta.insert(0, "group_id", np.arange(len(meta), dtype="int64"))
    return meta, runs_for(meta, baseline, candidate)


def runs_for(
    meta: pd.DataFrame, baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]
) -> pd.DataFrame:
    recs: list[dict[str, Any]] = []
    for side, bundles, col in ((BASE, baseline, "layers_a"), (CAND, candidate, "layers_b")):
        for run, b in enumerate(bundles):
            ms = _layer_ms(b)
            for gid, layers in zip(meta["group_id"], meta[col], strict=True):
                # ms is per NAME (duplicates summed): count each name once per group
                vals = [ms[name] for name in dict.fromkeys(layers) if name in ms]
                if vals:
                    recs.append({"group_id": int(gid), "side": side, "run": run, "ms": float(sum(vals))})
    return pd.DataFrame(recs, columns=["group_id", "side", "run", "ms"])


def _no_timing_error(b: EngineBundle, side: str) -> TrtInspectError:
    """Why a run without times, profile or GPU compute median cannot be judged, as precisely as known."""
    src = ", ".join(str(p) for ps in b.sources.values() for p in ps) or b.name
    gpu = b.timing.gpu_compute
    if gpu.mean is not None:   # e.g. trtexec before 7.0: 'Average over N runs' gives a mean and a pP only
        return TrtInspectError(
            f"{side} run '{b.name}' has no GPU Compute Time median to compare (its summary prints the "
            f"mean, {gpu.mean:g} ms, without a median; check compares medians, never means)",
            path=src, hint="export the per-iteration times with trtexec --exportTimes=FILE")
    summary = b.summary
    if summary is not None and len(summary):
        # e.g. a TensorRT 7.x excerpt with the 'Host Latency' block only: host latency includes the H2D/D2H
        # copies and host synchronisation, so it is not the GPU time check judges; the trace lines'
        # 'GPU latency' values are averages of 10 iterations, which have no median
        metrics = ", ".join(dict.fromkeys(str(m) for m in summary["metric"]))
        return TrtInspectError(
            f"{side} run '{b.name}' has no GPU compute time to compare: its performance summary prints "
            f"{metrics} but no GPU Compute Time, and it has no per-iteration times or profile (check "
            f"compares GPU compute medians; host latency includes the data copies)",
            path=src,
            hint="keep trtexec's whole summary (7.x prints a 'GPU Compute' block after 'Host Latency') "
            "or export the per-iteration times with trtexec --exportTimes=FILE",
        )
    return TrtInspectError(
        f"{side} run '{b.name}' holds no timing data (no per-iteration times, summary or profile)",
        path=src,
        hint="export with trtexec --exportTimes=FILE --exportProfile=FILE",
    )


def validate_side(bundles: Sequence[EngineBundle], side: str) -> None:
    """One clear error for an empty side, runs with nothing to time, or runs of different engines."""
    if not bundles:
        raise TrtInspectError(f"no {side} runs given", hint=f"pass --{side} PATH (one or more bundles)")
    for b in bundles:
        require_tensorrt(b, f"TensorRT evidence for the {side}")  # an nsys export of other GPU work
    for b in bundles:
        if not (b.has_times or b.has_profile or gpu_compute_median(b) is not None):
            raise _no_timing_error(b, side)
    for b in bundles:
        _refuse_broken_evidence(b, side)
    for name, get in BUILD_CHANGES.items():
        values = [get(b) for b in bundles]
        known = {v for v in values if v is not None}
        if len(known) > 1:
            raise TrtInspectError(
                f"{side} runs are of different engines: build {name} {' vs '.join(sorted(known))}",
                hint="pass repeated profiling runs of one engine per side",
            )
    names0 = _name_set(bundles[0])
    for i, b in enumerate(bundles[1:], start=1):
        ni = _name_set(b)
        if names0 and ni and names0 != ni:
            raise TrtInspectError(
                f"{side} runs are of different engines: run 0 '{bundles[0].name}' and run {i} '{b.name}' "
                f"have different layers ({len(names0 ^ ni)} names differ)",
                hint="pass repeated profiling runs of one engine per side",
            )
    for i, b in enumerate(bundles):
        for j in range(i):
            if _same_measurements(bundles[j], b):
                raise TrtInspectError(
                    f"{side} runs {j} and {i} hold identical measurements (the same run given twice?): "
                    "they would look like zero run-to-run noise and make every change 'significant'",
                    hint="pass K separate profiling runs (e.g. trtinspect capture --runs K)",
                )


def refuse_same_pair(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]) -> None:
    """A candidate run that is a baseline run is bad input (exit 2, like the same run twice on one side): every
    kind of timing evidence both hold is identical (``qat`` and ``qat/``, ``sample:X`` and its folder, a copied
    folder, one log given to both, a folder and its own profile file), or they hold the same per-iteration
    times (a copied --exportTimes file: thousands of identical floats are one measurement). Such a check
    compares a run with itself and would pass without comparing anything; a check never passes without
    evidence."""
    for i, c in enumerate(candidate):
        for j, b in enumerate(baseline):
            why = _one_run(b, c)
            if why:
                raise TrtInspectError(
                    f"candidate run {i} ('{c.name}') is baseline run {j} ('{b.name}'): {why}; a run checked "
                    "against itself compares nothing and never passes",
                    path=_where(c),
                    hint="point --baseline and --candidate at different profiling runs (check the CI paths)",
                )


def _one_run(a: EngineBundle, b: EngineBundle) -> str:
    """Why runs ``a`` and ``b`` are one run ('' when they are not)."""
    if a.has_times and len(a.times) > 1 and a.times.equals(b.times):
        return f"the same per-iteration times ({len(a.times)} iterations)"
    kinds = [(what, fa, fb) for what, fa, fb in (
        ("per-iteration times", a.times, b.times), ("per-layer profile", a.profile, b.profile),
        ("performance summary", a.summary, b.summary)) if not (fa.empty or fb.empty)]
    if kinds and all(fa.equals(fb) for _, fa, fb in kinds):
        return f"the same {' and '.join(what for what, _, _ in kinds)}"
    return ""


def _where(b: EngineBundle) -> str | None:
    """Where a run is: its one file, else its files' one folder, else its first file (None for a bundle built in
    memory)."""
    paths = [Path(p) for ps in b.sources.values() for p in ps]
    folders = {p.parent for p in paths}
    return str(paths[0]) if len(paths) == 1 or len(folders) > 1 else str(next(iter(folders))) if paths else None


def _same_measurements(a: EngineBundle, b: EngineBundle) -> bool:
    """Byte-identical timing data: per-iteration times and per-layer profile (summary when neither exists)."""
    if a.has_times or a.has_profile or b.has_times or b.has_profile:
        return a.times.equals(b.times) and a.profile.equals(b.profile)
    return a.summary.equals(b.summary)


def _name_set(b: EngineBundle) -> frozenset[str]:
    if not b.layers.empty:
        return frozenset(b.layers["name"].astype(str))
    return frozenset(b.profile["name"].astype(str))


def _refuse_broken_evidence(b: EngineBundle, side: str) -> None:
    """Broken evidence never passes: a damaged (truncated, records lost) profile, or times that are NaN,
    infinite, negative or not numbers, or per-iteration times that contradict the run's own printed summary, is
    one error naming the file (CLI exit 2). Parsers may refuse some of these first; this is the check's own
    guarantee, whichever parser read the run."""
    for path, problem in b.extras.get("damaged", []):
        raise TrtInspectError(
            f"{side} run '{b.name}' has a damaged per-layer profile: {problem}",
            path=path,
            hint="re-export it with trtexec --exportProfile=FILE; a check never judges incomplete evidence",
        )
    for path in b.extras.get("cut_logs", []):
        raise TrtInspectError(
            f"{side} run '{b.name}': the trtexec log ends before trtexec's final '&&&& PASSED/FAILED' line (cut "
            "off, or trtexec crashed), so its summary and per-layer profile may be incomplete",
            path=path,
            hint="pass the whole log of a run that ended ('&&&& PASSED' is trtexec's last line); a check never "
                 "judges incomplete evidence",
        )
    for bad in bad_columns(b, EVIDENCE):   # the parsers' one number check, with what check compares
        raise TrtInspectError(
            f"{side} run '{b.name}': {bad.counts_text()} in the {bad.rule.what} ({bad.rule.column})",
            path=str(source_file(b, bad.frame) or b.name),
            hint="times must be finite, non-negative numbers; re-export the run",
        )
    zero = _zero_time(b)
    if zero:   # 0 ms of GPU work is no measurement: it read as a -100% "improvement" and passed
        raise TrtInspectError(
            f"{side} run '{b.name}': {zero}; an engine cannot run in no time, so this measured nothing",
            path=_where(b) or b.name,
            hint="re-export the run (trtexec --exportTimes=FILE --exportProfile=FILE); a check never passes "
                 "without evidence",
        )
    off = contradiction(b.timing.agreement)
    if off:   # a gate never decides on evidence that contradicts itself
        raise TrtInspectError(
            f"{side} run '{b.name}': the per-iteration times contradict the run's own performance summary "
            f"({source_file(b, 'summary')}): {off}",
            path=str(source_file(b, "times") or b.name),
            hint="the times file and the summary are not of one trtexec run, or one was edited; pass the files of "
                 "one run (its --exportTimes file with its log or TREx metadata), or leave one of them out",
        )


def _zero_time(b: EngineBundle) -> str:
    """What of a run's timing evidence says the engine took 0 ms ('' when none does): the median GPU compute
    time of its iterations or of its summary, or its per-layer profile's total."""
    samples = b.timing.samples.get("compute_ms")
    if samples is not None and samples.size and float(np.median(samples)) <= 0:
        return f"its median GPU compute time is 0 ms ({samples.size} iterations)"
    median = gpu_compute_median(b)
    if (samples is None or not samples.size) and median is not None and median <= 0:
        return "its performance summary's GPU compute median is 0 ms"
    if b.has_profile and not b.total_layer_ms() > 0:
        return "its per-layer profile adds up to 0 ms"
    return ""

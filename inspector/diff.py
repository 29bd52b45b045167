"""Explain the latency difference between two engines A and B, fusion group by fusion group.

:func:`diff` aligns the two engines (:func:`trtinspect.inspector.align.align`), puts each layer's profiled
time into its group (:func:`group_times`), totals time by layer type and by precision, reads end-to-end
latency and H2D/compute/D2H from the per-iteration times (else the performance summary), attaches the
analyzer's findings per group when ``trtinspect.inspector.lint`` is installed, and writes a one-paragraph
summary generated from the data. The sum of group deltas is reconciled against the difference of per-layer
totals (an :class:`~trtinspect.errors.InternalError` if they disagree beyond rounding).

A side with no per-layer timing at all (no profile, or no profile row names any of its layers) is *untimed*:
its group, type and precision times are unknown (NaN), never 0 ms; there are no per-layer deltas, no
reconciliation and no profiling gap for it, and the summary compares end to end and describes structural
changes without prices. A partially timed side keeps per-layer accounting (untimed layers count 0 ms and
are counted in ``a_untimed``/``b_untimed``; unmatched profile time is reported in the notes).

All times are per-iteration milliseconds: the profile's ``avg_ms`` for layers.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trtinspect.errors import InternalError, NotComparableError, TrtInspectError
from trtinspect.gcpause import gc_paused
from trtinspect.inspector.align import MODE_ORDER, Alignment, align, read_sides
from trtinspect.inspector.align_side import _Side
from trtinspect.inspector.diff_causes import CAUSE_TITLES, MAX_CAUSES, SAME_MS, causes
from trtinspect.inspector.diff_copies import COPY_GONE, copies_gone
from trtinspect.inspector.diff_events import (  # re-exported: the vocabulary of diff's sentences
    EVENT_PRIORITY,
    EVENT_TEXT,
    KNOWN_OPS,
    MIRROR,
    NOUN_RULES,
    PARALLEL,
    QDQ_NEXT,
    TYPE_NOUNS,
    GroupLayers,
    LayersOf,
    _fmt_ms,
    events,
    moved_ops,
    next_to_changed_qdq,
    noun,
    parallel_parts,
)
from trtinspect.inspector.diff_excerpt import (
    edge_note,
    excerpt_edges,
    excerpt_notes,
    excerpt_tail,
    not_listed_ms,
    side_total_ms,
)
from trtinspect.inspector.diff_float_out import FLOAT_OUT, float_out_facts
from trtinspect.inspector.diff_math import MATH_A, MATH_B, TF32_NOTE, add_math_facts, precision_keys
from trtinspect.inspector.diff_moved import MOVED_FACT, MovedGroup, merge_moved, moved_facts, moved_line, moved_parts
from trtinspect.inspector.diff_same import mark_same_run, same_run
from trtinspect.inspector.lint import lint
from trtinspect.inspector.model_match import ModelMatch, model_match
from trtinspect.parsers import schema
from trtinspect.parsers.layer_total import rows_total
from trtinspect.parsers.model import (  # nsys imported for nsys inputs only
    per_layer_gap_meaning,
    require_tensorrt,
    single_sample_sides,
)
from trtinspect.parsers.timing import FROM_SUMMARY, FROM_TIMES

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

log = logging.getLogger(__name__)

__all__ = ["EVENT_PRIORITY", "EVENT_TEXT", "KNOWN_OPS", "MIRROR", "MODE_END_TO_END", "NOUN_RULES", "NO_TIMING",
           "RECONCILE_TOL_MS", "TYPE_NOUNS", "DiffResult", "diff", "group_times", "is_timed", "noun"]

# Sum of group deltas vs difference of per-layer totals: allowed floating-point disagreement.
RECONCILE_TOL_MS = 1e-9

# What an untimed side lacks (said in the summary and the notes).
NO_TIMING = "no --exportProfile / --dumpProfile / nsys per-layer data"

# End-to-end metrics: key, TIMES column / timing-summary metric, trtexec's name (see parsers/timing.py).
END_TO_END: tuple[tuple[str, str, str], ...] = (
    ("latency", "latency_ms", "Latency"),
    ("h2d", "h2d_ms", "H2D Latency"),
    ("gpu_compute", "compute_ms", "GPU Compute Time"),
    ("d2h", "d2h_ms", "D2H Latency"),
    ("enqueue", "enqueue_ms", "Enqueue Time"),
    ("end_to_end_host", "end_to_end_ms", "End-to-End Host Latency"),
)
# Listed only when both sides know it: the host's view of one inference (enqueue to output on the host), which
# trtexec prints and `report` shows, but which a side may lack (a times file without it).
_BOTH_ONLY = frozenset({"end_to_end_host"})
E2E_SOURCES = {FROM_TIMES: "times (mean of the measured iterations)", FROM_SUMMARY: "performance summary (mean)"}

# A trtexec profile whose per-layer total is below GPU compute: the profiler's overhead sits inside the layer
# times (a positive gap is spread over them), so a negative gap is GPU compute time no layer's profiled time holds
NEGATIVE_GAP = "GPU compute time not in any layer's profiled time"


@dataclass
class DiffResult:
    """Everything :func:`diff` found. Frames: ``groups`` (DIFF_GROUPS + GROUP_TIMES columns + ``findings``),
    ``by_type`` / ``by_precision`` (key, a_ms, b_ms, delta_ms, a_layers, b_layers), ``end_to_end``
    (metric, a_ms, b_ms, delta_ms, source)."""

    a_name: str
    b_name: str
    alignment: Alignment
    groups: pd.DataFrame
    by_type: pd.DataFrame
    by_precision: pd.DataFrame
    end_to_end: pd.DataFrame
    totals: dict[str, float]
    events: list[dict[str, Any]]
    summary: str
    notes: list[str] = field(default_factory=list)
    findings_available: bool = False
    causes: list[dict[str, Any]] = field(default_factory=list)   # events by root cause, largest first
    similarity: float = math.nan            # structural similarity of A and B (inspector.model_match)
    context: list[str] = field(default_factory=list)             # build/run fields that differ
    headline: str = ""
    # the summary's lines as built: a renderer escapes each line, so a line break inside a name stays in its line
    summary_lines: list[str] = field(default_factory=list)
    # side ("a"/"b") -> what its per-layer total - GPU compute is when not per-layer profiling overhead
    # (parsers.model.per_layer_gap_meaning: nsys per-layer times); text, Markdown and HTML say it
    gap_meanings: dict[str, str] = field(default_factory=dict)
    # groups fused ops moved between, merged into one (inspector.diff_moved): group_id, label, ops, reason and the
    # rows of its layer-by-layer parts in moved_parts
    moved: list[dict[str, Any]] = field(default_factory=list)
    moved_parts: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary_sentences(self) -> list[str]:
        """The summary's lines (a name's own line feed is inside one of them, never a line of its own)."""
        return self.summary_lines or self.summary.split("\n")

    @property
    def mode(self) -> str:
        return self.alignment.mode

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return _jsonable(self.document(_to_records))

    def document(self, records: Callable[[pd.DataFrame], Any]) -> dict[str, Any]:
        """The keys of :meth:`to_dict`, frames turned into row dicts by ``records``, values not converted."""
        return {
            "a": self.a_name,
            "b": self.b_name,
            "alignment_mode": self.alignment.mode,
            "shared_source_nodes": self.alignment.shared_source_nodes,
            "summary": self.summary,
            "headline": self.headline,
            "causes": self.causes,
            "context": self.context,
            "structural_similarity": self.similarity,
            "totals": self.totals,
            "end_to_end": records(self.end_to_end),
            "by_type": records(self.by_type),
            "by_precision": records(self.by_precision),
            "events": self.events,
            "groups": records(self.groups),
            "members": records(self.alignment.members),
            "notes": self.notes,
            "findings_available": self.findings_available,
            # only when there are any: every other diff's JSON stays as it was
            **({"repartitioned_groups": self._moved_document(records)} if self.moved else {}),
        }

    def _moved_document(self, records: Callable[[pd.DataFrame], Any]) -> list[dict[str, Any]]:
        """The merged groups with their parts (JSON ``repartitioned_groups``): the parts' rows converted at once."""
        parts = records(self.moved_parts)
        return [{**{k: v for k, v in m.items() if k != "rows"}, "parts": [parts[k] for k in m["rows"]]}
                for m in self.moved]


def _to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if math.isnan(obj) else float(obj)
    if obj is pd.NA or obj is None:
        return None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


# --------------------------------------------------------------------------------------------- accounting


def _ms_by_index(layer_times: pd.DataFrame) -> dict[int, float]:
    if layer_times.empty or "avg_ms" not in layer_times:
        return {}
    idx = layer_times["layer_index"].to_numpy(dtype=np.int64)
    ms = layer_times["avg_ms"].to_numpy(dtype="float64", na_value=np.nan)
    return dict(zip(idx.tolist(), ms.tolist(), strict=False))


def is_timed(layer_times: pd.DataFrame) -> bool:
    """Whether at least one layer of an ``EngineBundle.layer_times()`` frame has a profiled ``avg_ms``."""
    return not layer_times.empty and "avg_ms" in layer_times and bool(layer_times["avg_ms"].notna().any())


def group_times(alignment: Alignment, a_layer_times: pd.DataFrame,
                b_layer_times: pd.DataFrame) -> pd.DataFrame:
    """Per-group per-iteration time: one row per group of ``alignment`` (schema ``GROUP_TIMES``).

    ``a_layer_times`` / ``b_layer_times`` are ``EngineBundle.layer_times()`` frames (``layer_index`` and
    ``avg_ms``). A group's time is the sum of its layers' ``avg_ms``; layers without a profiled time count as
    0 ms and are counted in ``a_untimed``/``b_untimed``. ``delta_ms = b_ms - a_ms``; ``delta_pct`` is relative
    to ``a_ms`` (NaN when A has no time in the group). The sum of ``delta_ms`` equals the difference of the
    per-layer totals of B and A.

    A side with no timed layer at all (:func:`is_timed` false) has unknown times: its ``*_ms`` and every
    ``delta_ms`` / ``delta_pct`` are NaN (not 0 ms).
    """
    timed_a, timed_b = is_timed(a_layer_times), is_timed(b_layer_times)
    g = alignment.groups
    a_ms, a_untimed = _side_times(g["a_layers"].tolist(), a_layer_times, timed_a)
    b_ms, b_untimed = _side_times(g["b_layers"].tolist(), b_layer_times, timed_b)
    delta = b_ms - a_ms
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(a_ms > 0, 100.0 * delta / a_ms, math.nan)
    rows: dict[str, list[Any]] = {
        "group_id": g["group_id"].tolist(), "kind": g["kind"].tolist(), "label": g["label"].tolist(),
        "a_ms": a_ms.tolist(), "b_ms": b_ms.tolist(), "delta_ms": delta.tolist(), "delta_pct": pct.tolist(),
        "a_untimed": a_untimed.tolist(), "b_untimed": b_untimed.tolist(),
    }
    return schema.frame_from_columns(rows, schema.GROUP_TIMES)


def _side_times(layers: list[list[int]], layer_times: pd.DataFrame, timed: bool) -> tuple[np.ndarray, np.ndarray]:
    """(time, untimed layers) of each group's layers on one side: ``math.fsum`` of the timed layers' avg_ms (NaN
    for an untimed side). Groups of one or two timed layers are added over the whole column (one IEEE addition
    is exact-then-rounded, as fsum is); more, or a sum that is not finite, go through fsum itself."""
    n = len(layers)
    lens = np.fromiter(map(len, layers), dtype=np.int64, count=n)
    ms_of = _ms_by_index(layer_times)
    flat = list(itertools.chain.from_iterable(layers))
    ms = np.fromiter(map(ms_of.get, flat, itertools.repeat(math.nan)), dtype=np.float64, count=len(flat))
    gid = np.repeat(np.arange(n, dtype=np.int64), lens)
    missing = np.isnan(ms)
    untimed = np.bincount(gid[missing], minlength=n)
    if not timed:
        return np.full(n, math.nan), untimed
    sums = np.bincount(gid[~missing], weights=ms[~missing], minlength=n).astype(np.float64)  # int when empty
    ends = np.cumsum(lens)
    for k in np.flatnonzero((lens - untimed > 2) | ~np.isfinite(sums)).tolist():
        sums[k] = math.fsum(v for v in ms[ends[k] - lens[k]:ends[k]].tolist() if not math.isnan(v))
    return sums, untimed


def _totals_by(col: str, a_lt: pd.DataFrame, b_lt: pd.DataFrame) -> pd.DataFrame:
    """Time and layer count per ``col`` value; an untimed side's times are NaN (its layer counts stay)."""
    parts = []
    for side, lt in (("a", a_lt), ("b", b_lt)):
        if lt.empty:
            continue
        key = precision_keys(lt) if col == "precision" else lt[col]     # TF32 math named (diff_math)
        key = key.astype("string").fillna("").replace("", "(unknown)")
        frame = pd.DataFrame({"key": key, "ms": lt["avg_ms"].astype("float64").fillna(0.0)})
        agg = frame.groupby("key", sort=False).agg(ms=("ms", "sum"), layers=("ms", "size"))
        agg.columns = [f"{side}_ms", f"{side}_layers"]
        parts.append(agg)
    if not parts:
        return pd.DataFrame({"key": pd.Series(dtype="string"), "a_ms": [], "b_ms": [], "delta_ms": [],
                             "a_layers": pd.Series(dtype="int64"), "b_layers": pd.Series(dtype="int64")})
    out = pd.concat(parts, axis=1)
    for c in ("a_ms", "b_ms", "a_layers", "b_layers"):
        if c not in out:
            out[c] = 0
    out = out.fillna(0)
    for side, lt in (("a", a_lt), ("b", b_lt)):
        if not is_timed(lt):
            out[f"{side}_ms"] = math.nan
    out["delta_ms"] = out["b_ms"] - out["a_ms"]
    out = out.reset_index(names="key")
    out["key"] = out["key"].astype("string")
    out["a_layers"] = out["a_layers"].astype("int64")
    out["b_layers"] = out["b_layers"].astype("int64")
    out = out[["key", "a_ms", "b_ms", "delta_ms", "a_layers", "b_layers"]]
    return out.sort_values("delta_ms", key=lambda s: -s.abs(), kind="stable").reset_index(drop=True)


def _end_to_end(bundle: EngineBundle) -> dict[str, tuple[float, str]]:
    """Mean per iteration of each END_TO_END metric, from the bundle's one timing summary."""
    out: dict[str, tuple[float, str]] = {}
    for key, col, _metric in END_TO_END:
        stats = bundle.timing.metrics[col]
        if stats.mean is not None:
            out[key] = (stats.mean, E2E_SOURCES.get(stats.source or "", str(stats.source)))
    return out


def _end_to_end_frame(a: EngineBundle, b: EngineBundle) -> pd.DataFrame:
    ea, eb = _end_to_end(a), _end_to_end(b)
    rows = []
    for key, _, _ in END_TO_END:
        if (key not in ea and key not in eb) or (key in _BOTH_ONLY and not (key in ea and key in eb)):
            continue
        va = ea.get(key, (math.nan, ""))
        vb = eb.get(key, (math.nan, ""))
        src = va[1] if va[1] == vb[1] else f"A: {va[1] or 'absent'}; B: {vb[1] or 'absent'}"
        rows.append({"metric": key, "a_ms": va[0], "b_ms": vb[0], "delta_ms": vb[0] - va[0], "source": src})
    return pd.DataFrame(rows, columns=["metric", "a_ms", "b_ms", "delta_ms", "source"])


# --------------------------------------------------------------------------------------------- findings


def _lint_findings(bundle: EngineBundle, notes: list[str]) -> pd.DataFrame | None:
    try:
        frame = lint(bundle, detail=False)
    except TrtInspectError as exc:
        notes.append(f"analyzer findings unavailable for {bundle.name}: {exc}")
        return None
    return frame if isinstance(frame, pd.DataFrame) else None


def _findings_per_group(alignment: Alignment, side: str, frame: pd.DataFrame | None) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if frame is None or frame.empty:
        return out
    m = alignment.members
    m = m[m["side"] == side]
    gid_of = dict(zip(m["layer_index"].tolist(), m["group_id"].tolist(), strict=False))
    columns = [frame[c].tolist() for c in ("layer_indices", "cost_ms", "severity", "title", "rule_id")]
    for indices, cost, severity, title, rule_id in zip(*columns, strict=True):
        gids = {gid_of[i] for i in (indices or []) if i in gid_of}
        cost_txt = f", {cost:.3f} ms" if isinstance(cost, float) and not math.isnan(cost) else ""
        text = f"{side}: [{severity}] {title} ({rule_id}{cost_txt})"
        for gid in sorted(gids):
            out[gid].append(text)
    return out



def _untimed_head(a_name: str, b_name: str, untimed: Sequence[str], ga: float, gb: float) -> str:
    """Summary head when a side has no per-layer timing: say so and compare end to end instead."""
    who = "Neither A nor B has" if len(untimed) == 2 else f"{untimed[0]} has no"
    head = (f"A ({a_name}) vs B ({b_name}): {who} per-layer timing ({NO_TIMING}): per-layer comparison "
            "is not possible; ")
    if not (math.isnan(ga) or math.isnan(gb)):
        return head + f"compare end to end: GPU compute {ga:.3f} -> {gb:.3f} ms ({_fmt_ms(gb - ga)})"
    return head + "no end-to-end GPU compute time on both sides either: structural diff only"


NET_TAIL = f" (net under {SAME_MS} ms)"  # a cause whose changes cancel out (never "different time (the same)")


def headline(a_name: str, b_name: str, totals: Mapping[str, float]) -> str:
    """One sentence: who is faster, by how much end to end (trtexec's mean GPU compute, labelled so) and per layer;
    the one percentage is of A's end-to-end GPU compute (else of A's per-layer total), and says so."""
    ta, tb = totals["a_layers_ms"], totals["b_layers_ms"]
    ga, gb = totals.get("a_gpu_compute_ms", math.nan), totals.get("b_gpu_compute_ms", math.nan)
    untimed = [side for side, t in (("A", ta), ("B", tb)) if math.isnan(t)]
    if untimed:
        return _untimed_head(a_name, b_name, untimed, ga, gb) + "."
    per_layer = f"per-layer profiled total {ta:.3f} -> {tb:.3f} ms{excerpt_tail(totals)}"
    if not (math.isnan(ga) or math.isnan(gb)) and ga > 0:
        d = gb - ga
        if abs(d) < SAME_MS:
            return (f"A ({a_name}) and B ({b_name}) take the same end-to-end GPU compute time (mean per iteration: "
                    f"{ga:.3f} ms); {per_layer}{_delta_tail(tb - ta)}.")
        return (f"B ({b_name}) is {abs(d):.3f} ms {'slower' if d > 0 else 'faster'} than A ({a_name}) end to "
                f"end, {abs(100 * d / ga):.1f}% of A's GPU compute (mean per iteration: {ga:.3f} -> {gb:.3f} ms); "
                f"{per_layer}{_delta_tail(tb - ta)}.")
    d = tb - ta
    if ta <= 0:
        return f"A ({a_name}) has no profiled per-layer time; B ({b_name}) has {tb:.3f} ms."
    if abs(d) < SAME_MS:
        return f"B ({b_name}) and A ({a_name}) take the same per-layer time ({ta:.3f} ms); no end-to-end figure."
    return (f"B ({b_name}) is {abs(d):.3f} ms {'slower' if d > 0 else 'faster'} than A ({a_name}) in per-layer "
            f"profiled time, {abs(100 * d / ta):.1f}% of A's per-layer total ({ta:.3f} -> {tb:.3f} ms"
            f"{excerpt_tail(totals)}); "
            "no end-to-end GPU compute on both sides.")


def _delta_tail(d: float, same: str = " (the same)") -> str:
    return same if abs(d) < SAME_MS else f" ({_fmt_ms(d)})"


def _summary(a_name: str, b_name: str, totals: dict[str, float], found: list[dict[str, Any]],
             moved: list[str], mode_note: str | None, context: Sequence[str] = (),
             build: Sequence[str] = ()) -> list[str]:
    """What differs besides the engine first, then the headline, the build change, at most MAX_CAUSES causes
    with their ms, then the rest in one line."""
    lines = []
    if mode_note and mode_note.startswith("A and B look like different networks"):
        lines.append(mode_note)          # said before anything that sounds confident
        mode_note = None
    if context:
        lines.append("Run on a different setup: " + "; ".join(context) + " (part of the difference may be the "
                     "setup, not the engine).")
    lines.append(headline(a_name, b_name, totals))
    for change in build:
        lines.append(change[0].upper() + change[1:] + ".")
    top = [c for c in found if math.isnan(c["delta_ms"]) or abs(c["delta_ms"]) >= SAME_MS][:MAX_CAUSES]
    if top:
        lines.append("Causes, largest first:")
        lines += [f"{n}. {c['text']}." for n, c in enumerate(top, start=1)]
    else:
        lines.append("No structural or precision change.")
    rest = [CAUSE_TITLES[c["cause"]] + ("" if math.isnan(c["delta_ms"]) else _delta_tail(c["delta_ms"], NET_TAIL))
            for c in found if c not in top]
    if rest or moved:
        lines.append("Also: " + "; ".join(rest + moved[:2]) + ".")
    if mode_note:
        lines.append(mode_note)
    return lines


# --------------------------------------------------------------------------------------------- entry point


def diff(a: EngineBundle, b: EngineBundle, *, findings: bool = True, force: bool = False) -> DiffResult:
    """Align engines A and B and account for their latency difference group by group.

    Raises :class:`~trtinspect.errors.NotComparableError` when A and B look like different networks
    (:func:`~trtinspect.inspector.model_match.model_match`), unless ``force``; raises
    :class:`~trtinspect.errors.TrtInspectError` for an Nsight Systems input without TensorRT activity (no engine
    to diff)."""
    for bundle in (a, b):
        require_tensorrt(bundle, "an engine to diff")
    with gc_paused():
        result = _diff(a, b, findings=findings, force=force)
    if why := same_run(a, b):   # diff X X: said first; no cause claims a measured difference
        mark_same_run(result, why, CAUSE_TITLES["timing"])
    return result


def _diff(a: EngineBundle, b: EngineBundle, *, findings: bool, force: bool) -> DiffResult:
    if (a.layers.empty or b.layers.empty) and (only := _end_to_end_only(a, b)) is not None:
        return only
    notes: list[str] = []
    sides = read_sides(a.layers, b.layers) if len(a.layers) and len(b.layers) else None
    match = _comparable(a, b, force, sides)
    alignment = align(a.layers, b.layers, sides)
    notes.extend(alignment.notes)
    # groups fused ops moved between did not do the same work on both sides: one group, as check judges them
    aligned = alignment
    moved_groups: list[MovedGroup] = []
    if sides is not None:
        alignment, moved_groups = merge_moved(alignment, sides, {"a": a.layers, "b": b.layers})
    if not match.same_model:
        notes.append(f"compared with --force although the two engines look like different networks "
                     f"({match.reason()}): treat every pairing as a guess")
    a_lt, b_lt = a.layer_times(), b.layer_times()
    timed = {"A": is_timed(a_lt), "B": is_timed(b_lt)}
    for side, bundle in (("A", a), ("B", b)):
        if timed[side]:
            continue
        why = (f"none of its {len(bundle.profile)} profile rows names one of its layers" if bundle.has_profile
               else f"it has no per-layer profile ({NO_TIMING})")
        notes.append(f"{side} ({bundle.name}) has no per-layer timing: {why}; its group times are unknown "
                     f"(shown as -), not 0 ms ({_advice(bundle, 'timing')})")
    if single := single_sample_sides([(f"A ({a.name})", a), (f"B ({b.name})", b)]):
        notes.append(f"{single}: a group's delta is one measurement a side, its run-to-run noise unknown")
    gt = group_times(alignment, a_lt, b_lt)
    groups = alignment.groups.merge(gt.drop(columns=["kind", "label"]), on="group_id", how="left")
    regrouped, parts = (moved_parts(aligned.groups, group_times(aligned, a_lt, b_lt), moved_groups) if moved_groups
                        else ([], pd.DataFrame()))
    groups["excerpt_edge"] = excerpt_edges(groups, {"a": (a, a_lt), "b": (b, b_lt)})
    if (edge := edge_note(groups)) is not None:
        notes.append(edge)
    e2e = _end_to_end_frame(a, b)
    totals = _totals(a, b, a_lt, b_lt, gt, e2e, timed["A"] and timed["B"], notes)
    findings_available = False
    f_a: dict[int, list[str]] = {}
    f_b: dict[int, list[str]] = {}
    if findings:
        fa, fb = _lint_findings(a, notes), _lint_findings(b, notes)
        findings_available = fa is not None or fb is not None
        f_a, f_b = _findings_per_group(alignment, "A", fa), _findings_per_group(alignment, "B", fb)
    groups[QDQ_NEXT] = next_to_changed_qdq(groups, {"a": a.layers, "b": b.layers})
    groups[PARALLEL] = parallel_parts(groups, {"a": _names(a), "b": _names(b)})
    groups[FLOAT_OUT] = pd.Series(float_out_facts(groups, {"a": a.layers, "b": b.layers}), index=groups.index,
                                  dtype="object")   # quantized layers that still write float (diff_float_out)
    if add_math_facts(groups):
        notes.append(TF32_NOTE)
    groups["findings"] = pd.Series([f_a.get(g, []) + f_b.get(g, []) for g in groups["group_id"].tolist()],
                                   index=groups.index, dtype="object")
    groups[COPY_GONE], copy_phrases = copies_gone(groups, alignment.members, {"a": a.layers, "b": b.layers})
    groups[MOVED_FACT] = moved_facts(groups, moved_groups)
    found_events = events(groups, _layers_of(alignment.members, a, b), copy_phrases)
    groups = groups.drop(columns=[QDQ_NEXT, PARALLEL, MATH_A, MATH_B, COPY_GONE, MOVED_FACT])   # event facts
    found = causes(found_events)
    moved = moved_ops(groups) if alignment.mode != MODE_ORDER else []
    moved[:0] = moved_line(moved_groups)
    mode_note = None
    if alignment.mode == MODE_ORDER:
        mode_note = ("The engines share no ONNX source node names, so layers were aligned by execution "
                     "order and op type only (labelled order-and-type): treat per-group pairings as approximate.")
    if not match.same_model:
        mode_note = (f"A and B look like different networks ({match.reason()}); compared because of --force: "
                     "every pairing is a guess. " + (mode_note or "")).strip()
    summary = _summary(a.name, b.name, totals, found, moved, mode_note, match.context, match.build)
    return DiffResult(   # FLOAT_OUT: a fact of the events, not an output column
        a_name=a.name, b_name=b.name, alignment=alignment, groups=groups.drop(columns=[FLOAT_OUT]),
        by_type=_totals_by("layer_type", a_lt, b_lt), by_precision=_totals_by("precision", a_lt, b_lt),
        end_to_end=e2e, totals=totals, events=found_events, summary="\n".join(summary), notes=notes,
        findings_available=findings_available, causes=found, similarity=match.similarity,
        context=list(match.context) + list(match.build), headline=headline(a.name, b.name, totals),
        summary_lines=summary, gap_meanings=_gap_meanings(a, b), moved=regrouped, moved_parts=parts,
    )


def _gap_meanings(a: EngineBundle, b: EngineBundle) -> dict[str, str]:
    return {side: m for side, bundle in (("a", a), ("b", b)) if (m := per_layer_gap_meaning(bundle)) is not None}


# ---------------------------------------------------------------------------------- end to end only


# alignment mode of a diff where A or B has no layer information (e.g. a trtexec log with only its summary)
MODE_END_TO_END = "end to end only (no layer information)"
# trtexec's names of the END_TO_END metrics, as a sentence says them (the headline's basis, in this order)
_E2E_WORDS = {"gpu_compute": "GPU compute", "latency": "latency", "h2d": "H2D latency", "d2h": "D2H latency",
              "enqueue": "enqueue time", "end_to_end_host": "end-to-end host latency"}


def _end_to_end_only(a: EngineBundle, b: EngineBundle) -> DiffResult | None:
    """A or B has no layer information (a trtexec log with only its performance summary, a times file):
    compare the figures trtexec printed, end to end, and say that per-layer comparison is not possible.

    None when no end-to-end figure is known on both sides (the caller then refuses the side without layers)."""
    e2e = _end_to_end_frame(a, b)
    both = e2e[e2e["a_ms"].notna() & e2e["b_ms"].notna()]
    if both.empty:
        return None
    match = model_match(a, b)
    a_lt, b_lt = (x.layer_times().iloc[:0] for x in (a, b))      # no per-layer figures on either side
    alignment = replace(align(a.layers.iloc[:0], b.layers.iloc[:0]), mode=MODE_END_TO_END, notes=[])
    gt = group_times(alignment, a_lt, b_lt)
    groups = alignment.groups.merge(gt.drop(columns=["kind", "label"]), on="group_id", how="left")
    groups["excerpt_edge"] = excerpt_edges(groups, {"a": (a, a_lt), "b": (b, b_lt)})
    groups["findings"] = pd.Series([], index=groups.index, dtype="object")
    totals = _totals(a, b, a_lt, b_lt, gt, e2e, False, [])
    for side, bundle in (("a", a), ("b", b)):
        qps = bundle.timing.throughput_qps
        totals[f"{side}_throughput_qps"] = math.nan if qps is None else float(qps)
    lacking = [(side, bundle) for side, bundle in (("A", a), ("B", b)) if bundle.layers.empty]
    head = _end_to_end_headline(a.name, b.name, both, totals, [f"{s} ({x.name})" for s, x in lacking])
    lines = [f"Run on a different setup: {'; '.join(match.context)} (part of the difference may be the setup, "
             "not the engine)."] if match.context else []
    lines.append(head)
    lines += [change[0].upper() + change[1:] + "." for change in match.build]
    lines.append("Without layer information trtinspect cannot tell whether A and B are builds of the same "
                 "network: only the end-to-end figures are compared.")
    notes = [f"{side} ({bundle.name}) has no layer information, so nothing is compared per layer, type or "
             f"precision: {_advice(bundle, 'layers')}" for side, bundle in lacking]
    return DiffResult(
        a_name=a.name, b_name=b.name, alignment=alignment, groups=groups,
        by_type=_totals_by("layer_type", a_lt, b_lt), by_precision=_totals_by("precision", a_lt, b_lt),
        end_to_end=e2e, totals=totals, events=[], summary="\n".join(lines), notes=notes,
        findings_available=False, causes=[], similarity=math.nan,
        context=list(match.context) + list(match.build), headline=head, summary_lines=lines,
    )


def _end_to_end_headline(a_name: str, b_name: str, both: pd.DataFrame, totals: Mapping[str, float],
                         lacking: Sequence[str]) -> str:
    """Who is faster end to end (GPU compute, else latency, else the first figure both sides have), the
    throughput trtexec printed, and why there is no per-layer comparison."""
    order = {key: n for n, key in enumerate(_E2E_WORDS)}
    row = both.iloc[int(np.argmin([order.get(m, 99) for m in both["metric"].tolist()]))]
    what, ga, gb = _E2E_WORDS.get(str(row["metric"]), str(row["metric"])), float(row["a_ms"]), float(row["b_ms"])
    d = gb - ga
    if abs(d) < SAME_MS:
        first = (f"A ({a_name}) and B ({b_name}) take the same end-to-end {what} time (mean per iteration: "
                 f"{ga:.3f} ms)")
    else:
        share = f", {abs(100 * d / ga):.1f}% of A's {what}" if ga > 0 else ""
        first = (f"B ({b_name}) is {abs(d):.3f} ms {'slower' if d > 0 else 'faster'} than A ({a_name}) end to "
                 f"end{share} (mean per iteration: {ga:.3f} -> {gb:.3f} ms)")
    qa, qb = totals["a_throughput_qps"], totals["b_throughput_qps"]
    if not (math.isnan(qa) or math.isnan(qb)):
        first += f"; throughput {qa:.3f} -> {qb:.3f} qps"
        first += f" ({100 * (qb - qa) / qa:+.1f}% of A's)" if qa > 0 else ""
    who = f"{lacking[0]} and {lacking[1]} have" if len(lacking) == 2 else f"{lacking[0]} has"
    return f"{first}. Per-layer comparison is not possible: {who} no layer information."


def _comparable(a: EngineBundle, b: EngineBundle, force: bool,
                sides: tuple[_Side, _Side] | None = None) -> ModelMatch:
    """Refuse what cannot be diffed: a side without layers (exit 2), two different networks (exit 3)."""
    for side, bundle in (("A", a), ("B", b)):
        if bundle.layers.empty:
            raise TrtInspectError(
                f"{side} ({bundle.name}) has no layer information to align",
                hint=_advice(bundle, "layers"),
            )
    match = model_match(a, b, sides)
    if not match.same_model and not force:
        raise NotComparableError(
            f"A ({a.name}) and B ({b.name}) look like different networks: {match.reason()}"
            + (f"; they also differ in {'; '.join(match.context)}" if match.context else ""),
            fields=["model"],
            hint="diff explains two builds of one network; pass --force to compare them anyway",
        )
    return match


def _totals(a: EngineBundle, b: EngineBundle, a_lt: pd.DataFrame, b_lt: pd.DataFrame, gt: pd.DataFrame,
            e2e: pd.DataFrame, both_timed: bool, notes: list[str]) -> dict[str, float]:
    """Per-layer totals, their reconciliation with the group deltas, end-to-end GPU compute, profiling gap."""
    a_rest, b_rest = not_listed_ms(a), not_listed_ms(b)   # an excerpt's remainder (the bundle's, computed once)
    # the one per-layer total of each side (EngineBundle.layer_total): rows + unlisted rest + unmatched rows
    a_total, b_total = side_total_ms(a, rows_total(a_lt)), side_total_ms(b, rows_total(b_lt))
    notes.extend(excerpt_notes(a, b, a_rest, b_rest))
    if both_timed:
        group_sum = math.fsum(gt["delta_ms"].tolist())
        unmatched = _unmatched_ms(b) - _unmatched_ms(a)   # profile rows in no group (their own note)
        residual = group_sum + (b_rest - a_rest) + unmatched - (b_total - a_total)
        if abs(residual) > RECONCILE_TOL_MS * max(1.0, abs(a_total) + abs(b_total)):
            raise InternalError(f"group deltas ({group_sum:.9f} ms) do not add up to the difference of "
                                f"per-layer totals ({b_total - a_total:.9f} ms)")
    else:
        group_sum = residual = math.nan
        notes.append("group deltas are not reconciled: that needs per-layer timing on both sides")
    totals: dict[str, float] = {
        "a_layers_ms": a_total, "b_layers_ms": b_total,
        "delta_ms": b_total - a_total,
        "delta_pct": 100.0 * (b_total - a_total) / a_total if a_total > 0 else math.nan,
        "sum_group_delta_ms": group_sum,
        "reconcile_residual_ms": residual,
        "a_not_listed_ms": a_rest, "b_not_listed_ms": b_rest,
        "a_unmatched_profile_ms": _unmatched_ms(a), "b_unmatched_profile_ms": _unmatched_ms(b),
    }
    for side, total in (("a", a_total), ("b", b_total)):
        hit = e2e[e2e["metric"] == "gpu_compute"]
        gpu = float(hit[f"{side}_ms"].iloc[0]) if not hit.empty else math.nan
        totals[f"{side}_gpu_compute_ms"] = gpu
        # per-layer profiling synchronises after every layer: its total exceeds real compute by this gap (an nsys
        # side's per-layer times have no such overhead: DiffResult.gap_meanings says what its gap is)
        totals[f"{side}_profiling_gap_ms"] = total - gpu   # NaN when either is unknown
    for side, key in (("A", "a_unmatched_profile_ms"), ("B", "b_unmatched_profile_ms")):
        if totals[key] > 0:
            notes.append(f"{side}: {totals[key]:.3f} ms of profiled time is in rows that match no layer name "
                         "and is not in any group")
    return totals


def _advice(bundle: EngineBundle, missing: str) -> str:
    """What to do about missing layers or per-layer timing, for the kind of input this bundle came from."""
    if "nsys_sqlite" in bundle.sources or "nsys_stats_csv" in bundle.sources:
        if missing == "layers":
            return ("an Nsight Systems export names layers only through TensorRT's NVTX ranges: profile with "
                    "`nsys profile --trace=cuda,nvtx` on an engine built with --profilingVerbosity=detailed, or "
                    "give the engine's layer JSON beside the export")
        return ("the export has no TensorRT NVTX layer ranges: profile with `nsys profile --trace=cuda,nvtx` "
                "(TensorRT emits one range per layer)")
    if missing == "layers":
        return "export it with trtexec --exportLayerInfo (or --exportProfile / --dumpProfile for names)"
    return "export with trtexec --exportProfile or --dumpProfile"


def _layers_of(members: pd.DataFrame, a: EngineBundle, b: EngineBundle) -> LayersOf:
    """Group ids -> each group's core layers (copy reformats left out) on A and B, as (name, source nodes): what
    names an event's one group (:func:`~trtinspect.inspector.diff_events.event_tag`)."""

    def layers_of(gids: Sequence[int]) -> dict[int, GroupLayers]:
        out: dict[int, GroupLayers] = {int(g): ([], []) for g in gids}
        m = members[members["group_id"].isin(list(out)) & (members["method"] != "served")]
        keys = {side: bundle.layers["source_nodes"].tolist() if "source_nodes" in bundle.layers else []
                for side, bundle in (("A", a), ("B", b))}
        cols = (m["side"].tolist(), m["group_id"].tolist(), m["layer_index"].tolist(), m["name"].tolist())
        for side, gid, li, name in zip(*cols, strict=True):
            source = keys[side][int(li)] if int(li) < len(keys[side]) else None
            out[int(gid)][0 if side == "A" else 1].append((str(name), list(source) if source is not None else []))
        return out

    return layers_of


def _names(bundle: EngineBundle) -> list[str]:
    """Layer names by layer_index (0..n-1 in order)."""
    layers = bundle.layers
    return [str(x) for x in layers["name"].tolist()] if "name" in layers else []


def _unmatched_ms(bundle: EngineBundle) -> float:
    return bundle.unmatched_profile_ms()

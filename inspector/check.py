"""The CI check: does a candidate engine regress against a baseline? (pure decision logic, no I/O)

Two gates, both documented with their reasoning in ``docs/check.md``:

* **End-to-end** on GPU compute time: regression when the relative change of the centre (median of pooled
  iterations) is at least ``threshold`` (default 5%) AND, with K >= ``min_runs`` (3) runs a side, a one-sided
  t-test on RUN-level statistics (one median per run) says the candidate is slower. Iterations within a run are
  autocorrelated, so they are never the test's samples; with fewer runs significance is "not assessed" and the
  threshold decides alone.
* **Per fusion group**: regression when relative change >= ``group_threshold`` (10%) AND absolute change >=
  floor (``floor_share`` 0.5% of the engine's per-layer time, at most ``floor_ms`` 0.01 ms; raised to 3x the
  group's run-to-run spread with K >= 3 runs a side) AND the group holds >= ``min_share`` (1%) of per-layer time
  AND, with K >= 3, a one-sided t-test on the per-run group times survives Benjamini-Hochberg across groups.
  Each group reports its size threshold (``size_threshold_ms``, ``size_threshold_pct``): the smallest slowdown the
  fixed size rule flags, not a measured detection limit (with one profiled iteration a side nothing is measured
  about the noise).

Groups on one side only are added/removed time, never a regression by themselves. Differences in the
environment (GPU, TensorRT version, input shapes, locked clocks where recorded) make the engines not comparable
(:class:`~trtinspect.errors.NotComparableError`) unless the field is explicitly allowed; a build precision change
is part of the change under test: compared, and reported first (``CheckResult.changes``).
"""

from __future__ import annotations

import fnmatch
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trtinspect.errors import NotComparableError, TrtInspectError
from trtinspect.inspector.check_cause import cause_note, slower_causes, traded_note
from trtinspect.inspector.check_chain import CHAINS, chain_notes
from trtinspect.inspector.check_excerpt import excerpt_notes, overhead_note, side_layer_totals
from trtinspect.inspector.check_inputs import (
    ALLOWED_FIELDS,
    BASE,
    BUILD_CHANGES,
    CAND,
    CENTRE,
    COMPARABILITY,
    FieldDiff,
    GroupTimesFn,
    NotCompared,
    build_changes,
    build_precision,
    centre_word,
    comparability,
    end_to_end_samples,
    gpu_compute_median,
    group_runs_by_alignment,
    groups_by_name,
    lookup,
    metric_name,
    not_compared_notes,
    per_sample_note,
    refuse_same_pair,
    settings_not_compared,
    source_words,
    untested_phrase,
    validate_side,
)
from trtinspect.inspector.check_limits import validate
from trtinspect.inspector.check_model import NETWORK_HINT, check_same_model, network_mismatch
from trtinspect.inspector.check_moved import MOVED_OPS, moved_note, say_moved
from trtinspect.inspector.check_names import unmatched_names_or_raise
from trtinspect.inspector.check_stats import bh_adjust as bh_adjust
from trtinspect.inspector.check_stats import mann_whitney_p as mann_whitney_p
from trtinspect.inspector.check_stats import run_t_p as run_t_p
from trtinspect.inspector.check_stats import welch_p as welch_p
from trtinspect.parsers import schema
from trtinspect.parsers.model import SINGLE_SAMPLE
from trtinspect.parsers.trtexec_summary import summarize

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

log = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_FIELDS", "BUILD_CHANGES", "CENTRE", "COMPARABILITY", "CheckResult", "EndToEnd", "FieldDiff", "Override",
    "Thresholds", "bh_adjust",
    "centre_word", "comparability", "decide_end_to_end", "decide_groups", "mann_whitney_p", "run_check", "run_t_p",
    "validate_side",
    "welch_p",
]

STATUSES = ("regression", "traded", "improvement", "ok", "added", "removed", "unmeasured", "ignored")


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds. Fractions (0.05 = 5%), milliseconds for floors."""

    threshold: float = 0.05  # end-to-end relative change
    group_threshold: float = 0.10  # per fusion group relative change
    floor_ms: float = 0.01  # per group absolute change floor (upper bound of the engine-scaled floor)
    floor_share: float = 0.005  # engine-scaled floor: this share of the engine's per-layer time per iteration
    min_share: float = 0.01  # per group share of per-layer total time
    alpha: float = 0.05  # significance level (end-to-end p; per-group BH q)
    spread_factor: float = 3.0  # floor >= spread_factor x run-to-run spread when K >= min_runs
    min_runs: int = 3  # runs a side needed to test significance (end to end: one median per run; per group)
    # fail on slower groups even when end-to-end GPU compute improved (beyond the threshold, and significantly
    # when tested; else they are "traded")
    strict_groups: bool = False

    def __post_init__(self) -> None:   # the rules the config file and the flags are held to (check_limits)
        validate("Thresholds", {f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True)
class Override:
    """A temporary per-layer/per-group exception.

    ``match`` is a shell pattern (fnmatch) tried against the group label and every layer name of the group;
    the first active override that matches applies."""

    match: str
    expires: date
    group_threshold: float | None = None
    floor_ms: float | None = None
    ignore: bool = False
    reason: str = ""

    def matches(self, label: str, layers: Sequence[str]) -> bool:
        names = [label, *layers]
        return any(fnmatch.fnmatchcase(n, self.match) for n in names)




@dataclass
class EndToEnd:
    """The end-to-end gate's outcome."""

    source: str  # "iterations" | "runs" | "layer_sum" | "none"
    n_base: int = 0
    n_cand: int = 0
    base_ms: float = math.nan  # centre: median of pooled iterations or of per-run medians; layer_sum: mean
    cand_ms: float = math.nan
    base_low_ms: float = math.nan  # 5th / 95th percentile of the samples (per-run values: min / max)
    base_high_ms: float = math.nan
    cand_low_ms: float = math.nan
    cand_high_ms: float = math.nan
    p_value: float = math.nan
    test: str = ""
    significance: str = "not assessed"
    status: str = "ok"
    reason: str = ""
    untested: str = ""  # why no significance test ran, e.g. "not tested for significance: 1 run per side"

    @property
    def delta_ms(self) -> float:
        return self.cand_ms - self.base_ms

    @property
    def delta_pct(self) -> float:
        return _pct(self.delta_ms, self.base_ms)


@dataclass
class CheckResult:
    """Everything a report needs. ``groups`` follows ``schema.CHECK_GROUPS``."""

    baseline_name: str
    candidate_name: str
    k_base: int
    k_cand: int
    end_to_end: EndToEnd
    groups: pd.DataFrame
    thresholds: Thresholds
    overrides: list[Override] = field(default_factory=list)
    allowed_differences: list[FieldDiff] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    expired: list[Override] = field(default_factory=list)  # expired overrides, ignored
    # build settings that differ (part of the change under test), e.g. "build precision changed: FP32+FP16 -> FP32"
    changes: list[str] = field(default_factory=list)
    # what people read calls each side (default: the engine's name); the CLI sets it from the paths given when
    # both sides are the same engine name (fp16 vs fp32 builds of resnet.onnx), e.g. "runs/base/"
    baseline_label: str = ""
    candidate_label: str = ""
    # the config file whose settings were applied (``--config`` or found in the working directory), as given;
    # set by the CLI, shown in the text verdict ("" when none)
    config_file: str = ""
    # settings unknown on a side, so not compared (check_inputs.settings_not_compared; the notes say them too)
    settings_not_compared: list[NotCompared] = field(default_factory=list)

    def label(self, side: str) -> str:
        """The name shown for ``side`` ("baseline" or "candidate"): its label, else the engine's name."""
        if side == "baseline":
            return self.baseline_label or self.baseline_name
        return self.candidate_label or self.candidate_name

    def side_text(self, side: str) -> str:
        """``runs/base/ (3 runs)``: the side's label and its number of runs."""
        k = self.k_base if side == "baseline" else self.k_cand
        return f"{self.label(side)} ({k} run{'' if k == 1 else 's'})"

    @property
    def regressed_groups(self) -> pd.DataFrame:
        return self.groups[self.groups["status"] == "regression"]

    @property
    def regressed(self) -> bool:
        return self.end_to_end.status == "regression" or not self.regressed_groups.empty

    @property
    def verdict(self) -> str:
        return "regression" if self.regressed else "pass"

    @property
    def exit_code(self) -> int:
        return 1 if self.regressed else 0


# --------------------------------------------------------------------------------------------- statistics


def _pct(delta: float, base: float) -> float:
    if not (math.isfinite(delta) and math.isfinite(base)):
        return math.nan
    if base == 0:
        return math.inf if delta > 0 else -math.inf if delta < 0 else 0.0
    return 100.0 * delta / base


def _prob(p: float) -> str:
    """``=0.012`` style, or ``<1e-300`` for a probability that underflowed to 0 (never ``p=0``)."""
    return "<1e-300" if p == 0 else f"={p:.2g}"


# --------------------------------------------------------------------------------------------- end to end


SPREAD = (5.0, 95.0)   # the pooled iterations' spread (low, high): trtexec's percentile rule


def decide_end_to_end(
    base_runs: Sequence[np.ndarray], cand_runs: Sequence[np.ndarray], source: str, t: Thresholds
) -> EndToEnd:
    """End-to-end gate. ``*_runs``: one array per run (per-iteration samples for source "iterations", one
    value per run otherwise).

    The size is the change of the centre (median of pooled iterations; median of the per-run printed medians;
    mean of per-run per-layer totals). The test is on
    RUN-level statistics: one median per run (per-run value for "runs"/"layer_sum"), a one-sided Welch t-test,
    only with >= ``min_runs`` runs a side. Iterations within a run are autocorrelated (clocks, temperature), so
    pooling them as independent samples would make any drift "significant"; with fewer runs significance is
    not assessed and the threshold decides alone."""
    if source == "none" or not base_runs or not cand_runs:
        return EndToEnd(
            source="none",
            status="unavailable",
            reason="no per-iteration times, summary or per-layer profile on both sides",
        )
    per_b = [_finite(r) for r in base_runs]
    per_c = [_finite(r) for r in cand_runs]
    per_b, per_c = [r for r in per_b if r.size], [r for r in per_c if r.size]
    if not per_b or not per_c:  # e.g. a summary without the GPU compute line on one side
        empty = [side for side, runs in (("baseline", per_b), ("candidate", per_c)) if not runs]
        return EndToEnd(source="none", status="unavailable",
                        reason=f"no {source_words(source)} on the {' and '.join(empty)} side "
                               "(the end-to-end evidence the other side has)")
    base, cand = np.concatenate(per_b), np.concatenate(per_c)
    e = EndToEnd(source=source, n_base=len(base), n_cand=len(cand))
    # medians and percentiles: trtexec's rules, the one implementation the timing summary uses
    if source == "runs":  # one printed median per run: the centre is their median (the printed one for 1 run)
        e.base_ms, e.cand_ms = summarize(base, ()).median, summarize(cand, ()).median
        e.base_low_ms, e.base_high_ms = float(base.min()), float(base.max())
        e.cand_low_ms, e.cand_high_ms = float(cand.min()), float(cand.max())
        run_b, run_c = base, cand
        what = "per-run medians"
    elif source == "iterations":
        sb, sc = summarize(base, SPREAD), summarize(cand, SPREAD)
        e.base_ms, e.cand_ms = sb.median, sc.median
        e.base_low_ms, e.base_high_ms = (sb.percentiles[p] for p in SPREAD)
        e.cand_low_ms, e.cand_high_ms = (sc.percentiles[p] for p in SPREAD)
        run_b = np.array([summarize(r, ()).median for r in per_b])
        run_c = np.array([summarize(r, ()).median for r in per_c])
        what = "per-run medians"
    else:
        e.base_ms, e.cand_ms = float(np.mean(base)), float(np.mean(cand))
        e.base_low_ms, e.base_high_ms = float(base.min()), float(base.max())
        e.cand_low_ms, e.cand_high_ms = float(cand.min()), float(cand.max())
        run_b, run_c = base, cand
        what = "per-run values"
    rel = e.delta_pct / 100.0
    direction = "greater" if rel >= 0 else "less"
    if len(run_b) >= t.min_runs and len(run_c) >= t.min_runs:
        kind = "Student" if len(run_b) == len(run_c) else "Welch"
        e.test = f"{kind} t (one-sided, {what}: {len(run_b)} vs {len(run_c)} runs)"
        e.p_value = run_t_p(run_b, run_c, direction)
        e.significance = "significant" if e.p_value <= t.alpha else "not significant"
    sig_ok = e.significance != "not significant"
    big = abs(rel) >= t.threshold
    size = f"{e.delta_pct:+.2f}% ({e.delta_ms:+.4f} ms)"
    if not math.isfinite(e.p_value):
        e.untested = untested_phrase(len(run_b), len(run_c), t.min_runs)
    p_txt = f"p{_prob(e.p_value)} ({what})" if math.isfinite(e.p_value) else e.untested
    if big and sig_ok:
        e.status = "regression" if rel > 0 else "improvement"
        e.reason = f"{size}, beyond the {t.threshold:.0%} threshold; {p_txt}"
    elif big:
        e.reason = f"{size} beyond the {t.threshold:.0%} threshold but not significant ({p_txt})"
    else:
        e.reason = f"{size} within the {t.threshold:.0%} threshold; {p_txt}"
    return e


def _finite(values: Any) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]


# --------------------------------------------------------------------------------------------- fusion groups


def decide_groups(
    meta: pd.DataFrame, runs: pd.DataFrame, t: Thresholds, overrides: Sequence[Override] = (),
    layer_totals: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Per-group decision.

    ``meta``: one row per group: group_id, kind, label, layers_a (list), layers_b (list).
    ``runs``: long frame group_id, side ("baseline"/"candidate"), run (int), ms — the group's per-iteration
    time in each run. A group with no rows on one side exists on the other side only.
    ``layer_totals``: per side, the per-layer total shares, floor and share criterion use (see check_excerpt).
    Returns a frame with ``schema.CHECK_GROUPS`` columns, worst regression first.
    """
    if meta.empty:
        return schema.empty_frame(schema.CHECK_GROUPS)
    values, k, totals = _group_run_values(runs)
    for side, total in (layer_totals or {}).items():
        # the same figure summed in another order (last bits only) keeps the groups' sum: outputs stay byte-stable
        if math.isfinite(total) and total > 0 and not math.isclose(total, totals[side], rel_tol=1e-12):
            totals[side] = total
    engine_floor = _engine_floor(totals, t)
    testable = k[BASE] >= t.min_runs and k[CAND] >= t.min_runs
    rows = [
        _group_row(m, values, totals, engine_floor, t, overrides, testable) for m in meta.to_dict("records")
    ]
    _classify_open_rows(rows, t, testable)
    return _group_frame(rows)


def _group_run_values(
    runs: pd.DataFrame,
) -> tuple[dict[str, dict[int, np.ndarray]], dict[str, int], dict[str, float]]:
    """Per side: each group's per-run times, the number of runs, and the mean per-run total of all groups."""
    lists: dict[str, dict[int, list[float]]] = {BASE: {}, CAND: {}}
    run_sums: dict[str, dict[int, float]] = {BASE: {}, CAND: {}}
    for gid, side, run, ms in zip(
        runs["group_id"].to_numpy(),
        runs["side"].to_numpy(),
        runs["run"].to_numpy(),
        runs["ms"].to_numpy(dtype=float),
        strict=True,
    ):
        lists[side].setdefault(int(gid), []).append(float(ms))
        run_sums[side][int(run)] = run_sums[side].get(int(run), 0.0) + float(ms)
    k = {s: len(run_sums[s]) for s in (BASE, CAND)}
    totals = {s: float(np.mean(list(run_sums[s].values()))) if k[s] else math.nan for s in (BASE, CAND)}
    values = {s: {g: np.asarray(v) for g, v in lists[s].items()} for s in (BASE, CAND)}
    return values, k, totals


def _group_row(
    m: Mapping[Any, Any],
    values: dict[str, dict[int, np.ndarray]],
    totals: dict[str, float],
    engine_floor: float,
    t: Thresholds,
    overrides: Sequence[Override],
    testable: bool,
) -> dict[str, Any]:
    """One group's row: times, share, floor and (when testable) p-values; status only when one-sided/ignored."""
    gid = int(m["group_id"])
    a, b = values[BASE].get(gid), values[CAND].get(gid)
    a_ms = float(a.mean()) if a is not None and len(a) else math.nan
    b_ms = float(b.mean()) if b is not None and len(b) else math.nan
    row: dict[str, Any] = {
        "group_id": gid,
        "label": str(m["label"]),
        "kind": str(m["kind"]),
        "base_ms": a_ms,
        "cand_ms": b_ms,
        "layers_a": list(m["layers_a"]),
        "layers_b": list(m["layers_b"]),
        "base_share_pct": 100.0 * _safe_div(a_ms, totals[BASE]),
        "cand_share_pct": 100.0 * _safe_div(b_ms, totals[CAND]),
        "share_pct": 100.0 * max(_safe_div(a_ms, totals[BASE]), _safe_div(b_ms, totals[CAND])),
        "threshold_pct": 100.0 * t.group_threshold,
        "floor_ms": t.floor_ms,
        "p_value": math.nan,
        "q_value": math.nan,
        "p_up": math.nan,
        "p_down": math.nan,
        "significance": "not assessed",
        "spread_ms": math.nan,
        "size_threshold_ms": math.nan,
        "size_threshold_pct": math.nan,
    }
    ov = next((o for o in overrides if o.matches(row["label"], row["layers_a"] + row["layers_b"])), None)
    if ov is not None and ov.group_threshold is not None:
        row["threshold_pct"] = 100.0 * ov.group_threshold
    floor = ov.floor_ms if ov is not None and ov.floor_ms is not None else engine_floor
    row["floor_ms"] = floor
    if math.isnan(a_ms) or math.isnan(b_ms):
        row.update(_one_sided(a_ms, b_ms, bool(row["layers_a"]), bool(row["layers_b"])))
    else:
        assert a is not None and b is not None
        row["delta_ms"] = b_ms - a_ms
        row["delta_pct"] = _pct(row["delta_ms"], a_ms)
        if len(a) >= 2 and len(b) >= 2:
            row["spread_ms"] = float(math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2))
        if testable:
            row["floor_ms"] = max(floor, t.spread_factor * row["spread_ms"])
            row["p_up"], row["p_down"] = run_t_p(a, b, "greater"), run_t_p(a, b, "less")
        row["size_threshold_ms"] = _size_threshold_ms(a_ms, float(row["floor_ms"]), row["threshold_pct"] / 100.0,
                                                      totals, t)
        row["size_threshold_pct"] = _pct(row["size_threshold_ms"], a_ms)
    if ov is not None and ov.ignore:
        row["status"] = "ignored"
        row["reason"] = f"ignored by override '{ov.match}' until {ov.expires.isoformat()}: {ov.reason}".rstrip(": ")
    return row


def _classify_open_rows(rows: list[dict[str, Any]], t: Thresholds, testable: bool) -> None:
    """Benjamini-Hochberg across the groups not yet decided, then each one's status and reason (in place)."""
    open_rows = [r for r in rows if "status" not in r]
    if testable:
        for direction in ("up", "down"):
            q = bh_adjust([r["p_" + direction] for r in open_rows])
            for r, qv in zip(open_rows, q, strict=True):
                r["q_" + direction] = float(qv)
    for r in open_rows:
        r["status"], r["reason"], r["p_value"], r["q_value"], r["significance"] = _classify(r, t, testable)


_STATUS_ORDER = {"regression": 0, "traded": 1, "improvement": 3, "added": 4, "removed": 4, "ok": 5,
                 "unmeasured": 6, "ignored": 7}
_ADDED_ABOVE_FLOOR = 2   # added/removed time at least the group's floor: before the improvements


def above_floor(status: pd.Series, delta_ms: pd.Series, floor_ms: pd.Series) -> pd.Series:
    """Which rows are added/removed time at least their floor (``|delta| >= floor_ms``): listed before the
    improvements (the 9 standalone quantize layers `fp16 -> qat` adds, +0.171 ms, were cut off after 16
    improvements) and annotated under GitHub Actions."""
    one_side = status.isin(["added", "removed"])
    return one_side & (delta_ms.abs() >= floor_ms).fillna(False).astype(bool)


def _group_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a ``schema.CHECK_GROUPS`` frame: regressions (worst first), traded groups, added/removed time
    above the floor (largest first), improvements (largest gain first), the rest."""
    frame = pd.DataFrame(rows)
    frame = frame.drop(columns=[c for c in ("p_up", "p_down", "q_up", "q_down") if c in frame])
    frame["_o"] = frame["status"].map(_STATUS_ORDER)
    big = above_floor(frame["status"], frame["delta_ms"], frame["floor_ms"]) if "floor_ms" in frame else None
    frame["_k"] = frame["delta_ms"]
    better = frame["status"] == "improvement"   # largest gain first (a plain descending delta put it last)
    frame.loc[better, "_k"] = -frame.loc[better, "delta_ms"]
    if big is not None and big.any():
        frame.loc[big, "_o"] = _ADDED_ABOVE_FLOOR
        frame.loc[big, "_k"] = frame.loc[big, "delta_ms"].abs()
    frame = frame.sort_values(["_o", "_k"], ascending=[True, False], kind="stable").drop(columns=["_o", "_k"])
    return schema.conform(frame.reset_index(drop=True), schema.CHECK_GROUPS)


def _engine_floor(totals: dict[str, float], t: Thresholds) -> float:
    """The absolute floor scaled to the engine: ``floor_share`` of its per-layer time per iteration (baseline,
    else candidate), never above ``floor_ms``. A fixed 0.01 ms is 2% of a 0.47 ms batch-1 MobileNet and hides
    a +50% slowdown of its largest layer; on a 12 ms ResNet-50 it stays 0.01 ms."""
    total = totals[BASE] if math.isfinite(totals[BASE]) and totals[BASE] > 0 else totals[CAND]
    if not math.isfinite(total) or total <= 0:
        return t.floor_ms
    return min(t.floor_ms, t.floor_share * total)


def _size_threshold_ms(base_ms: float, floor: float, threshold: float, totals: Mapping[str, float],
                       t: Thresholds) -> float:
    """Size threshold of a group (ms): the smallest slowdown that meets the relative threshold, the floor, and
    the share criterion exactly as :func:`_classify` applies it: ``share_pct`` is the larger of the group's
    share of the baseline's per-layer total and of the candidate's, so a group holding ``min_share`` of the
    baseline meets it at any size, and one below it must reach ``min_share`` of the candidate's measured total
    (the same denominator the decision uses). With K >= min_runs it must also be significant, which needs more
    than this when runs scatter."""
    if not math.isfinite(base_ms) or t.min_share >= 1:  # min_share 100%: no group can ever be flagged
        return math.nan
    base_total, cand_total = totals[BASE], totals[CAND]
    if _safe_div(base_ms, base_total) >= t.min_share:
        need_share = 0.0
    elif math.isfinite(cand_total) and cand_total > 0:
        need_share = t.min_share * cand_total - base_ms
    else:                                      # no candidate share can be formed: the criterion never passes
        need_share = math.inf
    return max(floor, threshold * base_ms, need_share)


def _one_sided(a_ms: float, b_ms: float, in_a: bool, in_b: bool) -> dict[str, Any]:
    """delta, status and reason of a group without a time on one side (or on both)."""
    if math.isnan(a_ms) and math.isnan(b_ms):
        return {"delta_ms": math.nan, "delta_pct": math.nan, "status": "unmeasured",
                "reason": "no profiled time on either side (not judged)"}
    side, other = ("candidate", "baseline") if math.isnan(a_ms) else ("baseline", "candidate")
    present = b_ms if math.isnan(a_ms) else -a_ms
    if in_a and in_b:  # the layers exist on both sides; one side's profile has no time for them
        return {"delta_ms": math.nan, "delta_pct": math.nan, "status": "unmeasured",
                "reason": f"profiled in the {side} only ({abs(present):.4f} ms); the {other}'s profile has no "
                "time for these layers (not judged)"}
    return {"delta_ms": present, "delta_pct": math.nan, "status": "added" if side == "candidate" else "removed",
            "reason": f"only in {side}: {present:+.4f} ms (added/removed time is never a regression by itself)"}


def _safe_div(x: float, total: float) -> float:
    if not (math.isfinite(x) and math.isfinite(total)) or total <= 0:
        return 0.0
    return x / total


def _classify(row: dict[str, Any], t: Thresholds, testable: bool) -> tuple[str, str, float, float, str]:
    """status, reason, p, q, significance of a group present on both sides."""
    delta, pct = float(row["delta_ms"]), float(row["delta_pct"])
    thr, floor, share = float(row["threshold_pct"]), float(row["floor_ms"]), float(row["share_pct"])
    up = delta >= 0
    direction = "up" if up else "down"
    p = float(row.get("p_" + direction, math.nan))
    q = float(row.get("q_" + direction, math.nan)) if testable else math.nan
    sig = (
        "not assessed"
        if not (testable and math.isfinite(q))
        else ("significant" if q <= t.alpha else "not significant")
    )
    size = f"{pct:+.1f}% ({delta:+.4f} ms)"
    failed = []
    if abs(pct) < thr:
        failed.append(f"change below {thr:.0f}%")
    if abs(delta) < floor:
        failed.append(f"below the {floor:.4f} ms floor")
    if share < 100.0 * t.min_share:
        failed.append(f"group is {share:.2f}% of per-layer time on either side (< {t.min_share:.0%})")
    if sig == "not significant":
        failed.append(f"not significant after Benjamini-Hochberg (q{_prob(q)})")
    if not failed and abs(delta) > 0:
        status = "regression" if up else "improvement"
        sig_txt = (
            f"q{_prob(q)}"
            if sig == "significant"
            else f"significance not assessed (< {t.min_runs} runs a side)"
        )
        reason = (f"{size}: >= {thr:.0f}%, >= {floor:.4f} ms floor, {share:.1f}% of per-layer time (larger "
                  f"side); {sig_txt}")
    else:
        status = "ok"
        reason = f"{size}: " + ("; ".join(failed) if failed else "no change")
    return status, reason, p, q, sig


def run_check(
    baseline: Sequence[EngineBundle],
    candidate: Sequence[EngineBundle],
    t: Thresholds | None = None,
    *,
    overrides: Sequence[Override] = (),
    allow_different: Sequence[str] = (),
    grouper: GroupTimesFn | None = None,
    expired: Sequence[Override] = (),
) -> CheckResult:
    """Check candidate runs against baseline runs (``expired``: overrides past their date, ignored and said).

    Raises NotComparableError (CLI exit 3) or TrtInspectError (exit 2)."""
    t = t or Thresholds()
    validate_side(baseline, BASE)
    validate_side(candidate, CAND)
    diffs = _comparable_or_raise(baseline, candidate, allow_different)
    refuse_same_pair(baseline, candidate)
    not_compared = settings_not_compared(baseline, candidate)
    notes: list[str] = not_compared_notes(not_compared)
    if set(allow_different) & set(BUILD_CHANGES):
        notes.append(
            "--allow-different precision is no longer needed: a build precision change is part of the change "
            "under test and is always compared"
        )
    e2e = _end_to_end_gate(baseline, candidate, t, notes)
    allowed = [d for d in diffs if d.field in allow_different]
    if (per_sample := per_sample_note(baseline, candidate, allowed, e2e.base_ms, e2e.cand_ms)) is not None:
        notes.append(per_sample)
    groups = _group_gate(baseline, candidate, t, overrides, grouper, e2e, notes)
    if e2e.status == "unavailable" and groups.empty:  # nothing was compared: never a PASS
        raise TrtInspectError(
            f"nothing to compare: {e2e.reason}, so neither the end-to-end nor the per-group gate can run",
            hint="give both sides the same evidence (trtexec --exportTimes=FILE --exportProfile=FILE, or logs "
                 "with a performance summary on both sides)")
    gpu_centre = e2e.source in ("iterations", "runs")    # K runs a side: the note uses the headline's centre
    overhead = overhead_note(baseline, candidate, (e2e.base_ms, e2e.cand_ms) if gpu_centre else (math.nan,) * 2)
    if overhead:
        notes.append(overhead)
    notes += [
        f"override '{o.match}' expired on {o.expires.isoformat()} and was ignored ({o.reason or 'no reason given'})"
        for o in expired
    ]
    return CheckResult(
        baseline[0].name,
        candidate[0].name,
        len(baseline),
        len(candidate),
        e2e,
        groups,
        t,
        list(overrides),
        allowed,
        notes,
        _check_context(baseline, candidate),
        list(expired),
        changes=build_changes(baseline, candidate),
        settings_not_compared=not_compared,
    )


def _comparable_or_raise(
    baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle], allow_different: Sequence[str]
) -> list[FieldDiff]:
    """The environment differences of the two sides; NotComparableError for any not in ``allow_different``."""
    unknown = sorted(set(allow_different) - set(ALLOWED_FIELDS))
    if unknown:
        raise TrtInspectError(
            f"unknown --allow-different field(s) {', '.join(unknown)}",
            hint=f"choose from {', '.join(COMPARABILITY)}",
        )
    diffs = comparability(baseline, candidate)
    blocking = [d for d in diffs if d.field not in allow_different]
    network = network_mismatch(baseline, candidate)
    if blocking or network is not None:
        # every reason at once, the network first (as diff says it); --allow-different is advised only where it
        # would make the runs comparable: it accepts environment fields, never another network
        reasons = [f"{d.field} differs ({d.where}): '{d.baseline}' vs '{d.candidate}'" for d in blocking]
        fields = sorted({d.field for d in blocking})
        if network is not None:
            more = f"; also {'; '.join(reasons)}" if reasons else ""
            raise NotComparableError(network + more, fields=["model", *fields], hint=NETWORK_HINT)
        raise NotComparableError("; ".join(reasons), fields=fields,
                                 hint="compare like with like, or pass --allow-different " + " ".join(fields))
    return diffs


def _end_to_end_gate(
    baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle], t: Thresholds, notes: list[str]
) -> EndToEnd:
    """The end-to-end gate on the best source both sides have; its notes are appended to ``notes``."""
    src_b, samples_b = end_to_end_samples(baseline)
    src_c, samples_c = end_to_end_samples(candidate)
    source = _common_source(src_b, src_c)
    if source != src_b:
        _, samples_b = _downgrade(baseline, source)
    if source != src_c:
        _, samples_c = _downgrade(candidate, source)
    e2e = decide_end_to_end(samples_b, samples_c, source, t)
    if source == "layer_sum":
        notes.append(
            "end-to-end uses the sum of per-layer profile times (no --exportTimes or summary): "
            "it includes profiler overhead"
        )
    if source == "iterations":
        if min(len(baseline), len(candidate)) >= t.min_runs:
            notes.append(
                "end-to-end significance is tested on one median per run (iterations within a run are "
                "autocorrelated, not independent samples)"
            )
        else:
            notes.append(
                f"end-to-end change {untested_phrase(len(baseline), len(candidate), t.min_runs)} "
                "(iterations within a run are autocorrelated, not independent samples); the "
                f"{t.threshold:.0%} threshold decided alone"
            )
    return e2e


def _group_gate(
    baseline: Sequence[EngineBundle],
    candidate: Sequence[EngineBundle],
    t: Thresholds,
    overrides: Sequence[Override],
    grouper: GroupTimesFn | None,
    e2e: EndToEnd,
    notes: list[str],
) -> pd.DataFrame:
    """The per fusion group gate (empty without a per-layer profile on every run); notes appended to ``notes``."""
    if all(b.has_profile for b in [*baseline, *candidate]):
        group_fn = grouper or _default_grouper
        meta, runs = group_fn(baseline, candidate)
        check_same_model(meta, runs, baseline[0].name, candidate[0].name)
        groups = decide_groups(meta, runs, t, overrides, side_layer_totals(baseline, candidate))
        if moved := meta.attrs.get(MOVED_OPS, {}):
            say_moved(groups, moved)
            notes.append(moved_note(moved))
        if chains := meta.attrs.get(CHAINS, {}):
            say_moved(groups, {g: why for g, (why, _) in chains.items()})
            notes += chain_notes(chains)
        if causes := slower_causes(groups, baseline[0].layers, candidate[0].layers):
            say_moved(groups, causes)   # before trades are marked: slower groups, whether they fail or not
            notes.append(cause_note(groups, causes))
        unmatched_names_or_raise(groups, [*baseline, *candidate])
        notes += excerpt_notes(baseline, candidate, runs)
        if _trade_off(groups, e2e, t):
            gain = (f"improved significantly ({e2e.delta_pct:+.1f}%)" if e2e.significance == "significant"
                    else f"improved by {-e2e.delta_pct:.1f}% ({e2e.untested}; judged on size alone)")
            notes.append(traded_note(groups, causes, f"{metric_name(e2e.source, short=True)} {gain}"))
    else:
        groups = schema.empty_frame(schema.CHECK_GROUPS)
        lacking = [side for side, runs in (("baseline", baseline), ("candidate", candidate))
                   if not all(b.has_profile for b in runs)]
        where = "on both sides" if len(lacking) == 2 else f"on the {lacking[0]} side"
        notes.append(
            f"per-layer profile missing {where}: only the end-to-end gate ran "
            "(export with trtexec --exportProfile)"
        )
    single = [side for side, runs in ((BASE, baseline), (CAND, candidate))
              if all(b.profile_sample_note() for b in runs)]
    if single and not groups.empty:
        notes.append(f"{' and '.join(single)}: {SINGLE_SAMPLE} (every run's profile holds one iteration): the "
                     "'threshold' column is the fixed size rule, not a measured detection limit")
    if min(len(baseline), len(candidate)) < t.min_runs and not groups.empty:
        notes.append(
            f"{len(baseline)} baseline / {len(candidate)} candidate run(s): per-group significance "
            f"could not be assessed (needs >= {t.min_runs} runs a side); groups are judged on size alone"
        )
    return groups


def _check_context(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]) -> dict[str, Any]:
    return {
        "device": lookup(baseline[0].device, ["name", "Selected Device", "Name"]),
        "trt_version": baseline[0].trt_version,
        "precision_base": build_precision(baseline[0]),
        "precision_cand": build_precision(candidate[0]),
    }


def _trade_off(groups: pd.DataFrame, e2e: EndToEnd, t: Thresholds) -> int:
    """Mark slower groups 'traded' when the engine as a whole got faster (an end-to-end 'improvement': beyond
    the threshold, and significant when K >= min_runs made a test possible; on size alone otherwise, as every
    verdict then is); how many were. docs/check.md says why."""
    if t.strict_groups or e2e.status != "improvement" or groups.empty:
        return 0
    hit = groups["status"] == "regression"
    groups.loc[hit, "status"] = "traded"
    return int(hit.sum())


def _default_grouper(
    baseline: Sequence[EngineBundle],
    candidate: Sequence[EngineBundle],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if baseline[0].layers.empty or candidate[0].layers.empty:
        log.info("no layer graph on one side: grouping profile rows by exact name")
        return groups_by_name(baseline, candidate)
    return group_runs_by_alignment(baseline, candidate)


_SOURCE_RANK = {"iterations": 3, "runs": 2, "layer_sum": 1, "none": 0}


def _common_source(a: str, b: str) -> str:
    return a if _SOURCE_RANK[a] <= _SOURCE_RANK[b] else b


def _downgrade(bundles: Sequence[EngineBundle], source: str) -> tuple[str, list[np.ndarray]]:
    if source == "runs":
        vals = []
        for b in bundles:
            m = gpu_compute_median(b)
            vals.append(np.array([m if m is not None else math.nan]))
        return source, vals
    if source == "layer_sum":
        return source, [np.array([b.total_layer_ms()]) for b in bundles]
    return "none", []


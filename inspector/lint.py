"""The lint engine: run the declared rules over one engine bundle and return a FINDINGS frame.

``lint(bundle)`` is pure (no printing, no file access beyond what the bundle already holds). Every finding
carries its rule, severity, layers, evidence, likely cause, cost in ms per iteration with what it is
(``cost_kind``: "estimated saving", "layer time" or "not estimated") and how it was computed
(``cost_method``), the cost per layer (``cost_by_layer``, so totals count each layer once), the cost as % of
ONE stated denominator (the summed per-layer profiled time), confidence (proven / inferred), mitigation and
reference. Findings that share a root cause are one finding listing every layer (per-layer evidence in
``evidence["members"]`` / ``evidence["absorbed"]``). Rows are sorted by severity; within a severity,
estimated savings come before layer times (upper bounds), and those before costs not estimated
(``COST_KIND_RANK``); by cost (highest first) within each.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.gcpause import gc_paused, keep_until_exit
from trtinspect.inspector.rules import RULES, RULES_BY_ID, SEVERITIES, SEVERITY_RANK, Rule, rules_frame
from trtinspect.inspector.rules_base import Finding, LintContext, distinct_layers
from trtinspect.inspector.rules_facts import attach_sunk, resolve
from trtinspect.inspector.rules_fallback_sink import attach as attach_fallback_sinks
from trtinspect.parsers import schema
from trtinspect.parsers.model import require_tensorrt  # imports the nsys package only for nsys inputs

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

__all__ = [
    "ORDER_NOTE",
    "RULES",
    "SEVERITIES",
    "LintResult",
    "cost_label",
    "flagged_time",
    "lint",
    "rules_frame",
    "select_rules",
    "severity_at_least",
    "total_saving",
]

log = logging.getLogger(__name__)


class LintResult(NamedTuple):
    """What ``lint`` renders: the findings and the bundle they are about (its name, sources, layer times)."""

    findings: pd.DataFrame
    bundle: EngineBundle


RULE_ORDER = {r.id: i for i, r in enumerate(RULES)}


def select_rules(spec: Sequence[str] | str | None) -> list[Rule]:
    """Rules chosen by ``spec``: ``None`` = all; ids = only those; ids prefixed ``-`` = all but those.

    ``spec`` may be a sequence of ids or one comma-separated string (``"reformat-copy,hot-layer"``,
    ``"-hot-layer,-unstable-timing"``). Unknown ids raise :class:`TrtInspectError` listing the valid ones.
    """
    if spec is None:
        return list(RULES)
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) for s in s.split(",")]
    items = [s for s in items if s]
    if not items:  # `--rules ""`: running every rule would not be what was asked
        raise TrtInspectError("no lint rule ids given", hint="list the rules to run (a,b) or to skip (-a,-b); "
                              "`trtinspect lint --list-rules` shows the ids; leave --rules out to run them all")
    unknown = [s.lstrip("-") for s in items if s.lstrip("-") not in RULES_BY_ID]
    if unknown:
        raise TrtInspectError(
            f"unknown lint rule(s): {', '.join(unknown)}",
            hint=f"valid rule ids: {', '.join(RULES_BY_ID)}",
        )
    negative = [s[1:] for s in items if s.startswith("-")]
    positive = [s for s in items if not s.startswith("-")]
    if negative and positive:
        raise TrtInspectError(
            "lint rules: mix of selected and excluded ids",
            hint="either list the rules to run (a,b) or the rules to skip (-a,-b), not both",
        )
    if negative:
        return [r for r in RULES if r.id not in negative]
    return [RULES_BY_ID[s] for s in dict.fromkeys(positive)]


def severity_at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK.get(severity, -1) >= SEVERITY_RANK[threshold]


def _finding_id(rule_id: str, names: Iterable[str], seen: dict[str, int]) -> str:
    digest = hashlib.blake2b("\x1f".join(names).encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    base = f"{rule_id}-{digest}"
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n + 1}"


def lint(bundle: EngineBundle, rules: Sequence[str] | None = None, *, detail: bool = True,
         absorbed: str = "reference") -> pd.DataFrame:
    """Findings of the selected rules (all by default) on ``bundle``, as a FINDINGS frame sorted by cost.

    The frame's ``attrs`` hold ``cost_basis`` (what ``cost_pct`` divides by), ``cost_basis_ms``,
    ``has_profile``, ``edges`` ("tensor" or "execution order"), ``rules`` (ids run) and ``absorbed`` (how the
    findings a finding absorbed are kept). Computed once per bundle, rule set and ``absorbed`` (``report`` and
    ``diff`` reuse what ``lint`` found); do not modify the frame in place.

    ``absorbed`` (:data:`ABSORBED_MODES`): a finding that absorbs others (one root cause, ``evidence["absorbed"]``)
    keeps each as a reference (``"reference"``: rule_id, layers, title, cost_ms; the absorbing finding's own
    evidence rows state the cause per layer) or whole (``"full"``: also each one's cause and evidence).

    ``detail=False`` is for callers that show only each finding's id, rule, severity, title, cost and layers
    (``report``, ``diff``): the rows, their order and those columns are exactly what ``detail=True`` gives,
    but ``cause`` and ``evidence`` may be empty (per-layer evidence of absorbed and grouped findings is not
    built). A detailed result already computed for the bundle is returned instead.
    """
    if absorbed not in ABSORBED_MODES:
        raise ValueError(f"absorbed must be one of {', '.join(ABSORBED_MODES)}, not {absorbed!r}")
    chosen = select_rules(rules)
    require_tensorrt(bundle, "an engine to lint", hint=NO_ENGINE_HINT)
    ids = ",".join(r.id for r in chosen)
    keys = {mode: f"lint[{mode}]:{ids}" for mode in ABSORBED_MODES}
    if detail:
        return bundle.derived(keys[absorbed], lambda b: _run(b, chosen, detail=True, absorbed=absorbed))
    for key in keys.values():
        if bundle.has_derived(key):
            return bundle.derived(key, lambda b: _run(b, chosen, detail=True, absorbed=absorbed))
    return bundle.derived("lint-summary:" + ids, lambda b: _run(b, chosen, detail=False))


# How a finding keeps the findings it absorbs (``evidence["absorbed"]``): as references (the default: what
# REFERENCE_FIELDS name), or whole (also each one's cause and evidence). docs/lint.md, "One finding per root cause".
ABSORBED_MODES = ("reference", "full")
REFERENCE_FIELDS = ("rule_id", "layers", "title", "cost_ms")
FULL_MEMBERS_HINT = "trtinspect lint --absorbed full keeps each absorbed finding's cause and evidence"


# How findings are ranked within a severity: estimated savings first, then layer times (upper bounds, so they
# are never shown as a bigger saving than an estimate), then costs not estimated; by cost within each.
COST_KIND_RANK = {"estimated saving": 0, "layer time": 1, "not estimated": 2}
COST_LABELS = {"layer time": "layer time (upper bound)"}
ORDER_NOTE = (
    "order: severity, then estimated savings (largest first), then layer times (upper bounds, not savings), "
    "then costs not estimated"
)


def cost_label(kind: str | None) -> str:
    """How a cost kind is shown: "layer time" says it is an upper bound."""
    return COST_LABELS.get(kind or "", kind or "cost")


NO_ENGINE_HINT = (
    "Give lint one engine's files instead: a TREx bundle folder, the graph JSON (trtexec --exportLayerInfo "
    "--profilingVerbosity=detailed) with its --exportProfile JSON, or trtexec logs; to see TensorRT in Nsight "
    "Systems, capture the TensorRT run with `nsys profile --trace=cuda,nvtx`"
)


# A proven warning whose fix is estimated to save at least this share of the summed per-layer time is an
# error (so `--fail-on error` fires on the costly problems, not on every warning). docs/lint.md says so.
ERROR_SAVING_SHARE = 0.10


def _run(bundle: EngineBundle, chosen: Sequence[Rule], *, detail: bool, absorbed: str = "full") -> pd.DataFrame:
    with gc_paused():  # many small acyclic objects on large engines: see trtinspect.gcpause
        ctx = LintContext(bundle, detail=detail)
        ctx.full_members = absorbed == "full"
        ctx.rules_chosen = [r.id for r in chosen]
        ranks = [RULE_ORDER[r.id] for r in chosen]
        ctx.in_rule_order = ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
        found: list[tuple[int, Rule, Finding]] = []
        ctx.rules_run = []
        for order, rule in enumerate(chosen):
            got = rule.check(ctx)
            found.extend((order, rule, f) for f in got)
            ctx.rules_run.append(rule.id)
            ctx.roots_found = ctx.roots_found or any(f.supersedes for f in got)
        # the members roots absorbed as the rules ran (rules_facts.Sink, rules_fallback_sink)
        done = [*attach_sunk(ctx), *attach_fallback_sinks(ctx)]
        found = _group(_absorb_hot_layers(_absorb(found, ctx, done), ctx), ctx)
        table: list[tuple[Any, ...]] = []
        keys: list[tuple[Any, ...]] = []
        seen: dict[str, int] = {}
        for order, rule, f in found:
            row, key = _row(ctx, rule, f, order, seen)
            table.append(row)
            keys.append(key)
        perm = sorted(range(len(keys)), key=keys.__getitem__)
        columns = zip(*[table[i] for i in perm], strict=True) if table else ([] for _ in _COLUMNS)
        frame = schema.frame_from_columns(dict(zip(_COLUMNS, map(list, columns), strict=True)), schema.FINDINGS)
    frame.attrs.update(
        {
            "cost_basis": ctx.cost_basis,
            "cost_basis_ms": ctx.total_ms,
            "end_to_end_ms": ctx.end_to_end_ms,
            "end_to_end_source": ctx.end_to_end_source,
            "cuda_graphs": ctx.cuda_graphs,
            "has_profile": ctx.has_profile,
            "edges": "tensor" if ctx.has_edges else "execution order",
            "rules": [r.id for r in chosen],
            "bundle": bundle.name,
            "profile_runs": bundle.profile_runs,
            "profile_note": bundle.profile_sample_note(),
            "per_layer_method": bundle.extras.get("per_layer_method"),
            "absorbed": absorbed if detail else None,
        }
    )
    # the per-row views and facts (tens of thousands of small objects): not freed one by one in a console
    # process about to end (gcpause.keep_until_exit; freed as usual elsewhere)
    keep_until_exit(ctx)
    return frame


def _member(ctx: LintContext, f: Finding, *, full: bool | None = None) -> dict[str, Any]:
    """One absorbed or grouped finding, kept as per-layer evidence of the finding that replaces it: whole
    (``full``; a grouped finding's members always are), else as ``ctx.full_members`` says (absorbed ones)."""
    return _members(ctx, [f], full=full)[0]


def _members(ctx: LintContext, found: list[Finding], *, full: bool | None = None) -> list[dict[str, Any]]:
    """:func:`_member` of each finding (one loop: tens of thousands on large engines)."""
    names, avg, fsum, isnan, nan = ctx.names, ctx.avg_ms, math.fsum, math.isnan, math.nan
    full = ctx.full_members if full is None else full
    out = []
    for f in found:
        rows = f.rows
        saving = f.saving
        rows, layers = distinct_layers(rows, names)
        if f.cost_ms is not None and isnan(f.cost_ms):
            cost = nan
        elif saving is not None:
            cost = fsum(saving.values()) if saving else nan
        else:
            cost = fsum([avg[r] for r in rows]) if rows else nan
        if full:
            out.append({"rule_id": f.rule_id, "layers": layers, "title": f.title, "cause": f.cause,
                        "cost_ms": None if isnan(cost) else cost, "evidence": f.evidence})
        else:  # a reference (REFERENCE_FIELDS): the absorbing finding's rows state the cause per layer
            out.append({"rule_id": f.rule_id, "layers": layers, "title": f.title,
                        "cost_ms": None if isnan(cost) else cost})
    return out


def _cost(ctx: LintContext, f: Finding) -> float:
    """``math.fsum`` of :func:`_saving` (NaN when it is empty), without building the dict."""
    if f.cost_ms is not None and math.isnan(f.cost_ms):
        return math.nan
    if f.saving is not None:
        return math.fsum(f.saving.values()) if f.saving else math.nan
    rows = f.rows
    if len(rows) == 1:
        return math.fsum((ctx.avg_ms[rows[0]],))
    avg = ctx.avg_ms
    return math.fsum([avg[r] for r in dict.fromkeys(rows)]) if rows else math.nan


# Findings of these rules say where time goes or how it was measured, not why: they never absorb a hot layer.
HOT_LAYER_ID = "hot-layer"
NO_CAUSE_RULES = frozenset({HOT_LAYER_ID, "tiny-kernels", "unstable-timing"})


def _absorb_hot_layers(
    found: list[tuple[int, Rule, Finding]], ctx: LintContext
) -> list[tuple[int, Rule, Finding]]:
    """One layer, one cost: a ``hot-layer`` finding on a layer that another finding charges a cost to (a
    finding with a cause) is kept as ``evidence["absorbed"]`` of the finding charging it the most, not listed
    again. A layer a finding only names (e.g. the convolution of an unfused epilogue) stays a hot layer."""
    hot = [i for i, (_, _, f) in enumerate(found) if f.rule_id == HOT_LAYER_ID and len(f.rows) == 1]
    if not hot:
        return found
    wanted = {found[i][2].rows[0] for i in hot}
    best: dict[int, tuple[float, int]] = {}
    for j, (_, _, f) in enumerate(found):
        if f.rule_id in NO_CAUSE_RULES:
            continue
        for r, ms in _saving(ctx, f).items():
            if r in wanted and not math.isnan(ms) and (r not in best or ms > best[r][0]):
                best[r] = (ms, j)
    gone: set[int] = set()
    for i in hot:
        f = found[i][2]
        if f.rows[0] in best:
            if ctx.detail:
                found[best[f.rows[0]][1]][2].evidence.setdefault("absorbed", []).append(_member(ctx, f))
            gone.add(i)
    return [x for i, x in enumerate(found) if i not in gone]


def _absorb(
    found: list[tuple[int, Rule, Finding]], ctx: LintContext, done: Sequence[Finding] = ()
) -> list[tuple[int, Rule, Finding]]:
    """Drop findings a root-cause finding covers (its ``supersedes`` rules, all their layers among its
    rows), keeping them as ``evidence["absorbed"]`` of the root-cause finding, in the order of those rules,
    then of its rows. Linear in the findings: candidates are looked up by their rule and first layer; the
    members of all roots are built in one loop. The roots in ``done`` cover no finding left (their Sink took
    them: rules_facts.attach_sunk), so their rows are not looked through. The cause and evidence a rule left
    for later (rules_facts.Later) are built for the findings shown whole, before any root's members join them."""
    if not any(f.supersedes and f.rows for _, _, f in found):
        for _, _, f in found:
            resolve(f)
        return found
    by_first = _by_first(found)
    gone: set[int] = set()
    taken: list[Finding] = []
    plan: list[tuple[Finding, int, int]] = []  # root, its members' span in taken
    skip = {id(f) for f in done}
    for j, (_, _, root) in enumerate(found):
        if not root.supersedes or not root.rows or j in gone:
            continue
        start = len(taken)
        if id(root) in skip:
            plan.append((root, start, start))
            continue
        rows = dict.fromkeys(root.rows)
        for rule_id in root.supersedes:
            firsts = by_first.get(rule_id)
            if not firsts:
                continue
            for r in (rows if len(rows) <= len(firsts) else [r for r in rows if r in firsts]):
                for i in firsts.get(r, ()):
                    if i in gone or i == j:
                        continue
                    f = found[i][2]
                    if len(f.rows) > 1 and not rows.keys() >= set(f.rows):
                        continue
                    taken.append(f)
                    gone.add(i)
        plan.append((root, start, len(taken)))
    for i, (_, _, f) in enumerate(found):
        if i not in gone:
            resolve(f)
    if ctx.full_members:
        for f in taken:
            resolve(f)
    members = _members(ctx, taken) if ctx.detail else []
    for root, start, end in plan if ctx.detail else ():
        ev = root.evidence
        if "absorbed" in ev:
            ev["absorbed"].extend(members[start:end])
            if not ev["absorbed"]:
                del ev["absorbed"]
        elif end > start:
            ev["absorbed"] = members[start:end]
    return [x for i, x in enumerate(found) if i not in gone] if gone else found


def _by_first(found: list[tuple[int, Rule, Finding]]) -> dict[str, dict[int, list[int]]]:
    """Rule id -> first row -> positions of that rule's findings starting there (in order)."""
    by_first: dict[str, dict[int, list[int]]] = {}
    rule_id = None
    firsts: dict[int, list[int]] = {}
    for i, (_, _, f) in enumerate(found):
        rows = f.rows
        if not rows:
            continue
        if f.rule_id != rule_id:  # a rule's findings come together: one lookup per run of them
            rule_id = f.rule_id
            firsts = by_first.setdefault(rule_id, {})
        at = firsts.get(rows[0])
        if at is None:
            firsts[rows[0]] = [i]
        else:
            at.append(i)
    return by_first


def _group(found: list[tuple[int, Rule, Finding]], ctx: LintContext) -> list[tuple[int, Rule, Finding]]:
    """Merge the findings of one rule that share a ``group`` key into one finding listing every layer."""
    buckets: dict[tuple[str, str], list[int]] = {}
    for i, (_, _, f) in enumerate(found):
        if f.group is not None:
            buckets.setdefault((f.rule_id, f.group), []).append(i)
    merged: dict[int, tuple[int, Rule, Finding]] = {}
    dropped: set[int] = set()
    for idx in buckets.values():
        if len(idx) < 2 and not found[idx[0]][2].group_always:
            continue
        order, rule, first = found[idx[0]]
        members = [found[i][2] for i in idx]
        n = len(members)
        rows = list(dict.fromkeys(r for f in members for r in f.rows))
        saving: dict[int, float] = {}
        for f in members:
            for r, ms in _saving(ctx, f).items():
                saving[r] = ms if r not in saving or math.isnan(saving[r]) else max(saving[r], ms)
        evidence: dict[str, Any] = {}
        if ctx.detail:
            evidence = {"group": first.group, "count": n, "members": _members(ctx, members, full=True)}
            absorbed = [a for f in members for a in f.evidence.get("absorbed", [])]
            if absorbed:
                evidence["absorbed"] = absorbed
        ranks = [SEVERITY_RANK[f.severity or rule.severity] for f in members]
        merged[idx[0]] = (
            order,
            rule,
            Finding(
                rule_id=first.rule_id,
                rows=rows,
                title=(first.group_title or first.title).replace("{n}", str(n)),
                cause=(first.group_cause or first.cause).replace("{n}", str(n)),
                evidence=evidence,
                confidence="proven" if all(f.confidence == "proven" for f in members) else "inferred",
                severity=SEVERITIES[max(ranks)],
                mitigation=first.group_mitigation or first.mitigation,
                # members without a cost (NaN: nothing to save) make a group without one, not a 0 ms cost
                cost_ms=math.nan if all(f.cost_ms is not None and math.isnan(f.cost_ms) for f in members)
                else None,
                saving=saving,
                cost_kind=first.cost_kind,
                cost_method=first.cost_method,
            ),
        )
        dropped.update(idx[1:])
    if not merged:
        return found
    return [merged.get(i, x) for i, x in enumerate(found) if i not in dropped]


def _saving(ctx: LintContext, f: Finding) -> dict[int, float]:
    """Row -> ms a fix could save (the finding's own estimate, else the rows' profiled time)."""
    if f.cost_ms is not None and math.isnan(f.cost_ms):
        return {}
    if f.saving is not None:
        return f.saving  # read only
    avg = ctx.avg_ms
    return {r: avg[r] for r in dict.fromkeys(f.rows)}


# The FINDINGS columns, in the order :func:`_row` gives their values.
_COLUMNS = ("finding_id", "rule_id", "severity", "title", "layer_indices", "layer_names", "evidence", "cause",
            "cost_ms", "cost_pct", "cost_kind", "cost_method", "cost_by_layer", "confidence", "mitigation",
            "reference")
if set(_COLUMNS) != set(schema.FINDINGS) or len(_COLUMNS) != len(schema.FINDINGS):
    raise AssertionError("lint._COLUMNS must name every FINDINGS column once")


def _row(
    ctx: LintContext, rule: Rule, f: Finding, order: int, seen: dict[str, int]
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """One finding's values of :data:`_COLUMNS`, and its sort key (severity, cost basis, cost desc, rule)."""
    rows = [f.rows[0]] if len(f.rows) == 1 else list(dict.fromkeys(f.rows))
    names = list(map(ctx.names.__getitem__, rows))
    saving = _saving(ctx, f)
    cost = math.fsum(saving.values()) if saving else math.nan  # NaN propagates from any untimed layer
    unknown = cost != cost
    total = ctx.total_ms
    pct = cost / total * 100.0 if total > 0 else math.nan
    kind = f.cost_kind or rule.cost_kind
    method = f.cost_method or rule.cost_method
    cause = f.cause
    if unknown:
        kind = "not estimated"
        # a finding about the whole run (no layers), or one whose cost is not a layer time, keeps its own method
        if not ctx.has_profile and rows and f.cost_method is None:
            method = "no per-layer profile: layer times unknown"
            cause = f"{cause} (cost unknown: no per-layer profile)"
    severity = f.severity or rule.severity
    rank = SEVERITY_RANK.get(severity)
    if rank is None:
        raise ValueError(f"rule {rule.id} produced severity {severity!r}")
    if (
        severity == "warning"
        and f.escalate
        and f.confidence == "proven"
        and kind == "estimated saving"
        and not math.isnan(pct)
        and pct >= ERROR_SAVING_SHARE * 100.0
    ):
        severity, rank = "error", SEVERITY_RANK["error"]
    indices = rows if ctx.index_is_row else list(map(ctx.layer_index.__getitem__, rows))
    by_layer: dict[int, float]
    if not saving:
        by_layer = {}
    elif not unknown:  # a cost that is a number: no NaN among what it sums (a NaN would make it NaN)
        by_layer = dict(saving) if ctx.index_is_row else {ctx.layer_index[r]: ms for r, ms in saving.items()}
    else:
        isnan = math.isnan
        by_layer = ({r: ms for r, ms in saving.items() if not isnan(ms)} if ctx.index_is_row else
                    {ctx.layer_index[r]: ms for r, ms in saving.items() if not isnan(ms)})
    values = (_finding_id(rule.id, names, seen), rule.id, severity, f.title, indices, names, f.evidence, cause,
              cost, pct, kind, method, by_layer, f.confidence, f.mitigation or rule.mitigation, rule.reference)
    return values, (-rank, COST_KIND_RANK.get(kind, len(COST_KIND_RANK)), 0.0 if unknown else -cost, order,
                    indices[0] if indices else -1)


def total_saving(findings: pd.DataFrame, min_severity: str = "info", kinds: Sequence[str] | None = None) -> float:
    """Sum of ``cost_by_layer`` over findings at or above ``min_severity`` (of ``kinds`` of cost, default
    "estimated saving"), each layer counted once (its largest charge); NaN when no finding has a cost.

    Each layer's charge starts at 0.0 and takes a larger one (``max``: a NaN never does); ``math.fsum`` of
    the charges does not depend on their order. The charges are gathered in one pass and the largest per
    layer taken column-wise (:func:`_largest_per_layer`)."""
    want = set(kinds or ("estimated saving",))
    layers: list[Any] = []
    charges: list[Any] = []
    for sev, kind, by_layer in zip(
        findings["severity"].tolist(), findings["cost_kind"].tolist(), findings["cost_by_layer"].tolist(),
        strict=True,
    ):
        if kind not in want or not severity_at_least(sev, min_severity) or not isinstance(by_layer, dict):
            continue
        layers.extend(by_layer)
        charges.extend(by_layer.values())
    if not layers:
        return math.nan
    return math.fsum(_largest_per_layer(layers, charges))


def _largest_per_layer(layers: list[Any], charges: list[Any]) -> list[float]:
    """Per distinct ``int(layer)``: ``max`` of 0.0 and its charges (as floats), in any order."""
    try:
        keys = np.array(layers, dtype=np.int64)
        values = np.array(charges, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # not plain numbers: one at a time
        per_layer: dict[int, float] = {}
        for li, ms in zip(layers, charges, strict=True):
            per_layer[int(li)] = max(per_layer.get(int(li), 0.0), float(ms))
        return list(per_layer.values())
    distinct, at = np.unique(keys, return_inverse=True)
    largest = np.zeros(len(distinct), dtype=np.float64)
    np.fmax.at(largest, at.reshape(-1), values)  # fmax: a NaN charge leaves the larger value
    out: list[float] = largest.tolist()
    return out


def flagged_time(findings: pd.DataFrame, bundle: EngineBundle, min_severity: str = "info") -> float:
    """Per-iteration time of the union of layers named by findings at or above ``min_severity``.

    Each layer counts once however many findings name it; NaN without a profile.
    """
    if not bundle.has_profile:
        return math.nan
    keep = [severity_at_least(s, min_severity) for s in findings["severity"].tolist()]
    layers = {
        int(i) for k, idx in zip(keep, findings["layer_indices"].tolist(), strict=True) if k for i in idx
    }
    times = bundle.layer_times()
    sel = times[times["layer_index"].isin(sorted(layers))]
    return float(sel["avg_ms"].sum(skipna=True))

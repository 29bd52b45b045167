"""The lint engine: run the declared rules over one engine bundle and return a FINDINGS frame.

``lint(bundle)`` is pure (no printing, no file access beyond what the bundle already holds). Every finding
carries its rule, severity, layers, evidence, likely cause, cost in ms per iteration (NaN = cost unknown,
no profile), cost as % of end-to-end GPU compute (else of the per-layer total), confidence
(proven / inferred), mitigation and reference. Several findings on one layer are all kept. Rows are sorted
by cost, highest first; findings of unknown cost come last.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.gcpause import gc_paused
from trtinspect.inspector.rules import RULES, RULES_BY_ID, SEVERITIES, SEVERITY_RANK, Rule, rules_frame
from trtinspect.inspector.rules_base import Finding, LintContext
from trtinspect.parsers import schema

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

__all__ = [
    "RULES",
    "SEVERITIES",
    "LintResult",
    "flagged_time",
    "lint",
    "rules_frame",
    "select_rules",
    "severity_at_least",
]

log = logging.getLogger(__name__)


class LintResult(NamedTuple):
    """What ``lint`` renders: the findings and the bundle they are about (its name, sources, layer times)."""

    findings: pd.DataFrame
    bundle: EngineBundle


def select_rules(spec: Sequence[str] | str | None) -> list[Rule]:
    """Rules chosen by ``spec``: ``None`` = all; ids = only those; ids prefixed ``-`` = all but those.

    ``spec`` may be a sequence of ids or one comma-separated string (``"reformat-copy,hot-layer"``,
    ``"-hot-layer,-unstable-timing"``). Unknown ids raise :class:`TrtInspectError` listing the valid ones.
    """
    if spec is None:
        return list(RULES)
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) for s in s.split(",")]
    items = [s for s in items if s]
    if not items:
        return list(RULES)
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


def lint(bundle: EngineBundle, rules: Sequence[str] | None = None) -> pd.DataFrame:
    """Findings of the selected rules (all by default) on ``bundle``, as a FINDINGS frame sorted by cost.

    The frame's ``attrs`` hold ``cost_basis`` (what ``cost_pct`` divides by), ``cost_basis_ms``,
    ``has_profile``, ``edges`` ("tensor" or "execution order") and ``rules`` (ids run). Computed once per
    bundle and rule set (``report`` and ``diff`` reuse what ``lint`` found); do not modify the frame in place.
    """
    chosen = select_rules(rules)
    key = "lint:" + ",".join(r.id for r in chosen)
    return bundle.derived(key, lambda b: _run(b, chosen))


def _run(bundle: EngineBundle, chosen: Sequence[Rule]) -> pd.DataFrame:
    with gc_paused():  # many small acyclic objects on large engines: see trtinspect.gcpause
        ctx = LintContext(bundle)
        cols: dict[str, list[Any]] = {c: [] for c in schema.FINDINGS}
        keys: list[tuple[Any, ...]] = []
        seen: dict[str, int] = {}
        for order, rule in enumerate(chosen):
            for f in rule.check(ctx):
                _append(cols, keys, ctx, rule, f, order, seen)
        perm = sorted(range(len(keys)), key=keys.__getitem__)
        frame = schema.frame_from_columns({c: [v[i] for i in perm] for c, v in cols.items()}, schema.FINDINGS)
    frame.attrs.update(
        {
            "cost_basis": ctx.cost_basis,
            "cost_basis_ms": ctx.total_ms,
            "has_profile": ctx.has_profile,
            "edges": "tensor" if ctx.has_edges else "execution order",
            "rules": [r.id for r in chosen],
            "bundle": bundle.name,
        }
    )
    return frame


def _append(
    cols: dict[str, list[Any]],
    keys: list[tuple[Any, ...]],
    ctx: LintContext,
    rule: Rule,
    f: Finding,
    order: int,
    seen: dict[str, int],
) -> None:
    """Add one finding to the column lists, and its sort key (cost desc, unknown last, severity, rule)."""
    rows = list(dict.fromkeys(f.rows))
    names = [ctx.names[r] for r in rows]
    cost = f.cost_ms if f.cost_ms is not None else (ctx.time_of(rows) if rows else math.nan)
    cost = math.nan if cost is None else float(cost)
    total = ctx.total_ms
    pct = cost / total * 100.0 if total > 0 else math.nan  # NaN propagates from cost and total
    severity = f.severity or rule.severity
    if severity not in SEVERITY_RANK:
        raise ValueError(f"rule {rule.id} produced severity {severity!r}")
    cause = f.cause
    if math.isnan(cost) and not ctx.has_profile:
        cause = f"{cause} (cost unknown: no per-layer profile)"
    indices = [ctx.layer_index[r] for r in rows]
    cols["finding_id"].append(_finding_id(rule.id, names, seen))
    cols["rule_id"].append(rule.id)
    cols["severity"].append(severity)
    cols["title"].append(f.title)
    cols["layer_indices"].append(indices)
    cols["layer_names"].append(names)
    cols["evidence"].append(f.evidence)
    cols["cause"].append(cause)
    cols["cost_ms"].append(cost)
    cols["cost_pct"].append(pct)
    cols["confidence"].append(f.confidence)
    cols["mitigation"].append(f.mitigation or rule.mitigation)
    cols["reference"].append(rule.reference)
    unknown = math.isnan(cost)
    keys.append(
        (unknown, 0.0 if unknown else -cost, -SEVERITY_RANK[severity], order, indices[0] if indices else -1)
    )


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

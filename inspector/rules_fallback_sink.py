"""The members the ``int8-fallback`` findings absorb, built directly by the rules they supersede.

An int8-fallback finding (a float layer between INT8 layers) is a root cause: the lint engine (lint._absorb) keeps
the ``reformat-copy``, ``qdq-standalone`` and ``int8-float-output`` findings on its rows only as references in its
``evidence["absorbed"]`` (thousands on large engines). Its rows are known before those rules run
(:func:`rules_facts.fallbacks`), so, as for the residual-not-quantized root (:class:`rules_facts.Sink`), the rules
make each such reference directly into the root's :class:`~trtinspect.inspector.rules_facts.Sink` instead of a
finding for the engine to look up, absorb and convert. The engine would give a finding to the first root in rule
order that covers it; here that root is known up front only when the rules run in their default order, the
references are kept as references (``ctx.full_members`` False), and no root before the int8-fallback ones (the
``input-path`` root, a Dequantize at a network output with its reformat) can cover a row of the fallback's: a
fallback where one could takes nothing here, and the engine absorbs into it as before.
tests/test_lint_sink.py compares the lint JSON with the engine's absorb step on every real bundle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import compress
from operator import itemgetter
from typing import Any

from trtinspect.inspector import rules_facts as facts
from trtinspect.inspector.rules_base import Finding, LintContext, distinct_layers

FALLBACK_ID = "int8-fallback"
FALLBACK_SUPERSEDES = ("reformat-copy", "qdq-standalone", "int8-float-output")
INPUT_ID = "input-path"
RESIDUAL_ID = "residual-not-quantized"
ENABLED = True  # tests turn it off to compare with the engine's absorb step


class _Root:
    """One int8-fallback root as the engine will find it: its rows, the members the rules sank into it as
    (position of the superseded rule, position of the member's first row among the root's rows, member), and
    the finding int8-fallback makes of it (None until then)."""

    __slots__ = ("finding", "members", "rows", "set")

    def __init__(self, rows: list[int]) -> None:
        self.rows, self.set = rows, set(rows)
        self.members: list[tuple[int, int, dict[str, Any]]] = []
        self.finding: Finding | None = None


class FallbackSinks:
    """The int8-fallback roots as the engine will find them (those the residual-not-quantized root does not
    take), in its order, which ones may take members here (no earlier root competes for their rows:
    :func:`_earlier_roots`), and which roots hold each row."""

    def __init__(self, ctx: LintContext, roots: list[tuple[int, list[int]]], blocked: set[int]) -> None:
        self.names, self.avg = ctx.names, ctx.avg_ms
        self.roots: list[_Root | None] = []  # None: a root another one before it may compete with
        self.by_fallback: dict[int, _Root] = {}  # fallback row -> its root
        self.by_row: dict[int, list[int]] = {}  # row -> the roots (positions in ``roots``) holding it, in order
        self.sets: list[set[int]] = []
        by_row = self.by_row
        for at, (r, rows) in enumerate(roots):
            root = _Root(rows)
            self.sets.append(root.set)
            if root.set.isdisjoint(blocked):
                self.roots.append(root)
                self.by_fallback[r] = root
            else:
                self.roots.append(None)
            for x in root.set:
                held = by_row.get(x)
                if held is None:
                    by_row[x] = [at]
                else:
                    held.append(at)
        self.asked: set[str] = set()

    def claim(self, r: int, finding: Finding) -> None:
        """int8-fallback made the root of fallback ``r``: its members go to that finding (:func:`attach`)."""
        root = self.by_fallback.get(r)
        if root is not None:
            root.finding = finding

    def owner(self, rows: Sequence[int]) -> _Root | None:
        """The root that absorbs a finding on ``rows`` (the first holding all of them), None when no root does
        or that root takes no members here (the engine absorbs the finding)."""
        held = self.by_row.get(rows[0])
        if held is None:
            return None
        if len(rows) == 1:
            return self.roots[held[0]]
        for at in held:
            if self.sets[at].issuperset(rows):
                return self.roots[at]
        return None

    def refer(self, rule_id: str, rows: list[int], title: str, saving: dict[int, float] | None = None,
              cost_ms: float | None = None) -> bool:
        """Keep the finding of ``rule_id`` on ``rows`` as a reference member of the root absorbing it, as
        lint._members makes it (rules_facts.Sink.referencer); False when no root takes it here (the rule makes
        the finding)."""
        root = self.owner(rows)
        if root is None:
            return False
        names = self.names
        rows, layers = distinct_layers(rows, names)
        if cost_ms is not None and math.isnan(cost_ms):
            cost = math.nan
        elif saving is not None:
            cost = math.fsum(saving.values()) if saving else math.nan
        else:
            avg = self.avg
            cost = math.fsum([avg[r] for r in rows])
        root.members.append((FALLBACK_SUPERSEDES.index(rule_id), root.rows.index(rows[0]), {
            "rule_id": rule_id, "layers": layers, "title": title, "cost_ms": None if math.isnan(cost) else cost}))
        return True


def fallback_sinks(ctx: LintContext, rule_id: str) -> FallbackSinks | None:
    """For a rule int8-fallback supersedes (``rule_id``): the int8-fallback roots' Sinks to sink its members
    into (:meth:`FallbackSinks.refer`), when :func:`_allowed`; else None."""
    got = roots(ctx) if rule_id in FALLBACK_SUPERSEDES else None
    if got is not None:
        got.asked.add(rule_id)
    return got


def roots(ctx: LintContext) -> FallbackSinks | None:
    """The :class:`FallbackSinks` of this context (once), when :func:`_allowed`; else None."""
    return facts.shared(ctx, "fallback_sinks", _fallback_sinks) if _allowed(ctx) else None


def _allowed(ctx: LintContext) -> bool:
    """With detail, findings kept as references, the rules run by the lint engine in their default order
    (``ctx.in_rule_order``) and int8-fallback among them: then the engine's absorb step gives each finding a
    fallback root covers to the first such root, unless a root before them covers it (:func:`_earlier_roots`)."""
    chosen = ctx.rules_chosen
    return (ENABLED and ctx.detail and not ctx.full_members and ctx.rules_run is not None and ctx.in_rule_order
            and chosen is not None and FALLBACK_ID in chosen)


def _fallback_sinks(ctx: LintContext) -> FallbackSinks | None:
    """:func:`fallback_sinks`: the roots int8-fallback will make (rules_precision.check_int8_fallback: a
    fallback's rows, unless the residual-not-quantized root takes that finding), in its order."""
    if not facts.int8_allowed(ctx)[0]:
        return None
    residual = facts.shared(ctx, "sinks", facts._new_sinks).get(FALLBACK_ID)
    roots = []
    for r, (_, _, float_writers, conversions) in facts.fallbacks(ctx).items():
        rows = [r, *conversions, *float_writers]
        if residual is None or not residual.covers(rows):
            roots.append((r, rows))
    if not roots:
        return None
    return FallbackSinks(ctx, roots, _earlier_roots(ctx))


def _earlier_roots(ctx: LintContext) -> set[int]:
    """The rows of the roots that come before the int8-fallback ones in rule order and absorb findings of the
    rules they supersede: the input-path root's, the residual-not-quantized root's when it has no Sink (then it
    may absorb int8-fallback findings too), and (any qdq-standalone finding may be one) every Dequantize
    at a network output with the reformat serving it (rules_causes.output_dequantize), found as the rules find
    them (a superset: any Q/DQ layer the test holds for)."""
    from trtinspect.inspector.rules_causes import output_dequantize  # rules_causes imports this module's users

    blocked = set(facts.final_root_rows(ctx, INPUT_ID))
    if FALLBACK_ID not in facts.shared(ctx, "sinks", facts._new_sinks):  # a residual root taking findings itself
        blocked.update(facts.final_root_rows(ctx, RESIDUAL_ID))
    qdq, noop, consumers, edges = ctx._qdq, ctx._noop, ctx.consumers, ctx.has_edges
    for x in compress(range(ctx.n), qdq):
        if not noop[x] and not (edges and consumers[x]):
            tied = output_dequantize(ctx, x)
            if tied is not None:
                blocked.update(tied)
                blocked.add(x)
    return blocked


def attach(ctx: LintContext) -> list[Finding]:
    """Give each int8-fallback root the members the rules sank into it, in lint._absorb's order (by the rules it
    supersedes, then by the root row each starts on, then as made); the engine calls it before lint._absorb.
    Returns the roots that absorb no finding the rules made (every rule they supersede that ran asked for the
    roots, so sank each finding they own)."""
    got: FallbackSinks | None = ctx.rule_cache.get("fallback_sinks")
    if got is None:
        return []
    done = set(ctx.rules_run or ()).intersection(FALLBACK_SUPERSEDES) <= got.asked
    out = []
    for root in got.by_fallback.values():
        finding = root.finding
        if finding is None:  # int8-fallback never made it: not in the default rule order
            raise AssertionError("an int8-fallback root kept members but was never made")
        if root.members:
            root.members.sort(key=itemgetter(0, 1))  # stable: as made within a rule and row
            finding.evidence.setdefault("absorbed", []).extend([m for _, _, m in root.members])
        if done:
            out.append(finding)
    return out

"""The part of a per-layer total that no grouped row shows: a ``--dumpProfile`` table excerpt.

A log that quotes only some rows of trtexec's ``--dumpProfile`` table still prints its ``Total`` row;
the bundle's per-layer total (:attr:`~trtinspect.parsers.model.EngineBundle.layer_total`, the figure
``report`` and ``lint`` use) is then that row, not the sum of the quoted rows. ``diff`` uses the same
figure and shows the unlisted remainder as its own line, so the group deltas plus the remainder's delta
add up to the difference of the totals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from trtinspect.parsers.model import EngineBundle

NOT_LISTED = "not listed in the excerpt"


def not_listed_ms(bundle: EngineBundle) -> float:
    """ms per iteration of ``bundle``'s per-layer total that no row of its ``--dumpProfile`` table lists (an
    excerpt: the ``Total`` row holds clearly more), else 0: :attr:`LayerTotal.missing_ms`, the remainder
    ``report`` shows too (computed once, on the bundle)."""
    total = bundle.layer_total
    if bundle.profile.empty or not total.missing_ms or math.isnan(total.ms):
        return 0.0
    return total.missing_ms


def side_total_ms(bundle: EngineBundle, rows_ms: float) -> float:
    """The per-layer total a side's deltas reconcile with: :attr:`EngineBundle.layer_total` (a
    ``--dumpProfile`` table's ``Total`` row, else the summed averages: the figure report and lint show), NaN
    when no layer is timed (``rows_ms``, the joined rows' sum, is NaN)."""
    return math.nan if math.isnan(rows_ms) else bundle.layer_total.ms


def excerpt_notes(a: EngineBundle, b: EngineBundle, a_rest: float, b_rest: float) -> list[str]:
    """One note per side whose profile rows are an excerpt: its Total row, its rows, the unlisted rest."""
    out = []
    for side, bundle, rest in (("A", a, a_rest), ("B", b, b_rest)):
        if rest:
            total = bundle.layer_total
            out.append(f"{side}: the --dumpProfile table is an excerpt: its Total row gives {total.ms:.4f} ms per "
                       f"iteration, its rows {total.ms - rest:.4f} ms; the per-layer total here is the Total row "
                       f"({total.basis}), and the {rest:.4f} ms no row lists is its own term, {NOT_LISTED} "
                       "(in no group)")
    return out


def excerpt_tail(totals: Mapping[str, float]) -> str:
    """For the headline: which sides' totals are Total rows of a table whose rows are only an excerpt."""
    sides = [s.upper() for s in ("a", "b") if totals.get(f"{s}_not_listed_ms")]
    if not sides:
        return ""
    who = " and ".join(sides)
    return (f"; {who}: the --dumpProfile Total row{'s' if len(sides) == 2 else ''}, the rows listed are an "
            "excerpt")


# Group kinds whose A and B layers are not the same layers: at an excerpt's edge the rest may be cut off.
_UNMATCHED_KINDS = frozenset({"repartitioned", "fused", "split", "bucket"})


def excerpt_edges(groups: pd.DataFrame, sides: Mapping[str, tuple[EngineBundle, pd.DataFrame]]) -> list[bool]:
    """Per group: does it hold the first or last listed row of a side whose ``--dumpProfile`` table is an
    excerpt, and pair layers that differ (``_UNMATCHED_KINDS``)? Such a group's partner rows may be cut off
    (A's first row ``add_29 + relu_97`` whose convolution the excerpt left out, paired with B's ``Conv_101 +
    Add_103 + Relu_104``), so its delta compares different work: it is not ranked as a regression or an
    improvement. ``sides`` maps "a" / "b" to the bundle and its ``layer_times()``."""
    edge = [False] * len(groups)
    kinds = groups["kind"].tolist()
    for side, (bundle, lt) in sides.items():
        if not not_listed_ms(bundle) or lt.empty:
            continue
        timed = lt.loc[lt["avg_ms"].notna(), "layer_index"]
        if timed.empty:
            continue
        ends = {int(timed.min()), int(timed.max())}
        for i, (kind, layers) in enumerate(zip(kinds, groups[f"{side}_layers"].tolist(), strict=True)):
            if kind in _UNMATCHED_KINDS and layers and ends & {int(x) for x in layers}:
                edge[i] = True
    return edge


def edge_note(groups: pd.DataFrame) -> str | None:
    """The note naming the groups :func:`excerpt_edges` keeps out of the regression/improvement ranking."""
    hit = groups[groups["excerpt_edge"]]
    if hit.empty:
        return None
    names = ", ".join(f"{gid} ({label})" for gid, label in zip(hit["group_id"].tolist(), hit["label"].tolist(),
                                                              strict=True))
    many = len(hit) != 1
    return (f"group{'s' if many else ''} {names} at the edge of a --dumpProfile excerpt pair{'' if many else 's'} "
            "layers that differ, their partner rows possibly cut off: not ranked as a regression or improvement")

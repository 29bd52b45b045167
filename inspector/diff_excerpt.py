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

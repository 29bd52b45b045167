"""`check`'s guard against names that disagree: a fusion group it cannot time because a run's layer and profile
names do not match makes the two sides not comparable (exit 3), never a PASS (see docs/check.md, 6. Group names)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from trtinspect.errors import NotComparableError

if TYPE_CHECKING:
    import pandas as pd

    from trtinspect.parsers.model import EngineBundle

__all__ = ["unmatched_names_or_raise"]


def unmatched_names_or_raise(groups: pd.DataFrame, bundles: Sequence[EngineBundle]) -> None:
    """NotComparableError when a group with layers goes unjudged because names do not match: its time is on one
    side only although its layers exist on both, or it has no time while a run's profile holds rows that name
    no layer (profile and layer names disagree: an edited or differently escaped file). Skipping such a group
    could PASS its regression."""
    unmeasured = groups[groups["status"] == "unmeasured"]
    if unmeasured.empty:
        return
    one_sided = unmeasured["base_ms"].isna() != unmeasured["cand_ms"].isna()
    orphans = [b.name for b in bundles if b.unmatched_profile]
    blocked = unmeasured if orphans else unmeasured[one_sided]
    if blocked.empty:
        return
    labels = ", ".join(f"'{x}'" for x in blocked["label"].head(3))
    more = f" and {len(blocked) - 3} more" if len(blocked) > 3 else ""
    why = (f"the profile of {orphans[0]} has rows naming no layer" if orphans
           else "one side's per-layer profile names none of their layers")
    raise NotComparableError(
        f"{len(blocked)} fusion group(s) have no profiled time on one or both sides ({labels}{more}) and {why}: "
        "layer and profile names disagree, so these groups cannot be judged",
        fields=["profile"],
        hint="give each side a profile and layer information from the same trtexec run (--exportProfile with "
             "--exportLayerInfo); `trtinspect report` lists the unmatched names",
    )

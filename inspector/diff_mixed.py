"""An event that sums groups changing in opposite directions names the ones its net hides (pure).

``diff`` aggregates groups with the same event into one sentence with one net delta. When a member moved the
other way by more than that net (and by at least the size a group needs to matter), the net alone hides it:
before the events were keyed by what an INT8 layer writes, `diff fp16 qat` said "12 convolutions moved from FP16
to INT8 (-0.063 ms)" while one of the 12, conv1, was +0.090 ms (+80.7%, the top "Worst regressions" row). Such an
event's sentence then names those members: "12 convolutions moved from FP16 to INT8 (-0.063 ms net: +0.090 ms
in Conv_0 + Relu_1, -0.153 ms in the other 11)".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from trtinspect.textfmt import signed

__all__ = ["FLOOR_MS", "FLOOR_SHARE", "MAX_NAMED", "name_hidden_members"]

# The size a group's change needs to matter: check's default floor (`check.Thresholds` floor_ms, floor_share:
# 0.5% of the engine's per-layer time, at most 0.01 ms; a test keeps them equal).
FLOOR_MS = 0.01
FLOOR_SHARE = 0.005
MAX_NAMED = 2


def _ms(x: float) -> str:
    return signed(x, 3, " ms")


def name_hidden_members(events: Sequence[dict[str, Any]], groups: pd.DataFrame) -> None:
    """In place: the sentence of each event of several groups where members moved against its net delta by more
    than the net and by at least the floor (of A's per-layer total) says the net and those members (at most
    :data:`MAX_NAMED`, largest first, by group label) and the rest."""
    if groups.empty or "a_ms" not in groups or "delta_ms" not in groups:
        return
    total = math.fsum(x for x in groups["a_ms"].tolist() if isinstance(x, float) and not math.isnan(x))
    floor = min(FLOOR_MS, FLOOR_SHARE * total) if total > 0 else FLOOR_MS
    delta = dict(zip(groups["group_id"].tolist(), groups["delta_ms"].tolist(), strict=True))
    for e in events:
        net, ids = e["delta_ms"], e.get("group_ids") or []
        if e["event"] == "reformat_moved" or len(ids) < 2 or math.isnan(net):
            continue
        against = sorted(((delta[g], str(label)) for g, label in zip(ids, e["labels"], strict=True)
                          if delta[g] * net < 0 and abs(delta[g]) >= floor and abs(delta[g]) > abs(net)),
                         key=lambda x: -abs(x[0]))[:MAX_NAMED]
        tail = f" ({_ms(net)})"
        if not against or not e["text"].endswith(tail):
            continue
        named = ", ".join(f"{_ms(d)} in {label}" for d, label in against)
        rest = len(ids) - len(against)
        rest_ms = net - math.fsum(d for d, _ in against)
        e["text"] = e["text"][:-len(tail)] + (f" ({_ms(net)} net: {named}, {_ms(rest_ms)} in the other {rest})")

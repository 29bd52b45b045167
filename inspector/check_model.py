"""Are baseline and candidate of ``check`` one network? The rule ``diff`` uses (pure).

:func:`same_network_or_raise` asks :func:`~trtinspect.inspector.model_match.model_match` (structural similarity of
the compute layers), the rule ``diff`` refuses different networks by; :func:`check_same_model` guards the fusion
groups the gate is about to judge (no layer on both sides, or too little of the time paired). Both raise
:class:`~trtinspect.errors.NotComparableError` (exit 3, field ``model``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from trtinspect.errors import NotComparableError
from trtinspect.inspector.check_inputs import BASE, CAND

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

__all__ = ["MIN_MATCHED_SHARE", "NETWORK_HINT", "check_same_model", "network_mismatch", "same_network_or_raise"]

# Below this share of a side's per-layer time in groups present on both sides, the two engines are taken to
# be different models (legitimate fusion/precision changes of one ResNet-18 keep >= 79% matched).
MIN_MATCHED_SHARE = 0.5



NETWORK_HINT = "check compares two builds of one network; check that both sides profile the same network"


def network_mismatch(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]) -> str | None:
    """Why baseline and candidate look like different networks, by the rule ``diff`` uses
    (:func:`~trtinspect.inspector.model_match.model_match`: structural similarity of the compute layers); None
    when they look like one network, or a side has no layer information (then judged by its grouping,
    :func:`check_same_model`)."""
    b, c = baseline[0], candidate[0]
    if b.layers.empty or c.layers.empty:
        return None
    from trtinspect.inspector.model_match import model_match

    match = model_match(b, c)
    if match.same_model:
        return None
    return f"baseline '{b.name}' and candidate '{c.name}' look like different networks: {match.reason()}"


def same_network_or_raise(baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]) -> None:
    """NotComparableError (exit 3, field ``model``) when :func:`network_mismatch` gives a reason."""
    why = network_mismatch(baseline, candidate)
    if why is not None:
        raise NotComparableError(why, fields=["model"], hint=NETWORK_HINT)


def check_same_model(meta: pd.DataFrame, runs: pd.DataFrame, base_name: str, cand_name: str) -> None:
    """NotComparableError (exit 3) when the fusion groups pair almost none of the time: no layer found on both
    sides, or under ``MIN_MATCHED_SHARE`` of a side's per-layer time in groups found on both sides (a few
    coincident auto-numbered names such as ``Conv_0``). The alignment mode is not a criterion: layers paired by
    execution order (no shared ONNX source node name) are still one network when :func:`same_network_or_raise`
    says so, as in ``diff``."""
    if meta.empty:
        return
    both = (meta["layers_a"].map(len) > 0) & (meta["layers_b"].map(len) > 0)
    why = None
    if not both.any():
        why = "share no layers"
    else:
        shared = set(meta.loc[both, "group_id"].astype(int))
        first = runs[runs["run"] == 0]
        for side in (BASE, CAND):
            rows = first[first["side"] == side]
            total = float(rows["ms"].sum())
            matched = float(rows.loc[rows["group_id"].isin(shared), "ms"].sum())
            if total > 0 and matched / total < MIN_MATCHED_SHARE:
                why = (f"have only {matched / total:.0%} of the {side}'s per-layer time in layers found on "
                       "both sides")
                break
    if why is not None:
        raise NotComparableError(
            f"baseline '{base_name}' and candidate '{cand_name}' {why}: they look like different models",
            fields=["model"],
            hint="check that both sides profile the same network",
        )

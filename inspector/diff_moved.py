"""Fusion groups fused ops moved between, as diff shows them: one ``repartitioned`` group (pure).

When two exports number ONNX nodes differently, TensorRT may fuse a residual ``Add`` + ``Relu`` into another
convolution of the same block (qat-residual runs ``layer2.0.conv2 + Add_115 + Relu_116`` and a plain
``layer2.0.downsample.0``, qat a plain ``layer2.0.conv2`` and ``layer2.0.downsample.0 + Add_97 + Relu_98``). Paired
layer by layer, neither pair did the same work on both sides: the downsample's "+33.3%" and conv2's "-3.6%" say
nothing about either convolution. ``check`` judges such neighbours as one group
(:func:`~trtinspect.inspector.check_moved.moved_op_components`, its one rule); :func:`merge_moved` makes ``diff``
do the same: the groups of a component become one group (the first one's id, kind ``repartitioned``, its row
recomputed from all its layers by :func:`~trtinspect.inspector.align_groups.group_values`, named as ``check``
names it), and each merged group keeps its layer-by-layer parts (:class:`MovedGroup`) for the per-layer detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trtinspect.inspector.align_groups import group_values
from trtinspect.inspector.check_moved import moved_op_components, why_moved
from trtinspect.parsers import schema

if TYPE_CHECKING:
    from trtinspect.inspector.align import Alignment
    from trtinspect.inspector.align_side import _Side

__all__ = ["MOVED_FACT", "MovedGroup", "merge_moved", "moved_facts", "moved_line", "moved_parts"]

# Group fact (diff_events reads it, diff drops it): the op kinds that moved inside a merged group ("Add and Relu").
MOVED_FACT = "moved_fused_ops"


@dataclass(frozen=True)
class MovedGroup:
    """One merged group: its id, the op kinds that moved (``Add and Relu``), why it is one group (``check``'s
    sentence, with A and B for baseline and candidate) and the group ids of its parts as aligned layer by layer
    (rows of the alignment before the merge, kept in ``parts``)."""

    group_id: int
    ops: str
    reason: str
    part_ids: tuple[int, ...]


def merge_moved(alignment: Alignment, sides: tuple[_Side, _Side],
                layers: Mapping[str, pd.DataFrame]) -> tuple[Alignment, list[MovedGroup]]:
    """``alignment`` with the groups fused ops moved between merged (``check_moved``'s rule), and the merged
    groups. ``sides``: the alignment's read sides (``align.read_sides``); ``layers``: each side's LAYERS frame."""
    groups = alignment.groups
    comps, moves = moved_op_components(groups, layers)
    if not comps:
        return alignment, []
    a, b = sides
    members = alignment.members
    method = {side: dict(zip(m["layer_index"].tolist(), m["method"].tolist(), strict=True))
              for side, m in members.groupby("side", sort=False)}
    pos = {side.tag: {li: n for n, li in enumerate(side.index)} for side in sides}
    stable = dict(alignment.stable_labels)
    gids = [int(g) for g in groups["group_id"].tolist()]
    labels = [stable.get(g) or str(lab) for g, lab in zip(gids, groups["label"].tolist(), strict=True)]
    cols = {c: groups[c].tolist() for c in groups.columns}
    drop: set[int] = set()
    merged: list[MovedGroup] = []
    remap: dict[int, int] = {}
    meth_a = [method[a.tag].get(li, "") for li in a.index]     # each layer's alignment step (core layers' read)
    meth_b = [method[b.tag].get(li, "") for li in b.index]
    for comp in comps:
        first = gids[comp[0]]
        la = sorted(pos[a.tag][li] for r in comp for li in cols["a_layers"][r])
        lb = sorted(pos[b.tag][li] for r in comp for li in cols["b_layers"][r])
        values, _ = group_values(a, b, first, la, lb, meth_a, meth_b)
        name = " + ".join(sorted(labels[r] for r in comp))      # as check names it
        values["label"] = name
        for c, v in values.items():
            cols[c][comp[0]] = v
        stable[first] = name
        for r in comp[1:]:
            stable.pop(gids[r], None)
            remap[gids[r]] = first
        drop.update(comp[1:])
        ops = " and ".join(sorted({op for r in comp for op in moves[r][0] | moves[r][1]}))
        merged.append(MovedGroup(first, ops, why_moved(comp, labels, moves, ("A", "B")),
                                 tuple(gids[r] for r in comp)))
    keep = [r for r in range(len(groups)) if r not in drop]
    new_groups = schema.frame_from_columns({c: [v[r] for r in keep] for c, v in cols.items()}, schema.DIFF_GROUPS)
    old = members["group_id"].to_numpy(dtype=np.int64)
    new_ids = np.fromiter((remap.get(int(g), int(g)) for g in old.tolist()), dtype=np.int64, count=len(old))
    new_members = members.assign(group_id=pd.Series(new_ids, index=members.index, dtype=members["group_id"].dtype))
    return replace(alignment, groups=new_groups, members=new_members, stable_labels=stable), merged


def moved_facts(groups: pd.DataFrame, merged: list[MovedGroup]) -> list[Any]:
    """Per group the :data:`MOVED_FACT` (the op kinds that moved inside it), None for groups not merged."""
    ops = {m.group_id: m.ops for m in merged}
    return [ops.get(int(g)) for g in groups["group_id"].tolist()]


def moved_parts(aligned: pd.DataFrame, times: pd.DataFrame,
                merged: list[MovedGroup]) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """The per-layer detail of the merged groups: per merged group ``group_id``, ``label``, ``ops``, ``reason`` and
    ``rows`` (its parts' row positions in the frame), and one frame of all parts, the groups as aligned layer by
    layer (``aligned``: the alignment's DIFF_GROUPS frame before the merge, ``times``: its GROUP_TIMES), each with
    its own times and deltas (which add up to the merged group's)."""
    owner = {gid: m.group_id for m in merged for gid in m.part_ids}
    gids = aligned["group_id"].tolist()
    rows = [k for k, g in enumerate(gids) if int(g) in owner]      # the parts only: one pass over the groups
    frame = aligned.iloc[rows].merge(times.drop(columns=["kind", "label"]), on="group_id", how="left")
    frame["findings"] = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype="object")
    at: dict[int, list[int]] = {}
    for k, g in enumerate(frame["group_id"].tolist()):
        at.setdefault(owner[int(g)], []).append(k)
    labels = [str(x) for x in frame["label"].tolist()]
    out = [{"group_id": m.group_id, "label": " + ".join(sorted(labels[k] for k in at[m.group_id])), "ops": m.ops,
            "reason": m.reason, "rows": at[m.group_id]} for m in merged]
    return out, frame


def moved_line(merged: list[MovedGroup]) -> list[str]:
    """The summary's "Also:" item for the merged groups (none without any): which ops moved, and that each such
    pair of neighbours is compared as one group, as ``check`` judges them."""
    if not merged:
        return []
    by_ops: dict[str, int] = {}
    for m in merged:
        by_ops[m.ops] = by_ops.get(m.ops, 0) + 1
    said = ", ".join(f"the fused {ops} moved between neighbouring layers in {n} place{'s' if n != 1 else ''}"
                     for ops, n in by_ops.items())
    return [f"{said}: each place is compared as one re-partitioned group (its layer-by-layer pairs did not do the "
            "same work on both sides)"]

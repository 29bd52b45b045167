"""Fusion groups that one change split across several groups: judged as one group by ``check`` (pure).

Two changes move work between groups without any group doing different work on both sides:

* **a float island and its Q/DQ pair.** The A100 ``qat-residual`` engine dequantizes ``layer4.1.conv2``'s output
  (``DequantizeLinear_291``, 0.0133 ms), runs the global average pooling in FP32 (0.0092 ms) and quantizes its
  result (``QuantizeLinear_298``, 0.0072 ms); ``qat-residual-qgap`` runs one INT8 pooling (0.0154 ms). Judged group
  by group the pooling was "traded +66.7%" next to two removed layers; the chain went 0.0297 -> 0.0154 ms (-48%).
  The rule: a group on both sides whose compute precision changed and whose layer, on one side, reads a
  standalone dequantize layer that side alone has and feeds a standalone quantize layer that side alone has, is
  one group with those two (diff says it under "Q/DQ placement").
* **reformat copies that moved** (``diff_events.moved_reformats``, the rule ``diff`` tells as one event). The seed
  fx -> implicit INT8 logs: the reformat copies A ran in front of its three ``(Unnamed Layer* 741) [Quantize]
  _output_.dequant`` layers run in B in front of ``Conv_131``/``Conv_134``/``Conv_137``, which looked 95% slower
  (0.0173 -> 0.0341 ms) while the convolutions themselves got faster (0.0165 ms). All the groups of the move are
  one group (matched by count, as in diff: a profile table has no tensor edges to tell which copy went where).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from trtinspect.inspector.check_moved import components, merge_rows
from trtinspect.inspector.diff_events import moved_reformat_rows

__all__ = ["CHAINS", "CHAIN_KIND", "COPY_KIND", "chain_notes", "merge_by_ids", "moved_copy_rows",
           "qdq_island_rows"]

CHAIN_KIND = "qdq_chain"
CHAINS = "merged_chains"     # the meta frame's attrs key: group id -> (reason prefix, kind)
COPY_KIND = "reformat_moved"
_SIDE_NAMES = {"a": ("baseline", "candidate"), "b": ("candidate", "baseline")}


def _qdq_only(groups: pd.DataFrame, side: str) -> dict[int, str]:
    """Row -> op of the only-``side`` groups whose ONNX ops are just one of QuantizeLinear / DequantizeLinear."""
    out: dict[int, str] = {}
    for r, (kind, ops) in enumerate(zip(groups["kind"].tolist(), groups[f"{side}_ops"].tolist(), strict=True)):
        if kind == f"only_{side}" and isinstance(ops, str) and ops in ("QuantizeLinear", "DequantizeLinear"):
            out[r] = str(ops)
    return out


def _island_links(groups: pd.DataFrame, side: str, frame: pd.DataFrame, members: set[int]) -> list[tuple[int, int]]:
    """Pairs of ``members`` rows with a producer/consumer edge between their layers on ``side``."""
    own = groups[f"{side}_layers"].tolist()
    owner = {int(li): r for r in members for li in own[r]}
    at = {int(li): k for k, li in enumerate(frame["layer_index"].tolist())}
    consumers = frame["consumers"].tolist()
    links = []
    for li, r in owner.items():
        k = at.get(li)
        for x in (consumers[k] or []) if k is not None else []:
            other = owner.get(int(x))
            if other is not None and other != r:
                links.append((r, other))
    return links


def qdq_island_rows(groups: pd.DataFrame, layers: Mapping[str, pd.DataFrame],
                    labels: Sequence[str]) -> list[tuple[list[int], str]]:
    """(rows, reason) of each float island with its Q/DQ layers (module doc); ``layers``: each side's LAYERS
    frame; ``labels``: each row's name in check. An island is connected (on its side) and holds a dequantize and
    a quantize group only that side has and the groups on both sides between them that write float there and
    INT8 on the other side."""
    kinds, changes = groups["kind"].tolist(), groups["changes"].tolist()
    out: list[tuple[list[int], str]] = []
    for side, frame in layers.items():
        qdq = _qdq_only(groups, side)
        if not {"QuantizeLinear", "DequantizeLinear"} <= set(qdq.values()) or frame.empty \
                or "consumers" not in frame:
            continue
        other = "b" if side == "a" else "a"
        mine, theirs = ([x if isinstance(x, str) else None for x in groups[f"{s}_output_precision"].tolist()]
                        for s in (side, other))
        floated = {r for r, (k, c) in enumerate(zip(kinds, changes, strict=True))
                   if k not in ("only_a", "only_b", "bucket") and _changed_precision(c)
                   and mine[r] != "INT8" and theirs[r] == "INT8"}
        if not floated:
            continue
        for comp in components(sorted(set(qdq) | floated), _island_links(groups, side, frame, set(qdq) | floated)):
            ops = {qdq[r] for r in comp if r in qdq}
            core = [r for r in comp if r in floated]
            if ops != {"QuantizeLinear", "DequantizeLinear"} or not core:
                continue
            this, that = _SIDE_NAMES[side]
            dq = ", ".join(labels[r] for r in comp if qdq.get(r) == "DequantizeLinear")
            q = ", ".join(labels[r] for r in comp if qdq.get(r) == "QuantizeLinear")
            out.append((comp, f"judged as one group: the {this} writes float from {', '.join(labels[r] for r in core)} "
                              f"between {dq} and {q}, the {that} INT8 without them (the Q/DQ placement changed)"))
    return out


def _changed_precision(changes: Any) -> bool:
    """Whether a group's ``changes`` (a list, or an array once read back) hold a precision change."""
    if changes is None or isinstance(changes, (str, float)):
        return False
    return "precision" in list(changes)


def moved_copy_rows(groups: pd.DataFrame, labels: Sequence[str]) -> list[tuple[list[int], str]]:
    """(rows, reason) of the groups of a reformat-copy move (module doc), at most one; ``labels``: each row's
    name in check."""
    found = moved_reformat_rows(groups)
    if found is None:
        return []
    side, new, old, copies = found
    layers, paired = ", ".join(labels[r] for r in new), ", ".join(labels[r] for r in old)
    moved = (f"the {copies} reformat cop{'y' if copies == 1 else 'ies'} the baseline ran for {layers} (only in the "
             f"baseline) moved to {paired}" if side == "only_a" else
             f"the {copies} reformat cop{'y' if copies == 1 else 'ies'} the baseline ran for {paired} moved to "
             f"{layers} (only in the candidate)")
    return [(sorted(new + old), f"judged as one group: {moved} (matched by count)")]


def _note(why: Mapping[int, str], what: str) -> str | None:
    if not why:
        return None
    first = next(iter(why.values())).removeprefix("judged as one group: ")
    more = f" (and {len(why) - 1} more alike)" if len(why) > 1 else ""
    return f"{len(why)} merged group(s): {what}: {first}{more}"


def chain_notes(chains: Mapping[int, tuple[str, str]]) -> list[str]:
    """One note per rule that merged groups (``chains``: group id -> (reason, kind))."""
    notes = []
    for kind, what in ((CHAIN_KIND, "a layer run between a dequantize and a quantize layer on one side only is "
                                    "judged with them"),
                       (COPY_KIND, "reformat copies that moved between groups are judged with the groups they "
                                   "moved between, never as a slowdown of one")):
        note = _note({g: why for g, (why, k) in chains.items() if k == kind}, what)
        if note is not None:
            notes.append(note)
    return notes


def merge_by_ids(meta: pd.DataFrame, groups: pd.DataFrame, comps: Sequence[tuple[list[int], str]],
                 kind: str) -> tuple[pd.DataFrame, dict[int, str]]:
    """``meta`` (check's group frame, possibly merged already) with each component (rows of ``groups``, the
    alignment's frame) merged (``check_moved.merge_rows``); a component a group of which is gone is skipped."""
    ids = [int(g) for g in groups["group_id"].tolist()]
    row_of = {int(g): r for r, g in enumerate(meta["group_id"].tolist())}
    rows: list[list[int]] = []
    whys: list[str] = []
    taken: set[int | None] = set()
    for comp, why in comps:
        at = [row_of.get(ids[r]) for r in comp]
        if None not in at and not taken & set(at):
            rows.append([int(x) for x in at if x is not None])
            whys.append(why)
            taken.update(rows[-1])
    return merge_rows(meta, rows, whys, kind) if rows else (meta, {})

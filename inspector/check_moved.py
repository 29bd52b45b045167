"""Fusion groups whose work changed because fused ops moved between them: judged as one group (pure).

When two exports number ONNX nodes differently, TensorRT may fuse a residual ``Add`` + ``Relu`` into another
convolution of the same block: the baseline runs ``layer2.0.conv2 + Add_115 + Relu_116`` and a plain
``layer2.0.downsample.0``, the candidate a plain ``layer2.0.conv2`` and ``layer2.0.downsample.0 + Add_97 +
Relu_98``. Paired layer by layer, the downsample convolution does more work in the candidate (+33%) and conv2 less:
neither pair did the same work on both sides, so neither delta says anything about a regression. Together the two
did the same work (+7%). :func:`merge_moved_ops` makes such neighbours one group (kind ``repartitioned``), and says
which ops moved where (its ``reason`` prefix), so ``check`` judges work against the same work.

The rule: a group present on both sides *gained* op kinds (candidate has them, baseline not) or *lost* some
(quantize/dequantize/constant helpers left out: they are Q/DQ placement, not work moving); two such groups are
linked when one gained an op kind the other lost and a layer of one is a producer or consumer of a layer of the
other on either side; linked groups (transitively) become one.

Op kinds come from the layer names (the alignment's ``a_ops`` / ``b_ops``), except where the layer JSON says what
a layer fused: a convolution's ``Activation`` / ``ConvActivation`` / ``HasReLU`` fields decide whether its group
holds a ``Relu`` (:func:`_relu_codes`). QAT exports name ``layer2.0.conv1.weight + QuantizeLinear_82 + Conv_84``
for a convolution that fused its Relu (``Activation: RELU``); read from the name it "lost" the Relu of the fp16
build's ``Conv_13 + Relu_14`` and pulled conv1 into its neighbours' merged group. Layers without such a field
(trtexec log sources, reformats, standalone activations) keep what their names say. Only groups whose names
already differ are corrected (reading 100,000 layer records would cost the 51,600-layer pair time): a Relu whose
move both exports' names omit stays unseen, as before.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["MOVED_KIND", "MOVED_OPS", "merge_moved_ops", "merge_rows", "moved_note", "moved_op_components",
           "say_moved", "why_moved"]

MOVED_KIND = "repartitioned"
MOVED_OPS = "moved_ops"     # the meta frame's attrs key: group id -> reason prefix
_HELPERS = frozenset({"QuantizeLinear", "DequantizeLinear", "Constant"})
_RELU = frozenset({"Relu"})
_UNSAID, _RELU_NO, _RELU_YES, _REFORMAT = 0, 1, 2, 3     # what a layer's JSON says of a fused Relu
_ACTIVATION_KEYS = ("Activation", "ConvActivation", "HasReLU")


@functools.lru_cache(maxsize=4096)      # a few dozen distinct op lists among 60,000 groups
def _ops(text: Any) -> frozenset[str]:
    return frozenset(text.split("/")) - _HELPERS if isinstance(text, str) and text else frozenset()


def _relu_fact(act: Any) -> int:
    """A layer record's activation field -> 2: it fused a Relu, 1: it fused none, 0: it says nothing (None)."""
    if act is None:
        return _UNSAID
    if isinstance(act, int) and not isinstance(act, bool):     # HasReLU
        return _RELU_YES if act == 1 else _RELU_NO
    return _RELU_YES if isinstance(act, str) and act.upper().removeprefix("K") == "RELU" else _RELU_NO


def _activation(a: Any) -> Any:
    """A layer record's activation field: ``Activation``, else ``ConvActivation`` (ConvActPool), else
    ``HasReLU``; None where it has none."""
    if not isinstance(a, dict):
        return None
    for key in _ACTIVATION_KEYS:
        got = a.get(key)
        if got is not None:
            return got
    return None


def _relu_codes(frame: pd.DataFrame | None, members: Iterable[Sequence[int]]) -> dict[int, int]:
    """layer_index -> what the layer JSON says of a fused Relu (:func:`_relu_fact`; reformats ``_REFORMAT``: they
    hold no op) for the layers in ``members`` of one side; empty where the frame has no records (log sources)."""
    if frame is None or frame.empty or "attributes" not in frame:
        return {}
    attrs = frame["attributes"].tolist()
    reformat = frame["is_reformat"].tolist() if "is_reformat" in frame else [False] * len(attrs)
    index = frame["layer_index"].tolist()
    at = None if index == list(range(len(index))) else {int(li): k for k, li in enumerate(index)}
    codes: dict[int, int] = {}
    known: dict[str, int] = {}            # "RELU", "NONE": a few distinct values among 50,000 layers
    for li in itertools.chain.from_iterable(members):
        k = (li if 0 <= li < len(attrs) else None) if at is None else at.get(li)
        if k is None or reformat[k] is True:
            codes[li] = _UNSAID if k is None else _REFORMAT
            continue
        a = attrs[k]
        act = a.get("Activation") if type(a) is dict else None
        if type(act) is str:
            code = known.get(act)
            codes[li] = code if code is not None else known.setdefault(act, _relu_fact(act))
        else:
            codes[li] = _relu_fact(_activation(a))
    return codes if any(c in (_RELU_YES, _RELU_NO) for c in codes.values()) else {}


def _with_facts(ops: frozenset[str], members: Sequence[int], codes: Mapping[int, int]) -> frozenset[str]:
    """``ops`` (a group's op kinds by name) with its Relu as the layer JSON of its layers says: present when one
    says it fused one; absent when every layer but reformats says it fused none; else as the names say."""
    said = [codes.get(li, _UNSAID) for li in members]
    if _RELU_YES in said:
        return ops | _RELU
    if _RELU_NO in said and _UNSAID not in said:
        return ops - _RELU
    return ops


def _exchanges(groups: pd.DataFrame, layers: Mapping[str, pd.DataFrame] | None = None
               ) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
    """Row -> (op kinds gained, op kinds lost) of each group on both sides whose fused op kinds differ by name,
    the Relu of each corrected by the layer JSON where it says whether a layer fused one (``layers``: each side's
    LAYERS frame). Only groups whose names differ are read (the rule's cost on 50,000 layers)."""
    named: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
    for row, (kind, a_ops, b_ops) in enumerate(zip(groups["kind"].tolist(), groups["a_ops"].tolist(),
                                                   groups["b_ops"].tolist(), strict=True)):
        if kind in ("only_a", "only_b", "bucket"):
            continue
        sa, sb = _ops(a_ops), _ops(b_ops)
        if sa != sb and sa and sb:
            named[row] = (sa, sb)
    if layers and named:
        sides = {}
        for side in ("a", "b"):
            own = groups[f"{side}_layers"].tolist() if f"{side}_layers" in groups else []
            members = {row: own[row] for row in named} if own else {}
            sides[side] = (members, _relu_codes(layers.get(side), members.values()))
        (ma, ca), (mb, cb) = sides["a"], sides["b"]
        for row, (sa, sb) in list(named.items()):
            named[row] = (_with_facts(sa, ma[row], ca) if ca else sa, _with_facts(sb, mb[row], cb) if cb else sb)
    return {row: (sb - sa, sa - sb) for row, (sa, sb) in named.items() if sa != sb}


def _neighbours(rows: Sequence[int], groups: pd.DataFrame, layers: Mapping[str, pd.DataFrame]) -> set[tuple[int, int]]:
    """Pairs of ``rows`` (row numbers of ``groups``) with a producer/consumer edge between their layers on a side."""
    pairs: set[tuple[int, int]] = set()
    for side, frame in layers.items():
        if frame.empty or "producers" not in frame or "consumers" not in frame:
            continue
        own = groups[f"{side}_layers"].tolist()
        owner = {int(li): r for r in rows for li in own[r]}
        index = frame["layer_index"].tolist()
        at = None if index == list(range(len(index))) else {int(li): k for k, li in enumerate(index)}
        producers, consumers = frame["producers"].tolist(), frame["consumers"].tolist()
        for li, r in owner.items():
            k = (li if 0 <= li < len(index) else None) if at is None else at.get(li)
            if k is None:
                continue
            for col in (producers, consumers):
                for x in col[k] if col[k] is not None else []:
                    other = owner.get(int(x))
                    if other is not None and other != r:
                        pairs.add((min(r, other), max(r, other)))
    return pairs


def components(rows: Sequence[int], links: Sequence[tuple[int, int]]) -> list[list[int]]:
    """The groups of ``rows`` that ``links`` connect (union-find), each sorted, in the order their first row
    appears in ``rows``; single rows are left out."""
    parent = {r: r for r in rows}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in links:
        parent[find(x)] = find(y)
    comps: dict[int, list[int]] = {}
    for r in rows:
        comps.setdefault(find(r), []).append(r)
    return [sorted(c) for c in comps.values() if len(c) > 1]


def why_moved(comp: list[int], labels: Sequence[str], moves: Mapping[int, tuple[frozenset[str], frozenset[str]]],
              sides: tuple[str, str] = ("baseline", "candidate")) -> str:
    """The reason prefix of a merged group: which op kinds moved, from which group (``sides[0]``) to which."""
    ops = sorted({op for r in comp for op in moves[r][0] | moves[r][1]})
    lost = ", ".join(labels[r] for r in comp if moves[r][1])
    gained = ", ".join(labels[r] for r in comp if moves[r][0])
    return (f"judged as one group: the fused {' and '.join(ops)} moved from {lost} ({sides[0]}) into {gained} "
            f"({sides[1]}), so neither layer did the same work on both sides")


def moved_op_components(groups: pd.DataFrame, layers: Mapping[str, pd.DataFrame]
                        ) -> tuple[list[list[int]], dict[int, tuple[frozenset[str], frozenset[str]]]]:
    """The groups fused ops moved between (the module's rule): row numbers of ``groups`` (an alignment's
    DIFF_GROUPS frame) per merged group (``components``, disjoint, each sorted), and per row involved the op
    kinds it gained and lost. ``layers``: each side's LAYERS frame (``a`` / ``b``). ``check`` and ``diff`` both
    merge by it."""
    moves = _exchanges(groups, layers)
    if len(moves) < 2:
        return [], moves
    rows = sorted(moves)
    links = [(x, y) for x, y in _neighbours(rows, groups, layers)
             if moves[x][0] & moves[y][1] or moves[x][1] & moves[y][0]]
    return components(rows, links), moves


def merge_moved_ops(meta: pd.DataFrame, groups: pd.DataFrame,
                    layers: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict[int, str]]:
    """``meta`` (check's group frame: group_id, kind, label, layers_a, layers_b, row for row as ``groups``, the
    alignment's DIFF_GROUPS frame) with the groups fused ops moved between merged, and the reason prefix of each
    merged group by group id. ``layers``: each side's LAYERS frame (``a``: baseline, ``b``: candidate)."""
    comps, moves = moved_op_components(groups, layers)
    if not comps:
        return meta, {}
    labels = [str(x) for x in meta["label"].tolist()]
    return merge_rows(meta, comps, [why_moved(comp, labels, moves) for comp in comps], MOVED_KIND)


def merge_rows(meta: pd.DataFrame, comps: Sequence[list[int]], whys: Sequence[str],
               kind: str) -> tuple[pd.DataFrame, dict[int, str]]:
    """``meta`` with the rows of each component (row numbers, disjoint) merged into its first row (``kind``, the
    labels joined in sorted order, both sides' layers), and the reason prefix of each merged group by group id."""
    labels = [str(x) for x in meta["label"].tolist()]
    cols = {c: meta[c].tolist() for c in meta.columns}
    drop: set[int] = set()
    why: dict[int, str] = {}
    for comp, reason in zip(comps, whys, strict=True):
        first = comp[0]
        cols["kind"][first] = kind
        cols["label"][first] = " + ".join(sorted(labels[r] for r in comp))
        for side in ("layers_a", "layers_b"):
            cols[side][first] = [name for r in comp for name in cols[side][r]]
        why[int(cols["group_id"][first])] = reason
        drop.update(comp[1:])
    keep = [r for r in range(len(meta)) if r not in drop]
    out = pd.DataFrame({c: [v[r] for r in keep] for c, v in cols.items()}).astype(
        {c: meta[c].dtype for c in meta.columns if meta[c].dtype != object})
    out.attrs.update(meta.attrs)
    return out, why


def say_moved(groups: pd.DataFrame, why: Mapping[int, str]) -> None:
    """Prefix the ``reason`` of each merged group (check's decided CHECK_GROUPS frame) with why it is one group."""
    if not why or groups.empty:
        return
    reasons = groups["reason"].tolist()
    for k, gid in enumerate(groups["group_id"].tolist()):
        if int(gid) in why:
            reasons[k] = f"{why[int(gid)]}; {reasons[k]}"
    groups["reason"] = pd.Series(reasons, index=groups.index, dtype=groups["reason"].dtype)


def moved_note(why: Mapping[int, str]) -> str:
    """The note naming the merged groups: how many, and the first one's reason."""
    first = next(iter(why.values())).removeprefix("judged as one group: ")
    more = f" (and {len(why) - 1} more alike)" if len(why) > 1 else ""
    return (f"{len(why)} merged group(s): neighbouring layers that fused ops moved between are judged as one group "
            f"(neither did the same work on both sides): {first.split(', so neither')[0]}{more}")

"""Align the layers of two engines through fusion changes (pure functions, no I/O, no timing).

The primary key is the ONNX source nodes of each engine layer (``source_nodes`` in the LAYERS frame).
**Fusion groups** are the connected components of the bipartite graph "layer of A and layer of B share a
source node". Every layer of A and of B ends in exactly one group; a group with layers on one side only is
``only_a`` / ``only_b``. Steps, each recorded per layer in ``members.method``:

1. ``served``: TensorRT's own copy reformats ("Reformatting CopyNode for Input/Output Tensor i to X") attach
   to the layer X they serve (by name, else through the producer/consumer edges) and follow its group.
2. ``source-node``: shared source nodes. When the two engines were exported separately, auto-numbered node
   names (``Conv_84``, ``conv2d_109``) may name *different* nodes in each export. That is detected (two layers
   share a numbered name but carry disjoint initializer names, e.g. ``layer2.0.conv1.weight`` vs
   ``layer2.0.conv2.weight``); then numbered names link two layers only when one of them has no initializer
   name, they share a tensor shape, and the link is a possible fusion: a layer already tied by initializer
   names to a layer of the other engine takes in, through a numbered name, only layers adjacent (producer
   or consumer) to its counterpart (``MaxPool_12`` fused into ``conv1`` links; a standalone
   ``QuantizeLinear_439`` far from the convolution whose weight quantizer is numbered ``QuantizeLinear_439``
   in the other export does not). The alignment says so in ``notes``.
3. ``structural``: layers still unmatched pair on (parameter type, ONNX op kinds, input and output shapes
   without the batch dimension), in execution order within equal signatures (as TREx does).
4. ``order-and-type``: what is still left pairs 1->1 where a sequence alignment of the layers' own types
   (from the graph, in execution order) matches them exactly.
5. ``type-bucket``: what is left, per (parameter type, op kinds), forms one n->m group when both sides have
   some; otherwise each layer is ``only_a`` / ``only_b``.

When the two engines share **no** source node at all (different exporters: fx ``conv2d_109`` vs ``Conv_109``),
the alignment falls back to ``order-and-type``: a sequence alignment of each layer's primary op kind in
execution order (:class:`difflib.SequenceMatcher`); the mode and every group's method say so. Layers are
never paired because the numbers in their names look alike. That pairing is fusion-aware
(:mod:`trtinspect.inspector.align_fusion`): merged ``a || b`` layers pair with their parts' counterparts and a
fused ``Conv + Add + Relu`` with the other engine's conv and its separate add+relu.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.gcpause import gc_paused
from trtinspect.inspector import seqmatch
from trtinspect.inspector.align_boundary import TENSOR_BOUNDARY, boundary_pairs
from trtinspect.inspector.align_fusion import order_and_type_groups
from trtinspect.inspector.align_groups import output_frames
from trtinspect.inspector.align_inputs import INPUT_CONVERSION, detach, input_conversion_pairs
from trtinspect.inspector.align_keys import alias
from trtinspect.inspector.align_side import (
    _PROFILE_SUFFIX,
    OP_ALIASES,
    PRIMARY_OP_ORDER,
    _read_side,
    _root,
    _share_shape,
    _Side,
    is_named_key,
    op_kind,
    primary_op,
)
from trtinspect.inspector.align_side import token as _token
from trtinspect.inspector.align_weights import uncross

__all__ = [
    "MODE_DIVERGED",
    "MODE_ORDER",
    "MODE_SOURCE",
    "OP_ALIASES",
    "PRIMARY_OP_ORDER",
    "Alignment",
    "align",
    "groups_frame",
    "is_named_key",
    "op_kind",
    "primary_op",
]

MODE_SOURCE = "source-nodes"
MODE_DIVERGED = "source-nodes (exports differ)"
MODE_ORDER = "order-and-type (no shared source nodes)"

@dataclass
class Alignment:
    """The result of :func:`align`.

    ``groups`` follows ``schema.DIFF_GROUPS`` (one row per fusion group), ``members`` follows
    ``schema.DIFF_MEMBERS`` (one row per layer of A and of B, each in exactly one group).
    ``mode`` is :data:`MODE_SOURCE`, :data:`MODE_DIVERGED` or :data:`MODE_ORDER`.
    """

    groups: pd.DataFrame
    members: pd.DataFrame
    mode: str
    shared_source_nodes: int
    notes: list[str] = field(default_factory=list)
    # group_id -> a name that does not depend on which engine is A (see _stable_label); `check` and the
    # history store key trends on it, `diff` shows the descriptive ``label``
    stable_labels: dict[int, str] = field(default_factory=dict)

    def group_of(self, side: str, layer_index: int) -> int:
        """Group id of one layer (side "A" or "B")."""
        m = self.members
        hit = m[(m["side"] == side) & (m["layer_index"] == layer_index)]
        if hit.empty:
            raise KeyError((side, layer_index))
        return int(hit["group_id"].iloc[0])

    def layers_of(self, group_id: int) -> tuple[list[int], list[int]]:
        """(A layer indices, B layer indices) of one group."""
        row = self.groups[self.groups["group_id"] == group_id]
        if row.empty:
            raise KeyError(group_id)
        return list(row["a_layers"].iloc[0]), list(row["b_layers"].iloc[0])


# --------------------------------------------------------------------------------------------------------
# The alignment.


def align(a_layers: pd.DataFrame, b_layers: pd.DataFrame, sides: tuple[_Side, _Side] | None = None) -> Alignment:
    """Align two LAYERS frames into fusion groups. Pure: reads only its arguments.

    ``sides``: the frames' per-layer facts already read by :func:`read_sides` (``diff`` shares them with
    ``model_match``); read here when None."""
    with gc_paused():
        return _align(*(sides or read_sides(a_layers, b_layers)))


def read_sides(a_layers: pd.DataFrame, b_layers: pd.DataFrame) -> tuple[_Side, _Side]:
    """The per-layer facts of A and B that :func:`align` and ``model_match`` read (lazy facts computed once)."""
    return _read_side(a_layers, "A"), _read_side(b_layers, "B")


def _align(a: _Side, b: _Side) -> Alignment:
    na, nb = len(a), len(b)
    a.read_all_ops()           # every step below reads op kinds
    b.read_all_ops()
    notes: list[str] = []
    method_a: list[str] = ["unmatched"] * na
    method_b: list[str] = ["unmatched"] * nb
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for i, j in input_conversion_pairs(a, b):     # the engine input's conversion on each side: one pair
        detach(a, i)
        detach(b, j)
        groups[len(groups)] = ([i], [j])
        method_a[i] = method_b[j] = INPUT_CONVERSION
    core_a = [i for i in range(na) if a.served[i] is None and method_a[i] == "unmatched"]
    core_b = [j for j in range(nb) if b.served[j] is None and method_b[j] == "unmatched"]
    mode, n_shared, edges_src, edges_dst = _source_edges(a, b, core_a, core_b, notes)
    if mode != MODE_ORDER:
        linked = _source_groups(na + nb, na, core_a, core_b, edges_src, edges_dst, method_a, method_b)
        for pair in linked.values():
            groups[len(groups)] = pair
        rest_a = [i for i in core_a if method_a[i] == "unmatched"]
        rest_b = [j for j in core_b if method_b[j] == "unmatched"]
        for step in (_same_name, _structural, _boundary, _leftover_order, _buckets):
            rest_a, rest_b = step(a, b, rest_a, rest_b, groups, method_a, method_b)
    else:
        rest_a, rest_b = _order_and_type(a, b, core_a, core_b, groups, method_a, method_b)
        rest_a, rest_b = _boundary(a, b, rest_a, rest_b, groups, method_a, method_b)
    _weights_note(a, b, uncross(a, b, groups, method_a, method_b), notes)
    for i in rest_a:
        groups[len(groups)] = ([i], [])
        method_a[i] = "only"
    for j in rest_b:
        groups[len(groups)] = ([], [j])
        method_b[j] = "only"
    return _finish(a, b, groups, method_a, method_b, mode, n_shared, notes)


def _weights_note(a: _Side, b: _Side, swapped: list[tuple[int, int, int, int]], notes: list[str]) -> None:
    """Say which pairs follow their weights rather than execution order (align_weights.uncross)."""
    if not swapped:
        return
    i1, j1, i2, j2 = swapped[0]
    more = f" (and {len(swapped) - 1} more such pair(s))" if len(swapped) > 1 else ""
    notes.append(f"{2 * len(swapped)} layer(s) paired by their weights (kernel shape, stride, output maps, weight "
                 f"count) rather than execution order, where B runs them in another order: A {a.names[i1]} with B "
                 f"{b.names[j2]}, A {a.names[i2]} with B {b.names[j1]}{more}")


def _source_edges(a: _Side, b: _Side, core_a: list[int], core_b: list[int],
                  notes: list[str]) -> tuple[str, int, list[int], list[int]]:
    """(mode, shared keys, edges A position -> na + B position) linking layers through source nodes."""
    na = len(a)
    idx_a = _key_index(a, core_a)
    idx_b = _key_index(b, core_b, idx_a)
    shared = [k for k in idx_a if k in idx_b]
    n_alias = 0
    if a.alias_set or b.alias_set:             # without aliases every name is some layer's own
        own_a = set(itertools.chain.from_iterable(map(a.keys.__getitem__, core_a)))
        own_b = set(itertools.chain.from_iterable(map(b.keys.__getitem__, core_b)))
        n_alias = sum(1 for k in shared if not (k in own_a and k in own_b))
    if n_alias:
        notes.append(
            f"{n_alias} ONNX nodes were matched through a quantization wrapper's name (quant_X in one export is "
            "X in the other); see docs/diff.md"
        )
    edges_src: list[int] = []
    edges_dst: list[int] = []
    if not shared and core_a and core_b:
        notes.append(
            "the two engines share no ONNX source node name (different exporters or renamed graphs); "
            "layers were aligned by execution order and op type only, so treat pairings as approximate"
        )
        return MODE_ORDER, 0, edges_src, edges_dst
    mode = MODE_SOURCE
    stable = _stable_keys(shared)
    numbered = [k for k, st in zip(shared, stable, strict=True) if not st]
    conflicts = _conflicts(a, b, numbered, idx_a, idx_b)
    if conflicts:
        mode = MODE_DIVERGED
        k, i, j = conflicts[0]
        notes.append(
            f"auto-numbered ONNX node names name different nodes in the two exports ({len(conflicts)} "
            f"conflicts, e.g. '{k}' is in A layer '{a.names[i]}' and B layer '{b.names[j]}'); "
            "numbered names were trusted only where initializer names and tensor shapes agree"
        )
    named_a, named_b = (_named_links([k for k, st in zip(shared, stable, strict=True) if st], idx_a, idx_b)
                        if conflicts else ({}, {}))
    for k, st in zip(shared, stable, strict=True):
        la, lb = idx_a[k], idx_b[k]
        if mode == MODE_DIVERGED and not st:
            for i in la:
                for j in lb:
                    if ((not a.named(i) or not b.named(j)) and _share_shape(a, i, b, j)
                            and _fusable(a, i, b, j, named_a, named_b)):
                        edges_src.append(i)
                        edges_dst.append(na + j)
        else:
            for i in la:
                edges_src.append(i)
                edges_dst.append(na + lb[0])
            for j in lb[1:]:
                edges_src.append(la[0])
                edges_dst.append(na + j)
    return mode, len(shared), edges_src, edges_dst


def _source_groups(n: int, na: int, core_a: list[int], core_b: list[int], edges_src: list[int],
                   edges_dst: list[int], method_a: list[str],
                   method_b: list[str]) -> dict[int, tuple[list[int], list[int]]]:
    """Fusion groups: connected components of the source-node links (layers linked get "source-node")."""
    comp = _components(n, edges_src, edges_dst)
    linked_a, linked_b = set(edges_src), {d - na for d in edges_dst}
    by_comp: dict[int, tuple[list[int], list[int]]] = {}
    for i in core_a:
        if i in linked_a:
            method_a[i] = "source-node"
            by_comp.setdefault(int(comp[i]), ([], []))[0].append(i)
    for j in core_b:
        if j in linked_b:
            method_b[j] = "source-node"
            by_comp.setdefault(int(comp[na + j]), ([], []))[1].append(j)
    return dict(enumerate(by_comp.values()))


def _key_index(side: _Side, core: list[int], only: dict[str, Any] | None = None) -> dict[str, list[int]]:
    """Source-node name (and export alias, see align_keys) -> the layers of one side holding it, names in order
    of first appearance (a layer's own names, then their aliases); with ``only``, just the names in ``only``
    (the other side's index: a name it lacks is never shared). Fills ``alias_set`` with every alias."""
    idx: dict[str, list[int]] = {}
    keys_of = side.keys
    with_path = set(side.layers_with("/"))   # alias(k) is None for names without a path
    for i in core:
        keys = keys_of[i]
        for k in keys:
            if only is not None and k not in only:
                continue
            got = idx.get(k)
            if got is None:
                idx[k] = [i]
            else:
                got.append(i)
        if i not in with_path:
            continue
        for k in keys:
            if "/" not in k:
                continue
            al = alias(k)
            if al is not None and al not in keys:
                side.alias_set.add(al)
                if only is not None and al not in only:
                    continue
                got = idx.get(al)
                if got is None:
                    idx[al] = [i]
                elif got[-1] != i:
                    got.append(i)
    return idx


def _stable_keys(keys: list[str]) -> list[bool]:
    """Per key: is it a stable (initializer / path) name (is_named_key, profile suffix ignored)?"""
    return [is_named_key(_PROFILE_SUFFIX.sub("", k) if "[profile" in k else k) for k in keys]


def _named_links(named: list[str], idx_a: dict[str, list[int]],
                 idx_b: dict[str, list[int]]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Layers tied through stable (initializer / path) names ``named``: A position -> B positions, and back."""
    fwd: dict[int, set[int]] = defaultdict(set)
    back: dict[int, set[int]] = defaultdict(set)
    for k in named:
        for i in idx_a[k]:
            for j in idx_b[k]:
                fwd[i].add(j)
                back[j].add(i)
    return fwd, back


def _fusable(a: _Side, i: int, b: _Side, j: int, named_a: dict[int, set[int]],
             named_b: dict[int, set[int]]) -> bool:
    """May a numbered name link A layer i and B layer j? Not when either is already tied by stable names to
    other layers of which the candidate is no neighbour (then the number names different nodes)."""
    tied_to_j = named_b.get(j, set()) - {i}
    if tied_to_j and not any(i in a.neighbours(x) for x in tied_to_j):
        return False
    tied_to_i = named_a.get(i, set()) - {j}
    return not tied_to_i or any(j in b.neighbours(y) for y in tied_to_i)


def _conflicts(
    a: _Side, b: _Side, numbered: list[str], idx_a: dict[str, list[int]], idx_b: dict[str, list[int]]
) -> list[tuple[str, int, int]]:
    """(key, i, j) where a numbered key links two layers whose initializer names are disjoint."""
    out = []
    for k in numbered:
        for i in idx_a[k]:
            for j in idx_b[k]:
                if a.named(i) and b.named(j) and not (a.named(i) & b.named(j)):
                    out.append((k, i, j))
    return out


def _components(n: int, src: list[int], dst: list[int]) -> np.ndarray:
    """Connected components of the undirected graph on ``n`` nodes with edges ``src[k] - dst[k]``: each node's
    component label (the smallest node of its component). Label propagation over the edge arrays: each pass
    hooks the larger label of an edge's ends onto the smaller, then follows labels to their roots; it stops
    when no edge joins two labels (numpy only: scipy's csgraph costs more to import than to run here)."""
    labels = np.arange(n, dtype=np.int64)
    u, v = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    while u.size:
        lu, lv = labels[u], labels[v]
        apart = lu != lv
        if not apart.any():
            break
        lu, lv = lu[apart], lv[apart]
        low = np.minimum(lu, lv)
        np.minimum.at(labels, np.maximum(lu, lv), low)
        while True:                       # each label to its root (labels only ever point lower)
            up = labels[labels]
            if np.array_equal(up, labels):
                break
            labels = up
    return labels


def _same_name(
    a: _Side, b: _Side, rest_a: list[int], rest_b: list[int],
    groups: dict[int, tuple[list[int], list[int]]], method_a: list[str], method_b: list[str],
) -> tuple[list[int], list[int]]:
    """Pair layers without shared source nodes whose engine layer name is identical and unique on each side
    (Myelin kernels such as ``__myl_CastResh_myl5_6`` carry no ONNX node but keep their name across builds)."""
    count_a = Counter(a.names[i] for i in rest_a)
    count_b = Counter(b.names[j] for j in rest_b)
    first_b = {b.names[j]: j for j in rest_b if count_b[b.names[j]] == 1}
    for i in rest_a:
        name = a.names[i]
        j = first_b.get(name)
        if j is not None and count_a[name] == 1:
            groups[len(groups)] = ([i], [j])
            method_a[i] = "name"
            method_b[j] = "name"
    return _unmatched(rest_a, method_a), _unmatched(rest_b, method_b)


def _structural(
    a: _Side, b: _Side, rest_a: list[int], rest_b: list[int],
    groups: dict[int, tuple[list[int], list[int]]], method_a: list[str], method_b: list[str],
) -> tuple[list[int], list[int]]:
    by_sig_a: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    by_sig_b: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i in rest_a:
        sig = a.signature(i)
        if sig is not None:
            by_sig_a[sig].append(i)
    for j in rest_b:
        sig = b.signature(j)
        if sig is not None:
            by_sig_b[sig].append(j)
    for sig, la in by_sig_a.items():
        lb = by_sig_b.get(sig)
        if not lb:
            continue
        # k-th with k-th in execution order (as TREx does); the surplus stays for the later steps
        for i, j in zip(la, lb, strict=False):
            groups[len(groups)] = ([i], [j])
            method_a[i] = "structural"
            method_b[j] = "structural"
    return _unmatched(rest_a, method_a), _unmatched(rest_b, method_b)


def _boundary(
    a: _Side, b: _Side, rest_a: list[int], rest_b: list[int],
    groups: dict[int, tuple[list[int], list[int]]], method_a: list[str], method_b: list[str],
) -> tuple[list[int], list[int]]:
    """Pair leftover runs of layers that read the same tensors and write the same outputs (a Myelin
    ``{ForeignNode[...]}`` built from what the other engine runs as separate layers; align_boundary)."""
    for run_a, run_b in boundary_pairs(a, b, rest_a, rest_b):
        groups[len(groups)] = (run_a, run_b)
        for i in run_a:
            method_a[i] = TENSOR_BOUNDARY
        for j in run_b:
            method_b[j] = TENSOR_BOUNDARY
    return _unmatched(rest_a, method_a), _unmatched(rest_b, method_b)


def _leftover_order(
    a: _Side, b: _Side, rest_a: list[int], rest_b: list[int],
    groups: dict[int, tuple[list[int], list[int]]], method_a: list[str], method_b: list[str],
) -> tuple[list[int], list[int]]:
    """Pair what names and signatures left over 1->1 by a sequence alignment of the engine's own layer
    types (parameter type from the graph, never the name) in execution order: the quantized export's
    ``conv1`` (renamed, its input padded differently) pairs with the float export's ``conv1``. Only equal
    runs pair; the rest goes on to the type buckets or stays added/removed."""
    if not rest_a or not rest_b:
        return rest_a, rest_b
    ta = [_leftover_token(a, i) for i in rest_a]
    tb = [_leftover_token(b, j) for j in rest_b]
    qdq_pairs = []
    for tag, i1, i2, j1, j2 in _opcodes(ta, tb):
        if tag != "equal":
            continue
        for i, j, token in zip(rest_a[i1:i2], rest_b[j1:j2], ta[i1:i2], strict=True):
            if token in _QDQ_TOKENS:        # a standalone Q/DQ pairs only where its neighbours do (below)
                qdq_pairs.append((i, j))
                continue
            groups[len(groups)] = ([i], [j])
            method_a[i] = "order-and-type"
            method_b[j] = "order-and-type"
    if qdq_pairs:
        _anchored_qdq(a, b, qdq_pairs, groups, method_a, method_b)
    return _unmatched(rest_a, method_a), _unmatched(rest_b, method_b)


def _anchored_qdq(a: _Side, b: _Side, pairs: list[tuple[int, int]], groups: dict[int, tuple[list[int], list[int]]],
                  method_a: list[str], method_b: list[str]) -> None:
    """Keep the standalone quantize/dequantize pairs the order-and-type step found only where a neighbour
    (producer or consumer) of the A layer and a neighbour of the B layer are in one group already: the Q/DQ sits
    at the same place of the network. The others paired only by order and type across unrelated blocks (the
    generated 51,600-layer pair: a quantize of A's block 78, which B removed, with a quantize of one of B's extra
    blocks, "1180 quantize layers moved from FP16 to FP32"); they are a Q/DQ placement change, each layer its own
    removed (added) group, never a type bucket."""
    owner_a: dict[int, int] = {}
    owner_b: dict[int, int] = {}
    for g, (la, lb) in groups.items():
        owner_a.update(dict.fromkeys(la, g))
        owner_b.update(dict.fromkeys(lb, g))
    for i, j in pairs:
        near_a = {owner_a.get(_root(a, p)) for p in a.neighbours(i)} - {None}
        near_b = {owner_b.get(_root(b, q)) for q in b.neighbours(j)} - {None}
        if near_a & near_b:
            groups[len(groups)] = ([i], [j])
            method_a[i] = method_b[j] = "order-and-type"
        else:
            groups[len(groups)] = ([i], [])
            groups[len(groups)] = ([], [j])
            method_a[i] = method_b[j] = "only"


_QDQ = frozenset({"QuantizeLinear", "DequantizeLinear"})
_QDQ_TOKENS = frozenset({"Reformat+QuantizeLinear", "Reformat+DequantizeLinear",
                         "Reformat+DequantizeLinear+QuantizeLinear"})


def _leftover_token(side: _Side, i: int) -> str:
    """Layer type from the graph; a quantize/dequantize reformat is not interchangeable with a plain one."""
    ptype = side.ptype[i] or "?"
    if ptype != "Reformat":             # a convolution holding its weight quantizer is still a convolution
        return ptype
    return ptype + "".join(f"+{op}" for op in sorted(_QDQ.intersection(side.ops(i))))


def _unmatched(rest: list[int], methods: list[str]) -> list[int]:
    return [i for i in rest if methods[i] == "unmatched"]


def _bucket_key(side: _Side, i: int) -> tuple[str, str]:
    return side.ptype[i], primary_op(side.ops(i)) or ""


def _buckets(
    a: _Side, b: _Side, rest_a: list[int], rest_b: list[int],
    groups: dict[int, tuple[list[int], list[int]]], method_a: list[str], method_b: list[str],
) -> tuple[list[int], list[int]]:
    by_a: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_b: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in rest_a:
        by_a[_bucket_key(a, i)].append(i)
    for j in rest_b:
        by_b[_bucket_key(b, j)].append(j)
    for key, la in by_a.items():
        lb = by_b.get(key)
        if not lb or key == ("", ""):
            continue
        groups[len(groups)] = (list(la), list(lb))
        for i in la:
            method_a[i] = "type-bucket"
        for j in lb:
            method_b[j] = "type-bucket"
    return _unmatched(rest_a, method_a), _unmatched(rest_b, method_b)


# The alignment is exact up to this many cells (tokens of A x tokens of B), O(n*m) time and memory.
LCS_MAX_CELLS = 4_000_000


# Above LCS_MAX_CELLS the alignment runs window by window (seqmatch.aligned_opcodes): windows of about
# 2 x WINDOW_TOKENS tokens of the shorter side, each starting after the last pair the previous one kept.
WINDOW_TOKENS = 256


def _opcodes(ta: Sequence[Any], tb: Sequence[Any]) -> Sequence[tuple[str, int, int, int, int]]:
    """difflib-style opcodes aligning two token sequences: the longest common subsequence with the fewest
    gaps (exact up to LCS_MAX_CELLS, then window by window)."""
    return seqmatch.aligned_opcodes(ta, tb, max_cells=LCS_MAX_CELLS, window=WINDOW_TOKENS)


def _order_and_type(
    a: _Side, b: _Side, core_a: list[int], core_b: list[int],
    groups: dict[int, tuple[list[int], list[int]]], method_a: list[str], method_b: list[str],
) -> tuple[list[int], list[int]]:
    """Pair by a sequence alignment of op-kind tokens (one per part of a merged ``a || b`` layer); a pair
    whose op kinds differ takes in the other side's unpaired neighbours holding what it lacks (align_fusion)."""
    paired, rest_a, rest_b = order_and_type_groups(a, b, core_a, core_b, _token, LCS_MAX_CELLS, WINDOW_TOKENS)
    for la, lb in paired:
        groups[len(groups)] = (la, lb)
        for i in la:
            method_a[i] = "order-and-type"
        for j in lb:
            method_b[j] = "order-and-type"
    return rest_a, rest_b


# --------------------------------------------------------------------------------------------------------
# The output frames (inspector.align_groups).


def _finish(
    a: _Side, b: _Side, groups: dict[int, tuple[list[int], list[int]]],
    method_a: list[str], method_b: list[str], mode: str, n_shared: int, notes: list[str],
) -> Alignment:
    group_frame, member_frame, stable_labels = output_frames(a, b, groups, method_a, method_b)
    return Alignment(groups=group_frame, members=member_frame, mode=mode, shared_source_nodes=n_shared,
                     notes=notes, stable_labels=stable_labels)


def groups_frame(alignment: Alignment) -> pd.DataFrame:
    """The groups with layer *names* (for name-keyed consumers such as the CI check):
    ``group_id``, ``kind``, ``label``, ``layers_a``, ``layers_b`` (list[str]), ``method``."""
    m = alignment.members
    names: dict[tuple[str, int], dict[int, str]] = {}
    for side, gid, idx, name in zip(m["side"].tolist(), m["group_id"].tolist(), m["layer_index"].tolist(),
                                    m["name"].tolist(), strict=True):
        names.setdefault((side, gid), {})[idx] = str(name)
    g = alignment.groups
    rows = []
    columns = [g[c].tolist() for c in ("group_id", "kind", "label", "method", "a_layers", "b_layers")]
    for gid, kind, label, method, la, lb in zip(*columns, strict=True):
        rows.append({"group_id": gid, "kind": kind, "label": label,
                     "layers_a": [names[("A", gid)][i] for i in la],
                     "layers_b": [names[("B", gid)][j] for j in lb], "method": method})
    return pd.DataFrame(rows, columns=["group_id", "kind", "label", "layers_a", "layers_b", "method"])

"""The order-and-type pairing of :mod:`trtinspect.inspector.align`, aware of fusion (pure functions, no I/O).

When two engines share no source node (different exporters: fx ``conv2d_109`` vs ONNX ``Conv_109``), layers
are paired by a sequence alignment of one op-kind token per layer in execution order. Two refinements keep a
fusion change from being read as "the same layer" (found by a TensorRT engineer's review of the fx vs
implicit INT8 CenterNet profile tables):

* A horizontally merged layer (``Conv_129 + Relu_130 || Conv_132 + Relu_133 || Conv_135 + Relu_136``) gives
  one token per part, so it pairs with the set of its parts' counterparts (fx's three separate
  ``conv2d_114 + relu_107`` ... layers), not with the first of them alone.
* A pair whose op-kind *composition* differs (``Conv + Add + Relu`` vs a bare ``conv2d_109``) takes in the
  other engine's unpaired neighbours in execution order whose op kinds are exactly what it lacks (fx's
  separate ``add_30 + relu_100``): one group, the fusion change. A 1->1 pair of names-only layers whose
  op kinds still differ (``Conv_101 + Add_103 + Relu_104`` vs ``add_29 + relu_97``, whose convolution is
  outside the excerpt) is a fusion change too (:func:`fusion_changed`), never ``unchanged``.
* Among alignments of equal length, the one pairing equal compositions wins (weights of
  :func:`seqmatch.aligned_opcodes`), so
  the pairing does not depend on which engine is A.

Quantize / dequantize / constant nodes and batch normalization are left out of the composition: Q/DQ
placement and BN folding are export choices, not a different fusion of the network's compute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from trtinspect.inspector import seqmatch
from trtinspect.inspector.align_side import _Side, op_kind, primary_op
from trtinspect.parsers.layer_names import source_nodes_from_name

__all__ = ["COMPOSITION_IGNORED", "QDQ_TOKENS", "composition", "composition_differs", "fusion_changed",
           "order_and_type_groups", "part_ops"]

# Op kinds that do not make two layers a different fusion (see the module docstring).
COMPOSITION_IGNORED = frozenset({"QuantizeLinear", "DequantizeLinear", "Constant", "BatchNormalization"})

# The tokens of standalone quantize / dequantize layers: where the alignment leaves a run of each side
# unpaired between two pairs, the run is one re-partition of the same compute, but such a layer is a Q/DQ
# placement (the other engine has no counterpart; diff counts it under "Q/DQ placement changed"), so it
# stays unpaired: B's input ``QuantizeLinear`` of the next block is not "split" out of A's reshape, and
# an engine's extra tail is not "fused into" the other's last quantize.
QDQ_TOKENS = frozenset({"QuantizeLinear", "DequantizeLinear"})

def part_ops(side: _Side, i: int) -> list[list[str]] | None:
    """Op kinds of each part of a horizontally merged layer (``a || b``); None for any other layer."""
    name = side.names[i]
    if " || " not in name:
        return None
    parts = [p for p in name.split(" || ") if p.strip()]
    if len(parts) < 2:
        return None
    return [[o for o in map(op_kind, source_nodes_from_name(p)[0]) if o is not None] for p in parts]


def composition(side: _Side, idx: Sequence[int]) -> frozenset[str]:
    """The op kinds a group side computes, without Q/DQ, constants and batch normalization."""
    return frozenset(o for i in idx for o in side.ops(i)) - COMPOSITION_IGNORED


def composition_differs(a: _Side, la: Sequence[int], b: _Side, lb: Sequence[int]) -> bool:
    """Both sides are known (some op kind on each) and hold different op kinds: a fusion change."""
    ca, cb = composition(a, la), composition(b, lb)
    return bool(ca) and bool(cb) and ca != cb


def fusion_changed(a: _Side, i: int, b: _Side, j: int) -> bool:
    """Layers i of A and j of B, known by their names only (no tensor shapes on either side), hold different
    op kinds: the pair is a fusion change, never ``unchanged``. With an engine graph the op kinds come from
    metadata that exports fill differently, so there the group keeps its precision/format/tactic kind."""
    return a.signature(i) is None and b.signature(j) is None and composition_differs(a, [i], b, [j])


class _Union:
    def __init__(self) -> None:
        self.parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(self, x: tuple[int, int]) -> tuple[int, int]:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def union(self, x: tuple[int, int], y: tuple[int, int]) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[ry] = rx


def _expand(side: _Side, core: list[int],
            token: Callable[[_Side, int], str]) -> tuple[list[int], list[str], list[frozenset[str]]]:
    """(layer per token, tokens, compositions): one token per layer, one per part of a merged ``a || b``
    layer."""
    owners: list[int] = []
    tokens: list[str] = []
    comps: list[frozenset[str]] = []
    for i in core:
        parts = part_ops(side, i)
        main = token(side, i)
        if parts is None:
            owners.append(i)
            tokens.append(main)
            comps.append(composition(side, [i]))
            continue
        for ops in parts:
            owners.append(i)
            tokens.append(primary_op(ops) or main)
            comps.append(frozenset(ops) - COMPOSITION_IGNORED)
    return owners, tokens, comps


Groups = list[tuple[list[int], list[int]]]


def order_and_type_groups(a: _Side, b: _Side, core_a: list[int], core_b: list[int],
                          token: Callable[[_Side, int], str], max_cells: int,
                          window: int) -> tuple[Groups, list[int], list[int]]:
    """(paired groups in A's execution order, unpaired A layers, unpaired B layers). The tokens align by
    :func:`seqmatch.aligned_opcodes`: the most equal tokens paired, then, among those alignments, the most
    pairs whose op-kind compositions are equal too (``Conv + Relu`` with ``conv2d + relu``, not with a
    neighbouring ``Conv + Add + Relu``, whichever engine is A), then the fewest gaps; exact up to
    ``max_cells`` token pairs, then window by window (``window`` tokens)."""
    own_a, ta, ca = _expand(a, core_a, token)
    own_b, tb, cb = _expand(b, core_b, token)
    codes = seqmatch.aligned_opcodes(ta, tb, ca, cb, max_cells=max_cells, window=window)
    uf = _Union()
    paired: set[tuple[int, int]] = set()
    for x, y in _links(codes, own_a, ta, own_b, tb):
        uf.union(x, y)
        paired.update((x, y))
    comps: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
    for node in sorted(paired):
        la, lb = comps.setdefault(uf.find(node), ([], []))
        (la if node[0] == 0 else lb).append(node[1])
    groups = sorted((sorted(set(la)), sorted(set(lb))) for la, lb in comps.values())
    rest_a = [i for i in core_a if (0, i) not in paired]
    rest_b = [j for j in core_b if (1, j) not in paired]
    _absorb_neighbours(a, b, core_a, core_b, groups, rest_a, rest_b)
    return groups, rest_a, rest_b


Node = tuple[int, int]       # (0 for A / 1 for B, layer position)


def _links(codes: Sequence[seqmatch.Opcode], own_a: list[int], ta: list[str], own_b: list[int],
           tb: list[str]) -> list[tuple[Node, Node]]:
    """The layer links the opcodes make: each ``equal`` token pair; a ``replace`` between two pairs (a run of
    each side with nothing equal) is one re-partition, all its layers linked, its standalone Q/DQ layers left
    out (:data:`QDQ_TOKENS`). A run before the first pair or after the last is not between anchors: nothing
    says its layers are one re-partition (after the last pair it is whatever each engine has left: an
    engine's extra blocks), so its layers pair one to one from the pair it touches outwards, as far as the
    shorter run goes, and the rest stay unpaired."""
    equal = [k for k, op in enumerate(codes) if op[0] == "equal"]
    first, last = (equal[0], equal[-1]) if equal else (len(codes), len(codes))
    links: list[tuple[Node, Node]] = []
    for k, (tag, i1, i2, j1, j2) in enumerate(codes):
        if tag == "equal":
            links.extend(((0, own_a[i]), (1, own_b[j])) for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
        if tag != "replace":
            continue
        run_a = [(0, own_a[i]) for i in range(i1, i2) if ta[i] not in QDQ_TOKENS]
        run_b = [(1, own_b[j]) for j in range(j1, j2) if tb[j] not in QDQ_TOKENS]
        if not run_a or not run_b:
            continue
        if first < k < last:
            links.extend((run_a[0], x) for x in [*run_a[1:], *run_b])
        elif k < first:             # before the first pair: outwards from it is backwards
            links.extend(zip(run_a[::-1], run_b[::-1], strict=False))
        else:
            links.extend(zip(run_a, run_b, strict=False))
    return links


def _absorb_neighbours(a: _Side, b: _Side, core_a: list[int], core_b: list[int],
                       groups: list[tuple[list[int], list[int]]], rest_a: list[int], rest_b: list[int]) -> None:
    """A group lacking op kinds the other side has takes in its unpaired neighbours (in execution order)
    whose op kinds are all among the missing ones: ``Conv + Add + Relu`` vs ``conv2d_109`` then
    ``add_30 + relu_100``. Updates ``groups`` and the rest lists in place."""
    free_a, free_b = set(rest_a), set(rest_b)
    pos_a = {i: n for n, i in enumerate(core_a)}
    pos_b = {j: n for n, j in enumerate(core_b)}
    for la, lb in groups:
        if not composition_differs(a, la, b, lb):
            continue
        _take(b, core_b, pos_b, lb, free_b, composition(a, la) - composition(b, lb))
        _take(a, core_a, pos_a, la, free_a, composition(b, lb) - composition(a, la))
    rest_a[:] = [i for i in rest_a if i in free_a]
    rest_b[:] = [j for j in rest_b if j in free_b]


def _take(side: _Side, core: list[int], pos: dict[int, int], members: list[int], free: set[int],
          missing: frozenset[str]) -> None:
    """Move free neighbours of ``members`` (just after the last, then just before the first, repeatedly)
    whose op kinds are all in ``missing`` into ``members``."""
    while missing:
        after = pos[members[-1]] + 1
        before = pos[members[0]] - 1
        for p in (after, before):
            if 0 <= p < len(core) and core[p] in free:
                ops = composition(side, [core[p]])
                if ops and ops <= missing:
                    free.discard(core[p])
                    members.append(core[p])
                    members.sort(key=pos.__getitem__)
                    missing = missing - ops
                    break
        else:
            return

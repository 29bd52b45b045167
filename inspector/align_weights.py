"""Weights as pairing evidence: two layers of A and B that execution order paired crosswise (pure).

Execution order is weak evidence where a build reorders siblings. The A100 ResNet-18 FP16 engine runs each
downsampling block as ``Conv_37`` (``layer4.0.conv2``, 3x3, 2,359,296 weights) then ``Conv_38 + Add_39 + Relu_40``
(the 1x1 downsample, 131,072 weights, with the residual add); the QAT ``qat-residual-qgap`` engine runs the
downsample first and fuses the add into ``conv2``. Paired k-th with k-th, the 1x1 downsample was compared with
the 3x3 ``conv2`` (+123%) and ``conv2`` with the downsample (-79%). The kernel shape, stride, output maps,
groups and weight count of a layer's weights (the engine layer JSON's ``Kernel`` / ``Stride`` / ``OutMaps`` /
``Groups`` / ``Weights.Count``; the same in every precision) are what the ONNX node computes, whatever the
exporter named it or where the build placed it: :func:`uncross` swaps two 1->1 pairs whose weights match only
crosswise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trtinspect.inspector.align_side import _Side

__all__ = ["REPAIRABLE", "SWAP_REACH", "uncross", "weight_signature"]

# Methods whose pairs rest on order or shape alone, so weights may overrule them (never shared source nodes)
REPAIRABLE = frozenset({"order-and-type", "structural"})
# How far apart (in A's execution order, pairs whose weights differ) two crossed pairs may be
SWAP_REACH = 4


def weight_signature(attrs: Any, ptype: str) -> tuple[Any, ...] | None:
    """(parameter type, kernel, stride, output maps, groups, weight count) of a layer's weights, None when its
    layer JSON records no weights (names-only inputs, layers without weights)."""
    if not isinstance(attrs, Mapping):
        return None
    weights = attrs.get("Weights")
    count = weights.get("Count") if isinstance(weights, Mapping) else None
    if not isinstance(count, int) or count <= 0:
        return None
    return (ptype, _plain(attrs.get("Kernel")), _plain(attrs.get("Stride")), attrs.get("OutMaps"),
            attrs.get("Groups"), count)


def _plain(v: Any) -> Any:
    return tuple(v) if isinstance(v, (list, tuple)) else v


def _signatures(side: _Side, rows: list[int]) -> dict[int, tuple[Any, ...] | None]:
    if "attributes" not in side.frame.columns:
        return dict.fromkeys(rows)
    attrs = side.frame["attributes"].tolist()     # a missing value is no Mapping: no signature
    return {i: weight_signature(attrs[i], side.ptype[i]) for i in rows}


def uncross(a: _Side, b: _Side, groups: dict[int, tuple[list[int], list[int]]],
            method_a: list[str], method_b: list[str]) -> list[tuple[int, int, int, int]]:
    """Swap, in place, the B layers of two 1->1 groups paired by order or shape (``REPAIRABLE``) whose weights
    differ but match crosswise (A's i1 has B's j2's weights and i2 has j1's), at most ``SWAP_REACH`` such
    groups apart in A's execution order. Returns the (i1, j1, i2, j2) positions swapped (for the notes)."""
    single = [(gid, la[0], lb[0]) for gid, (la, lb) in groups.items()
              if len(la) == 1 and len(lb) == 1 and method_a[la[0]] in REPAIRABLE and method_b[lb[0]] in REPAIRABLE]
    if len(single) < 2:
        return []
    sig_a = _signatures(a, [i for _, i, _ in single])
    sig_b = _signatures(b, [j for _, _, j in single])
    odd = sorted((i, gid, j) for gid, i, j in single
                 if sig_a[i] is not None and sig_b[j] is not None and sig_a[i] != sig_b[j])
    swapped: list[tuple[int, int, int, int]] = []
    done: set[int] = set()
    for k, (i1, g1, j1) in enumerate(odd):
        if g1 in done:
            continue
        for i2, g2, j2 in odd[k + 1:k + 1 + SWAP_REACH]:
            if g2 not in done and sig_a[i1] == sig_b[j2] and sig_a[i2] == sig_b[j1]:
                groups[g1], groups[g2] = ([i1], [j2]), ([i2], [j1])
                done.update((g1, g2))
                swapped.append((i1, j1, i2, j2))
                break
    return swapped

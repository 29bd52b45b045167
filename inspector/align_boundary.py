"""Layers that read and write the same tensors: one group, whatever TensorRT built them as (pure).

TensorRT 10 may build a part of a network as separate layers in one engine and as one Myelin
``{ForeignNode[first...last]}`` in another. The H100 ``model-trained.onnx`` logs (``trt10.16-h100``) show both:
the FP32 build (``result-04.log``) runs ``node_linear_myl4_0`` (a gemm) and four Myelin ``kgen`` kernels; the
``--fp16 --noTF32`` build (``result-02.log``) runs one ``{ForeignNode[gemm2.bias + ONNXTRT_Broadcast_4...
ONNXTRT_castHelper_9]}``. No ONNX source node names them alike (Myelin renames the nodes it takes in), but
both read ``max_pool2d_1`` and write the network outputs ``y`` and ``z``: the same work, fused differently.
:func:`boundary_pairs` pairs such runs of leftover layers (kind ``fused`` / ``split`` / ``repartitioned``,
method ``tensor-boundary``).

A run is a connected set of leftover layers (producer/consumer edges); its inputs are the tensors its layers
read that none of them writes, its outputs the tensors they write that none of them reads. A copy reformat's
output is read as the tensor it copies (``Reformatted Input Tensor 0 to {ForeignNode[...]}`` is
``max_pool2d``). Two runs pair when their inputs are equal and not empty, they share an output, and no other
run of either side has those inputs. Only where Myelin layers are among the leftovers (:func:`boundary_pairs`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from trtinspect.inspector.align_side import _seq, _Side

__all__ = ["TENSOR_BOUNDARY", "boundary_pairs"]

TENSOR_BOUNDARY = "tensor-boundary"

Run = tuple[list[int], frozenset[str], frozenset[str]]


def _names(tensors: Any) -> list[str]:
    return [str(t["name"]) for t in _seq(tensors) if isinstance(t, dict) and t.get("name")]


def _copied(side: _Side) -> dict[str, str]:
    """Output tensor of each copy reformat -> the tensor it copies."""
    ins, outs = side.io()
    out: dict[str, str] = {}
    for i, served in enumerate(side.served):
        if served is not None:
            src = _names(ins[i])
            for name in _names(outs[i]):
                if len(src) == 1:
                    out[name] = src[0]
    return out


def _runs(side: _Side, rest: list[int]) -> list[Run]:
    """Connected runs of ``rest`` with their input and output tensor names."""
    left = set(rest)
    ins, outs = side.io()
    copied = _copied(side)
    runs: list[Run] = []
    seen: set[int] = set()
    for start in rest:
        if start in seen:
            continue
        run, todo = [], [start]
        seen.add(start)
        while todo:
            i = todo.pop()
            run.append(i)
            for n in side.neighbours(i) & left:
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        run.sort()
        read = {copied.get(t, t) for i in run for t in _names(ins[i])}
        wrote = {t for i in run for t in _names(outs[i])}
        runs.append((run, frozenset(read - wrote), frozenset(wrote - read)))
    return runs


def _myelin(side: _Side, rest: list[int]) -> bool:
    """Whether a leftover layer is Myelin's: a ``{ForeignNode[...]}``, or a kernel Myelin named (``__myl_...``,
    ``node_linear_myl4_0``)."""
    names, ptypes = side.names, side.ptype
    return any(ptypes[i] == "Myelin" or "_myl" in names[i] or "{ForeignNode[" in names[i] for i in rest)


def boundary_pairs(a: _Side, b: _Side, rest_a: list[int], rest_b: list[int]) -> list[tuple[list[int], list[int]]]:
    """Runs of ``rest_a`` and ``rest_b`` (leftover core layers) that do the same work (module doc). Looked for
    only where a leftover layer on either side is Myelin's (Myelin renames the nodes it takes in, so the steps
    before find no names in common; other leftovers were left by them on purpose): an engine without Myelin
    layers pays nothing."""
    if not rest_a or not rest_b or not (_myelin(a, rest_a) or _myelin(b, rest_b)):
        return []
    runs_a, runs_b = _runs(a, rest_a), _runs(b, rest_b)
    count_a = Counter(ins for _, ins, _ in runs_a)
    count_b = Counter(ins for _, ins, _ in runs_b)
    by_inputs = {ins: (run, outs) for run, ins, outs in runs_b if count_b[ins] == 1}
    pairs = []
    for run_a, ins, outs in runs_a:
        hit = by_inputs.get(ins)
        if ins and count_a[ins] == 1 and hit is not None and outs & hit[1]:
            pairs.append((run_a, hit[0]))
    return pairs

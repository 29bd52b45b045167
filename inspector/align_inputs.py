"""Engine-input conversions for the aligner (pure): the layer of each engine that converts an engine input.

An engine input arrives in the format and precision the build set for it (FP32 linear unless
``--inputIOFormats`` says otherwise). The first layer that needs another form gets a conversion in front of
it: an FP16 build inserts a copy reformat (``Reformatting CopyNode for Input Tensor 0 to Conv_0 + Relu_1``,
FP32 -> FP16 NHWC4), a Q/DQ build runs the network's input ``QuantizeLinear`` as a standalone reformat
(FP32 -> INT8). Both do the same job, so :func:`input_conversion_pairs` pairs them as one group, and the
layer each serves pairs with its own counterpart (the FP16 ``Conv_0 + Relu_1`` with the INT8 ``Conv_9``);
without it the copy reformat follows its convolution (``served``), the convolution's time absorbs it and the
quantize reads as a layer the other engine lacks.

Only the case the other steps get wrong is handled: a copy reformat (served) on one side and a standalone
conversion (a ``Reformat`` layer of its own) on the other. When both sides convert the same way, the usual
steps already pair them (two copy reformats follow their paired layers; two quantize layers pair by name or
order).
"""

from __future__ import annotations

from typing import Any

from trtinspect.inspector.align_side import _col, _Side

__all__ = ["INPUT_CONVERSION", "input_conversion_pairs"]

INPUT_CONVERSION = "input-conversion"      # the members' method of a paired engine-input conversion

_COPY_INPUT = "Reformatting CopyNode for Input Tensor "


def input_conversion_pairs(a: _Side, b: _Side) -> list[tuple[int, int]]:
    """(A position, B position) of each engine-input conversion of A paired with B's conversion of the same
    input (same tensor name; else the only one of each side), where one of the two is a copy reformat serving
    a layer and the other a standalone reformat. Nothing is changed here; :func:`detach` is the caller's step."""
    copies_a, copies_b = _copy_candidates(a), _copy_candidates(b)
    if not copies_a and not copies_b:
        return []
    conv_a, conv_b = _conversions(a, copies_a), _conversions(b, copies_b)
    pairs: list[tuple[int, int]] = []
    left_a = dict(conv_a)
    left_b = dict(conv_b)
    for name, i in conv_a.items():
        j = conv_b.get(name)
        if j is not None:
            pairs.append((i, j))
            del left_a[name], left_b[name]
    if len(left_a) == 1 and len(left_b) == 1:      # the one input, named differently by each export
        pairs.append((next(iter(left_a.values())), next(iter(left_b.values()))))
    return sorted((i, j) for i, j in pairs if (a.served[i] is None) != (b.served[j] is None))


def detach(side: _Side, i: int) -> None:
    """Make copy reformat ``i`` a layer of its own (it no longer follows the layer it serves)."""
    side.served[i] = None


def _copy_candidates(side: _Side) -> list[int]:
    """Positions of the copy reformats serving a layer's input (the ones an engine input may feed)."""
    return [i for i, (name, s) in enumerate(zip(side.names, side.served, strict=True))
            if s is not None and name.startswith(_COPY_INPUT)]


def _conversions(side: _Side, copies: list[int]) -> dict[str, int]:
    """Engine input tensor name -> the position of the first layer converting it: a copy reformat of
    ``copies`` or a standalone ``Reformat`` layer (a quantize of the input) that reads one tensor no layer
    produces (its producers are known and empty). Layers whose tensors are unknown (names-only) are never
    conversions."""
    producers = _col(side.frame, "producers", None)
    ins, _ = side.io()
    standalone = [i for i, (s, p) in enumerate(zip(side.served, side.ptype, strict=True))
                  if s is None and p == "Reformat" and _no_producer(producers[i])]
    out: dict[str, int] = {}
    for i in sorted([*copies, *standalone]):
        if not _no_producer(producers[i]):
            continue
        name = _one_input_name(ins[i])
        if name is not None and name not in out:
            out[name] = i
    return out


def _no_producer(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) == 0


def _one_input_name(tensors: Any) -> str | None:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != 1 or not isinstance(tensors[0], dict):
        return None
    name = tensors[0].get("name")
    return name if isinstance(name, str) and name else None

"""Facts the precision and cause lint rules share (``rules_precision``, ``rules_causes``), each built once per
:class:`LintContext` by the first rule that asks, in passes over whole columns rather than per finding:

* which rows are INT8 convolutions writing float (:func:`int8_float_writers`) and what writing INT8 would
  save on each (:func:`int8_savings`, the same number as :meth:`LintContext.int8_write_saving`);
* which rows read a float tensor as a non-first input (:func:`residual_inputs`), and which of those read a
  float writer's output (:func:`residual_readers`);
* the float layers between INT8 layers (:func:`fallbacks`);
* the build-log warnings per layer name (:func:`warnings_for`).

tests/test_fast_paths_lintprec.py compares each with its per-row definition.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from operator import itemgetter
from typing import Any, Protocol, TypeVar, cast

import numpy as np

from trtinspect.inspector import precision as prec
from trtinspect.inspector.rules_base import DTYPE_BYTES, MAX_ELEMENTS, Finding, LintContext, tensor_bytes
from trtinspect.parsers.device import bandwidth_unknown
from trtinspect.parsers.formats import stored_elements, vector_layout

_T = TypeVar("_T")
FLOAT = prec.FLOAT_PRECISIONS
QUANT = prec.QUANTIZED_PRECISIONS
Neighbours = list[tuple[int, list[int]]]  # what LintContext.next_compute returns: (row, passthrough rows between)
FallbackParts = tuple[Neighbours, Neighbours, list[int], list[int]]


def shared(ctx: LintContext, key: str, build: Callable[[LintContext], _T]) -> _T:
    """What ``build(ctx)`` returns, built once per context (several rules ask for the same rows)."""
    cache = ctx.rule_cache
    if key not in cache:
        cache[key] = build(ctx)
    return cast(_T, cache[key])


def flags(values: Sequence[str], allowed: frozenset[str]) -> list[bool]:
    """``[v in allowed for v in values]``, decided once per distinct value."""
    table = {v: v in allowed for v in set(values)}
    return list(map(table.__getitem__, values))


def _precision_flags(ctx: LintContext) -> tuple[list[bool], list[bool], list[bool]]:
    return flags(ctx.precision, FLOAT), flags(ctx.precision, QUANT), flags(ctx.output_precision, FLOAT)


def precision_flags(ctx: LintContext) -> tuple[list[bool], list[bool], list[bool]]:
    """Per row: precision is float, precision is quantized, output precision is float (once per context)."""
    return shared(ctx, "precision_flags", _precision_flags)


# ------------------------------------------------------------------------------------------- INT8 writers
def int8_float_writers(ctx: LintContext) -> list[int]:
    """INT8 convolutions/GEMMs whose output precision is float, in row order (once per context)."""
    return shared(ctx, "int8_float_writers", _int8_float_writers)


def _int8_float_writers(ctx: LintContext) -> list[int]:
    _, quant, out_float = precision_flags(ctx)
    conv = ctx.is_conv
    return [r for r in compress(range(ctx.n), quant) if out_float[r] and conv(r)]


def int8_savings(ctx: LintContext) -> dict[int, float]:
    """:meth:`LintContext.int8_write_saving` of every :func:`int8_float_writers` row (the only rows the rules
    ask it for), in one loop over their tensors (once per context)."""
    return shared(ctx, "int8_savings", _int8_savings)


BYTES_ESTIMATE = (
    "the bytes the convolution no longer moves when it writes INT8 and reads the residual in INT8 (1 byte per "
    "element instead of 2 or 4, each tensor counted as TensorRT stores it: channels padded to its vectorised "
    "format's multiple) at the GPU's peak memory bandwidth, at most its own time: an estimate from bytes, not "
    "measured, counting only the bytes not written (a compute-bound kernel, or a tensor that stays in L2, saves "
    "less; it is a lower bound when the float output also made TensorRT pick a slower kernel, which an INT8 "
    "output would not need)"
)


def bytes_method(ctx: LintContext, method: str) -> str | None:
    """A rule's cost method (``method``) whose float-write part is :data:`BYTES_ESTIMATE`, with the bandwidth
    this engine's estimate used, or saying that part is not estimated because the bandwidth is unknown; None
    without a per-layer profile (lint then says the costs are unknown for that reason)."""
    if not ctx.has_profile:
        return None
    bw = ctx.memory_bandwidth
    if bw is None:
        return (f"{method}; the GPU's memory bandwidth is unknown ({bandwidth_unknown(ctx.bundle.device or {})}): "
                "the float-write traffic is not estimated")
    return f"{method}; bandwidth: {bw[1]}"


RESIDUAL_COST = (
    "the standalone Quantize layers' time (they go away) plus, per convolution, " + BYTES_ESTIMATE + "; for a "
    "fallback layer, as int8-fallback counts it: its conversion layers plus its INT8 producers' float-write "
    "bytes (the layer itself is not counted)"
)
FALLBACK_COST = (
    "the conversion layers around it (reformat, Q/DQ), which go away once it runs in INT8, plus, for each INT8 "
    "producer writing float, " + BYTES_ESTIMATE + "; the layer itself keeps running (an INT8 kernel may be "
    "faster too: not estimated)"
)
FLOAT_OUTPUT_COST = (
    "the re-quantize layers that go away, plus " + BYTES_ESTIMATE + "; the convolution itself keeps running"
)


def bytes_evidence(ctx: LintContext, saving: dict[int, float], rows: Sequence[int]) -> dict[str, Any]:
    """Evidence of the part of a finding's saving estimated from bytes (``rows``' entries of ``saving``) and
    the bandwidth it used (None: unknown, that part not estimated); ``bytes_not_estimated`` names the timed rows
    whose tensor bytes are unknown (:func:`add_bytes_savings` left them out), only when there are some."""
    bw = ctx.memory_bandwidth
    part = math.fsum(v for r in rows if r in saving and not math.isnan(v := saving[r]))
    out: dict[str, Any] = {"saving_from_bytes_ms": part if bw is not None else None,
                           "memory_bandwidth": bw[1] if bw is not None else None}
    unknown = [r for r in rows if r not in saving and bytes_unknown(ctx, r)] if bw is not None else []
    if unknown:
        out["bytes_not_estimated"] = [_unknown_tensor(ctx, r) for r in unknown]
    return out


def bytes_unknown(ctx: LintContext, r: int) -> bool:
    """Row ``r`` is timed but its float-write bytes are unknown (a tensor shape with a dynamic dimension, -1, or
    none, or an element type of unknown size): that part of a saving cannot be estimated."""
    return not math.isnan(ctx.avg_ms[r]) and math.isnan(int8_saving(ctx, r))


def add_bytes_savings(ctx: LintContext, saving: dict[int, float], rows: Sequence[int]) -> None:
    """``saving[u]`` = the float-write bytes estimate of each row ``u`` (:func:`int8_saving`), for a finding whose
    cost includes them; a timed row whose bytes are unknown is left out, so the measured rest of the cost stays
    (its bytes part is named in the evidence, :func:`bytes_evidence`); an untimed row stays NaN (cost unknown)."""
    known, avg = int8_savings(ctx), ctx.avg_ms
    for u in rows:
        v = known.get(u)
        if v is None:
            v = ctx.int8_write_saving(u)
        if v == v or avg[u] != avg[u]:  # not bytes_unknown(ctx, u): bytes known, or the row untimed
            saving[u] = v


def _unknown_tensor(ctx: LintContext, r: int) -> dict[str, Any]:
    """The layer and its first tensor whose bytes are unknown, with the shape and why."""
    for tensor in [*ctx.inputs[r], *ctx.outputs[r]]:
        shape = tensor.get("shape")
        n = _elements(shape)
        if n >= 0 and DTYPE_BYTES.get(str(tensor.get("dtype") or "")) is not None:
            continue
        lowest = min(shape) if isinstance(shape, list) and shape and n < 0 else 0
        why = (f"a dynamic dimension ({lowest}), resolved at run time" if lowest < 0 else
               "no shape" if not isinstance(shape, list) or not shape else
               "beyond any real tensor" if n < 0 else f"element type {tensor.get('dtype')!s} of unknown size")
        return {"layer": ctx.names[r], "tensor": tensor.get("name"), "shape": shape, "why": why}
    return {"layer": ctx.names[r], "tensor": None, "shape": None, "why": "sizes unknown"}


def int8_saving(ctx: LintContext, r: int) -> float:
    """:meth:`LintContext.int8_write_saving` of row ``r``, from :func:`int8_savings` when it holds it."""
    got = int8_savings(ctx).get(r)
    return ctx.int8_write_saving(r) if got is None else got


class _Sizes(dict[Any, "int | None"]):
    """dtype -> element size in bytes (``DTYPE_BYTES`` of its text), each dtype looked up once."""

    def __missing__(self, dtype: Any) -> int | None:
        size = self[dtype] = DTYPE_BYTES.get(str(dtype or ""))
        return size


def _int8_savings(ctx: LintContext) -> dict[int, float]:
    """:func:`int8_savings`: from the one pass over the convolutions' tensors (:func:`conv_tensors`) when the
    graph parser made them, else :func:`_general_savings`."""
    got = conv_tensors(ctx)
    return got.savings if got is not None else _general_savings(ctx, int8_float_writers(ctx))


def _general_savings(ctx: LintContext, rows: list[int]) -> dict[int, float]:
    """One pass over the writers' tensors (inputs, then outputs), each read once: its bytes (stored element
    count x element size, both read as :func:`tensor_bytes` reads them) and the bytes it would move in INT8 (a
    float non-first input or float output: one byte per element), in the order
    :meth:`LintContext.int8_write_saving` adds them, so the same floats. The usual tensor (a list of ints >= 0)
    is counted inline, its layout's vector looked up once per distinct layout; any other goes through
    :func:`_stored`."""
    avg, inputs, outputs, weights = ctx.avg_ms, ctx.inputs, ctx.outputs, ctx.weights_bytes
    sizes, vectors = _Sizes(), _Vectors()
    out: dict[int, float] = {}
    nan, prod = math.nan, math.prod
    for r in rows:
        t = avg[r]
        if t != t:  # NaN: untimed
            out[r] = nan
            continue
        ins, outs = inputs[r], outputs[r]
        k = len(ins)  # tensors from the k-th on are outputs
        try:
            before = after = 0.0
            for i, tensor in enumerate(chain(ins, outs) if outs else ins):
                dtype = tensor.get("dtype")
                size = sizes[dtype]
                shape = tensor.get("shape")
                if shape.__class__ is list and shape and min(shape) >= 0 and (n := prod(shape)).__class__ is int \
                        and n <= MAX_ELEMENTS:
                    vec = vectors[tensor.get("layout")] if n else None  # stored_elements, inline
                    if vec is not None and len(shape) >= vec[1]:
                        c = shape[-vec[1]]
                        padded = -(-c // vec[0]) * vec[0]
                        n = n if padded == c else n // c * padded
                else:
                    n = _stored(tensor)
                if n < 0 or size is None:
                    raise _Unknown
                b = float(n * size)
                before += b
                after += float(n) if n and (i > 0 or i >= k) and dtype in FLOAT else b  # not the first input
        except _Unknown:
            out[r] = nan
            continue
        except TypeError:  # an unhashable dtype or layout, a dimension that is no number: as the general code
            out[r] = ctx.int8_write_saving(r)
            continue
        w = weights[r]
        if w == w:
            before += w
            after += w
        out[r] = ctx.bytes_saving_ms(before - after, t) if before > 0 else nan
    return out


class _Vectors(dict[Any, "tuple[int, int] | None"]):
    """layout -> :func:`~trtinspect.parsers.formats.vector_layout` (None: not a str, stored unpadded), each
    layout looked up once."""

    def __missing__(self, layout: Any) -> tuple[int, int] | None:
        vec = self[layout] = vector_layout(layout) if isinstance(layout, str) else None
        return vec


def _stored(tensor: dict[str, Any]) -> int:
    """Elements of a tensor as TensorRT stores it (:func:`~trtinspect.parsers.formats.stored_elements` of
    :func:`_elements`), else -1."""
    shape = tensor.get("shape")
    n = _elements(shape)
    return stored_elements(cast(list[int], shape), n, tensor.get("layout")) if n > 0 else n


class _Unknown(Exception):
    """A tensor whose bytes are unknown (no shape, no element size): the saving is NaN."""


def _elements(shape: Any) -> int:
    """Element count of a tensor shape (a non-empty list of ints >= 0, bools counting as ints, as
    :func:`tensor_bytes` reads it), else -1. ``min`` and ``math.prod`` do the loop: a shape holding anything
    but numbers makes ``min`` raise, one holding a float (or NaN) gives a product that is not an int."""
    if not isinstance(shape, list) or not shape:
        return -1
    try:
        if min(shape) < 0:
            return -1
    except TypeError:  # None, text, a list... among the dimensions
        return -1
    n = math.prod(shape)
    return n if type(n) is int and n <= MAX_ELEMENTS else -1   # beyond any real tensor: unknown, as tensor_bytes


# ------------------------------------------------------------------------------------------- convolution tensors
@dataclass(slots=True)
class ConvTensors:
    """What the rules read of the convolutions' tensors (:func:`conv_tensors`)."""

    savings: dict[int, float]  # :func:`int8_savings`
    residual: dict[int, set[Any]]  # :func:`residual_inputs`
    residual_dtype: dict[int, str]  # :func:`residual_dtypes`
    out_names: dict[int, Any]  # each float writer -> its one output's name, else the set of its outputs' names
    in_channels: list[int | None]  # per LintContext.conv_rows entry: dimension 1 of its first input's shape
    out_channels: list[int | None]  # ... and of its first output's shape (None: no such tensor or dimension)


def conv_tensors(ctx: LintContext) -> ConvTensors | None:
    """One pass over the tensors of every convolution (:attr:`LintContext.conv_rows`) reading, while each
    tensor is in the CPU cache, all that the rules ask of it (tens of thousands of tensor dicts: reading
    them costs more than the arithmetic); once per context. Only for tensors as the graph parser makes them
    (:attr:`LintContext.parsed_tensors`): None otherwise."""
    return shared(ctx, "conv_tensors", _conv_tensors) if ctx.parsed_tensors else None


class _TensorBytes(dict[tuple[Any, ...], "tuple[float, float] | None"]):
    """(shape as a tuple, dtype, layout) -> (bytes of the tensor, bytes it would move in INT8 where it is not
    the first input: one byte per element if its dtype is float, else its bytes), computed by
    :func:`tensor_bytes` once per distinct key; None when its bytes are unknown."""

    def __missing__(self, key: tuple[Any, ...]) -> tuple[float, float] | None:
        tensor = {"shape": list(key[0]), "dtype": key[1], "layout": key[2]}
        b = tensor_bytes(tensor)
        got = self[key] = None if b is None else (
            b, (tensor_bytes(tensor, "INT8") or b) if prec.is_float(key[1]) else b)
        return got


def _conv_tensors(ctx: LintContext) -> ConvTensors:
    """:func:`conv_tensors`: a parser-made ``shape`` is None or a list of ints, ``dtype``, ``layout`` and
    ``name`` are str or None, every key present. The INT8 saving of a float writer (
    :meth:`LintContext.int8_write_saving`) adds each tensor's bytes, looked up by its (shape, dtype, layout) and
    sized once per distinct one (:class:`_TensorBytes`; an engine has few), in the same order: the same floats."""
    writer = [False] * ctx.n
    for r in int8_float_writers(ctx):
        writer[r] = True
    avg, inputs, outputs, weights, bw = ctx.avg_ms, ctx.inputs, ctx.outputs, ctx.weights_bytes, ctx.memory_bandwidth
    sizes = _TensorBytes()
    got = ConvTensors({}, {}, {}, {}, [], [])
    savings, residual, residual_dtype, out_names = got.savings, got.residual, got.residual_dtype, got.out_names
    in_channel, out_channel = got.in_channels.append, got.out_channels.append
    nan, float_types = math.nan, FLOAT
    for r in ctx.conv_rows:
        ins, outs = inputs[r], outputs[r]
        shape = ins[0]["shape"] if ins else None
        in_channel(shape[1] if shape is not None and len(shape) >= 2 else None)
        if len(ins) == 2:  # the usual fused Add: one residual input
            x = ins[1]
            if (dtype := x["dtype"]) in float_types:
                residual[r], residual_dtype[r] = {x["name"]}, dtype
        elif len(ins) > 2 and (floats := [x for x in ins[1:] if x["dtype"] in float_types]):
            residual[r], residual_dtype[r] = {x["name"] for x in floats}, floats[0]["dtype"]
        shape = outs[0]["shape"] if outs else None
        out_channel(shape[1] if shape is not None and len(shape) >= 2 else None)
        if not writer[r]:
            continue
        out_names[r] = outs[0]["name"] if len(outs) == 1 else {x["name"] for x in outs}
        t = avg[r]
        if t != t or bw is None:  # untimed, or the bandwidth unknown: NaN (LintContext.bytes_saving_ms)
            savings[r] = nan
            continue
        try:  # the first input moves its own bytes either way, every later tensor its INT8 bytes after
            before = after = 0.0
            if ins:
                x = ins[0]
                before = after = sizes[(tuple(x["shape"]), x["dtype"], x["layout"])][0]  # type: ignore[index]
            for x in (outs if len(ins) <= 1 else ins[1:] + outs):
                b = sizes[(tuple(x["shape"]), x["dtype"], x["layout"])]
                before += b[0]  # type: ignore[index]  # None (bytes unknown): TypeError
                after += b[1]  # type: ignore[index]
        except TypeError:  # no shape (tuple(None)), or bytes unknown (None[0])
            savings[r] = nan
            continue
        w = weights[r]
        if w == w:
            before += w
            after += w
        savings[r] = min((before - after) / bw[0] * 1e3, t) if before > 0 else nan
    return got


# ------------------------------------------------------------------------------------------- residual inputs
def residual_inputs(ctx: LintContext) -> dict[int, set[Any]]:
    """Convolutions (:meth:`LintContext.is_conv`: the only readers the rules ask about) with float non-first
    inputs (the residual input of a fused Add) -> the names of those inputs (once per context)."""
    return shared(ctx, "residual_inputs", _residual_inputs)


def _residual_inputs(ctx: LintContext) -> dict[int, set[Any]]:
    got = conv_tensors(ctx)
    if got is not None:
        return got.residual
    out: dict[int, set[Any]] = {}
    inputs, conv = ctx.inputs, ctx._conv
    several = [r for r in np.flatnonzero(ctx.n_inputs > 1).tolist() if conv[r]]
    for r in several:
        ins = inputs[r]
        if len(ins) == 2:  # the usual fused Add: one residual input, read without a set comprehension
            t = ins[1]
            if t.get("dtype") in FLOAT:
                out[r] = {t.get("name")}
            continue
        names = {t.get("name") for t in ins[1:] if t.get("dtype") in FLOAT}
        if names:
            out[r] = names
    return out


def residual_dtypes(ctx: LintContext) -> dict[int, str]:
    """Each of :func:`residual_inputs` -> the dtype of its first float non-first input (once per context)."""
    got = conv_tensors(ctx)
    return got.residual_dtype if got is not None else shared(ctx, "residual_dtypes", lambda c: {
        r: next(str(t.get("dtype")) for t in c.inputs[r][1:] if t.get("dtype") in FLOAT) for r in residual_inputs(c)})


def residual_readers(ctx: LintContext) -> dict[int, list[int]]:
    """Each of :func:`int8_float_writers` -> its direct consumers that are convolutions reading its output in
    float as a non-first input (the residual input of their fused Add); once per context."""
    return shared(ctx, "residual_readers", _residual_readers)


def _residual_readers(ctx: LintContext) -> dict[int, list[int]]:
    rows = int8_float_writers(ctx)
    if not ctx.has_edges:
        return {r: [] for r in rows}
    index, consumers, outputs, conv = residual_inputs(ctx), ctx.consumers, ctx.outputs, ctx._conv
    read = conv_tensors(ctx)
    written = read.out_names if read is not None else None
    out: dict[int, list[int]] = {}
    for r in rows:
        cs = consumers[r]
        found = [c for c in cs if c in index] if len(cs) != 1 else cs if cs[0] in index else []
        if found:
            if written is not None:  # the output names conv_tensors read
                mine = written[r]
                if mine.__class__ is set:
                    found = [c for c in found if not mine.isdisjoint(index[c]) and conv[c]]
                else:
                    found = [c for c in found if mine in index[c] and conv[c]]
                out[r] = found
                continue
            outs = outputs[r]
            if len(outs) == 1:  # one tensor written: is it among the reader's residual inputs?
                name = outs[0].get("name")
                found = [c for c in found if name in index[c] and conv[c]]
            else:
                names = {t.get("name") for t in outs}
                found = [c for c in found if not names.isdisjoint(index[c]) and conv[c]]
        out[r] = found
    return out


def reads_residual(ctx: LintContext, producer: int, consumer: int) -> bool:
    """Whether ``consumer`` reads one of ``producer``'s output tensors in float as a non-first input (the
    residual input of a fused Add): ``reads_float(ctx, producer, consumer, non_first=True)``, from a
    per-context index of the convolutions that have such inputs (another consumer is read directly)."""
    if not ctx._conv[consumer]:
        return reads_float(ctx, producer, consumer, non_first=True)
    names = residual_inputs(ctx).get(consumer)
    return names is not None and any(t.get("name") in names for t in ctx.outputs[producer])


def reads_float(ctx: LintContext, producer: int, consumer: int, *, non_first: bool = False) -> bool:
    """Whether ``consumer`` reads one of ``producer``'s output tensors in a float precision."""
    mine = {t.get("name") for t in ctx.outputs[producer]}
    return any(
        (i > 0 or not non_first) and t.get("name") in mine and prec.is_float(t.get("dtype"))
        for i, t in enumerate(ctx.inputs[consumer])
    )


# ------------------------------------------------------------------------------------------- fallbacks
def fallbacks(ctx: LintContext) -> dict[int, FallbackParts]:
    """Float compute layers between INT8 layers -> their :func:`fallback_parts`, in row order (once per
    context: int8-fallback and residual-not-quantized both ask)."""
    return shared(ctx, "fallbacks", _fallbacks)


def _fallbacks(ctx: LintContext) -> dict[int, FallbackParts]:
    is_float, quant, _ = precision_flags(ctx)
    through = ctx.is_passthrough
    rows = [r for r in compress(range(ctx.n), is_float) if not through(r)]
    out: dict[int, FallbackParts] = {}
    walk = ctx.next_compute
    for r in rows:
        up8 = [(u, path) for u, path in walk(r, downstream=False) if quant[u]]
        if not up8:
            continue
        down8 = [(d, path) for d, path in walk(r, downstream=True) if quant[d]]
        if down8:
            out[r] = _parts(ctx, up8, down8)
    return out


def fallback_parts(ctx: LintContext, r: int) -> FallbackParts | None:
    """For a float layer ``r`` between INT8 layers: (INT8 producers with the paths to them, INT8 consumers
    with theirs, INT8 convolutions writing float for it, conversion layers around it); None otherwise."""
    ups = ctx.next_compute(r, downstream=False)
    downs = ctx.next_compute(r, downstream=True)
    up8 = [(u, path) for u, path in ups if ctx.precision[u] in QUANT]
    down8 = [(d, path) for d, path in downs if ctx.precision[d] in QUANT]
    if not up8 or not down8:
        return None
    return _parts(ctx, up8, down8)


def _parts(ctx: LintContext, up8: Neighbours, down8: Neighbours) -> FallbackParts:
    conv, out_precision = ctx.is_conv, ctx.output_precision
    float_writers = [u for u, _ in up8 if conv(u) and out_precision[u] in FLOAT]
    # standalone Dequantize layers feeding a float writer's residual input exist for the same reason
    dq_in = [
        x
        for u in float_writers
        for x in ctx.producers[u]
        if ctx.is_qdq(x) and not ctx.is_noop(x) and reads_residual(ctx, x, u)
    ]
    conversions = [x for _, path in up8 for x in path] + [x for _, path in down8 for x in path] + dq_in
    if len(conversions) > 1:
        conversions = list(dict.fromkeys(conversions))
    return up8, down8, float_writers, conversions


def fallback_residual_readers(ctx: LintContext, r: int, down8: Neighbours) -> list[int]:
    """Fused-Add convolutions reading the output of float layer ``r`` (or of a reformat/Quantize input
    after it) unquantized as their residual input: the float output is the residual branch's doing."""
    if not ctx.has_edges:
        return []
    index = residual_inputs(ctx)
    after = [r, *(x for _, path in down8 for x in path)]
    return list(
        dict.fromkeys(
            c
            for x in after
            for c in ctx.consumers[x]
            if c in index and reads_residual(ctx, x, c) and ctx.is_conv(c)
        )
    )


# ------------------------------------------------------------------------------------------- build log
def int8_allowed(ctx: LintContext) -> tuple[bool, str]:
    """Whether INT8 was allowed in this engine, and the evidence (once per context)."""
    return shared(ctx, "int8_allowed", _int8_allowed)


def _int8_allowed(ctx: LintContext) -> tuple[bool, str]:
    precision_opt = ctx.bundle.build_options.get("Precision", "")
    if "int8" in str(precision_opt).lower():
        return True, f"build options: Precision={precision_opt}"
    for key, value in ctx.bundle.build_options.items():
        if key.lower() == "int8" and str(value).lower() in ("1", "true", "yes", "enabled"):
            return True, f"build options: {key}={value}"
    n_int8 = ctx.precision.count("INT8")
    if n_int8:
        return True, f"{n_int8} layer(s) run in INT8"
    return False, ""


def _warning_index(ctx: LintContext) -> tuple[dict[str, list[int]], list[str]]:
    w = ctx.bundle.warnings
    if w.empty:
        return {}, []
    index: dict[str, list[int]] = {}
    for i, layer in enumerate(w["layer"].tolist()):
        if isinstance(layer, str):
            index.setdefault(layer, []).append(i)
    return index, [str(m) for m in w["message"].tolist()]


def warnings_for(ctx: LintContext, r: int) -> list[str]:
    """The build-log warning messages naming layer ``r`` or one of its source nodes, in log order."""
    index, messages = shared(ctx, "warning_index", _warning_index)
    if not index:
        return []
    at = {i for name in (ctx.names[r], *ctx.source_nodes[r]) for i in index.get(name, ())}
    return [messages[i] for i in sorted(at)]


# ------------------------------------------------------------------------------------------- summary mode
# Root causes that no rule supersedes: the lint engine (lint._absorb) drops every finding of a rule in their
# ``supersedes`` whose rows are all among theirs, and keeps it only as per-layer evidence of the root. A
# context without detail (report, diff) shows no such evidence, so the rules that run after these roots
# need not make those findings at all. tests/test_fast_paths_lintprec.py checks that no rule supersedes them.
FINAL_ROOTS = ("residual-not-quantized", "input-path")


def _new_roots(ctx: LintContext) -> dict[str, list[set[int]]]:
    return {}


def note_final_root(ctx: LintContext, root: Finding) -> None:
    """Record the rows of a finding of a :data:`FINAL_ROOTS` rule and the rules it absorbs: without detail,
    for :func:`absorbed_rows`; with detail, a :class:`Sink` for the rules after it when the engine allows."""
    if root.rule_id not in FINAL_ROOTS:
        raise ValueError(f"{root.rule_id} is not a root cause that no rule supersedes")
    if ctx.detail:
        ctx.rule_cache.setdefault("final_roots_made", {})[root.rule_id] = root
        if _sink_allowed(ctx, root):
            sinks, one = shared(ctx, "sinks", _new_sinks), Sink(root)
            for superseded in root.supersedes:
                sinks.setdefault(superseded, one)
        return
    roots = shared(ctx, "final_roots", _new_roots)
    covered = set(root.rows)
    for superseded in root.supersedes:
        roots.setdefault(superseded, []).append(covered)


def final_root_rows(ctx: LintContext, rule_id: str) -> set[int]:
    """With detail: the rows of the root of final-root rule ``rule_id`` made so far (empty: none)."""
    root: Finding | None = ctx.rule_cache.get("final_roots_made", {}).get(rule_id)
    return set() if root is None else set(root.rows)


def absorbed_rows(ctx: LintContext, rule_id: str) -> list[set[int]]:
    """In a context without detail: the row sets of the final roots recorded so far that absorb findings of
    ``rule_id`` (a finding whose rows all lie in one of them is dropped by the engine); [] with detail."""
    if ctx.detail:
        return []
    return shared(ctx, "final_roots", _new_roots).get(rule_id, [])


def single_row_absorbed(ctx: LintContext, rule_id: str) -> set[int]:
    """The rows on which a one-row finding of ``rule_id`` is absorbed (:func:`absorbed_rows`: their union)."""
    covered = absorbed_rows(ctx, rule_id)
    return covered[0] if len(covered) == 1 else set().union(*covered)


def note_root_writers(ctx: LintContext, convs: Sequence[int]) -> None:
    """Record the INT8 float writers a final root lists with all their direct Quantize readers (the
    residual-not-quantized convolutions), for :func:`surely_absorbed`."""
    ctx.rule_cache["root_writers"] = set(convs)


def surely_absorbed(ctx: LintContext) -> Callable[[int], bool]:
    """Without detail: whether the int8-float-output finding of float writer ``r`` is absorbed, decided
    without walking from it: ``r`` and its direct Quantize readers are rows of one final root
    (:func:`note_root_writers`), and every passthrough layer reading ``r`` feeds only layers that are no
    passthrough, so the Q/DQ layers on the way to its compute readers are among those readers."""
    writers: set[int] = ctx.rule_cache.get("root_writers", set())
    consumers, through = ctx.consumers, ctx._passthrough

    def test(r: int) -> bool:
        return r in writers and not any(through[d] for c in consumers[r] if through[c] for d in consumers[c])

    return test


def is_absorbed(covered: list[set[int]], rows: list[int]) -> bool:
    """Whether all ``rows`` lie in one of the ``covered`` row sets (:func:`absorbed_rows`)."""
    return any(c.issuperset(rows) for c in covered)


# ------------------------------------------------------------------------------------------- detail mode
# With detail, the findings a final root absorbs are kept as its ``evidence["absorbed"]`` members (tens of
# thousands on large engines). When the root's rule runs before every rule it absorbs and before any other
# root-cause finding (the default rule order; the engine says so through LintContext.rules_run and
# roots_found), the rules after it build those members directly into the root's :class:`Sink`, in the order
# lint._absorb would give them, instead of findings for the engine to look up, absorb and convert.
SINK_ROOTS = frozenset({"residual-not-quantized"})  # every rule it supersedes makes its members through a Sink


def _sink_allowed(ctx: LintContext, root: Finding) -> bool:
    run = ctx.rules_run
    return (root.rule_id in SINK_ROOTS and run is not None and not ctx.roots_found
            and not set(root.supersedes) & set(run))


def _new_sinks(ctx: LintContext) -> dict[str, Sink]:
    return {}


class Reference(Protocol):
    """What :meth:`Sink.referencer` returns: keep one finding on ``rows`` as a reference member."""

    def __call__(self, rows: list[int], title: str, saving: dict[int, float] | None = None,
                 cost_ms: float | None = None) -> None: ...


class Sink:
    """The members a final root absorbs, made by the rules it supersedes (:func:`sink`)."""

    def __init__(self, root: Finding) -> None:
        self.root = root
        self.covered = set(root.rows)
        self._pos: dict[int, int] | None = None
        self._members: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        self.asked: set[str] = set()  # the rules that asked for it (:func:`sink`)

    def covers(self, rows: Sequence[int]) -> bool:
        """Whether the root absorbs a finding on ``rows`` (all of them among its rows)."""
        return rows[0] in self.covered if len(rows) == 1 else bool(rows) and self.covered.issuperset(rows)

    def _positions(self) -> dict[int, int]:
        """Row -> its position among the root's rows (what orders the members), built on the first take."""
        if self._pos is None:
            self._pos = {r: i for i, r in enumerate(dict.fromkeys(self.root.rows))}
        return self._pos

    def take(self, ctx: LintContext, rule_id: str, rows: list[int], title: str, cause: str | None = None,
             evidence: dict[str, Any] | None = None, saving: dict[int, float] | None = None,
             cost_ms: float | None = None) -> None:
        """Keep the finding of ``rule_id`` on ``rows`` (:meth:`covers`) as a member, as lint._members makes it:
        whole with ``ctx.full_members`` (``cause`` and ``evidence`` given), else a reference (the rule need
        not build them: :func:`full_member`; :meth:`referencer` takes references in fewer steps)."""
        if not ctx.full_members:
            self.referencer(ctx, rule_id)(rows, title, saving, cost_ms)
            return
        pos = self._positions()
        names, avg = ctx.names, ctx.avg_ms
        if len(rows) != 1:
            rows = list(dict.fromkeys(rows))
        if cost_ms is not None and math.isnan(cost_ms):
            cost = math.nan
        elif saving is not None:
            cost = math.fsum(saving.values()) if saving else math.nan
        else:
            cost = math.fsum([avg[r] for r in rows])
        member = {"rule_id": rule_id, "layers": [names[r] for r in rows], "title": title, "cause": cause,
                  "cost_ms": None if math.isnan(cost) else cost, "evidence": evidence}
        at = self.root.supersedes.index(rule_id)
        self._members.setdefault(at, []).append((pos[rows[0]], member))

    def bucket(self, rule_id: str) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, int]]:
        """Where the members of ``rule_id`` go, as (position of its first row among the root's rows, member),
        and those positions: for a rule that makes its references itself (as :meth:`referencer` makes them)."""
        return self._members.setdefault(self.root.supersedes.index(rule_id), []), self._positions()

    def referencer(self, ctx: LintContext, rule_id: str) -> Reference:
        """What :meth:`take` does for a finding of ``rule_id`` kept as a reference (``ctx.full_members``
        False), as one function of (rows, title, saving, cost_ms): what a rule calls for each of the tens of
        thousands of findings it sinks. The member is lint._members' reference: rule_id, layers, title and
        cost_ms (NaN ``cost_ms``: none; else ``math.fsum`` of ``saving``, None = the rows' profiled time)."""
        pos = self._positions()
        bucket = self._members.setdefault(self.root.supersedes.index(rule_id), [])
        names, avg, fsum, isnan, nan = ctx.names, ctx.avg_ms, math.fsum, math.isnan, math.nan

        def add(rows: list[int], title: str, saving: dict[int, float] | None = None,
                cost_ms: float | None = None) -> None:
            if len(rows) == 1:
                layers = [names[rows[0]]]
            else:
                rows = list(dict.fromkeys(rows))
                layers = [names[r] for r in rows]
            if cost_ms is not None and isnan(cost_ms):
                cost = nan
            elif saving is not None:
                cost = fsum(saving.values()) if saving else nan
            else:
                cost = fsum([avg[r] for r in rows])
            bucket.append((pos[rows[0]], {"rule_id": rule_id, "layers": layers, "title": title,
                                          "cost_ms": None if isnan(cost) else cost}))

        return add

    def members(self) -> list[dict[str, Any]]:
        """The members in lint._absorb's order: by the rules in the root's ``supersedes``, then by the root
        row each starts on, then in the order they were made (a stable sort)."""
        out: list[dict[str, Any]] = []
        for at in sorted(self._members):
            out += [m for _, m in sorted(self._members[at], key=itemgetter(0))]
        return out


def sink(ctx: LintContext, rule_id: str) -> Sink | None:
    """With detail: the :class:`Sink` of the final root absorbing findings of ``rule_id``, if there is one."""
    if not ctx.detail:
        return None
    got = shared(ctx, "sinks", _new_sinks).get(rule_id)
    if got is not None:  # a rule that asks takes every finding the root covers (Sink.covers) into it
        got.asked.add(rule_id)
    return got


def full_member(ctx: LintContext, one: Sink | None, rows: Sequence[int]) -> bool:
    """Whether a rule must build the cause and evidence of its finding on ``rows``: yes with detail, unless
    the :class:`Sink` ``one`` takes that finding as a reference (``ctx.full_members`` False)."""
    return ctx.detail and (ctx.full_members or one is None or not one.covers(rows))


class Later(dict[str, Any]):
    """The evidence of a finding whose cause and evidence a rule left to be built only if the lint engine shows
    the finding whole (:func:`resolve`); empty until then. A finding a root absorbs as a reference never needs
    them (the tens of thousands of reformat, Q/DQ and float-output findings an INT8 fallback absorbs)."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], tuple[str, dict[str, Any]]]) -> None:
        super().__init__()
        self.build = build  # () -> (cause, evidence)


def deferring(ctx: LintContext) -> bool:
    """Whether a rule may leave a finding's cause and evidence to :class:`Later`: with detail, when the lint
    engine runs it (it resolves them: lint._absorb) and keeps absorbed findings as references."""
    return ctx.detail and ctx.rules_run is not None and not ctx.full_members


def resolve(f: Finding) -> None:
    """Build the cause and evidence a rule left to :class:`Later` (the engine calls it for each finding it shows
    whole: every finding no root absorbs, and with ``ctx.full_members`` the absorbed ones too)."""
    ev = f.evidence
    if type(ev) is Later:
        f.cause, f.evidence = ev.build()


def attach_sunk(ctx: LintContext) -> list[Finding]:
    """Give each final root the members its :class:`Sink` holds (the engine calls it before lint._absorb).
    Returns the roots that absorb no finding the rules made: every rule they supersede that ran asked their
    Sink (:func:`sink`), so took each finding they cover (lint._absorb need not look for any)."""
    run = set(ctx.rules_run or ())
    done: list[Finding] = []
    for one in {id(x): x for x in shared(ctx, "sinks", _new_sinks).values()}.values():
        members = one.members()
        if members:
            one.root.evidence.setdefault("absorbed", []).extend(members)
        if ctx.rules_run is not None and run.intersection(one.root.supersedes) <= one.asked:
            done.append(one.root)
    return done

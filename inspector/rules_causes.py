"""Root-cause rules: one finding for one cause that shows up on many layers.

* ``residual-not-quantized``: in a Q/DQ (explicitly quantized) engine, INT8 convolutions write FP16/FP32
  because the residual (skip) branch of their Add is not quantized, and a standalone Quantize layer
  re-quantizes each of those outputs. One finding lists every such convolution and Quantize layer; it
  absorbs the ``int8-float-output`` and ``qdq-standalone`` findings on them.
* ``input-path``: data-movement layers on the way from the network input into the first convolution
  (input Shuffle/transpose, explicit Padding, reformat, Quantize of the input) and explicit padding layers
  right after it. One finding names them; it absorbs ``reformat-copy`` / ``qdq-standalone`` on them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from trtinspect.inspector import precision as prec
from trtinspect.inspector import rules_facts as facts
from trtinspect.inspector.rules_base import Finding, LintContext, names_of, short

RESIDUAL_ID = "residual-not-quantized"
INPUT_ID = "input-path"
PADDING_ID = "explicit-padding"


def check_residual_not_quantized(ctx: LintContext) -> list[Finding]:
    """INT8 convolutions writing float because a residual Add input is not quantized, and their re-quantizers."""
    if not ctx.has_edges:
        return []
    convs: list[int] = []
    requant: list[int] = []
    requant_seen: set[int] = set()
    members: list[dict[str, Any]] = []
    qdq, noop, consumers, detail = ctx._qdq, ctx._noop, ctx.consumers, ctx.detail
    residual_in = facts.residual_inputs(ctx)
    member = _residual_members(ctx)
    for r, readers in facts.residual_readers(ctx).items():
        if not readers and r not in residual_in:
            continue  # no float residual input of its own, none read from it: not this cause
        cs = consumers[r]
        if len(cs) == 1:  # most writers: one reader
            qs = cs if qdq[cs[0]] and not noop[cs[0]] else []
        else:
            qs = [c for c in cs if qdq[c] and not noop[c]]
        if not (qs or readers):
            # float output not re-quantized nor read as a residual: its reader wants float (e.g. an
            # unquantized pooling), a different cause (int8-fallback / int8-float-output)
            continue
        convs.append(r)
        for q in qs:
            if q not in requant_seen:
                requant_seen.add(q)
                requant.append(q)
        if detail:
            members.append(member(r, readers, qs))
    fallbacks, fb_rows, fb_saving, fb_float_writers = _residual_fallbacks(ctx)
    if not convs and not fallbacks:
        return []
    avg = ctx.avg_ms
    saving = {q: avg[q] for q in requant}
    if ctx.memory_bandwidth is not None:  # the float-write part is estimated from bytes at that bandwidth
        facts.add_bytes_savings(ctx, saving, convs)
    saving.update({r: ms for r, ms in fb_saving.items() if r not in saving})
    out_precision = ctx.output_precision
    precisions = sorted({out_precision[r] for r in convs})
    rows = list(dict.fromkeys([*convs, *requant, *fb_rows]))
    supersedes = ("int8-float-output", "qdq-standalone", "reformat-copy", "int8-fallback", "no-tensor-cores")
    root = Finding(
        rule_id=RESIDUAL_ID,
        rows=rows,
        title=(
            f"Residual branch not quantized: {len(convs)} INT8 convolutions write "
            f"{'/'.join(precisions) or 'float'} and {len(requant)} Quantize layers run on their own"
            + (f"; {len(fallbacks)} layer(s) run in float" if fallbacks else "")
        ),
        cause=(
            f"{len(convs)} INT8 convolutions fused with (or feeding) a residual Add read the skip-branch "
            "input in float, so TensorRT makes them write float and re-quantizes each output with a "
            "standalone Quantize layer: the residual (skip) branch of the Adds has no Q/DQ"
            + _fallback_sentence(fallbacks)
        )
        if detail
        else "",
        evidence={
            "convolutions": members,
            "quantize_layers": names_of(ctx, requant),
            **({"fallbacks": fallbacks, "int8_allowed_because": facts.int8_allowed(ctx)[1]} if fallbacks else {}),
            **facts.bytes_evidence(ctx, saving, [*convs, *fb_float_writers]),
        }
        if detail
        else {},
        saving=saving,
        supersedes=supersedes,
        cost_method=facts.bytes_method(ctx, facts.RESIDUAL_COST),
    )
    facts.note_final_root(ctx, root)  # what it absorbs, the rules after it need not find (rules_facts.Sink)
    if not detail:
        facts.note_root_writers(ctx, convs)
    return [root]


def _residual_members(ctx: LintContext) -> Callable[[int, list[int], list[int]], dict[str, Any]]:
    """The evidence of one INT8 convolution ``r`` writing float for the residual branch, as a function of (r, its
    residual readers, its re-quantizers): one call per convolution (thousands), each dtype's text made once."""
    names, out_precision, avg = ctx.names, ctx.output_precision, ctx.avg_ms
    savings, dtypes = facts.int8_savings(ctx), facts.residual_dtypes(ctx)
    own_text: dict[str, str] = {}

    def member(r: int, readers: list[int], qs: list[int]) -> dict[str, Any]:
        dtype = dtypes.get(r)
        why = None if dtype is None else own_text.get(dtype)
        if why is None and dtype is not None:
            why = own_text[dtype] = f"its fused Add reads the residual input in {dtype}"
        if readers:
            read = "its output is the residual input of the fused Add in " + ", ".join(
                [repr(short(names[x], 50)) for x in readers])
            why = read if why is None else f"{why}; {read}"
        return {"convolution": names[r], "output_precision": out_precision[r], "why_float": why,
                "residual_readers": [names[x] for x in readers], "requantized_by": [names[q] for q in qs],
                "layer_ms": avg[r], "estimated_saving_ms": savings[r]}

    return member


def _residual_fallbacks(ctx: LintContext) -> tuple[list[Any], list[int], dict[int, float], list[int]]:
    """INT8 fallbacks (float layers between INT8 layers) whose output, or the tensor a reformat/Quantize
    after them reads, is also the unquantized residual input of a fused Add: the float residual is why
    they stay float (quantizing the skip branch lets TensorRT fuse them in INT8). Returns their evidence
    (in a context without detail: only their rows), their rows (layer, conversions, INT8 producers writing
    float), the estimated saving per row, as the int8-fallback rule counts it, and the INT8 producers."""
    if not facts.int8_allowed(ctx)[0]:
        return [], [], {}, []
    members: list[Any] = []
    rows: list[int] = []
    writers: list[int] = []
    saving: dict[int, float] = {}
    avg, detail = ctx.avg_ms, ctx.detail
    for r, (_, down8, float_writers, conversions) in facts.fallbacks(ctx).items():
        readers = facts.fallback_residual_readers(ctx, r, down8)
        if not readers:
            continue
        own = {x: avg[x] for x in conversions}
        if ctx.memory_bandwidth is not None:  # estimated from bytes at that bandwidth (facts.bytes_method)
            facts.add_bytes_savings(ctx, own, float_writers)
        rows += [r, *conversions, *float_writers]
        writers += float_writers
        saving.update(own)
        if not detail:
            members.append(r)
            continue
        members.append(
            {
                "layer": ctx.names[r],
                "precision": ctx.precision[r],
                "residual_readers": names_of(ctx, readers),
                "conversions": names_of(ctx, conversions),
                "qdq_layers": names_of(ctx, [x for x in conversions if ctx.is_qdq(x)]),
                "int8_producers_writing_float": names_of(ctx, float_writers),
                "layer_ms": avg[r],
                "estimated_saving_ms": math.fsum(v for v in own.values() if not math.isnan(v)),
            }
        )
    return members, rows, saving, writers


def _fallback_sentence(fallbacks: list[dict[str, Any]]) -> str:
    if not fallbacks:
        return ""
    what = ", ".join(
        f"{short(m['layer'], 40)} ({m['precision']}, read unquantized as the residual of "
        f"{', '.join(repr(short(n, 40)) for n in m['residual_readers'])})"
        for m in fallbacks
    )
    return (
        f"; {len(fallbacks)} layer(s) between INT8 layers run in float for the same reason: {what}; "
        "their conversion layers and the float writes of their INT8 producers go away with the skip-branch "
        "Q/DQ (TensorRT then fuses them in INT8)"
    )


# ------------------------------------------------------------------------------------------- input-path
_PAD_TYPES = frozenset({"Padding", "Pad"})


def _is_padding(ctx: LintContext, r: int) -> bool:
    """An explicit padding layer that runs a kernel (Padding/Pad type, or a Slice named as a pad)."""
    if ctx.layer_type[r] in _PAD_TYPES or ctx.parameter_type[r] in _PAD_TYPES or (
        ctx.parameter_type[r] == "Slice" and "pad" in ctx.names[r].lower()
    ):
        return not ctx.is_noop(r) and ctx.avg_ms[r] != 0
    return False


def padding_rows(ctx: LintContext) -> list[int]:
    """The rows :func:`_is_padding` holds for, in order (once per context)."""
    return facts.shared(ctx, "padding_rows", _padding_rows)


def _padding_rows(ctx: LintContext) -> list[int]:
    lt, pt, names = ctx.layer_type, ctx.parameter_type, ctx.names
    maybe = [
        r
        for r in range(ctx.n)
        if lt[r] in _PAD_TYPES or pt[r] in _PAD_TYPES or (pt[r] == "Slice" and "pad" in names[r].lower())
    ]
    return [r for r in maybe if _is_padding(ctx, r)]


def _is_input_movement(ctx: LintContext, r: int) -> str | None:
    """What kind of input-path data movement layer ``r`` is (None: not one)."""
    if ctx.is_noop(r) or ctx.avg_ms[r] == 0:
        return None
    if _is_padding(ctx, r):
        return "explicit padding"
    if ctx.is_qdq(r):
        return "input quantize"
    if ctx.is_reformat(r):
        return "input reformat"
    if ctx.layer_type[r] == "Shuffle" or ctx.parameter_type[r] == "Shuffle" or ctx.is_shape_only(r):
        return "shuffle/transpose"
    return None


def _input_path(ctx: LintContext) -> list[int]:
    """Data-movement layers between the network input and the first compute layer (convolution, pooling,
    ...), walked through tensor edges (execution order without them): the walk stops at any layer that is
    neither data movement nor a no-op."""
    rows: list[int] = []
    seen: set[int] = set()
    # breadth first from the input readers (every one of them before the rows reached from them), at most 65
    # rows: the readers are found one at a time, only as many as the walk takes
    frontier: deque[int] = deque()
    readers: Iterator[int] | None = ctx.iter_input_readers()
    while len(seen) <= 64:
        r = next(readers, None) if readers is not None else None
        if r is None:
            readers = None
            if not frontier:
                break
            r = frontier.popleft()
        if r in seen:
            continue
        seen.add(r)
        if _is_input_movement(ctx, r) is not None:
            rows.append(r)
        elif not ctx.is_noop(r):
            continue  # the first compute layer: the input path ends here
        frontier.extend(ctx.consumers[r] if ctx.has_edges else ([r + 1] if r + 1 < ctx.n else []))
    return sorted(rows)


_ADVICE = {
    "shuffle/transpose": "feed the input in the layout the network wants (e.g. NCHW: export with the "
    "transpose removed, tf2onnx --inputs-as-nchw) so the input Shuffle disappears",
    "explicit padding": "fold explicit Pad layers into the following convolution/pooling (their padding "
    "attribute) in the exported model",
    "input reformat": "declare the input format the first convolution reads (trtexec --inputIOFormats, "
    "IBuilderConfig I/O formats) and provide it from the application",
    "input quantize": "feed INT8 input (--inputIOFormats=int8:...) if the application can quantize it",
}


def check_input_path(ctx: LintContext) -> list[Finding]:
    """Data-movement layers between the network input and the first compute layer."""
    rows = _input_path(ctx)
    if not rows:
        return []
    kinds = {r: str(_is_input_movement(ctx, r)) for r in rows}
    advice = "; ".join(_ADVICE[k] for k in dict.fromkeys(kinds.values()))
    supersedes = ("reformat-copy", "qdq-standalone", "shape-layers", PADDING_ID)
    root = Finding(
        rule_id=INPUT_ID,
        rows=rows,
        title=f"Input path: {', '.join(dict.fromkeys(kinds.values()))} ({len(rows)} layer(s) that only "
        "move the input)",
        cause=_input_path_cause(ctx, rows, kinds) if ctx.detail else "",
        evidence=_input_path_evidence(ctx, rows, kinds) if ctx.detail else {},
        confidence="proven" if ctx.has_edges else "inferred",
        mitigation=advice[0].upper() + advice[1:] + ".",
        supersedes=supersedes,
        # feeding another input format/precision is the application's change, not the model's or the
        # build's: such a finding stays a warning however large
        escalate=any(k in ("shuffle/transpose", "explicit padding") for k in kinds.values()),
    )
    facts.note_final_root(ctx, root)  # what it absorbs, the rules after it need not find (rules_facts)
    return [root]


def _input_path_cause(ctx: LintContext, rows: list[int], kinds: dict[int, str]) -> str:
    what = ", ".join(f"{short(ctx.names[r], 50)} ({kinds[r]})" for r in rows)
    return f"the engine moves its input through {what} before the first compute layer"


def _input_path_evidence(ctx: LintContext, rows: list[int], kinds: dict[int, str]) -> dict[str, Any]:
    layers = [
        {
            "layer": ctx.names[r],
            "kind": kinds[r],
            "layer_type": ctx.layer_type[r] or None,
            "input": ctx.tensor_desc(ctx.inputs[r][0]) if ctx.inputs[r] else None,
            "output": ctx.tensor_desc(ctx.outputs[r][0]) if ctx.outputs[r] else None,
            "avg_ms": None if math.isnan(ctx.avg_ms[r]) else ctx.avg_ms[r],
            "transpose": ctx.attributes[r].get("FirstTranspose"),
        }
        for r in rows
    ]
    return {"layers": layers, "edges": "tensor" if ctx.has_edges else "execution order"}


# ------------------------------------------------------------------------------------- explicit-padding
def check_explicit_padding(ctx: LintContext) -> list[Finding]:
    """Explicit Padding layers that run their own kernel (those on the input path are absorbed by
    ``input-path``); all of them are one finding."""
    out: list[Finding] = []
    for r in padding_rows(ctx):
        readers = [ctx.names[x] for x, _ in ctx.next_compute(r, downstream=True)]
        typed = ctx.layer_type[r] in _PAD_TYPES or ctx.parameter_type[r] in _PAD_TYPES
        reader = f"'{short(readers[0], 50)}'" if len(readers) == 1 else "the next layer"
        out.append(
            Finding(
                rule_id=PADDING_ID,
                rows=[r],
                title=f"Explicit padding {short(ctx.names[r], 60)} runs as its own layer",
                cause=f"an explicit Pad layer ({ctx.layer_type[r] or ctx.parameter_type[r] or 'by its name'}) "
                f"copies the tensor before {reader} instead of being folded into its padding",
                evidence={
                    "layer_type": ctx.layer_type[r] or None,
                    "input": ctx.tensor_desc(ctx.inputs[r][0]) if ctx.inputs[r] else None,
                    "output": ctx.tensor_desc(ctx.outputs[r][0]) if ctx.outputs[r] else None,
                    "readers": readers,
                    "attributes": {k: v for k, v in ctx.attributes[r].items() if "Pad" in k} or None,
                },
                confidence="proven" if typed and ctx.has_edges else "inferred",
                group="explicit padding",
                group_title="{n} explicit padding layers run as their own layers",
                group_cause="{n} explicit Pad layers copy tensors instead of being folded into the padding of "
                "the layer that reads them (per layer: evidence.members)",
            )
        )
    return out


def explained_data_movement(ctx: LintContext) -> list[int]:
    """Data-movement layers ``input-path`` and ``explicit-padding`` give a cause for (other rules leave them
    to those two)."""
    return sorted({*_input_path(ctx), *padding_rows(ctx)})


# --------------------------------------------------------------------------- a Dequantize at the network output
OUTPUT_DQ_GROUP = "Dequantize | dequantizes a network output"
OUTPUT_DQ_MITIGATION = (
    "Drop the Q/DQ pair at the end of the network in the model, so the last layer writes its float output itself "
    "(TensorRT then fuses the output conversion into it), or, if the application can read INT8, remove the "
    "Dequantize and declare the output format (trtexec --outputIOFormats=int8:..., IBuilderConfig I/O formats). "
    "Rebuild and compare: the float write and any reformat to the output's format remain."
)


def output_dequantize(ctx: LintContext, r: int) -> list[int] | None:
    """For Dequantize layer ``r`` writing a network output (no reader through tensor edges; without edges, it
    runs after the last layer that computes): the reformat rows serving only it (its input reformat), else
    None (not at an output)."""
    if ctx.has_edges:
        if ctx.consumers[r]:
            return None
        return [p for p in ctx.producers[r] if ctx.is_reformat(p) and not ctx.is_noop(p) and ctx.consumers[p] == [r]]
    cache = ctx.rule_cache
    if "last_compute" not in cache:   # the last layer that is not a reformat, Q/DQ or no-op (execution order)
        cache["last_compute"] = next((x for x in range(ctx.n - 1, -1, -1) if not ctx.is_passthrough(x)), -1)
    if r < cache["last_compute"]:
        return None
    p = r - 1
    target = prec.reformat_target(ctx.names[p]) if p >= 0 and ctx.is_reformat(p) else None
    return [p] if target is not None and target[2] == ctx.names[r] and not ctx.is_noop(p) else []


def output_dequantize_finding(ctx: LintContext, r: int, tied: list[int], title: str, confidence: str) -> Finding:
    """The qdq-standalone finding of a Dequantize at a network output, with the reformat serving it (one cause:
    the Q/DQ at the end of the network; it absorbs that reformat's reformat-copy finding). Its cost is the
    layers' own time, an upper bound: without them the last layer writes float itself."""
    names = ctx.names
    cause, ev = "", {}
    if ctx.detail:
        before = f" and the reformat before it ({', '.join(repr(short(names[x], 60)) for x in tied)})" if tied else ""
        where = ("nothing reads its output (a network output)" if ctx.has_edges else
                 "it runs after the last layer that computes (execution order: a network output, inferred)")
        cause = (f"dequantizes a network output: {where}, so there is no later layer to fold it into; the network "
                 "ends with a Quantize/Dequantize pair, so the last compute layer writes INT8 and this "
                 f"Dequantize{before} run(s) as separate kernels")
        ev = {"operation": "Dequantize", "network_output": True, "reformats": [names[x] for x in tied],
              "previous_layer": names[r - 1] if r > 0 else None}
    return Finding(
        rule_id="qdq-standalone",
        rows=[*tied, r],
        title=title,
        cause=cause,
        evidence=ev,
        confidence=confidence,
        supersedes=("reformat-copy",),
        cost_kind="layer time",
        cost_method=(
            "the Dequantize and reformat layers' own time: an upper bound, not a saving (without the output Q/DQ "
            "the last layer writes a float output itself, 2-4x the bytes of INT8, and TensorRT may still reformat "
            "it to the output's layout)"
        ),
        mitigation=OUTPUT_DQ_MITIGATION,
        group=OUTPUT_DQ_GROUP,
        group_title="{n} standalone Dequantize layers at network outputs (with their reformats)",
        group_cause=("{n} Dequantize layers write network outputs: the network ends with Quantize/Dequantize "
                     "pairs, so each runs as its own kernel with the reformat to its input layout before it (one "
                     "cause: the Q/DQ at the outputs; per layer: evidence.members)"),
        group_mitigation=OUTPUT_DQ_MITIGATION,
    )

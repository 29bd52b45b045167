"""The cause text of an ``int8-fallback`` finding: which side of the float layer lacks Q/DQ, and which
conversion layers go with it.

In a Q/DQ (explicitly quantized) network the cause says exactly which side is not quantized: the input (no
Q/DQ between the layer and an INT8 producer, and the producer does not write INT8 for it) and the output (no
Q/DQ between it and an INT8 reader), per neighbour when they differ. The A100 QAT ResNet-18
(``sample:resnet18-a100/qat``): GlobalAveragePool_246's output is quantized by QuantizeLinear_250 for the FC;
only its input lacks Q/DQ. Without Q/DQ layers (implicit quantization) the old wording stays: no calibration
scale is the other way to leave a side unquantized, and the layer information does not say which.

Conversion layers are named in two groups: those between the layer and its INT8 neighbours (its direct
producers/consumers and the chain of conversions after them), and the Dequantize layers that feed the residual
input of an INT8 producer writing float for it (``rules_facts._parts``: a convolution writing float reads its fused
Add's residual in float, so they go with the same fix), each with that reason
(``sample:resnet18-a100/qat-residual``: DequantizeLinear_291 feeds ``onnx::Add_454``, the FP32 residual input of
layer4.1.conv2, not the pooling layer).
"""

from __future__ import annotations

import math

from trtinspect.inspector import precision as prec
from trtinspect.inspector import rules_facts as facts
from trtinspect.inspector.rules_base import LintContext, names_of, short
from trtinspect.inspector.rules_facts import Neighbours


def _quoted(ctx: LintContext, rows: list[int]) -> str:
    return ", ".join(repr(short(ctx.names[x], 40)) for x in dict.fromkeys(rows))


def _side(ctx: LintContext, side: Neighbours, *, inputs: bool) -> tuple[list[tuple[int, list[int]]], list[int]]:
    """([(INT8 neighbour, the Q/DQ layers on the way to it)] for the quantized paths, [the neighbours of the
    unquantized ones]). An input also counts as quantized when its INT8 producer writes INT8 for it."""
    qdq, out_precision = ctx.is_qdq, ctx.output_precision
    done: list[tuple[int, list[int]]] = []
    missing: list[int] = []
    for u, path in side:
        qs = [x for x in path if qdq(x)]
        if qs or (inputs and out_precision[u] in prec.QUANTIZED_PRECISIONS):
            done.append((u, qs))
        else:
            missing.append(u)
    return done, missing


def _side_text(ctx: LintContext, side: Neighbours, *, inputs: bool) -> tuple[str, bool]:
    """'its input from X is not quantized (no Q/DQ between them)' and whether that side is quantized at all."""
    what = "input" if inputs else "output"
    link = "from" if inputs else "for"
    done, missing = _side(ctx, side, inputs=inputs)
    qs = [q for _, path in done for q in path]
    how = f" ({_quoted(ctx, qs)})" if qs else (" (its INT8 producer writes INT8)" if done else "")
    if not missing:
        return f"its {what} is quantized{how}", True
    if not done:
        return f"its {what} is not quantized (no Q/DQ between it and {_quoted(ctx, missing)})", False
    return (f"its {what} is quantized {link} {_quoted(ctx, [u for u, _ in done])}{how} but not {link} "
            f"{_quoted(ctx, missing)} (no Q/DQ between them)", True)


def _quantized_sides(ctx: LintContext, up8: Neighbours, down8: Neighbours) -> str:
    """Which side of the layer lacks Q/DQ, per neighbour (a Q/DQ network)."""
    in_text, in_q = _side_text(ctx, up8, inputs=True)
    out_text, out_q = _side_text(ctx, down8, inputs=False)
    if in_q and out_q and not _side(ctx, up8, inputs=True)[1] and not _side(ctx, down8, inputs=False)[1]:
        return (f"{in_text} and {out_text[4:]}, yet TensorRT picked a float kernel (no INT8 implementation, or "
                "the float one timed faster: a --verbose build log says which)")
    return f"{in_text}; {out_text}, so TensorRT picked a float kernel"


def fallback_cause(
    ctx: LintContext,
    r: int,
    kind: str,
    parts: facts.FallbackParts,
    qdq_network: bool,
    warnings: list[str],
) -> str:
    """The cause text of an int8-fallback finding on layer ``r`` (module doc)."""
    up8, down8, float_writers, conversions = parts
    between = (up8[0][0], down8[0][0])
    cause = (f"{kind} layer runs in {ctx.precision[r]} between INT8 layers "
             f"({short(ctx.names[between[0]], 40)!r} -> {short(ctx.names[between[1]], 40)!r}): ")
    if qdq_network:
        cause += _quantized_sides(ctx, up8, down8)
    else:
        cause += ("its input/output were not quantized (no Q/DQ around it, or no calibration scale), so TensorRT "
                  "picked a float kernel")
    chain = set(x for _, path in up8 for x in path) | set(x for _, path in down8 for x in path)
    near = [x for x in conversions if x in chain]
    residual = [x for x in conversions if x not in chain]
    conv_ms = ctx.time_of(conversions)
    if near:
        cause += (f"; {len(near)} conversion layer(s) between it and its INT8 neighbours "
                  f"({', '.join(short(n, 40) for n in names_of(ctx, near))})")
    if residual:
        cause += (f"; {len(residual)} Dequantize layer(s) for the float residual input of its INT8 producer(s) "
                  f"({_residual_text(ctx, residual, float_writers)}): a convolution writing float reads its fused "
                  "Add's residual in float, so they go with the same fix")
    if conversions and not math.isnan(conv_ms):
        cause += (f"; {'together they' if near and residual else 'they'} cost {conv_ms:.4f} ms and would likely go "
                  "away in INT8")
    if float_writers:
        cause += f"; the INT8 producer(s) {_quoted(ctx, float_writers)} write float for it"
    if warnings:
        cause += f"; the build log says: {warnings[0]}"
    return cause


def _residual_text(ctx: LintContext, dqs: list[int], writers: list[int]) -> str:
    """'DequantizeLinear_291 -> onnx::Add_454 (FP32) of 'layer4.1.conv2...'' for each Dequantize layer."""
    names, out = ctx.names, []
    for x in dqs:
        readers = [w for w in writers if w in ctx.consumers[x]]
        tensor = next((t for t in ctx.outputs[x] if t.get("name")), None)
        what = "" if tensor is None else f" -> {tensor['name']} ({tensor.get('dtype') or '?'})"
        out.append(f"{short(names[x], 40)}{what}" + (f" of {_quoted(ctx, readers)}" if readers else ""))
    return "; ".join(out)

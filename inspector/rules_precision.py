"""Rules about data conversions and INT8: reformat copy nodes, standalone Q/DQ layers, INT8 fallback,
quantized convolutions with float outputs, and INT8 warnings from the build log."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

from trtinspect.inspector import precision as prec
from trtinspect.inspector.rules_base import Finding, LintContext, names_of, short

_T = TypeVar("_T")
_FLOAT = prec.FLOAT_PRECISIONS
_QUANT = prec.QUANTIZED_PRECISIONS
Neighbours = list[tuple[int, list[int]]]  # what LintContext.next_compute returns: (row, passthrough rows between)


def shared(ctx: LintContext, key: str, build: Callable[[LintContext], _T]) -> _T:
    """What ``build(ctx)`` returns, built once per context (several rules ask for the same rows)."""
    cache = ctx.rule_cache
    if key not in cache:
        cache[key] = build(ctx)
    return cast(_T, cache[key])


def int8_float_writers(ctx: LintContext) -> list[int]:
    """INT8 convolutions/GEMMs whose output precision is float, in row order (once per context)."""
    return shared(ctx, "int8_float_writers", _int8_float_writers)


def _int8_float_writers(ctx: LintContext) -> list[int]:
    prc, out = ctx.precision, ctx.output_precision
    return [r for r in range(ctx.n) if prc[r] in _QUANT and out[r] in _FLOAT and ctx.is_conv(r)]


def _residual_inputs(ctx: LintContext) -> dict[int, set[Any]]:
    """Rows with float non-first inputs (the residual input of a fused Add) -> the names of those inputs."""
    out: dict[int, set[Any]] = {}
    for r, ins in enumerate(ctx.inputs):
        if len(ins) > 1:
            names = {t.get("name") for t in ins[1:] if t.get("dtype") in _FLOAT}
            if names:
                out[r] = names
    return out


def residual_inputs(ctx: LintContext) -> dict[int, set[Any]]:
    """Rows with float non-first inputs (the residual input of a fused Add) -> the names of those inputs
    (once per context)."""
    return shared(ctx, "residual_inputs", _residual_inputs)


def residual_readers(ctx: LintContext) -> dict[int, list[int]]:
    """Each of :func:`int8_float_writers` -> its direct consumers that are convolutions reading its output in
    float as a non-first input (the residual input of their fused Add); once per context."""
    return shared(ctx, "residual_readers", _residual_readers)


def _residual_readers(ctx: LintContext) -> dict[int, list[int]]:
    rows = int8_float_writers(ctx)
    if not ctx.has_edges:
        return {r: [] for r in rows}
    index, consumers, outputs, conv = residual_inputs(ctx), ctx.consumers, ctx.outputs, ctx.is_conv
    out: dict[int, list[int]] = {}
    for r in rows:
        found = [c for c in consumers[r] if c in index]
        if found:
            mine = {t.get("name") for t in outputs[r]}
            found = [c for c in found if not mine.isdisjoint(index[c]) and conv(c)]
        out[r] = found
    return out


def reads_residual(ctx: LintContext, producer: int, consumer: int) -> bool:
    """Whether ``consumer`` reads one of ``producer``'s output tensors in float as a non-first input (the
    residual input of a fused Add): ``_reads_float(ctx, producer, consumer, non_first=True)``, from a
    per-context index of the rows that have such inputs."""
    names = residual_inputs(ctx).get(consumer)
    return names is not None and any(t.get("name") in names for t in ctx.outputs[producer])


def _quoted(ctx: LintContext, rows: list[int], width: int) -> str:
    """The layers' names, cut to ``width``, quoted and comma-separated (as cause texts list them)."""
    names = ctx.names
    return ", ".join([repr(short(names[x], width)) for x in rows])


def _desc(t: dict[str, Any] | None) -> tuple[str | None, str | None]:
    if not t:
        return None, None
    return t.get("dtype"), t.get("layout")


def conversion_kind(in_t: dict[str, Any] | None, out_t: dict[str, Any] | None) -> str:
    """Kind of a reformat: precision, layout, precision+layout, copy (same format), unknown (no formats)."""
    (ip, il), (op, ol) = _desc(in_t), _desc(out_t)
    if (ip is None and il is None) or (op is None and ol is None):
        return "unknown"
    p_changed = ip != op
    if il is None or ol is None:  # dtype-only formats (verbose 8.x logs): the layout is not recorded
        return "precision" if p_changed and ip and op else "unknown"
    l_changed = il != ol
    if p_changed and l_changed:
        return "precision+layout"
    if p_changed:
        return "precision"
    if l_changed:
        return "layout"
    return "copy"


# ------------------------------------------------------------------------------------------- reformat-copy
def check_reformats(ctx: LintContext) -> list[Finding]:
    """Reformat / copy layers that run a kernel (NoOp reformats are elided by TensorRT and skipped)."""
    out: list[Finding] = []
    for r in range(ctx.n):
        if not ctx.is_reformat(r) or ctx.is_noop(r):
            continue
        if not ctx.detailed and ctx.avg_ms[r] == 0:
            continue  # names only: a reformat timed at exactly 0 ms launched no kernel (a NoOp in the graph)
        ins, outs = ctx.inputs[r], ctx.outputs[r]
        in_t = ins[0] if ins else None
        out_t = outs[0] if outs else None
        kind = conversion_kind(in_t, out_t)
        target = prec.reformat_target(ctx.names[r])
        producers = [p for p, _ in ctx.next_compute(r, downstream=False)]
        consumers = [c for c, _ in ctx.next_compute(r, downstream=True)]
        if target is not None:
            served = target[2]
            serves = f"{target[0]} tensor {target[1]} of {served!r}"
        elif consumers:
            served = ctx.names[consumers[0]]
            serves = ", ".join(repr(short(n, 60)) for n in names_of(ctx, consumers))
        else:
            served, serves = "", "unknown"
        ev: dict[str, Any] = {
            "conversion": kind,
            "serves": serves,
            "input": ctx.tensor_desc(in_t) if in_t else None,
            "output": ctx.tensor_desc(out_t) if out_t else None,
            "input_format": in_t.get("format") if in_t else None,
            "output_format": out_t.get("format") if out_t else None,
            "layer_type": ctx.layer_type[r],
        }
        if ctx.has_edges:
            ev["producers"] = names_of(ctx, producers)
            ev["consumers"] = names_of(ctx, consumers)
        cause = _reformat_cause(ctx, r, kind, (in_t, out_t), serves, target, (producers, consumers))
        ip, op = _desc(in_t)[0], _desc(out_t)[0]
        signature = f"{kind}, {ip} -> {op}" if kind != "unknown" else "formats unknown"
        out.append(
            Finding(
                rule_id="reformat-copy",
                rows=[r],
                title=f"Reformat ({kind}) serving {short(served or ctx.names[r], 60)}",
                cause=cause,
                evidence=ev,
                confidence="proven" if ctx.detailed else "inferred",
                group=signature,
                group_title=f"{{n}} reformat copies of one kind ({signature})",
                group_cause=(
                    f"{{n}} reformat layers do the same kind of conversion ({signature}) between layers "
                    "that disagree on the format (neighbouring kernels of different families want different "
                    "layouts/precisions); each one's formats and the layer it serves: evidence.members"
                    if kind != "unknown"
                    else "{n} reformat layers (names only: formats not recorded, so what they convert is "
                    "unknown; a graph JSON would say)"
                ),
            )
        )
    return out


def _reformat_cause(
    ctx: LintContext,
    r: int,
    kind: str,
    tensors: tuple[dict[str, Any] | None, dict[str, Any] | None],
    serves: str,
    target: tuple[str, int, str] | None,
    neighbours: tuple[list[int], list[int]],
) -> str:
    """What reformat ``r`` converts, and between which layers."""
    in_t, out_t = tensors
    producers, consumers = neighbours
    at_input = ctx.has_edges and not ctx.producers[r]
    at_output = ctx.has_edges and not ctx.consumers[r]
    (ip, il), (op, ol) = _desc(in_t), _desc(out_t)
    if kind == "unknown":
        return (
            f"a reformat serving {serves}; the layer formats are not recorded (names-only source), "
            "so precision vs layout conversion is unknown"
        )
    what = {
        "precision": f"converts precision {ip} -> {op}",
        "layout": f"converts layout {il} -> {ol} ({ip})",
        "precision+layout": f"converts {ip}/{il} -> {op}/{ol}",
        "copy": f"copies {ip}/{il} unchanged",
    }[kind]
    if at_input:
        return f"{what} at the network input: the engine input is {ip}/{il} but {serves} runs on {op}/{ol}"
    if at_output:
        return f"{what} at the network output: the engine output is declared {op}/{ol}"
    prod = repr(short(ctx.names[producers[0]], 50)) if producers else "its producer"
    reader = serves
    if target is not None and target[0] == "output":  # converts the served layer's OUTPUT
        reader = ", ".join(repr(short(n, 50)) for n in names_of(ctx, consumers)) if consumers else "its readers"
    return f"{what}: {prod} writes {ip}/{il} while {reader} read(s) {op}/{ol}"

# ------------------------------------------------------------------------------------------- qdq-standalone
def check_qdq(ctx: LintContext) -> list[Finding]:
    """Quantize/Dequantize layers that TensorRT could not fold into a neighbouring layer."""
    out: list[Finding] = []
    names, desc, has_edges, n = ctx.names, ctx.tensor_desc, ctx.has_edges, ctx.n
    for r in [r for r in range(n) if ctx.is_qdq(r) and not ctx.is_noop(r)]:
        ins, outs = ctx.inputs[r], ctx.outputs[r]
        in_t = ins[0] if ins else None
        out_t = outs[0] if outs else None
        ip = in_t.get("dtype") if in_t else None
        op = out_t.get("dtype") if out_t else None
        op_name = _qdq_operation(ctx, r, ip, op)
        ups = ctx.next_compute(r, downstream=False)
        downs = ctx.next_compute(r, downstream=True)
        ev: dict[str, Any] = {
            "operation": op_name,
            "input": desc(in_t) if in_t else None,
            "output": desc(out_t) if out_t else None,
            "origin": ctx.origin[r] or None,
        }
        if has_edges:
            ev["producers"] = [names[u] for u, _ in ups]
            ev["consumers"] = [names[d] for d, _ in downs]
        else:  # execution order only: neighbours, not proven producers/consumers
            ev["previous_layer"] = names[r - 1] if r > 0 else None
            ev["next_layer"] = names[r + 1] if r + 1 < n else None
        severity, reasons, kinds = _qdq_reasons(ctx, r, op_name, ip, ev, (ups, downs))
        if not reasons:
            kinds.append("no neighbour accepted the scale")
            reasons.append(
                "no neighbouring layer accepted the Q/DQ scale (TensorRT folds Q into the producer's "
                "output and DQ into the consumer's input only for supported patterns)"
            )
        kind = kinds[0]
        out.append(
            Finding(
                rule_id="qdq-standalone",
                rows=[r],
                title=f"Standalone {op_name} layer {short(names[r], 60)}",
                cause=reasons[0] if len(reasons) == 1 else "; ".join(dict.fromkeys(reasons)),
                evidence=ev,
                severity=severity,
                confidence="proven" if ctx.origin[r].upper() == "QDQ" or (ip and op) else "inferred",
                group=f"{op_name} | {kind}",
                group_title=f"{{n}} standalone {op_name} layers: {kind}",
                group_cause=f"{{n}} {op_name} layers run as their own kernels for one reason: {kind} "
                "(per-layer causes: evidence.members)",
            )
        )
    return out


def _qdq_operation(ctx: LintContext, r: int, ip: str | None, op: str | None) -> str:
    """Quantize, Dequantize or Q/DQ, from the tensor precisions (the layer name without them)."""
    if ip and op:
        if op in prec.QUANTIZED_PRECISIONS and ip not in prec.QUANTIZED_PRECISIONS:
            return "Quantize"
        if ip in prec.QUANTIZED_PRECISIONS and op not in prec.QUANTIZED_PRECISIONS:
            return "Dequantize"
        return "Q/DQ"
    return "Dequantize" if "dequant" in ctx.names[r].lower() else "Quantize"


def _qdq_reasons(
    ctx: LintContext, r: int, op_name: str, ip: str | None, ev: dict[str, Any], walks: tuple[Neighbours, Neighbours]
) -> tuple[str | None, list[str], list[str]]:
    """Why standalone Q/DQ layer ``r`` was not folded: (severity override, reasons, reason kinds);
    records the float readers in ``ev``. ``walks``: its compute producers and consumers (next_compute)."""
    severity: str | None = None
    reasons: list[str] = []
    kinds: list[str] = []
    direct_prod = ctx.producers[r]
    if ctx.has_edges and not direct_prod:
        kinds.append("quantizes the network input")
        reasons.append(
            f"quantizes the {ip or 'float'} network input: there is no earlier layer to fold it into"
        )
        severity = "info"
    if op_name == "Quantize":
        _quantize_reasons(ctx, r, walks[0], reasons, kinds, ev)
    elif op_name == "Dequantize":
        float_cons = [d for d, _ in walks[1] if prec.is_float(ctx.precision[d])]
        float_cons += [d for d in ctx.consumers[r] if d not in float_cons and _reads_float(ctx, r, d)]
        if float_cons:
            kinds.append("dequantizes for float readers")
            reasons.append(
                f"dequantizes for {_quoted(ctx, float_cons, 50)},"
                " which read(s) the tensor in float (e.g. as the residual input of a fused Add)"
            )
    return severity, reasons, kinds


def _quantize_reasons(
    ctx: LintContext, r: int, ups: Neighbours, reasons: list[str], kinds: list[str], ev: dict[str, Any]
) -> None:
    """Why standalone Quantize layer ``r`` was not folded into its producer (appended to reasons/kinds)."""
    names, qdq = ctx.names, ctx.is_qdq
    for p in ctx.producers[r]:
        float_readers = [c for c in ctx.consumers[p] if c != r and not qdq(c)]
        if float_readers:
            kinds.append("tensor also read unquantized")
            reasons.append(
                f"the tensor it quantizes (written by {short(names[p], 50)!r}) is also read "
                "unquantized "
                f"by {_quoted(ctx, float_readers, 50)}; the producer "
                "must "
                "write float, so the Quantize runs as its own kernel"
            )
            ev["float_readers"] = [names[c] for c in float_readers]
    precision, out_precision = ctx.precision, ctx.output_precision
    for u, _ in ups:
        pu = precision[u]
        if pu and pu in _FLOAT and not ctx.is_conv(u):
            kinds.append("producer runs in float")
            reasons.append(
                f"its producer {short(names[u], 50)!r} runs in {pu} (not quantized), "
                "so its output is quantized separately"
            )
        elif out_precision[u] in _FLOAT and pu in _QUANT and ctx.is_conv(u):
            kinds.append("INT8 producer writes float")
            reasons.append(
                f"the INT8 layer {short(names[u], 50)!r} writes {out_precision[u]} "
                "instead of INT8"
            )


# ------------------------------------------------------------------------------------------- int8
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


def check_int8_fallback(ctx: LintContext) -> list[Finding]:
    """Compute layers running FP16/FP32 between INT8 layers of an engine built with INT8 allowed."""
    allowed, why = int8_allowed(ctx)
    if not allowed:
        return []
    out: list[Finding] = []
    for r, (up8, down8, float_writers, conversions) in fallbacks(ctx).items():
        p = ctx.precision[r]
        conv_ms = ctx.time_of(conversions)
        warnings = _warnings_for(ctx, r)
        ev: dict[str, Any] = {
            "precision": p,
            "output_precision": ctx.output_precision[r],
            "input_format": ctx.input_format[r],
            "output_format": ctx.output_format[r],
            "layer_type": ctx.layer_type[r],
            "parameter_type": ctx.parameter_type[r],
            "tactic": ctx.tactic[r] or None,
            "int8_allowed_because": why,
            "int8_producers": names_of(ctx, [u for u, _ in up8]),
            "int8_consumers": names_of(ctx, [d for d, _ in down8]),
            "conversions": names_of(ctx, conversions),
            "conversions_ms": conv_ms,
            "attributable_ms": ctx.time_of([r, *conversions]),
            "build_log": warnings,
        }
        kind = ctx.parameter_type[r] or ctx.layer_type[r] or "layer"
        cause = _fallback_cause(ctx, r, kind, (up8[0][0], down8[0][0]), conversions, float_writers, warnings)
        saving = {x: ctx.avg_ms[x] for x in conversions}
        for u in float_writers:
            saving[u] = ctx.int8_write_saving(u)
        ev["int8_producers_writing_float"] = names_of(ctx, float_writers)
        out.append(
            Finding(
                rule_id="int8-fallback",
                rows=[r, *conversions, *float_writers],
                saving=saving,
                supersedes=("reformat-copy", "qdq-standalone", "int8-float-output"),
                title=f"{kind} {short(ctx.names[r], 60)} fell back to {p} in an INT8 engine",
                cause=cause,
                evidence=ev,
            )
        )
    return out


FallbackParts = tuple[Neighbours, Neighbours, list[int], list[int]]


def fallbacks(ctx: LintContext) -> dict[int, FallbackParts]:
    """Float compute layers between INT8 layers -> their :func:`fallback_parts`, in row order (once per
    context: int8-fallback and residual-not-quantized both ask)."""
    return shared(ctx, "fallbacks", _fallbacks)


def _fallbacks(ctx: LintContext) -> dict[int, FallbackParts]:
    out: dict[int, FallbackParts] = {}
    prc = ctx.precision
    for r in [r for r in range(ctx.n) if prc[r] in _FLOAT and not ctx.is_passthrough(r)]:
        parts = fallback_parts(ctx, r)
        if parts is not None:
            out[r] = parts
    return out


def fallback_parts(ctx: LintContext, r: int) -> FallbackParts | None:
    """For a float layer ``r`` between INT8 layers: (INT8 producers with the paths to them, INT8 consumers
    with theirs, INT8 convolutions writing float for it, conversion layers around it); None otherwise."""
    ups = ctx.next_compute(r, downstream=False)
    downs = ctx.next_compute(r, downstream=True)
    up8 = [(u, path) for u, path in ups if ctx.precision[u] in prec.QUANTIZED_PRECISIONS]
    down8 = [(d, path) for d, path in downs if ctx.precision[d] in prec.QUANTIZED_PRECISIONS]
    if not up8 or not down8:
        return None
    float_writers = [u for u, _ in up8 if ctx.is_conv(u) and prec.is_float(ctx.output_precision[u])]
    # standalone Dequantize layers feeding a float writer's residual input exist for the same reason
    dq_in = [
        x
        for u in float_writers
        for x in ctx.producers[u]
        if ctx.is_qdq(x) and not ctx.is_noop(x) and reads_residual(ctx, x, u)
    ]
    conversions = list(
        dict.fromkeys([x for _, path in up8 for x in path] + [x for _, path in down8 for x in path] + dq_in)
    )
    return up8, down8, float_writers, conversions


def fallback_residual_readers(ctx: LintContext, r: int, down8: list[tuple[int, list[int]]]) -> list[int]:
    """Fused-Add convolutions reading the output of float layer ``r`` (or of a reformat/Quantize input
    after it) unquantized as their residual input: the float output is the residual branch's doing."""
    if not ctx.has_edges:
        return []
    after = [r, *(x for _, path in down8 for x in path)]
    return list(
        dict.fromkeys(
            c
            for x in after
            for c in ctx.consumers[x]
            if reads_residual(ctx, x, c) and ctx.is_conv(c)
        )
    )


def _fallback_cause(
    ctx: LintContext,
    r: int,
    kind: str,
    between: tuple[int, int],
    conversions: list[int],
    float_writers: list[int],
    warnings: list[str],
) -> str:
    """The cause text of an int8-fallback finding on layer ``r`` (between: an INT8 producer and consumer)."""
    conv_ms = ctx.time_of(conversions)
    cause = (
        f"{kind} layer runs in {ctx.precision[r]} between INT8 layers "
        f"({short(ctx.names[between[0]], 40)!r} -> {short(ctx.names[between[1]], 40)!r}): its "
        "input/output "
        "were not quantized (no Q/DQ around it, or no calibration scale), so TensorRT picked a float "
        "kernel"
    )
    if conversions:
        cause += (
            f"; {len(conversions)} conversion layer(s) around it "
            f"({', '.join(short(n, 40) for n in names_of(ctx, conversions))})"
            + ("" if math.isnan(conv_ms) else f" cost {conv_ms:.4f} ms and would likely go away in INT8")
        )
    if float_writers:
        cause += (
            f"; the INT8 producer(s) {', '.join(repr(short(n, 40)) for n in names_of(ctx, float_writers))} "
            "write float for it"
        )
    if warnings:
        cause += f"; the build log says: {warnings[0]}"
    return cause


def _warnings_for(ctx: LintContext, r: int) -> list[str]:
    w = ctx.bundle.warnings
    if w.empty:
        return []
    names = {ctx.names[r], *ctx.source_nodes[r]}
    hits = w[w["layer"].isin(list(names)).fillna(False).astype(bool)]
    return [str(m) for m in hits["message"].tolist()]


def check_int8_float_output(ctx: LintContext) -> list[Finding]:
    """INT8 convolutions/GEMMs whose output is float and read by further layers (not a network output)."""
    out: list[Finding] = []
    names, precision, avg_ms, has_edges = ctx.names, ctx.precision, ctx.avg_ms, ctx.has_edges
    readers_of = residual_readers(ctx)
    for r in int8_float_writers(ctx):
        op = ctx.output_precision[r]
        downs = ctx.next_compute(r, downstream=True)
        requant = _requantizers(ctx, r, downs)
        readers = [d for d, _ in downs]
        if not readers and not requant:
            continue  # feeds only the network output
        float_readers = [d for d in readers if precision[d] in _FLOAT]
        res_readers = readers_of[r]
        if has_edges and not requant and not res_readers and not any(
            precision[x] in _QUANT for d in float_readers for x, _ in ctx.next_compute(d, downstream=True)
        ):
            continue  # float wanted downstream all the way to the output (e.g. logits for a Softmax head)
        reasons = []
        if float_readers:
            reasons.append(f"read in float by {_quoted(ctx, float_readers, 50)}")
        if res_readers:
            reasons.append(
                "the residual (non-first) input of the fused Add in "
                f"{_quoted(ctx, res_readers, 50)}, which reads it "
                "in "
                f"{op}: the residual branch is not quantized"
            )
        if requant:
            reasons.append(f"quantized again by {_quoted(ctx, requant, 40)}")
        if not reasons:
            reasons.append(f"declared {op} by the network (no Q/DQ after it)")
        ev = {
            "precision": precision[r],
            "output_precision": op,
            "output_format": ctx.output_format[r],
            "tactic": ctx.tactic[r] or None,
            "readers": [names[x] for x in readers],
            "float_readers": [names[x] for x in float_readers],
            "residual_readers": [names[x] for x in res_readers],
            "requantized_by": [names[x] for x in requant],
            "requantize_ms": ctx.time_of(requant),
        }
        saving = {x: avg_ms[x] for x in requant}
        saving[r] = ctx.int8_write_saving(r)
        out.append(
            Finding(
                rule_id="int8-float-output",
                rows=[r, *requant],
                saving=saving,
                supersedes=("qdq-standalone",),
                title=f"INT8 layer writes {op}: {short(names[r], 70)}",
                cause=f"the INT8 layer writes {op} because its output is " + "; ".join(reasons),
                evidence=ev,
            )
        )
    return out


def _requantizers(ctx: LintContext, r: int, downs: Neighbours) -> list[int]:
    """Standalone Q/DQ layers on the way from ``r`` to its compute readers, or reading it directly."""
    qdq, noop = ctx.is_qdq, ctx.is_noop
    requant = [x for _, path in downs for x in path if qdq(x) and not noop(x)]
    if len(requant) > 1:
        requant = list(dict.fromkeys(requant))
    if ctx.has_edges:
        requant += [x for x in ctx.consumers[r] if qdq(x) and not noop(x) and x not in requant]
    return requant


def _reads_float(ctx: LintContext, producer: int, consumer: int, *, non_first: bool = False) -> bool:
    """Whether ``consumer`` reads one of ``producer``'s output tensors in a float precision."""
    mine = {t.get("name") for t in ctx.outputs[producer]}
    return any(
        (i > 0 or not non_first) and t.get("name") in mine and prec.is_float(t.get("dtype"))
        for i, t in enumerate(ctx.inputs[consumer])
    )


def check_int8_build_warnings(ctx: LintContext) -> list[Finding]:
    """Build-log warnings about INT8: missing scales, no conforming implementation."""
    w = ctx.bundle.warnings
    if w.empty:
        return []
    by_name: dict[str, int] = {}
    for r in range(ctx.n):
        by_name.setdefault(ctx.names[r], r)
        for node in ctx.source_nodes[r]:
            by_name.setdefault(node, r)
    out: list[Finding] = []
    rows = w[w["kind"].isin(["missing_int8_scales", "no_conforming_impl"]).fillna(False).astype(bool)]
    for kind, line_no, message, layer in zip(
        rows["kind"].tolist(),
        rows["line_no"].tolist(),
        rows["message"].tolist(),
        rows["layer"].tolist(),
        strict=True,
    ):
        layer_name = layer if isinstance(layer, str) else ""
        matched = [by_name[layer_name]] if layer_name in by_name else []
        what = "missing INT8 scale" if kind == "missing_int8_scales" else "no conforming implementation"
        out.append(
            Finding(
                rule_id="int8-build-warning",
                rows=matched,
                title=f"Build log: {what}" + (f" for {short(layer_name, 60)}" if layer_name else ""),
                cause=str(message),
                evidence={
                    "kind": kind,
                    "line_no": int(line_no),
                    "message": str(message),
                    "layer": layer_name or None,
                    "log": [str(p) for p in ctx.bundle.sources.get("trtexec_log", [])],
                },
                cost_ms=ctx.time_of(matched) if matched else math.nan,
            )
        )
    return out

"""Rules about data conversions and INT8: reformat copy nodes, standalone Q/DQ layers, INT8 fallback,
quantized convolutions with float outputs, and INT8 warnings from the build log."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from itertools import compress
from typing import Any

from trtinspect.inspector import fallback_text, reformat_layout, rules_causes
from trtinspect.inspector import precision as prec
from trtinspect.inspector import rules_facts as facts
from trtinspect.inspector.rules_base import Finding, LintContext, names_of, short
from trtinspect.inspector.rules_dla import DLA_MITIGATION, dla_boundary, dla_rows
from trtinspect.inspector.rules_facts import Neighbours
from trtinspect.inspector.rules_fallback_sink import fallback_sinks
from trtinspect.inspector.rules_fallback_sink import roots as fallback_roots

_FLOAT = prec.FLOAT_PRECISIONS
_QUANT = prec.QUANTIZED_PRECISIONS


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
        if not (ip and op):
            return "unknown"
        return "precision" if p_changed else "layout"   # same data type: the reformat converts the layout
    l_changed = il != ol
    if p_changed and l_changed:
        return "precision+layout"
    if p_changed:
        return "precision"
    if l_changed:
        return "layout"
    return "copy"


def _empty() -> dict[str, Any]:
    """The evidence of a finding shown without it (``ctx.detail`` False): a dict of its own."""
    return {}


# ------------------------------------------------------------------------------------------- reformat-copy
def _rows_where(ctx: LintContext, flags: list[bool]) -> list[int]:
    """Rows whose ``flags`` hold (a per-row column) that launch a kernel (not a no-op layer), in order."""
    noop = ctx._noop
    return [r for r in compress(range(ctx.n), flags) if not noop[r]]


def _reformat_group(kind: str, signature: str, detailed: bool) -> tuple[str, str]:
    """The group title and cause of the reformat copies of one signature."""
    unknown = ("{n} reformat layers (names only: formats not recorded, so what they convert is unknown; a graph "
               "JSON would say)" if not detailed else
               "{n} reformat layers (their tensors' formats are not in the layer information, so what they "
               "convert is unknown)")
    # one kind only when the formats say so: names alone do not show what the copies convert
    title = (f"{{n}} reformat copies of one kind ({signature})" if kind != "unknown" else
             f"{{n}} reformat copies ({signature})")
    return title, (
        f"{{n}} reformat layers do the same kind of conversion ({signature}) between layers "
        "that disagree on the format (neighbouring kernels of different families want different "
        "layouts/precisions); each one's formats and the layer it serves: evidence.members"
        if kind != "unknown"
        else unknown
    )


def check_reformats(ctx: LintContext) -> list[Finding]:
    """Reformat / copy layers that run a kernel (NoOp reformats are elided by TensorRT and skipped)."""
    names, avg, detail = ctx.names, ctx.avg_ms, ctx.detail
    rows = _rows_where(ctx, ctx._reformat)
    absorbed = facts.single_row_absorbed(ctx, "reformat-copy")
    if absorbed:  # no detail: what a root cause absorbs is not shown (rules_facts.absorbed_rows)
        rows = [r for r in rows if r not in absorbed]
    if not ctx.detailed:  # names only: a reformat timed at exactly 0 ms launched no kernel (a NoOp in the graph)
        rows = [r for r in rows if avg[r] != 0]
    groups: dict[str, tuple[str, str]] = {}
    confidence = "proven" if ctx.detailed else "inferred"
    inputs, outputs, walk = ctx.inputs, ctx.outputs, ctx.next_compute
    sink = facts.sink(ctx, "reformat-copy")
    refer = sink.referencer(ctx, "reformat-copy") if sink is not None and not ctx.full_members else None
    covered: set[int] = sink.covered if sink is not None else set()
    later = facts.deferring(ctx)  # cause and evidence built only if the finding is shown whole
    fallback = fallback_sinks(ctx, "reformat-copy")  # the int8-fallback roots absorbing some of them
    out: list[Finding] = []
    for r in rows:
        ins, outs = inputs[r], outputs[r]
        in_t = ins[0] if ins else None
        out_t = outs[0] if outs else None
        kind = conversion_kind(in_t, out_t)
        target = prec.reformat_target(names[r])
        sunk = r in covered  # a member of the root cause (rules_facts.Sink)
        build = detail and (ctx.full_members or not sunk)  # a reference needs no cause or evidence
        downs = walk(r, downstream=True) if (build and not later) or target is None else []
        if target is not None:
            served = target[2]
        else:
            served = names[downs[0][0]] if downs else ""
        ip, op = _desc(in_t)[0], _desc(out_t)[0]
        signature = f"{kind}, {ip} -> {op}" if kind != "unknown" else "formats unknown"
        layout = reformat_layout.advice(ctx, r, kind, ip, out_t)  # a tactic choice, not the model's (its doc)
        signature += layout.note if layout else ""
        dla_wait = None
        if dla_rows(ctx):   # an engine with DLA layers: a reformat next to one waits for it (rules_dla)
            ups = [p for p, _ in walk(r, downstream=False)]
            near = [c for c, _ in (downs or walk(r, downstream=True))]
            dla_wait = dla_boundary(ctx, r, target[2] if target else None, ups, near)   # no saving
            if dla_wait:
                signature += ", at the GPU/DLA boundary"
        title = f"Reformat ({kind}) serving {short(served or names[r], 60)}"
        if fallback is not None and not sunk and fallback.refer("reformat-copy", [r], title, None,
                                                               math.nan if dla_wait else None):
            continue  # a reference member of the int8-fallback root absorbing it
        cause, ev = "", _empty()
        if build and later:
            ev = facts.Later(partial(_reformat_texts, ctx, r, kind, (in_t, out_t), target))
        elif build:
            cause, ev = _reformat_detail(ctx, r, kind, (in_t, out_t), target, (walk(r, downstream=False), downs))
        if sunk and refer is not None:  # a reference: no cause or evidence
            refer([r], title, None, math.nan if dla_wait else None)
            continue
        if sunk and sink is not None:
            sink.take(ctx, "reformat-copy", [r], title, cause, ev, cost_ms=math.nan if dla_wait else None)
            continue
        group = groups.get(signature)
        if group is None:
            group = groups[signature] = _reformat_group(kind, signature, ctx.detailed)
        out.append(
            Finding(
                rule_id="reformat-copy",
                rows=[r],
                title=title,
                cause=cause,
                evidence=ev,
                confidence=confidence,
                cost_ms=math.nan if dla_wait else None,
                cost_kind="not estimated" if dla_wait else None,
                cost_method=dla_wait,
                mitigation=DLA_MITIGATION if dla_wait else layout.one if layout else None,
                group_mitigation=layout.many if layout and not dla_wait else None,
                group=signature,
                group_title=group[0],
                group_cause=group[1],
            )
        )
    return out


def _reformat_texts(
    ctx: LintContext,
    r: int,
    kind: str,
    tensors: tuple[dict[str, Any] | None, dict[str, Any] | None],
    target: tuple[str, int, str] | None,
) -> tuple[str, dict[str, Any]]:
    """:func:`_reformat_detail`, walking to the neighbours itself (what a deferred finding builds: facts.Later)."""
    walked = ctx.next_compute(r, downstream=False), ctx.next_compute(r, downstream=True)
    return _reformat_detail(ctx, r, kind, tensors, target, walked)


def _reformat_detail(
    ctx: LintContext,
    r: int,
    kind: str,
    tensors: tuple[dict[str, Any] | None, dict[str, Any] | None],
    target: tuple[str, int, str] | None,
    walked: tuple[Neighbours, Neighbours],
) -> tuple[str, dict[str, Any]]:
    """The cause and evidence of the reformat-copy finding on row ``r``."""
    in_t, out_t = tensors
    producers = [p for p, _ in walked[0]]
    consumers = [c for c, _ in walked[1]]
    names = ctx.names
    if target is not None:
        serves = f"{target[0]} tensor {target[1]} of {target[2]!r}"
    elif consumers:
        serves = ", ".join([repr(short(names[c], 60)) for c in consumers])
    else:
        serves = "unknown"
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
    return _reformat_cause(ctx, r, kind, tensors, serves, target, (producers, consumers)), ev


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
        where = ("the layer formats are not recorded (names-only source)" if not ctx.detailed else
                 "the layer information gives no data type for its tensors")
        return f"a reformat serving {serves}; {where}, so precision vs layout conversion is unknown"
    what = {
        "precision": f"converts precision {ip} -> {op}",
        "layout": f"converts layout {il} -> {ol} ({ip})",
        "precision+layout": f"converts {ip}/{il} -> {op}/{ol}",
        "copy": f"copies {ip}/{il} unchanged",
    }[kind]
    if il is None or ol is None:   # dtype-only formats (verbose 'Engine Layer Information'): no layout named
        what = (f"converts precision {ip} -> {op}" if kind == "precision" else
                f"keeps {ip} -> {op}, so it converts the layout (the layer information prints each tensor's "
                "data type and shape, not its layout)")
    ip_l, op_l = (ip if il is None else f"{ip}/{il}"), (op if ol is None else f"{op}/{ol}")
    if at_input:
        return f"{what} at the network input: the engine input is {ip_l} but {serves} runs on {op_l}"
    if at_output:
        return f"{what} at the network output: the engine output is declared {op_l}"
    if reformat_layout.between_layers(ctx, r, kind):
        return f"{what}: {reformat_layout.kernels_text(ctx, producers, consumers, tensors)}"
    prod = repr(short(ctx.names[producers[0]], 50)) if producers else "its producer"
    reader = serves
    if target is not None and target[0] == "output":  # converts the served layer's OUTPUT
        reader = ", ".join(repr(short(n, 50)) for n in names_of(ctx, consumers)) if consumers else "its readers"
    return f"{what}: {prod} writes {ip_l} while {reader} read(s) {op_l}"


# ------------------------------------------------------------------------------------------- qdq-standalone
_NO_FOLD = "no neighbour accepted the scale"


def _qdq_group(op_name: str, kind: str) -> tuple[str, str, str]:
    """The group key, title and cause of the standalone Q/DQ layers of one operation and reason."""
    return (
        f"{op_name} | {kind}",
        f"{{n}} standalone {op_name} layers: {kind}",
        f"{{n}} {op_name} layers run as their own kernels for one reason: {kind} (per-layer causes: evidence.members)",
    )


def check_qdq(ctx: LintContext) -> list[Finding]:
    """Quantize/Dequantize layers that TensorRT could not fold into a neighbouring layer."""
    names, origin, detail = ctx.names, ctx.origin, ctx.detail
    rows = _rows_where(ctx, ctx._qdq)
    absorbed = facts.single_row_absorbed(ctx, "qdq-standalone")
    if absorbed:  # no detail: what a root cause absorbs is not shown (rules_facts.absorbed_rows); a Dequantize
        # writing a network output (read by no layer) is one finding with its reformat: kept to be decided below
        edges, readers = ctx.has_edges, ctx.consumers
        rows = [r for r in rows if r not in absorbed or not (edges and readers[r])]
    groups: dict[tuple[str, str], tuple[str, str, str]] = {}
    inputs, outputs = ctx.inputs, ctx.outputs
    sink = facts.sink(ctx, "qdq-standalone")
    refer = sink.referencer(ctx, "qdq-standalone") if sink is not None and not ctx.full_members else None
    covered: set[int] = sink.covered if refer is not None and sink is not None else set()
    operation = _qdq_operations(ctx)
    if covered and sink is not None:  # the references the residual root takes, first (they are most of them)
        rows = _refer_covered(ctx, rows, sink, operation)
    later = facts.deferring(ctx)  # cause and evidence built only if the finding is shown whole
    # the int8-fallback roots absorbing some of them
    fallback = fallback_sinks(ctx, "qdq-standalone")
    out: list[Finding] = []
    for r in rows:
        ins, outs = inputs[r], outputs[r]
        in_t = ins[0] if ins else None
        out_t = outs[0] if outs else None
        ip = in_t.get("dtype") if in_t else None
        op = out_t.get("dtype") if out_t else None
        op_name = operation(r, ip, op)
        name = names[r]
        title = f"Standalone {op_name} layer {name if len(name) <= 60 else name[:57] + '...'}"
        if refer is not None and r in covered:  # a reference (rules_facts.Sink): no cause or evidence
            refer([r], title)
            continue
        if fallback is not None and fallback.refer("qdq-standalone", [r], title):
            continue  # a reference member of the int8-fallback root absorbing it (never an output Dequantize)
        tied = rules_causes.output_dequantize(ctx, r) if op_name == "Dequantize" else None
        if tied is not None and (sink is None or r not in sink.covered):   # the Q/DQ at a network output
            if absorbed and facts.is_absorbed(facts.absorbed_rows(ctx, "qdq-standalone"), [*tied, r]):
                continue  # no detail: a root cause holds it and its reformat (rules_facts.absorbed_rows)
            confidence = "proven" if (ip and op) or origin[r].upper() == "QDQ" else "inferred"
            out.append(rules_causes.output_dequantize_finding(ctx, r, tied, title, confidence))
            continue
        if r in absorbed:
            continue  # no detail: what a root cause absorbs is not shown (kept above for the output test only)
        cause, ev = "", _empty()
        if later:  # the severity and group as _qdq_kind finds them; the texts if the finding is shown
            severity, kind = _qdq_kind(ctx, r, op_name)
            ev = facts.Later(partial(_qdq_texts, ctx, r, op_name, (in_t, out_t)))
        elif detail:
            severity, kind, cause, ev = _qdq_detail(ctx, r, op_name, (in_t, out_t))
            if sink is not None and r in sink.covered:  # a member of the root cause (rules_facts.Sink)
                sink.take(ctx, "qdq-standalone", [r], title, cause, ev)
                continue
        else:
            severity, kind = _qdq_kind(ctx, r, op_name)
        group = groups.get((op_name, kind))
        if group is None:
            group = groups[op_name, kind] = _qdq_group(op_name, kind)
        out.append(
            Finding(
                rule_id="qdq-standalone",
                rows=[r],
                title=title,
                cause=cause,
                evidence=ev,
                severity=severity,
                confidence="proven" if (ip and op) or origin[r].upper() == "QDQ" else "inferred",
                group=group[0],
                group_title=group[1],
                group_cause=group[2],
            )
        )
    return out


def _refer_covered(ctx: LintContext, rows: list[int], sink: facts.Sink, operation: Callable[[int, Any, Any], str]
                   ) -> list[int]:
    """Keep the qdq-standalone finding of each of ``rows`` the residual root's ``sink`` covers as its reference
    member (what Sink.referencer makes: the layer, the title, its profiled time), in one loop; returns the
    other rows. The members are ordered by the root's rows, so doing these first changes nothing."""
    names, inputs, outputs, avg, covered, fsum = ctx.names, ctx.inputs, ctx.outputs, ctx.avg_ms, sink.covered, math.fsum
    bucket, positions = sink.bucket("qdq-standalone")
    rest = []
    for r in rows:
        if r not in covered:
            rest.append(r)
            continue
        ins, outs = inputs[r], outputs[r]
        op_name = operation(r, ins[0].get("dtype") if ins else None, outs[0].get("dtype") if outs else None)
        name = names[r]
        cost = fsum((avg[r],))
        bucket.append((positions[r], {
            "rule_id": "qdq-standalone", "layers": [name],
            "title": f"Standalone {op_name} layer {name if len(name) <= 60 else name[:57] + '...'}",
            "cost_ms": None if cost != cost else cost}))
    return rest


def _qdq_detail(
    ctx: LintContext,
    r: int,
    op_name: str,
    tensors: tuple[dict[str, Any] | None, dict[str, Any] | None],
) -> tuple[str | None, str, str, dict[str, Any]]:
    """(severity override, the first reason's kind, cause, evidence) of the qdq-standalone finding on ``r``."""
    names, n, desc = ctx.names, ctx.n, ctx.tensor_desc
    in_t, out_t = tensors
    walked = ctx.next_compute(r, downstream=False), ctx.next_compute(r, downstream=True)
    ev: dict[str, Any] = {
        "operation": op_name,
        "input": desc(in_t) if in_t else None,
        "output": desc(out_t) if out_t else None,
        "origin": ctx.origin[r] or None,
    }
    if ctx.has_edges:
        ev["producers"] = [names[u] for u, _ in walked[0]]
        ev["consumers"] = [names[d] for d, _ in walked[1]]
    else:  # execution order only: neighbours, not proven producers/consumers
        ev["previous_layer"] = names[r - 1] if r > 0 else None
        ev["next_layer"] = names[r + 1] if r + 1 < n else None
    ip = in_t.get("dtype") if in_t else None
    severity, reasons, kinds = _qdq_reasons(ctx, r, op_name, ip, ev, walked)
    if not reasons:
        kinds.append(_NO_FOLD)
        reasons.append(
            "no neighbouring layer accepted the Q/DQ scale (TensorRT folds Q into the producer's "
            "output and DQ into the consumer's input only for supported patterns)"
        )
    return severity, kinds[0], reasons[0] if len(reasons) == 1 else "; ".join(dict.fromkeys(reasons)), ev


def _qdq_texts(
    ctx: LintContext, r: int, op_name: str, tensors: tuple[dict[str, Any] | None, dict[str, Any] | None]
) -> tuple[str, dict[str, Any]]:
    """The cause and evidence :func:`_qdq_detail` gives (what a deferred finding builds: facts.Later)."""
    _, _, cause, ev = _qdq_detail(ctx, r, op_name, tensors)
    return cause, ev


def _qdq_kind(ctx: LintContext, r: int, op_name: str) -> tuple[str | None, str]:
    """(severity override, kind of the first reason) as :func:`_qdq_reasons` finds them, without the texts:
    what a finding shown without its cause needs (its severity and group)."""
    if ctx.has_edges and not ctx.producers[r]:
        return "info", "quantizes the network input"
    if op_name == "Quantize":
        qdq, consumers = ctx.is_qdq, ctx.consumers
        for p in ctx.producers[r]:
            if any(c != r and not qdq(c) for c in consumers[p]):
                return None, "tensor also read unquantized"
        precision, out_precision, conv = ctx.precision, ctx.output_precision, ctx.is_conv
        for u, _ in ctx.next_compute(r, downstream=False):
            pu = precision[u]
            if pu in _FLOAT and not conv(u):
                return None, "producer runs in float"
            if out_precision[u] in _FLOAT and pu in _QUANT and conv(u):
                return None, "INT8 producer writes float"
    elif op_name == "Dequantize":
        precision = ctx.precision
        if any(precision[d] in _FLOAT for d, _ in ctx.next_compute(r, downstream=True)) or any(
            facts.reads_float(ctx, r, d) for d in ctx.consumers[r]
        ):
            return None, "dequantizes for float readers"
    return None, _NO_FOLD


def _qdq_operation(ctx: LintContext, r: int, ip: str | None, op: str | None) -> str:
    """Quantize, Dequantize or Q/DQ, from the tensor precisions (the layer name without them)."""
    if ip and op:
        if op in prec.QUANTIZED_PRECISIONS and ip not in prec.QUANTIZED_PRECISIONS:
            return "Quantize"
        if ip in prec.QUANTIZED_PRECISIONS and op not in prec.QUANTIZED_PRECISIONS:
            return "Dequantize"
        return "Q/DQ"
    return "Dequantize" if "dequant" in ctx.names[r].lower() else "Quantize"


def _qdq_operations(ctx: LintContext) -> Callable[[int, Any, Any], str]:
    """:func:`_qdq_operation` as a function of (row, ip, op), decided once per distinct pair of tensor
    precisions (a handful) when both are given; from the name otherwise."""
    known: dict[tuple[Any, Any], str] = {}

    def operation(r: int, ip: Any, op: Any) -> str:
        if ip and op:
            try:
                return known[ip, op]
            except KeyError:
                got = known[ip, op] = _qdq_operation(ctx, r, ip, op)
                return got
            except TypeError:  # an unhashable dtype (a hostile file): decided on its own
                pass
        return _qdq_operation(ctx, r, ip, op)

    return operation


def _qdq_reasons(
    ctx: LintContext, r: int, op_name: str, ip: str | None, ev: dict[str, Any], walked: tuple[Neighbours, Neighbours]
) -> tuple[str | None, list[str], list[str]]:
    """Why standalone Q/DQ layer ``r`` was not folded: (severity override, reasons, reason kinds);
    records the float readers in ``ev``. ``walked``: its compute producers and consumers (next_compute)."""
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
        _quantize_reasons(ctx, r, walked[0], reasons, kinds, ev)
    elif op_name == "Dequantize":
        float_cons = [d for d, _ in walked[1] if prec.is_float(ctx.precision[d])]
        float_cons += [d for d in ctx.consumers[r] if d not in float_cons and facts.reads_float(ctx, r, d)]
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
def check_int8_fallback(ctx: LintContext) -> list[Finding]:
    """Compute layers running FP16/FP32 between INT8 layers of an engine built with INT8 allowed."""
    allowed, why = facts.int8_allowed(ctx)
    if not allowed:
        return []
    out: list[Finding] = []
    names, precision, avg, detail = ctx.names, ctx.precision, ctx.avg_ms, ctx.detail
    ptype, ltype = ctx.parameter_type, ctx.layer_type
    absorbed = facts.absorbed_rows(ctx, "int8-fallback")
    sink = facts.sink(ctx, "int8-fallback")
    refer = sink.referencer(ctx, "int8-fallback") if sink is not None and not ctx.full_members else None
    bandwidth = ctx.memory_bandwidth is not None
    method = facts.bytes_method(ctx, facts.FALLBACK_COST)
    roots = fallback_roots(ctx)  # the Sinks where the rules it supersedes left its members
    for r, parts in facts.fallbacks(ctx).items():
        _, _, float_writers, conversions = parts
        rows = [r, *conversions, *float_writers]
        if absorbed and facts.is_absorbed(absorbed, rows):
            continue  # no detail: what a root cause absorbs is not shown (rules_facts.absorbed_rows)
        p = precision[r]
        kind = ptype[r] or ltype[r] or "layer"
        saving = {x: avg[x] for x in conversions}
        if bandwidth:  # estimated from bytes at that bandwidth
            facts.add_bytes_savings(ctx, saving, float_writers)
        # Q/DQ network, no Q/DQ on the layer's input: float is what the network's quantization asked for
        asked = _qdq_network(ctx) and not _input_quantized(ctx, parts[0])
        title = (f"{kind} {short(names[r], 60)} runs in {p}: its input is not quantized (no Q/DQ on it)"
                 if asked else f"{kind} {short(names[r], 60)} fell back to {p} in an INT8 engine")
        sunk = sink is not None and sink.covers(rows)  # a member of the root cause (rules_facts.Sink)
        if sunk and refer is not None:  # a reference: no cause or evidence
            refer(rows, title, saving)
            continue
        cause, ev = _fallback_detail(ctx, r, kind, parts, why) if detail else ("", {})
        if detail:
            ev.update(facts.bytes_evidence(ctx, saving, float_writers))
        if sunk and sink is not None:
            sink.take(ctx, "int8-fallback", rows, title, cause, ev, saving)
            continue
        out.append(
            Finding(
                rule_id="int8-fallback",
                rows=rows,
                saving=saving,
                supersedes=("reformat-copy", "qdq-standalone", "int8-float-output"),
                title=title,
                cause=cause,
                evidence=ev,
                severity="info" if asked else None,
                cost_method=method,
            )
        )
        if roots is not None:
            roots.claim(r, out[-1])
    return out


def _qdq_network(ctx: LintContext) -> bool:
    """An explicitly quantized (Q/DQ) engine: some layer is a Quantize/Dequantize layer (once per context)."""
    cache = ctx.rule_cache
    if "qdq_network" not in cache:
        cache["qdq_network"] = any(map(ctx.is_qdq, range(ctx.n)))
    found: bool = cache["qdq_network"]
    return found


def _input_quantized(ctx: LintContext, up8: Neighbours) -> bool:
    """Whether the layer's input was quantized: a Q/DQ layer between it and an INT8 producer, or an INT8
    producer writing INT8 for it (then a float kernel is a real fallback)."""
    qdq, out_precision = ctx.is_qdq, ctx.output_precision
    return any(out_precision[u] in _QUANT or any(qdq(x) for x in path) for u, path in up8)


def _fallback_detail(
    ctx: LintContext, r: int, kind: str, parts: facts.FallbackParts, why: str
) -> tuple[str, dict[str, Any]]:
    """The cause and evidence of the int8-fallback finding on row ``r``."""
    up8, down8, float_writers, conversions = parts
    warnings = facts.warnings_for(ctx, r)
    ev: dict[str, Any] = {
        "precision": ctx.precision[r],
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
        "conversions_ms": ctx.time_of(conversions),
        "attributable_ms": ctx.time_of([r, *conversions]),
        "build_log": warnings,
        "int8_producers_writing_float": names_of(ctx, float_writers),
    }
    cause = fallback_text.fallback_cause(ctx, r, kind, parts, _qdq_network(ctx), warnings)
    return cause, ev


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

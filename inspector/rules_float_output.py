"""The ``int8-float-output`` rule: INT8 convolutions/GEMMs whose output is float and read by further layers (not
only the network output), with the standalone Q/DQ layers that quantize that output again."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from trtinspect.inspector import precision as prec
from trtinspect.inspector import rules_facts as facts
from trtinspect.inspector.rules_base import Finding, LintContext
from trtinspect.inspector.rules_facts import Neighbours
from trtinspect.inspector.rules_fallback_sink import fallback_sinks
from trtinspect.inspector.rules_precision import _empty, _quoted

_FLOAT = prec.FLOAT_PRECISIONS
_QUANT = prec.QUANTIZED_PRECISIONS


def check_int8_float_output(ctx: LintContext) -> list[Finding]:
    """INT8 convolutions/GEMMs whose output is float and read by further layers (not a network output)."""
    out: list[Finding] = []
    names, out_precision, avg_ms, has_edges = ctx.names, ctx.output_precision, ctx.avg_ms, ctx.has_edges
    readers_of = facts.residual_readers(ctx)
    walk = ctx.next_compute
    absorbed = facts.absorbed_rows(ctx, "int8-float-output")
    sink = facts.sink(ctx, "int8-float-output")
    sure = facts.surely_absorbed(ctx) if absorbed else None
    savings = facts.int8_savings(ctx) if ctx.memory_bandwidth is not None else None
    method = facts.bytes_method(ctx, facts.FLOAT_OUTPUT_COST)
    covered = sink.covered if sink is not None else None
    refer = sink.referencer(ctx, "int8-float-output") if sink is not None and not ctx.full_members else None
    bucket, positions = sink.bucket("int8-float-output") if refer is not None and sink is not None else (None, {})
    fsum, nan, got = math.fsum, math.nan, math.nan
    qdq, noop, consumers, through = ctx._qdq, ctx._noop, ctx.consumers, ctx._passthrough
    fallback = fallback_sinks(ctx, "int8-float-output")  # the int8-fallback roots absorbing some of them
    for r in facts.int8_float_writers(ctx):
        if sure is not None and sure(r):
            continue  # no detail: what a root cause absorbs is not shown (rules_facts.surely_absorbed)
        # the Q/DQ layers re-quantizing its output, read from its consumers where that is the whole answer
        requant = direct_requantizers(consumers, through, qdq, noop, r) if has_edges else None
        direct = requant is not None  # then requant is [] or [q], q != r
        downs: Neighbours | None = None
        if requant is None:
            downs = walk(r, downstream=True)
            requant = requantizers(qdq, noop, consumers[r] if has_edges else None, downs)
            if not downs and not requant:
                continue  # feeds only the network output
        elif not requant:  # its compute readers are its consumers (none a passthrough layer), walked if needed
            cs = consumers[r]
            if cs.count(r) == len(cs):
                continue  # feeds only the network output
        rows = [r, *requant]
        if absorbed and facts.is_absorbed(absorbed, rows):
            continue  # no detail: what a root cause absorbs is not shown (rules_facts.absorbed_rows)
        res_readers = readers_of[r]
        if has_edges and not requant and not res_readers and not _quantized_after(
                ctx, walk(r, downstream=True) if downs is None else downs):
            continue  # float wanted downstream all the way to the output (e.g. logits for a Softmax head)
        keep = False  # whether the bytes estimate is part of the saving
        if savings is not None:  # estimated from bytes at that bandwidth: facts.add_bytes_savings(ctx, saving, [r])
            known = savings.get(r)
            got = ctx.int8_write_saving(r) if known is None else known
            keep = got == got or avg_ms[r] != avg_ms[r]  # a timed row whose bytes are unknown (NaN) is left out
        name = names[r]
        title = f"INT8 layer writes {out_precision[r]}: {name if len(name) <= 70 else name[:67] + '...'}"
        # a member of the root cause (rules_facts.Sink): a reference needs no cause or evidence
        sunk = covered is not None and (r in covered if not requant else covered.issuperset(rows))
        if sunk and bucket is not None and direct:
            # Sink.referencer's reference: cost = math.fsum of the saving (NaN: none), the layers of the rows
            cost = fsum([avg_ms[requant[0]], got] if keep else [avg_ms[requant[0]]]) if requant else (
                fsum((got,)) if keep else nan)
            bucket.append((positions[r], {"rule_id": "int8-float-output",
                                          "layers": [name, names[requant[0]]] if requant else [name],
                                          "title": title, "cost_ms": None if cost != cost else cost}))
            continue
        saving = {x: avg_ms[x] for x in requant} if requant else {}
        if keep:
            saving[r] = got
        if sunk and refer is not None:
            refer(rows, title, saving)
            continue
        if fallback is not None and not sunk and fallback.refer("int8-float-output", rows, title, saving):
            continue  # a reference member of the int8-fallback root absorbing it
        got_finding = _finding(ctx, r, (rows, requant, res_readers), title, saving,
                               walk(r, downstream=True) if downs is None else downs, sink if sunk else None)
        if got_finding is not None:
            got_finding.cost_method = method
            out.append(got_finding)
    return out


def _quantized_after(ctx: LintContext, downs: Neighbours) -> bool:
    """Whether a float reader among ``downs`` (a layer's next_compute) feeds a quantized compute layer (else
    float is wanted downstream all the way to the output)."""
    precision, walk = ctx.precision, ctx.next_compute
    return any(precision[x] in _QUANT
               for d, _ in downs if precision[d] in _FLOAT for x, _ in walk(d, downstream=True))


def _finding(ctx: LintContext, r: int, found: tuple[list[int], list[int], list[int]], title: str,
             saving: dict[int, float], downs: Neighbours, sink: facts.Sink | None) -> Finding | None:
    """The int8-float-output finding of writer ``r`` (``found``: its rows, re-quantizers and residual readers;
    ``downs``: its next_compute), its cause and evidence left to facts.Later when the engine allows; None
    when the residual root's ``sink`` keeps it whole instead (Sink.take)."""
    rows, requant, res_readers = found
    cause, ev = "", _empty()
    if facts.deferring(ctx):  # cause and evidence built only if the finding is shown whole
        ev = facts.Later(partial(_float_output_texts, ctx, r, downs, res_readers, requant, saving))
    elif ctx.detail:
        cause, ev = _float_output_texts(ctx, r, downs, res_readers, requant, saving)
        if sink is not None:
            sink.take(ctx, "int8-float-output", rows, title, cause, ev, saving)
            return None
    return Finding(rule_id="int8-float-output", rows=rows, saving=saving, supersedes=("qdq-standalone",),
                   title=title, cause=cause, evidence=ev)


def direct_requantizers(
    consumers: list[list[int]], through: list[bool], qdq: list[bool], noop: list[bool], r: int
) -> list[int] | None:
    """:func:`requantizers` of row ``r`` (through tensor edges) read from its consumers alone, without the walk
    to its compute readers, where they decide it: ``[]`` when no consumer is a passthrough layer (then no Q/DQ
    layer lies on the way); ``[q]`` when one passthrough layer ``q`` reads it (however often listed), a
    standalone Q/DQ layer whose own consumers are none passthrough (every path through it is ``[q]``, and it
    is a direct reader). None: the walk decides (several passthrough readers, or longer paths)."""
    cs = consumers[r]
    if len(cs) == 1:  # most layers: one reader
        q = cs[0]
        if not through[q]:
            return []
    else:
        q = -1
        for x in cs:
            if through[x] and x != q:
                if q != -1:
                    return None
                q = x
        if q == -1:
            return []
    if q == r or not qdq[q] or noop[q]:
        return None
    for y in consumers[q]:
        if through[y]:
            return None
    return [q]


def requantizers(qdq: list[bool], noop: list[bool], direct: list[int] | None, downs: Neighbours) -> list[int]:
    """Standalone Q/DQ layers (``qdq`` and not ``noop``, per row) on the way from a layer to its compute readers
    (``downs``: its next_compute), or reading it directly (``direct``: its consumers; None without edges)."""
    requant = [x for _, path in downs for x in path if qdq[x] and not noop[x]] if downs else []
    if len(requant) > 1:
        requant = list(dict.fromkeys(requant))
    if direct:
        requant += [x for x in direct if qdq[x] and not noop[x] and x not in requant]
    return requant


def _float_output_texts(
    ctx: LintContext, r: int, downs: Neighbours, res_readers: list[int], requant: list[int], saving: dict[int, float]
) -> tuple[str, dict[str, Any]]:
    """The cause and evidence of the int8-float-output finding on row ``r`` (``downs``: its next_compute)."""
    precision = ctx.precision
    readers = [d for d, _ in downs]
    float_readers = [d for d in readers if precision[d] in _FLOAT]
    cause, ev = _float_output_detail(ctx, r, readers, float_readers, res_readers, requant)
    ev.update(facts.bytes_evidence(ctx, saving, [r]))
    return cause, ev


def _float_output_detail(
    ctx: LintContext, r: int, readers: list[int], float_readers: list[int], res_readers: list[int], requant: list[int]
) -> tuple[str, dict[str, Any]]:
    """The cause and evidence of the int8-float-output finding on row ``r``."""
    names, op = ctx.names, ctx.output_precision[r]
    reasons = []
    if float_readers:
        reasons.append(f"read in float by {_quoted(ctx, float_readers, 50)}")
    if res_readers:
        reasons.append(
            "the residual (non-first) input of the fused Add in "
            f"{_quoted(ctx, res_readers, 50)}, which reads it in {op}: the residual branch is not quantized"
        )
    if requant:
        reasons.append(f"quantized again by {_quoted(ctx, requant, 40)}")
    if not reasons:
        reasons.append(f"declared {op} by the network (no Q/DQ after it)")
    ev = {
        "precision": ctx.precision[r],
        "output_precision": op,
        "output_format": ctx.output_format[r],
        "tactic": ctx.tactic[r] or None,
        "readers": [names[x] for x in readers],
        "float_readers": [names[x] for x in float_readers],
        "residual_readers": [names[x] for x in res_readers],
        "requantized_by": [names[x] for x in requant],
        "requantize_ms": ctx.time_of(requant),
    }
    return f"the INT8 layer writes {op} because its output is " + "; ".join(reasons), ev

"""Rule ``unfused-conv-epilogue``: a convolution whose add/activation/BN/scale runs as a separate layer."""

from __future__ import annotations

from typing import Any

from trtinspect.inspector import precision as prec
from trtinspect.inspector.rules_base import Finding, LintContext, names_of, short

RULE_ID = "unfused-conv-epilogue"
_KIND_WORDS = {"add": "add", "act": "activation", "bn": "batch-norm", "scale": "scale"}
_NO_ACTIVATION = {"", "NONE", "kNONE", "None"}


def _activation_fused(attrs: dict[str, Any]) -> bool:
    """The convolution's attributes say it fused an activation."""
    act = attrs.get("Activation")
    return (isinstance(act, str) and act not in _NO_ACTIVATION) or attrs.get("HasReLU") == 1


def epilogue_state(ctx: LintContext, r: int) -> str:
    """What a convolution layer fused after the convolution: "closed" (an activation), "add", "open"."""
    attrs = ctx.attributes[r]
    if _activation_fused(attrs):
        return "closed"
    kinds = ctx.compute_kinds(r)
    last_conv = max((i for i, k in enumerate(kinds) if k in prec.COMPUTE_KINDS), default=-1)
    after = kinds[last_conv + 1 :]
    if "act" in after:
        return "closed"
    if "add" in after or attrs.get("HasResidual") == 1:
        return "add"
    return "open"


def _epilogue_kinds(ctx: LintContext, e: int) -> list[str]:
    kinds = [k for k in ctx.compute_kinds(e) if k in prec.EPILOGUE_KINDS]
    if kinds:
        return kinds
    ptype = ctx.parameter_type[e] or ctx.layer_type[e]
    if "Activation" in ptype:
        return ["act"]
    if "Scale" in ptype:
        return ["scale"]
    if "ElementWise" in ptype:
        return ["add"]
    return ["act"]  # PointWise: some fused pointwise math


def _conv_kind(ctx: LintContext, r: int) -> str:
    kinds = ctx.compute_kinds(r)
    if "deconv" in kinds or "Deconvolution" in (ctx.parameter_type[r] + ctx.layer_type[r]):
        return "ConvTranspose"
    if "gemm" in kinds and "conv" not in kinds:
        return "GEMM"
    return "Conv"


def _cause(
    ctx: LintContext, convs: list[int], e: int, between: list[int], proven: bool
) -> tuple[str, dict[str, Any]]:
    reasons: list[str] = []
    ev: dict[str, Any] = {}
    qdq = [x for x in between if ctx.is_qdq(x)]
    reformats = [x for x in between if ctx.is_reformat(x)]
    kinds: list[str] = []
    if qdq:
        kinds.append("Q/DQ between the convolution and its epilogue")
        reasons.append(
            f"Q/DQ layer(s) between the convolution and the {ctx.names[e]!r} layer "
            f"({', '.join(names_of(ctx, qdq))}) block the fusion"
        )
    if proven:
        in_precisions = [t.get("dtype") for t in ctx.inputs[e] if t.get("dtype")]
        ev["epilogue_inputs"] = [ctx.tensor_desc(t) for t in ctx.inputs[e]]
        ev["conv_outputs"] = [ctx.tensor_desc(t) for c in convs for t in ctx.outputs[c]]
        if len(set(in_precisions)) > 1:
            kinds.append("precision mismatch between the add inputs")
            reasons.append(
                f"precision mismatch between the branches: the {short(ctx.names[e], 50)!r} inputs are "
                f"{' and '.join(str(p) for p in in_precisions)}"
            )
        for c in convs:
            others = [x for x in ctx.consumers[c] if x not in between and x != e]
            if others:
                kinds.append("convolution output read elsewhere")
                reasons.append(
                    f"the output of {short(ctx.names[c], 50)!r} has other consumers "
                    f"({', '.join(short(n, 40) for n in names_of(ctx, others))}), so it must be "
                    "materialised"
                )
                ev.setdefault("other_consumers", []).extend(names_of(ctx, others))
            if not ctx.consumers[c]:
                kinds.append("convolution output is a network output")
                reasons.append(f"the output of {short(ctx.names[c], 50)!r} is a network output")
    else:
        conv_has_qdq = any("qdq" in ctx.kinds_of(c) for c in convs)
        epi_has_qdq = "qdq" in ctx.kinds_of(e)
        epi_kinds = set(_epilogue_kinds(ctx, e))
        if conv_has_qdq and not epi_has_qdq and not qdq and "add" in epi_kinds:
            kinds.append("residual branch of the add not quantized (Q/DQ network)")
            reasons.append(
                "likely an explicitly quantized (Q/DQ) network whose residual/other branch of the add is not "
                "quantized: TensorRT fuses Conv+Add(+ReLU) in INT8 only when both add inputs come through "
                "Q/DQ "
                "(typical of torch.fx / pytorch-quantization exports)"
            )
        elif conv_has_qdq and not epi_has_qdq and not qdq:
            kinds.append("Q/DQ boundary between the convolution and its activation")
            reasons.append(
                "likely a Q/DQ pair between the convolution and its activation in the exported graph "
                "(TensorRT does not fuse an activation across a quantization boundary), or no fused INT8 "
                "kernel for this "
                "convolution+activation"
            )
        if reformats:
            kinds.append("reformat between the convolution and its epilogue")
            reasons.append(
                f"a reformat between them ({', '.join(short(n, 50) for n in names_of(ctx, reformats))}) "
                "suggests a precision or layout mismatch between the branches"
            )
    ev["cause_kind"] = kinds[0] if kinds else "no fused kernel"
    if not reasons:
        reasons.append(
            "TensorRT found no fused kernel for this pattern (the build log with --verbose lists the "
            "fusion passes applied)"
        )
    return "; ".join(reasons), ev


# What is known about TensorRT fusing an activation into a quantized deconvolution (ConvTranspose): the TensorRT
# developers' answers in NVIDIA/TensorRT issues 3412 (Nov 2023) and 1699 (Mar 2022); no release note or fusion
# catalogue entry lists it, so the advice says where that knowledge comes from and that the files cannot tell.
_DECONV_KNOWN = (
    "What is known about a fused INT8 deconvolution + activation: TensorRT's developers said (NVIDIA/TensorRT "
    "issue 3412, Nov 2023) that a Q/DQ 2-D ConvTranspose followed by an activation should fuse, a 3-D one only as "
    "Q/DQ + ConvTranspose + activation + Q/DQ, and that Q/DQ + ConvTranspose + BatchNorm does not fuse (fold "
    "BatchNorm into the weights before export); without a Q/DQ after it, a quantized ConvTranspose writes float "
    "(issue 1699). Whether {version} has such a kernel for these layers is not in these files: a --verbose build "
    "log lists the fusions applied and each layer's tactic."
)


def advice(ctx: LintContext, conv_kind: str, kinds: list[str], cause_kind: str) -> str | None:
    """The mitigation for one group (None: the rule's text, written for the residual Add). An epilogue with no
    Add gets advice about its own pattern: where the Q/DQ sits, what reads the convolution's output, and for a
    deconvolution what is known about TensorRT's fused INT8 kernels."""
    if "add" in kinds:
        return None
    conv = {"ConvTranspose": "deconvolution (ConvTranspose)", "GEMM": "GEMM"}.get(conv_kind, "convolution")
    ops = " + ".join(_KIND_WORDS[k] for k in kinds)
    if cause_kind.startswith("Q/DQ"):
        text = (f"In the exported graph, look for a QuantizeLinear/DequantizeLinear pair between each {conv} and "
                f"its {ops} and move it after the {ops} (quantize the {ops} output, where the next layer reads "
                f"it): TensorRT does not fuse the {ops} across a Q/DQ boundary.")
    elif cause_kind.startswith("convolution output"):
        text = (f"The {conv} output is read by other layers or is a network output, so it is written before the "
                f"{ops}: read the {ops} output instead, or accept the separate layer.")
    elif cause_kind.startswith("reformat"):
        text = (f"A reformat sits between the {conv} and its {ops}: keep both in one precision and layout (one "
                "Q/DQ scheme, channel counts that suit the vectorised formats).")
    else:
        text = (f"TensorRT found no fused kernel for this {conv} + {ops}: the --verbose build log lists the "
                f"fusion passes it applied; another precision or a ReLU/clip {ops} may fuse.")
    if conv_kind == "ConvTranspose":
        version = f"TensorRT {ctx.bundle.trt_version}" if ctx.bundle.trt_version else \
            "this run's TensorRT (version not recorded)"
        text += " " + _DECONV_KNOWN.format(version=version)
    return text


def check(ctx: LintContext) -> list[Finding]:
    """Convolutions whose epilogue (add/activation/BN/scale) runs as a separate engine layer."""
    proven = ctx.has_edges
    found: dict[int, tuple[list[int], list[int]]] = {}  # epilogue row -> (conv rows, rows between)
    order: list[int] = []
    if not ctx.epilogue_rows:  # no layer an unfused epilogue could be
        return []
    attributes = ctx.attributes
    for r in ctx.conv_rows:
        if _activation_fused(attributes[r]):
            continue  # "closed"
        after = [(e, btw) for e, btw in ctx.next_compute(r, downstream=True, max_hops=3) if ctx.is_epilogue_only(e)]
        if not after:
            continue
        state = epilogue_state(ctx, r)
        if state == "closed":
            continue
        for e, between in after:
            kinds = _epilogue_kinds(ctx, e)
            if state == "add" and "act" not in kinds:
                continue
            if e in found:
                convs, btw = found[e]
                convs.append(r)
                btw.extend(x for x in between if x not in btw)
            else:
                found[e] = ([r], list(between))
                order.append(e)
    out: list[Finding] = []
    for e in order:
        convs, between = found[e]
        kinds = list(dict.fromkeys(_epilogue_kinds(ctx, e)))
        ops = " + ".join(_KIND_WORDS[k] for k in kinds)
        conv_kind = _conv_kind(ctx, convs[0])
        cause, ev = _cause(ctx, convs, e, between, proven)
        mitigation = advice(ctx, conv_kind, kinds, ev["cause_kind"])
        chain = [*convs, *between, e]
        ev.update(
            {
                "pattern": f"{conv_kind} -> {ops}",
                "chain": names_of(ctx, chain),
                "convolutions": names_of(ctx, convs),
                "epilogue_layer": ctx.names[e],
                "epilogue_ops": kinds,
                "between": names_of(ctx, between),
                "edges": "tensor" if proven else "execution order",
                "source_nodes": {ctx.names[x]: ctx.source_nodes[x] for x in chain},
            }
        )
        title = (
            f"Unfused {ops} after {conv_kind.lower()}: {short(ctx.names[convs[0]], 60)} -> "
            f"{short(ctx.names[e], 40)}"
        )
        out.append(
            Finding(
                rule_id=RULE_ID,
                rows=chain,
                title=title,
                cause=cause,
                evidence=ev,
                confidence="proven" if proven else "inferred",
                saving={x: ctx.avg_ms[x] for x in [*between, e]},
                mitigation=mitigation,
                group_mitigation=mitigation,
                group=f"{conv_kind} -> {ops} | {ev['cause_kind']}",
                group_title=f"{{n}} unfused {ops} layers after {conv_kind.lower()}s: {ev['cause_kind']}",
                group_cause=(
                    f"{{n}} {conv_kind.lower()}s are each followed by a separate {ops} layer ("
                    f"{'proven through tensor edges' if proven else 'inferred from layer order and names'}); "
                    f"shared cause: {ev['cause_kind']}. Per-layer causes: evidence.members"
                ),
            )
        )
    return out

"""Rules about the kernels TensorRT chose: convolutions/GEMMs off Tensor Cores, channels needing padding."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from trtinspect.inspector import precision as prec
from trtinspect.inspector import rules_facts as facts
from trtinspect.inspector.rules_base import Finding, LintContext, channels_of, short
from trtinspect.inspector.rules_facts import ConvTensors
from trtinspect.inspector.rules_precision import conversion_kind

# Padding share (of the Tensor Core work) from which a channel count is reported, in percent: compared in
# integers, so 144 -> 160 channels (exactly 10%) is reported whatever float rounding would say.
MIN_PADDING_PERCENT = 10
MIN_PADDING_WASTE = MIN_PADDING_PERCENT / 100


def _tactic_classes(ctx: LintContext) -> dict[str, str]:
    """:func:`precision.tactic_class` of each distinct tactic name of the engine."""
    return {t: prec.tactic_class(t) for t in set(ctx.tactic)}


def _tensor_cores_in_engine(classes: dict[str, str]) -> bool:
    return any(c == "tensor_core" for t, c in classes.items() if t)


def _wants_tensor_cores(ctx: LintContext, r: int, tc_elsewhere: bool) -> bool:
    """A layer whose precision has Tensor Core kernels that this engine could use."""
    p = ctx.precision[r]
    if p in ("FP16", "BF16", "INT8", "FP8"):
        return True
    # FP32 layers use Tensor Cores only through TF32; count it only when the engine used TF32/TC kernels.
    return p in ("FP32", "TF32") and tc_elsewhere


DEPTHWISE_LAYER_TYPES = frozenset({"CudaDepthwiseConvolution"})
_VECTOR = re.compile(r"(\d+)$")


def is_depthwise(ctx: LintContext, r: int) -> bool:
    """A depthwise convolution (its own kernel family, not accelerated by Tensor Cores)."""
    if ctx.layer_type[r] in DEPTHWISE_LAYER_TYPES or "depthwise" in ctx.tactic[r].lower():
        return True
    c, _, g = ctx.channels(r)
    return g > 1 and c is not None and g == c


def is_image_input(ctx: LintContext, r: int) -> bool:
    """A convolution reading the network input (directly or through data-movement layers) with <= 4
    channels: the image-input layer."""
    c, _, _ = ctx.channels(r)
    if c is None or c > 4:
        return False
    if ctx.has_edges:
        ups = ctx.next_compute(r, downstream=False, max_hops=6)
        return all(ctx.is_shape_only(u) for u, _ in ups)
    convs = ctx.conv_rows
    return not convs or convs[0] >= r  # no convolution before it


def _build_precisions(ctx: LintContext) -> str:
    opt = str(ctx.bundle.build_options.get("Precision", "") or "")
    return opt.upper()


def _fp32_only(ctx: LintContext, build: str) -> bool:
    """The engine was built for FP32 only: its build precision says so, else every layer is FP32/TF32."""
    if build:
        return "FP16" not in build and "INT8" not in build and "BF16" not in build
    return set(ctx.precision) <= {"FP32", "TF32", ""}


def check_no_tensor_cores(ctx: LintContext) -> list[Finding]:
    """Convolutions/GEMMs whose tactic is a SIMT (CUDA-core) kernel where Tensor Cores were available.

    Depthwise convolutions are skipped (no Tensor Core kernels for them). Image-input layers (C <= 4) are
    info, in any build (a Tensor Core kernel would pad their few channels; TensorRT timed the CUDA-core one
    faster). In an FP32-only build every other such layer has one cause (the build), so they are one finding.
    An INT8 layer that writes float because its reader runs in float is explained by the root cause that makes
    the reader float: the residual-not-quantized finding covering it absorbs its finding (one root cause, one
    finding; the A100 QAT ResNet-18's conv1 writes FP32 for MaxPool_12 with an int8x4 CUDA-core kernel, while
    with an INT8 reader the same conv runs INT8, fused with the pooling).
    """
    classes = _tactic_classes(ctx)
    tc_elsewhere = _tensor_cores_in_engine(classes)
    tactics = ctx.tactic
    simt = [r for r in ctx.conv_rows if classes[tactics[r]] == "simt"]
    build = _build_precisions(ctx)
    fp32_only = _fp32_only(ctx, build)
    group_cause = _fp32_group_cause(ctx, classes, tc_elsewhere, build) if ctx.detail else ""
    mitigation = ("Build with --fp16 (FP16 Tensor Core kernels; check accuracy), or INT8 with calibration or Q/DQ"
                  + ("" if tc_elsewhere else "; allow TF32 (do not pass --noTF32)") + ".")
    sink = facts.sink(ctx, NO_TC_ID)   # the root cause that makes its reader float takes it (docstring)
    gone = facts.absorbed_rows(ctx, NO_TC_ID)   # without detail: the rows such a root covers
    out: list[Finding] = []
    for r in simt:
        if not _wants_tensor_cores(ctx, r, tc_elsewhere) or is_depthwise(ctx, r):
            continue
        p = ctx.precision[r]
        # an image-input layer (C <= 4) is info, whatever the build: its own finding, not in the FP32-build group
        image = is_image_input(ctx, r)
        group = "fp32-build" if p in ("FP32", "TF32") and fp32_only and not image else None
        tied = tied_reformats(ctx, r)
        rows = [r, *tied]
        if gone and facts.is_absorbed(gone, rows):
            continue
        title = f"{short(ctx.names[r], 60)} runs on CUDA cores ({p})"
        sunk = sink is not None and sink.covers(rows)
        if sunk and sink is not None and not ctx.full_members:   # a reference: no cause or evidence
            sink.take(ctx, NO_TC_ID, rows, title)
            continue
        cause, ev = _no_tensor_cores_cause(ctx, r, image, tc_elsewhere, build) if ctx.detail else ("", {})
        if tied and ctx.detail:
            cause += (f"; its layout ({ctx.input_format[r] or '?'} in, {ctx.output_format[r] or '?'} out) needs "
                      f"{len(tied)} layout reformat(s) that serve only it: {_names(ctx, tied)} (they go with this "
                      "kernel choice, and TensorRT counted them when it picked it)")
            ev["tied_reformats"] = [ctx.names[x] for x in tied]
        if sunk and sink is not None:
            sink.take(ctx, NO_TC_ID, rows, title, cause, ev)
            continue
        out.append(
            Finding(
                rule_id=NO_TC_ID,
                rows=rows,
                supersedes=("reformat-copy",) if tied else (),
                cost_method=TIED_METHOD if tied else None,
                title=title,
                cause=cause,
                evidence=ev,
                severity="info" if image else None,
                mitigation=_no_tensor_cores_advice(ctx, r, image, fp32_only),
                group=group,
                group_always=True,
                group_title="{n} FP32 convolution(s) on CUDA cores: the engine was built for FP32 only",
                group_cause=group_cause,
                group_mitigation=mitigation,
            )
        )
    tied_n = sum(len(f.rows) - 1 for f in out if f.group)
    for f in [f for f in out if f.group] if tied_n else ():
        f.cost_method = TIED_METHOD
        f.group_cause = group_cause and (
            f"{group_cause}; listed and timed with them: the {tied_n} layout reformats that serve only these "
            "CUDA-core kernels (they go with the kernel choice: TensorRT counts reformats when it picks formats, so "
            "they are no saving of their own)")
    return out


NO_TC_ID = "no-tensor-cores"


def _fp32_group_cause(ctx: LintContext, classes: dict[str, str], tc_elsewhere: bool, build: str) -> str:
    """The cause of the FP32-build group (said only with detail): the TF32 note and the count of Tensor Core
    convolutions in it."""
    tactics = ctx.tactic
    n_tc = sum(1 for r in ctx.conv_rows if classes[tactics[r]] == "tensor_core")
    tf32_note = (
        f"TF32 is already allowed ({n_tc} other convolutions run TF32 Tensor Core kernels): TensorRT timed "
        "these CUDA-core kernels faster in FP32"
        if tc_elsewhere
        else "no layer uses TF32 Tensor Core kernels (TF32 disabled?)"
    )
    return (f"the build allowed only FP32 (Precision={build or 'FP32'}); {tf32_note}. One cause for "
            "all of them: the build precision (per-layer tactics and channels: evidence.members)")


def _no_tensor_cores_advice(ctx: LintContext, r: int, image: bool, fp32_only: bool) -> str:
    """Advice for one CUDA-core convolution that fits its build: no "allow FP16/INT8" to a layer that already
    runs FP16/INT8 or an engine whose build already allows them, no "pad to 4" where the kernel's own format
    already pads C to 4 and a Tensor Core kernel would need the precision's multiple (INT8: 16)."""
    c, k, _ = ctx.channels(r)
    p = ctx.precision[r]
    mult = prec.CHANNEL_MULTIPLE.get(p, 8)
    in_float = p in ("FP32", "TF32")
    math = "TF32" if in_float else p
    if image:
        advice = (f"TensorRT chose this CUDA-core kernel for C={c}; if its time matters, try a build where a Tensor "
                  f"Core kernel ({math}) may win and compare: pad the input to {mult} channels in the model (zero "
                  "weights for the extra channels)")
        return advice + ("; or build with --fp16 / INT8 (this engine is FP32 only)." if in_float and fp32_only
                         else ".")
    parts = [f"make the channel counts multiples of {mult} ({p})"] if any(
        n is not None and n % mult for n in (c, k)) else []
    if in_float:
        parts.append("build with --fp16 / INT8 (FP32 only)" if fp32_only
                     else "let the layer run FP16/INT8 (no FP32 precision constraint on it)")
    parts.append("larger batch sizes favour Tensor Core tactics")
    return "; ".join(parts)[:1].upper() + "; ".join(parts)[1:] + "."


TIED_METHOD = ("the convolutions' own time, and that of the layout reformats serving only them (they go with the "
               "kernel choice): an upper bound, not a saving (how much faster a Tensor Core kernel would be is not "
               "estimated)")


def tied_reformats(ctx: LintContext, r: int) -> list[int]:
    """The layout reformats (same data type, another layout) that exist only for CUDA-core layer ``r``: the one
    feeding it alone, the one reading only its output. They go with TensorRT's choice of that kernel (it times
    reformats when it picks formats), so they are no saving of their own. Needs tensor edges."""
    if not ctx.has_edges:
        return []
    tied = []
    ins, outs, reformat, noop = ctx.inputs, ctx.outputs, ctx.is_reformat, ctx.is_noop
    near = [p for p in ctx.producers[r] if ctx.consumers[p] == [r]]
    near += [c for c in ctx.consumers[r] if ctx.producers[c] == [r]]
    for x in near:
        if reformat(x) and not noop(x) and conversion_kind(ins[x][0] if ins[x] else None,
                                                           outs[x][0] if outs[x] else None) == "layout":
            tied.append(x)
    return tied


def _names(ctx: LintContext, rows: list[int]) -> str:
    return ", ".join(repr(short(ctx.names[x], 60)) for x in rows)


def _no_tensor_cores_cause(
    ctx: LintContext, r: int, image: bool, tc_elsewhere: bool, build: str
) -> tuple[str, dict[str, Any]]:
    """The cause and evidence of a ``no-tensor-cores`` finding (``image``: an image-input layer)."""
    c, k, g = ctx.channels(r)
    p = ctx.precision[r]
    mult = prec.CHANNEL_MULTIPLE.get(p, 8)
    reasons = []
    if image:
        reasons.append(
            f"image-input layer (C={c}): a Tensor Core kernel ({'TF32' if p in ('FP32', 'TF32') else p}) works on "
            f"channels in multiples of {mult}, so it would pad C={c}; TensorRT chose this CUDA-core kernel"
        )
        if p in ("FP32", "TF32") and _fp32_only(ctx, build):
            reasons.append(f"the engine was also built for FP32 only (Precision={build or 'FP32'})")
    else:
        if g > 1:
            reasons.append(f"grouped convolution (groups={g}): grouped convolutions rarely map to Tensor Cores")
        for label, n in (("input channels C", c), ("output channels K", k)):
            if n is not None and n % mult:
                reasons.append(f"{label}={n} is not a multiple of {mult} ({p})")
        if not reasons:
            reasons.append("TensorRT timed this SIMT kernel as the fastest (often small spatial size or batch)")
    out_p = ctx.output_precision[r]
    if p in ("INT8", "FP8") and prec.is_float(out_p):
        readers = [x for x, _ in ctx.next_compute(r, downstream=True)] if ctx.has_edges else []
        floats = [x for x in readers if prec.is_float(ctx.precision[x])]
        if floats:   # the root cause first: what makes it write float
            reasons.insert(0, (
                f"it writes {out_p} because its reader(s) {', '.join(repr(short(ctx.names[x], 50)) for x in floats)} "
                f"run in float (the finding covering them says why); with an {p} output TensorRT chooses among "
                "other kernels, so compare after that is fixed"))
    ev: dict[str, Any] = {
        "tactic": ctx.tactic[r],
        "tactic_class": "simt",
        "precision": p,
        "input_channels": c,
        "output_channels": k,
        "groups": g,
        "tensor_core_kernels_elsewhere": tc_elsewhere,
        "build_precision": build or None,
    }
    return "; ".join(reasons) + f" (tactic {ctx.tactic[r]})", ev


@lru_cache(maxsize=1024)
def vector_multiple(layout: str) -> int | None:
    """Channel multiple a vectorised layout pads to: NC/32HW32 -> 32, NHWC8 -> 8, NC/4HW4 -> 4; None
    for linear layouts (NCHW, NHWC), which do not pad channels."""
    m = _VECTOR.search(layout or "")
    if not m:
        return None
    v = int(m.group(1))
    return v if v > 1 else None


def _pads_nothing(attrs: dict[str, Any], ins: list[dict[str, Any]], outs: list[dict[str, Any]], mc: int | None,
                  mk: int | None) -> bool:
    """Whether neither the input channels C (when its format pads to ``mc``) nor the output channels K (to
    ``mk``) need padding, C and K read as :func:`channels_of` reads them (an unknown count pads nothing)."""
    if mc is not None and ins:
        shape = ins[0].get("shape")
        if isinstance(shape, list) and len(shape) >= 2:
            c = shape[1]
            if isinstance(c, int) and c > 0 and c % mc and not (mc <= 4 and c <= 4):
                return False
    if mk is not None:
        k = attrs.get("OutMaps")
        if not (isinstance(k, int) and k > 0):
            shape = outs[0].get("shape") if outs else None
            k = shape[1] if isinstance(shape, list) and len(shape) >= 2 else None
        if isinstance(k, int) and k > 0 and k % mk:
            return False
    return True


def _may_pad_parsed(ctx: LintContext, multiples: list[tuple[int, int | None, int | None]], read: ConvTensors
                    ) -> list[tuple[int, int | None, int | None]]:
    """The ``(row, mc, mk)`` of ``multiples`` (one per :attr:`LintContext.conv_rows` entry) that
    :func:`_pads_nothing` does not hold for, from the channels :func:`rules_facts.conv_tensors` read: C of the
    first input, K from ``OutMaps`` (a positive int), else of the first output."""
    attrs = ctx.attributes
    out = []
    for item, c, k_out in zip(multiples, read.in_channels, read.out_channels, strict=True):
        r, mc, mk = item
        if mc is not None and c is not None and c > 0 and c % mc and not (mc <= 4 and c <= 4):
            out.append(item)
            continue
        if mk is not None:
            k = attrs[r].get("OutMaps")
            if not isinstance(k, int) or k <= 0:  # no OutMaps: the output's channels
                k = k_out
            if k is not None and k > 0 and k % mk:
                out.append(item)
    return out


def check_channel_alignment(ctx: LintContext) -> list[Finding]:
    """Convolutions whose channel counts are padded by the vectorised format their kernel reads/writes.

    The multiple is read from the layer's real formats (INT8 NC/32HW32 -> 32, NC/4HW4 -> 4, FP16 NHWC8 -> 8),
    not assumed from the precision. Depthwise convolutions count their padded channels once (one filter per
    channel); other grouped convolutions and image-input layers padded only to 4 (3 -> 4: nothing smaller
    exists) are skipped.
    """
    out: list[Finding] = []
    in_fmt, out_fmt = ctx.input_format, ctx.output_format
    convs = ctx.conv_rows
    table = {f: vector_multiple(f) for f in {*map(in_fmt.__getitem__, convs), *map(out_fmt.__getitem__, convs)}}
    multiples = [(r, table[in_fmt[r]], table[out_fmt[r]]) for r in convs]  # the multiple once per format
    attrs, ins, outs = ctx.attributes, ctx.inputs, ctx.outputs
    # most convolutions pad nothing: only the channels a multiple is given for are read to find them
    read = facts.conv_tensors(ctx)
    maybe = _may_pad_parsed(ctx, multiples, read) if read is not None else [
        (r, mc, mk) for r, mc, mk in multiples
        if (mc is not None or mk is not None) and not _pads_nothing(attrs[r], ins[r], outs[r], mc, mk)]
    for r, mc, mk in maybe:
        c, k, g = channels_of(attrs[r], ins[r], outs[r])
        if g > 1 and not is_depthwise(ctx, r):
            continue
        pads = {}
        if c is not None and mc is not None and c % mc and not (mc <= 4 and c <= 4):
            pads["C"] = (c, -(-c // mc) * mc, ctx.input_format[r])
        if k is not None and mk is not None and k % mk:
            pads["K"] = (k, -(-k // mk) * mk, ctx.output_format[r])
        if not pads:
            continue
        depthwise = is_depthwise(ctx, r)
        cc = pads.get("C", (c or 1, c or 1, ""))
        kk = pads.get("K", (k or 1, k or 1, ""))
        # depthwise: one filter per channel, so the work scales with the padded channels once, not C x K
        real, padded = (kk[0], kk[1]) if depthwise else (cc[0] * kk[0], cc[1] * kk[1])
        if 100 * (padded - real) < MIN_PADDING_PERCENT * padded:
            continue
        waste = (padded - real) / padded
        p = ctx.precision[r]
        parts = [f"{label}={n} pads to {padded} in {fmt}" for label, (n, padded, fmt) in pads.items()]
        mults = sorted({m for m in (mc if "C" in pads else None, mk if "K" in pads else None) if m})
        out.append(
            Finding(
                rule_id="channel-alignment",
                rows=[r],
                title=f"{short(ctx.names[r], 60)}: " + ", ".join(parts),
                cause=f"the kernel's {p} vectorised format pads channels: " + "; ".join(parts)
                + f" ({waste:.0%} of the {'per-channel' if depthwise else 'C x K'} work is padding"
                + (", depthwise" if depthwise else "") + ")",
                evidence={
                    "precision": p,
                    "input_channels": c,
                    "output_channels": k,
                    "input_format": ctx.input_format[r] or None,
                    "output_format": ctx.output_format[r] or None,
                    "multiple": mults[0] if len(mults) == 1 else mults,
                    "padding_waste": round(waste, 4),
                    "depthwise": depthwise,
                    "tactic": ctx.tactic[r] or None,
                    "tactic_class": prec.tactic_class(ctx.tactic[r]),
                },
                # no saving: raising a channel count to the multiple turns the padding into real work, keeping it
                # still pads; the layer's own time is an upper bound (cost_kind "layer time", as no-tensor-cores)
                group=f"{p} x{'/'.join(str(m) for m in mults)}",
                group_title=f"{{n}} {p} convolutions pad channels to multiples of {'/'.join(str(m) for m in mults)}",
                group_cause=(
                    f"{{n}} convolutions have channel counts that their {p} kernels' vectorised formats pad "
                    f"to multiples of {'/'.join(str(m) for m in mults)} (per layer: evidence.members)"
                ),
            )
        )
    return out

"""Rules about the kernels TensorRT chose: convolutions/GEMMs off Tensor Cores, channels needing padding."""

from __future__ import annotations

from typing import Any

from trtinspect.inspector import precision as prec
from trtinspect.inspector.rules_base import Finding, LintContext, short

# Padding share (of the Tensor Core work) from which a channel count is reported.
MIN_PADDING_WASTE = 0.10


def _tensor_cores_in_engine(ctx: LintContext) -> bool:
    return any(prec.tactic_class(t) == "tensor_core" for t in ctx.tactic if t)


def _wants_tensor_cores(ctx: LintContext, r: int, tc_elsewhere: bool) -> bool:
    """A layer whose precision has Tensor Core kernels that this engine could use."""
    p = ctx.precision[r]
    if p in ("FP16", "BF16", "INT8", "FP8"):
        return True
    # FP32 layers use Tensor Cores only through TF32; count it only when the engine used TF32/TC kernels.
    return p in ("FP32", "TF32") and tc_elsewhere


def check_no_tensor_cores(ctx: LintContext) -> list[Finding]:
    """Convolutions/GEMMs whose tactic is a SIMT (CUDA-core) kernel where Tensor Cores were available."""
    tc_elsewhere = _tensor_cores_in_engine(ctx)
    out: list[Finding] = []
    for r in range(ctx.n):
        if not ctx.is_conv(r) or prec.tactic_class(ctx.tactic[r]) != "simt":
            continue
        if not _wants_tensor_cores(ctx, r, tc_elsewhere):
            continue
        c, k, g = ctx.channels(r)
        p = ctx.precision[r]
        mult = prec.CHANNEL_MULTIPLE.get(p, 8)
        reasons = []
        if g > 1:
            reasons.append(
                f"grouped convolution (groups={g}): grouped/depthwise convolutions rarely map to Tensor Cores"
            )
        for label, n in (("input channels C", c), ("output channels K", k)):
            if n is not None and n % mult:
                reasons.append(f"{label}={n} is not a multiple of {mult} ({p})")
        if not reasons:
            reasons.append(
                "TensorRT timed this SIMT kernel as the fastest (often small spatial size or batch)"
            )
        ev: dict[str, Any] = {
            "tactic": ctx.tactic[r],
            "tactic_class": "simt",
            "precision": p,
            "input_channels": c,
            "output_channels": k,
            "groups": g,
            "tensor_core_kernels_elsewhere": tc_elsewhere,
        }
        out.append(
            Finding(
                rule_id="no-tensor-cores",
                rows=[r],
                title=f"{short(ctx.names[r], 60)} runs on CUDA cores ({p})",
                cause="; ".join(reasons) + f" (tactic {ctx.tactic[r]})",
                evidence=ev,
            )
        )
    return out


def check_channel_alignment(ctx: LintContext) -> list[Finding]:
    """Convolutions/GEMMs not on Tensor Core kernels whose channel counts need padding for them."""
    tc_elsewhere = _tensor_cores_in_engine(ctx)
    out: list[Finding] = []
    for r in range(ctx.n):
        if not ctx.is_conv(r) or prec.tactic_class(ctx.tactic[r]) == "tensor_core":
            continue
        if not _wants_tensor_cores(ctx, r, tc_elsewhere):
            continue
        c, k, g = ctx.channels(r)
        if g > 1:
            continue
        p = ctx.precision[r]
        mult = prec.CHANNEL_MULTIPLE.get(p, 8)
        bad = {
            label: (n, prec.padding_waste(n, mult))
            for label, n in (("C", c), ("K", k))
            if n is not None and prec.padding_waste(n, mult) >= MIN_PADDING_WASTE
        }
        if not bad:
            continue
        parts = [
            f"{label}={n} pads to {-(-n // mult) * mult} ({waste:.0%} of the work is padding)"
            for label, (n, waste) in bad.items()
        ]
        first_layer = (
            ctx.has_edges
            and all(ctx.is_passthrough(x) for x in ctx.producers[r])
            and c is not None
            and c <= 4
        )
        cause = f"{p} Tensor Core kernels want channel multiples of {mult}: " + "; ".join(parts)
        if first_layer:
            cause += " (image-input layer: pad the input to 4 or 8 channels, or accept a first-layer kernel)"
        out.append(
            Finding(
                rule_id="channel-alignment",
                rows=[r],
                title=f"{short(ctx.names[r], 60)}: channels not a multiple of {mult} ({p})",
                cause=cause,
                evidence={
                    "precision": p,
                    "input_channels": c,
                    "output_channels": k,
                    "multiple": mult,
                    "padding_waste": {label: round(w, 4) for label, (_, w) in bad.items()},
                    "tactic": ctx.tactic[r] or None,
                    "tactic_class": prec.tactic_class(ctx.tactic[r]),
                },
            )
        )
    return out

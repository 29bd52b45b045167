"""Layout-only reformats between two layers: what the ``reformat-copy`` finding says about them.

A reformat that keeps the data type and changes only the layout, with a producer and a reader inside the network,
exists because the kernel TensorRT chose for the producer writes one layout and the kernel it chose for the
reader reads another: both already run in the same precision, so "keep neighbours in one precision" does not
apply, and nothing in the model asks for the copy. The A100 FP32 ResNet-18 (``sample:resnet18-a100/fp32``):
``MaxPool_2`` (TiledPooling) writes ``Row major linear FP32`` while the TF32 convolution after it
(``sm80_xmma_fprop_implicit_gemm_f32f32_tf32f32_...``) reads ``Channel major FP32 format``, C=64.

Channel advice is kept only where the channels are misaligned for the precision's vectorised layouts (a multiple
of 8 for FP16/BF16, 32 for INT8, as the rule's general advice says); FP32 has no such requirement here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from trtinspect.inspector.rules_base import LintContext, short

# Channel multiple of the vectorised layouts neighbours could share (the reformat-copy advice's own figures).
_VECTOR_MULTIPLE = {"FP16": 8, "BF16": 8, "INT8": 32}


class Advice(NamedTuple):
    """What a layout-only reformat between layers adds to its finding."""

    note: str   # to its group signature: '' unless its channels are misaligned (:func:`signature_note`)
    one: str    # its mitigation
    many: str   # its group's mitigation


def advice(ctx: LintContext, r: int, kind: str, ip: str | None, t: dict[str, Any] | None) -> Advice | None:
    """The :class:`Advice` for reformat ``r`` when it is a layout-only copy between layers, else None."""
    if not between_layers(ctx, r, kind):
        return None
    return Advice(signature_note(t), mitigation(ip, t), mitigation(ip, t, group=True))


def between_layers(ctx: LintContext, r: int, kind: str) -> bool:
    """A layout-only reformat with a producer and a reader in the network (tensor edges say so)."""
    return kind == "layout" and ctx.has_edges and bool(ctx.producers[r]) and bool(ctx.consumers[r])


def misaligned(t: dict[str, Any] | None) -> tuple[int, int, str] | None:
    """(channels, multiple, dtype) when the tensor's channel count is not a multiple of its precision's
    vectorised layouts; None when aligned, unknown, or the precision has none."""
    if not t:
        return None
    dtype = t.get("dtype")
    multiple = _VECTOR_MULTIPLE.get(dtype) if isinstance(dtype, str) else None
    shape = t.get("shape")
    if multiple is None or not isinstance(shape, list) or len(shape) < 2:
        return None
    c = shape[1]
    if not isinstance(c, int) or c <= 0 or c % multiple == 0:
        return None
    return c, multiple, str(dtype)


def signature_note(t: dict[str, Any] | None) -> str:
    """What a layout-only reformat's group signature adds when its channels are misaligned ('' otherwise)."""
    m = misaligned(t)
    return "" if m is None else f", C={m[0]} not a multiple of {m[1]}"


def _logged_name(ctx: LintContext, row: int) -> str:
    """The kernel name a verbose TensorRT 8.x build log gave the layer's chosen tactic id ('Conv-4 + ReLU-5 Set
    Tactic Name: NAME Tactic: 0x...'), '' where the log has none."""
    names = ctx.bundle.extras.get("tactic_names")
    layers = ctx.bundle.layers
    if not names or "tactic_value" not in layers.columns:
        return ""
    values = layers.loc[layers["name"] == ctx.names[row], "tactic_value"].tolist()
    value = values[0] if len(values) == 1 else None
    return str(names.get(f"{ctx.names[row]}|{value.lower()}", "")) if isinstance(value, str) else ""


def _kernel(ctx: LintContext, row: int) -> str:
    tactic = ctx.tactic[row]
    logged = "" if tactic else _logged_name(ctx, row)
    if logged:
        return f"tactic {logged}"
    return f"tactic {short(tactic, 60)}" if tactic else f"a {ctx.layer_type[row] or 'layer'} kernel, tactic not named"


def kernels_text(ctx: LintContext, producers: list[int], readers: list[int],
                 tensors: tuple[dict[str, Any] | None, dict[str, Any] | None]) -> str:
    """'the producer's kernel writes X and the readers' read Y': the formats as the layer information prints
    them, and each side's kernel (tactic name, or layer type when the source names none)."""
    in_t, out_t = tensors
    wrote = (in_t or {}).get("format") if (in_t or {}).get("layout") else None
    read = (out_t or {}).get("format") if (out_t or {}).get("layout") else None
    names = ctx.names
    prod = (f"{short(names[producers[0]], 50)!r} ({_kernel(ctx, producers[0])})" if producers else
            "its producer")
    kernels = list(dict.fromkeys(_kernel(ctx, c) for c in readers))
    reader = (", ".join(repr(short(names[c], 50)) for c in readers) + f" ({'; '.join(kernels)})" if readers else
              "its readers")
    if wrote is None or read is None:   # dtype-only formats: the layouts are not printed
        return f"the two kernels' layouts differ: {prod} writes one that {reader} do(es) not read"
    return f"the two kernels' layouts differ: {prod} writes {wrote!r} while {reader} read(s) {read!r}"


def mitigation(ip: str | None, t: dict[str, Any] | None, *, group: bool = False) -> str:
    """Advice for a layout-only reformat between layers (``group``: for several of one signature): a tactic
    choice, not the model's; channel advice only when the channels are misaligned for the precision."""
    one, each = ("these copies", "each one's") if group else ("this copy", "its")
    text = (f"Nothing in the model asks for {one}: {each} producer and reader already share one precision "
            f"({ip or 'the same data type'}) and the kernel TensorRT chose for one writes a layout the other's "
            "kernel does not read (cause). It follows from the tactic choice: a build where either layer gets "
            "another kernel (another precision for the pair, e.g. FP16 or INT8, or another pooling/convolution "
            "tactic) may not need it; compare that engine's latency.")
    m = misaligned(t)
    if m is not None:
        c, multiple, dtype = m
        text += (f" The channel count (C={c}) is not a multiple of {multiple}, which {dtype}'s vectorised "
                 f"layouts want: a channel count that is a multiple of {multiple} (padding the model's channels) "
                 "lets both kernels share one layout.")
    return text

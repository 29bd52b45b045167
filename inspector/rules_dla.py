"""Layers at the boundary between the GPU and a DLA (Jetson's Deep Learning Accelerator).

On a DLA engine TensorRT's per-layer profiler times the GPU side: a DLA subgraph's row holds little more than
its launch, and the GPU layer that next touches its output (in TensorRT 7 the reformat named
``"<layer> input reformatter <i>"``, after the ``"... finish"`` rows) waits until the DLA has finished. That
row's time is mostly the DLA's run, not a copy a format change could remove (the TensorRT 7.1.3 Xavier AGX log in
``tests/data/external/quoted``: ``prob input reformatter 0`` 3.33 ms of 3.62 ms, the DLA subgraph 0.20 ms).
``reformat-copy`` therefore gives such a reformat no estimate and says why (:func:`dla_boundary`).

A DLA layer is one whose type is ``DLA``: TensorRT 7's ``{a,b,c}`` subgraph names (see
``trtinspect.parsers.layer_names``), and the ``[DlaLayer]`` entries of the "Layers Running on DLA / GPU" lists
TensorRT 8.x/10.x print when building for a DLA (``{ForeignNode[a...b]}`` names a DLA subgraph there, but also a
Myelin region on the GPU, so the name alone does not tell; ``trtinspect.parsers.trtexec_log_layers``). Without
tensor edges the neighbours are found in execution order, past TensorRT 7's DLA bookkeeping rows (``data to
nvm``, ``... finish``).

``dla-gpu-fallback`` (:func:`check_dla_gpu_fallback`) names the layers of a DLA engine that run on the GPU and
counts the DLA<->GPU transitions between consecutive layers.
"""

from __future__ import annotations

import math
import re
from itertools import pairwise

import numpy as np

from trtinspect.inspector.rules_base import Finding, LintContext, names_of, short
from trtinspect.inspector.rules_timing import printed_averages

DLA_TYPE = "DLA"
# TensorRT 7 rows around a DLA subgraph that move or wait for its data: "data to nvm", "data copy finish",
# "loss3/classifier finish"
_DLA_BOOKKEEPING = re.compile(r"(?:\bto nvm| finish)$")
NSYS_DLA = "nsys profile --accelerator-trace=nvmedia"
DLA_MITIGATION = (
    "The time is the DLA's, not the copy's: time the DLA with Nsight Systems (" + NSYS_DLA + ") and compare "
    "with a GPU-only build (trtexec without --useDLACore) before changing formats; fewer GPU/DLA transitions "
    "(layers the DLA supports kept together) mean fewer such waits.")


def dla_rows(ctx: LintContext) -> frozenset[int]:
    """Rows of DLA layers, once per context (empty on engines without a DLA layer: the usual case)."""
    cache = ctx.rule_cache
    if "dla_rows" not in cache:
        types = ctx.layer_type
        cache["dla_rows"] = frozenset(r for r, t in enumerate(types) if t == DLA_TYPE) if DLA_TYPE in types \
            else frozenset()
    rows: frozenset[int] = cache["dla_rows"]
    return rows


def _served_row(ctx: LintContext, name: str) -> int | None:
    cache = ctx.rule_cache
    if "row_of_name" not in cache:
        cache["row_of_name"] = {n: r for r, n in enumerate(ctx.names)}
    row: int | None = cache["row_of_name"].get(name)
    return row


def _dla_neighbour(ctx: LintContext, r: int, served: str | None, producers: list[int], consumers: list[int],
                   dla: frozenset[int]) -> tuple[str, int] | None:
    """("serves" | "reads", DLA row) when reformat ``r`` serves a DLA layer or reads a DLA layer's output."""
    if served is not None:
        row = _served_row(ctx, served)
        if row is not None and row in dla:
            return "serves", row
    for how, near in (("reads", producers), ("serves", consumers)):
        for x in near:
            if x in dla:
                return how, x
    if ctx.has_edges:
        return None
    for step, how in ((-1, "reads"), (1, "serves")):   # execution order: past the DLA bookkeeping rows
        x = r + step
        while 0 <= x < ctx.n and _DLA_BOOKKEEPING.search(ctx.names[x]):
            x += step
        if 0 <= x < ctx.n and x in dla:
            return how, x
    return None


def dla_boundary(ctx: LintContext, r: int, served: str | None, producers: list[int],
                 consumers: list[int]) -> str | None:
    """Why reformat ``r``'s time is no saving when it serves a DLA layer or reads a DLA layer's output
    (``served``: the layer its name says it serves; ``producers`` / ``consumers``: its neighbours), else None."""
    dla = dla_rows(ctx)
    if not dla:
        return None
    hit = _dla_neighbour(ctx, r, served, producers, consumers, dla)
    if hit is None:
        return None
    how, row = hit
    what = "reads the output of" if how == "reads" else "serves"
    return (f"not estimated: the reformat {what} DLA layer {short(ctx.names[row], 60)!r}; the profiler times "
            "it on the GPU, where it waits for the DLA to finish, so its time is mostly the DLA's run, which no "
            f"format change saves. Time the DLA itself with Nsight Systems ({NSYS_DLA})")


# ------------------------------------------------------------------------------------------ dla-gpu-fallback
FALLBACK_ID = "dla-gpu-fallback"
# How the rows are ordered (bundle.extras["layer_order"], set by the loader for TensorRT's DLA/GPU layer lists)
ORDER_FROM_NAMES = "onnx-node-numbers"
ORDER_PRINTED = "printed"


def _device_sequence(ctx: LintContext, dla: frozenset[int]) -> list[int]:
    """Rows that run work, in row order: DLA subgraphs and GPU layers (no reformat, no-op or DLA bookkeeping
    row: a reformat at a boundary is part of the transition, not a layer that fell back)."""
    names, reformat, noop = ctx.names, ctx.is_reformat, ctx.is_noop
    return [r for r in range(ctx.n)
            if r in dla or not (reformat(r) or noop(r) or _DLA_BOOKKEEPING.search(names[r]))]


def check_dla_gpu_fallback(ctx: LintContext) -> list[Finding]:
    """Layers of a DLA engine that run on the GPU, and the DLA<->GPU transitions they cause."""
    dla = dla_rows(ctx)
    if not dla:
        return []
    seq = _device_sequence(ctx, dla)
    gpu = [r for r in seq if r not in dla]
    if not gpu:
        return []
    order = ctx.bundle.extras.get("layer_order")
    k = len(dla)
    if order == ORDER_PRINTED:
        transitions: int | None = None
        how = (f"execution order unknown (TensorRT's DLA/GPU lists, names without ONNX node numbers): at least "
               f"{max(2 * (k - 1), 1)}")
    else:
        transitions = sum(1 for a, b in pairwise(seq) if (a in dla) != (b in dla))
        how = ("between consecutive layers, in the order the ONNX node numbers in their names give"
               if order == ORDER_FROM_NAMES else "between consecutive layers in execution order")
    gpu_names = names_of(ctx, gpu)
    listed = ", ".join(short(n, 50) for n in gpu_names[:4]) + (f", ... ({len(gpu)} in all)" if len(gpu) > 4 else "")
    count = f"{transitions}" if transitions is not None else f"at least {max(2 * (k - 1), 1)}"
    printed = printed_averages(ctx)[gpu] if ctx.has_profile else np.array([math.nan])
    timed = math.nan if np.isnan(printed).any() else math.fsum(printed.tolist())
    measured = ("" if math.isnan(timed) else
                f"; the GPU layers' own profiled time is {timed:.4g} ms per iteration (printed averages; they run "
                "either way)")
    return [
        Finding(
            mitigation=_fallback_mitigation(ctx, seq, gpu, dla, order),
            rule_id=FALLBACK_ID,
            rows=[*gpu],
            title=f"DLA engine: {len(gpu)} layer(s) fell back to the GPU ({listed}); {count} DLA<->GPU transition(s)",
            cause=(
                f"{len(gpu)} layer(s) the DLA cannot run execute on the GPU (built with GPU fallback) and the DLA "
                f"work runs as {k} subgraph(s); each DLA<->GPU transition ({count}, counted {how}) copies or "
                "reformats the tensor between the engines and synchronises them"
            ),
            evidence={
                "gpu_layers": gpu_names,
                "dla_subgraphs": names_of(ctx, sorted(dla)),
                "transitions": transitions,
                "order": order or "execution order",
                "gpu_layers_ms": None if math.isnan(timed) else timed,
            },
            confidence="proven" if order is None else "inferred",
            cost_ms=math.nan,
            cost_method=(
                "not measured: the transitions' copies and waits are not in these files (a per-layer profile "
                f"times a DLA subgraph only as its launch on the GPU); measure with {NSYS_DLA}{measured}"
            ),
        )
    ]


# What a GPU layer of a DLA engine is, from its type or name, and what replaces it on the DLA (TensorRT's DLA
# supported layers and restrictions): e.g. the jetson_dla_tutorial's GlobalAveragePool_8 (a REDUCE on the GPU),
# replaced by a 2x2 AveragePool with a fixed kernel that the DLA runs.
_GLOBAL_POOL = re.compile(r"global_?(?:average|avg|max)_?pool", re.IGNORECASE)
MEASURE = ("Measure with " + NSYS_DLA + " and compare with a GPU-only build (trtexec without --useDLACore).")


def _fallback_mitigation(ctx: LintContext, seq: list[int], gpu: list[int], dla: frozenset[int],
                         order: object) -> str:
    """Advice naming exactly the layers that fell back: those after the last DLA subgraph (the network's tail:
    one DLA->GPU hand-over at the end) apart from those that split the DLA work."""
    names, types = ctx.names, ctx.layer_type
    last_dla = max((i for i, r in enumerate(seq) if r in dla), default=-1)
    tail = [r for i, r in enumerate(seq) if i > last_dla] if order != ORDER_PRINTED else []
    inner = [r for r in gpu if r not in tail]

    def said(rows: list[int]) -> str:
        return ", ".join(f"{short(names[r], 60)}" + (f" ({types[r]})" if types[r] else "") for r in rows)

    parts: list[str] = []
    if inner:
        hint = ("; a GlobalAveragePool can be written as an AveragePool with a fixed kernel the DLA runs"
                if any(_GLOBAL_POOL.search(names[r]) for r in inner) else "")
        where = " between or before the DLA subgraphs" if order != ORDER_PRINTED else ""
        they = "it runs" if len(inner) == 1 else "they run"
        parts.append(f"Keep the DLA work in one piece: replace or restructure {said(inner)}, which the DLA cannot "
                     f"run, so {they} on the GPU{where} (see the DLA supported layers and restrictions in the "
                     f"TensorRT documentation){hint}.")
    if tail:
        one = len(tail) == 1
        parts.append(f"{said(tail)} {'runs' if one else 'run'} on the GPU after the last DLA subgraph, at the "
                     "network's tail: one DLA->GPU hand-over at the end, not a split of the DLA work; moving "
                     f"{'it' if one else 'them'} into the application's post-processing saves that hand-over, if "
                     "it matters.")
    parts.append("Fewer DLA<->GPU transitions mean fewer copies and synchronisations. " + MEASURE)
    return " ".join(parts)

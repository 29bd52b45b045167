"""Layers at the boundary between the GPU and a DLA (Jetson's Deep Learning Accelerator).

On a DLA engine TensorRT's per-layer profiler times the GPU side: a DLA subgraph's row holds little more than
its launch, and the GPU layer that next touches its output (in TensorRT 7 the reformat named
``"<layer> input reformatter <i>"``, after the ``"... finish"`` rows) waits until the DLA has finished. That
row's time is mostly the DLA's run, not a copy a format change could remove (the TensorRT 7.1.3 Xavier AGX log in
``tests/data/external/quoted``: ``prob input reformatter 0`` 3.33 ms of 3.62 ms, the DLA subgraph 0.20 ms).
``reformat-copy`` therefore gives such a reformat no estimate and says why (:func:`dla_boundary`).

A DLA layer is one whose type is ``DLA`` (TensorRT 7's ``{a,b,c}`` subgraph names, see
``trtinspect.parsers.layer_names``). Without tensor edges the neighbours are found in execution order, past
TensorRT 7's DLA bookkeeping rows (``data to nvm``, ``... finish``).
"""

from __future__ import annotations

import re

from trtinspect.inspector.rules_base import LintContext, short

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

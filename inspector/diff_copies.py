"""Reformat copies one engine needs and the other does not, because the producer writes the tensor itself (pure).

An FP16 build's last fully connected layer writes FP16 (NHWC8); TensorRT converts it for the FP32 network output
with reformat copies around the no-op reshape after it (``Reformatting CopyNode for Output Tensor 0 to
reshape_after_Gemm_48``: FP16 -> FP32, 0.007 ms on the A100 fixtures). A Q/DQ build's INT8 ``fc`` writes FP32
(NCHW) itself, so its no-op squeeze has no copy. Paired layer by layer that group is a no-op layer whose precision
"moved from FP16 to FP32": true of the no-op's tensors, but what changed is that the copies are gone.
:func:`copies_gone` finds such groups from the layer JSON's facts (each layer's input/output precision and format,
its producers and consumers) and gives each its fact (``COPY_GONE``, read by ``diff_events``) and a sentence
naming the layers on both sides.

The rule: a paired group of one no-op layer a side (``ZERO_WORK_TYPES``: no kernel of its own), reformat copies
on exactly one side (x) that convert the precision (the first copy reads precision P, the last writes Q != P),
and on the other side (y) a no-op reading precision Q from a producer that writes Q itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from trtinspect.inspector.align_groups import _short_of

__all__ = ["COPY_EVENTS", "COPY_GONE", "ZERO_WORK_TYPES", "copies_gone"]

COPY_GONE = "copy_gone"      # group fact: (side with the copies, precision read, precision written, network output)
COPY_EVENTS = ("reformat_removed", "reformat_added")     # diff's events of such groups (B removed / added them)
ZERO_WORK_TYPES = frozenset({"NoOp"})
_PAIRED = frozenset({"precision_changed", "format_changed"})
Split = tuple[list[int], list[int]]      # (reformat copies, core layers) of one side of a group


class _Layers:
    """One side's LAYERS frame, looked up by layer_index."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.row = {int(li): k for k, li in enumerate(frame["layer_index"].tolist())}

    def get(self, li: int, col: str) -> Any:
        v = self.frame[col].iloc[self.row[li]] if col in self.frame else None
        return None if v is None or v is pd.NA else v

    def short(self, li: int) -> str:
        keys = self.get(li, "source_nodes")
        return _short_of(list(keys) if keys is not None else [], str(self.get(li, "name")))

    def edges(self, li: int, col: str) -> list[int]:
        v = self.get(li, col)
        return [int(x) for x in v] if v is not None else []


def copies_gone(groups: pd.DataFrame, members: pd.DataFrame,
                layers: Mapping[str, pd.DataFrame]) -> tuple[list[Any], dict[int, str]]:
    """Per group the :data:`COPY_GONE` fact (None for most), and for each such group (by id) the phrase that names
    it in diff's sentence: "the 2 reformat copies that converted A's FP16 (NHWC8) output of Gemm_48 to FP32 (NCHW)
    for the network output around the no-op layer reshape_after_Gemm_48: B's fc writes FP32 (NCHW) itself" (in
    diff B A: "... that convert B's ...: A's fc wrote FP32 (NCHW) itself")."""
    facts: list[Any] = [None] * len(groups)
    said: dict[int, str] = {}
    if groups.empty or any("producers" not in f or "consumers" not in f for f in layers.values()):
        return facts, said
    cols = {c: groups[c].tolist() for c in ("group_id", "kind", "a_types", "b_types", "a_reformats", "b_reformats",
                                            "a_layers", "b_layers")}
    todo = [i for i, kind in enumerate(cols["kind"]) if kind in _PAIRED
            and cols["a_types"][i] in ZERO_WORK_TYPES and cols["b_types"][i] in ZERO_WORK_TYPES
            and int(cols["a_reformats"][i]) + int(cols["b_reformats"][i]) > 0]
    if not todo:
        return facts, said
    gids = {int(cols["group_id"][i]) for i in todo}
    m = members[members["group_id"].isin(list(gids)) & (members["method"] == "served")]
    served = set(zip(m["side"].str.lower().tolist(), m["layer_index"].astype(int).tolist(), strict=True))
    sides = {side: _Layers(frame) for side, frame in layers.items()}
    for i in todo:
        own = {side: [int(v) for v in cols[f"{side}_layers"][i]] for side in ("a", "b")}
        split = {side: _split(side, own[side], served) for side in ("a", "b")}
        converting = [side for side in ("a", "b") if _converts(sides[side], split[side][0])]
        if len(converting) != 1:      # the precision conversion is on one side only
            continue
        x = converting[0]
        y = "b" if x == "a" else "a"
        found = _one(x, own[x], own[y], split[x], split[y], sides[x], sides[y])
        if found is not None:
            facts[i], said[int(cols["group_id"][i])] = found
    return facts, said


def _split(side: str, own: list[int], served: set[tuple[str, int]]) -> Split:
    """(reformat copies, core layers) of one side of a group, each in execution order."""
    return sorted(li for li in own if (side, li) in served), sorted(li for li in own if (side, li) not in served)


def _converts(lx: _Layers, copies: list[int]) -> bool:
    """Whether the copies read one precision and write another."""
    if not copies:
        return False
    read, wrote = lx.get(copies[0], "precision"), lx.get(copies[-1], "output_precision")
    return read is not None and wrote is not None and read != wrote


def _one(x: str, own_x: list[int], own_y: list[int], split_x: Split, split_y: Split, lx: _Layers,
         ly: _Layers) -> tuple[tuple[str, str, str, bool], str] | None:
    """The fact and phrase of one candidate group (``x``: the side whose copies convert the precision), or None when
    the layer facts do not show the other side's producer writing the precision the copies convert to."""
    (copies, core_x), (copies_y, core_y) = split_x, split_y
    if len(core_x) != 1 or len(core_y) != 1:
        return None
    read, wrote = lx.get(copies[0], "precision"), lx.get(copies[-1], "output_precision")
    prod_x = [p for p in lx.edges(copies[0], "producers") if p not in own_x]
    prod_y = [p for p in ly.edges((copies_y or core_y)[0], "producers") if p not in own_y]
    if (len(prod_x) != 1 or len(prod_y) != 1 or ly.get(prod_y[0], "output_precision") != wrote
            or ly.get(core_y[0], "precision") != wrote or lx.get(prod_x[0], "output_precision") != read):
        return None
    last_y = (copies_y or core_y)[-1]
    output = not lx.edges(copies[-1], "consumers") and not ly.edges(max(last_y, core_y[-1]), "consumers")
    fmt_read, fmt_wrote = lx.get(copies[0], "input_format"), lx.get(copies[-1], "output_format")
    read_said = f"{read} ({fmt_read})" if fmt_read else str(read)
    wrote_said = f"{wrote} ({fmt_wrote})" if fmt_wrote else str(wrote)
    fmt_y = ly.get(prod_y[0], "output_format")
    n = len(copies)
    copies_said = "the reformat copy" if n == 1 else f"the {n} reformat copies"
    dest = " for the network output" if output else ""
    around = f" around the no-op layer {lx.short(core_x[0])}"
    mine, other = ("A", "B") if x == "a" else ("B", "A")
    verb = ("converted" if x == "a" else "convert") if n != 1 else ("converted" if x == "a" else "converts")
    phrase = (f"{copies_said} that {verb} {mine}'s {read_said} output of {lx.short(prod_x[0])} to {wrote_said}{dest}"
              f"{around}: {other}'s {ly.short(prod_y[0])} {'writes' if x == 'a' else 'wrote'} {wrote}"
              + (f" ({fmt_y})" if fmt_y else "") + " itself")
    shared = _shared(copies, copies_y, lx)
    if shared:          # both sides have layout-only copies: only the others were added / removed
        phrase = _partly_shared(x, copies, shared, copies_y, lx, ly, prod_y[0], dest)
    elif copies_y:      # the other side's copies change the layout only
        fmt_last = ly.get(copies_y[-1], "output_format")
        phrase += (f" (and {'a' if len(copies_y) == 1 else len(copies_y)} layout-only cop"
                   f"{'y' if len(copies_y) == 1 else 'ies'}" + (f" to {fmt_last})" if fmt_last else ")"))
    return (x, str(read), str(wrote), output), phrase


def _shared(copies: list[int], copies_y: list[int], lx: _Layers) -> list[int]:
    """The layout-only copies of side x (same precision in and out) matched, in order, by the other side's
    copies (which change the layout only: the conversion is on x alone)."""
    layout = [c for c in copies if lx.get(c, "precision") == lx.get(c, "output_precision")]
    return layout[:len(copies_y)]


def _copy_said(lx: _Layers, li: int) -> str:
    """A copy as "Output Tensor 0 of reshape_after_Gemm_48" (TensorRT's name "Reformatting CopyNode for Output
    Tensor 0 to reshape_after_Gemm_48"), else its name."""
    name = str(lx.get(li, "name"))
    head, sep, tail = name.partition(" for ")
    what, to, dest = tail.partition(" to ")
    return f"{what} of {dest}" if head.startswith("Reformatting CopyNode") and sep and to else name


def _partly_shared(x: str, copies: list[int], shared: list[int], copies_y: list[int], lx: _Layers, ly: _Layers,
                   prod_y: int, dest: str) -> str:
    """The phrase when both sides have layout-only copies around the no-op and x also has others (fp32 -> fp16:
    "1 reformat copy (Output Tensor 0 of reshape_after_Gemm_48: FP16 (NCHW) -> FP32 (NCHW) for the network
    output): A's Gemm_48 wrote FP32 (NHWC4) itself; both have the layout-only copy (Input Tensor 0 of
    reshape_after_Gemm_48), a no-op layer")."""
    own = [c for c in copies if c not in shared]

    def conv(li: int) -> str:
        pairs = [(lx.get(li, "precision"), lx.get(li, "input_format")),
                 (lx.get(li, "output_precision"), lx.get(li, "output_format"))]
        return " -> ".join(f"{p} ({f})" if f else str(p) for p, f in pairs)

    listed = "; ".join(f"{_copy_said(lx, c)}: {conv(c)}" for c in own)
    n = len(own)
    head = f"{n} reformat cop{'y' if n == 1 else 'ies'} ({listed}{dest})"
    other = "B" if x == "a" else "A"
    fmt_y = ly.get(prod_y, "output_format")
    wrote = ly.get(prod_y, "output_precision")
    itself = (f"{other}'s {ly.short(prod_y)} {'writes' if x == 'a' else 'wrote'} {wrote}"
              + (f" ({fmt_y})" if fmt_y else "") + " itself")
    types = {str(lx.get(c, "layer_type")) for c in shared} | {str(ly.get(c, "layer_type")) for c in copies_y}
    m = len(shared)
    kind = ", a no-op layer" if types <= ZERO_WORK_TYPES and m == 1 else (
        ", no-op layers" if types <= ZERO_WORK_TYPES else "")
    both = (f"both have the layout-only cop{'y' if m == 1 else 'ies'} "
            f"({', '.join(_copy_said(lx, c) for c in shared)}){kind}")
    return f"{head}: {itself}; {both}"

"""The headline events of a diff (pure): each fusion group's one event (removed, added, fused, precision, ...),
aggregated by kind and what the layers are, with a sentence each. Split out of :mod:`trtinspect.inspector.diff`,
which re-exports the public names.

:func:`events` decides each group's event once per distinct combination of the group facts it reads (kind,
op kinds, types, primary ops, changes, precisions) -- two 51,600-layer engines have 61,600 groups and a few
dozen combinations -- and adds up counts, layers and deltas per event over whole columns (``np.bincount``
adds in group order, as a running sum does).
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from trtinspect.inspector import diff_float_out as fo
from trtinspect.inspector import diff_mixed
from trtinspect.inspector.align import OP_ALIASES, primary_op
from trtinspect.inspector.align_groups import _short_of
from trtinspect.inspector.align_inputs import INPUT_CONVERSION
from trtinspect.inspector.align_side import op_kind
from trtinspect.inspector.diff_copies import COPY_EVENTS, COPY_GONE
from trtinspect.inspector.diff_math import MATH_A, MATH_B
from trtinspect.inspector.diff_moved import MOVED_FACT
from trtinspect.textfmt import signed

__all__ = ["EVENT_PRIORITY", "EVENT_TEXT", "KNOWN_OPS", "MAX_QDQ_HOPS", "MIRROR", "NOUN_RULES", "TYPE_NOUNS",
           "events", "moved_ops", "moved_reformat_rows", "moved_reformats", "noun"]

# How a group is named in the summary, from its ONNX op kinds (first rule whose ops are all present wins).
# (required ops, standalone reformat only, singular, plural)
NOUN_RULES: tuple[tuple[frozenset[str], bool, str, str], ...] = (
    (frozenset({"QuantizeLinear"}), True, "standalone quantize reformat", "standalone quantize reformats"),
    (frozenset({"DequantizeLinear"}), True, "standalone dequantize reformat",
     "standalone dequantize reformats"),
    (frozenset({"Conv", "Add"}), False, "convolution with a fused residual add",
     "convolutions with fused residual adds"),
    (frozenset({"Conv", "MaxPool"}), False, "convolution with fused max pooling",
     "convolutions with fused max pooling"),
    (frozenset({"ConvTranspose"}), False, "transposed convolution", "transposed convolutions"),
    (frozenset({"Conv"}), False, "convolution", "convolutions"),
    (frozenset({"Gemm"}), False, "fully connected layer (Gemm)", "fully connected layers (Gemm)"),
    (frozenset({"MatMul"}), False, "matrix multiply", "matrix multiplies"),
    (frozenset({"GlobalAveragePool"}), False, "global average pooling", "global average poolings"),
    (frozenset({"ReduceMean"}), False, "mean reduction (global average pooling)",
     "mean reductions (global average pooling)"),
    (frozenset({"MaxPool"}), False, "max pooling", "max poolings"),
    (frozenset({"QuantizeLinear"}), False, "quantize layer", "quantize layers"),
    (frozenset({"DequantizeLinear"}), False, "dequantize layer", "dequantize layers"),
    (frozenset({"Add"}), False, "add", "adds"),
)

KNOWN_OPS = frozenset(OP_ALIASES.values())

# Engine layer types that move or reshape data rather than compute what their ONNX name says: a Shuffle
# named ``Conv2D__6`` (an NHWC->NCHW transpose) is a shuffle, not a convolution. Named by type first.
TYPE_NOUNS: dict[str, tuple[str, str]] = {
    "Shuffle": ("shuffle layer (transpose/reshape)", "shuffle layers (transpose/reshape)"),
    "NoOp": ("no-op layer", "no-op layers"),
    "Reformat": ("reformat layer", "reformat layers"),
    "Padding": ("padding layer", "padding layers"),
    "Slice": ("slice layer", "slice layers"),
    "Constant": ("constant layer", "constant layers"),
    "Identity": ("identity layer", "identity layers"),
    "Cast": ("cast layer", "cast layers"),
}
_QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear"})
# Group fact (and event key): the group's precision changed next to a standalone Q/DQ layer A or B lacks (1), or
# downstream of such a group in the float chain it changed (2, :data:`QDQ_DOWNSTREAM`).
QDQ_NEXT = "next_to_changed_qdq"
QDQ_DOWNSTREAM = "qdq_downstream"
# ... or (3) its formats or tactic changed next to a group the Q/DQ change altered (a consequence, one hop).
QDQ_NEIGHBOUR = "qdq_neighbour"
# Group fact value 4 and event key marker: a standalone Q/DQ layer only A (B) has whose neighbours are all layers
# only A (B) has: it came or went with them (an engine's extra blocks), a structural change, not Q/DQ placement.
QDQ_WITH = "qdq_with_layers"
# Group fact value 5 and event key marker: its precision changed and its fused ONNX ops hold Q/DQ nodes on one
# side only (the Q/DQ nodes TensorRT fused into it decided its precision).
QDQ_FUSED = "qdq_fused_in"
_MARKERS = frozenset({QDQ_NEXT, QDQ_DOWNSTREAM, QDQ_NEIGHBOUR, QDQ_WITH, QDQ_FUSED})
# Group kinds whose layers changed around a Q/DQ change (fusion) and kinds that only changed kernels.
_FUSION_KINDS = frozenset({"fused", "split", "repartitioned"})
# (formats only: a layer whose neighbour now reads or writes another precision or layout needs other formats; a
# tactic alone changes between any two builds, autotuning, and is not taken as a consequence)
_KERNEL_KINDS = frozenset({"format_changed"})
# How far the float chain of a Q/DQ change is followed (hops from the Q/DQ layer's neighbour), and its precisions.
MAX_QDQ_HOPS = 4
FLOAT_PRECISIONS = frozenset({"FP32", "FP16", "BF16", "TF32"})
# Group fact: parallel parts of the one layer a fused (split) group has in B (A): TensorRT joins the layers it
# merges horizontally (siblings reading one tensor) with " || "; 0 when that layer is no horizontal merge.
PARALLEL = "parallel_parts"

# Summary sentence per event kind ({what} noun phrase with its count, {a}/{b} values, {ms} " (signed delta)",
# empty when a side has no per-layer timing).
EVENT_TEXT: dict[str, str] = {
    "removed": "B removed {what}{via}{ms}",
    "added": "B added {what}{via}{ms}",
    "fused": "B fused {what}{via}{ms}",
    "merged": "B merged {what}{via}{ms}",
    "split": "B split {what}{via}{ms}",
    "unmerged": "B ran {what}{via}{ms}",
    "repartitioned": "{what} {were} re-partitioned into different layers{via}{ms}",
    "bucket": "{what} could only be compared as a bucket of their type{ms}",
    "precision": "{what} moved from {a} to {b}{via}{ms}",
    "output_precision": "{what} now output{s} {b} instead of {a}{ms}",
    "format": "{what} changed tensor formats or reformats{via}{ms}",
    "tactic": "{what} changed tactic only{via}{ms}",
    "unchanged": "{what} {are} unchanged{ms}",
    "reformat_removed": "B removed {what}{ms}",
    "reformat_added": "B added {what}{ms}",
}
# Order of headline events within a group (one per group, so event deltas add up to the total delta).
EVENT_PRIORITY = ("removed", "added", "reformat_moved", "reformat_removed", "reformat_added", "fused",
                  "merged", "split", "unmerged", "repartitioned", "bucket", "precision", "output_precision", "format",
                  "tactic", "unchanged")
# The event diff B A gives for a group where diff A B gives this one (the others are their own mirror).
MIRROR: dict[str, str] = {"removed": "added", "added": "removed", "fused": "split", "split": "fused",
                          "merged": "unmerged", "unmerged": "merged", "reformat_removed": "reformat_added",
                          "reformat_added": "reformat_removed"}
# A group's core layers on each side, as (name, source nodes): what an event's tag names.
GroupLayers = tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]
# group ids -> their GroupLayers (diff builds it from the alignment's members; only one-group events ask)
LayersOf = Callable[[Sequence[int]], dict[int, GroupLayers]]



@functools.lru_cache(maxsize=4096)
def _ops_set(text: Any) -> frozenset[str]:
    if not isinstance(text, str) or not text:
        return frozenset()
    return frozenset(text.split("/"))


def noun(ops: frozenset[str], standalone_reformat: bool, plural: bool, fallback: str = "") -> str:
    """Readable name of a group: by its engine layer type when that type only moves data (``TYPE_NOUNS``;
    ``fallback`` carries the layer types, "/"-joined), else from its ONNX op kinds (``NOUN_RULES``)."""
    kinds = {t for t in fallback.split("/") if t}
    if kinds and kinds <= TYPE_NOUNS.keys() and not (ops & _QDQ_OPS):
        one, many = TYPE_NOUNS[min(kinds)] if len(kinds) == 1 else ("data-movement layer", "data-movement layers")
        return many if plural else one
    for required, reformat_only, one, many in NOUN_RULES:
        if required <= ops and (not reformat_only or (standalone_reformat and ops == required)):
            return many if plural else one
    name = primary_op(sorted(op for op in ops if op in KNOWN_OPS)) or fallback or "other"
    return f"{name} layers" if plural else f"{name} layer"


def _remove_one(items: list[str], item: str) -> list[str]:
    out = list(items)
    if item in out:
        out.remove(item)
    return out


@functools.lru_cache(maxsize=4096)
def _nouns(ops: frozenset[str], standalone_reformat: bool, fallback: str) -> tuple[str, str]:
    return noun(ops, standalone_reformat, False, fallback), noun(ops, standalone_reformat, True, fallback)


def _same(x: Any, y: Any) -> bool:
    """Equality where two missing values are equal (pd.NA-safe)."""
    x_na, y_na = x is None or x is pd.NA, y is None or y is pd.NA
    return (x_na and y_na) or (not x_na and not y_na and x == y)


def _typed_ops(ops: frozenset[str], types: Any) -> frozenset[str]:
    """Op kinds of a group, completed by what the engine graph says the layers are: a convolution layer whose
    source nodes are named after its quantizers (``QuantLinearNode__622``, ``BiasAdd``) is a convolution."""
    text = str(types or "")
    if "Convolution" in text and "Deconvolution" not in text and not ops & {"Conv", "MatMul", "Gemm"}:
        return ops | {"Conv"}
    return ops


def _group_event(row: Mapping[Any, Any]) -> tuple[str, tuple[Any, ...]]:
    """The headline event of one group (exactly one per group, so event deltas add up) and its key."""
    kind = row["kind"]
    ops_a = _typed_ops(_ops_set(row["a_ops"]), row.get("a_types"))
    ops_b = _typed_ops(_ops_set(row["b_ops"]), row.get("b_types"))
    prim_a, prim_b = list(row["a_primary_ops"] or []), list(row["b_primary_ops"] or [])
    types = row.get("a_types") or row.get("b_types") or ""
    hop = int(row.get(QDQ_NEXT) or 0)   # a Q/DQ change next to it (1), up its float chain (2), a neighbour's (3)
    if kind == "only_a":
        return "removed", (_nouns(ops_a, row.get("a_types") == "Reformat", types), *((QDQ_WITH,) if hop == 4 else ()))
    if kind == "only_b":
        return "added", (_nouns(ops_b, row.get("b_types") == "Reformat", types), *((QDQ_WITH,) if hop == 4 else ()))
    parts = int(row.get(PARALLEL) or 0)
    qdq: tuple[str, ...] = ((QDQ_NEXT, QDQ_DOWNSTREAM) if hop == 2 else (QDQ_NEXT, QDQ_NEIGHBOUR) if hop == 3
                            else (QDQ_NEXT, QDQ_FUSED) if hop == 5 else (QDQ_NEXT,) if hop in (1, 4) else ())
    if kind == "fused":
        host = prim_b[0] if prim_b else ""
        if parts > 1:          # siblings merged side by side (a || b), not one fused into another
            return "merged", (host, parts, *qdq)
        if row.get("b_types") == MYELIN:   # a {ForeignNode[...]}: named by what it is, A's layers by their types
            return "fused", (_type_list(row.get("a_types")), MYELIN, *qdq)
        return "fused", (tuple(sorted(_remove_one(prim_a, host))), host, *qdq)
    if kind == "split":
        host = prim_a[0] if prim_a else ""
        if parts > 1:
            return "unmerged", (host, parts, *qdq)
        if row.get("a_types") == MYELIN:
            return "split", (MYELIN, _type_list(row.get("b_types")), *qdq)
        return "split", (host, tuple(sorted(_remove_one(prim_b, host))), *qdq)
    # the op kinds both sides share name the group (the union when they share none), so diff B A names it as
    # diff A B does: a convolution that loses its fused add in B is a convolution either way
    nouns = _nouns((ops_a & ops_b) or (ops_a | ops_b), False, _both_types(row.get("a_types"), row.get("b_types")))
    if row.get("method") == INPUT_CONVERSION:    # a copy reformat and a quantize, each converting the engine input
        nouns = ("engine input conversion", "engine input conversions")
    changes = row.get("changes") or []
    # the precisions said: "FP32 (TF32 Tensor Core math)" where the kernel name says so (diff_math)
    math_a, math_b = row.get(MATH_A), row.get(MATH_B)     # a label, else missing (None, NaN or NA)
    said_a = math_a if isinstance(math_a, str) else row["a_precision"]
    said_b = math_b if isinstance(math_b, str) else row["b_precision"]
    # a precision event says the Q/DQ cause by its place, whichever rule found it: one event for all such moves
    said_qdq = tuple(m for m in qdq if m != QDQ_FUSED)
    moved = row.get(MOVED_FACT)    # a group fused ops moved between (diff_moved): what its layers are, without them
    if kind == "repartitioned" and isinstance(moved, str):
        kinds = _both_types(row.get("a_types"), row.get("b_types"))
        few = _nouns(((ops_a & ops_b) or (ops_a | ops_b)) - frozenset(moved.split(" and ")), False, kinds)[1]
        nouns = (f"group of {few} (the fused {moved} moved between its layers)",
                 f"groups of {few} (the fused {moved} moved between their layers)")
        if "precision" not in changes:       # else said as the precision change of the one group (below)
            return "repartitioned", (nouns, *qdq)
        kind = "precision_changed"
    gone = row.get(COPY_GONE)     # reformat copies one side needs because its producer writes another precision
    if isinstance(gone, tuple):   # (diff_copies): said as copies removed / added, not as a no-op changing precision
        return COPY_EVENTS[0] if gone[0] == "a" else COPY_EVENTS[1], (nouns, *gone[1:], *said_qdq)
    if kind == "repartitioned" and "precision" in changes and not _same(row["a_precision"], row["b_precision"]):
        # moving an op between neighbours does not halve their time; the precision change does
        regrouped = (f"group of {nouns[1]} re-partitioned between layers",
                     f"groups of {nouns[1]} re-partitioned between layers")
        return "precision", (regrouped, said_a, said_b, *said_qdq)
    if kind == "repartitioned":
        return kind, (nouns, *qdq)
    if kind == "bucket":
        return kind, (nouns,)
    if "precision" in changes:
        if not _same(row["a_precision"], row["b_precision"]):
            # a quantized side that still writes float is its own event, said as such (diff_float_out)
            float_out = row.get(fo.FLOAT_OUT)
            return "precision", (nouns, said_a, said_b, *said_qdq, *((float_out,) if float_out else ()))
        a_out, b_out = row["a_output_precision"], row["b_output_precision"]
        if "INT8" in (a_out, b_out):     # writing INT8 or not is a Q/DQ change anyway (diff._cause_of)
            said_qdq = ()
        return "output_precision", (nouns, a_out, b_out, *said_qdq)
    for c in ("format", "tactic"):
        if c in changes:
            return c, (nouns, *qdq)
    return "unchanged", (nouns,)


# TensorRT's layer type of a Myelin {ForeignNode[first...last]} layer: its source nodes are the range's ends and
# the parser's helper nodes (ONNXTRT_Broadcast_4), not the ops it runs
MYELIN = "Myelin"


def _type_list(types: Any) -> tuple[str, ...]:
    return tuple(sorted(t for t in str(types or "").split("/") if t))


def _both_types(a_types: Any, b_types: Any) -> str:
    """The layer types naming a group, the same whichever side is A: both sides' when they differ."""
    kinds = dict.fromkeys(t for x in (a_types, b_types) if isinstance(x, str) for t in x.split("/") if t)
    return "/".join(sorted(kinds)) if len(kinds) > 1 else next(iter(kinds), "")


def _fmt_ms(ms: float) -> str:
    return signed(ms, 3, " ms")


def _op_noun(op: str, plural: bool) -> str:
    return noun(frozenset({op}), False, plural, op)


def _describe(event: str, key: tuple[Any, ...], count: int, label: str | None) -> tuple[str, Any, Any]:
    """(noun phrase, a value, b value) of an aggregated event; ``label`` names its one group (None for several)."""
    many = count != 1
    key = tuple(k for k in key if not (isinstance(k, str) and k in _MARKERS))   # said by event_text's {via}
    tag = f" ({label})" if label and not many else ""
    if event in ("removed", "added"):
        return f"{count} {key[0][1] if many else key[0][0]}{tag}", None, None
    if event in ("fused", "split"):      # split is fused mirrored: the same ops, out of instead of into
        absorbed, host = key if event == "fused" else key[::-1]
        parts = [_op_noun(op, many) for op in dict.fromkeys(absorbed)]
        whose = "their" if many else "its"
        if not parts and event == "split":
            return f"{count} {_op_noun(host, many)} into {1 + len(absorbed)} layers each{tag}", None, None
        parts = parts or ["layers"]
        where = "into" if event == "fused" else "out of"
        return f"{count} {' and '.join(parts)} {where} {whose} {_op_noun(host, many)}{tag}", None, None
    if event in ("merged", "unmerged"):
        host, parts = key
        what = f"{parts} parallel {_op_noun(host, True)}"
        if event == "merged":
            return (f"{count} times {what} into one layer each{tag}" if many else f"{what} into one layer{tag}"), \
                None, None
        return (f"{count} times {what} as separate layers, where A merged them into one each{tag}" if many
                else f"{what} as separate layers, where A merged them into one{tag}"), None, None
    if event in COPY_EVENTS:      # one group: diff_copies' phrase (label); several: what they have in common
        nouns, read, wrote, output = key[:4]
        if label and not many:
            return label, None, None
        dest = " for the network outputs" if output else ""
        whose = "in B write" if event == COPY_EVENTS[0] else "in A wrote"
        return (f"the reformat copies converting {read} to {wrote}{dest} around {count} {nouns[1]}, whose producers "
                f"{whose} {wrote} themselves"), None, None
    what = f"{count} {key[0][1]}" if many else f"{key[0][0]}{tag}"
    if event in ("precision", "output_precision"):
        return what, key[1], key[2]
    return what, None, None


_FUSION_EVENTS = frozenset({"fused", "split", "merged", "unmerged"})
_HELPER_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "Constant"})
TAG_NAME_MAX = 80       # characters of one layer's name in an event's tag


def _compact(name: str) -> str:
    """A fused layer's name without its quantizer and weight parts (``quantize_per_channel_120_input + (Unnamed
    Layer* 723) [Constant]_output_per_channel_quant + conv2d_114 + relu_107`` -> ``conv2d_114 + relu_107``); a
    horizontal merge keeps its `` || ``; the whole name when nothing else is left. A Myelin ``{ForeignNode[a + b...c]}``
    name is one range, kept whole."""
    if name.startswith("{ForeignNode["):
        return name if len(name) <= TAG_NAME_MAX else name[:TAG_NAME_MAX - 3] + "..."
    merged = []
    for branch in name.split(" || "):
        parts = [p for p in branch.split(" + ")
                 if not p.endswith((".weight", ".bias")) and op_kind(p) not in _HELPER_OPS]
        merged.append(" + ".join(parts))
    out = " || ".join(m for m in merged if m) or name
    return out if len(out) <= TAG_NAME_MAX else out[:TAG_NAME_MAX - 3] + "..."


def _side_tag(layers: list[tuple[str, list[str]]], fusion: bool) -> str:
    """One side's layers of a group: each by its module name (``layer4.1.conv2``) or, in a fusion change, by the
    ops it runs (:func:`_compact`); separate layers joined with ", " (at most 3)."""
    names = list(dict.fromkeys(_compact(n) if fusion else _short_of(keys, n) for n, keys in layers))
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def event_tag(event: str, layers: GroupLayers) -> str:
    """What names the one group of an event: its layers on both sides ("A: x, y; B: z") when they differ or the
    event is a fusion change (which side ran which layers), else the one name both sides share. Mirrored in
    diff B A ("A: z; B: x, y")."""
    fusion = event in _FUSION_EVENTS
    tag_a, tag_b = (_side_tag(side, fusion) for side in layers)
    if not tag_a or not tag_b:
        return tag_a or tag_b
    return tag_a if tag_a == tag_b and not fusion else f"A: {tag_a}; B: {tag_b}"


def event_text(event: str, key: tuple[Any, ...], count: int, tag: str | None,
               delta: float) -> tuple[str, Any, Any, str]:
    """(noun phrase, a value, b value, sentence) of an aggregated event."""
    what, a_val, b_val = _describe(event, key, count, tag)
    one = count == 1
    whose = "its producer's" if one else "their producers'"
    via = (f" among the {event} layers" if QDQ_WITH in key
           else f", reading {whose} {b_val} output" if QDQ_DOWNSTREAM in key and event == "precision"
           else "" if event in ("precision", "output_precision") or QDQ_NEXT not in key
           else f", next to {'a layer' if one else 'layers'} the Q/DQ change altered" if QDQ_NEIGHBOUR in key
           else f", {'which holds' if one else 'which hold'} Q/DQ nodes on one side only" if QDQ_FUSED in key
           else f", next to {'a standalone Q/DQ layer' if one else 'standalone Q/DQ layers'} only one engine has")
    ms = "" if math.isnan(delta) else f" ({_fmt_ms(delta)})"
    float_out = next((k for k in key if isinstance(k, fo.FloatOut)), None) if event == "precision" else None
    if float_out is not None:
        return what, a_val, b_val, fo.float_out_text(float_out, what, a_val, b_val, one, via, ms)
    text = EVENT_TEXT[event].format(what=what, a=a_val or "unknown", b=b_val or "unknown", via=via, ms=ms,
                                    s="s" if one else "", are="is" if one else "are", were="was" if one else "were")
    return what, a_val, b_val, text


# The group facts an event is decided on (_group_event reads nothing else).
FACT_COLUMNS = ("kind", "a_ops", "b_ops", "a_types", "b_types", "a_primary_ops", "b_primary_ops", "changes",
                "a_precision", "b_precision", "a_output_precision", "b_output_precision", QDQ_NEXT, PARALLEL, "method",
                MATH_A, MATH_B, COPY_GONE, MOVED_FACT)
_LIST_FACTS = frozenset({"a_primary_ops", "b_primary_ops", "changes"})


def _plain(column: pd.Series) -> list[Any]:
    """A column's values as plain Python values, pd.NA as None."""
    if isinstance(column.dtype, pd.StringDtype):
        return cast(Any, column).to_numpy(dtype=object, na_value=None).tolist()
    return [None if v is pd.NA else v for v in column.tolist()]


def _event_codes(groups: pd.DataFrame) -> tuple[list[int], list[tuple[str, tuple[Any, ...]]]]:
    """Each group's slot number and the slots' (event, key), in order of first appearance; _group_event runs
    once per distinct combination of FACT_COLUMNS (list values compared as tuples, a missing list as none)."""
    columns = (*FACT_COLUMNS, fo.FLOAT_OUT)
    facts = [[tuple(v) if v else () for v in _plain(groups[c])] if c in _LIST_FACTS
             else _plain(groups[c]) if c in groups else [False] * len(groups) for c in columns]
    memo: dict[tuple[Any, ...], int] = {}
    slots: dict[tuple[str, tuple[Any, ...]], int] = {}
    codes: list[int] = []
    for row in zip(*facts, strict=True):
        slot = memo.get(row)
        if slot is None:
            slot = memo[row] = slots.setdefault(_group_event(dict(zip(columns, row, strict=True))), len(slots))
        codes.append(slot)
    return codes, list(slots)


def events(groups: pd.DataFrame, layers_of: LayersOf | None = None,
           phrases: Mapping[int, str] | None = None) -> list[dict[str, Any]]:
    """Group headline events aggregated by kind and key, largest absolute delta first; reformat copies that
    moved to (or from) the layers B added (removed) are one event with those layers (:func:`moved_reformats`).
    ``layers_of`` gives the layers of an event's one group (its tag, :func:`event_tag`); without it the group's
    label names it. An event's delta is the ``math.fsum`` of its groups' deltas (correctly rounded, so independent of
    the groups' order): diff B A's is exactly the negative of diff A B's."""
    moved = moved_reformats(groups)
    if moved is None:
        out = _aggregate(groups, layers_of, phrases)
    else:
        out = [*_aggregate(groups[~groups["group_id"].isin(moved["group_ids"])], layers_of, phrases), moved]
    # largest |delta| first; without per-layer timing (NaN deltas) the most layers/groups first
    out.sort(key=lambda e: (-abs(e["delta_ms"]) if not math.isnan(e["delta_ms"]) else 0.0, -e["count"],
                            EVENT_PRIORITY.index(e["event"])))
    diff_mixed.name_hidden_members(out, groups)   # a member moved against the net by more than it: named
    return out


def _aggregate(groups: pd.DataFrame, layers_of: LayersOf | None = None,
               phrases: Mapping[int, str] | None = None) -> list[dict[str, Any]]:
    """The events of ``groups`` aggregated by kind and key, in order of first appearance; ``phrases`` names the one
    group of a reformat-copy event (group id -> :func:`~trtinspect.inspector.diff_copies.copies_gone`'s phrase)."""
    codes, keys = _event_codes(groups)
    if not codes:
        return []
    code = np.asarray(codes, dtype=np.int64)
    n_slots = len(keys)
    added = np.array([event == "added" for event, _ in keys], dtype=bool)
    n_groups = np.bincount(code, minlength=n_slots).tolist()
    layers = np.zeros(n_slots, dtype=np.int64)
    np.add.at(layers, code, np.where(added[code], groups["n_b"].to_numpy(dtype=np.int64),
                                     groups["n_a"].to_numpy(dtype=np.int64)))
    order = np.argsort(code, kind="stable")
    deltas = groups["delta_ms"].to_numpy(dtype=np.float64)[order].tolist()
    gids = groups["group_id"].to_numpy()[order].tolist()
    labels = [str(v) for v in np.asarray(_plain(groups["label"]), dtype=object)[order].tolist()]
    starts = (np.cumsum(n_groups) - np.asarray(n_groups, dtype=np.int64)).tolist()
    ones = [gids[start] for start, n in zip(starts, n_groups, strict=True) if n == 1]
    sides = layers_of(ones) if layers_of is not None and ones else {}
    out = []
    for s, ((event, key), count_groups, start) in enumerate(zip(keys, n_groups, starts, strict=True)):
        end = start + count_groups
        d = math.fsum(deltas[start:end])
        slot = {"event": event, "groups": count_groups, "layers": int(layers[s]), "delta_ms": d,
                "group_ids": gids[start:end], "labels": labels[start:end]}
        count = slot["layers"] if event in ("removed", "added") else count_groups
        tag = None
        if count_groups == 1:
            tag = event_tag(event, sides[gids[start]]) if gids[start] in sides else labels[start]
            if event in COPY_EVENTS:
                tag = (phrases or {}).get(gids[start])
        what, a_val, b_val, text = event_text(event, key, count, tag, d)
        out.append({**slot, "count": count, "what": what, "a": a_val, "b": b_val, "text": text,
                    **({QDQ_NEXT: True} if QDQ_NEXT in key else {}),
                    **({QDQ_DOWNSTREAM: True} if QDQ_DOWNSTREAM in key else {}),
                    **({QDQ_WITH: True} if QDQ_WITH in key else {})})
    return out


def moved_reformats(groups: pd.DataFrame) -> dict[str, Any] | None:
    """One event for reformat copies that moved between layers, else None.

    TensorRT inserts a reformat copy where a layer needs another tensor format. When B adds layers (a dequantize
    TensorRT could not fuse) the copy that A ran for the next layer can move in front of the added layer: A's
    layers lose their copies (a format change), B's added layers bring them. Counted apart these are two findings
    that cancel (-0.049 ms "changed tensor formats", +0.050 ms "added 3 dequantize layers" on the fx vs implicit
    INT8 tables); they have one root cause, the added layers. The move is recognised when the copies B's added
    layers hold (only-B groups with reformats) are exactly as many as the copies paired groups whose only change
    is formats lost (``a_reformats - b_reformats``); mirrored for layers B removed. The event's delta is the net of
    all those groups. Without tensor edges (profile tables) the pairing is by count, said in the text."""
    found = moved_reformat_rows(groups)
    return None if found is None else _moved_event(groups, *found)


def moved_reformat_rows(groups: pd.DataFrame) -> tuple[str, list[int], list[int], int] | None:
    """The rows of a reformat-copy move (:func:`moved_reformats`' rule): the side of the layers the copies moved
    to or from (``only_b`` / ``only_a``), their rows, the rows of the paired groups that lost (gained) the copies,
    and the number of copies; None when there is none."""
    if groups.empty or "a_reformats" not in groups:
        return None
    kind = groups["kind"].to_numpy(dtype=object)
    ra = groups["a_reformats"].to_numpy(dtype=np.int64)
    rb = groups["b_reformats"].to_numpy(dtype=np.int64)
    paired = kind == "format_changed"
    if not paired.any():
        return None
    changes = groups["changes"].to_numpy(dtype=object)
    for i in np.flatnonzero(paired).tolist():     # a precision change is its own cause, not a moved copy
        c = changes[i]
        paired[i] = "precision" not in (c if isinstance(c, (list, tuple, np.ndarray)) else ())
    for side, own in (("only_b", rb), ("only_a", ra)):
        new = np.flatnonzero((kind == side) & (own > 0))
        lost = ra - rb if side == "only_b" else rb - ra
        old = np.flatnonzero(paired & (lost > 0))
        if len(new) and len(old) and int(own[new].sum()) == int(lost[old].sum()):
            return side, new.tolist(), old.tolist(), int(own[new].sum())
    return None


def _moved_event(groups: pd.DataFrame, side: str, new: list[int], old: list[int], copies: int) -> dict[str, Any]:
    """The one event of reformat copies moved to B's added layers (``side`` only_b) or from B's removed ones."""
    ev_new, ev_old = _aggregate(groups.iloc[new]), _aggregate(groups.iloc[old])
    what_new = " and ".join(e["what"] for e in ev_new)
    what_old = " and ".join(e["what"] for e in ev_old)
    deltas = groups["delta_ms"].to_numpy(dtype=np.float64)
    d_new, d_old = math.fsum(deltas[new].tolist()), math.fsum(deltas[old].tolist())
    ids = sorted(new + old)
    net = math.fsum(deltas[ids].tolist())
    cop = "reformat copy" if copies == 1 else "reformat copies"
    if side == "only_b":
        head = f"B added {what_new} and the {copies} {cop} A ran for {what_old} moved to them"
        parts = f"{_fmt_ms(d_old)} where the copies were, {_fmt_ms(d_new)} for the added layers with the copies"
    else:
        head = f"B removed {what_new} and the {copies} {cop} A ran for them moved to {what_old}"
        parts = f"{_fmt_ms(d_new)} for the removed layers with the copies, {_fmt_ms(d_old)} where the copies went"
    ms = " (matched by count)" if math.isnan(net) else f" ({_fmt_ms(net)} net: {parts}; matched by count)"
    labels = [str(v) for v in _plain(groups.set_index("group_id").loc[ids, "label"])]
    count = sum(e["count"] for e in ev_new)
    return {"event": "reformat_moved", "groups": len(ids), "layers": sum(e["layers"] for e in ev_new),
            "delta_ms": net, "group_ids": ids, "labels": labels, "count": count, "what": what_new, "a": None,
            "b": None, "text": head + ms}



def moved_ops(groups: pd.DataFrame) -> list[str]:
    """Op kinds B fuses into a different layer than A did (seen when exports number nodes differently)."""
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    cols = (groups["a_ops"].tolist(), groups["b_ops"].tolist(), groups["kind"].tolist())
    for a_ops, b_ops, kind in zip(*cols, strict=True):
        if kind in ("only_a", "only_b"):
            continue
        sa, sb = _ops_set(a_ops), _ops_set(b_ops)
        for op in sb - sa:
            gained[op] += 1
        for op in sa - sb:
            lost[op] += 1
    by_count: dict[int, list[str]] = defaultdict(list)
    for op in sorted(set(gained) & set(lost)):
        by_count[min(gained[op], lost[op])].append(op)
    return [f"{n} {' and '.join(ops)} node{'s' if n != 1 else ''} moved into a different fused layer"
            for n, ops in sorted(by_count.items(), reverse=True)]



def next_to_changed_qdq(groups: pd.DataFrame, layers: Mapping[str, pd.DataFrame]) -> list[int]:
    """Per group: 1 when it changed because of a standalone Q/DQ change next to it, 5 when its precision changed
    and its fused ONNX ops hold Q/DQ nodes on one side only (the QAT export's ``conv1.weight + QuantizeLinear_7 +
    Conv_9`` vs the float export's ``Conv_0 + Relu_1``: the Q/DQ nodes TensorRT fused into it decided its INT8), 2
    when its precision changed downstream of such a group in the float chain that Q/DQ change made
    (:func:`_float_chain`), 3 when its formats (not its precision) changed next to a group flagged 1, 2 or 5
    (:func:`_kernel_neighbours`), 4 for a standalone Q/DQ group that came or went with its neighbours
    (:func:`_with_layers`), else 0. One root cause, the Q/DQ placement; its effects are consequences of it.

    Flag 1: a group whose precision, fusion (fused, split,
    re-partitioned) or formats changed and a layer of which is a producer or consumer (``layers[side]``'s
    ``producers`` / ``consumers``, by ``layer_index``) of a layer of an only-A (only-B) group whose ONNX ops are
    all Q/DQ, on that side: removing (adding) a quantize/dequantize pair changes what its neighbours read and
    write, and which layers TensorRT can fuse (qat -> qat-residual: ``MaxPool_12`` fuses into ``conv1`` once the
    standalone ``QuantizeLinear_15`` after it is gone)."""
    kinds = groups["kind"].tolist()
    flag = [0] * len(groups)
    changed = [i for i, c in enumerate(groups["changes"].tolist())
               if kinds[i] not in ("only_a", "only_b") and c is not None and "precision" in list(c)]
    ops = {"a": groups["a_ops"].tolist(), "b": groups["b_ops"].tolist()}
    fused_in = [i for i in changed
                if bool(_ops_set(ops["a"][i]) & _QDQ_OPS) != bool(_ops_set(ops["b"][i]) & _QDQ_OPS)]
    near_ok = set(changed) | {i for i, k in enumerate(kinds) if k in _FUSION_KINDS or k in _KERNEL_KINDS}
    if not near_ok:
        for i in fused_in:
            flag[i] = 5
        return flag
    edges: dict[str, tuple[dict[int, int], list[Any], list[Any]]] = {}
    for side, frame in layers.items():
        if frame.empty or "producers" not in frame or "consumers" not in frame:
            continue
        # row of each layer_index, and the two edge columns as lists: one pass, no per-layer frame lookup
        edges[side] = ({int(li): k for k, li in enumerate(frame["layer_index"].tolist())},
                       frame["producers"].tolist(), frame["consumers"].tolist())
        own = groups[f"{side}_layers"].tolist()
        qdq = [x for i, k in enumerate(kinds) if k == f"only_{side}" and _ops_set(ops[side][i])
               and _ops_set(ops[side][i]) <= _QDQ_OPS for x in own[i]]
        near = _neighbour_layers(qdq, edges[side])
        for i in near_ok:
            if not flag[i] and not near.isdisjoint(own[i]):
                flag[i] = 1
    for i in fused_in:
        flag[i] = flag[i] or 5
    if len(edges) == 2 and any(flag):
        _float_chain(groups, edges, changed, flag)
    if any(flag):
        _kernel_neighbours(groups, edges, [i for i in near_ok if kinds[i] in _KERNEL_KINDS], flag)
    for side, side_edges in edges.items():
        _with_layers(groups, side, side_edges, flag)
    return flag


def _with_layers(groups: pd.DataFrame, side: str, edges: tuple[dict[int, int], list[Any], list[Any]],
                 flag: list[int]) -> None:
    """Flag 4 (in place) for each only-``side`` group of Q/DQ layers whose consumers on that side are all in
    only-``side`` groups of other layers: it converts the tensor those layers read, so it came (went) with them, as
    the quantize layers of an engine's extra blocks do (the input quantize of such a block too, though its producer
    is the block before), and is counted with them (a structural change), not as a Q/DQ placement change. (A
    quantize after an added layer that feeds a layer both engines have stays a Q/DQ change: the QAT export's input
    quantize after its explicit padding.)"""
    kinds, ops, own = groups["kind"].tolist(), groups[f"{side}_ops"].tolist(), groups[f"{side}_layers"].tolist()
    only = [i for i, k in enumerate(kinds) if k == f"only_{side}"]
    qdq = {i for i in only if _ops_set(ops[i]) and _ops_set(ops[i]) <= _QDQ_OPS}
    if not qdq:
        return
    plain: set[int] = set()
    for i in only:
        if i not in qdq:
            plain.update(own[i])
    row, _, consumers = edges
    for i in qdq:
        near: set[int] = set()
        for li in own[i]:
            k = row.get(li)
            if k is not None and consumers[k]:
                near.update(consumers[k])
        near.difference_update(own[i])
        if near and near <= plain:
            flag[i] = 4


def _neighbour_layers(layer_ids: Sequence[Any], edges: tuple[dict[int, int], list[Any], list[Any]]) -> set[int]:
    """The producers and consumers of ``layer_ids`` on one side."""
    row, producers, consumers = edges
    near: set[int] = set()
    add = near.update
    for li in layer_ids:
        k = row.get(li)                      # layer indexes and edges are ints (numpy ints hash alike)
        if k is not None:
            if producers[k]:
                add(producers[k])
            if consumers[k]:
                add(consumers[k])
    return near


def _kernel_neighbours(groups: pd.DataFrame, edges: Mapping[str, tuple[dict[int, int], list[Any], list[Any]]],
                       kernel_only: list[int], flag: list[int]) -> None:
    """Flag 3 (in place) for each group in ``kernel_only`` (``format_changed``) not yet flagged with a layer that
    is a producer or consumer, on a side, of a layer of a group flagged 1, 2 or 5 (and not itself
    ``format_changed``): its kernel changed to fit a neighbour the Q/DQ change altered (qat ->
    qat-residual: the input ``QuantizeLinear_2`` writes another format for the fused ``conv1 + MaxPool_12``).
    One hop: a format change next to a format change is not followed."""
    todo = [i for i in kernel_only if not flag[i]]
    kinds = groups["kind"].tolist()
    altered = [i for i, f in enumerate(flag) if f in (1, 2, 5) and kinds[i] not in _KERNEL_KINDS]
    if not todo or not altered:
        return
    for side, side_edges in edges.items():      # from the few kernel-only groups to the many altered ones
        own = groups[f"{side}_layers"].tolist()
        changed_layers: set[int] = set()
        for i in altered:
            changed_layers.update(own[i])
        for i in todo:
            if not flag[i] and not _neighbour_layers(own[i], side_edges).isdisjoint(changed_layers):
                flag[i] = 3


def _float_chain(groups: pd.DataFrame, edges: Mapping[str, tuple[dict[int, int], list[Any], list[Any]]],
                 changed: list[int], flag: list[int]) -> None:
    """Follow a Q/DQ change through the float layers it changed (``flag`` updated in place, 2 for each).

    When B dequantizes ``layer4.1.conv2``'s residual input, that convolution writes FP32 instead of FP16 (a
    neighbour of the dequantize, flag 1), and the global average pooling reading it runs FP32 instead of FP16:
    the same root cause, one hop further. A group whose compute precision changed joins the chain when, on both
    sides, one of its layers reads a layer of a group already in it and it runs at exactly the float precision
    that group writes on that side (FP16 in A, FP32 in B: ``FLOAT_PRECISIONS``). Followed for at most
    ``MAX_QDQ_HOPS`` hops; a layer that runs INT8 on either side ends the chain (its precision is a quantization
    decision of its own)."""
    cols = {c: groups[c].tolist() for c in ("a_precision", "b_precision", "a_output_precision",
                                             "b_output_precision", "a_layers", "b_layers")}
    todo = [i for i in changed if not flag[i] and cols["a_precision"][i] != cols["b_precision"][i]
            and cols["a_precision"][i] in FLOAT_PRECISIONS and cols["b_precision"][i] in FLOAT_PRECISIONS]
    chain = [i for i, f in enumerate(flag) if f in (1, 2, 5)]
    for _hop in range(MAX_QDQ_HOPS):
        owner = {side: {int(li): i for i in chain for li in cols[f"{side}_layers"][i]} for side in ("a", "b")}
        found = [i for i in todo if all(_reads_chain(i, side, cols, edges[side], owner[side]) for side in ("a", "b"))]
        if not found:
            return
        for i in found:
            flag[i] = 2
        todo = [i for i in todo if not flag[i]]
        chain = found


def _reads_chain(i: int, side: str, cols: Mapping[str, list[Any]],
                 edges: tuple[dict[int, int], list[Any], list[Any]], owner: Mapping[int, int]) -> bool:
    """Whether a layer of group ``i`` reads, on ``side``, a layer of a chain group outside ``i`` that writes the
    precision ``i`` runs at there."""
    row, producers, _ = edges
    mine = {int(li) for li in cols[f"{side}_layers"][i]}
    runs = cols[f"{side}_precision"][i]
    for li in mine:
        k = row.get(li)
        for p in (producers[k] or []) if k is not None else []:
            g = owner.get(int(p))
            if g is not None and int(p) not in mine and cols[f"{side}_output_precision"][g] == runs:
                return True
    return False


def parallel_parts(groups: pd.DataFrame, names: Mapping[str, list[str]]) -> list[int]:
    """Per group: the parallel parts of the one layer a fused group has in B (a split group in A) when that
    layer is a horizontal merge (``Conv_129 + Relu_130 || Conv_132 + Relu_133 || Conv_135 + Relu_136``: 3), else
    0. ``names[side]`` lists that side's layer names by ``layer_index``."""
    out = [0] * len(groups)
    cols = (groups["kind"].tolist(), groups["a_layers"].tolist(), groups["b_layers"].tolist())
    for i, (kind, la, lb) in enumerate(zip(*cols, strict=True)):
        side, layers = ("b", lb) if kind == "fused" else ("a", la) if kind == "split" else ("", [])
        merged = [names[side][int(x)] for x in layers if 0 <= int(x) < len(names[side])
                  and " || " in names[side][int(x)]]
        if len(merged) == 1:
            out[i] = len([p for p in merged[0].split(" || ") if p.strip()])
    return out

"""What changed in the layers of a slower fusion group, from the engines' layer information (pure).

A group ``check`` flags as slower says how much; this says what the two engines run there, read from each
side's layer records (the layer JSON or a log's layer information): precision and layout of the data a layer
reads and writes, its layer type and tactic, reformat copies one side needs and the other not. The A100 ResNet-18
FP16 -> ``qat-residual-qgap`` pair: ``GlobalAveragePool_46`` +66.7% is the pooling reading INT8 NC/32HW32 where it
read FP16 NHWC8, CaskPooling -> CudaPooling, tactic ``sm50_xmma_pooling_fw_4d_FP16FP32NHWC_Average_FastDiv_CAlign8``
-> ``0xfffffffffffffffc``; ``QuantizeLinear_2`` +17.7% is a new input quantization (FP32 NCHW -> INT8 NCHW) in
place of the FP16 build's input reformat (FP32 NCHW -> FP16 NHWC4). Real slowdowns, worded with their cause;
how they are judged (regression, or traded for an end-to-end gain) does not change.

Groups merged by ``check_moved`` / ``check_chain`` are left out (their reason already says what moved), and so is
every group without layer records on both sides (a profile alone names layers but says nothing about them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["CAUSE_PREFIX", "cause_note", "slower_causes", "traded_note"]

CAUSE_PREFIX = "what changed in its layers: "
_MERGED = frozenset({"repartitioned", "qdq_chain", "reformat_moved"})
_NOTE_MAX = 3
_NOUN = {"quantize": "quantization (Q/DQ)", "dequantize": "dequantization (Q/DQ)", "reformat": "reformat copy"}


def slower_causes(groups: pd.DataFrame, layers_a: pd.DataFrame, layers_b: pd.DataFrame) -> dict[int, str]:
    """Group id -> what changed in its layers, for each group of ``groups`` (check's decided CHECK_GROUPS frame,
    before trades are marked) with status ``regression`` and layer records on both sides (``layers_a``: the
    baseline's LAYERS frame, ``layers_b``: the candidate's)."""
    if groups.empty or not (_detailed(layers_a) and _detailed(layers_b)):
        return {}
    slower = groups[(groups["status"] == "regression") & ~groups["kind"].isin(_MERGED)]
    if slower.empty:
        return {}
    by_a = _by_name(layers_a, {n for names in slower["layers_a"].tolist() for n in names})
    by_b = _by_name(layers_b, {n for names in slower["layers_b"].tolist() for n in names})
    added = groups.loc[groups["status"] == "added", "layers_b"].tolist()
    _mark_writers(by_b, layers_b, {str(n) for names in added for n in names})
    out: dict[int, str] = {}
    for gid, names_a, names_b in zip(slower["group_id"].tolist(), slower["layers_a"].tolist(),
                                     slower["layers_b"].tolist(), strict=True):
        rows_a = [by_a[n] for n in names_a if n in by_a]
        rows_b = [by_b[n] for n in names_b if n in by_b]
        if rows_a and rows_b and len(rows_a) == len(names_a) and len(rows_b) == len(names_b):
            out[int(gid)] = CAUSE_PREFIX + _what_changed(rows_a, rows_b)
    return out


def _mark_writers(rows: Mapping[str, dict[str, Any]], layers: pd.DataFrame, added: set[str]) -> None:
    """Give each record ``writers``: its input tensor -> the layer writing it ("the new DequantizeLinear_291" when
    that layer is in a group only the candidate has, check's ``added``), from the layer JSON's producer edges."""
    if not {"layer_index", "output_names"} <= set(layers.columns):
        return
    wanted = {int(p) for r in rows.values() if isinstance(r.get("producers"), list) for p in r["producers"]}
    found = layers.loc[layers["layer_index"].isin(list(wanted)), ["name", "output_names"]].to_dict("records")
    for r in rows.values():
        r["writers"] = {str(t): ("the new " if str(w["name"]) in added else "") + str(w["name"])
                        for w in found for t in (w["output_names"] if isinstance(w["output_names"], list) else [])}


def cause_note(groups: pd.DataFrame, causes: Mapping[int, str]) -> str:
    """One note naming what changed in the slower groups (the first few; each group's reason has its own)."""
    labels = dict(zip(groups["group_id"].tolist(), groups["label"].tolist(), strict=True))
    said = [f"{labels[g]}: {why.removeprefix(CAUSE_PREFIX)}" for g, why in list(causes.items())[:_NOTE_MAX]]
    more = len(causes) - len(said)
    tail = f" (and {more} more: each group's reason, --json or --markdown)" if more > 0 else ""
    return (f"what changed in the layers of the {len(causes)} slower group(s) (layer information of both "
            f"engines): {'; '.join(said)}{tail}")


def traded_note(groups: pd.DataFrame, causes: Mapping[int, str], gain: str) -> str:
    """The note on the groups marked 'traded' (``gain``: how the end-to-end figure improved): time moved between
    groups, or - where the layers say what changed in them (``causes``) - slower parts of a faster engine."""
    traded = groups[groups["status"] == "traded"]["group_id"].tolist()
    said = sum(int(g) in causes for g in traded)
    why = ("time moved between groups (e.g. through fusion)" if not said else
           "slower parts of an engine that got faster as a whole (what changed in "
           f"{'their layers' if said == len(traded) else f'the layers of {said} of them'}: the note above)")
    return (f"{len(traded)} group(s) got slower while {gain}: {why}, reported as 'traded', not failing; set "
            "strict_groups (--strict-groups) to fail on them")


def _detailed(layers: pd.DataFrame) -> bool:
    """Layer records with types (not a names-only graph, not a profile without layers)."""
    return not layers.empty and "layer_type" in layers and bool((layers["layer_type"].fillna("") != "").any())


def _by_name(layers: pd.DataFrame, names: set[str]) -> dict[str, dict[str, Any]]:
    """The records of the layers named ``names`` (only those: an engine may have 50,000 layers)."""
    cols = ["name", "layer_type", "parameter_type", "tactic_name", "tactic_value", "inputs", "precision",
            "output_precision", "input_format", "output_format", "origin", "is_reformat", "producers"]
    records = layers.loc[layers["name"].isin(names), cols].to_dict("records")
    return {str(r["name"]): r for r in records}


def _text(value: Any) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)


def _reads(row: Mapping[str, Any]) -> str:
    """Precision and layout of the first input (``FP16 NHWC8``)."""
    first = row["inputs"][0] if isinstance(row["inputs"], list) and row["inputs"] else {}
    dtype = _text(first.get("dtype")) or _text(row["precision"])
    return " ".join(x for x in (dtype, _text(row["input_format"])) if x) or "unknown"


def _writes(row: Mapping[str, Any]) -> str:
    return " ".join(x for x in (_text(row["output_precision"]), _text(row["output_format"])) if x) or "unknown"


def _tactic(row: Mapping[str, Any]) -> str:
    return _text(row["tactic_name"]) or _text(row["tactic_value"]) or "none recorded"


def _role(row: Mapping[str, Any]) -> str:
    """What a conversion layer does: Q/DQ quantize or dequantize, or a reformat copy."""
    if _text(row["origin"]) == "QDQ":
        return "dequantize" if _reads(row).startswith(("INT", "FP8")) else "quantize"
    return "reformat"


def _what_changed(rows_a: Sequence[Mapping[str, Any]], rows_b: Sequence[Mapping[str, Any]]) -> str:
    core_a = [r for r in rows_a if not r["is_reformat"]]
    core_b = [r for r in rows_b if not r["is_reformat"]]
    if not core_a and not core_b and len(rows_a) == len(rows_b) == 1:
        return _conversion(rows_a[0], rows_b[0])
    if len(core_a) == len(core_b) == 1:
        parts = _one_layer(core_a[0], core_b[0])
    else:
        parts = _several(core_a, core_b)
    parts += _copies(rows_a, rows_b)
    return ", ".join(parts) if parts else (
        "same precision, layouts, layer types and tactics on both sides: the build does not explain the change")


def _conversion(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """A conversion layer on each side (an input reformat, a Q/DQ quantize)."""
    role_a, role_b = _role(a), _role(b)
    first = b["inputs"][0] if isinstance(b["inputs"], list) and b["inputs"] else {}
    tensor = _text(first.get("name")) or "its input"
    network_input = not (isinstance(b["producers"], list) and b["producers"])
    lead = ""
    if role_b != role_a:
        lead = f"new {'input ' if network_input else ''}{_NOUN[role_b]} in place of the baseline's {_NOUN[role_a]}: "
    text = (f"{lead}'{b['name']}' converts {tensor} {_reads(b)} -> {_writes(b)} where the baseline's "
            f"'{a['name']}' converted it {_reads(a)} -> {_writes(a)}")
    if _tactic(a) != _tactic(b):
        text += f", tactic {_tactic(a)} -> {_tactic(b)}"
    return text


def _one_layer(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    what = (_text(b["parameter_type"]) or _text(b["layer_type"]) or "layer").lower()
    parts = []
    if _reads(a) != _reads(b):
        parts.append(f"{what} now reads {_reads(b)} where it read {_reads(a)}")
    if _writes(a) != _writes(b):
        parts.append(f"{'' if parts else what + ' now '}writes {_writes(b)} where it wrote {_writes(a)}")
    parts += _other_inputs(a, b)
    if _text(a["layer_type"]) != _text(b["layer_type"]):
        parts.append(f"layer type {_text(a['layer_type'])} -> {_text(b['layer_type'])}")
    if _tactic(a) != _tactic(b):
        parts.append(f"tactic {_tactic(a)} -> {_tactic(b)}")
    return parts


def _tensor(t: Mapping[str, Any]) -> str:
    """A tensor as "name (FP16 NC/32HW32)"."""
    said = " ".join(x for x in (_text(t.get("dtype")), _text(t.get("layout"))) if x)
    return f"{_text(t.get('name')) or 'unnamed'}" + (f" ({said})" if said else "")


def _other_inputs(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """The inputs after the first (a fused Add's residual, ...) whose precision or layout changed, or that one side
    lacks, by position: "input 1 is now onnx::Add_454 (FP32 NCHW) where it was inputs.28 (FP16 NC/32HW32)" (a
    tensor renamed alone is not said: two exports name the same tensor differently)."""
    ins_a = a["inputs"] if isinstance(a["inputs"], list) else []
    ins_b = b["inputs"] if isinstance(b["inputs"], list) else []
    parts = []
    for k in range(1, max(len(ins_a), len(ins_b))):
        if k >= len(ins_a):
            parts.append(f"input {k} is new: {_tensor(ins_b[k])}")
        elif k >= len(ins_b):
            parts.append(f"input {k} ({_tensor(ins_a[k])}) is gone")
        elif any(_text(ins_a[k].get(key)) != _text(ins_b[k].get(key)) for key in ("dtype", "layout")):
            by = (b.get("writers") or {}).get(_text(ins_b[k].get("name")))
            parts.append(f"input {k} is now {_tensor(ins_b[k])}" + (f", written by {by}," if by else "")
                         + f" where it was {_tensor(ins_a[k])}")
    return parts


def _several(core_a: Sequence[Mapping[str, Any]], core_b: Sequence[Mapping[str, Any]]) -> list[str]:
    def kinds(rows: Sequence[Mapping[str, Any]], key: str) -> str:
        return "/".join(sorted({_text(r[key]) for r in rows if _text(r[key])})) or "unknown"

    parts = []
    if kinds(core_a, "precision") != kinds(core_b, "precision"):
        parts.append(f"{len(core_b)} layer(s) now run {kinds(core_b, 'precision')} where {len(core_a)} ran "
                     f"{kinds(core_a, 'precision')}")
    if kinds(core_a, "layer_type") != kinds(core_b, "layer_type"):
        parts.append(f"layer types {kinds(core_a, 'layer_type')} -> {kinds(core_b, 'layer_type')}")
    if sorted(_tactic(r) for r in core_a) != sorted(_tactic(r) for r in core_b):
        parts.append("other tactics")
    return parts


def _copies(rows_a: Sequence[Mapping[str, Any]], rows_b: Sequence[Mapping[str, Any]]) -> list[str]:
    """Reformat copies (and Q/DQ conversions) one side runs in the group and the other not."""
    copies_a = [str(r["name"]) for r in rows_a if r["is_reformat"]]
    copies_b = [str(r["name"]) for r in rows_b if r["is_reformat"]]
    if len(copies_a) == len(copies_b):
        return []
    more, side, names = ((len(copies_b) - len(copies_a), "candidate", copies_b) if len(copies_b) > len(copies_a)
                         else (len(copies_a) - len(copies_b), "baseline", copies_a))
    return [f"{more} more conversion layer(s) in the {side} ({', '.join(repr(n) for n in names)})"]

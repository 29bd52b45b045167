"""Explain the latency difference between two engines A and B, fusion group by fusion group.

:func:`diff` aligns the two engines (:func:`trtinspect.inspector.align.align`), puts each layer's profiled
time into its group (:func:`group_times`), totals time by layer type and by precision, reads end-to-end
latency and H2D/compute/D2H from the per-iteration times (else the performance summary), attaches the
analyzer's findings per group when ``trtinspect.inspector.lint`` is installed, and writes a one-paragraph
summary generated from the data. The sum of group deltas is reconciled against the difference of per-layer
totals (an :class:`~trtinspect.errors.InternalError` if they disagree beyond rounding).

A side with no per-layer timing at all (no profile, or no profile row names any of its layers) is *untimed*:
its group, type and precision times are unknown (NaN), never 0 ms; there are no per-layer deltas, no
reconciliation and no profiling gap for it, and the summary compares end to end and describes structural
changes without prices. A partially timed side keeps per-layer accounting (untimed layers count 0 ms and
are counted in ``a_untimed``/``b_untimed``; unmatched profile time is reported in the notes).

All times are per-iteration milliseconds: the profile's ``avg_ms`` for layers.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trtinspect.errors import InternalError, NotComparableError, TrtInspectError
from trtinspect.gcpause import gc_paused
from trtinspect.inspector.align import MODE_ORDER, OP_ALIASES, Alignment, align, primary_op, read_sides
from trtinspect.inspector.align_side import _Side
from trtinspect.inspector.diff_excerpt import excerpt_notes, excerpt_tail, not_listed_ms
from trtinspect.inspector.lint import lint
from trtinspect.inspector.model_match import ModelMatch, model_match
from trtinspect.parsers import schema
from trtinspect.parsers.layer_total import rows_total
from trtinspect.parsers.model import single_sample_sides
from trtinspect.parsers.nsys.bundle import require_tensorrt
from trtinspect.parsers.timing import FROM_SUMMARY, FROM_TIMES
from trtinspect.textfmt import signed

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

log = logging.getLogger(__name__)

__all__ = ["NO_TIMING", "RECONCILE_TOL_MS", "DiffResult", "diff", "group_times", "is_timed"]

# Sum of group deltas vs difference of per-layer totals: allowed floating-point disagreement.
RECONCILE_TOL_MS = 1e-9

# What an untimed side lacks (said in the summary and the notes).
NO_TIMING = "no --exportProfile / --dumpProfile / nsys per-layer data"

# End-to-end metrics: key, TIMES column / timing-summary metric, trtexec's name (see parsers/timing.py).
END_TO_END: tuple[tuple[str, str, str], ...] = (
    ("latency", "latency_ms", "Latency"),
    ("h2d", "h2d_ms", "H2D Latency"),
    ("gpu_compute", "compute_ms", "GPU Compute Time"),
    ("d2h", "d2h_ms", "D2H Latency"),
    ("enqueue", "enqueue_ms", "Enqueue Time"),
)
E2E_SOURCES = {FROM_TIMES: "times (mean of the measured iterations)", FROM_SUMMARY: "performance summary (mean)"}

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

# Summary sentence per event kind ({what} noun phrase with its count, {a}/{b} values, {ms} " (signed delta)",
# empty when a side has no per-layer timing).
EVENT_TEXT: dict[str, str] = {
    "removed": "B removed {what}{ms}",
    "added": "B added {what}{ms}",
    "fused": "B fused {what}{ms}",
    "split": "B split {what}{ms}",
    "repartitioned": "{what} {were} re-partitioned into different layers{ms}",
    "bucket": "{what} could only be compared as a bucket of their type{ms}",
    "precision": "{what} moved from {a} to {b}{ms}",
    "output_precision": "{what} now output{s} {b} instead of {a}{ms}",
    "format": "{what} changed tensor formats or reformats{ms}",
    "tactic": "{what} changed tactic only{ms}",
    "unchanged": "{what} {are} unchanged{ms}",
}
# Order of headline events within a group (one per group, so event deltas add up to the total delta).
EVENT_PRIORITY = ("removed", "added", "fused", "split", "repartitioned", "bucket", "precision",
                  "output_precision", "format", "tactic", "unchanged")


@dataclass
class DiffResult:
    """Everything :func:`diff` found. Frames: ``groups`` (DIFF_GROUPS + GROUP_TIMES columns + ``findings``),
    ``by_type`` / ``by_precision`` (key, a_ms, b_ms, delta_ms, a_layers, b_layers), ``end_to_end``
    (metric, a_ms, b_ms, delta_ms, source)."""

    a_name: str
    b_name: str
    alignment: Alignment
    groups: pd.DataFrame
    by_type: pd.DataFrame
    by_precision: pd.DataFrame
    end_to_end: pd.DataFrame
    totals: dict[str, float]
    events: list[dict[str, Any]]
    summary: str
    notes: list[str] = field(default_factory=list)
    findings_available: bool = False
    causes: list[dict[str, Any]] = field(default_factory=list)   # events by root cause, largest first
    similarity: float = math.nan            # structural similarity of A and B (inspector.model_match)
    context: list[str] = field(default_factory=list)             # build/run fields that differ
    headline: str = ""

    @property
    def mode(self) -> str:
        return self.alignment.mode

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return _jsonable(self.document(_to_records))

    def document(self, records: Callable[[pd.DataFrame], list[dict[str, Any]]]) -> dict[str, Any]:
        """The keys of :meth:`to_dict`, frames turned into row dicts by ``records``, values not converted."""
        return {
            "a": self.a_name,
            "b": self.b_name,
            "alignment_mode": self.alignment.mode,
            "shared_source_nodes": self.alignment.shared_source_nodes,
            "summary": self.summary,
            "headline": self.headline,
            "causes": self.causes,
            "context": self.context,
            "structural_similarity": self.similarity,
            "totals": self.totals,
            "end_to_end": records(self.end_to_end),
            "by_type": records(self.by_type),
            "by_precision": records(self.by_precision),
            "events": self.events,
            "groups": records(self.groups),
            "members": records(self.alignment.members),
            "notes": self.notes,
            "findings_available": self.findings_available,
        }


def _to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if math.isnan(obj) else float(obj)
    if obj is pd.NA or obj is None:
        return None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


# --------------------------------------------------------------------------------------------- accounting


def _ms_by_index(layer_times: pd.DataFrame) -> dict[int, float]:
    if layer_times.empty or "avg_ms" not in layer_times:
        return {}
    idx = layer_times["layer_index"].to_numpy(dtype=np.int64)
    ms = layer_times["avg_ms"].to_numpy(dtype="float64", na_value=np.nan)
    return dict(zip(idx.tolist(), ms.tolist(), strict=False))


def is_timed(layer_times: pd.DataFrame) -> bool:
    """Whether at least one layer of an ``EngineBundle.layer_times()`` frame has a profiled ``avg_ms``."""
    return not layer_times.empty and "avg_ms" in layer_times and bool(layer_times["avg_ms"].notna().any())


def group_times(alignment: Alignment, a_layer_times: pd.DataFrame,
                b_layer_times: pd.DataFrame) -> pd.DataFrame:
    """Per-group per-iteration time: one row per group of ``alignment`` (schema ``GROUP_TIMES``).

    ``a_layer_times`` / ``b_layer_times`` are ``EngineBundle.layer_times()`` frames (``layer_index`` and
    ``avg_ms``). A group's time is the sum of its layers' ``avg_ms``; layers without a profiled time count as
    0 ms and are counted in ``a_untimed``/``b_untimed``. ``delta_ms = b_ms - a_ms``; ``delta_pct`` is relative
    to ``a_ms`` (NaN when A has no time in the group). The sum of ``delta_ms`` equals the difference of the
    per-layer totals of B and A.

    A side with no timed layer at all (:func:`is_timed` false) has unknown times: its ``*_ms`` and every
    ``delta_ms`` / ``delta_pct`` are NaN (not 0 ms).
    """
    ms_a, ms_b = _ms_by_index(a_layer_times), _ms_by_index(b_layer_times)
    timed_a, timed_b = is_timed(a_layer_times), is_timed(b_layer_times)
    g = alignment.groups
    rows: dict[str, list[Any]] = {c: [] for c in schema.GROUP_TIMES}
    for gid, kind, label, la, lb in zip(g["group_id"].tolist(), g["kind"].tolist(), g["label"].tolist(),
                                        g["a_layers"].tolist(), g["b_layers"].tolist(), strict=False):
        va = [ms_a.get(i, math.nan) for i in la]
        vb = [ms_b.get(j, math.nan) for j in lb]
        a_ms = math.fsum(v for v in va if not math.isnan(v)) if timed_a else math.nan
        b_ms = math.fsum(v for v in vb if not math.isnan(v)) if timed_b else math.nan
        delta = b_ms - a_ms
        rows["group_id"].append(gid)
        rows["kind"].append(kind)
        rows["label"].append(label)
        rows["a_ms"].append(a_ms)
        rows["b_ms"].append(b_ms)
        rows["delta_ms"].append(delta)
        rows["delta_pct"].append(100.0 * delta / a_ms if a_ms > 0 else math.nan)
        rows["a_untimed"].append(sum(1 for v in va if math.isnan(v)))
        rows["b_untimed"].append(sum(1 for v in vb if math.isnan(v)))
    return schema.frame_from_columns(rows, schema.GROUP_TIMES)


def _totals_by(col: str, a_lt: pd.DataFrame, b_lt: pd.DataFrame) -> pd.DataFrame:
    """Time and layer count per ``col`` value; an untimed side's times are NaN (its layer counts stay)."""
    parts = []
    for side, lt in (("a", a_lt), ("b", b_lt)):
        if lt.empty:
            continue
        key = lt[col].astype("string").fillna("").replace("", "(unknown)")
        frame = pd.DataFrame({"key": key, "ms": lt["avg_ms"].astype("float64").fillna(0.0)})
        agg = frame.groupby("key", sort=False).agg(ms=("ms", "sum"), layers=("ms", "size"))
        agg.columns = [f"{side}_ms", f"{side}_layers"]
        parts.append(agg)
    if not parts:
        return pd.DataFrame({"key": pd.Series(dtype="string"), "a_ms": [], "b_ms": [], "delta_ms": [],
                             "a_layers": pd.Series(dtype="int64"), "b_layers": pd.Series(dtype="int64")})
    out = pd.concat(parts, axis=1)
    for c in ("a_ms", "b_ms", "a_layers", "b_layers"):
        if c not in out:
            out[c] = 0
    out = out.fillna(0)
    for side, lt in (("a", a_lt), ("b", b_lt)):
        if not is_timed(lt):
            out[f"{side}_ms"] = math.nan
    out["delta_ms"] = out["b_ms"] - out["a_ms"]
    out = out.reset_index(names="key")
    out["key"] = out["key"].astype("string")
    out["a_layers"] = out["a_layers"].astype("int64")
    out["b_layers"] = out["b_layers"].astype("int64")
    out = out[["key", "a_ms", "b_ms", "delta_ms", "a_layers", "b_layers"]]
    return out.sort_values("delta_ms", key=lambda s: -s.abs(), kind="stable").reset_index(drop=True)


def _end_to_end(bundle: EngineBundle) -> dict[str, tuple[float, str]]:
    """Mean per iteration of each END_TO_END metric, from the bundle's one timing summary."""
    out: dict[str, tuple[float, str]] = {}
    for key, col, _metric in END_TO_END:
        stats = bundle.timing.metrics[col]
        if stats.mean is not None:
            out[key] = (stats.mean, E2E_SOURCES.get(stats.source or "", str(stats.source)))
    return out


def _end_to_end_frame(a: EngineBundle, b: EngineBundle) -> pd.DataFrame:
    ea, eb = _end_to_end(a), _end_to_end(b)
    rows = []
    for key, _, _ in END_TO_END:
        if key not in ea and key not in eb:
            continue
        va = ea.get(key, (math.nan, ""))
        vb = eb.get(key, (math.nan, ""))
        src = va[1] if va[1] == vb[1] else f"A: {va[1] or 'absent'}; B: {vb[1] or 'absent'}"
        rows.append({"metric": key, "a_ms": va[0], "b_ms": vb[0], "delta_ms": vb[0] - va[0], "source": src})
    return pd.DataFrame(rows, columns=["metric", "a_ms", "b_ms", "delta_ms", "source"])


# --------------------------------------------------------------------------------------------- findings


def _lint_findings(bundle: EngineBundle, notes: list[str]) -> pd.DataFrame | None:
    try:
        frame = lint(bundle)
    except TrtInspectError as exc:
        notes.append(f"analyzer findings unavailable for {bundle.name}: {exc}")
        return None
    return frame if isinstance(frame, pd.DataFrame) else None


def _findings_per_group(alignment: Alignment, side: str, frame: pd.DataFrame | None) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if frame is None or frame.empty:
        return out
    m = alignment.members
    m = m[m["side"] == side]
    gid_of = dict(zip(m["layer_index"].tolist(), m["group_id"].tolist(), strict=False))
    columns = [frame[c].tolist() for c in ("layer_indices", "cost_ms", "severity", "title", "rule_id")]
    for indices, cost, severity, title, rule_id in zip(*columns, strict=True):
        gids = {gid_of[i] for i in (indices or []) if i in gid_of}
        cost_txt = f", {cost:.3f} ms" if isinstance(cost, float) and not math.isnan(cost) else ""
        text = f"{side}: [{severity}] {title} ({rule_id}{cost_txt})"
        for gid in sorted(gids):
            out[gid].append(text)
    return out


# --------------------------------------------------------------------------------------------- summary


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
    if kind == "only_a":
        return "removed", (_nouns(ops_a, row.get("a_types") == "Reformat", types),)
    if kind == "only_b":
        return "added", (_nouns(ops_b, row.get("b_types") == "Reformat", types),)
    if kind == "fused":
        host = prim_b[0] if prim_b else ""
        return "fused", (tuple(sorted(_remove_one(prim_a, host))), host)
    if kind == "split":
        host = prim_a[0] if prim_a else ""
        return "split", (host, tuple(sorted(_remove_one(prim_b, host))))
    # what the layers are now (B) names the group; A's ops only where B has none
    nouns = _nouns(ops_b or ops_a, False, str(row.get("b_types") or types))
    changes = row.get("changes") or []
    if kind == "repartitioned" and "precision" in changes and not _same(row["a_precision"], row["b_precision"]):
        # moving an op between neighbours does not halve their time; the precision change does
        regrouped = (f"group of {nouns[1]} re-partitioned between layers",
                     f"groups of {nouns[1]} re-partitioned between layers")
        return "precision", (regrouped, row["a_precision"], row["b_precision"])
    if kind in ("repartitioned", "bucket"):
        return kind, (nouns,)
    if "precision" in changes:
        if not _same(row["a_precision"], row["b_precision"]):
            return "precision", (nouns, row["a_precision"], row["b_precision"])
        return "output_precision", (nouns, row["a_output_precision"], row["b_output_precision"])
    for c in ("format", "tactic"):
        if c in changes:
            return c, (nouns,)
    return "unchanged", (nouns,)


def _fmt_ms(ms: float) -> str:
    return signed(ms, 3, " ms")


def _op_noun(op: str, plural: bool) -> str:
    return noun(frozenset({op}), False, plural, op)


def _describe(event: str, key: tuple[Any, ...], count: int, label: str | None) -> tuple[str, Any, Any]:
    """(noun phrase, a value, b value) of an aggregated event."""
    many = count != 1
    tag = f" ({label})" if label and not many else ""
    if event in ("removed", "added"):
        return f"{count} {key[0][1] if many else key[0][0]}{tag}", None, None
    if event == "fused":
        absorbed, host = key
        parts = [_op_noun(op, many) for op in dict.fromkeys(absorbed)] or ["layers"]
        whose = "their" if many else "its"
        return f"{count} {' and '.join(parts)} into {whose} {_op_noun(host, many)}{tag}", None, None
    if event == "split":
        host, pieces = key
        return f"{count} {_op_noun(host, many)} into {1 + len(pieces)} layers each{tag}", None, None
    what = f"{count} {key[0][1]}" if many else f"{key[0][0]}{tag}"
    if event in ("precision", "output_precision"):
        return what, key[1], key[2]
    return what, None, None


EVENT_COLUMNS = ("group_id", "kind", "label", "changes", "n_a", "n_b", "a_ops", "b_ops", "a_primary_ops",
                 "b_primary_ops", "a_types", "b_types", "a_precision", "b_precision", "a_output_precision",
                 "b_output_precision", "delta_ms")


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Rows as dicts of plain Python values (NA -> None); much faster than ``DataFrame.to_dict``."""
    lists = [[None if v is pd.NA else v for v in frame[c].tolist()] for c in columns]
    for values in zip(*lists, strict=True):
        yield dict(zip(columns, values, strict=True))


def _events(groups: pd.DataFrame) -> list[dict[str, Any]]:
    """Group headline events aggregated by kind and key, largest absolute delta first."""
    agg: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
    for row in _records(groups, EVENT_COLUMNS):
        event, key = _group_event(row)
        slot = agg.setdefault((event, key), {"event": event, "groups": 0, "layers": 0, "delta_ms": 0.0,
                                             "group_ids": [], "labels": []})
        slot["groups"] += 1
        slot["layers"] += int(row["n_b"] if event == "added" else row["n_a"])
        slot["delta_ms"] += float(row["delta_ms"])
        slot["group_ids"].append(int(row["group_id"]))
        slot["labels"].append(str(row["label"]))
    out = []
    for (event, key), slot in agg.items():
        count = slot["layers"] if event in ("removed", "added") else slot["groups"]
        what, a_val, b_val = _describe(event, key, count, slot["labels"][0] if slot["groups"] == 1 else None)
        one = count == 1
        d = slot["delta_ms"]
        text = EVENT_TEXT[event].format(what=what, a=a_val or "unknown", b=b_val or "unknown",
                                        ms="" if math.isnan(d) else f" ({_fmt_ms(d)})",
                                        s="s" if one else "", are="is" if one else "are",
                                        were="was" if one else "were")
        out.append({**slot, "count": count, "what": what, "a": a_val, "b": b_val, "text": text})
    # largest |delta| first; without per-layer timing (NaN deltas) the most layers/groups first
    out.sort(key=lambda e: (-abs(e["delta_ms"]) if not math.isnan(e["delta_ms"]) else 0.0, -e["count"],
                            EVENT_PRIORITY.index(e["event"])))
    return out


def _moved_ops(groups: pd.DataFrame) -> list[str]:
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


def _untimed_head(a_name: str, b_name: str, untimed: Sequence[str], ga: float, gb: float) -> str:
    """Summary head when a side has no per-layer timing: say so and compare end to end instead."""
    who = "Neither A nor B has" if len(untimed) == 2 else f"{untimed[0]} has no"
    head = (f"A ({a_name}) vs B ({b_name}): {who} per-layer timing ({NO_TIMING}): per-layer comparison "
            "is not possible; ")
    if not (math.isnan(ga) or math.isnan(gb)):
        return head + f"compare end to end: GPU compute {ga:.3f} -> {gb:.3f} ms ({_fmt_ms(gb - ga)})"
    return head + "no end-to-end GPU compute time on both sides either: structural diff only"


SAME_MS = 0.0005      # below this a difference prints as 0.000 ms: said as "the same", never "(+0.000 ms)"
NET_TAIL = f" (net under {SAME_MS} ms)"  # a cause whose changes cancel out (never "different time (the same)")


def headline(a_name: str, b_name: str, totals: Mapping[str, float]) -> str:
    """One sentence: who is faster, by how much end to end (trtexec's mean GPU compute, labelled so) and per layer;
    the one percentage is of A's end-to-end GPU compute (else of A's per-layer total), and says so."""
    ta, tb = totals["a_layers_ms"], totals["b_layers_ms"]
    ga, gb = totals.get("a_gpu_compute_ms", math.nan), totals.get("b_gpu_compute_ms", math.nan)
    untimed = [side for side, t in (("A", ta), ("B", tb)) if math.isnan(t)]
    if untimed:
        return _untimed_head(a_name, b_name, untimed, ga, gb) + "."
    per_layer = f"per-layer profiled total {ta:.3f} -> {tb:.3f} ms{excerpt_tail(totals)}"
    if not (math.isnan(ga) or math.isnan(gb)) and ga > 0:
        d = gb - ga
        if abs(d) < SAME_MS:
            return (f"B ({b_name}) and A ({a_name}) take the same end-to-end GPU compute time (mean per iteration: "
                    f"{ga:.3f} ms); {per_layer}{_delta_tail(tb - ta)}.")
        return (f"B ({b_name}) is {abs(d):.3f} ms {'slower' if d > 0 else 'faster'} than A ({a_name}) end to "
                f"end, {abs(100 * d / ga):.1f}% of A's GPU compute (mean per iteration: {ga:.3f} -> {gb:.3f} ms); "
                f"{per_layer}{_delta_tail(tb - ta)}.")
    d = tb - ta
    if ta <= 0:
        return f"A ({a_name}) has no profiled per-layer time; B ({b_name}) has {tb:.3f} ms."
    if abs(d) < SAME_MS:
        return f"B ({b_name}) and A ({a_name}) take the same per-layer time ({ta:.3f} ms); no end-to-end figure."
    return (f"B ({b_name}) is {abs(d):.3f} ms {'slower' if d > 0 else 'faster'} than A ({a_name}) in per-layer "
            f"profiled time, {abs(100 * d / ta):.1f}% of A's per-layer total ({ta:.3f} -> {tb:.3f} ms"
            f"{excerpt_tail(totals)}); "
            "no end-to-end GPU compute on both sides.")


def _delta_tail(d: float, same: str = " (the same)") -> str:
    return same if abs(d) < SAME_MS else f" ({_fmt_ms(d)})"


# Root causes: each headline event belongs to one cause (first matching rule); causes are ranked by the sum
# of their events' deltas. (cause, title)
CAUSE_TITLES: dict[str, str] = {
    "qdq": "Q/DQ placement changed",
    "precision": "Layers run at another precision",
    "fusion": "Fusion changed",
    "structure": "Layers added or removed",
    "kernels": "Kernel choice changed at the same precision (tactics, formats, reformats)",
    "bucket": "Not explained: layers compared only as a bucket of their type",
    "timing": "Same layers and kernels, different measured time",
}
MAX_CAUSES = 3


def _cause_of(event: Mapping[str, Any]) -> str | None:
    kind = event["event"]
    if kind in ("removed", "added"):
        return "qdq" if "standalone quantize" in event["what"] or "standalone dequantize" in event["what"] \
            else "structure"
    if kind == "output_precision":
        return "qdq" if "INT8" in (event["a"], event["b"]) else "precision"
    return {"precision": "precision", "fused": "fusion", "split": "fusion", "repartitioned": "fusion",
            "tactic": "kernels", "format": "kernels", "bucket": "bucket", "unchanged": "timing"}.get(kind)


def _cause_title(cause: str, events: Sequence[Mapping[str, Any]]) -> str:
    """The cause in one phrase; for Q/DQ placement, say what it let TensorRT do (write INT8 directly)."""
    if cause == "qdq":
        now_int8 = sum(e["count"] for e in events if e["event"] == "output_precision" and e["b"] == "INT8")
        gone = sum(e["count"] for e in events if e["event"] == "removed")
        if now_int8 and gone:
            layers = f"{now_int8} layers now write" if now_int8 != 1 else "1 layer now writes"
            qdq = f"{gone} standalone Q/DQ layers are" if gone != 1 else "1 standalone Q/DQ layer is"
            return f"Q/DQ placement changed: {layers} INT8 directly, so {qdq} gone"
    return CAUSE_TITLES[cause]


def causes(events: Sequence[Mapping[str, Any]], max_effects: int = 3) -> list[dict[str, Any]]:
    """Events grouped by root cause, largest |delta| first: ``cause``, ``title``, ``delta_ms``, ``effects``
    (the events' sentences, largest first), ``text`` (one sentence)."""
    by: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for e in events:
        c = _cause_of(e)
        if c is not None:
            by[c].append(e)
    out: list[dict[str, Any]] = []
    for c, evs in by.items():
        deltas = [e["delta_ms"] for e in evs]
        d = math.nan if any(math.isnan(x) for x in deltas) else math.fsum(deltas)
        effects = [e["text"] for e in evs]
        # effects that round to 0.000 ms are counted, not printed as "(+0.000 ms)"
        visible = [e["text"] for e in evs if math.isnan(e["delta_ms"]) or abs(e["delta_ms"]) >= SAME_MS]
        shown = visible[:max_effects]
        hidden = len(effects) - len(shown)
        more = f"; and {hidden} smaller change{'s' if hidden != 1 else ''}" if hidden else ""
        ms = "" if math.isnan(d) else f" ({_fmt_ms(d)})"
        title = _cause_title(c, evs)
        out.append({"cause": c, "title": title, "delta_ms": d, "effects": effects,
                    "text": f"{title}{ms}: {'; '.join(shown)}{more}" if shown else f"{title}{ms}"})
    out.sort(key=lambda x: (-abs(x["delta_ms"]) if not math.isnan(x["delta_ms"]) else 0.0,
                            -len(x["effects"])))
    return out


def _summary(a_name: str, b_name: str, totals: dict[str, float], found: list[dict[str, Any]],
             moved: list[str], mode_note: str | None, context: Sequence[str] = (),
             build: Sequence[str] = ()) -> str:
    """What differs besides the engine first, then the headline, the build change, at most MAX_CAUSES causes
    with their ms, then the rest in one line."""
    lines = []
    if mode_note and mode_note.startswith("A and B look like different networks"):
        lines.append(mode_note)          # said before anything that sounds confident
        mode_note = None
    if context:
        lines.append("Run on a different setup: " + "; ".join(context) + " (part of the difference may be the "
                     "setup, not the engine).")
    lines.append(headline(a_name, b_name, totals))
    for change in build:
        lines.append(change[0].upper() + change[1:] + ".")
    top = [c for c in found if math.isnan(c["delta_ms"]) or abs(c["delta_ms"]) >= SAME_MS][:MAX_CAUSES]
    if top:
        lines.append("Causes, largest first:")
        lines += [f"{n}. {c['text']}." for n, c in enumerate(top, start=1)]
    else:
        lines.append("No structural or precision change.")
    rest = [CAUSE_TITLES[c["cause"]] + ("" if math.isnan(c["delta_ms"]) else _delta_tail(c["delta_ms"], NET_TAIL))
            for c in found if c not in top]
    if rest or moved:
        lines.append("Also: " + "; ".join(rest + moved[:2]) + ".")
    if mode_note:
        lines.append(mode_note)
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- entry point


def diff(a: EngineBundle, b: EngineBundle, *, findings: bool = True, force: bool = False) -> DiffResult:
    """Align engines A and B and account for their latency difference group by group.

    Raises :class:`~trtinspect.errors.NotComparableError` when A and B look like different networks
    (:func:`~trtinspect.inspector.model_match.model_match`), unless ``force``; raises
    :class:`~trtinspect.errors.TrtInspectError` for an Nsight Systems input without TensorRT activity (no engine
    to diff)."""
    for bundle in (a, b):
        require_tensorrt(bundle, "an engine to diff")
    with gc_paused():
        return _diff(a, b, findings=findings, force=force)


def _diff(a: EngineBundle, b: EngineBundle, *, findings: bool, force: bool) -> DiffResult:
    notes: list[str] = []
    sides = read_sides(a.layers, b.layers) if len(a.layers) and len(b.layers) else None
    match = _comparable(a, b, force, sides)
    alignment = align(a.layers, b.layers, sides)
    notes.extend(alignment.notes)
    if not match.same_model:
        notes.append(f"compared with --force although the two engines look like different networks "
                     f"({match.reason()}): treat every pairing as a guess")
    a_lt, b_lt = a.layer_times(), b.layer_times()
    timed = {"A": is_timed(a_lt), "B": is_timed(b_lt)}
    for side, bundle in (("A", a), ("B", b)):
        if timed[side]:
            continue
        why = (f"none of its {len(bundle.profile)} profile rows names one of its layers" if bundle.has_profile
               else f"it has no per-layer profile ({NO_TIMING})")
        notes.append(f"{side} ({bundle.name}) has no per-layer timing: {why}; its group times are unknown "
                     f"(shown as -), not 0 ms ({_advice(bundle, 'timing')})")
    if single := single_sample_sides([(f"A ({a.name})", a), (f"B ({b.name})", b)]):
        notes.append(f"{single}: a group's delta is one measurement a side, its run-to-run noise unknown")
    gt = group_times(alignment, a_lt, b_lt)
    groups = alignment.groups.merge(gt.drop(columns=["kind", "label"]), on="group_id", how="left")
    e2e = _end_to_end_frame(a, b)
    totals = _totals(a, b, a_lt, b_lt, gt, e2e, timed["A"] and timed["B"], notes)
    findings_available = False
    f_a: dict[int, list[str]] = {}
    f_b: dict[int, list[str]] = {}
    if findings:
        fa, fb = _lint_findings(a, notes), _lint_findings(b, notes)
        findings_available = fa is not None or fb is not None
        f_a, f_b = _findings_per_group(alignment, "A", fa), _findings_per_group(alignment, "B", fb)
    groups["findings"] = pd.Series([f_a.get(g, []) + f_b.get(g, []) for g in groups["group_id"].tolist()],
                                   index=groups.index, dtype="object")
    events = _events(groups)
    found = causes(events)
    moved = _moved_ops(groups) if alignment.mode != MODE_ORDER else []
    mode_note = None
    if alignment.mode == MODE_ORDER:
        mode_note = ("The engines share no ONNX source node names, so layers were aligned by execution "
                     "order and op type only (labelled order-and-type): treat per-group pairings as approximate.")
    if not match.same_model:
        mode_note = (f"A and B look like different networks ({match.reason()}); compared because of --force: "
                     "every pairing is a guess. " + (mode_note or "")).strip()
    summary = _summary(a.name, b.name, totals, found, moved, mode_note, match.context, match.build)
    return DiffResult(
        a_name=a.name, b_name=b.name, alignment=alignment, groups=groups,
        by_type=_totals_by("layer_type", a_lt, b_lt), by_precision=_totals_by("precision", a_lt, b_lt),
        end_to_end=e2e, totals=totals, events=events, summary=summary, notes=notes,
        findings_available=findings_available, causes=found, similarity=match.similarity,
        context=list(match.context) + list(match.build), headline=headline(a.name, b.name, totals),
    )


def _comparable(a: EngineBundle, b: EngineBundle, force: bool,
                sides: tuple[_Side, _Side] | None = None) -> ModelMatch:
    """Refuse what cannot be diffed: a side without layers (exit 2), two different networks (exit 3)."""
    for side, bundle in (("A", a), ("B", b)):
        if bundle.layers.empty:
            raise TrtInspectError(
                f"{side} ({bundle.name}) has no layer information to align",
                hint=_advice(bundle, "layers"),
            )
    match = model_match(a, b, sides)
    if not match.same_model and not force:
        raise NotComparableError(
            f"A ({a.name}) and B ({b.name}) look like different networks: {match.reason()}"
            + (f"; they also differ in {'; '.join(match.context)}" if match.context else ""),
            fields=["model"],
            hint="diff explains two builds of one network; pass --force to compare them anyway",
        )
    return match


def _totals(a: EngineBundle, b: EngineBundle, a_lt: pd.DataFrame, b_lt: pd.DataFrame, gt: pd.DataFrame,
            e2e: pd.DataFrame, both_timed: bool, notes: list[str]) -> dict[str, float]:
    """Per-layer totals, their reconciliation with the group deltas, end-to-end GPU compute, profiling gap."""
    a_total, b_total = rows_total(a_lt), rows_total(b_lt)
    a_rest, b_rest = not_listed_ms(a, a_total), not_listed_ms(b, b_total)   # an excerpt's remainder
    a_total, b_total = a_total + a_rest, b_total + b_rest
    notes.extend(excerpt_notes(a, b, a_rest, b_rest))
    if both_timed:
        group_sum = math.fsum(gt["delta_ms"].tolist())
        residual = group_sum + (b_rest - a_rest) - (b_total - a_total)
        if abs(residual) > RECONCILE_TOL_MS * max(1.0, abs(a_total) + abs(b_total)):
            raise InternalError(f"group deltas ({group_sum:.9f} ms) do not add up to the difference of "
                                f"per-layer totals ({b_total - a_total:.9f} ms)")
    else:
        group_sum = residual = math.nan
        notes.append("group deltas are not reconciled: that needs per-layer timing on both sides")
    totals: dict[str, float] = {
        "a_layers_ms": a_total, "b_layers_ms": b_total,
        "delta_ms": b_total - a_total,
        "delta_pct": 100.0 * (b_total - a_total) / a_total if a_total > 0 else math.nan,
        "sum_group_delta_ms": group_sum,
        "reconcile_residual_ms": residual,
        "a_not_listed_ms": a_rest, "b_not_listed_ms": b_rest,
        "a_unmatched_profile_ms": _unmatched_ms(a), "b_unmatched_profile_ms": _unmatched_ms(b),
    }
    for side, total in (("a", a_total), ("b", b_total)):
        hit = e2e[e2e["metric"] == "gpu_compute"]
        gpu = float(hit[f"{side}_ms"].iloc[0]) if not hit.empty else math.nan
        totals[f"{side}_gpu_compute_ms"] = gpu
        # per-layer profiling synchronises after every layer: its total exceeds real compute by this gap
        totals[f"{side}_profiling_gap_ms"] = total - gpu   # NaN when either is unknown
    for side, key in (("A", "a_unmatched_profile_ms"), ("B", "b_unmatched_profile_ms")):
        if totals[key] > 0:
            notes.append(f"{side}: {totals[key]:.3f} ms of profiled time is in rows that match no layer name "
                         "and is not in any group")
    return totals


def _advice(bundle: EngineBundle, missing: str) -> str:
    """What to do about missing layers or per-layer timing, for the kind of input this bundle came from."""
    if "nsys_sqlite" in bundle.sources or "nsys_stats_csv" in bundle.sources:
        if missing == "layers":
            return ("an Nsight Systems export names layers only through TensorRT's NVTX ranges: profile with "
                    "`nsys profile --trace=cuda,nvtx` on an engine built with --profilingVerbosity=detailed, or "
                    "give the engine's layer JSON beside the export")
        return ("the export has no TensorRT NVTX layer ranges: profile with `nsys profile --trace=cuda,nvtx` "
                "(TensorRT emits one range per layer)")
    if missing == "layers":
        return "export it with trtexec --exportLayerInfo (or --exportProfile / --dumpProfile for names)"
    return "export with trtexec --exportProfile or --dumpProfile"


def _unmatched_ms(bundle: EngineBundle) -> float:
    return bundle.unmatched_profile_ms()

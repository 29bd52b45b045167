"""Engine layer information JSON (``trtexec --exportLayerInfo``, ``IEngineInspector.get_engine_information``).

Two forms exist. *Detailed* (engine built with ``--profilingVerbosity=detailed``): ``{"Layers": [record, ...],
"Bindings": [...]}`` where each record has ``Name``, ``LayerType``, ``Inputs``/``Outputs`` tensors and
type-specific keys. *Names-only* (default verbosity): ``{"Layers": ["name", ...], "Bindings": [...]}``.

The result is one row per engine layer in execution (file) order, in the ``LAYERS`` schema of
``trtinspect.parsers.schema``. Every rule (format strings, precision, fused-name grammar, weight sizes) is
declared as data below and documented in ``docs/engine-layer-json.md``.

Performance: records are turned into column lists in one Python pass and the frame is built once; the
50,000-layer benchmark (``benchmarks/bench_layers.py``) keeps the parse within a small multiple of
``json.loads``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.gcpause import gc_paused
from trtinspect.parsers import schema
from trtinspect.parsers._io import decode_json_int64, looks_binary, read_bytes, without_bom
from trtinspect.parsers.formats import (
    DATATYPE_WORDS,
    INDEX_LIKE_PRECISIONS,
    LAYOUT_RULES,
    PRECISION_BITS,
    TENSOR_FORMAT_LAYOUTS,
    format_precision,
    is_plain_datatype,
    type_bits,
    weight_bytes,
)
from trtinspect.parsers.graph_checks import graph_notes, parsed_graph_notes
from trtinspect.parsers.layer_names import (
    NAME_LAYER_TYPES,
    layer_type_from_name,
    nodes_from_base,
    reformat_target,
    reformat_target_base,
    source_nodes_from_metadata,
    source_nodes_from_name,
    split_profile_suffix,
)
from trtinspect.parsers.layer_rows import ROW_LIST_COLUMNS, keep_row_lists, row_lists

log = logging.getLogger(__name__)

# Rules re-exported from their own modules (this module's public API predates the split).
__all__ = [
    "DATATYPE_WORDS", "LAYOUT_RULES", "NAME_LAYER_TYPES", "PRECISION_BITS", "ROW_LIST_COLUMNS",
    "TENSOR_FORMAT_LAYOUTS", "LayerInfoMeta", "format_precision", "frame_from_layer_records", "frame_from_names",
    "parse_layer_info", "parse_layer_info_obj", "reformat_target", "row_lists", "source_nodes_from_metadata",
    "source_nodes_from_name", "split_profile_suffix", "weight_bytes",
]

WHAT = "engine layer information JSON"
EXPORT_HINT = (
    "Layer information is written by `trtexec --loadEngine=ENGINE --exportLayerInfo=FILE "
    "--profilingVerbosity=detailed` (build the engine with --profilingVerbosity=detailed too)"
)

# A trtexec/TensorRT log line: "[03/03/2022-14:46:31] [I] ...", "&&&& RUNNING ...", "[I] ..." at a line start.
_LOG_LINE_RE = re.compile(rb"^(?:\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\]|&&&& |\[[IWEV]\] )", re.M)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

# Record keys holding weight blobs ({"Type", "Count"}) counted in weights_bytes (ConvActPool writes
# "ConvWeights"/"ConvBias"; Scale layers "Scale"/"Shift"/"Power").
WEIGHT_KEYS: frozenset[str] = frozenset(
    {"Weights", "Bias", "Scale", "Shift", "Power", "ConvWeights", "ConvBias", "DeconvWeights", "DeconvBias"}
)

# A tensor as trtexec writes it: these four keys (read in one call by _RowWriter.tensors' fast path).
_TENSOR_KEYS = itemgetter("Name", "Format/Datatype", "Dimensions", "Location")

# ---- Data: layer kinds -----------------------------------------------------------------------------------

# Myelin-generated records (TRT 10+): no TacticValue, plain datatypes, names like __myl_*.
MYELIN_LAYER_TYPES: frozenset[str] = frozenset({"kgen", "gemm", "fusion", "myelin"})
# Myelin generated kernels whose inputs have no fixed order (the "main input" is chosen by size).
MYELIN_UNORDERED_TYPES: frozenset[str] = frozenset({"kgen", "fusion"})
# Scheduling records without ONNX source nodes or tensors of their own.
SYNTHETIC_LAYER_TYPES: frozenset[str] = frozenset({"trainstation", "signal", "wait", "shape_call"})
# Record keys that become columns; every other key goes into ``attributes``.
CONSUMED_KEYS: frozenset[str] = frozenset(
    {"Name", "LayerType", "ParameterType", "TacticName", "TacticValue", "Inputs", "Outputs", "Origin",
     "StreamId"}
)

def _elements(shape: Any) -> int:
    if not isinstance(shape, list):
        return 0
    n = 1
    for d in shape:
        if isinstance(d, int) and d > 0:
            n *= d
    return n


def compute_precision(layer_type: str | None, inputs: list[dict[str, Any]], output_precision: str | None
                      ) -> str | None:
    """The precision a layer computes in (rule documented in docs/engine-layer-json.md).

    * TensorRT layers (Cask*, Reformat, NoOp, ...) and Myelin ``gemm``: the precision of the *main input*,
      the first input that is not index-like (INT32/INT64/BOOL shape, index or mask tensors). An INT8
      convolution with an FP32 output is INT8; a QuantizeLinear reformat FP32->INT8 is FP32 (its output
      precision is INT8 in ``output_precision``).
    * Myelin ``kgen``/``fusion`` kernels have no input order: one non-index precision among the inputs ->
      that; several -> the one of the strictly largest input; a tie -> ``"mixed"``.
    * No inputs (constants, synthetic records): the output precision.
    """
    precisions = [t["dtype"] for t in inputs]
    if not precisions:
        return output_precision
    main = [t for t in inputs if t["dtype"] and t["dtype"] not in INDEX_LIKE_PRECISIONS]
    if not main:
        return precisions[0]
    if layer_type is None or layer_type.lower() not in MYELIN_UNORDERED_TYPES:
        return main[0]["dtype"]
    distinct = {t["dtype"] for t in main}
    if len(distinct) == 1:
        return main[0]["dtype"]
    sizes = sorted(((_elements(t["shape"]), t["dtype"]) for t in main), key=lambda x: -x[0])
    largest, prec = sizes[0]
    if all(size < largest for size, p in sizes[1:] if p != prec):
        return prec
    return "mixed"


# ---- Frame building --------------------------------------------------------------------------------------


@dataclass
class LayerInfoMeta:
    """What a layer-information file said about itself besides its layers."""

    path: str | None
    detailed: bool
    n_layers: int
    bindings: list[str] | None
    has_metadata: bool
    trt_generation: str | None          # "8.x" (descriptive formats), "10.x" (plain datatypes/Metadata/kgen)
    notes: list[str] = field(default_factory=list)


@dataclass
class _BuildInfo:
    notes: list[str] = field(default_factory=list)
    has_metadata: bool = False
    plain_formats: bool = False
    descriptive_formats: bool = False
    myelin_records: bool = False
    # What the graph notes need, collected while reading (graph_checks.parsed_graph_notes): no frame reads.
    graph: _Graph | None = None
    names: list[str] = field(default_factory=list)
    producers: list[list[int]] = field(default_factory=list)
    backward: bool = False


def _bad(message: str, path: str | Path | None) -> TrtInspectError:
    return TrtInspectError(message, path=path, hint=EXPORT_HINT)


_INT_ONLY = {int}


def _shape(dims: Any, layer: str, index: int, key: str, path: str | Path | None) -> list[int]:
    """A tensor's ``Dimensions`` as read: a list of whole numbers (JSON integers, not ``true``) within int64, as
    TensorRT's ``Dims`` holds them; a negative one is a dimension resolved at run time (-1 in the layer JSON of
    engines with dynamic shapes; TensorRT 8.4's build log prints -2 too, ``Float(-2,1,28,28)``). A string,
    a ``null`` dimension, ``1e30`` or ``10**30`` is no shape any engine has: refused naming the layer (the
    tensor's size, and every byte estimate from it, would be made up)."""
    if type(dims) is list and (not dims or (_INT_ONLY.issuperset(map(type, dims)) and min(dims) >= -_INT64_MAX - 1
                                            and max(dims) <= _INT64_MAX)):
        return dims
    shown = repr(dims)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise TrtInspectError(
        f"layer '{layer}' (record {index}): a tensor of '{key}' has Dimensions {shown}: not a tensor shape "
        "(a list of whole numbers within int64, negative for a dynamic dimension)", path=path, hint=EXPORT_HINT)


# A format string's (dtype, layout, the string itself): one string object per distinct format in every tensor.
_Parsed = tuple[str | None, str | None, str | None]
_NO_FORMAT: _Parsed = (None, None, None)


def _tensor_format(t: dict[str, Any], fmt: Any, fmt_cache: dict[Any, _Parsed], info: _BuildInfo) -> _Parsed:
    """Slow path of _RowWriter.tensors: first sight of a format string, or a tensor without "Format/Datatype"."""
    if fmt is None:
        fmt = t.get("Format", t.get("Datatype"))
    if not isinstance(fmt, str):
        return _NO_FORMAT
    parsed = fmt_cache.get(fmt)
    if parsed is None:
        parsed = (*format_precision(fmt), fmt)
        fmt_cache[fmt] = parsed
        if is_plain_datatype(fmt):
            info.plain_formats = True
        else:
            info.descriptive_formats = True
    return parsed


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"0x{value & 0xFFFFFFFFFFFFFFFF:016x}"
    return str(value)


_INT64_MAX = 2**63 - 1


def _int64(value: Any) -> int | None:
    """An int that fits the Int64 columns, else None."""
    if type(value) is int and -_INT64_MAX <= value <= _INT64_MAX:
        return value
    return None


def _name_notes(names: Sequence[str], notes: list[str], distinct: bool | None = None) -> None:
    """Notes on duplicate names and names with control characters (``distinct``: whether the names are all
    distinct, when the caller knows)."""
    dups: list[str] = []
    if not distinct if distinct is not None else len(set(names)) != len(names):
        seen: dict[str, int] = {}
        for n in names:
            c = seen.get(n, 0)
            if c == 1:
                dups.append(n)
            seen[n] = c + 1
    if dups:
        notes.append(
            f"{len(dups)} layer name(s) occur more than once (all rows kept, a join by name is ambiguous "
            f"for them): {', '.join(repr(d) for d in dups[:3])}{' ...' if len(dups) > 3 else ''}"
        )
    joined = "".join(names)  # printable text has no control character: one C-level test of every name
    ctrl = [n for n in names if _CONTROL_RE.search(n)] \
        if not joined.isprintable() and _CONTROL_RE.search(joined) else []
    if ctrl:
        notes.append(
            f"{len(ctrl)} layer name(s) contain control characters (kept raw in `name`): "
            f"{', '.join(repr(n) for n in ctrl[:3])}{' ...' if len(ctrl) > 3 else ''}"
        )


def _build_frame(records: list[Any], *, detailed: bool, path: str | Path | None = None, own: bool = False,
                 int64: bool = False) -> tuple[pd.DataFrame, _BuildInfo]:
    """Frame + notes. ``own=True``: the records may be modified (their dicts become ``attributes``).
    ``int64=True``: every int in the records is known to be within int64 (``_io.loads_int64`` decoded them)."""
    with gc_paused():
        return _build_frame_impl(records, detailed=detailed, path=path, own=own, int64=int64)


@dataclass
class _Graph:
    """Tensor name -> writer / readers, collected while the records are read (edges are filled after).

    ``consumers_of`` holds every tensor read, in the order first read; ``producer_of`` every tensor written
    (its first writer). ``loops``: rows that read a tensor they write themselves. ``producers``: each row's
    producers as far as the rows before it (and itself) tell; ``recheck``: rows reading a tensor no row up to
    them writes (an engine input, or a backward edge), whose producers are looked up again once all are read.
    """

    producer_of: dict[str, int] = field(default_factory=dict)
    consumers_of: dict[str, list[int]] = field(default_factory=dict)
    multi_produced: list[str] = field(default_factory=list)
    reformat_rows: list[int] = field(default_factory=list)
    loops: list[int] = field(default_factory=list)
    missing_tensors: int = 0
    producers: list[list[int]] = field(default_factory=list)
    recheck: list[int] = field(default_factory=list)
    backward: bool = False

    def add(self, i: int, in_names: list[str], out_names: list[str]) -> None:
        """Row ``i`` (rows are added in order) writes ``out_names`` and reads ``in_names``."""
        producer_of, consumers_of = self.producer_of, self.consumers_of
        for tn in out_names:
            if tn in producer_of:
                self.multi_produced.append(tn)
            else:
                producer_of[tn] = i
        prods: list[int] = []
        unknown = False
        for tn in in_names:
            lst = consumers_of.get(tn)
            if lst is None:
                consumers_of[tn] = [i]
            elif lst[-1] != i:
                lst.append(i)
            p = producer_of.get(tn)
            if p is None:
                unknown = True
            elif p not in prods:
                prods.append(p)
                if p == i:
                    self.backward = True
        self.producers.append(prods)
        if unknown:
            self.recheck.append(i)
        if in_names and out_names and (
                in_names[0] == out_names[0] if len(in_names) == 1 == len(out_names)
                else not set(in_names).isdisjoint(out_names)):
            self.loops.append(i)


# What _RowWriter.read returns for one record, in this order; layer_index, producers and consumers are
# filled once every record is read.
_ROW_COLUMNS: tuple[str, ...] = (
    "name", "layer_type", "parameter_type", "inputs", "outputs", "input_names", "output_names",
    "base_name", "profile_index", "source_nodes", "source_from", "fusion", "is_reformat",
    "precision", "output_precision", "input_format", "output_format",
    "tactic_name", "tactic_value", "origin", "stream_id", "weights_bytes", "attributes",
)


def _build_frame_impl(records: list[Any], *, detailed: bool, path: str | Path | None, own: bool,
                      int64: bool = False) -> tuple[pd.DataFrame, _BuildInfo]:
    """Read every record into one row tuple, transpose them into columns, add edges and notes."""
    info = _BuildInfo()
    if not isinstance(records, list):
        raise _bad(f"layer records are {type(records).__name__}, expected a list", path)
    n = len(records)
    if n == 0:
        return schema.empty_frame(schema.LAYERS), info
    rows = _RowWriter(info, path, detailed, own, int64)
    # The row tuples, end to end in one list (each tuple is freed once copied), cut into columns by C-level
    # strided slices: less time and memory than transposing 50,000 tuples with zip(*rows).
    flat = list(chain.from_iterable(map(rows.read, range(n), records)))
    width = len(_ROW_COLUMNS)
    if len(flat) != width * n:  # pragma: no cover - read returns one value per column
        raise AssertionError("a layer row has the wrong number of columns")
    cols: dict[str, list[Any]] = {c: flat[j::width] for j, c in enumerate(_ROW_COLUMNS)}
    del flat
    cols["layer_index"] = range(n)  # type: ignore[assignment]  # pandas makes a range an arange, in C
    graph = rows.graph
    cols["producers"], cols["consumers"], info.backward = _edges(cols, graph)
    distinct = _link_reformats(cols, graph.reformat_rows)
    _frame_notes(cols["name"], graph, detailed, info.notes, distinct)
    info.graph = graph
    info.names, info.producers = cols["name"], cols["producers"]
    frame = schema.frame_from_columns(cols, schema.LAYERS)
    keep_row_lists(frame, cols)
    return frame, info


# What the rules need to know of a LayerType, worked out once per distinct value: (a Myelin record, a
# synthetic scheduling record, a Myelin kernel whose inputs have no order).
_KindFlags = tuple[bool, bool, bool]


def _kind_flags(ltype: str | None) -> _KindFlags:
    lkind = ltype.lower() if ltype else ""
    return lkind in MYELIN_LAYER_TYPES, lkind in SYNTHETIC_LAYER_TYPES, lkind in MYELIN_UNORDERED_TYPES


class _RowWriter:
    """Reads one layer record into one row tuple (_ROW_COLUMNS; one Python pass over 50,000 records).

    What depends only on a distinct value is worked out once: tensor format strings (``fmt_cache``), layer
    types (``kinds``) and weight types (``bits``). The string columns of few distinct values (layer and
    parameter types, tactics, origin, tensor formats) hold one string object per distinct value (``canon``):
    the same values in less memory, compared and read from a few hot objects."""

    def __init__(self, info: _BuildInfo, path: str | Path | None, detailed: bool, own: bool,
                 int64: bool = False) -> None:
        self.info, self.path, self.detailed, self.own = info, path, detailed, own
        # Every int of the records is within int64 (the decoder checked): a shape of ints needs no range check.
        self.int64 = int64
        self.graph = _Graph()
        self.fmt_cache: dict[Any, _Parsed] = {}
        self.kinds: dict[str | None, tuple[str | None, _KindFlags]] = {}
        self.canon: dict[str, str] = {}
        self.bits: dict[str, int | None] = {}

    def read(self, i: int, rec: Any) -> tuple[Any, ...]:
        if type(rec) is not dict:
            raise _bad(f"layer record {i} is {type(rec).__name__}, expected an object", self.path)
        # Every key not turned into a column stays in `attributes`: the record itself when we own it,
        # else a copy. The popped keys are exactly CONSUMED_KEYS.
        attrs = rec if self.own else dict(rec)
        pop = attrs.pop
        name = pop("Name", None)
        if type(name) is not str:
            raise _bad(f"layer record {i} has no string 'Name'", self.path)
        ltype = pop("LayerType", None)
        if type(ltype) is not str:
            ltype = None if self.detailed else layer_type_from_name(split_profile_suffix(name)[0])
        kind = self.kinds.get(ltype)
        if kind is None:
            kind = self.kinds[ltype] = (ltype, _kind_flags(ltype))
            if kind[1][0]:
                self.info.myelin_records = True
        ltype, flags = kind
        canon = self.canon.setdefault
        ptype = pop("ParameterType", None)
        ptype = canon(ptype, ptype) if type(ptype) is str else None
        raw_in, raw_out = pop("Inputs", None), pop("Outputs", None)
        if raw_in is None and raw_out is None:
            self.graph.missing_tensors += 1
        ins, in_names = self.tensors(raw_in, i, "Inputs", name) if raw_in else ([], [])
        outs, out_names = self.tensors(raw_out, i, "Outputs", name) if raw_out else ([], [])
        graph = self.graph
        if len(in_names) == 1 == len(out_names):  # _Graph.add of one tensor read and one written
            tn, tin = out_names[0], in_names[0]
            producer_of = graph.producer_of
            if tn in producer_of:
                graph.multi_produced.append(tn)
            else:
                producer_of[tn] = i
            lst = graph.consumers_of.get(tin)
            if lst is None:
                graph.consumers_of[tin] = [i]
            elif lst[-1] != i:
                lst.append(i)
            p = producer_of.get(tin)
            if p is None:
                graph.producers.append([])
                graph.recheck.append(i)
            else:
                graph.producers.append([p])
                if p == i:
                    graph.backward = True
            if tin == tn:
                graph.loops.append(i)
        else:
            graph.add(i, in_names, out_names)
        base, prof = split_profile_suffix(name) if name[-1:] == "]" and " [profile " in name else (name, None)
        if flags[1] or "Metadata" in attrs or base.startswith("Reformatting CopyNode for ") \
                or " reformatter " in base:
            nodes, src, fusion, serves = self._sources(i, base, flags, attrs)
        else:  # _sources of a layer named after its source nodes
            nodes, fusion = nodes_from_base(base)
            src, serves = ("name" if nodes else "none"), False
        out_prec = outs[0]["dtype"] if outs else None
        if ins:
            prec = ins[0]["dtype"]
            if prec is None or prec in INDEX_LIKE_PRECISIONS or (flags[2] and len(ins) > 1):
                prec = compute_precision(ltype, ins, out_prec)
        else:
            prec = out_prec
        tac, tval, origin = pop("TacticName", None), pop("TacticValue", None), pop("Origin", None)
        return (
            name, ltype, ptype, ins, outs, in_names, out_names,
            base, prof if prof is None or prof <= _INT64_MAX else None, nodes, src, fusion,
            serves or ltype == "Reformat" or ptype == "Reformat", prec, out_prec,
            ins[0]["layout"] if ins else None, outs[0]["layout"] if outs else None,
            canon(tac, tac) if type(tac) is str else None if tac is None else _opt_str(tac),
            canon(tval, tval) if type(tval) is str else None if tval is None else _opt_str(tval),
            canon(origin, origin) if type(origin) is str else None if origin is None else _opt_str(origin),
            None if (sid := pop("StreamId", None)) is None else _int64(sid),
            None if WEIGHT_KEYS.isdisjoint(attrs) else self.weights(attrs),
            attrs,
        )

    def tensors(self, raw: Any, index: int, key: str, layer: str = "") -> tuple[list[dict[str, Any]], list[str]]:
        """Tensors of one record as schema dicts, and their non-null names. A shape is a list of whole numbers
        within int64 (negative: a dynamic dimension); anything else is refused (:func:`_shape`)."""
        if type(raw) is not list:
            raise _bad(f"layer record {index}: '{key}' is {type(raw).__name__}, expected a list of tensors",
                       self.path)
        fmt_cache = self.fmt_cache
        if len(raw) == 1:  # most tensor lists: one named tensor of a known format, with all four keys
            t = raw[0]
            if type(t) is dict and len(t) == 4:
                try:
                    tname, fmt, dims, location = _TENSOR_KEYS(t)
                except KeyError:  # another key: the general path below
                    tname = None
                parsed = fmt_cache.get(fmt) if type(tname) is str and type(fmt) is str else None
                if parsed is not None:
                    # null: no shape, as when the key is absent; a list of ints within int64 is a shape (_shape)
                    if dims is not None and not (type(dims) is list and self.int64
                                                 and _INT_ONLY.issuperset(map(type, dims))):
                        dims = _shape(dims, layer, index, key, self.path)
                    return [{"name": tname, "shape": dims, "format": parsed[2],
                             "dtype": parsed[0], "layout": parsed[1], "location": location}], [tname]
        elif raw and (known := self._known(raw, index, key, layer)) is not None:
            return known
        out = []
        names = []
        for t in raw:
            if type(t) is not dict:
                raise _bad(f"layer record {index}: an entry of '{key}' is {type(t).__name__}, expected an "
                           "object", self.path)
            get = t.get
            tname = get("Name")
            if tname is not None:
                if type(tname) is not str:
                    raise _bad(f"layer record {index}: a tensor of '{key}' has a non-string Name", self.path)
                names.append(tname)
            fmt = get("Format/Datatype")
            parsed = fmt_cache.get(fmt) if type(fmt) is str else None
            if parsed is None:
                parsed = _tensor_format(t, fmt, fmt_cache, self.info)
            dims = get("Dimensions")
            if dims is not None:      # null: no shape, as when the key is absent
                dims = _shape(dims, layer, index, key, self.path)
            out.append({"name": tname, "shape": dims, "format": parsed[2],
                        "dtype": parsed[0], "layout": parsed[1], "location": get("Location")})
        return out, names

    def _known(self, raw: list[Any], index: int, key: str, layer: str
               ) -> tuple[list[dict[str, Any]], list[str]] | None:
        """:meth:`tensors` of several tensors that each hold the four keys, a str name and a format already
        seen (the fused Add's two inputs); None when one does not (the general path then reads them all)."""
        fmt_cache, int64 = self.fmt_cache, self.int64
        out = []
        names = []
        for t in raw:
            if type(t) is not dict or len(t) != 4:
                return None
            try:
                tname, fmt, dims, location = _TENSOR_KEYS(t)
            except KeyError:
                return None
            parsed = fmt_cache.get(fmt) if type(tname) is str and type(fmt) is str else None
            if parsed is None:
                return None
            if dims is not None and not (type(dims) is list and int64 and _INT_ONLY.issuperset(map(type, dims))):
                dims = _shape(dims, layer, index, key, self.path)  # the error the general path gives first
            out.append({"name": tname, "shape": dims, "format": parsed[2],
                        "dtype": parsed[0], "layout": parsed[1], "location": location})
            names.append(tname)
        return out, names

    def _sources(self, i: int, base: str, flags: _KindFlags, attrs: dict[str, Any]
                 ) -> tuple[list[str], str, str, bool]:
        """source_nodes, source_from, fusion, is a reformat (serves a layer)."""
        is_myelin = flags[0]
        serves = reformat_target_base(base) if base.startswith("Reformatting CopyNode for ") \
            or " reformatter " in base else None
        name_nodes: list[str]
        if serves is not None:
            attrs["serves"] = serves
            self.graph.reformat_rows.append(i)
            name_nodes, fusion = [], "none"
        elif flags[1]:
            name_nodes, fusion = [], "none"
        else:
            name_nodes, fusion = nodes_from_base(base)
        meta = attrs.get("Metadata")
        if meta is None:
            return name_nodes, ("name" if name_nodes else "none"), fusion, serves is not None
        self.info.has_metadata = True
        meta_nodes = source_nodes_from_metadata(meta)
        if meta_nodes:
            if is_myelin and fusion == "none" and len(meta_nodes) > 1:  # Myelin-fused region
                fusion = "foreign"
            return meta_nodes, "metadata", fusion, serves is not None
        return name_nodes, ("name" if name_nodes else "none"), fusion, serves is not None

    def weights(self, attrs: dict[str, Any]) -> int | None:
        """Summed bytes of a record's weight blobs (WEIGHT_KEYS, as formats.weight_bytes counts them), None when
        it has none (or too many for Int64)."""
        bits_of = self.bits
        wsum: int | None = None
        for key in WEIGHT_KEYS.intersection(attrs):  # any order: the sum is the same
            blob = attrs[key]
            if not isinstance(blob, dict):
                continue
            count, wtype = blob.get("Count"), blob.get("Type")
            if type(count) is not int or count < 0 or not isinstance(wtype, str):
                continue
            bits = bits_of[wtype] if wtype in bits_of else bits_of.setdefault(wtype, type_bits(wtype))
            if bits is not None:
                b = (count * bits + 7) // 8
                wsum = b if wsum is None else wsum + b
        return wsum if wsum is None or wsum <= _INT64_MAX else None


def _edges(cols: dict[str, list[Any]], graph: _Graph) -> tuple[list[list[int]], list[list[int]], bool]:
    """producers / consumers through tensor names, O(total tensors); whether an edge points backward.

    Producers come from the pass (``graph.producers``); the rows it could not settle are looked up again."""
    producer_of, consumers_of = graph.producer_of, graph.consumers_of
    c_inn, c_outn = cols["input_names"], cols["output_names"]
    c_prod = graph.producers
    backward = graph.backward
    for i in graph.recheck:
        ps = list(dict.fromkeys(producer_of[t] for t in c_inn[i] if t in producer_of))
        c_prod[i] = ps
        backward = backward or any(p >= i for p in ps)
    # A row writing one tensor takes that tensor's reader list itself (the graph is complete and nothing
    # appends to it any more): no copy of 51,600 lists. Rows writing several tensors, or none, get their own.
    get = consumers_of.get
    c_cons: list[list[int]] = [
        (get(out_n[0]) or []) if len(out_n) == 1
        else list(dict.fromkeys(j for t in out_n for j in get(t, ())))
        for out_n in c_outn]
    return c_prod, c_cons, backward


def _link_reformats(cols: dict[str, list[Any]], reformat_rows: list[int]) -> bool | None:
    """Reformats: index of the layer they serve (first layer with that base name). Returns whether the layer
    names are all distinct when that came for free (the base names are the names), else None."""
    if not reformat_rows:
        return None
    bases = cols["base_name"]
    first_index = dict(zip(reversed(bases), range(len(bases) - 1, -1, -1), strict=True))  # first row wins
    attributes = cols["attributes"]
    for i in reformat_rows:
        target_index = first_index.get(attributes[i]["serves"])
        if target_index is not None:
            attributes[i]["serves_index"] = target_index
    return len(first_index) == len(bases) if bases == cols["name"] else None


def _frame_notes(names: Sequence[str], graph: _Graph, detailed: bool, notes: list[str],
                 distinct: bool | None = None) -> None:
    _name_notes(names, notes, distinct)
    if graph.multi_produced:
        notes.append(
            f"{len(graph.multi_produced)} tensor(s) are written by more than one layer; edges use the first "
            f"writer: {', '.join(repr(t) for t in graph.multi_produced[:3])}"
        )
    if detailed and graph.missing_tensors:
        notes.append(f"{graph.missing_tensors} layer record(s) have neither Inputs nor Outputs")


def frame_from_layer_records(records: list[dict[str, Any]], *, detailed: bool = True) -> pd.DataFrame:
    """LAYERS frame from records in exportLayerInfo shape (``Name``, ``LayerType``, ``Inputs``, ...).

    Minimal records (``Name``, ``LayerType``, ``Inputs``, ``Outputs``, ``TacticValue``) are enough; missing
    keys give NA. ``detailed=False`` marks records known to lack detail: a missing ``LayerType`` is inferred
    from the name (``NAME_LAYER_TYPES``, else ``""``) and records without tensors are not noted.
    Structurally broken records raise :class:`TrtInspectError`.
    """
    frame, info = _build_frame(records, detailed=detailed)
    for note in info.notes:
        log.info("layer records: %s", note)
    return frame


def frame_from_names(names: Sequence[str]) -> pd.DataFrame:
    """LAYERS frame from layer names only (names-only layer JSON, or a profile table).

    Tensors are empty, precision/format/tactic NA, ``layer_type`` inferred only where the name makes it
    obvious (``NAME_LAYER_TYPES``), source nodes from the name, no edges (``producers``/``consumers`` empty).
    """
    frame, _ = _names_frame(names, path=None)
    return frame


def _names_frame(names: Sequence[Any], *, path: str | Path | None) -> tuple[pd.DataFrame, list[str]]:
    records = []
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise _bad(f"layer {i} is {type(name).__name__}, expected a name string", path)
        records.append({"Name": name})
    frame, info = _build_frame(records, detailed=False, path=path, own=True)
    return frame, info.notes


# ---- Files -----------------------------------------------------------------------------------------------


def _describe_wrong_kind(obj: Any) -> str:
    """What a decoded JSON document looks like, when it is not layer information."""
    if isinstance(obj, list):
        first = obj[0] if obj else None
        if isinstance(first, dict):
            keys = set(first)
            if keys == {"count"} or ("count" in keys and len(keys) == 1):
                return "a trtexec --exportProfile JSON (per-layer timings), not layer information"
            if keys & {"averageMs", "timeMs", "percentage"}:
                return "a trtexec --exportProfile JSON (per-layer timings), not layer information"
            if keys & {"startComputeMs", "computeMs", "latencyMs", "enqStartMs", "startInMs", "endToEndMs"}:
                return "a trtexec --exportTimes JSON (per-iteration timings), not layer information"
            if keys & {"ComputeCapability", "TotalMemory"}:
                return "a TREx device metadata JSON (*.engine.metadata.json), not layer information"
            if "Name" in keys and ("LayerType" in keys or "Inputs" in keys):
                return "a bare list of layer records without the {\"Layers\": [...]} wrapper"
        if not obj:
            return "an empty JSON list, not layer information"
        return f"a JSON list of {type(first).__name__}, not layer information"
    if isinstance(obj, dict):
        top = sorted(str(k) for k in obj)
        if {"performance_summary", "device_information"} & set(top):
            return "a TREx profiling metadata JSON, not layer information"
        if {"trt_version", "model_name", "device_properties", "build_options"} & set(top):
            return "a TREx/trtexec metadata JSON, not layer information"
        shown = ", ".join(repr(k) for k in top[:6]) + (" ..." if len(top) > 6 else "")
        return f"a JSON object without a \"Layers\" list (keys: {shown or 'none'})"
    return f"a JSON {type(obj).__name__}, not layer information"


def _path_str(path: str | Path | None) -> str | None:
    return str(path) if path is not None else None


def parse_layer_info_obj(obj: Any, *, path: str | Path | None = None) -> tuple[LayerInfoMeta, pd.DataFrame]:
    """Parse already-decoded layer-information JSON (detailed or names-only). ``obj`` is not modified."""
    return _parse_obj(obj, path=path, own=False)


def _parse_obj(obj: Any, *, path: str | Path | None, own: bool, int64: bool = False
               ) -> tuple[LayerInfoMeta, pd.DataFrame]:
    if isinstance(obj, list) and obj and all(isinstance(r, dict) and "Name" in r for r in obj[:3]) \
            and "LayerType" in obj[0]:
        raise _bad(_describe_wrong_kind(obj), path)
    if not isinstance(obj, dict) or not isinstance(obj.get("Layers"), list):
        raise _bad(f"this is {_describe_wrong_kind(obj)}", path)
    layers: list[Any] = obj["Layers"]
    raw_bindings = obj.get("Bindings")
    notes: list[str] = []
    bindings: list[str] | None = None
    if isinstance(raw_bindings, list) and all(isinstance(b, str) for b in raw_bindings):
        bindings = list(raw_bindings)
    elif raw_bindings is not None:
        notes.append("'Bindings' is not a list of names; ignored")
    else:
        notes.append("no 'Bindings' list (older TensorRT): engine inputs are the tensors no layer writes")
    extra = sorted(k for k in obj if k not in ("Layers", "Bindings"))
    if extra:
        notes.append(f"unrecognised top-level keys kept out of the frame: {', '.join(extra[:6])}")
    if not layers:
        notes.append("the file lists no layers")
        meta = LayerInfoMeta(_path_str(path), True, 0, bindings, False, None, notes)
        return meta, schema.empty_frame(schema.LAYERS)
    types = set(map(type, layers))  # one C-level pass: what kinds of entries the list holds
    if all(issubclass(t, str) for t in types):
        frame, name_notes = _names_frame(layers, path=path)
        notes.append("names-only layer information (engine built without --profilingVerbosity=detailed): "
                     "no tensors, formats, precisions or edges")
        notes.extend(name_notes)
        meta = LayerInfoMeta(_path_str(path), False, len(frame), bindings, False, None, notes)
        return meta, frame
    if any(issubclass(t, str) for t in types):
        raise _bad("'Layers' mixes name strings and layer records", path)
    frame, info = _build_frame(layers, detailed=True, path=path, own=own, int64=int64)
    notes.extend(info.notes)
    if info.graph is not None:  # the same notes as graph_checks.graph_notes(frame, bindings), from the pass
        g = info.graph
        notes.extend(parsed_graph_notes(info.names, info.producers, g.loops, info.backward, g.consumers_of,
                                        g.producer_of, bindings))
    else:
        notes.extend(graph_notes(frame, bindings))
    if info.plain_formats or info.has_metadata or info.myelin_records:
        generation: str | None = "10.x"
    elif info.descriptive_formats:
        generation = "8.x"
    else:
        generation = None
    meta = LayerInfoMeta(_path_str(path), True, len(frame), bindings,
                         info.has_metadata, generation, notes)
    return meta, frame


def parse_layer_info(source: str | Path) -> tuple[LayerInfoMeta, pd.DataFrame]:
    """Read and parse a layer-information JSON file (``trtexec --exportLayerInfo=FILE``)."""
    data = without_bom(read_bytes(source, what=WHAT))
    head = data[:4096].lstrip()
    if not looks_binary(data):
        if _LOG_LINE_RE.search(head):
            raise TrtInspectError(f"this is a trtexec log, not {WHAT}", path=source, hint=EXPORT_HINT)
        if head[:1] not in (b"{", b"[", b'"'):
            raise TrtInspectError(f"this is a text file, not {WHAT}", path=source, hint=EXPORT_HINT)
    with gc_paused():
        obj, int64 = decode_json_int64(data, path=source, what=WHAT, hint=EXPORT_HINT)
        del data
        # The decoded document is ours: its record dicts become the `attributes` cells without a copy.
        return _parse_obj(obj, path=source, own=True, int64=int64)

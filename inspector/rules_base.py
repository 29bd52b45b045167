"""What every lint rule reads (a :class:`LintContext`, built once per bundle) and returns (:class:`Finding`).

The context turns the bundle's frames into plain per-row lists (fast to walk for 50,000 layers) and offers
the graph walks the rules share: neighbours through tensor edges when the graph JSON has them, else through
the execution order (then every conclusion drawn from it is only ``inferred``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate, chain, compress
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trtinspect.inspector import precision as prec
from trtinspect.inspector.rules_columns import (
    NOOP_TYPES,
    _by_codes,
    _codes,
    _conv_by_types,
    _epilogue_by_types,
    _objects,
    _qdq_by_types,
    _shape_by_types,
    _shared_str_list,
    _str_list,
)
from trtinspect.parsers import run_settings
from trtinspect.parsers.device import peak_memory_bandwidth
from trtinspect.parsers.formats import stored_elements
from trtinspect.parsers.layers import row_lists as _parsed_lists
from trtinspect.parsers.timing import FROM_TIMES

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

def layer_op_kinds(bundle: EngineBundle) -> list[list[str]]:
    """Op kind of every source node of every layer (a layer without source nodes: its name, unless it is
    a reformat copy node), in the layers' row order. Computed once per bundle (:meth:`EngineBundle.derived`)
    and shared by every LintContext of it; do not modify the lists."""
    return bundle.derived("op_kinds", _bundle_op_kinds)


def _bundle_op_kinds(bundle: EngineBundle) -> list[list[str]]:
    layers = bundle.layers
    if not len(layers):
        return []
    nodes = [x if isinstance(x, list) else list(x) if isinstance(x, tuple) else []
             for x in layers["source_nodes"].tolist()]
    return _node_kinds(_str_list(layers["name"]), nodes)


def _node_kinds(names: list[str], source_nodes: list[list[str]]) -> list[list[str]]:
    """Op kinds per layer: its source nodes', else its name's (none for a reformat copy node), all nodes of
    all layers classified in one :func:`precision.op_kinds` pass."""
    todo = [
        nodes if nodes else [] if name.startswith("Reformatting CopyNode") else [name]
        for name, nodes in zip(names, source_nodes, strict=True)
    ]
    kinds = prec.op_kinds(list(chain.from_iterable(todo)))
    ends = list(accumulate(map(len, todo)))
    return [kinds[a:b] for a, b in zip([0, *ends], ends, strict=False)]  # starts: one more than ends


@dataclass(slots=True)  # tens of thousands on large engines: compact, quick to read
class Finding:
    """One result of one rule. ``rows`` are context row positions (mapped to layer_index by the engine).

    Cost: ``saving`` maps rows to the ms per iteration a fix could save on that layer (the engine sums it,
    each layer once); ``None`` = the rows' own time. ``cost_kind`` / ``cost_method`` (``None``: the rule's)
    say what the number is ("estimated saving", "layer time" = an upper bound, "not estimated") and how it
    was computed. ``cost_ms`` set to NaN means no cost at all (e.g. a log line about the whole run).

    Root causes: findings of one rule with the same ``group`` key become one finding listing every layer
    (``group_title`` / ``group_cause`` / ``group_mitigation``; ``{n}`` in them is the member count), and a
    finding with ``supersedes`` absorbs the findings of those rules whose layers it covers.
    """

    rule_id: str
    rows: list[int]
    title: str
    cause: str
    evidence: dict[str, Any] = field(default_factory=dict)
    confidence: str = "proven"
    severity: str | None = None  # None: the rule's default severity
    cost_ms: float | None = None  # NaN: no cost (engine-wide, from a log line); else derived from ``saving``
    mitigation: str | None = None  # None: the rule's mitigation text
    saving: dict[int, float] | None = None  # row -> ms a fix could save there; None: the rows' avg_ms
    cost_kind: str | None = None
    cost_method: str | None = None
    group: str | None = None
    group_title: str | None = None
    group_cause: str | None = None
    group_mitigation: str | None = None
    group_always: bool = False  # use the group's title/cause even for a group of one
    escalate: bool = True  # may become an error when its estimated saving is large (lint.ERROR_SAVING_SHARE)
    supersedes: tuple[str, ...] = ()


class LintContext:
    """Per-row views of one bundle, plus the neighbour walks rules share. Build once, read by every rule."""

    def __init__(self, bundle: EngineBundle, *, detail: bool = True) -> None:
        self.bundle, self.detail = bundle, detail  # detail False: rules may leave cause/evidence empty
        # Set by the lint engine as it runs the rules: the ids run so far and whether one of them found a root
        # cause (a finding with ``supersedes``); None when a rule is called on its own (rules_facts.Sink).
        self.rules_run: list[str] | None = None
        self.roots_found = False
        # Set by the lint engine: whether a finding keeps the findings it absorbs whole (cause, evidence) or as
        # references (rule, layers, title, cost: lint.ABSORBED_MODES); rules need not build what a reference drops.
        self.full_members = True
        # Set by the lint engine: the ids of the rules it runs, and whether they run in the order of
        # rules.RULES (then a root cause may know which roots come before it: rules_fallback_sink).
        self.rules_chosen: list[str] | None = None
        self.in_rule_order = False
        layers = bundle.layers
        self.n = len(layers)
        self.has_profile = bundle.has_profile and self.n > 0
        frame = bundle.layer_times() if self.has_profile else layers
        self._frame = frame  # the columns below that not every rule reads are converted when first read
        li = frame["layer_index"]
        self.layer_index: list[int] = li.tolist() if li.dtype == "int64" else [int(x) for x in li.tolist()]
        # the usual case: layer_index is the row position
        self.index_is_row = bool((li.to_numpy() == np.arange(self.n)).all()) if li.dtype == "int64" else (
            self.layer_index == list(range(self.n)))
        # The lists the parser built the layers from, when it did (the same cells, row for row: both frames
        # number their rows by layer_index), instead of converting the columns back into lists.
        self._lists = _parsed_lists(layers) if self.index_is_row and len(layers) == self.n else None
        # Whether ``inputs`` / ``outputs`` hold tensors as the graph parser makes them (parsers.layers: every
        # key present, a shape None or a list of ints, dtype / layout / name str or None): fast paths rely on it.
        self.parsed_tensors = self._lists is not None
        self.names: list[str] = self._lists["name"] if self._lists else _str_list(frame["name"])
        self.layer_type: list[str] = _shared_str_list(frame["layer_type"])
        self.parameter_type: list[str] = _shared_str_list(frame["parameter_type"])
        if self.has_profile:
            self.avg_ms = frame["avg_ms"].to_numpy(dtype="float64", na_value=math.nan).tolist()
        else:
            self.avg_ms = [math.nan] * self.n
        if self._lists:  # lists of rows (layer_index is the row position in the parser's frames)
            self.producers: list[list[int]] = self._lists["producers"]
            self.consumers: list[list[int]] = self._lists["consumers"]
            self._edges_and_totals(bundle)
            return
        prods = frame["producers"].tolist()
        conss = frame["consumers"].tolist()
        if self.index_is_row:  # lists of rows already, unless some cell is not a list (checked at C speed)
            self.producers = prods if set(map(type, prods)) <= {list} else [
                p if isinstance(p, list) else self._rows(p) for p in prods]
            self.consumers = conss if set(map(type, conss)) <= {list} else [
                c if isinstance(c, list) else self._rows(c) for c in conss]
        else:
            self.producers = [self._rows(p) for p in prods]
            self.consumers = [self._rows(c) for c in conss]
        self._edges_and_totals(bundle)

    def _edges_and_totals(self, bundle: EngineBundle) -> None:
        # Edges are real only when the layers came from a detailed graph that named tensors.
        self.has_edges = bool(bundle.detailed) and (any(self.producers) or any(self.consumers))
        self.detailed = bool(bundle.detailed)
        self.per_layer_total_ms = self._per_layer_total()
        self.cost_basis, self.total_ms = self._cost_basis()
        self.end_to_end_ms, self.end_to_end_source = self._end_to_end()

    # ------------------------------------------------------------------ per-row columns read when first used
    @cached_property
    def tactic(self) -> list[str]:
        return _shared_str_list(self._frame["tactic_name"])

    @cached_property
    def precision(self) -> list[str]:
        return _str_list(self._frame["precision"])

    @cached_property
    def output_precision(self) -> list[str]:
        return _str_list(self._frame["output_precision"])

    @cached_property
    def input_format(self) -> list[str]:
        return _str_list(self._frame["input_format"])

    @cached_property
    def output_format(self) -> list[str]:
        return _str_list(self._frame["output_format"])

    @cached_property
    def origin(self) -> list[str]:
        return _shared_str_list(self._frame["origin"])

    @cached_property
    def fusion(self) -> list[str]:
        return _str_list(self._frame["fusion"])

    @cached_property
    def is_reformat_col(self) -> list[bool]:
        return self._frame["is_reformat"].fillna(False).astype(bool).tolist()

    @cached_property
    def source_nodes(self) -> list[list[str]]:
        if self._lists:
            return self._lists["source_nodes"]
        values = self._frame["source_nodes"].tolist()
        if set(map(type, values)) <= {list}:
            return values
        return [x if isinstance(x, list) else list(x) if isinstance(x, tuple) else [] for x in values]

    @cached_property
    def inputs(self) -> list[list[dict[str, Any]]]:
        return self._lists["inputs"] if self._lists else _objects(self._frame["inputs"], list, list)

    @cached_property
    def outputs(self) -> list[list[dict[str, Any]]]:
        return self._lists["outputs"] if self._lists else _objects(self._frame["outputs"], list, list)

    @cached_property
    def attributes(self) -> list[dict[str, Any]]:
        return self._lists["attributes"] if self._lists else _objects(self._frame["attributes"], dict, dict)

    @cached_property
    def median_ms(self) -> list[float]:
        if not self.has_profile:
            return [math.nan] * self.n
        return self._frame["median_ms"].to_numpy(dtype="float64", na_value=math.nan).tolist()

    @cached_property
    def avg_array(self) -> np.ndarray:
        """``avg_ms`` as a float64 array (NaN: untimed), for column-wise tests."""
        return np.array(self.avg_ms, dtype=np.float64)

    @cached_property
    def median_array(self) -> np.ndarray:
        return np.array(self.median_ms, dtype=np.float64)

    @cached_property
    def weights_bytes(self) -> list[float]:
        frame = self._frame
        wb = frame["weights_bytes"] if "weights_bytes" in frame else pd.Series([math.nan] * self.n)
        values: list[float] = wb.to_numpy(dtype="float64", na_value=math.nan).tolist()
        return values

    @cached_property
    def row_of(self) -> dict[int, int]:
        return {li: r for r, li in enumerate(self.layer_index)}

    def _rows(self, value: Any) -> list[int]:
        if not isinstance(value, (list, tuple)):
            return []
        rows = []
        for li in value:
            r = self.row_of.get(int(li))
            if r is not None:
                rows.append(r)
        return rows

    def _per_layer_total(self) -> float:
        """The bundle's per-layer total (:attr:`EngineBundle.layer_total`, ms per iteration): the figure
        report, diff and check show, read here rather than recomputed."""
        return self.bundle.layer_total.ms if self.has_profile else math.nan

    def _cost_basis(self) -> tuple[str, float]:
        """The ONE denominator of cost_pct: the bundle's per-layer total and its basis.

        Costs are per-layer profiled times (or estimates made from them), so they are divided by the same
        measurement: any set of layers is at most 100%. End-to-end GPU compute time is a different run
        (per-layer profiling adds 20-35% overhead) and is only reported beside it (:meth:`_end_to_end`).
        """
        total = self.bundle.layer_total
        if self.per_layer_total_ms > 0:
            summed = total.total_time_ms is None and total.ms == total.rows_avg_ms
            return ("summed per-layer profiled time" if summed else f"per-layer total ({total.basis})",
                    self.per_layer_total_ms)
        return "unknown", math.nan

    def _end_to_end(self) -> tuple[float, str]:
        """End-to-end GPU compute time per iteration and where it came from (NaN, "" when unknown): the
        bundle's one timing summary (:attr:`EngineBundle.timing`, shared by every command), shown beside the
        per-layer denominator, never mixed into it."""
        timing = self.bundle.timing
        gpu = timing.gpu_compute
        if gpu.mean is not None and gpu.mean > 0:
            window = timing.window
            if gpu.source != FROM_TIMES:
                where = "trtexec GPU Compute Time (mean)"
            elif window is not None and window.warmup_ms is None:  # not trtexec's times: report's window says how
                where = f"mean GPU compute time of the measured iterations ({window.warmup_source})"
            else:
                where = "mean GPU compute time of the measured iterations (after the warm-up, as trtexec)"
            return gpu.mean, where
        return math.nan, ""

    @cached_property
    def cuda_graphs(self) -> bool | None:
        """Whether the timed run used CUDA graphs: True / False when the inputs say so, None when unknown (one
        reader for every command: :func:`trtinspect.parsers.run_settings.cuda_graph`, which knows TensorRT 11's
        default)."""
        return run_settings.cuda_graph(self.bundle)

    # ------------------------------------------------------------------ per-row classification (cached)
    @cached_property
    def input_readers(self) -> list[int]:
        """Rows reading a network input: a tensor no layer writes (through tensor edges); without edges, the
        first row in execution order."""
        if not self.has_edges:
            return [0] if self.n else []
        # The edges come from the tensor names: each producer of a row writes at least one tensor the row
        # reads, so a row reading a tensor no layer writes has fewer producers than inputs, and a tensor it
        # reads that no producer of it writes is written by no layer. Only those rows are looked at.
        outputs, producers, inputs = self.outputs, self.producers, self.inputs
        fewer = np.fromiter(map(len, producers), dtype=np.intp, count=self.n) < self.n_inputs
        return [r for r in np.flatnonzero(fewer).tolist()
                if self._reads_unwritten(inputs[r], [t for p in producers[r] for t in outputs[p]])]

    def iter_input_readers(self) -> Iterator[int]:
        """:attr:`input_readers` one at a time, in order, for a walk that may stop after the first few: rows
        are looked at only until the walk stops (:attr:`input_readers` when it was already built)."""
        if "input_readers" in self.__dict__ or not self.has_edges:
            yield from self.input_readers
            return
        outputs, producers, inputs = self.outputs, self.producers, self.inputs
        for r, (n_prods, n_ins) in enumerate(zip(map(len, producers), map(len, inputs), strict=True)):
            if n_prods < n_ins and self._reads_unwritten(inputs[r], [t for p in producers[r] for t in outputs[p]]):
                yield r

    @cached_property
    def n_inputs(self) -> np.ndarray:
        """Number of input tensors of each row (an intp array)."""
        return np.fromiter(map(len, self.inputs), dtype=np.intp, count=self.n)

    def _reads_unwritten(self, ins: list[dict[str, Any]], written_by_producers: list[dict[str, Any]]) -> bool:
        """Whether one of the tensors ``ins`` is written by no layer (``written_by_producers``: the
        outputs of the row's producers)."""
        mine = {t.get("name") for t in written_by_producers}
        for t in ins:
            name = t.get("name")
            if name in mine:
                continue
            if name is not None or not self._unnamed_output:
                return True
        return False

    @cached_property
    def _unnamed_output(self) -> bool:
        """Whether some layer writes a tensor without a name (it counts as written for unnamed inputs)."""
        return any(t.get("name") is None for outs in self.outputs for t in outs)

    @cached_property
    def node_kinds(self) -> list[list[str]]:
        """Op kind of every source node of every layer (see :func:`precision.op_kind`), once per bundle."""
        kinds = layer_op_kinds(self.bundle)
        if len(kinds) == self.n:  # the joined frame keeps the layers' rows in order
            return kinds
        return _node_kinds(self.names, self.source_nodes)

    def kinds_of(self, r: int) -> list[str]:
        """``node_kinds[r]``; without building ``node_kinds`` for every row when only some rows need it
        (most layers' roles are decided by their types). Do not modify the list."""
        if "node_kinds" in self.__dict__:
            return self.node_kinds[r]
        got = self._row_kinds.get(r)
        if got is None:
            self.prefetch_kinds([r])
            got = self._row_kinds[r]
        return got

    def prefetch_kinds(self, rows: Sequence[int]) -> None:
        """Compute :meth:`kinds_of` of many rows in one pass (:func:`precision.op_kinds`)."""
        memo = self._row_kinds
        todo = [r for r in dict.fromkeys(rows) if r not in memo]
        if todo and "node_kinds" not in self.__dict__:
            names, nodes = self.names, self.source_nodes
            memo.update(zip(todo, _node_kinds([names[r] for r in todo], [nodes[r] for r in todo]), strict=True))

    @cached_property
    def _row_kinds(self) -> dict[int, list[str]]:
        return {}

    def compute_kinds(self, r: int) -> list[str]:
        """Op kinds of a layer's nodes that do work (constants and Q/DQ nodes dropped), in name order."""
        if self.names[r].startswith("PWN("):
            return [k if k in prec.EPILOGUE_KINDS else "act" for k in self.kinds_of(r) if k != "const"]
        return [k for k in self.kinds_of(r) if k not in ("const", "qdq")]

    # Each classification below is decided once per distinct combination of the type columns it reads
    # (a handful on any engine); only rows whose types leave it open read their names or node kinds.
    def _coded(self, column: str) -> tuple[np.ndarray, list[str]]:
        """:func:`_codes` of one of the per-row str columns (``layer_type``, ``origin``...), once."""
        got = self._column_codes.get(column)
        if got is None:
            got = self._column_codes[column] = _codes(getattr(self, column))
        return got

    @cached_property
    def _column_codes(self) -> dict[str, tuple[np.ndarray, list[str]]]:
        return {}

    @cached_property
    def _noop(self) -> list[bool]:
        return [t in NOOP_TYPES for t in self.layer_type]

    @cached_property
    def _reformat_named(self) -> list[bool]:
        """Rows whose name is a reformat's (:func:`precision.is_reformat_name`)."""
        out = [False] * self.n
        for r in prec.reformat_name_rows(self.names):
            out[r] = True
        return out

    @cached_property
    def _qdq(self) -> list[bool]:
        out, todo = _by_codes(_qdq_by_types, [self._coded("origin"), self._coded("layer_type"),
                                                      self._coded("parameter_type")])
        named = self._reformat_named
        todo = [r for r in todo if not named[r]]  # a reformat's name: not a Q/DQ layer (False)
        self.prefetch_kinds(todo)
        for r in todo:  # no Origin, no type that decides it: only Q/DQ nodes in its name?
            kinds = [k for k in self.kinds_of(r) if k != "const"]
            out[r] = bool(kinds) and all(k == "qdq" for k in kinds)
        return out

    @cached_property
    def _reformat(self) -> list[bool]:
        return [
            (a or b) and not q
            for a, b, q in zip(self.is_reformat_col, self._reformat_named, self._qdq, strict=True)
        ]

    @cached_property
    def _passthrough(self) -> list[bool]:
        return [a or b or c for a, b, c in zip(self._reformat, self._qdq, self._noop, strict=True)]

    @cached_property
    def _conv(self) -> list[bool]:
        out, todo = _by_codes(_conv_by_types, [self._coded("parameter_type"), self._coded("layer_type")])
        self.prefetch_kinds(todo)
        for r in todo:  # no type at all: read from the node kinds
            kinds = self.compute_kinds(r)
            out[r] = bool(kinds) and any(k in prec.COMPUTE_KINDS for k in kinds)
        return out

    @cached_property
    def conv_rows(self) -> list[int]:
        """Rows of convolution-like layers (:meth:`is_conv`), in order."""
        return list(compress(range(self.n), self._conv))

    @cached_property
    def _shape_only(self) -> list[bool]:
        out, todo = _by_codes(_shape_by_types, [self._coded("parameter_type"), self._coded("layer_type")])
        self.prefetch_kinds(todo)
        for r in todo:
            kinds = [k for k in self.kinds_of(r) if k != "const"]
            out[r] = bool(kinds) and all(k == "shape" for k in kinds)
        return out

    def is_noop(self, r: int) -> bool:
        """A layer that launches nothing (NoOp, Constant, ... layer types)."""
        return self._noop[r]

    def is_qdq(self, r: int) -> bool:
        """A Quantize/Dequantize layer (Origin QDQ, Q/DQ layer type, or only Q/DQ nodes in its name)."""
        return self._qdq[r]

    def is_reformat(self, r: int) -> bool:
        """A reformat/copy layer that is not a Q/DQ layer."""
        return self._reformat[r]

    def is_passthrough(self, r: int) -> bool:
        """Layers a producer->consumer walk looks through: reformats, Q/DQ layers and no-ops."""
        return self._passthrough[r]

    def is_conv(self, r: int) -> bool:
        """Convolution / deconvolution / fully-connected / GEMM engine layer."""
        return self._conv[r]

    def is_epilogue_only(self, r: int) -> bool:
        """A layer doing only work TensorRT normally fuses into a convolution (add, activation, BN, scale)."""
        return self._epilogue_only[r]

    @cached_property
    def _epilogue_only(self) -> list[bool]:
        by_type, todo = _by_codes(_epilogue_by_types, [self._coded("parameter_type"), self._coded("layer_type")])
        passthrough, conv = self._passthrough, self._conv
        out = [e and not p and not c for e, p, c in zip(by_type, passthrough, conv, strict=True)]
        todo = [r for r in todo if not passthrough[r] and not conv[r]]
        self.prefetch_kinds(todo)
        for r in todo:  # no type that decides it: read from the node kinds
            kinds = self.compute_kinds(r)
            out[r] = bool(kinds) and all(k in prec.EPILOGUE_KINDS for k in kinds)
        return out

    @cached_property
    def epilogue_rows(self) -> list[int]:
        """Rows of layers doing only epilogue work (:meth:`is_epilogue_only`), in order."""
        return list(compress(range(self.n), self._epilogue_only))

    def is_shape_only(self, r: int) -> bool:
        return self._shape_only[r]

    def channels(self, r: int) -> tuple[int | None, int | None, int]:
        """(input channels C, output channels K, groups) of a convolution-like layer, None when unknown."""
        got = self._channels.get(r)
        if got is None:
            got = self._channels[r] = self._read_channels(r)
        return got

    @cached_property
    def _channels(self) -> dict[int, tuple[int | None, int | None, int]]:
        return {}  # row -> channels(row): several rules ask for the same convolutions

    def _read_channels(self, r: int) -> tuple[int | None, int | None, int]:
        return channels_of(self.attributes[r], self.inputs[r], self.outputs[r])

    def prefetch_channels(self, rows: Iterable[int]) -> None:
        """:meth:`channels` of many rows in one pass."""
        memo, attrs, ins, outs = self._channels, self.attributes, self.inputs, self.outputs
        for r in rows:
            if r not in memo:
                memo[r] = channels_of(attrs[r], ins[r], outs[r])

    # ------------------------------------------------------------------ neighbour walks
    def next_compute(self, r: int, *, downstream: bool, max_hops: int = 4) -> list[tuple[int, list[int]]]:
        """Nearest non-passthrough layers after (or before) ``r``: ``[(row, passthrough rows between)]``.

        Through tensor edges when the bundle has them, else through execution order (one neighbour).
        """
        if self.has_edges:
            step = self.consumers if downstream else self.producers
            first = step[r]
            passthrough = self._passthrough
            if len(first) == 1:  # the most common case: one direct neighbour
                x = first[0]
                if not passthrough[x]:
                    return [] if x == r else [(x, [])]
            elif not any(passthrough[x] for x in first):  # direct compute neighbours
                return [(x, []) for x in dict.fromkeys(first) if x != r]
            return _walk(step, passthrough, r, max_hops)
        seq: list[int] = []
        x = r + (1 if downstream else -1)
        passthrough = self._passthrough
        while 0 <= x < self.n and len(seq) <= max_hops:
            if passthrough[x]:
                seq.append(x)
                x += 1 if downstream else -1
                continue
            return [(x, seq if downstream else seq[::-1])]
        return []

    def time_of(self, rows: Iterable[int]) -> float:
        """Sum of avg_ms over rows; NaN when there is no profile or any row is untimed."""
        total = 0.0
        for r in rows:
            t = self.avg_ms[r]
            if math.isnan(t):
                return math.nan
            total += t
        return total

    def int8_write_saving(self, r: int) -> float:
        """Estimated ms saved if INT8 layer ``r`` wrote INT8 (and read its residual inputs in INT8) instead
        of float: the bytes that no longer move (a float output or float non-first input at 1 byte per element)
        at the GPU's peak memory bandwidth, never more than the layer's time (:meth:`bytes_saving_ms`). An
        estimate from bytes, not a measurement: a compute-bound kernel or a tensor that stays in L2 saves less
        (docs/lint.md, "Costs against a real fix"). NaN when shapes, the time or the bandwidth are unknown.
        Computed once per row (three rules ask for the same convolutions)."""
        got = self._int8_saving.get(r)
        if got is None:
            got = self._int8_saving[r] = self._int8_write_saving(r)
        return got

    @cached_property
    def _int8_saving(self) -> dict[int, float]:
        return {}

    def _int8_write_saving(self, r: int) -> float:
        t = self.avg_ms[r]
        if math.isnan(t):
            return math.nan
        before = after = 0.0
        for i, tensor in enumerate(self.inputs[r]):
            b = tensor_bytes(tensor)
            if b is None:
                return math.nan
            before += b
            after += (tensor_bytes(tensor, "INT8") or b) if i > 0 and prec.is_float(tensor.get("dtype")) else b
        for tensor in self.outputs[r]:
            b = tensor_bytes(tensor)
            if b is None:
                return math.nan
            before += b
            after += (tensor_bytes(tensor, "INT8") or b) if prec.is_float(tensor.get("dtype")) else b
        w = self.weights_bytes[r]
        if not math.isnan(w):
            before += w
            after += w
        return self.bytes_saving_ms(before - after, t) if before > 0 else math.nan

    @cached_property
    def memory_bandwidth(self) -> tuple[float, str] | None:
        """The GPU's peak DRAM bandwidth (bytes/s, how it was found) from the bundle's device; None: unknown."""
        return peak_memory_bandwidth(self.bundle.device or {})

    def bytes_saving_ms(self, saved_bytes: float, layer_ms: float) -> float:
        """The ms ``saved_bytes`` take at the GPU's peak memory bandwidth, at most ``layer_ms`` (a layer cannot
        save more than its own time); NaN when the bandwidth or the time is unknown."""
        bw = self.memory_bandwidth
        if bw is None or math.isnan(layer_ms):
            return math.nan
        return min(saved_bytes / bw[0] * 1e3, layer_ms)

    def tensor_desc(self, t: dict[str, Any]) -> str:
        return f"{t.get('dtype') or '?'!s}/{t.get('layout') or '?'!s}"

    # ---- precision-rule caches (lintprec)
    @cached_property
    def rule_cache(self) -> dict[str, Any]:
        """What several precision/cause rules derive from the same rows (INT8 layers writing float, the
        layers between INT8 layers, ...), built once per context by the first rule that asks; keyed by what
        it is (see :func:`rules_precision.shared`). Do not modify what it holds."""
        return {}


def _walk(step: list[list[int]], passthrough: list[bool], r: int, max_hops: int) -> list[tuple[int, list[int]]]:
    """:meth:`LintContext.next_compute` through tensor edges: breadth first from ``r`` through passthrough
    layers, ``max_hops`` + 1 levels at most. A chain of single neighbours is followed without the level lists
    until it branches."""
    seen = {r}
    path: list[int] = []
    nxt = step[r]
    hops = 0
    while len(nxt) == 1 and hops <= max_hops:  # one layer on this level
        x = nxt[0]
        if x in seen:
            return []
        seen.add(x)
        if not passthrough[x]:
            return [(x, path)]
        nxt = step[x]
        path = [*path, x]
        hops += 1
    out: list[tuple[int, list[int]]] = []
    frontier = [(x, [*path]) for x in nxt]  # a list of its own for each, as the levels below
    while frontier and hops <= max_hops:
        level: list[tuple[int, list[int]]] = []
        for x, at in frontier:
            if x in seen:
                continue
            seen.add(x)
            if passthrough[x]:
                level.extend((y, [*at, x]) for y in step[x])
            else:
                out.append((x, at))
        frontier = level
        hops += 1
    return out


def channels_of(
    attrs: dict[str, Any], ins: list[dict[str, Any]], outs: list[dict[str, Any]]
) -> tuple[int | None, int | None, int]:
    """(C, K, groups) from a layer's attributes and tensors (:meth:`LintContext.channels`)."""
    groups = attrs.get("Groups")
    g = groups if isinstance(groups, int) and groups > 0 else 1
    c = k = None
    if ins and isinstance(ins[0].get("shape"), list) and len(ins[0]["shape"]) >= 2:
        dim = ins[0]["shape"][1]
        c = dim if isinstance(dim, int) and dim > 0 else None
    out_maps = attrs.get("OutMaps")
    if isinstance(out_maps, int) and out_maps > 0:
        k = out_maps
    elif outs and isinstance(outs[0].get("shape"), list) and len(outs[0]["shape"]) >= 2:
        dim = outs[0]["shape"][1]
        k = dim if isinstance(dim, int) and dim > 0 else None
    return c, k, g


CheckFn = Callable[[LintContext], list[Finding]]

DTYPE_BYTES = {"FP32": 4, "TF32": 4, "INT32": 4, "FP16": 2, "BF16": 2, "INT8": 1, "FP8": 1, "UINT8": 1, "BOOL": 1}


MAX_ELEMENTS = 2**62  # elements: beyond any real tensor (a hostile file); sizes beyond it are unknown


def tensor_bytes(tensor: dict[str, Any], dtype: str | None = None) -> float | None:
    """Bytes of a tensor record as TensorRT stores it (elements in its layout, the channels of a vectorised
    format padded to its vector width: :func:`~trtinspect.parsers.formats.stored_elements`, x element size of
    ``dtype``, default its own); None when unknown."""
    shape = tensor.get("shape")
    size = DTYPE_BYTES.get(str(dtype or tensor.get("dtype") or ""))
    if not isinstance(shape, list) or not shape or size is None:
        return None
    n = 1
    for d in shape:
        if not isinstance(d, int) or d < 0:
            return None
        n *= d
    return float(stored_elements(shape, n, tensor.get("layout")) * size) if n <= MAX_ELEMENTS else None


def names_of(ctx: LintContext, rows: Sequence[int]) -> list[str]:
    return [ctx.names[r] for r in rows]


def short(name: str, width: int = 70) -> str:
    """A layer name cut for titles (the full names are in ``layer_names``)."""
    return name if len(name) <= width else name[: width - 3] + "..."


def distinct_layers(rows: list[int], names: Sequence[str]) -> tuple[list[int], list[str]]:
    """A finding's rows without repeats (first occurrence kept) and their layer names: the reference that
    lint's absorb step and the fallback Sink both write, so both give the same one."""
    if len(rows) == 1:
        return rows, [names[rows[0]]]
    rows = list(dict.fromkeys(rows))
    return rows, [names[r] for r in rows]

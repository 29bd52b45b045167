"""What every lint rule reads (a :class:`LintContext`, built once per bundle) and returns (:class:`Finding`).

The context turns the bundle's frames into plain per-row lists (fast to walk for 50,000 layers) and offers
the graph walks the rules share: neighbours through tensor edges when the graph JSON has them, else through
the execution order (then every conclusion drawn from it is only ``inferred``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from trtinspect.inspector import precision as prec
from trtinspect.parsers.timing import FROM_TIMES

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

# Layer types that launch nothing (TensorRT elides them); their time is zero by construction.
NOOP_TYPES = frozenset({"NoOp", "Constant", "Identity", "TrainStation", "signal", "wait", "shape_call"})
CONV_PARAMETER_TYPES = frozenset({"Convolution", "Deconvolution", "FullyConnected", "MatrixMultiply", "Gemm"})
CONV_LAYER_TYPES = frozenset(
    {
        "CaskConvolution",
        "CaskDeconvolution",
        "CudnnConvolution",
        "CudnnDeconvolution",
        "Convolution",
        "Deconvolution",
        "CaskGemmConvolution",
        "CaskFullyConnected",
        "FullyConnected",
        "MatrixMultiply",
        "CaskGemmMatrixMultiply",
        "CublasMatrixMultiply",
        "gemm",
    }
)
EPILOGUE_PARAMETER_TYPES = frozenset({"ElementWise", "Activation", "Scale", "PointWise", "PointWiseV2"})
EPILOGUE_LAYER_TYPES = frozenset(
    {
        "ElementWise",
        "Activation",
        "Scale",
        "PointWise",
        "PointWiseV2",
        "CudaElementWise",
        "CudaActivation",
        "CaskElementWise",
        "CudnnActivation",
        "CudnnScale",
        "CaskScale",
    }
)
# Detailed layer types whose role must still be read from the name (a TRT 8.x QuantizeLinear is a Reformat).
NAME_TYPED_LAYERS = frozenset({"Reformat", "NoOp", "Myelin", "kgen", "fusion", "ForeignNode"})
QDQ_TYPES = frozenset({"Quantize", "Dequantize", "QuantizeLinear", "DequantizeLinear"})
SHAPE_PARAMETER_TYPES = frozenset(
    {
        "Shuffle",
        "Cast",
        "Shape",
        "Slice",
        "Gather",
        "Concatenation",
        "Identity",
        "Reshape",
        "Squeeze",
        "Unsqueeze",
        "Resize",
    }
)


def _s(value: Any) -> str:
    """A string cell as str ("" for NA/None)."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _str_list(col: pd.Series) -> list[str]:
    """A string column as a list of str, NA (and any other non-string) as ""."""
    values = col.tolist()
    if set(map(type, values)) <= {str}:  # the usual case, checked at C speed
        return values
    return [x if isinstance(x, str) else "" for x in values]


def _f(value: Any) -> float:
    if value is None or value is pd.NA:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


COST_KINDS = ("estimated saving", "layer time", "not estimated")


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
    op_kind = prec.op_kind
    return [
        [op_kind(x) for x in nodes] if nodes
        else [] if name.startswith("Reformatting CopyNode") else [op_kind(name)]
        for name, nodes in zip(names, source_nodes, strict=True)
    ]


@dataclass
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

    def __init__(self, bundle: EngineBundle) -> None:
        self.bundle = bundle
        layers = bundle.layers
        self.n = len(layers)
        self.has_profile = bundle.has_profile and self.n > 0
        frame = bundle.layer_times() if self.has_profile else layers
        self.layer_index: list[int] = [int(x) for x in frame["layer_index"].tolist()]
        self.names: list[str] = _str_list(frame["name"])
        self.layer_type: list[str] = _str_list(frame["layer_type"])
        self.parameter_type: list[str] = _str_list(frame["parameter_type"])
        self.tactic: list[str] = _str_list(frame["tactic_name"])
        self.precision: list[str] = _str_list(frame["precision"])
        self.output_precision: list[str] = _str_list(frame["output_precision"])
        self.input_format: list[str] = _str_list(frame["input_format"])
        self.output_format: list[str] = _str_list(frame["output_format"])
        self.origin: list[str] = _str_list(frame["origin"])
        self.is_reformat_col: list[bool] = frame["is_reformat"].fillna(False).astype(bool).tolist()
        self.source_nodes: list[list[str]] = [
            x if isinstance(x, list) else list(x) if isinstance(x, tuple) else []
            for x in frame["source_nodes"].tolist()
        ]
        self.fusion: list[str] = _str_list(frame["fusion"])
        self.inputs: list[list[dict[str, Any]]] = [
            x if isinstance(x, list) else [] for x in frame["inputs"].tolist()
        ]
        self.outputs: list[list[dict[str, Any]]] = [
            x if isinstance(x, list) else [] for x in frame["outputs"].tolist()
        ]
        self.attributes: list[dict[str, Any]] = [
            x if isinstance(x, dict) else {} for x in frame["attributes"].tolist()
        ]
        if self.has_profile:
            self.avg_ms = frame["avg_ms"].to_numpy(dtype="float64", na_value=math.nan).tolist()
            self.median_ms = frame["median_ms"].to_numpy(dtype="float64", na_value=math.nan).tolist()
        else:
            self.avg_ms = [math.nan] * self.n
            self.median_ms = [math.nan] * self.n
        self.row_of: dict[int, int] = {li: r for r, li in enumerate(self.layer_index)}
        prods = frame["producers"].tolist()
        conss = frame["consumers"].tolist()
        if self.layer_index == list(range(self.n)):  # the usual case: layer_index is the row position
            self.producers: list[list[int]] = [p if isinstance(p, list) else self._rows(p) for p in prods]
            self.consumers: list[list[int]] = [c if isinstance(c, list) else self._rows(c) for c in conss]
        else:
            self.producers = [self._rows(p) for p in prods]
            self.consumers = [self._rows(c) for c in conss]
        # Edges are real only when the layers came from a detailed graph that named tensors.
        self.has_edges = bool(bundle.detailed) and (any(self.producers) or any(self.consumers))
        self.detailed = bool(bundle.detailed)
        wb = frame["weights_bytes"] if "weights_bytes" in frame else pd.Series([math.nan] * self.n)
        self.weights_bytes: list[float] = wb.to_numpy(dtype="float64", na_value=math.nan).tolist()
        self.per_layer_total_ms = self._per_layer_total()
        self.cost_basis, self.total_ms = self._cost_basis()
        self.end_to_end_ms, self.end_to_end_source = self._end_to_end()

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
        gpu = self.bundle.timing.gpu_compute
        if gpu.mean is not None and gpu.mean > 0:
            where = (
                "mean GPU compute time of the measured iterations (after the warm-up, as trtexec)"
                if gpu.source == FROM_TIMES
                else "trtexec GPU Compute Time (mean)"
            )
            return gpu.mean, where
        return math.nan, ""

    @cached_property
    def cuda_graphs(self) -> bool | None:
        """Whether the timed run used CUDA graphs: True / False when the inputs say so, None when unknown.

        Read from the profile metadata or log ("CUDA Graph: Enabled") and trtexec command lines
        (``--useCudaGraph``).
        """
        opts = {k.lower(): str(v).strip().lower() for k, v in self.bundle.inference_options.items()}
        value = opts.get("cuda graph")
        commands = [str(c) for c in self.bundle.extras.get("commands", []) or []]
        if value in ("enabled", "true", "1", "yes") or any("--usecudagraph" in c.lower() for c in commands):
            return True
        if value in ("disabled", "false", "0", "no"):
            return False
        if commands:
            return False  # a trtexec command line without --useCudaGraph
        return None

    # ------------------------------------------------------------------ per-row classification (cached)
    @cached_property
    def input_readers(self) -> list[int]:
        """Rows reading a network input: a tensor no layer writes (through tensor edges); without edges, the
        first row in execution order."""
        if not self.has_edges:
            return [0] if self.n else []
        written = {t.get("name") for outs in self.outputs for t in outs}
        return [r for r, ins in enumerate(self.inputs) if any(t.get("name") not in written for t in ins)]

    @cached_property
    def node_kinds(self) -> list[list[str]]:
        """Op kind of every source node of every layer (see :func:`precision.op_kind`), once per bundle."""
        kinds = layer_op_kinds(self.bundle)
        if len(kinds) == self.n:  # the joined frame keeps the layers' rows in order
            return kinds
        return _node_kinds(self.names, self.source_nodes)

    def compute_kinds(self, r: int) -> list[str]:
        """Op kinds of a layer's nodes that do work (constants and Q/DQ nodes dropped), in name order."""
        if self.names[r].startswith("PWN("):
            return [k if k in prec.EPILOGUE_KINDS else "act" for k in self.node_kinds[r] if k != "const"]
        return [k for k in self.node_kinds[r] if k not in ("const", "qdq")]

    @cached_property
    def _noop(self) -> list[bool]:
        return [t in NOOP_TYPES for t in self.layer_type]

    @cached_property
    def _qdq(self) -> list[bool]:
        out = []
        for r in range(self.n):
            if (
                self.origin[r].upper() == "QDQ"
                or self.layer_type[r] in QDQ_TYPES
                or self.parameter_type[r] in QDQ_TYPES
            ):
                out.append(True)
            elif self.origin[r] or prec.is_reformat_name(self.names[r]):
                out.append(
                    False
                )  # an Origin other than QDQ (REFORMAT...) or a reformat name: not a Q/DQ layer
            elif self.layer_type[r] and self.layer_type[r] not in NAME_TYPED_LAYERS:
                out.append(False)  # a detailed record of a compute layer type (CaskConvolution, ...)
            else:
                kinds = [k for k in self.node_kinds[r] if k != "const"]
                out.append(bool(kinds) and all(k == "qdq" for k in kinds))
        return out

    @cached_property
    def _reformat(self) -> list[bool]:
        return [
            (self.is_reformat_col[r] or prec.is_reformat_name(self.names[r])) and not self._qdq[r]
            for r in range(self.n)
        ]

    @cached_property
    def _passthrough(self) -> list[bool]:
        return [a or b or c for a, b, c in zip(self._reformat, self._qdq, self._noop, strict=True)]

    @cached_property
    def _conv(self) -> list[bool]:
        out = []
        for r in range(self.n):
            if self.parameter_type[r] in CONV_PARAMETER_TYPES or self.layer_type[r] in CONV_LAYER_TYPES:
                out.append(True)
            elif self.parameter_type[r] or self.layer_type[r]:
                out.append(False)
            else:
                kinds = self.compute_kinds(r)
                out.append(bool(kinds) and any(k in prec.COMPUTE_KINDS for k in kinds))
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
        if self.is_passthrough(r) or self.is_conv(r):
            return False
        if self.parameter_type[r] in EPILOGUE_PARAMETER_TYPES or self.layer_type[r] in EPILOGUE_LAYER_TYPES:
            return True
        if self.parameter_type[r] and self.parameter_type[r] not in EPILOGUE_PARAMETER_TYPES:
            return False
        kinds = self.compute_kinds(r)
        return bool(kinds) and all(k in prec.EPILOGUE_KINDS for k in kinds)

    def is_shape_only(self, r: int) -> bool:
        if self.parameter_type[r] in SHAPE_PARAMETER_TYPES or self.layer_type[r] in SHAPE_PARAMETER_TYPES:
            return True
        if self.parameter_type[r] or self.layer_type[r] not in ("", "Myelin", "kgen", "fusion"):
            return False
        kinds = [k for k in self.node_kinds[r] if k != "const"]
        return bool(kinds) and all(k == "shape" for k in kinds)

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
        attrs = self.attributes[r]
        groups = attrs.get("Groups")
        g = groups if isinstance(groups, int) and groups > 0 else 1
        c = k = None
        ins, outs = self.inputs[r], self.outputs[r]
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

    # ------------------------------------------------------------------ neighbour walks
    def next_compute(self, r: int, *, downstream: bool, max_hops: int = 4) -> list[tuple[int, list[int]]]:
        """Nearest non-passthrough layers after (or before) ``r``: ``[(row, passthrough rows between)]``.

        Through tensor edges when the bundle has them, else through execution order (one neighbour).
        """
        if self.has_edges:
            step = self.consumers if downstream else self.producers
            first = step[r]
            passthrough = self._passthrough
            if not any(passthrough[x] for x in first):  # the common case: direct compute neighbours
                return [(x, []) for x in dict.fromkeys(first) if x != r]
            out: list[tuple[int, list[int]]] = []
            frontier: list[tuple[int, list[int]]] = [(x, []) for x in step[r]]
            seen = {r}
            hops = 0
            while frontier and hops <= max_hops:
                nxt: list[tuple[int, list[int]]] = []
                for x, path in frontier:
                    if x in seen:
                        continue
                    seen.add(x)
                    if self.is_passthrough(x):
                        nxt.extend((y, [*path, x]) for y in step[x])
                    else:
                        out.append((x, path))
                frontier = nxt
                hops += 1
            return out
        seq: list[int] = []
        x = r + (1 if downstream else -1)
        while 0 <= x < self.n and len(seq) <= max_hops:
            if self.is_passthrough(x):
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
        of float: its time times the share of its memory traffic that goes away, assuming the layer is
        memory-bound (time proportional to bytes moved: inputs, weights and outputs). NaN when shapes or
        the time are unknown. Computed once per row (three rules ask for the same convolutions)."""
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
        return t * (1.0 - after / before) if before > 0 else math.nan

    def tensor_desc(self, t: dict[str, Any]) -> str:
        parts = [str(t.get("dtype") or "?"), str(t.get("layout") or "?")]
        return "/".join(parts)


CheckFn = Callable[[LintContext], list[Finding]]

DTYPE_BYTES = {"FP32": 4, "TF32": 4, "INT32": 4, "FP16": 2, "BF16": 2, "INT8": 1, "FP8": 1, "UINT8": 1, "BOOL": 1}


def tensor_bytes(tensor: dict[str, Any], dtype: str | None = None) -> float | None:
    """Bytes of a tensor record (shape x element size of ``dtype``, default its own); None when unknown."""
    shape = tensor.get("shape")
    size = DTYPE_BYTES.get(str(dtype or tensor.get("dtype") or ""))
    if not isinstance(shape, list) or not shape or size is None:
        return None
    n = 1
    for d in shape:
        if not isinstance(d, int) or d < 0:
            return None
        n *= d
    return float(n * size)


def names_of(ctx: LintContext, rows: Sequence[int]) -> list[str]:
    return [ctx.names[r] for r in rows]


def short(name: str, width: int = 70) -> str:
    """A layer name cut for titles (the full names are in ``layer_names``)."""
    return name if len(name) <= width else name[: width - 3] + "..."

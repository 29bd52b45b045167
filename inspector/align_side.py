"""Per-layer facts of one engine for the aligner, read once from a LAYERS frame into plain lists (pure).

Also the op-kind vocabulary: exporter spellings of ONNX ops mapped to one canonical kind, and which op names
a fused layer. Split out of :mod:`trtinspect.inspector.align`, which re-exports the public names.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd

from trtinspect.inspector.precision import strip_block_suffix

__all__ = ["OP_ALIASES", "PRIMARY_OP_ORDER", "is_named_key", "op_kind", "primary_op"]

# Operator spellings of different exporters -> one canonical ONNX-style op kind (lower-case, no "_").
OP_ALIASES: dict[str, str] = {
    "conv": "Conv", "conv1d": "Conv", "conv2d": "Conv", "conv3d": "Conv", "convolution": "Conv",
    "convtranspose": "ConvTranspose", "convtranspose1d": "ConvTranspose", "convtranspose2d": "ConvTranspose",
    "convtranspose3d": "ConvTranspose", "deconvolution": "ConvTranspose",
    "gemm": "Gemm", "linear": "Gemm", "addmm": "Gemm", "matmul": "MatMul", "bmm": "MatMul",
    "relu": "Relu", "add": "Add", "iadd": "Add", "mul": "Mul", "sigmoid": "Sigmoid", "gelu": "Gelu",
    "quantizelinear": "QuantizeLinear", "quantize": "QuantizeLinear", "quantizeperchannel": "QuantizeLinear",
    "quantizepertensor": "QuantizeLinear", "dequantizelinear": "DequantizeLinear",
    "dequantize": "DequantizeLinear",
    "batchnormalization": "BatchNormalization", "batchnorm": "BatchNormalization",
    "maxpool": "MaxPool", "maxpool2d": "MaxPool", "averagepool": "AveragePool", "avgpool2d": "AveragePool",
    "globalaveragepool": "GlobalAveragePool", "adaptiveavgpool2d": "GlobalAveragePool",
    "softmax": "Softmax", "layernormalization": "LayerNormalization", "layernorm": "LayerNormalization",
    "reducemean": "ReduceMean", "mean": "ReduceMean",
    "quantlinearnode": "QuantizeLinear", "dequantlinearnode": "DequantizeLinear",
    "concat": "Concat", "cat": "Concat", "reshape": "Reshape", "flatten": "Flatten", "transpose": "Transpose",
    "shuffle": "Shuffle", "elementwise": "ElementWise", "constant": "Constant", "pwn": "PointWise",
}

# Which op names a fused layer when it holds several (first match wins); others fall back to their order.
PRIMARY_OP_ORDER: tuple[str, ...] = (
    "ConvTranspose", "Conv", "Gemm", "MatMul", "GlobalAveragePool", "ReduceMean", "AveragePool", "MaxPool",
    "Softmax",
    "LayerNormalization", "BatchNormalization", "Concat", "Add", "Mul", "Relu", "Sigmoid", "Gelu",
    "QuantizeLinear", "DequantizeLinear", "Reshape", "Flatten", "Transpose", "Shuffle", "ElementWise",
)

_COPY_NODE = re.compile(r"^Reformatting CopyNode for (Input|Output) Tensor (\d+) to (.+)$", re.DOTALL)
_PROFILE_SUFFIX = re.compile(r" \[profile \d+\]$")
_UNNAMED = re.compile(r"\(Unnamed Layer\* \d+\) \[([A-Za-z]+)\]")
_NUMBERED_OP = re.compile(r"^([A-Za-z][A-Za-z0-9_]*?)_\d+(?:_|$)")
_DIGIT = re.compile(r"\d")
_PLAIN_OP = re.compile(r"^([A-Za-z][A-Za-z0-9]*)$")


@functools.lru_cache(maxsize=4096)
def _canonical_op(raw: str) -> str:
    key = raw.replace("_", "").lower()
    return OP_ALIASES.get(key, raw)


def _is_stable(key: str) -> bool:
    """is_named_key of a source-node key, its multi-profile suffix ignored."""
    return is_named_key(_PROFILE_SUFFIX.sub("", key) if "[profile" in key else key)


_NO_NAMES: frozenset[str] = frozenset()


def is_named_key(node: str) -> bool:
    """True for names that survive a re-export: initializer / module paths (``layer1.0.conv1.weight``,
    ``/layer1/conv/Conv``) and names without digits. Auto-numbered names (``Conv_84``) are not."""
    return "." in node or "/" in node or _DIGIT.search(node) is None


# Runs of two or more ASCII digits. Whether op_kind's patterns match, and where, depends only on where digits
# are (``\d+`` and ``\d``), never on a run's value or length, so names that differ only in such runs
# ("Conv_3009 [b3]", "Conv_4012 [b4]": the node numbers of big engines) share one cache entry. The one thing
# that can carry a run is a raw name returned as it is (an op spelling outside OP_ALIASES, ``Foo12``): a
# cached kind holding a digit is recomputed on the name itself. tests/test_fast_paths.py checks both.
_DIGIT_RUN = re.compile(r"[0-9]{2,}")


def op_kind(node: str) -> str | None:
    """The operator kind a source-node name stands for (``Conv_84`` -> ``Conv``, ``conv2d_109`` -> ``Conv``,
    ``(Unnamed Layer* 306) [Shuffle]`` -> ``Shuffle``, ``(Unnamed Layer* 741) [Quantize]_output_.dequant`` ->
    ``DequantizeLinear``, ``Conv_3009 [b3]`` -> ``Conv``); None for initializers and unknown names."""
    kind = _op_kind_of_shape(_DIGIT_RUN.sub("00", node))
    if kind is not None and _DIGIT.search(kind) is not None:
        return _op_kind(node)            # a raw spelling with digits: this node's own
    return kind


@functools.lru_cache(maxsize=65536)
def _op_kind_of_shape(node: str) -> str | None:
    return _op_kind(node)


_SEP = "\x1f"          # joins names for op_kinds' one pass (a name holding it: one name at a time)
_LAYER_SEP = "\x1e"    # joins the layers' joined names (_layer_shapes)


def _keys_text(keys: list[list[str]]) -> tuple[str, np.ndarray] | None:
    """Every layer's names joined by _SEP, the layers joined by _LAYER_SEP, and each layer's start offset in
    that text; None when a name holds a separator."""
    joined = list(map(_SEP.join, keys))
    text = _LAYER_SEP.join(joined)
    lens = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    if (text.count(_LAYER_SEP) != max(len(keys) - 1, 0)
            or text.count(_SEP) != int(np.maximum(lens - 1, 0).sum())):
        return None
    sizes = np.fromiter(map(len, joined), dtype=np.int64, count=len(joined)) + 1
    return text, np.cumsum(sizes) - sizes


def _layer_shapes(text: str) -> list[str]:
    """Each layer's joined names (:func:`_keys_text`) with their digit runs reduced (``_DIGIT_RUN.sub`` of each
    name: a run never spans a separator), all layers in one pass."""
    return _DIGIT_RUN.sub("00", text).split(_LAYER_SEP)


def op_kinds(nodes: list[str]) -> list[str | None]:
    """:func:`op_kind` of each name: all names reduced to their digit-run shapes in one pass over their
    joined text, each distinct shape's kind computed once."""
    shapes = _DIGIT_RUN.sub("00", _SEP.join(nodes)).split(_SEP) if nodes else []
    if len(shapes) != len(nodes):
        return [op_kind(k) for k in nodes]
    kind_of = {shape: _op_kind_of_shape(shape) for shape in set(shapes)}
    out = list(map(kind_of.__getitem__, shapes))
    raw = {shape for shape, kind in kind_of.items() if kind is not None and _DIGIT.search(kind) is not None}
    if raw:                          # a raw spelling with digits: each node's own
        for n, shape in enumerate(shapes):
            if shape in raw:
                out[n] = _op_kind(nodes[n])
    return out


def _op_kind(node: str) -> str | None:
    m = _UNNAMED.search(node)
    if m:
        return _unnamed_op(m.group(1), node[m.end():])
    if node[-1:] in ")]":
        node = strip_block_suffix(node)     # "Conv_3009 [b3]", "Conv_5 [profile 1]": precision.op_kind's rule
    if node.endswith((".weight", ".bias")):
        return None
    last = node.rstrip("/").rsplit("/", 1)[-1]
    m = _NUMBERED_OP.match(last)
    if m:
        return _canonical_op(m.group(1))
    if "/" in node and _PLAIN_OP.match(last):
        return _canonical_op(last)
    return None


def _unnamed_op(layer_type: str, rest: str) -> str:
    """The op of a name built on an unnamed layer's output: ``(Unnamed Layer* 741) [Quantize]_output_.dequant``
    dequantizes the Quantize layer's output (DequantizeLinear); ``[Constant]_output_per_channel_quant``
    quantizes a constant (QuantizeLinear); a bare ``(Unnamed Layer* 306) [Shuffle]`` is its own type."""
    low = rest.lower()
    if "dequant" in low:
        return "DequantizeLinear"
    if "quant" in low:
        return "QuantizeLinear"
    return _canonical_op(layer_type)


def primary_op(ops: Iterable[str]) -> str | None:
    """The op kind that names a fused layer (convolution before its add/relu, ...)."""
    ops = list(ops)
    present = set(ops)
    for op in PRIMARY_OP_ORDER:
        if op in present:
            return op
    return ops[0] if ops else None


@functools.lru_cache(maxsize=4096)
def _primary_of(ops: tuple[str, ...]) -> str | None:
    return primary_op(ops)


def token(side: _Side, i: int) -> str:
    """The op kind naming layer i (``Reformat`` for TensorRT's copy reformats), else its layer type."""
    name = side.names[i]
    if name.startswith("Reformatting CopyNode for ") and _COPY_NODE.match(name):
        return "Reformat"
    return _primary_of(tuple(side.ops(i))) or side.ptype[i] or "?"


# --------------------------------------------------------------------------------------------------------
# Per-layer facts, read once from a LAYERS frame into plain lists (fast on 50,000-layer engines).


class _Side:
    """Per-layer facts of one engine as plain lists (fast on 50,000-layer engines); costly facts are lazy."""

    def __init__(self, frame: pd.DataFrame, tag: str) -> None:
        n = len(frame)
        self.tag = tag
        self.frame = frame
        names = _col(frame, "name", "")
        self.names: list[str] = names if set(map(type, names)) <= {str} else [str(v) for v in names]
        index = _col(frame, "layer_index", 0)
        self.index: list[int] = index if set(map(type, index)) <= {int} else [int(v) for v in index]
        profiles = _col(frame, "profile_index", None)
        raw = _col(frame, "source_nodes", None)
        if all(p is None for p in profiles):
            self.keys: list[list[str]] = [v if type(v) is list else list(v) if isinstance(v, tuple) else []
                                          for v in raw]          # the frame's lists, never changed here
        else:                  # multi-profile engines: a node's copies per profile are different keys
            self.keys = [[f"{k} [profile {p}]" if p is not None else str(k) for k in v]
                         if isinstance(v, (list, tuple)) else [] for v, p in zip(raw, profiles, strict=True)]
        ptypes, ltypes = _col(frame, "parameter_type", None), _col(frame, "layer_type", None)
        self.ptype: list[str] = [str(p or t or "") for p, t in zip(ptypes, ltypes, strict=True)]
        self.layer_type: list[Any] = ltypes
        self.precision: list[Any] = _col(frame, "precision", None)
        self.out_precision: list[Any] = _col(frame, "output_precision", None)
        self.in_format: list[Any] = _col(frame, "input_format", None)
        self.out_format: list[Any] = _col(frame, "output_format", None)
        self.tactic: list[Any] = [t or v for t, v in zip(_col(frame, "tactic_name", None),
                                                         _col(frame, "tactic_value", None), strict=True)]
        self.served: list[int | None] = [None] * n
        self.alias_set: set[str] = set()     # filled by _key_index: the plain-export aliases of the names
        self._named: list[frozenset[str] | None] = [None] * n
        self._ops: list[list[str] | None] = [None] * n
        # after read_all_ops: each layer's op-list class and the distinct op lists (ops(i) == op_lists[op_class[i]])
        self.op_class: list[int] | None = None
        self.op_lists: list[list[str]] = []
        self._keys_text: tuple[str, np.ndarray] | None = None
        # after read_all_ops: each layer's shape class and the distinct shapes (_layer_shapes), and per class the
        # positions of its stable names (named)
        self._shape_class: tuple[list[int], list[str]] | None = None
        self._stable_at: dict[int, list[int]] = {}
        self._op_keys: dict[int, tuple[str, ...]] = {}
        self._keys_text_read = False
        self._shapes: list[frozenset[tuple[Any, ...]] | None] = [None] * n
        self._io: tuple[list[Any], list[Any]] | None = None
        self._tensor_shapes: tuple[list[tuple[tuple[Any, ...], ...]], list[tuple[tuple[Any, ...], ...]]] | None = None
        self._adj: list[set[int] | None] | None = None      # neighbours, read per layer when first asked
        self._pos: dict[int, int] = {}
        self._edges: tuple[list[Any], list[Any]] = ([], [])
        self._find_served(frame, profiles)

    def __len__(self) -> int:
        return len(self.index)

    def _find_served(self, frame: pd.DataFrame, profiles: list[Any]) -> None:
        candidates = [i for i, nm in enumerate(self.names) if nm.startswith(_COPY_PREFIXES)]
        if not candidates:
            return
        attrs = _col(frame, "attributes", None)
        edge_lists: tuple[list[Any], list[Any], dict[int, int]] | None = None   # read when first needed
        by_name = dict(zip(reversed(self.names), range(len(self.names) - 1, -1, -1), strict=True))  # first of a name
        for i in candidates:
            copy = _served_name(self.names[i], attrs[i])
            if copy is None:
                continue
            direction, served_name = copy
            target = by_name.get(served_name)
            if target is None and profiles[i] is not None:
                target = by_name.get(f"{_PROFILE_SUFFIX.sub('', served_name)} [profile {profiles[i]}]")
            if target is None:
                if edge_lists is None:
                    edge_lists = (_col(frame, "producers", None), _col(frame, "consumers", None),
                                  {li: n for n, li in enumerate(self.index)})
                producers, consumers, pos_of_index = edge_lists
                edges = consumers[i] if direction == "Input" else producers[i]
                if isinstance(edges, (list, tuple)) and len(edges) == 1:
                    target = pos_of_index.get(int(edges[0]))
            self.served[i] = None if target == i else target

    def named(self, i: int) -> frozenset[str]:
        """The stable (initializer / path) keys of layer i."""
        got = self._named[i]
        if got is None:
            if self._shape_class is not None:       # which names are stable is decided per layer shape
                got = self._named_by_shape(i)
            else:
                got = frozenset(k for k in self.keys[i] if _is_stable(k))
            self._named[i] = got
        return got

    def _named_by_shape(self, i: int) -> frozenset[str]:
        """:meth:`named` from the positions of the stable names of layer i's shape (read_all_ops): the
        digit-run shape of a name keeps its dots, slashes and whether it holds a digit (all is_named_key reads)."""
        keys = self.keys[i]
        if not keys:
            return _NO_NAMES
        classes, shapes = cast(tuple[list[int], list[str]], self._shape_class)
        c = classes[i]
        at = self._stable_at.get(c)
        if at is None:
            at = self._stable_at[c] = [p for p, k in enumerate(shapes[c].split(_SEP)) if _is_stable(k)]
        if not at:
            return _NO_NAMES
        if len(at) == len(keys):
            return frozenset(keys)
        return frozenset(map(keys.__getitem__, at))

    def ops(self, i: int) -> list[str]:
        """ONNX op kinds of layer i's source nodes."""
        got = self._ops[i]
        if got is None:
            got = self._ops[i] = [o for o in map(op_kind, self.keys[i]) if o is not None]
        return got

    def read_all_ops(self) -> None:
        """Compute :meth:`ops` of every layer at once: each layer's source-node names reduced to their digit-run
        shapes in one pass over the joined text of all layers (:func:`op_kinds`' rule), each distinct layer shape
        classified once. Layers of one shape share one op list (:attr:`op_class` numbers the distinct lists)."""
        if self.op_class is not None:
            return
        keys = self.keys
        if not keys:
            self.op_class, self.op_lists = [], []
            return
        found = self.keys_text()
        if found is None:                     # a name holding a separator: one name at a time
            kinds = op_kinds(list(itertools.chain.from_iterable(keys)))
            ends = list(itertools.accumulate(map(len, keys)))
            self._ops = [[o for o in kinds[e - len(k):e] if o is not None] for k, e in zip(keys, ends, strict=True)]
            self._number_op_lists()
            return
        memo: dict[str, int] = {}
        lists: list[list[str]] = []
        raw: set[int] = set()                 # classes whose kinds keep a digit: each layer's own names
        code = memo.get
        classes: list[int] = []
        shapes: list[str] = []
        for shape in _layer_shapes(found[0]):
            c = code(shape)
            if c is None:
                c = memo[shape] = len(lists)
                shapes.append(shape)
                kinds = [_op_kind_of_shape(p) for p in shape.split(_SEP)] if shape else []
                if any(k is not None and _DIGIT.search(k) is not None for k in kinds):
                    raw.add(c)
                lists.append([k for k in kinds if k is not None])
            classes.append(c)
        self._shape_class = (classes, shapes)
        self._ops = list(map(lists.__getitem__, classes))
        if raw:
            for i, c in enumerate(classes):
                if c in raw:
                    self._ops[i] = [o for o in map(op_kind, keys[i]) if o is not None]
            self._number_op_lists()
            return
        self.op_class, self.op_lists = classes, lists

    def keys_text(self) -> tuple[str, np.ndarray] | None:
        """:func:`_keys_text` of this side's source-node names, read once."""
        if not self._keys_text_read:
            self._keys_text, self._keys_text_read = _keys_text(self.keys), True
        return self._keys_text

    def layers_with(self, part: str) -> list[int]:
        """Positions (ascending) of the layers one of whose source-node names contains ``part`` (no separator)."""
        found = self.keys_text()
        if found is None:
            return [i for i, keys in enumerate(self.keys) if any(part in k for k in keys)]
        text, starts = found
        return _layers_at(starts, _occurrences(text, part, []))

    def layers_ending(self, suffixes: tuple[str, ...]) -> list[int]:
        """Positions (ascending) of the layers one of whose source-node names ends in one of ``suffixes``: each
        suffix found before a separator (or at the end) of the joined text of all names (:func:`_keys_text`)."""
        found = self.keys_text()
        if found is None:
            return [i for i, keys in enumerate(self.keys) if any(k.endswith(suffixes) for k in keys)]
        text, starts = found
        hits: list[int] = [len(text) - 1] if text.endswith(suffixes) else []
        for part in (s + sep for s in suffixes if s for sep in (_SEP, _LAYER_SEP)):
            _occurrences(text, part, hits)
        return _layers_at(starts, hits)

    def _number_op_lists(self) -> None:
        """:attr:`op_class` / :attr:`op_lists` from the op lists of every layer (equal lists: one class)."""
        memo: dict[tuple[str, ...], int] = {}
        lists: list[list[str]] = []
        classes: list[int] = []
        for ops in cast(list[list[str]], self._ops):
            key = tuple(ops)
            c = memo.get(key)
            if c is None:
                c = memo[key] = len(lists)
                lists.append(ops)
            classes.append(c)
        self.op_class, self.op_lists = classes, lists

    def shapes(self, i: int) -> frozenset[tuple[Any, ...]]:
        """Input and output tensor shapes of layer i without the batch dimension."""
        got = self._shapes[i]
        if got is None:
            ins, outs = self.tensor_shapes()
            got = self._shapes[i] = frozenset(ins[i] + outs[i])
        return got

    def tensor_shapes(self) -> tuple[list[tuple[tuple[Any, ...], ...]], list[tuple[tuple[Any, ...], ...]]]:
        """Every layer's input shapes and output shapes without the batch dimension (:func:`_shapes`), read
        once (model_match's tokens and the aligner's signatures share them)."""
        if self._tensor_shapes is None:
            ins, outs = self.io()
            self._tensor_shapes = ([_shapes(t) for t in ins], [_shapes(t) for t in outs])
        return self._tensor_shapes

    def signature(self, i: int) -> tuple[Any, ...] | None:
        ins, outs = self.tensor_shapes()
        si, so = ins[i], outs[i]
        if not si and not so:
            return None          # names-only: no structure to match on
        return (self.ptype[i], self._op_key(i), si, so)

    def _op_key(self, i: int) -> tuple[str, ...]:
        """Layer i's distinct op kinds, sorted (once per op class after read_all_ops)."""
        if self.op_class is None:
            return tuple(sorted(set(self.ops(i))))
        c = self.op_class[i]
        got = self._op_keys.get(c)
        if got is None:
            got = self._op_keys[c] = tuple(sorted(set(self.op_lists[c])))
        return got

    def neighbours(self, i: int) -> set[int]:
        """Positions of the layers that produce layer i's inputs or consume its outputs."""
        if self._adj is None:
            self._pos = {li: n for n, li in enumerate(self.index)}
            self._edges = (_col(self.frame, "producers", None), _col(self.frame, "consumers", None))
            self._adj = [None] * len(self)
        got = self._adj[i]
        if got is None:
            pos = self._pos
            got = self._adj[i] = {pos[int(x)] for x in [*_seq(self._edges[0][i]), *_seq(self._edges[1][i])]
                                  if int(x) in pos}
        return got

    def io(self) -> tuple[list[Any], list[Any]]:
        if self._io is None:
            self._io = (_col(self.frame, "inputs", None), _col(self.frame, "outputs", None))
        return self._io


_COPY_PREFIXES = ("Reformatting CopyNode for ", "Reformatter ")


def _col(frame: pd.DataFrame, name: str, default: Any) -> list[Any]:
    """A column as a list with every missing value (NA, NaN, None) as ``default``."""
    if name not in frame.columns:
        return [default] * len(frame)
    s = frame[name]
    if isinstance(s.dtype, (pd.StringDtype, pd.Int64Dtype)):
        return cast(Any, s).to_numpy(dtype=object, na_value=default).tolist()
    mask = s.isna().to_numpy()
    if s.dtype == object:
        values = s.tolist()
        for i in np.flatnonzero(mask).tolist():     # pandas' NA test finds a superset of the values replaced
            v = values[i]
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                values[i] = default
        return values
    values = s.astype(object).tolist()
    if mask.any():
        for i in np.flatnonzero(mask).tolist():
            values[i] = default
    return values


def _seq(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple)) else []


def _shapes(tensors: Any) -> tuple[tuple[Any, ...], ...]:
    """The shapes of the tensors that have one, each without the batch dimension."""
    if not isinstance(tensors, (list, tuple)):
        return ()
    return tuple([tuple(shape[1:]) for t in tensors
                  if isinstance(t, dict) and isinstance(shape := t.get("shape"), (list, tuple)) and shape])


def _served_name(name: str, attrs: Any) -> tuple[str, str] | None:
    if isinstance(attrs, dict) and isinstance(attrs.get("serves"), str):
        direction = "Input" if "Input Tensor" in name else "Output"
        return direction, attrs["serves"]
    m = _COPY_NODE.match(name)
    if not m:
        return None
    return m.group(1), m.group(3)


def _read_side(frame: pd.DataFrame, tag: str) -> _Side:
    return _Side(frame, tag)


def _root(side: _Side, i: int) -> int:
    """Follow chains of copy reformats to the layer they ultimately serve."""
    seen = {i}
    while side.served[i] is not None:
        nxt = side.served[i]
        assert nxt is not None
        if nxt in seen:
            break
        seen.add(nxt)
        i = nxt
    return i


def _share_shape(a: _Side, i: int, b: _Side, j: int) -> bool:
    sa, sb = a.shapes(i), b.shapes(j)
    if not sa or not sb:
        return True          # names-only: nothing to contradict the name
    return bool(sa & sb)


def _occurrences(text: str, part: str, hits: list[int]) -> list[int]:
    """``hits`` with every start position of ``part`` in ``text`` appended (overlapping ones included)."""
    at = text.find(part)
    while at != -1:
        hits.append(at)
        at = text.find(part, at + 1)
    return hits


def _layers_at(starts: np.ndarray, hits: list[int]) -> list[int]:
    """The layers (ascending, once each) whose part of the joined text holds a position of ``hits``; ``starts``
    are the layers' start offsets in that text (:func:`_keys_text`)."""
    if not hits:
        return []
    return np.unique(np.searchsorted(starts, np.asarray(hits, dtype=np.int64), side="right") - 1).tolist()

"""The engine graph behind the dashboard: nodes = engine layers, edges = tensors, plus collapsible groups.

:class:`GraphModel` is built ONCE per engine (cached by the registry): per-layer facts as plain lists, the
tensor edges as numpy arrays (from the ``producers`` column of detailed layer information) and the group tree
of :mod:`trtinspect.app.graph_tree`. What a browser gets is one VIEW of it (:mod:`trtinspect.app.graph_view`):
the units and collapsed groups of the expanded groups, laid out on the server.

Names-only sources (profile tables, logs without detailed layer information) carry no tensor edges: the
layers are then chained in execution order and the view says so (``edges_inferred``).
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.app.graph_tree import BLOCK_SUFFIX, Tree, build_tree, module_path
from trtinspect.inspector.align import op_kind
from trtinspect.parsers.layer_names import reformat_target
from trtinspect.parsers.model import EngineBundle

LABEL_WIDTH = 30  # characters of a node's first label line
OP_SHORT = {"QuantizeLinear": "Q", "DequantizeLinear": "DQ"}


def as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, np.ndarray):
        return value.tolist()
    try:
        return list(value)
    except TypeError:
        return [value]


def text(value: Any, default: str = "") -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value)


def clip(s: str, width: int = LABEL_WIDTH) -> str:
    return s if len(s) <= width else s[: width - 1] + "\u2026"


def short_label(name: str, sources: list[str], width: int = LABEL_WIDTH) -> str:
    """A node's first label line: module path and fused op kinds (``layer1.0.conv2 Q+Conv+Add+Relu``), the
    reformat target (``reformat \u2192 MaxPool_12``), else the name; at most ``width`` characters."""
    target = reformat_target(name)
    if target is not None:
        return clip("\u2192 " + short_label(target, [], width), width)
    # a repeated-block suffix ("conv1.weight [b3]") names the group, not the box
    nodes = [BLOCK_SUFFIX.sub(r"\1", n) for n in (sources or name.split(" + "))]
    path = module_path(nodes)
    ops: list[str] = []
    for n in nodes:
        k = op_kind(n)
        if k is not None:
            k = OP_SHORT.get(k, k)
            if not ops or ops[-1] != k:
                ops.append(k)
    if path:
        return clip(f"{path[-1]} {'+'.join(ops)}".strip(), width)
    numbered = [n for n in nodes if op_kind(n) is not None]
    if len(numbered) > 1:
        return clip(numbered[0] + "+" + "+".join(ops[1:]) if len(ops) > 1 else numbered[0], width)
    return clip(name, width)


def tensor_text(t: Any) -> str:
    """``name [1x64x56x56] NC/32HW32 INT8`` of a tensor record (plain text; the browser escapes it)."""
    if not isinstance(t, dict):
        return str(t)
    shape = t.get("shape")
    shape_txt = "x".join(str(s) for s in shape) if isinstance(shape, (list, tuple)) else text(shape, "?")
    parts = [text(t.get("name"), "?"), f"[{shape_txt}]", text(t.get("layout")), text(t.get("dtype"))]
    return " ".join(p for p in parts if p)


def tensor_short(t: Any) -> str:
    """``1x64x56x56 INT8`` (an edge label)."""
    if not isinstance(t, dict):
        return ""
    shape = t.get("shape")
    shape_txt = "x".join(str(s) for s in shape) if isinstance(shape, (list, tuple)) else ""
    return " ".join(p for p in (shape_txt, text(t.get("dtype"))) if p)


class GraphModel:
    """Per-layer facts, tensor edges and the group tree of one engine, read once from ``bundle.layer_times()``."""

    def __init__(self, bundle: EngineBundle) -> None:
        lt = bundle.layer_times()
        self.n = len(lt)
        self.names: list[str] = [str(x) for x in lt["name"].tolist()]
        self.layer_type = [text(x) for x in lt["layer_type"].tolist()]
        self.precision = [text(x) for x in lt["precision"].tolist()]
        self.out_precision = [text(x) for x in lt["output_precision"].tolist()]
        self.tactic = [text(x) for x in lt["tactic_name"].tolist()]
        self.in_format = [text(x) for x in lt["input_format"].tolist()]
        self.out_format = [text(x) for x in lt["output_format"].tolist()]
        self.sources = [[str(s) for s in as_list(x)] for x in lt["source_nodes"].tolist()]
        self.inputs = [as_list(x) for x in lt["inputs"].tolist()]
        self.outputs = [as_list(x) for x in lt["outputs"].tolist()]
        self.in_precision = [
            text(ins[0].get("dtype")) if ins and isinstance(ins[0], dict) else "" for ins in self.inputs
        ]
        origin = [text(x) for x in lt["origin"].tolist()]
        reformat = [bool(x) for x in lt["is_reformat"].fillna(False).tolist()]
        self.is_qdq = [
            o == "QDQ"
            or (bool(src) and all(op_kind(s) in ("QuantizeLinear", "DequantizeLinear") for s in src))
            for o, src in zip(origin, self.sources, strict=True)
        ]
        self.is_reformat = [r and not q for r, q in zip(reformat, self.is_qdq, strict=True)]
        self.avg_ms = np.array([float(x) if not pd.isna(x) else math.nan for x in lt["avg_ms"].tolist()])
        self.avg_ms = self.avg_ms.astype(float)
        self.timed = not np.isnan(self.avg_ms).all() if self.n else False
        self.total_ms = float(np.nansum(self.avg_ms)) if self.timed else math.nan
        self.layer_index = [int(x) for x in lt["layer_index"].tolist()]
        pos = {li: i for i, li in enumerate(self.layer_index)}
        src: list[int] = []
        dst: list[int] = []
        for i, producers in enumerate(lt["producers"].tolist()):
            for p in as_list(producers):
                j = pos.get(int(p))
                if j is not None and j != i:
                    src.append(j)
                    dst.append(i)
        self.edges_inferred = self.n > 1 and not src
        if self.edges_inferred:
            src, dst = list(range(self.n - 1)), list(range(1, self.n))
        self.src = np.array(src, dtype=np.int64)
        self.dst = np.array(dst, dtype=np.int64)
        self._lower = [nm.lower() for nm in self.names]

    # ------------------------------------------------------------------------------------------ derived
    @cached_property
    def labels(self) -> list[str]:
        return [short_label(nm, src) for nm, src in zip(self.names, self.sources, strict=True)]

    @cached_property
    def tree(self) -> Tree:
        paths = []
        for nm, src in zip(self.names, self.sources, strict=True):
            target = reformat_target(nm)
            paths.append(module_path(target.split(" + ") if target else (src or nm.split(" + "))))
        # Q/DQ and input reformats feed the next layer; output reformats and the rest follow the previous one
        attach_next = [
            q or (r and not nm.startswith("Reformatting CopyNode for Output"))
            for q, r, nm in zip(self.is_qdq, self.is_reformat, self.names, strict=True)
        ]
        return build_tree(paths, attach_next, self.chunk_names, (self.src, self.dst))

    @cached_property
    def chunk_names(self) -> list[str]:
        """What names a unit at either end of a chunk: its module path, else its first numbered op."""
        out = []
        for nm, src in zip(self.names, self.sources, strict=True):
            target = reformat_target(nm)
            nodes = target.split(" + ") if target else (src or nm.split(" + "))
            path = module_path(nodes)
            if path:
                out.append(path[-1])
                continue
            numbered = next((n for n in nodes if op_kind(n) is not None), None)
            out.append(clip(numbered or nm, 18))
        return out

    @cached_property
    def hottest(self) -> int | None:
        if not self.timed:
            return 0 if self.n else None
        return int(np.nanargmax(self.avg_ms))

    def edge_tensor(self, p: int, i: int) -> dict[str, Any] | None:
        """The tensor record layer ``p`` writes and layer ``i`` reads (None when unknown)."""
        out_names = {t.get("name") for t in self.outputs[p] if isinstance(t, dict)}
        for t in self.inputs[i]:
            if isinstance(t, dict) and t.get("name") in out_names:
                return dict(t)
        return None

    # ------------------------------------------------------------------------------------------- search
    def search(self, needle: str, limit: int = 50) -> list[int]:
        """Positions of layers whose name contains ``needle`` (case-insensitive), slowest first."""
        low = needle.strip().lower()
        if not low:
            return []
        hits = [i for i, nm in enumerate(self._lower) if low in nm]
        times = self.avg_ms
        hits.sort(key=lambda i: (-(times[i] if not math.isnan(times[i]) else -1.0), i))
        return hits[:limit]

    def positions_of(self, layer_indices: Any) -> list[int]:
        """Positions (0..n-1) of ``layer_index`` values, unknown ones dropped."""
        pos = {li: i for i, li in enumerate(self.layer_index)}
        return [pos[int(li)] for li in layer_indices if int(li) in pos]

    # -------------------------------------------------------------------------------------------- facts
    def time_text(self, ms: float) -> str:
        if math.isnan(ms):
            return "not profiled"
        share = f" \u00b7 {100 * ms / self.total_ms:.1f}%" if self.total_ms and self.total_ms > 0 else ""
        return f"{ms:.4f} ms{share}"

    def precision_text(self, i: int) -> str:
        a, b = self.in_precision[i] or self.precision[i], self.out_precision[i]
        if not a and not b:
            return "precision ?"
        return a if a == b or not b else f"{a or '?'}\u2192{b}"

    def details(self, i: int) -> dict[str, Any]:
        """Everything the details panel shows for one layer (plain data)."""
        t = float(self.avg_ms[i])
        preds = self.src[self.dst == i].tolist()
        succs = self.dst[self.src == i].tolist()
        return {
            "layer_index": self.layer_index[i],
            "name": self.names[i],
            "layer_type": self.layer_type[i],
            "kind": "Q/DQ" if self.is_qdq[i] else ("reformat" if self.is_reformat[i] else "compute"),
            "precision": self.precision[i],
            "precision_io": self.precision_text(i),
            "avg_ms": None if math.isnan(t) else t,
            "share_pct": None if math.isnan(t) or not self.total_ms else 100 * t / self.total_ms,
            "tactic": self.tactic[i],
            "format": f"{self.in_format[i] or '?'} -> {self.out_format[i] or '?'}",
            "source_nodes": list(self.sources[i]),
            "inputs": [tensor_text(t) for t in self.inputs[i]],
            "outputs": [tensor_text(t) for t in self.outputs[i]],
            "producers": [self.names[p] for p in preds] if not self.edges_inferred else [],
            "consumers": [self.names[s] for s in succs] if not self.edges_inferred else [],
        }

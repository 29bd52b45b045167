"""The engine graph behind the dashboard's graph views: nodes = engine layers, edges = tensors.

:class:`GraphModel` is built ONCE per engine (cached by the registry): plain per-layer lists, the directed
tensor edges (from the ``producers`` column of detailed layer information) and an undirected adjacency for
neighbourhood search. A view never sends every layer of a big engine to the browser: :meth:`GraphModel.view`
picks at most ``limit`` layers around focus layers (breadth-first over tensor edges), lays them out in
layers of a DAG (longest-path ranks, barycentre ordering) and returns the node and edge frames that
:func:`trtinspect.render.plots.fig_engine_graph` draws.

Names-only sources (profile tables, logs without detailed layer information) carry no tensor edges: the
layers are then chained in execution order and the view says so (``edges_inferred``).
"""

from __future__ import annotations

import html
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from trtinspect.parsers.model import EngineBundle

DEFAULT_LIMIT = 150  # most layers one graph view sends to the browser
LABEL_LIMIT = 70  # text labels beside nodes only up to this many nodes
HOVER_SOURCES = 12  # fused source ops listed in a hover before "... and N more"


@dataclass(frozen=True)
class GraphView:
    """What one graph request shows: node and edge frames plus a one-line description."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    shown: int
    total: int
    description: str
    height: int

    @property
    def show_labels(self) -> bool:
        return self.shown <= LABEL_LIMIT


def as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return []
    try:
        return list(value)
    except TypeError:
        return [value]


def _text(value: Any, default: str = "") -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value)


def short_label(name: str, width: int = 34) -> str:
    """A node label: the last fused source op of a long fused name, shortened."""
    parts = name.split(" + ")
    text = parts[-1] if len(parts) > 1 else name
    if len(parts) > 2:
        text = f"{parts[0].split('.')[0]}..{text}"
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _tensor_text(t: Any) -> str:
    if not isinstance(t, dict):
        return html.escape(str(t))
    shape = t.get("shape")
    shape_txt = "x".join(str(s) for s in shape) if isinstance(shape, (list, tuple)) else _text(shape, "?")
    parts = [
        html.escape(_text(t.get("name"), "?")),
        f"[{shape_txt}]",
        html.escape(_text(t.get("format"))),
        html.escape(_text(t.get("dtype"))),
    ]
    return " ".join(p for p in parts if p)


class GraphModel:
    """Per-layer facts and tensor edges of one engine, read once from ``bundle.layer_times()``."""

    def __init__(self, bundle: EngineBundle) -> None:
        lt = bundle.layer_times()
        self.n = len(lt)
        self.names: list[str] = [str(x) for x in lt["name"].tolist()]
        self.layer_type = [_text(x) for x in lt["layer_type"].tolist()]
        self.precision = [_text(x) for x in lt["precision"].tolist()]
        self.tactic = [_text(x) for x in lt["tactic_name"].tolist()]
        self.in_format = [_text(x) for x in lt["input_format"].tolist()]
        self.out_format = [_text(x) for x in lt["output_format"].tolist()]
        self.sources = [[str(s) for s in as_list(x)] for x in lt["source_nodes"].tolist()]
        self.inputs = [as_list(x) for x in lt["inputs"].tolist()]
        self.outputs = [as_list(x) for x in lt["outputs"].tolist()]
        self.avg_ms = [float(x) if not pd.isna(x) else math.nan for x in lt["avg_ms"].tolist()]
        timed = [t for t in self.avg_ms if not math.isnan(t)]
        self.total_ms = math.fsum(timed)
        index = [int(x) for x in lt["layer_index"].tolist()]
        pos = {li: i for i, li in enumerate(index)}
        self.layer_index = index
        self.preds: list[list[int]] = [[] for _ in range(self.n)]
        for i, producers in enumerate(lt["producers"].tolist()):
            for p in as_list(producers):
                j = pos.get(int(p))
                if j is not None and j != i:
                    self.preds[i].append(j)
        self.edges_inferred = self.n > 1 and not any(self.preds)
        if self.edges_inferred:
            self.preds = [[i - 1] if i else [] for i in range(self.n)]
        self.succs: list[list[int]] = [[] for _ in range(self.n)]
        for i, ps in enumerate(self.preds):
            for p in ps:
                self.succs[p].append(i)
        order = sorted(
            range(self.n), key=lambda i: (-self.avg_ms[i] if not math.isnan(self.avg_ms[i]) else math.inf, i)
        )
        self.hottest = order[0] if order else None
        self._lower = [nm.lower() for nm in self.names]

    # ------------------------------------------------------------------------------------------- search
    def search(self, text: str, limit: int = 20) -> list[int]:
        """Positions of layers whose name contains ``text`` (case-insensitive), slowest first."""
        needle = text.strip().lower()
        if not needle:
            return []
        hits = [i for i, nm in enumerate(self._lower) if needle in nm]
        hits.sort(key=lambda i: (-(self.avg_ms[i] if not math.isnan(self.avg_ms[i]) else -1.0), i))
        return hits[:limit]

    def positions_of(self, layer_indices: Iterable[int]) -> list[int]:
        """Positions (0..n-1) of ``layer_index`` values, unknown ones dropped."""
        pos = {li: i for i, li in enumerate(self.layer_index)}
        return [pos[int(li)] for li in layer_indices if int(li) in pos]

    def neighbourhood(self, focus: Sequence[int], limit: int) -> list[int]:
        """At most ``limit`` positions: ``focus`` first, then breadth-first over tensor edges."""
        if self.n <= limit:
            return list(range(self.n))
        seen: set[int] = set()
        queue: deque[int] = deque()
        for f in focus:
            if 0 <= f < self.n and f not in seen:
                seen.add(f)
                queue.append(f)
        if not seen and self.n:
            start = self.hottest if self.hottest is not None else 0
            seen.add(start)
            queue.append(start)
        lo, hi = min(seen) - 1, max(seen) + 1
        while len(seen) < limit:
            if not queue:  # component exhausted: continue with the nearest layers in execution order
                while lo >= 0 and lo in seen:
                    lo -= 1
                while hi < self.n and hi in seen:
                    hi += 1
                nxt = hi if lo < 0 or (hi < self.n and hi - max(seen) <= min(seen) - lo) else lo
                if not 0 <= nxt < self.n:
                    break
                seen.add(nxt)
                queue.append(nxt)
                continue
            i = queue.popleft()
            for j in sorted(set(self.preds[i]) | set(self.succs[i])):
                if j not in seen:
                    seen.add(j)
                    queue.append(j)
                    if len(seen) >= limit:
                        break
        return sorted(seen)

    # ------------------------------------------------------------------------------------------- layout
    def layout(self, shown: Sequence[int]) -> dict[int, tuple[float, float]]:
        """(x, y) per shown position: rank = longest path from a shown source, barycentre order per rank."""
        in_view = set(shown)
        rank: dict[int, int] = {}
        for i in sorted(shown):
            ps = [p for p in self.preds[i] if p in in_view and p in rank]
            rank[i] = max((rank[p] + 1 for p in ps), default=0)
        by_rank: dict[int, list[int]] = {}
        for i in sorted(shown):
            by_rank.setdefault(rank[i], []).append(i)
        xy: dict[int, tuple[float, float]] = {}
        for r in sorted(by_rank):
            members = by_rank[r]

            def bary(i: int) -> tuple[float, int]:
                xs = [xy[p][0] for p in self.preds[i] if p in xy]
                return (sum(xs) / len(xs) if xs else 0.0, i)

            members.sort(key=bary)
            width = len(members)
            for k, i in enumerate(members):
                xy[i] = (k - (width - 1) / 2, -float(r))
        return xy

    # --------------------------------------------------------------------------------------------- hover
    def hover(self, i: int, extra: str = "") -> str:
        t = self.avg_ms[i]
        share = f" ({100 * t / self.total_ms:.1f}%)" if self.total_ms > 0 and not math.isnan(t) else ""
        time_txt = f"{t:.4f} ms{share}" if not math.isnan(t) else "not profiled"
        src = self.sources[i]
        src_txt = ", ".join(html.escape(s) for s in src[:HOVER_SOURCES])
        if len(src) > HOVER_SOURCES:
            src_txt += f" \u2026 and {len(src) - HOVER_SOURCES} more"
        lines = [
            f"<b>{html.escape(self.names[i][:120])}</b>",
            f"#{self.layer_index[i]} {html.escape(self.layer_type[i] or '?')} \u00b7 "
            f"{html.escape(self.precision[i] or '?')} \u00b7 {time_txt}",
        ]
        if src_txt:
            lines.append(f"fused source ops: {src_txt}")
        if self.tactic[i]:
            lines.append(f"tactic: {html.escape(self.tactic[i][:100])}")
        if self.in_format[i] or self.out_format[i]:
            lines.append(
                f"format: {html.escape(self.in_format[i] or '?')} \u2192 "
                f"{html.escape(self.out_format[i] or '?')}"
            )
        if extra:
            lines.append(extra)
        return "<br>".join(lines)

    def details(self, i: int) -> dict[str, Any]:
        """Everything the click panel shows for one layer (plain data)."""
        t = self.avg_ms[i]
        return {
            "layer_index": self.layer_index[i],
            "name": self.names[i],
            "layer_type": self.layer_type[i],
            "precision": self.precision[i],
            "avg_ms": None if math.isnan(t) else t,
            "share_pct": None if math.isnan(t) or self.total_ms <= 0 else 100 * t / self.total_ms,
            "tactic": self.tactic[i],
            "format": f"{self.in_format[i] or '?'} -> {self.out_format[i] or '?'}",
            "source_nodes": list(self.sources[i]),
            "inputs": [_tensor_text(t) for t in self.inputs[i]],
            "outputs": [_tensor_text(t) for t in self.outputs[i]],
            "producers": [self.names[p] for p in self.preds[i]] if not self.edges_inferred else [],
            "consumers": [self.names[s] for s in self.succs[i]] if not self.edges_inferred else [],
        }

    def _edge_tensor(self, p: int, i: int) -> str:
        out_names = {t.get("name") for t in self.outputs[p] if isinstance(t, dict)}
        for t in self.inputs[i]:
            if isinstance(t, dict) and t.get("name") in out_names:
                return _tensor_text(t)
        return ""

    # ---------------------------------------------------------------------------------------------- view
    def view(
        self,
        *,
        focus: Sequence[int] = (),
        highlight: Iterable[int] = (),
        limit: int = DEFAULT_LIMIT,
        extra_hover: dict[int, str] | None = None,
    ) -> GraphView:
        """Nodes/edges frames of the bounded view around ``focus`` (positions), ``highlight`` marked."""
        shown = self.neighbourhood(focus, limit)
        xy = self.layout(shown)
        hi = set(highlight)
        extra_hover = extra_hover or {}
        nodes = pd.DataFrame(
            {
                "layer_index": [self.layer_index[i] for i in shown],
                "x": [xy[i][0] for i in shown],
                "y": [xy[i][1] for i in shown],
                "label": [short_label(self.names[i]) for i in shown],
                "hover": [self.hover(i, extra_hover.get(i, "")) for i in shown],
                "precision": pd.Series([self.precision[i] or "(unknown)" for i in shown], dtype="string"),
                "layer_type": pd.Series([self.layer_type[i] or "(unknown)" for i in shown], dtype="string"),
                "avg_ms": pd.Series([self.avg_ms[i] for i in shown], dtype="float64"),
                "highlight": [i in hi for i in shown],
            }
        )
        rows = []
        in_view = set(shown)
        for i in shown:
            for p in self.preds[i]:
                if p in in_view:
                    tensor = "" if self.edges_inferred else self._edge_tensor(p, i)
                    hover = (tensor or "(execution order)") if self.edges_inferred else (tensor or "tensor")
                    rows.append(
                        {"x0": xy[p][0], "y0": xy[p][1], "x1": xy[i][0], "y1": xy[i][1], "hover": hover}
                    )
        edges = pd.DataFrame(rows, columns=["x0", "y0", "x1", "y1", "hover"])
        ranks = len({y for _, y in xy.values()})
        height = int(min(1000, max(450, 34 * ranks + 80)))
        what = (
            "no tensor edges in this source: layers chained in execution order"
            if self.edges_inferred
            else "edges are tensors"
        )
        if len(shown) < self.n:
            desc = (
                f"Showing {len(shown)} of {self.n} layers around the focus layer(s); {what}. Search a layer "
                "name or select a finding to move the view."
            )
        else:
            desc = f"All {self.n} layers; {what}."
        return GraphView(
            nodes=nodes, edges=edges, shown=len(shown), total=self.n, description=desc, height=height
        )

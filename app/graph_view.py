"""One view of an engine graph as dash-cytoscape elements: the visible units and collapsed groups of a
:class:`~trtinspect.app.graph.GraphModel`, laid out on the server (:mod:`trtinspect.app.graph_layout`).

Every node is a box with three lines: a short name, ``type \u00b7 precision in\u2192out`` and the profiled time
with its share of the per-layer total; a collapsed group shows its layer count, precision mix and summed time.
Q/DQ layers are hexagons, reformats dashed cut-corner boxes, groups double-bordered. Edges are tensors (shape
and datatype as a label when zoomed in, the full record on hover); an edge between groups stands for every
tensor between them. The browser gets positions (cytoscape ``preset`` layout) and never lays anything out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trtinspect.app.graph import GraphModel, clip, tensor_short, tensor_text
from trtinspect.app.graph_layout import Layout, layered_layout
from trtinspect.app.graph_tree import Item, Tree

COLOR_BY = ("precision", "layer_type", "latency")
MAX_VISIBLE = 400  # most boxes one view draws; expanding beyond says "collapse something first"
LAYER_BOX = (246.0, 60.0)
GROUP_BOX = (262.0, 66.0)
GROUP_MARK = "\u25b8"  # a collapsed group: click to expand
# fill (light, keeps black text readable) per compute precision
PRECISION_COLORS: dict[str, str] = {
    "FP32": "#bfdbfe",
    "TF32": "#c7d2fe",
    "FP16": "#bbf7d0",
    "BF16": "#99f6e4",
    "INT8": "#fed7aa",
    "FP8": "#e9d5ff",
    "FP4": "#fbcfe8",
    "INT4": "#fecaca",
    "INT32": "#fef08a",
    "INT64": "#fde68a",
    "BOOL": "#e5e7eb",
    "mixed": "#d1d5db",
}
UNKNOWN_COLOR = "#f3f4f6"
TYPE_PALETTE = (
    "#bfdbfe", "#bbf7d0", "#fed7aa", "#e9d5ff", "#fecaca", "#fef08a", "#99f6e4", "#fbcfe8",
    "#c7d2fe", "#d9f99d", "#fde68a", "#a5f3fc",
)  # fmt: skip
LATENCY_RAMP = ("#fff7ed", "#fed7aa", "#fdba74", "#fb923c", "#f87171")
SPECIAL_TYPES = {"Q/DQ": "#e5e7eb", "reformat": "#f3f4f6"}


@dataclass
class GraphElements:
    """What the browser draws for one view, and what the page says about it."""

    elements: list[dict[str, Any]]
    legend: list[tuple[str, str]]
    description: str
    visible: list[Item]
    expanded: list[int]
    hits_visible: list[str] = field(default_factory=list)  # node ids holding highlighted units
    width: float = 0.0
    height: float = 0.0

    @property
    def node_ids(self) -> list[str]:
        return [e["data"]["id"] for e in self.elements if "source" not in e["data"]]


def node_id(item: Item) -> str:
    return f"{item[0]}{item[1]}"


def _ramp(t: float) -> str:
    k = min(len(LATENCY_RAMP) - 1, max(0, round(t * (len(LATENCY_RAMP) - 1))))
    return LATENCY_RAMP[k]


def type_color(t: str) -> str:
    if t in SPECIAL_TYPES:
        return SPECIAL_TYPES[t]
    if not t:
        return UNKNOWN_COLOR
    return TYPE_PALETTE[sum(map(ord, t)) % len(TYPE_PALETTE)]


def unit_kind(g: GraphModel, i: int) -> str:
    return "Q/DQ" if g.is_qdq[i] else ("reformat" if g.is_reformat[i] else "layer")


def _mix(counter: Counter[str], limit: int = 3) -> str:
    parts = [f"{k} \u00d7{v}" for k, v in counter.most_common(limit)]
    if len(counter) > limit:
        parts.append("\u2026")
    return " \u00b7 ".join(parts)


class _Facts:
    """Per visible item: colour keys, label lines, time."""

    def __init__(self, g: GraphModel, tree: Tree) -> None:
        self.g = g
        self.tree = tree

    def ms(self, item: Item) -> float:
        kind, i = item
        if kind == "u":
            return float(self.g.avg_ms[i])
        units = self.tree.groups[i].units
        vals = self.g.avg_ms[units]
        return float(np.nansum(vals)) if not np.isnan(vals).all() else math.nan

    def precision_key(self, item: Item) -> str:
        kind, i = item
        g = self.g
        if kind == "u":
            return g.precision[i] or "(unknown)"
        units = [u for u in self.tree.groups[i].units.tolist() if not (g.is_qdq[u] or g.is_reformat[u])]
        units = units or self.tree.groups[i].units.tolist()
        weight: dict[str, float] = {}
        for u in units:
            t = g.avg_ms[u]
            key = g.precision[u] or "(unknown)"
            weight[key] = weight.get(key, 0.0) + (1e-9 if math.isnan(t) else float(t) + 1e-9)
        return max(weight, key=lambda k: weight[k])

    def type_key(self, item: Item) -> str:
        kind, i = item
        if kind == "u":
            k = unit_kind(self.g, i)
            return k if k != "layer" else (self.g.layer_type[i] or "(unknown)")
        types = Counter(self.g.layer_type[u] or "(unknown)" for u in self.tree.groups[i].units.tolist())
        return types.most_common(1)[0][0]

    def lines(self, item: Item) -> tuple[str, str, str]:
        """(first line, second line, full name/description for hover)."""
        g = self.g
        kind, i = item
        ms = self.ms(item)
        if kind == "u":
            k = unit_kind(g, i)
            tag = {"Q/DQ": "Q/DQ \u00b7 ", "reformat": "reformat \u00b7 "}.get(k, "")
            first = g.labels[i]
            second = f"{tag}{clip(g.layer_type[i] or '?', 18)} \u00b7 {g.precision_text(i)}"
            return first, second + "\n" + g.time_text(ms), g.names[i]
        grp = self.tree.groups[i]
        units = grp.units.tolist()
        prec: Counter[str] = Counter()
        special = 0
        for u in units:
            if g.is_qdq[u] or g.is_reformat[u]:
                special += 1
            else:
                prec[g.precision[u] or "?"] += 1
        mix = _mix(prec, 2) + (f" \u00b7 +{special} Q/DQ/reformat" if special else "")
        first = f"{GROUP_MARK} {clip(grp.label, 24)} ({len(units)} layers)"
        what = "chunk of the engine" if grp.chunk else "module"
        return first, clip(mix, 40) + "\n" + g.time_text(ms), f"{what} {grp.label}: {len(units)} layers"


def legend_for(color_by: str, keys: Iterable[str]) -> list[tuple[str, str]]:
    if color_by == "latency":
        return [
            ("fastest shown", LATENCY_RAMP[0]),
            ("", LATENCY_RAMP[2]),
            ("slowest shown", LATENCY_RAMP[-1]),
            ("not profiled", UNKNOWN_COLOR),
        ]
    seen = sorted(set(keys))
    pick = (lambda k: PRECISION_COLORS.get(k, UNKNOWN_COLOR)) if color_by == "precision" else type_color
    return [(k, pick(k)) for k in seen]


def segments(sx: float, sy: float, tx: float, ty: float, pts: Sequence[tuple[float, float]]) -> tuple[str, str]:
    """cytoscape ``segment-distances`` / ``segment-weights`` through ``pts`` (edge-distances: node-position)."""
    dx, dy = tx - sx, ty - sy
    length2 = dx * dx + dy * dy or 1.0
    length = math.sqrt(length2)
    dist, wts = [], []
    for px, py in pts:
        wx, wy = px - sx, py - sy
        wts.append((wx * dx + wy * dy) / length2)
        dist.append((wy * dx - wx * dy) / length)
    return " ".join(f"{d:.1f}" for d in dist), " ".join(f"{w:.4f}" for w in wts)


def engine_elements(
    g: GraphModel,
    expanded: Iterable[int],
    color_by: str = "precision",
    highlight: Iterable[int] = (),
) -> GraphElements:
    """Elements of the view with ``expanded`` groups open, colours by ``color_by``, ``highlight`` units marked."""
    tree = g.tree
    open_set = {int(x) for x in expanded if 0 < int(x) < len(tree.groups)}
    visible = tree.visible(open_set)
    facts = _Facts(g, tree)
    hi = np.zeros(g.n, dtype=bool)
    hl = [h for h in highlight if 0 <= h < g.n]
    hi[hl] = True
    edges, counts, e_src, e_dst = _visible_edges(g, visible)
    sizes = [GROUP_BOX if k == "g" else LAYER_BOX for k, _ in visible]
    key = [float(i if k == "u" else tree.groups[i].units[0]) for k, i in visible]
    lay = layered_layout([s[0] for s in sizes], [s[1] for s in sizes], key, edges)
    ms = [facts.ms(it) for it in visible]
    finite = [m for m in ms if not math.isnan(m)]
    top = max(finite) if finite else 0.0
    elements: list[dict[str, Any]] = []
    keys: list[str] = []
    hits_visible = []
    for idx, item in enumerate(visible):
        color, ckey = _node_color(facts, item, color_by, ms[idx], top)
        keys.append(ckey)
        element, hit = _node_element(g, facts, item, hi, color, sizes[idx], (lay.x[idx], lay.y[idx]))
        if hit:
            hits_visible.append(node_id(item))
        elements.append(element)
    for k, (a, b) in enumerate(edges):
        elements.append(_edge_element(g, visible, lay, k, (a, b), int(counts[k]), (int(e_src[k]), int(e_dst[k]))))
    return GraphElements(
        elements,
        legend_for(color_by, keys),
        _view_description(g, visible),
        visible,
        sorted(open_set),
        hits_visible,
        lay.width,
        lay.height,
    )


def _visible_edges(
    g: GraphModel, visible: list[Item]
) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray, np.ndarray]:
    """Edges between visible items, one per pair: (pairs of visible indices, tensors per pair, and one
    representative tensor's source and destination unit per pair)."""
    vis_of = g.tree.unit_to_visible(visible)
    vs, vd = vis_of[g.src], vis_of[g.dst]
    keep = vs != vd
    n_vis = max(1, len(visible))
    pair = vs[keep] * n_vis + vd[keep]
    uniq, first, counts = np.unique(pair, return_index=True, return_counts=True)
    e_src, e_dst = g.src[keep][first], g.dst[keep][first]
    edges = [(int(p // n_vis), int(p % n_vis)) for p in uniq]
    return edges, counts, e_src, e_dst


def _node_color(facts: _Facts, item: Item, color_by: str, m: float, top: float) -> tuple[str, str]:
    """(fill colour, legend key) of a visible item; latency colours have no key (the legend is a ramp)."""
    if color_by == "latency":
        return (UNKNOWN_COLOR if math.isnan(m) else _ramp(math.sqrt(m / top) if top > 0 else 0.0)), ""
    if color_by == "layer_type":
        ckey = facts.type_key(item)
        return type_color(ckey), ckey
    ckey = facts.precision_key(item)
    return PRECISION_COLORS.get(ckey, UNKNOWN_COLOR), ckey


def _node_element(
    g: GraphModel,
    facts: _Facts,
    item: Item,
    hi: np.ndarray,
    color: str,
    size: tuple[float, float],
    pos: tuple[float, float],
) -> tuple[dict[str, Any], bool]:
    """The cytoscape node of a visible item, and whether it holds highlighted units."""
    kind, i = item
    first_line, rest, full = facts.lines(item)
    classes = ["group"] if kind == "g" else ["layer"]
    if kind == "u" and g.is_qdq[i]:
        classes.append("qdq")
    elif kind == "u" and g.is_reformat[i]:
        classes.append("reformat")
    n_hits = int(hi[g.tree.groups[i].units].sum()) if kind == "g" else int(hi[i])
    label = f"{first_line}\n{rest}"
    if n_hits:
        classes.append("hit")
        if kind == "g":
            label += f"\n\u25cf {n_hits} marked inside"
    data: dict[str, Any] = {
        "id": node_id(item),
        "label": label,
        "full": full,
        "kind": "group" if kind == "g" else "layer",
        "color": color,
        "w": size[0],
        "h": size[1] + (14 if kind == "g" and n_hits else 0),
    }
    if kind == "u":
        data["layer_index"] = g.layer_index[i]
    else:
        data["group"] = i
    element = {
        "data": data,
        "position": {"x": round(pos[0], 1), "y": round(pos[1], 1)},
        "classes": " ".join(classes),
    }
    return element, bool(n_hits)


def _edge_element(
    g: GraphModel,
    visible: list[Item],
    lay: Layout,
    k: int,
    ends: tuple[int, int],
    n_t: int,
    tensor: tuple[int, int],
) -> dict[str, Any]:
    """The cytoscape edge ``k`` of the layout between visible items ``ends``, standing for ``n_t`` tensors
    (one of them from unit ``tensor[0]`` to unit ``tensor[1]``)."""
    a, b = ends
    t = None if g.edges_inferred else g.edge_tensor(*tensor)
    if g.edges_inferred:
        hover, short = "execution order (no tensor information in this source)", ""
    elif n_t > 1:
        hover = f"{n_t} tensors, e.g. {tensor_text(t)}" if t else f"{n_t} tensors"
        short = f"{n_t} tensors"
    else:
        hover, short = (tensor_text(t), tensor_short(t)) if t else ("tensor", "")
    data = {
        "id": f"e{node_id(visible[a])}-{node_id(visible[b])}",
        "source": node_id(visible[a]),
        "target": node_id(visible[b]),
        "label": short,
        "full": hover,
        "width": round(1.4 + min(3.0, math.log2(n_t)), 2),
    }
    edge_classes = "inferred" if g.edges_inferred else ""
    pts = lay.points[k]
    if pts:
        data["sd"], data["sw"] = segments(lay.x[a], lay.y[a], lay.x[b], lay.y[b], pts)
        edge_classes += " bent"
    return {"data": data, "classes": edge_classes.strip()}


def _view_description(g: GraphModel, visible: list[Item]) -> str:
    """What the view shows: layers drawn, layers inside collapsed groups, what edges mean."""
    n_layers = sum(1 for k, _ in visible if k == "u")
    n_groups = len(visible) - n_layers
    what = (
        "no tensor edges in this source: layers chained in execution order"
        if g.edges_inferred
        else "edges are tensors"
    )
    grouping = "ONNX module" if g.tree.by_module else "execution-order chunk"
    return (
        f"{g.n} layers: {n_layers} shown as layers, {g.n - n_layers} inside {n_groups} collapsed groups "
        f"(by {grouping}; click a group to expand it); {what}."
        if n_groups
        else f"All {g.n} layers; {what}."
    )


STYLESHEET: list[dict[str, Any]] = [
    {
        "selector": "node",
        "style": {
            "shape": "round-rectangle",
            "width": "data(w)",
            "height": "data(h)",
            "background-color": "data(color)",
            "border-color": "#4b5563",
            "border-width": 1.2,
            "label": "data(label)",
            "text-wrap": "wrap",
            "text-max-width": "data(w)",
            "text-valign": "center",
            "text-halign": "center",
            "font-size": 13,
            "font-family": "DejaVu Sans, Arial, sans-serif",
            "line-height": 1.25,
            "color": "#111827",
        },
    },
    {"selector": "node.group", "style": {"border-width": 4, "border-style": "double", "font-weight": "bold"}},
    {"selector": "node.qdq", "style": {"shape": "hexagon", "border-color": "#7c3aed", "border-width": 2}},
    {
        "selector": "node.reformat",
        "style": {"shape": "cut-rectangle", "border-style": "dashed", "border-width": 2, "border-color": "#6b7280"},
    },
    {"selector": "node.hit", "style": {"border-color": "#dc2626", "border-width": 5}},
    {"selector": "node:selected", "style": {"border-color": "#2563eb", "border-width": 5}},
    {
        "selector": "edge",
        "style": {
            "width": "data(width)",
            "line-color": "#9ca3af",
            "target-arrow-color": "#9ca3af",
            "target-arrow-shape": "triangle",
            "arrow-scale": 0.9,
            "curve-style": "straight",
            "label": "data(label)",
            "font-size": 10,
            "color": "#4b5563",
            "text-background-color": "#ffffff",
            "text-background-opacity": 0.9,
            "text-background-padding": 1,
            "min-zoomed-font-size": 9,
        },
    },
    {
        "selector": "edge.bent",
        "style": {
            "curve-style": "segments",
            "segment-distances": "data(sd)",
            "segment-weights": "data(sw)",
            "edge-distances": "node-position",
        },
    },
    {"selector": "edge.inferred", "style": {"line-style": "dashed"}},
    {"selector": "edge:selected", "style": {"line-color": "#2563eb", "target-arrow-color": "#2563eb"}},
]

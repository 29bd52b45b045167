"""The Diff page's graph: engines A and B side by side, ALIGNED group by group.

The units are the diff's aligned fusion groups (``DiffResult.groups``). Their edges are the tensor edges of
both engines mapped onto groups; they are grouped into collapsible modules like an engine graph
(:mod:`trtinspect.app.graph_tree`) and laid out ONCE, so a group of A and its counterpart in B sit on the same
row: A on the left, B on the right. A group present on one side only has a box on that side only.

Only groups that changed BEYOND NOISE are marked (border colour, delta on the box): a precision change, or a
time change that passes all of ``trtinspect check``'s per-group rules with its default thresholds (relative
change >= ``group_threshold``, absolute change >= ``floor_ms``, group >= ``min_share`` of the per-layer
total). One profile per side carries no run-to-run spread, so these fixed floors stand in for noise; the page
says so. A collapsed module is marked when a group inside it is, with the count and the summed delta.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trtinspect.app.graph import GraphModel, as_list, clip, text
from trtinspect.app.graph_layout import Layout, layered_layout
from trtinspect.app.graph_tree import Item, Tree, build_tree, module_path
from trtinspect.app.graph_view import GROUP_BOX, GROUP_MARK, LAYER_BOX, PRECISION_COLORS, UNKNOWN_COLOR, segments
from trtinspect.inspector.check import Thresholds

SIDE_GAP = 140.0  # px between the A column and the B column


@dataclass
class DiffGraph:
    """Group facts of one diff plus its group tree (built once per pair, cached by the callbacks)."""

    gids: list[int]  # group_id per unit position
    labels: list[str]
    a_ms: np.ndarray
    b_ms: np.ndarray
    a_prec: list[str]
    b_prec: list[str]
    has_a: np.ndarray
    has_b: np.ndarray
    kind: list[str]
    marked: np.ndarray  # changed beyond noise
    why: list[str]  # "" | "slower" | "faster" | "precision" | "added" | "removed"
    edges: dict[str, tuple[np.ndarray, np.ndarray]]  # side -> (src unit, dst unit)
    tree: Tree
    rule: str  # the marking rule in words

    @property
    def n(self) -> int:
        return len(self.gids)


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f if math.isfinite(f) else math.nan


def build_diff_graph(result: Any, ga: GraphModel, gb: GraphModel, t: Thresholds | None = None) -> DiffGraph:
    t = t or Thresholds()
    groups = result.groups.sort_values("group_id", kind="stable").reset_index(drop=True)
    gids = [int(x) for x in groups["group_id"].tolist()]
    unit_of = {g: i for i, g in enumerate(gids)}
    a_ms = np.array([_num(x) for x in groups["a_ms"].tolist()])
    b_ms = np.array([_num(x) for x in groups["b_ms"].tolist()])
    a_layers = [as_list(x) for x in groups["a_layers"].tolist()]
    b_layers = [as_list(x) for x in groups["b_layers"].tolist()]
    has_a = np.array([bool(x) for x in a_layers])
    has_b = np.array([bool(x) for x in b_layers])
    a_prec = [text(x) for x in groups["a_precision"].tolist()]
    b_prec = [text(x) for x in groups["b_precision"].tolist()]
    kind = [str(x) for x in groups["kind"].tolist()]
    total_a = float(np.nansum(a_ms[has_a])) if has_a.any() else 0.0
    total_b = float(np.nansum(b_ms[has_b])) if has_b.any() else 0.0
    total = max(total_a, total_b)
    marked = np.zeros(len(gids), dtype=bool)
    why = [""] * len(gids)
    for i in range(len(gids)):
        if has_a[i] and has_b[i] and a_prec[i] and b_prec[i] and a_prec[i] != b_prec[i]:
            marked[i], why[i] = True, "precision"
            continue
        a, b = a_ms[i], b_ms[i]
        if not has_a[i] or not has_b[i]:
            present = b if not has_a[i] else a
            if not math.isnan(present) and present >= t.floor_ms and total > 0 and present / total >= t.min_share:
                marked[i], why[i] = True, "added" if not has_a[i] else "removed"
            continue
        if math.isnan(a) or math.isnan(b) or a <= 0:
            continue
        delta = b - a
        share = max(a, b) / total if total > 0 else 0.0
        if abs(delta) / a >= t.group_threshold and abs(delta) >= t.floor_ms and share >= t.min_share:
            marked[i], why[i] = True, "slower" if delta > 0 else "faster"
    # unit edges per side: layer edges mapped to groups
    m = result.alignment.members
    edges: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for side, g in (("A", ga), ("B", gb)):
        ms = m[m["side"] == side]
        of_layer = dict(zip(ms["layer_index"].astype(int).tolist(), ms["group_id"].astype(int).tolist(), strict=True))
        unit_at = np.array([unit_of.get(of_layer.get(li, -1), -1) for li in g.layer_index], dtype=np.int64)
        if len(unit_at):
            s, d = unit_at[g.src], unit_at[g.dst]
            keep = (s >= 0) & (d >= 0) & (s != d)
            edges[side] = (s[keep], d[keep])
        else:
            edges[side] = (np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    # module path of a group: from its first A layer (else B layer)
    paths, attach, names = [], [], []
    for la, lb in zip(a_layers, b_layers, strict=True):
        g, layers = (ga, la) if la else (gb, lb)
        pos = g.positions_of(layers[:1])
        if pos:
            p = pos[0]
            paths.append(module_path(g.sources[p] or g.names[p].split(" + ")))
            attach.append(g.is_qdq[p] or g.is_reformat[p])
            names.append(g.chunk_names[p])
        else:
            paths.append(())
            attach.append(False)
            names.append("?")
    src = np.concatenate([edges["A"][0], edges["B"][0]])
    dst = np.concatenate([edges["A"][1], edges["B"][1]])
    tree = build_tree(paths, attach, names, (src, dst))
    rule = (
        f"marked: precision changed, or time changed by at least {t.group_threshold:.0%} and "
        f"{t.floor_ms:g} ms in a group holding at least {t.min_share:.0%} of the per-layer time (the "
        "per-group rules of `trtinspect check` with its defaults; one profile a side has no run-to-run "
        "spread, so these floors stand in for noise)"
    )
    labels = [str(x) for x in groups["label"].tolist()]
    return DiffGraph(gids, labels, a_ms, b_ms, a_prec, b_prec, has_a, has_b, kind, marked, why, edges, tree, rule)


def _ms(v: float) -> str:
    return "\u2014" if math.isnan(v) else f"{v:.4f} ms"


def _delta(a: float, b: float) -> str:
    if math.isnan(a) or math.isnan(b):
        return ""
    d = b - a
    pct = f" ({100 * d / a:+.0f}%)" if a > 0 else ""
    return f"\u0394 {d:+.4f} ms{pct}"


def diff_elements(
    dg: DiffGraph, expanded: Iterable[int], *, a_label: str, b_label: str, highlight: Iterable[int] = ()
) -> tuple[list[dict[str, Any]], list[Item]]:
    """Elements of the side-by-side view (``highlight``: unit positions of the selected group)."""
    tree = dg.tree
    open_set = {int(x) for x in expanded if 0 < int(x) < len(tree.groups)}
    visible = tree.visible(open_set)
    vis_of = tree.unit_to_visible(visible)
    hi = np.zeros(dg.n, dtype=bool)
    hi[[h for h in highlight if 0 <= h < dg.n]] = True
    side_pairs: dict[str, list[tuple[int, int]]] = {}
    for side, (s, d) in dg.edges.items():
        vs, vd = vis_of[s], vis_of[d]
        keep = vs != vd
        side_pairs[side] = sorted({(int(a), int(b)) for a, b in zip(vs[keep], vd[keep], strict=True)})
    union = sorted(set(side_pairs["A"]) | set(side_pairs["B"]))
    sizes = [GROUP_BOX if k == "g" else LAYER_BOX for k, _ in visible]
    key = [float(i if k == "u" else tree.groups[i].units[0]) for k, i in visible]
    lay = layered_layout([s[0] for s in sizes], [s[1] for s in sizes], key, union)
    offset = {"A": 0.0, "B": lay.width + SIDE_GAP}
    elements: list[dict[str, Any]] = []
    for side, label in (("A", a_label), ("B", b_label)):
        elements.append(
            {
                "data": {"id": f"head{side}", "label": f"{side}: {clip(label, 60)}", "kind": "header"},
                "position": {"x": offset[side] + lay.width / 2, "y": -50.0},
                "classes": "header",
                "selectable": False,
            }
        )
    present: dict[str, set[int]] = {"A": set(), "B": set()}
    for idx, item in enumerate(visible):
        for side in ("A", "B"):
            box = _box(dg, item, side, hi, sizes[idx], (lay.x[idx] + offset[side], lay.y[idx]))
            if box is not None:
                present[side].add(idx)
                elements.append(box)
    index = {pair: k for k, pair in enumerate(union)}
    for side, pairs in side_pairs.items():
        for a, b in pairs:
            if a in present[side] and b in present[side]:
                elements.append(_side_edge(visible, lay, side, (a, b), lay.points[index[(a, b)]], offset[side]))
    return elements, visible


def _box(
    dg: DiffGraph,
    item: Item,
    side: str,
    hi: np.ndarray,
    size: tuple[float, float],
    pos: tuple[float, float],
) -> dict[str, Any] | None:
    """The box of a visible unit or collapsed module on ``side`` ("A"/"B"); None when absent on that side."""
    kind, i = item
    units = np.array([i]) if kind == "u" else dg.tree.groups[i].units
    has = dg.has_a if side == "A" else dg.has_b
    if not has[units].any():
        return None
    n_marked = int(dg.marked[units].sum())
    ms_arr = dg.a_ms if side == "A" else dg.b_ms
    vals = ms_arr[units][has[units]]
    ms = float(np.nansum(vals)) if len(vals) and not np.isnan(vals).all() else math.nan
    classes = ["group" if kind == "g" else "layer"]
    label, prec, why = _box_label(dg, item, units, side, ms)
    if n_marked:
        classes.append(f"mark-{why}")
        if side == "B":
            label += "\n" + _change_line(dg, item, units, why, n_marked)
    if hi[units].any():
        classes.append("hit")
    color = PRECISION_COLORS.get(prec, UNKNOWN_COLOR) if kind == "u" else "#f9fafb"
    return {
        "data": {
            "id": f"{side}{kind}{i}",
            "label": label,
            "full": (dg.labels[i] if kind == "u" else dg.tree.groups[i].label) + f" ({side})",
            "kind": "group" if kind == "g" else "diffgroup",
            "group": i if kind == "g" else None,
            "unit": i if kind == "u" else None,
            "color": color,
            "w": size[0],
            "h": size[1] + (14 if n_marked and side == "B" else 0),
        },
        "position": {"x": round(pos[0], 1), "y": round(pos[1], 1)},
        "classes": " ".join(classes),
    }


def _box_label(dg: DiffGraph, item: Item, units: np.ndarray, side: str, ms: float) -> tuple[str, str, str]:
    """(two-line label, precision for the fill, why it is marked) of a box."""
    kind, i = item
    if kind == "u":
        prec = (dg.a_prec if side == "A" else dg.b_prec)[i]
        return f"{clip(dg.labels[i])}\n{prec or '?'} \u00b7 {_ms(ms)}", prec, dg.why[i]
    grp = dg.tree.groups[i]
    whys = {dg.why[u] for u in units.tolist() if dg.marked[u]}
    why = next(iter(whys)) if len(whys) == 1 else ("mixed" if whys else "")
    return f"{GROUP_MARK} {clip(grp.label, 24)} ({len(units)} groups)\n{_ms(ms)}", "", why


def _change_line(dg: DiffGraph, item: Item, units: np.ndarray, why: str, n_marked: int) -> str:
    """The third line of a marked box on side B: the change (or the summed change inside a module)."""
    kind, i = item
    if kind == "u":
        extra = _delta(float(dg.a_ms[i]), float(dg.b_ms[i])) or why
        if why == "precision":
            change = _delta(float(dg.a_ms[i]), float(dg.b_ms[i]))
            extra = f"{dg.a_prec[i]}\u2192{dg.b_prec[i]} {change}"
        return extra.strip()
    a_all = dg.a_ms[units][dg.has_a[units] & dg.marked[units]]
    b_all = dg.b_ms[units][dg.has_b[units] & dg.marked[units]]
    dsum = float(np.nansum(b_all)) - float(np.nansum(a_all))
    return f"\u25cf {n_marked} changed inside, \u0394 {dsum:+.4f} ms"


def _side_edge(
    visible: list[Item],
    lay: Layout,
    side: str,
    pair: tuple[int, int],
    pts: list[tuple[float, float]],
    off: float,
) -> dict[str, Any]:
    """The edge between visible items ``pair`` on ``side``, bent through the layout's points ``pts``."""
    a, b = pair
    src, dst = visible[a], visible[b]
    data: dict[str, Any] = {
        "id": f"e{side}{src[0]}{src[1]}-{dst[0]}{dst[1]}",
        "source": f"{side}{src[0]}{src[1]}",
        "target": f"{side}{dst[0]}{dst[1]}",
        "label": "",
        "full": f"{side}: tensors between these groups",
        "width": 1.4,
    }
    edge_classes = ""
    if pts:
        data["sd"], data["sw"] = segments(
            lay.x[a] + off, lay.y[a], lay.x[b] + off, lay.y[b], [(x + off, y) for x, y in pts]
        )
        edge_classes = "bent"
    return {"data": data, "classes": edge_classes}


DIFF_STYLES: list[dict[str, Any]] = [
    {
        "selector": "node.header",
        "style": {
            "shape": "round-rectangle",
            "background-opacity": 0,
            "border-width": 0,
            "font-size": 16,
            "font-weight": "bold",
            "width": 400,
            "height": 30,
        },
    },
    {"selector": "node.mark-slower", "style": {"border-color": "#dc2626", "border-width": 5}},
    {"selector": "node.mark-faster", "style": {"border-color": "#16a34a", "border-width": 5}},
    {"selector": "node.mark-precision", "style": {"border-color": "#7c3aed", "border-width": 5}},
    {"selector": "node.mark-mixed", "style": {"border-color": "#b45309", "border-width": 5}},
    {"selector": "node.mark-added", "style": {"border-color": "#0369a1", "border-width": 5, "border-style": "dashed"}},
    {
        "selector": "node.mark-removed",
        "style": {"border-color": "#6b7280", "border-width": 5, "border-style": "dashed"},
    },
    {"selector": "node.hit", "style": {"underlay-color": "#2563eb", "underlay-opacity": 0.25, "underlay-padding": 8}},
]
DIFF_LEGEND = [
    ("slower", "#dc2626"),
    ("faster", "#16a34a"),
    ("precision changed", "#7c3aed"),
    ("added / removed", "#0369a1"),
    ("several kinds inside", "#b45309"),
]

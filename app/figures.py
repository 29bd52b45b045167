"""The dashboard's figures without the dashboard: one call returns the plotly figures its pages draw.

``figures(bundle)`` gives the Engine page's charts (the engine graph with the dashboard's layout, as a static
plotly figure coloured by precision, per-iteration
H2D/compute/D2H, time by layer type and by precision, slowest layers); ``figures(diff_result)`` the Diff page's
(waterfall of group deltas, time by type and by precision, precision changes). They are built by the same page
functions the web app calls, so a notebook and the dashboard show the same thing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from trtinspect.app import pages_diff, pages_engine
from trtinspect.app.graph import GraphModel
from trtinspect.app.graph_view import MAX_VISIBLE, engine_elements
from trtinspect.app.state import Registry
from trtinspect.inspector.diff import DiffResult
from trtinspect.parsers.model import EngineBundle
from trtinspect.render import plots

ENGINE_NAMES = {"iteration-breakdown": "iterations", "top-layers": "top_layers"}


def _graphs(components: Any) -> list[Any]:
    """Every dcc.Graph in a tree of Dash components, in page order."""
    out: list[Any] = []
    stack = [components]
    while stack:
        node = stack.pop(0)
        if isinstance(node, list | tuple):
            stack = list(node) + stack
            continue
        if getattr(node, "figure", None) is not None:
            out.append(node)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack = ([*children] if isinstance(children, list | tuple) else [children]) + stack
    return out


def engine_figures(bundle: EngineBundle, *, color_by: str = "precision") -> dict[str, go.Figure]:
    reg = Registry()
    engine_id = reg.add(bundle)
    out: dict[str, go.Figure] = {}
    out["graph"] = graph_figure(reg.graph(engine_id), color_by=color_by)
    shares = iter(("time_by_type", "time_by_precision"))
    for graph in _graphs(pages_engine.breakdown_figures(reg, engine_id)):
        name = ENGINE_NAMES.get(str(getattr(graph, "id", ""))) or next(shares)
        out[name] = go.Figure(graph.figure)
    return out


def graph_figure(g: GraphModel, *, color_by: str = "precision") -> go.Figure:
    """The dashboard's engine graph as a static plotly figure: the same server-side layout (every layer when
    the engine has at most ``MAX_VISIBLE`` boxes fully expanded, else the collapsed top level)."""
    every = list(range(1, len(g.tree.groups)))
    view = engine_elements(g, every, color_by)
    if len(view.visible) > MAX_VISIBLE:
        view = engine_elements(g, [], color_by)
    tree = g.tree
    rows = []
    pos = {}
    for e in view.elements:
        d = e["data"]
        if "source" in d:
            continue
        pos[d["id"]] = (e["position"]["x"] / 250.0, -e["position"]["y"] / 100.0)
        kind, i = d["id"][0], int(d["id"][1:])
        units = [i] if kind == "u" else tree.groups[i].units.tolist()
        first = units[0]
        rows.append(
            {
                "layer_index": g.layer_index[i] if kind == "u" else -1,
                "x": pos[d["id"]][0],
                "y": pos[d["id"]][1],
                "label": d["label"].split("\n")[0],
                "hover": "<br>".join(plots.plot_text(line) for line in d["label"].split("\n")),
                "precision": g.precision[first] or "(unknown)",
                "layer_type": g.layer_type[first] or "(unknown)",
                "avg_ms": float(g.avg_ms[units].sum()) if not pd.isna(g.avg_ms[units]).all() else float("nan"),
                "highlight": False,
            }
        )
    edges = [
        {
            "x0": pos[e["data"]["source"]][0],
            "y0": pos[e["data"]["source"]][1],
            "x1": pos[e["data"]["target"]][0],
            "y1": pos[e["data"]["target"]][1],
            "hover": plots.plot_text(e["data"]["full"]),
        }
        for e in view.elements
        if "source" in e["data"]
    ]
    nodes = pd.DataFrame(rows)
    nodes["precision"] = nodes["precision"].astype("string")
    nodes["layer_type"] = nodes["layer_type"].astype("string")
    return plots.fig_engine_graph(
        nodes,
        pd.DataFrame(edges, columns=["x0", "y0", "x1", "y1", "hover"]),
        color_by=color_by,
        show_labels=len(nodes) <= 70,
        height=int(min(1200, max(450, 40 * len({r["y"] for r in rows}) + 80))),
        title=view.description,
    )


def diff_figures(result: DiffResult) -> dict[str, go.Figure]:
    return {
        str(g.id).removeprefix("diff-").replace("-", "_"): go.Figure(g.figure)
        for g in _graphs(pages_diff.charts(result))
    }


def figures(obj: EngineBundle | DiffResult, **kwargs: Any) -> dict[str, go.Figure]:
    """The dashboard's figures for an engine bundle or a diff result, by name (see the module docstring)."""
    if isinstance(obj, EngineBundle):
        return engine_figures(obj, **kwargs)
    if isinstance(obj, DiffResult):
        return diff_figures(obj)
    raise TypeError(f"figures() takes an EngineBundle or a DiffResult, not {type(obj).__name__}")

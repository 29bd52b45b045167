"""The dashboard's figures without the dashboard: one call returns the plotly figures its pages draw.

``figures(bundle)`` gives the Engine page's charts (fused graph coloured by precision, per-iteration
H2D/compute/D2H, time by layer type and by precision, slowest layers); ``figures(diff_result)`` the Diff page's
(waterfall of group deltas, time by type and by precision, precision changes). They are built by the same page
functions the web app calls, so a notebook and the dashboard show the same thing.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from trtinspect.app import callbacks, pages_diff, pages_engine
from trtinspect.app.state import Registry
from trtinspect.inspector.diff import DiffResult
from trtinspect.parsers.model import EngineBundle

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
    fig, _ = callbacks.engine_graph(reg, engine_id, color_by, "time", None, None)
    out["graph"] = fig
    shares = iter(("time_by_type", "time_by_precision"))
    for graph in _graphs(pages_engine.breakdown_figures(reg, engine_id)):
        name = ENGINE_NAMES.get(str(getattr(graph, "id", ""))) or next(shares)
        out[name] = go.Figure(graph.figure)
    return out


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

"""The Dash application: :func:`create_app` wires the page router and the callbacks to a :class:`Registry`.

Pages (a URL router, one ``dcc.Location``): ``/`` Engines, ``/engine/<id>`` Engine, ``/diff?a=<id>&b=<id>``
Diff, ``/history`` History. The callbacks themselves are plain functions in ``trtinspect.app.callbacks``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import Response

from trtinspect.app import callbacks as cb
from trtinspect.app.pages_history import HistoryStore
from trtinspect.app.state import DEFAULT_MAX_UPLOAD_MB, MB, Registry
from trtinspect.parsers.bundle import EngineReader

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
# Response headers on every page and callback: no sniffing, no framing by other sites, no referrer leaks.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
}


# Fit the graph to the focus nodes (all when none) once cytoscape has drawn the new elements.
FIT_JS = """
function(focus, clicks) {
    const ctx = window.dash_clientside.callback_context;
    const fromButton = ctx && ctx.triggered ? ctx.triggered.some(t => t.prop_id.endsWith('.n_clicks')) : false;
    const want = (focus && focus.n_nodes) || 0;
    let tries = 0;
    const fit = () => {
        const el = document.getElementById('GRAPH_ID');
        const cy = el && el._cyreg && el._cyreg.cy;
        tries += 1;
        if (!cy || cy.nodes().length === 0 || (!fromButton && want && cy.nodes().length !== want)) {
            if (tries < 40) { setTimeout(fit, 100); }
            return;
        }
        const ids = (!fromButton && focus && focus.ids) ? focus.ids : [];
        let target = cy.nodes().filter(n => ids.includes(n.id()));
        if (target.length === 0) { target = cy.elements(); }
        cy.fit(target, 30);
        if (ids.length && cy.zoom() > 1.1) { cy.zoom(1.1); cy.center(target); }
        el.setAttribute('data-fitted', String(Date.now()));
    };
    setTimeout(fit, 30);
    return String(Date.now());
}
"""
# The hover line: the full layer name / tensor record of what the pointer is on.
HOVER_JS = """
function(node, edge) {
    const ctx = window.dash_clientside.callback_context;
    const t = ctx && ctx.triggered ? ctx.triggered.map(x => x.prop_id).join(' ') : '';
    const d = t.includes('Edge') ? edge : node;
    if (!d) { return window.dash_clientside.no_update; }
    return (t.includes('Edge') ? 'tensor: ' : '') + (d.full || d.label || '');
}
"""


def guarded(fallback: Callable[[str], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A callback that raises shows ``fallback(message)`` (logged), and the server keeps serving."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(*args: Any) -> Any:
            try:
                return fn(*args)
            except PreventUpdate:
                raise
            except Exception as exc:
                log.exception("callback %s failed", fn.__name__)
                text = str(exc).splitlines()[0][:200] if str(exc) else ""
                return fallback(f"this view failed: {type(exc).__name__}: {text}")

        return inner

    return wrap


def build_registry(paths: Sequence[str] = (), engine_reader: EngineReader | None = None) -> Registry:
    """A registry of the given engines, or of every bundled sample when no path is given; ``engine_reader``
    reads an engine file without sidecars (see :class:`Registry`)."""
    reg = Registry(engine_reader=engine_reader)
    if paths:
        reg.load_paths(paths)
    else:
        reg.load_samples()
    return reg


def _nav() -> html.Nav:
    return html.Nav(
        [
            html.Span("trtinspect", className="brand"),
            dcc.Link("Engines", href="/", id="nav-engines"),
            dcc.Link("Diff", href="/diff", id="nav-diff"),
            dcc.Link("History", href="/history", id="nav-history"),
        ],
        className="nav",
    )


def create_app(
    registry: Registry, *, history_url: str | None = None, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
) -> dash.Dash:
    """The dashboard for the engines in ``registry`` (and the check history at ``history_url``)."""
    max_bytes = int(max_upload_mb * MB)   # the option is in MB, as it says (not MiB)
    store = HistoryStore(history_url) if history_url else None
    app = _dash_app(max_bytes)

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def _route(pathname: str | None, search: str | None) -> Any:
        return cb.render_page(registry, pathname, search, max_upload_mb=max_upload_mb, history=store)

    _upload_callbacks(app, registry, max_bytes)
    _engine_callbacks(app, registry)
    _diff_callbacks(app, registry)
    _clientside_callbacks(app)
    _history_callbacks(app, store)
    return app


def _dash_app(max_bytes: int) -> dash.Dash:
    """The Dash app with its layout (router, navigation), upload size limit and security headers."""
    app = dash.Dash(
        __name__,
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,
        title="trtinspect",
        update_title="",
        serve_locally=True,
    )
    # base64 inflates uploads by 4/3; several files of one engine may come in one request
    app.server.config["MAX_CONTENT_LENGTH"] = int(max_bytes * 4 / 3 * 2) + 1024 * 1024

    @app.server.after_request
    def _headers(response: Response) -> Response:
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    app.layout = html.Div([dcc.Location(id="url"), _nav(), html.Main(id="page", className="page")])
    return app


def _upload_callbacks(app: dash.Dash, registry: Registry, max_bytes: int) -> None:
    """Engines page: files dropped on the upload box become engines."""

    @app.callback(
        Output("upload-message", "children"),
        Output("engine-cards", "children"),
        Output("upload", "contents"),
        Input("upload", "contents"),
        State("upload", "filename"),
        prevent_initial_call=True,
    )
    @guarded(lambda msg: (cb.message(f"upload error: {msg}"), no_update, None))
    def _upload(contents: Any, filenames: Any) -> tuple[Any, Any, None]:
        if not contents:
            raise PreventUpdate
        msg, cards = cb.upload(registry, contents, filenames, max_bytes=max_bytes)
        return msg, cards, None


def _engine_callbacks(app: dash.Dash, registry: Registry) -> None:
    """Engine page: graph state (tap, search, findings, collapse), the drawn graph, node and finding details."""

    @app.callback(
        Output("graph-state", "data"),
        Input("engine-graph", "tapNodeData"),
        Input("graph-search", "value"),
        Input("findings-table", "selectedRows"),
        Input("graph-collapse", "n_clicks"),
        Input({"type": "graph-collapse-one", "group": ALL}, "n_clicks"),
        State("graph-state", "data"),
        State("engine-id", "data"),
        prevent_initial_call=True,
    )
    @guarded(lambda msg: no_update)
    def _graph_state(
        tap: Any, search: str | None, selected: Any, _c: Any, _one: Any, state: Any, engine_id: str
    ) -> Any:
        g = registry.graph(engine_id)
        trig = ctx.triggered_id
        if trig == "engine-graph":
            return cb.graph_state(g, state, "tap", tap=tap)
        if trig in ("graph-search", "findings-table"):
            hits, _ = cb.graph_hits(registry, engine_id, g, search, selected)
            return cb.graph_state(g, state, "hits", hits=hits)
        if trig == "graph-collapse":
            return cb.graph_state(g, state, "collapse-all")
        if isinstance(trig, dict) and any(ctx.triggered[k]["value"] for k in range(len(ctx.triggered))):
            return cb.graph_state(g, state, "collapse", collapse=int(trig["group"]))
        raise PreventUpdate

    @app.callback(
        Output("engine-graph", "elements"),
        Output("graph-legend", "children"),
        Output("graph-view-text", "children"),
        Output("graph-expanded", "children"),
        Output("graph-focus", "data"),
        Input("graph-state", "data"),
        Input("graph-color", "value"),
        State("engine-id", "data"),
        State("graph-search", "value"),
        State("findings-table", "selectedRows"),
    )
    @guarded(lambda msg: ([], [], msg, [], {}))
    def _graph(state: Any, color: str, engine_id: str, search: str | None, selected: Any) -> Any:
        return cb.engine_graph(registry, engine_id, state, color, search, selected)

    @app.callback(
        Output("graph-details", "children"),
        Input("engine-graph", "tapNodeData"),
        State("engine-id", "data"),
        prevent_initial_call=True,
    )
    @guarded(cb.message)
    def _node(tap: dict[str, Any] | None, engine_id: str) -> Any:
        return cb.node_details(registry, engine_id, tap)

    @app.callback(
        Output("finding-details", "children"),
        Input("findings-table", "selectedRows"),
        State("engine-id", "data"),
    )
    @guarded(cb.message)
    def _finding(selected: list[Any] | None, engine_id: str) -> Any:
        return cb.finding_details(registry, engine_id, selected)


def _diff_callbacks(app: dash.Dash, registry: Registry) -> None:
    """Diff page: the summary, charts and table of two engines, the diff graph's state, drawing and details."""

    @app.callback(
        Output("diff-summary", "children"),
        Output("diff-charts", "children"),
        Output("diff-table", "rowData"),
        Output("diff-state", "data", allow_duplicate=True),
        Input("diff-a", "value"),
        Input("diff-b", "value"),
        prevent_initial_call="initial_duplicate",
    )
    @guarded(lambda msg: (cb.message(msg), [], [], no_update))
    def _diff(a: str | None, b: str | None) -> Any:
        summary, charts, rows, _ = cb.diff_view(registry, a, b)
        return summary, charts, rows, {"expanded": [], "focus": {"all": True}}

    @app.callback(
        Output("diff-state", "data"),
        Input("diff-graph", "tapNodeData"),
        Input("diff-table", "selectedRows"),
        Input("diff-collapse", "n_clicks"),
        Input({"type": "diff-collapse-one", "group": ALL}, "n_clicks"),
        State("diff-state", "data"),
        State("diff-a", "value"),
        State("diff-b", "value"),
        prevent_initial_call=True,
    )
    @guarded(lambda msg: no_update)
    def _diff_state(tap: Any, selected: Any, _c: Any, _one: Any, state: Any, a: str, b: str) -> Any:
        dg = registry.diff_graph(a, b)
        trig = ctx.triggered_id
        if trig == "diff-graph":
            return cb.diff_state(dg, state, "tap", tap=tap)
        if trig == "diff-table":
            return cb.diff_state(dg, state, "select", group_id=cb.selected_id(selected))
        if trig == "diff-collapse":
            return cb.diff_state(dg, state, "collapse-all")
        if isinstance(trig, dict) and any(t["value"] for t in ctx.triggered):
            return cb.diff_state(dg, state, "collapse", collapse=int(trig["group"]))
        raise PreventUpdate

    @app.callback(
        Output("diff-graph", "elements"),
        Output("diff-legend", "children"),
        Output("diff-view-text", "children"),
        Output("diff-expanded", "children"),
        Output("diff-focus", "data"),
        Input("diff-state", "data"),
        State("diff-a", "value"),
        State("diff-b", "value"),
        State("diff-table", "selectedRows"),
    )
    @guarded(lambda msg: ([], [], msg, [], {}))
    def _diff_graph(state: Any, a: str | None, b: str | None, selected: Any) -> Any:
        return cb.diff_graph(registry, a, b, state, selected)

    @app.callback(
        Output("diff-details", "children"),
        Input("diff-graph", "tapNodeData"),
        State("diff-a", "value"),
        State("diff-b", "value"),
        prevent_initial_call=True,
    )
    @guarded(cb.message)
    def _diff_node(tap: Any, a: str | None, b: str | None) -> Any:
        return cb.diff_details(registry, a, b, tap)


def _clientside_callbacks(app: dash.Dash) -> None:
    """Browser-side fitting of both graphs to their focus and the hover line."""
    for prefix, graph_id in (("graph", "engine-graph"), ("diff", "diff-graph")):
        app.clientside_callback(
            FIT_JS.replace("GRAPH_ID", graph_id),
            Output(f"{prefix}-fitted", "children"),
            Input(f"{prefix}-focus", "data"),
            Input(f"{prefix}-fit", "n_clicks"),
        )
        app.clientside_callback(
            HOVER_JS,
            Output(f"{prefix}-hover", "children"),
            Input(graph_id, "mouseoverNodeData"),
            Input(graph_id, "mouseoverEdgeData"),
            prevent_initial_call=True,
        )


def _history_callbacks(app: dash.Dash, store: HistoryStore | None) -> None:
    """History page: one engine's end-to-end runs and a group's trend."""

    @app.callback(
        Output("history-e2e", "figure"),
        Output("history-label", "options"),
        Output("history-label", "value"),
        Input("history-engine", "value"),
    )
    @guarded(lambda msg: (cb.empty_figure(msg), [], None))
    def _history(engine_name: str | None) -> Any:
        return cb.history_runs(store, engine_name)

    @app.callback(
        Output("history-trend", "figure"), Input("history-label", "value"), State("history-engine", "value")
    )
    @guarded(cb.empty_figure)
    def _trend(label: str | None, engine_name: str | None) -> Any:
        return cb.history_trend(store, engine_name, label)

"""The Dash application: :func:`create_app` wires the page router and the callbacks to a :class:`Registry`.

Pages (a URL router, one ``dcc.Location``): ``/`` Engines, ``/engine/<id>`` Engine, ``/diff?a=<id>&b=<id>``
Diff, ``/history`` History. The callbacks themselves are plain functions in ``trtinspect.app.callbacks``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import Response

from trtinspect.app import callbacks as cb
from trtinspect.app.pages_history import HistoryStore
from trtinspect.app.state import DEFAULT_MAX_UPLOAD_MB, Registry

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
# Response headers on every page and callback: no sniffing, no framing by other sites, no referrer leaks.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
}


def build_registry(paths: Sequence[str] = ()) -> Registry:
    """A registry of the given engines, or of every bundled sample when no path is given."""
    reg = Registry()
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
    max_bytes = int(max_upload_mb * 1024 * 1024)
    store = HistoryStore(history_url) if history_url else None
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

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def _route(pathname: str | None, search: str | None) -> Any:
        return cb.render_page(registry, pathname, search, max_upload_mb=max_upload_mb, history=store)

    @app.callback(
        Output("upload-message", "children"),
        Output("engine-cards", "children"),
        Output("upload", "contents"),
        Input("upload", "contents"),
        State("upload", "filename"),
        prevent_initial_call=True,
    )
    def _upload(contents: Any, filenames: Any) -> tuple[Any, Any, None]:
        if not contents:
            raise PreventUpdate
        msg, cards = cb.upload(registry, contents, filenames, max_bytes=max_bytes)
        return msg, cards, None

    @app.callback(
        Output("engine-graph", "figure"),
        Output("graph-view-text", "children"),
        Input("engine-id", "data"),
        Input("graph-color", "value"),
        Input("graph-size", "value"),
        Input("graph-search", "value"),
        Input("findings-table", "selected_row_ids"),
    )
    def _graph(engine_id: str, color: str, size: str, search: str | None, selected: list[Any] | None) -> Any:
        return cb.engine_graph(registry, engine_id, color, size, search, selected)

    @app.callback(
        Output("node-details", "children"),
        Input("engine-graph", "clickData"),
        State("engine-id", "data"),
        prevent_initial_call=True,
    )
    def _node(click: dict[str, Any] | None, engine_id: str) -> Any:
        return cb.node_details(registry, engine_id, click)

    @app.callback(
        Output("finding-details", "children"),
        Input("findings-table", "selected_row_ids"),
        State("engine-id", "data"),
    )
    def _finding(selected: list[Any] | None, engine_id: str) -> Any:
        return cb.finding_details(registry, engine_id, selected)

    @app.callback(
        Output("diff-summary", "children"),
        Output("diff-charts", "children"),
        Output("diff-table", "data"),
        Output("diff-table", "selected_rows"),
        Input("diff-a", "value"),
        Input("diff-b", "value"),
    )
    def _diff(a: str | None, b: str | None) -> Any:
        return cb.diff_view(registry, a, b)

    @app.callback(
        Output("diff-graph-a", "figure"),
        Output("diff-graph-b", "figure"),
        Output("diff-graph-text", "children"),
        Input("diff-a", "value"),
        Input("diff-b", "value"),
        Input("diff-table", "selected_row_ids"),
        Input("diff-graph-color", "value"),
    )
    def _diff_graphs(a: str | None, b: str | None, selected: list[Any] | None, color: str) -> Any:
        return cb.diff_graphs(registry, a, b, selected, color)

    @app.callback(
        Output("history-e2e", "figure"),
        Output("history-label", "options"),
        Output("history-label", "value"),
        Input("history-engine", "value"),
    )
    def _history(engine_name: str | None) -> Any:
        return cb.history_runs(store, engine_name)

    @app.callback(
        Output("history-trend", "figure"), Input("history-label", "value"), State("history-engine", "value")
    )
    def _trend(label: str | None, engine_name: str | None) -> Any:
        return cb.history_trend(store, engine_name, label)

    return app

"""Every dashboard callback as a plain function of the registry and the callback's inputs.

``trtinspect.app.server.create_app`` wires them to Dash; tests call them directly, no browser needed.
Callbacks name engines by registry id only and send only what their view needs (bounded graph views,
capped tables). A problem with user input comes back as a one-line message in the page; an unexpected
error in one callback is logged and shown, and the server keeps serving.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import parse_qs

import plotly.graph_objects as go
from dash import html

from trtinspect.app import pages_diff, pages_engine, pages_engines, pages_history
from trtinspect.app.graph import DEFAULT_LIMIT, GraphModel, as_list
from trtinspect.app.pages_history import HistoryStore
from trtinspect.app.state import Registry, UnknownEngine
from trtinspect.errors import TrtInspectError
from trtinspect.render import plots

log = logging.getLogger(__name__)


def message(text: str, kind: str = "error") -> html.Div:
    return html.Div(text, className=f"message {kind}", id=f"message-{kind}")


def empty_figure(text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(template="plotly_white", height=300, xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def not_found(what: str) -> html.Div:
    return html.Div([html.H2("Not found"), html.P(what), html.A("Back to the engines", href="/")])


# ------------------------------------------------------------------------------------------------- routing
def render_page(
    reg: Registry,
    pathname: str | None,
    search: str | None,
    *,
    max_upload_mb: float,
    history: HistoryStore | None = None,
    history_error: str | None = None,
) -> Any:
    """The page for a URL: ``/``, ``/engine/<id>``, ``/diff?a=<id>&b=<id>``, ``/history``."""
    path = (pathname or "/").rstrip("/") or "/"
    query = parse_qs((search or "").lstrip("?"))
    if path == "/":
        return pages_engines.layout(reg, max_upload_mb=max_upload_mb)
    if path.startswith("/engine/"):
        engine_id = path.removeprefix("/engine/")
        if engine_id not in reg:
            return not_found(f"No engine '{engine_id}' on this server.")
        return pages_engine.layout(reg, engine_id)
    if path == "/diff":
        if len(reg) == 0:
            return not_found("No engines loaded: add some on the Engines page first.")
        a, b = query.get("a", []), query.get("b", [])
        return pages_diff.layout(reg, a[0] if a else None, b[0] if b else None)
    if path == "/history":
        return pages_history.layout(history, history_error)
    return not_found(f"No page at {path}.")


# -------------------------------------------------------------------------------------------------- upload
def upload(reg: Registry, contents: Any, filenames: Any, *, max_bytes: int) -> tuple[Any, list[Any]]:
    """Add the uploaded files as one engine: (message, refreshed cards). A bad upload changes no card."""
    if not contents:
        return "", pages_engines.cards(reg)
    contents_l = contents if isinstance(contents, list) else [contents]
    names_l = filenames if isinstance(filenames, list) else [filenames]
    if len(names_l) != len(contents_l):
        return message("upload error: file names and contents do not match"), pages_engines.cards(reg)
    try:
        engine_id = reg.add_upload(list(zip(names_l, contents_l, strict=True)), max_bytes=max_bytes)
    except TrtInspectError as exc:
        return message(f"upload error: {exc}"), pages_engines.cards(reg)
    except Exception as exc:  # a parser bug on odd input must not take the server down
        log.exception("upload failed")
        return message(
            f"upload error: internal error while reading the files ({type(exc).__name__}); please report it"
        ), pages_engines.cards(reg)
    entry = reg.get(engine_id)
    ok = html.Div(
        ["Added ", html.A(entry.label, href=f"/engine/{engine_id}"), "."],
        className="message ok",
        id="message-ok",
    )
    return ok, pages_engines.cards(reg)


# --------------------------------------------------------------------------------------------- engine page
def _finding_positions(reg: Registry, engine_id: str, g: GraphModel, selected: list[Any] | None) -> list[int]:
    if not selected:
        return []
    f = reg.findings(engine_id)
    pos = int(selected[0])
    if not 0 <= pos < len(f):
        return []
    return g.positions_of(as_list(f["layer_indices"].iloc[pos]))


def engine_graph(
    reg: Registry,
    engine_id: str,
    color_by: str,
    size_by: str,
    search: str | None,
    selected_finding_ids: list[Any] | None,
    *,
    limit: int = DEFAULT_LIMIT,
) -> tuple[go.Figure, str]:
    """The bounded graph view: focus = a selected finding's layers, else search hits, else the hottest."""
    try:
        g = reg.graph(engine_id)
    except UnknownEngine:
        return empty_figure("unknown engine"), ""
    if g.n == 0:
        return empty_figure("no layer information in this engine's files"), ""
    color_by = color_by if color_by in plots.GRAPH_COLOR_BY else "precision"
    highlight = _finding_positions(reg, engine_id, g, selected_finding_ids)
    note = ""
    focus = list(highlight)
    if not focus and search and search.strip():
        hits = g.search(search)
        if hits:
            highlight = hits
            focus = hits[:5]
            note = f" {len(hits)} layer(s) match '{search.strip()}' (outlined)."
        else:
            note = f" No layer name contains '{search.strip()}'."
    view = g.view(focus=focus, highlight=highlight, limit=limit)
    entry = reg.get(engine_id)
    fig = plots.fig_engine_graph(
        view.nodes,
        view.edges,
        color_by=color_by,
        size_by_time=size_by == "time",
        show_labels=view.show_labels,
        height=view.height,
        title=f"{entry.label}: colour = {color_by.replace('_', ' ')}",
    )
    return fig, view.description + note


def node_details(reg: Registry, engine_id: str, click_data: dict[str, Any] | None) -> Any:
    """The details panel of the clicked layer."""
    points = (click_data or {}).get("points") or []
    if not points or points[0].get("customdata") is None:
        return html.P("Click a layer for its details.", className="muted")
    try:
        g = reg.graph(engine_id)
    except UnknownEngine:
        return html.P("unknown engine", className="muted")
    pos = g.positions_of([int(points[0]["customdata"])])
    if not pos:
        return html.P("unknown layer", className="muted")
    d = g.details(pos[0])
    t = (
        "not profiled"
        if d["avg_ms"] is None
        else f"{d['avg_ms']:.4f} ms"
        + ("" if d["share_pct"] is None else f" ({d['share_pct']:.1f}% of per-layer time)")
    )
    rows: list[tuple[str, Any]] = [
        ("layer", f"#{d['layer_index']} {d['layer_type'] or '?'}"),
        ("precision", d["precision"] or "?"),
        ("time", t),
        ("tactic", d["tactic"] or "\u2014"),
        ("format", d["format"]),
        ("fused source ops", ", ".join(d["source_nodes"]) or "\u2014"),
    ]
    items: list[Any] = [html.H4(d["name"], className="layer-name")]
    for k, v in rows:
        items += [html.Dt(k), html.Dd(v)]
    out: list[Any] = [html.Dl(items[1:], className="facts")]
    for key, title in (
        ("inputs", "inputs"),
        ("outputs", "outputs"),
        ("producers", "from"),
        ("consumers", "to"),
    ):
        if d[key]:
            out.append(html.Div([html.B(title), html.Ul([html.Li(x) for x in d[key][:20]])]))
    return html.Div([items[0], *out], id="layer-details")


def finding_details(reg: Registry, engine_id: str, selected_ids: list[Any] | None) -> Any:
    if not selected_ids:
        return ""
    try:
        f = reg.findings(engine_id)
    except UnknownEngine:
        return ""
    pos = int(selected_ids[0])
    if not 0 <= pos < len(f):
        return ""
    r = f.iloc[pos]
    names = [str(x) for x in as_list(r["layer_names"])]
    cost = float(r["cost_ms"])
    return html.Div(
        [
            html.H4(str(r["title"])),
            html.P(
                f"{r['severity']} \u00b7 {r['rule_id']} \u00b7 {r['confidence']} \u00b7 "
                + ("cost unknown (no profile)" if math.isnan(cost) else f"{cost:.4f} ms")
            ),
            html.P([html.B("Likely cause: "), str(r["cause"])]),
            html.P([html.B("What to try: "), str(r["mitigation"])]),
            html.Div([html.B("Layers: "), html.Ul([html.Li(n) for n in names[:30]])]),
            html.A("reference", href=str(r["reference"]), target="_blank", rel="noopener")
            if str(r["reference"]).startswith("http")
            else "",
        ],
        id="finding-detail",
    )


# ----------------------------------------------------------------------------------------------- diff page
def diff_view(
    reg: Registry, a: str | None, b: str | None
) -> tuple[Any, Any, list[dict[str, Any]], list[int]]:
    """(summary, charts, aligned-table rows, cleared selection) for engines ``a`` and ``b``."""
    if not a or not b:
        return message("pick two engines", "info"), [], [], []
    try:
        result = reg.diff(a, b)
    except UnknownEngine as exc:
        return message(f"unknown engine {exc}"), [], [], []
    except TrtInspectError as exc:
        return message(f"cannot diff these engines: {exc}"), [], [], []
    return (
        pages_diff.summary_block(result),
        pages_diff.charts(result),
        pages_diff.group_records(result.groups),
        [],
    )


def _group_hover(result: Any, side: str) -> tuple[dict[int, int], dict[int, str]]:
    """layer_index -> group_id and group_id -> hover line, for one side."""
    m = result.alignment.members
    m = m[m["side"] == side]
    of_layer = dict(zip(m["layer_index"].tolist(), m["group_id"].tolist(), strict=True))
    g = result.groups
    text = {
        int(gid): f"group {gid}: {kind}, delta {d:+.4f} ms" if not math.isnan(d) else f"group {gid}: {kind}"
        for gid, kind, d in zip(
            g["group_id"].tolist(), g["kind"].tolist(), g["delta_ms"].astype(float).tolist(), strict=True
        )
    }
    return of_layer, text


def diff_graphs(
    reg: Registry,
    a: str | None,
    b: str | None,
    selected_group_ids: list[Any] | None,
    color_by: str,
    *,
    limit: int = DEFAULT_LIMIT,
) -> tuple[go.Figure, go.Figure, str]:
    """Graphs of A and B: the selected group (else every changed group) outlined, views focused on it."""
    blank = empty_figure("no diff")
    if not a or not b:
        return blank, blank, ""
    try:
        result = reg.diff(a, b)
        ga, gb = reg.graph(a), reg.graph(b)
    except (UnknownEngine, TrtInspectError):
        return blank, blank, ""
    color_by = color_by if color_by in plots.GRAPH_COLOR_BY else "precision"
    groups = result.groups
    changed = groups[groups["kind"] != "unchanged"]
    if selected_group_ids:
        sel = groups[groups["group_id"] == int(selected_group_ids[0])]
        focus_rows, hi_rows = sel, sel
        text = f"Group {int(selected_group_ids[0])} outlined."
    else:
        hi_rows = changed
        top = changed.reindex(changed["delta_ms"].abs().sort_values(ascending=False).index).head(1)
        focus_rows = top
        text = f"{len(changed)} of {len(groups)} groups changed (outlined)."
    figs = []
    for side, g, col, entry_id in (("A", ga, "a_layers", a), ("B", gb, "b_layers", b)):
        of_layer, hover = _group_hover(result, side)
        hi = g.positions_of(x for layers in hi_rows[col].tolist() for x in as_list(layers))
        focus = g.positions_of(x for layers in focus_rows[col].tolist() for x in as_list(layers))
        extra = {i: hover.get(of_layer.get(g.layer_index[i], -1), "") for i in g.neighbourhood(focus, limit)}
        view = g.view(focus=focus, highlight=hi, limit=limit, extra_hover=extra)
        label = reg.get(entry_id).label
        figs.append(
            plots.fig_engine_graph(
                view.nodes,
                view.edges,
                color_by=color_by,
                show_labels=view.shown <= 40,
                height=view.height,
                title=f"{side}: {label}",
                highlight_label="selected group" if selected_group_ids else "changed groups",
            )
        )
        if view.shown < view.total:
            text += f" {side}: {view.shown} of {view.total} layers shown."
    return figs[0], figs[1], text


# -------------------------------------------------------------------------------------------- history page
def history_runs(
    store: HistoryStore | None, engine_name: str | None
) -> tuple[go.Figure, list[str], str | None]:
    """(end-to-end figure, label options, default label) for one engine's recorded checks."""
    if store is None:
        return empty_figure("no history store"), [], None
    try:
        runs = store.runs(engine_name)
        labels = store.labels(engine_name) if not runs.empty else []
    except TrtInspectError as exc:  # damaged store, lost database server: say so, keep serving
        return empty_figure(f"cannot read the history store: {exc}"), [], None
    if runs.empty:
        return empty_figure("no recorded checks"), [], None
    title = f"End-to-end GPU time per recorded check: {engine_name}" if engine_name else ""
    return plots.fig_history_runs(runs, title=title), labels, (labels[0] if labels else None)


def history_trend(store: HistoryStore | None, engine_name: str | None, label: str | None) -> go.Figure:
    if store is None or not label:
        return empty_figure("pick a layer or fusion group")
    try:
        trend = store.trend(label, engine_name)
    except TrtInspectError as exc:
        return empty_figure(f"cannot read the history store: {exc}")
    if trend.empty:
        return empty_figure(f"nothing recorded for {label}")
    return plots.fig_history_trend(trend, title=f"{label}: time per recorded check")

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

import numpy as np
import plotly.graph_objects as go
from dash import html

from trtinspect.app import pages_diff, pages_engine, pages_engines, pages_history
from trtinspect.app.graph import GraphModel, as_list
from trtinspect.app.graph_view import COLOR_BY, MAX_VISIBLE, engine_elements, node_id
from trtinspect.app.pages_history import HistoryStore
from trtinspect.app.state import Registry, UnknownEngine
from trtinspect.errors import TrtInspectError
from trtinspect.render import plots

log = logging.getLogger(__name__)

NONE = "\u2014"


def message(text: str, kind: str = "error") -> html.Div:
    return html.Div(text, className=f"message {kind}", id=f"message-{kind}")


def empty_figure(text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(template="plotly_white", height=300, xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def page_failed(what: str, exc: BaseException) -> html.Div:
    """What a page that failed shows instead: its error in one line (the other pages keep serving)."""
    text = str(exc).splitlines()[0][:300] if str(exc) else "no message"
    return html.Div(
        [
            html.H2("This page could not be drawn"),
            html.P(f"{what}: {type(exc).__name__}: {text}", className="message error", id="page-error"),
            html.P("The other pages keep working; the server log has the details.", className="muted"),
            html.A("Back to the engines", href="/"),
        ]
    )


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
    """The page for a URL: ``/``, ``/engine/<id>``, ``/diff?a=<id>&b=<id>``, ``/history``.

    A page that raises shows its error (:func:`page_failed`) instead of failing the request."""
    path = (pathname or "/").rstrip("/") or "/"
    try:
        return _page(reg, path, search, max_upload_mb=max_upload_mb, history=history, history_error=history_error)
    except Exception as exc:
        log.exception("page %s failed", path)
        return page_failed(f"page {path}", exc)


def _page(
    reg: Registry,
    path: str,
    search: str | None,
    *,
    max_upload_mb: float,
    history: HistoryStore | None,
    history_error: str | None,
) -> Any:
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
        # an id given but not loaded is said, side by side, never swapped for another engine
        unknown = [f"No engine '{ids[0]}' on this server ({side})." for side, ids in (("A", a), ("B", b))
                   if ids and ids[0] not in reg]
        if unknown:
            return not_found(" ".join(unknown))
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
MAX_FOCUS = 8  # search hits / finding layers whose groups a search or a selection opens


def selected_id(rows: list[Any] | None) -> int | None:
    """The ``id`` of the first selected grid row (dash-ag-grid ``selectedRows``), None when none."""
    if not rows:
        return None
    first = rows[0]
    value: Any = first.get("id") if isinstance(first, dict) else first
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _finding_positions(reg: Registry, engine_id: str, g: GraphModel, selected: list[Any] | None) -> list[int]:
    pos = selected_id(selected)
    if pos is None:
        return []
    f = reg.findings(engine_id)
    if not 0 <= pos < len(f):
        return []
    return g.positions_of(as_list(f["layer_indices"].iloc[pos]))


def _descendants(tree: Any, gid: int) -> set[int]:
    out = {gid}
    stack = [gid]
    while stack:
        for k, i in tree.groups[stack.pop()].children:
            if k == "g":
                out.add(i)
                stack.append(i)
    return out


def open_units(tree: Any, expanded: set[int], units: list[int]) -> set[int]:
    """``expanded`` plus every group above the first MAX_FOCUS ``units`` (so they are drawn as layers)."""
    out = set(expanded)
    for u in units[:MAX_FOCUS]:
        out.update(tree.ancestors(u))
    return out


def graph_state(
    g: GraphModel,
    state: dict[str, Any] | None,
    trigger: str | None,
    *,
    tap: dict[str, Any] | None = None,
    hits: list[int] | None = None,
    collapse: int | None = None,
) -> dict[str, Any]:
    """The next ``{"expanded": [group ids], "focus": ...}`` after a tap, a search/selection or a collapse."""
    tree = g.tree
    expanded = {int(x) for x in (state or {}).get("expanded", []) if 0 < int(x) < len(tree.groups)}
    if trigger == "tap" and tap and tap.get("kind") == "group":
        gid = int(tap["group"])
        if 0 < gid < len(tree.groups):
            expanded.add(gid)
            return {"expanded": sorted(expanded), "focus": {"group": gid}}
    if trigger == "hits":
        if hits:
            return {"expanded": sorted(open_units(tree, expanded, hits)), "focus": {"units": hits[:MAX_FOCUS]}}
        return {"expanded": sorted(expanded), "focus": {"all": True}}
    if trigger == "collapse-all":
        return {"expanded": [], "focus": {"all": True}}
    if trigger == "collapse" and collapse is not None and collapse in expanded:
        expanded -= _descendants(tree, collapse)
        return {"expanded": sorted(expanded), "focus": {"all": True}}
    return {"expanded": sorted(expanded), "focus": (state or {}).get("focus", {"all": True})}


def graph_hits(
    reg: Registry, engine_id: str, g: GraphModel, search: str | None, selected: list[Any] | None
) -> tuple[list[int], str]:
    """Layers to mark: a selected finding's, else the search hits; and a note saying which."""
    finding = _finding_positions(reg, engine_id, g, selected)
    if finding:
        return finding, f" Finding {selected_id(selected)}: its {len(finding)} layer(s) outlined in red."
    if search and search.strip():
        hits = g.search(search)
        if hits:
            return hits, f" {len(hits)} layer(s) match '{search.strip()}' (outlined in red)."
        return [], f" No layer name contains '{search.strip()}'."
    return [], ""


def crumbs(tree: Any, expanded: list[int], prefix: str = "graph") -> list[Any]:
    """One "collapse" button per expanded group."""
    if not expanded:
        return []
    items: list[Any] = [html.Span("Expanded: ", className="muted")]
    for gid in expanded:
        grp = tree.groups[gid]
        items.append(
            html.Button(
                f"{grp.label} \u2715",
                id={"type": f"{prefix}-collapse-one", "group": gid},
                className="crumb",
                title=f"collapse {grp.label}",
            )
        )
    return items


def legend(entries: list[tuple[str, str]]) -> list[Any]:
    return [
        html.Span([html.Span(className="swatch", style={"background": c}), k], className="legend-item")
        for k, c in entries
    ]


def engine_graph(
    reg: Registry,
    engine_id: str,
    state: dict[str, Any] | None,
    color_by: str,
    search: str | None,
    selected: list[Any] | None,
) -> tuple[list[dict[str, Any]], list[Any], str, list[Any], dict[str, Any]]:
    """(elements, legend, description, collapse buttons, focus) of the engine graph in ``state``."""
    try:
        g = reg.graph(engine_id)
    except UnknownEngine:
        return [], [], "unknown engine", [], {}
    if g.n == 0:
        return [], [], "No layer information in this engine's files: nothing to draw.", [], {}
    color_by = color_by if color_by in COLOR_BY else "precision"
    hits, note = graph_hits(reg, engine_id, g, search, selected)
    state = state or {"expanded": [], "focus": {"all": True}}
    expanded = [int(x) for x in state.get("expanded", [])]
    view = engine_elements(g, expanded, color_by, hits)
    if len(view.visible) > MAX_VISIBLE:
        view = engine_elements(g, expanded[:-1], color_by, hits)
        note += f" Too many boxes to draw (over {MAX_VISIBLE}): collapse a group first."
    focus = state.get("focus") or {"all": True}
    ids: list[str] = []
    if "group" in focus:
        gid = int(focus["group"])
        ids = [node_id(("u", u)) for u in g.tree.groups[gid].units.tolist()] if gid < len(g.tree.groups) else []
        ids += [node_id(it) for it in view.visible if it[0] == "g" and gid in g.tree.group_ancestors(it[1])]
    elif "units" in focus:
        want = {int(u) for u in focus["units"]}
        ids = [node_id(("u", u)) for u in want]
    present = set(view.node_ids)
    ids = [i for i in ids if i in present]
    return (
        view.elements,
        legend(view.legend),
        view.description + note,
        crumbs(g.tree, view.expanded),
        {"ids": ids, "n_nodes": len(view.visible), "nonce": len(view.elements) + sum(expanded) + len(ids)},
    )


def node_details(reg: Registry, engine_id: str, tap: dict[str, Any] | None) -> Any:
    """The details panel of the tapped layer or group."""
    if not tap:
        return html.P("Click a layer or group for its details.", className="muted")
    try:
        g = reg.graph(engine_id)
    except UnknownEngine:
        return html.P("unknown engine", className="muted")
    if tap.get("kind") == "group":
        return group_details(g, int(tap.get("group", -1)))
    if tap.get("layer_index") is None:
        return html.P("Click a layer or group for its details.", className="muted")
    pos = g.positions_of([int(tap["layer_index"])])
    if not pos:
        return html.P("unknown layer", className="muted")
    return layer_details(g, pos[0])


def layer_details(g: GraphModel, i: int) -> Any:
    d = g.details(i)
    t = (
        "not profiled"
        if d["avg_ms"] is None
        else f"{d['avg_ms']:.4f} ms"
        + ("" if d["share_pct"] is None else f" ({d['share_pct']:.1f}% of per-layer time)")
    )
    rows: list[tuple[str, Any]] = [
        ("layer", f"#{d['layer_index']} {d['layer_type'] or '?'} ({d['kind']})"),
        ("precision", f"{d['precision'] or '?'} (tensors {d['precision_io']})"),
        ("time", t),
        ("tactic", d["tactic"] or "\u2014"),
        ("format", d["format"]),
        ("fused source ops", ", ".join(d["source_nodes"]) or "\u2014"),
    ]
    items: list[Any] = []
    for k, v in rows:
        items += [html.Dt(k), html.Dd(v)]
    out: list[Any] = [html.H4(d["name"], className="layer-name"), html.Dl(items, className="facts")]
    for key, title in (("inputs", "inputs"), ("outputs", "outputs"), ("producers", "from"), ("consumers", "to")):
        if d[key]:
            out.append(html.Div([html.B(title), html.Ul([html.Li(x) for x in d[key][:20]])]))
    return html.Div(out, id="layer-details")


def group_details(g: GraphModel, gid: int) -> Any:
    tree = g.tree
    if not 0 < gid < len(tree.groups):
        return html.P("unknown group", className="muted")
    grp = tree.groups[gid]
    units = grp.units.tolist()
    times = g.avg_ms[grp.units]
    total = float(np.nansum(times)) if not np.isnan(times).all() else math.nan
    slow = sorted(units, key=lambda u: -(g.avg_ms[u] if not math.isnan(g.avg_ms[u]) else -1.0))[:10]
    return html.Div(
        [
            html.H4(grp.label, className="layer-name"),
            html.P(
                f"{'chunk of the execution order' if grp.chunk else 'ONNX module'} \u00b7 {len(units)} layers "
                f"\u00b7 {g.time_text(total)}"
            ),
            html.B("slowest layers"),
            html.Ul([html.Li(f"{g.names[u][:120]} \u2014 {g.time_text(float(g.avg_ms[u]))}") for u in slow]),
        ],
        id="group-details",
    )


def finding_details(reg: Registry, engine_id: str, selected_ids: list[Any] | None) -> Any:
    pos = selected_id(selected_ids)
    if pos is None:
        return ""
    try:
        f = reg.findings(engine_id)
    except UnknownEngine:
        return ""
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


def diff_state(
    dg: Any,
    state: dict[str, Any] | None,
    trigger: str | None,
    *,
    tap: dict[str, Any] | None = None,
    group_id: int | None = None,
    collapse: int | None = None,
) -> dict[str, Any]:
    """Like :func:`graph_state`, for the diff graph (units are aligned groups; ``group_id`` selects one)."""
    tree = dg.tree
    expanded = {int(x) for x in (state or {}).get("expanded", []) if 0 < int(x) < len(tree.groups)}
    if trigger == "tap" and tap and tap.get("kind") == "group" and tap.get("group") is not None:
        gid = int(tap["group"])
        if 0 < gid < len(tree.groups):
            expanded.add(gid)
            return {"expanded": sorted(expanded), "focus": {"group": gid}}
    if trigger == "select" and group_id is not None and group_id in dg.gids:
        unit = dg.gids.index(group_id)
        return {"expanded": sorted(open_units(tree, expanded, [unit])), "focus": {"units": [unit]}}
    if trigger == "collapse-all":
        return {"expanded": [], "focus": {"all": True}}
    if trigger == "collapse" and collapse is not None and collapse in expanded:
        expanded -= _descendants(tree, collapse)
        return {"expanded": sorted(expanded), "focus": {"all": True}}
    return {"expanded": sorted(expanded), "focus": {"all": True}}


def diff_graph(
    reg: Registry,
    a: str | None,
    b: str | None,
    state: dict[str, Any] | None,
    selected: list[Any] | None,
) -> tuple[list[dict[str, Any]], list[Any], str, list[Any], dict[str, Any]]:
    """(elements, legend, description, collapse buttons, focus) of the aligned A|B graph."""
    from trtinspect.app.graph_diff import DIFF_LEGEND, diff_elements

    if not a or not b:
        return [], [], "", [], {}
    try:
        dg = reg.diff_graph(a, b)
        a_label, b_label = reg.get(a).label, reg.get(b).label
    except (UnknownEngine, TrtInspectError):
        return [], [], "", [], {}
    state = state or {"expanded": [], "focus": {"all": True}}
    gid = selected_id(selected)
    hi = [dg.gids.index(gid)] if gid is not None and gid in dg.gids else []
    elements, visible = diff_elements(
        dg, state.get("expanded", []), a_label=a_label, b_label=b_label, highlight=hi
    )
    n_marked = int(dg.marked.sum())
    text = (
        f"{n_marked} of {dg.n} aligned groups changed beyond noise ({dg.rule}). A on the left, B on the right, "
        "same row = same group; click a module to expand it."
    )
    focus = state.get("focus") or {"all": True}
    ids: list[str] = []
    if "group" in focus:
        g = int(focus["group"])
        units = dg.tree.groups[g].units.tolist() if 0 < g < len(dg.tree.groups) else []
        ids = [f"{side}u{u}" for u in units for side in ("A", "B")]
    elif "units" in focus:
        ids = [f"{side}u{int(u)}" for u in focus["units"] for side in ("A", "B")]
    present = {e["data"]["id"] for e in elements if "source" not in e["data"]}
    ids = [i for i in ids if i in present]
    return (
        elements,
        legend(DIFF_LEGEND),
        text,
        crumbs(dg.tree, [int(x) for x in state.get("expanded", [])], prefix="diff"),
        {"ids": ids, "n_nodes": len(present), "nonce": len(elements) + len(ids) + len(visible)},
    )


def diff_details(reg: Registry, a: str | None, b: str | None, tap: dict[str, Any] | None) -> Any:
    """Details of a tapped aligned group: both sides' times, precision and layers."""
    if not tap or not a or not b:
        return html.P("Click a group for its details.", className="muted")
    try:
        dg = reg.diff_graph(a, b)
        result = reg.diff(a, b)
    except (UnknownEngine, TrtInspectError):
        return ""
    if tap.get("unit") is None:
        gid = tap.get("group")
        if gid is None or not 0 < int(gid) < len(dg.tree.groups):
            return html.P("Click a group for its details.", className="muted")
        grp = dg.tree.groups[int(gid)]
        units = grp.units.tolist()
        marked = [u for u in units if dg.marked[u]]
        return html.Div(
            [
                html.H4(grp.label),
                html.P(f"{len(units)} aligned groups, {len(marked)} changed beyond noise."),
                html.Ul([html.Li(f"{dg.labels[u]}: {dg.why[u]}") for u in marked[:20]]),
            ],
            id="diff-group-details",
        )
    u = int(tap["unit"])
    row = result.groups[result.groups["group_id"] == dg.gids[u]].iloc[0]
    ga, gb = reg.graph(a), reg.graph(b)
    names_a = [ga.names[p] for p in ga.positions_of(as_list(row["a_layers"]))]
    names_b = [gb.names[p] for p in gb.positions_of(as_list(row["b_layers"]))]
    facts = [
        ("kind", str(row["kind"])),
        ("marked", dg.why[u] or "no (within noise)"),
        # precision named as diff's text names it (FP32 (TF32 Tensor Core math): diff_math.group_precision_label)
        ("A", f"{pages_diff._precision(row.to_dict(), 'a')} \u00b7 {pages_diff._fmt(row['a_ms'])} ms"),
        ("B", f"{pages_diff._precision(row.to_dict(), 'b')} \u00b7 {pages_diff._fmt(row['b_ms'])} ms"),
        ("delta", f"{pages_diff._fmt(row['delta_ms'], signed=True)} ms"),
        ("matched by", str(row["method"])),
    ]
    items: list[Any] = []
    for k, v in facts:
        items += [html.Dt(k), html.Dd(v)]
    return html.Div(
        [
            html.H4(str(row["label"])),
            html.Dl(items, className="facts"),
            html.B("A layers"),
            html.Ul([html.Li(n) for n in names_a[:20]]),
            html.B("B layers"),
            html.Ul([html.Li(n) for n in names_b[:20]]),
            *_moved_detail(result, int(row["group_id"])),
        ],
        id="diff-group-details",
    )


def _moved_detail(result: Any, gid: int) -> list[Any]:
    """A group fused ops moved between (diff's ``moved``): why it is one group, and its layer-by-layer pairs."""
    moved = next((m for m in result.moved if m["group_id"] == gid), None)
    if moved is None:
        return []
    parts = result.moved_parts.iloc[moved["rows"]].to_dict(orient="records")
    return [
        html.P(str(moved["reason"]), className="muted"),
        html.B("layer by layer"),
        html.Ul([html.Li(f"{p['label']}: {pages_diff._fmt(p['a_ms'])} \u2192 {pages_diff._fmt(p['b_ms'])} ms "
                         f"({pages_diff._fmt(p['delta_ms'], signed=True)} ms)") for p in parts]),
    ]


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

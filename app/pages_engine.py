"""Engine page: the fused graph, the latency breakdown and the analyzer's findings of one engine."""

from __future__ import annotations

import math
from typing import Any

import dash_cytoscape as cyto
import pandas as pd
from dash import dcc, html

from trtinspect.app.graph import as_list
from trtinspect.app.graph_view import STYLESHEET
from trtinspect.app.nsys_section import nsys_section
from trtinspect.app.pages_engines import engine_facts, facts_list
from trtinspect.app.state import Registry
from trtinspect.app.tables import grid
from trtinspect.inspector.lint import cost_label
from trtinspect.parsers.timing import TimingSummary
from trtinspect.render import plots

MAX_ITERATION_BARS = 500  # per-iteration chart: iterations are averaged in bins beyond this many
MAX_FINDINGS_ROWS = 500  # findings table rows sent to the browser (in lint's order)
TOP_LAYERS = 15
COLOR_OPTIONS = [
    {"label": "precision", "value": "precision"},
    {"label": "layer type", "value": "layer_type"},
    {"label": "latency", "value": "latency"},
]
FINDING_COLUMNS = [
    ("severity", "severity"),
    ("rule_id", "rule"),
    ("title", "finding"),
    ("cost_ms", "cost ms"),
    ("cost_pct", "cost %"),
    ("cost_basis", "cost basis"),
    ("confidence", "confidence"),
    ("n_layers", "layers"),
]
STAGE = {"h2d_ms": "H2D", "d2h_ms": "D2H"}


def iteration_frame(reg: Registry, engine_id: str) -> tuple[pd.DataFrame, str]:
    """Per-iteration H2D/compute/D2H (binned beyond MAX_ITERATION_BARS), else the timing summary's means (cached).

    Reads the bundle's one timing summary (``bundle.timing``): its measured window goes to ``frame.attrs``
    (``first_measured``: the first iteration trtexec's summary counts; ``warmup_ms``) so the chart can mark it.
    """
    entry = reg.get(engine_id)

    def compute() -> tuple[pd.DataFrame, str]:
        b = entry.bundle
        timing = b.timing
        cols = ["h2d_ms", "compute_ms", "d2h_ms"]
        if b.has_times and b.times[cols].notna().any().any():
            return _per_iteration(b.times, timing)
        row: dict[str, Any] = {"x": "mean (trtexec summary)"}
        for col in cols:
            mean = timing.metrics[col].mean
            row[col] = math.nan if mean is None else mean
        frame = pd.DataFrame([row])
        if frame[cols].isna().all().all():
            return frame.iloc[0:0], "No per-iteration timing or performance summary in this engine's files"
        return frame, "Latency from the trtexec performance summary (means, ms)" + _unmeasured(timing)

    return entry.memo("iterations", compute)


def _unmeasured(timing: TimingSummary) -> str:
    idle = [STAGE[c] for c in ("h2d_ms", "d2h_ms") if timing.metrics[c].unmeasured]
    return f"; {' and '.join(idle)} not measured (data transfers disabled)" if idle else ""


def _per_iteration(times: pd.DataFrame, timing: TimingSummary) -> tuple[pd.DataFrame, str]:
    cols = ["h2d_ms", "compute_ms", "d2h_ms"]
    t = times[["iteration", *cols]].reset_index(drop=True)
    n = len(t)
    k = max(1, math.ceil(n / MAX_ITERATION_BARS))
    if k > 1:
        t = t.groupby(t.index // k).agg({"iteration": "first", **{c: "mean" for c in cols}})
        title = f"Per-iteration latency: {n} iterations, mean of every {k} (ms)"
    else:
        title = f"Per-iteration latency: {n} iterations (ms)"
    unmeasured = _unmeasured(timing)
    idle = [STAGE[c] for c in ("h2d_ms", "d2h_ms") if not (t[c].fillna(0) > 0).any()]
    if unmeasured:
        title += unmeasured
    elif idle:
        title += f"; {' and '.join(idle)} are 0 (no transfers timed, e.g. --noDataTransfers)"
    frame = t.rename(columns={"iteration": "x"})
    w = timing.window
    if w is not None and w.first > 0:
        first = int(times["iteration"].iloc[w.first])
        frame.attrs["first_measured"] = first
        frame.attrs["warmup_ms"] = w.warmup_ms
        title += f"; shaded: {w.first} warm-up iterations ({w.warmup_ms:g} ms), not in trtexec's summary"
    return frame, title


def findings_records(reg: Registry, engine_id: str) -> list[dict[str, Any]]:
    """Rows of the findings table (id = position in the findings frame)."""
    f = reg.findings(engine_id)
    rows = []
    for pos, r in enumerate(f.head(MAX_FINDINGS_ROWS).itertuples(index=False)):
        cost = float(r.cost_ms)
        pct = float(r.cost_pct)
        rows.append(
            {
                "id": pos,
                "severity": str(r.severity),
                "rule_id": str(r.rule_id),
                "title": str(r.title),
                "cost_ms": None if math.isnan(cost) else round(cost, 4),
                "cost_pct": None if math.isnan(pct) else round(pct, 2),
                "cost_basis": cost_label(str(r.cost_kind)),
                "confidence": str(r.confidence),
                "n_layers": len(as_list(r.layer_indices)),
            }
        )
    return rows


def _breakdown_rows(rows: list[dict[str, Any]], column: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"key": r[column], "avg_ms": r["avg_ms"], "share_pct": r["share_pct"], "layers": r["layers"]}
            for r in rows
        ],
        columns=["key", "avg_ms", "share_pct", "layers"],
    )


def breakdown_figures(reg: Registry, engine_id: str) -> list[Any]:
    report = reg.report(engine_id)
    per_iter, title = iteration_frame(reg, engine_id)
    out: list[Any] = []
    if per_iter.empty:
        out.append(html.P(title, className="muted"))
    else:
        out.append(
            dcc.Graph(
                id="iteration-breakdown",
                figure=plots.fig_iteration_breakdown(per_iter, title=title,
                                                     first_measured=per_iter.attrs.get("first_measured")),
                config={"displaylogo": False},
            )
        )
    charts = []
    for column, key, what in (
        ("layer_type", "by_type", "layer type"),
        ("precision", "by_precision", "precision"),
    ):
        rows = _breakdown_rows(report[key], column)
        if not rows.empty:
            charts.append(
                dcc.Graph(
                    figure=plots.fig_time_share(rows, what=what),
                    config={"displaylogo": False},
                    className="half",
                )
            )
    out.append(html.Div(charts, className="row"))
    top = pd.DataFrame(report["top_layers"][:TOP_LAYERS])
    if not top.empty:
        # as report's table: "All N timed layers" when the chart shows every layer with a time, else "Top N"
        every = len(top) >= report["layers"]["profiled"]
        title = f"All {len(top)} timed layers (ms per iteration)" if every else ""
        out.append(
            dcc.Graph(id="top-layers", figure=plots.fig_top_layers(top, title=title), config={"displaylogo": False})
        )
    elif not report["layers"]["profile_rows"]:
        out.append(
            html.P(
                "No per-layer profile: export with trtexec --exportProfile (or --dumpProfile) to see "
                "per-layer times.",
                className="muted",
            )
        )
    return out


def findings_table(reg: Registry, engine_id: str) -> list[Any]:
    rows: Any = findings_records(reg, engine_id)
    total = len(reg.findings(engine_id))
    note = (
        f"{total} findings, by severity, then estimated savings before layer times (upper bounds), each by cost"
        + (f"; the first {MAX_FINDINGS_ROWS} shown" if total > len(rows) else "")
        + ". Click a column to sort; select a finding to show its layers in the graph above."
    )
    table = grid(
        "findings-table",
        FINDING_COLUMNS,
        rows,
        numeric=("cost_ms", "cost_pct", "n_layers"),
        selectable=True,
        page_size=12,
        wide=("title",),
        cell_styles={
            "severity": {
                "styleConditions": [
                    {"condition": "params.value == 'error'", "style": {"color": "#b91c1c", "fontWeight": "bold"}},
                    {"condition": "params.value == 'warning'", "style": {"color": "#b45309"}},
                ]
            }
        },
        row_ids=True,
    )
    return [html.P(note, className="muted"), table, html.Div(id="finding-details", className="details")]


def graph_block(
    graph_id: str,
    prefix: str,
    color_options: list[dict[str, str]],
    title: str = "Engine graph",
    stylesheet: list[dict[str, Any]] | None = None,
    search: bool = True,
) -> Any:
    """Controls, hover line, the cytoscape graph and the details panel BESIDE it (ids start with ``prefix``)."""
    return html.Div(
        [
            html.H3(title),
            _graph_controls(prefix, color_options, search),
            html.P(id=f"{prefix}-view-text", className="muted"),
            html.Div(id=f"{prefix}-expanded", className="crumbs"),
            html.Div(
                "Hover a box or an edge for its full name or tensor; click a group to expand it, a layer for "
                "its details; wheel zooms, drag pans.",
                id=f"{prefix}-hover",
                className="hover-line",
            ),
            _graph_row(graph_id, prefix, stylesheet),
            html.Div(id=f"{prefix}-fitted", hidden=True),
            dcc.Store(id=f"{prefix}-focus"),
        ],
        className="section",
    )


def _graph_controls(prefix: str, color_options: list[dict[str, str]], search: bool) -> html.Div:
    """The colour choice (when there are options), the search box (when wanted), Fit, Collapse all, legend."""
    color = [
        html.Label("colour by"),
        dcc.RadioItems(id=f"{prefix}-color", options=color_options, value="precision", inline=True),
    ]
    search_box = dcc.Input(
        id=f"{prefix}-search",
        type="search",
        placeholder="search a layer name\u2026",
        debounce=True,
        className="search",
    )
    return html.Div(
        [
            *(color if color_options else []),
            *([search_box] if search else []),
            html.Button("Fit", id=f"{prefix}-fit", className="button secondary"),
            html.Button("Collapse all", id=f"{prefix}-collapse", className="button secondary"),
            html.Div(id=f"{prefix}-legend", className="legend"),
        ],
        className="controls",
    )


def _graph_row(graph_id: str, prefix: str, stylesheet: list[dict[str, Any]] | None) -> html.Div:
    """The cytoscape canvas and the details panel beside it."""
    return html.Div(
        [
            html.Div(
                cyto.Cytoscape(
                    id=graph_id,
                    elements=[],
                    layout={"name": "preset", "fit": False},
                    stylesheet=stylesheet if stylesheet is not None else STYLESHEET,
                    style={"width": "100%", "height": "100%"},
                    minZoom=0.02,
                    maxZoom=3.0,
                    boxSelectionEnabled=False,
                    autoRefreshLayout=False,
                    responsive=True,
                ),
                className="graph-canvas",
            ),
            html.Div(
                html.P("Click a layer or group for its details.", className="muted"),
                id=f"{prefix}-details",
                className="details",
            ),
        ],
        className="graph-row",
    )


def layout(reg: Registry, engine_id: str) -> html.Div:
    entry = reg.get(engine_id)
    notes = entry.bundle.notes
    header = [html.H2(entry.label), facts_list(engine_facts(reg, engine_id))]
    if notes:
        header.append(
            html.Details(
                [html.Summary(f"{len(notes)} notes from the loader"), html.Ul([html.Li(n) for n in notes])]
            )
        )
    graph_section = graph_block("engine-graph", "graph", COLOR_OPTIONS)
    return html.Div(
        [
            dcc.Store(id="engine-id", data=engine_id),
            dcc.Store(id="graph-state", data={"expanded": [], "focus": {"all": True}}),
            html.Div(header, className="section"),
            graph_section,
            html.Div([html.H3("Latency breakdown"), *breakdown_figures(reg, engine_id)], className="section"),
            html.Div([html.H3("Findings"), *findings_table(reg, engine_id)], className="section"),
            *_optional(nsys_section(entry.bundle)),
        ]
    )


def _optional(section: html.Div | None) -> list[html.Div]:
    return [] if section is None else [section]

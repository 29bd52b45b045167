"""Diff page: pick engines A and B; aligned fusion groups, waterfall, time by type/precision, both graphs."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from dash import dcc, html

from trtinspect.app.graph_diff import DIFF_STYLES
from trtinspect.app.graph_view import STYLESHEET
from trtinspect.app.pages_engine import graph_block
from trtinspect.app.state import Registry
from trtinspect.app.tables import grid
from trtinspect.inspector.diff_math import group_precision_label
from trtinspect.render import plots
from trtinspect.render.diff import no_delta_note
from trtinspect.render.escape import printable_lines

MAX_GROUP_ROWS = 1000  # aligned-table rows sent to the browser (largest |delta| first)
GROUP_COLUMNS = [
    ("group_id", "group"),
    ("kind", "kind"),
    ("label", "fusion group"),
    ("a_ms", "A ms"),
    ("b_ms", "B ms"),
    ("delta_ms", "delta ms"),
    ("delta_pct", "delta %"),
    ("layers", "layers A/B"),
    ("precision", "precision A/B"),
    ("method", "matched by"),
    ("n_findings", "findings"),
]
NUMERIC = {"group_id", "a_ms", "b_ms", "delta_ms", "delta_pct", "n_findings"}


def _num(v: Any, digits: int = 4) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else round(f, digits)


def _txt(v: Any) -> str:
    return "?" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)


def _precision(r: dict[str, Any], side: str) -> str:
    """Compute precision of one side of a group as diff's text names it ("FP32 (TF32 Tensor Core math)" where
    the kernel says so: ``diff_math.group_precision_label``): "unknown" for names-only layers, "\u2014" with no
    layer."""
    if not r[f"n_{side}"]:
        return "\u2014"
    p = group_precision_label(r, side)
    return "unknown" if p is None or p is pd.NA else str(p)


def group_records(groups: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of the aligned-group table, largest |delta| first (id = group_id)."""
    order = groups["delta_ms"].abs().sort_values(ascending=False, na_position="last", kind="stable")
    g = groups.reindex(order.index)
    rows = []
    for r in g.head(MAX_GROUP_ROWS).to_dict(orient="records"):
        rows.append(
            {
                "id": int(r["group_id"]),
                "group_id": int(r["group_id"]),
                "kind": str(r["kind"]),
                "label": str(r["label"]),
                "a_ms": _num(r["a_ms"]),
                "b_ms": _num(r["b_ms"]),
                "delta_ms": _num(r["delta_ms"]),
                "delta_pct": _num(r["delta_pct"], 1),
                "layers": f"{len(r['a_layers'])}/{len(r['b_layers'])}",
                "precision": f"{_precision(r, 'a')} \u2192 {_precision(r, 'b')}",
                "method": str(r["method"]),
                "n_findings": len(r.get("findings") or []),
            }
        )
    return rows


def summary_block(result: Any) -> list[Any]:
    t = result.totals
    e2e = result.end_to_end
    # a name's line feed or bidi control is shown, not obeyed (render.escape: the one rule)
    out: list[Any] = [html.P(printable_lines(result.summary_sentences())[:-1], className="summary")]
    if (why := no_delta_note(result)) is not None:
        totals = ", ".join(
            f"{side} " + ("\u2014 (no per-layer timing)" if math.isnan(ms) else f"{ms:.3f} ms")
            for side, ms in (("A", t["a_layers_ms"]), ("B", t["b_layers_ms"]))
        )
        out.append(html.P(f"Per-layer totals: {totals}. {why} Alignment: {result.mode}.", className="muted"))
    else:
        out.append(
            html.P(
                f"Per-layer totals: A {t['a_layers_ms']:.3f} ms, B {t['b_layers_ms']:.3f} ms, delta "
                f"{t['delta_ms']:+.3f} ms"
                + ("" if math.isnan(t["delta_pct"]) else f" ({t['delta_pct']:+.1f}% of A's per-layer total)")
                + f"; sum of group deltas {t['sum_group_delta_ms']:+.3f} ms. Alignment: {result.mode}.",
                className="muted",
            )
        )
    if not e2e.empty:
        rows = [html.Tr([html.Th(h) for h in ("metric", "A ms", "B ms", "delta ms", "source")])]
        for r in e2e.to_dict(orient="records"):
            rows.append(
                html.Tr(
                    [
                        html.Td(str(r["metric"])),
                        html.Td(_fmt(r["a_ms"])),
                        html.Td(_fmt(r["b_ms"])),
                        html.Td(_fmt(r["delta_ms"], signed=True)),
                        html.Td(_txt(r.get("source"))),
                    ]
                )
            )
        out.append(html.Table(rows, className="plain", id="diff-e2e"))
    if result.notes:
        out.append(
            html.Details(
                [html.Summary(f"{len(result.notes)} notes"), html.Ul([html.Li(n) for n in result.notes])]
            )
        )
    return out


def _fmt(v: Any, signed: bool = False) -> str:
    f = _num(v)
    if f is None:
        return "\u2014"
    return f"{f:+.4f}" if signed else f"{f:.4f}"


def charts(result: Any) -> list[Any]:
    cfg: Any = {"displaylogo": False}
    t = result.totals
    if (why := no_delta_note(result)) is not None:  # every chart plots per-layer times: no fake 0 ms bars
        return [
            html.P(
                f"{why} No waterfall, time-by-type/precision or precision-delta chart; precision changes are "
                "in the aligned table.",
                className="muted",
                id="diff-no-charts",
            )
        ]
    return [
        dcc.Graph(
            id="diff-waterfall",
            figure=plots.fig_diff_waterfall(
                result.groups, t["a_layers_ms"], t["b_layers_ms"], a_label="A", b_label="B",
                not_listed_ms=t.get("b_not_listed_ms", 0.0) - t.get("a_not_listed_ms", 0.0),
            ),
            config=cfg,
        ),
        html.Div(
            [
                dcc.Graph(
                    id="diff-by-type",
                    figure=plots.fig_time_by_type(result.by_type),
                    config=cfg,
                    className="half",
                ),
                dcc.Graph(
                    id="diff-by-precision",
                    figure=plots.fig_time_by_precision(result.by_precision),
                    config=cfg,
                    className="half",
                ),
            ],
            className="row",
        ),
        dcc.Graph(id="diff-precision-changes", figure=plots.fig_precision_changes(result.groups), config=cfg),
    ]


def layout(reg: Registry, a: str | None, b: str | None) -> html.Div:
    options = [{"label": e.label, "value": e.id} for e in reg.entries()]
    ids = reg.ids()
    a = a if a in reg else (ids[0] if ids else None)
    b = b if b in reg else next((i for i in ids if i != a), a)
    return html.Div(
        [
            html.H2("Diff"),
            html.Div(
                [
                    html.Label("A (baseline)"),
                    dcc.Dropdown(id="diff-a", options=options, value=a, clearable=False, className="pick"),
                    html.Label("B (candidate)"),
                    dcc.Dropdown(id="diff-b", options=options, value=b, clearable=False, className="pick"),
                ],
                className="controls",
            ),
            dcc.Loading(html.Div(id="diff-summary", className="section"), type="circle"),
            html.Div(id="diff-charts", className="section"),
            html.Div(
                [
                    html.H3("Aligned fusion groups"),
                    html.P(
                        "Largest change first; click a column to sort, select a group to show it in both "
                        "graphs.",
                        className="muted",
                    ),
                    grid(
                        "diff-table",
                        GROUP_COLUMNS,
                        [],
                        numeric=tuple(NUMERIC),
                        selectable=True,
                        page_size=15,
                        wide=("label",),
                        row_ids=True,
                        cell_styles={
                            "delta_ms": {
                                "styleConditions": [
                                    {"condition": "params.value > 0", "style": {"color": plots.COLOR_WORSE}},
                                    {"condition": "params.value < 0", "style": {"color": plots.COLOR_BETTER}},
                                ]
                            }
                        },
                    ),
                ],
                className="section",
            ),
            dcc.Store(id="diff-state", data={"expanded": [], "focus": {"all": True}}),
            graph_block(
                "diff-graph",
                "diff",
                [],
                title="Graphs of A and B, aligned group by group",
                stylesheet=STYLESHEET + DIFF_STYLES,
                search=False,
            ),
        ]
    )

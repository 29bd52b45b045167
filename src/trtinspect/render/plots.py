"""Plotly figure builders shared by the HTML reports and the web app (the only module that plots).

A flat module of functions ``fig_*(...) -> plotly.graph_objects.Figure``. Each takes plain frames with the
columns it documents (no bundle or analysis objects), so the web app and the reports can feed them alike.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from trtinspect.inspector.diff_math import TF32_LABEL, group_precision_label

__all__ = ["fig_diff_waterfall", "fig_precision_changes", "fig_time_by_type"]

# Colours used consistently: slower (regression) / faster (improvement) / totals.
COLOR_WORSE = "#d62728"
COLOR_BETTER = "#2ca02c"
COLOR_TOTAL = "#1f77b4"
LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 60, "b": 60}}


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _txt(value: Any) -> str:
    return "?" if value is None or value is pd.NA else str(value)


def plot_text(value: Any) -> str:
    """``value`` as plotly shows it literally. Plotly reads every label, legend name, hover text and title as
    its own small HTML (``<a href>``, ``<b>``, ``<br>``, entities): a layer named ``<a href="...">`` would
    become a live link in the chart. ``&``, ``<`` and ``>`` become entities, which plotly shows as the
    characters. Hover templates never embed data: they read it through ``%{...}`` from escaped fields."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _texts(values: Any) -> list[str]:
    return [plot_text(v) for v in values]


def fig_diff_waterfall(groups: pd.DataFrame, a_total_ms: float, b_total_ms: float, *, top: int = 20,
                       a_label: str = "A", b_label: str = "B", not_listed_ms: float = 0.0) -> go.Figure:
    """Waterfall from A's per-layer total to B's: one step per group (largest |delta| first, the rest summed),
    and one for the delta of time not listed in a --dumpProfile excerpt (``not_listed_ms``, when not 0).

    ``groups`` needs ``label``, ``kind`` and ``delta_ms`` (e.g. ``DiffResult.groups``).
    """
    g = groups[["label", "kind", "delta_ms"]].copy()
    g = g[g["delta_ms"].fillna(0) != 0]
    g = g.reindex(g["delta_ms"].abs().sort_values(ascending=False).index)
    shown, rest = g.head(top), g.iloc[top:]
    a_label, b_label = plot_text(a_label), plot_text(b_label)
    x = [f"{a_label} total"]
    y = [a_total_ms]
    measure = ["absolute"]
    text = [f"{a_total_ms:.3f} ms"]
    for label, kind, delta in shown.itertuples(index=False):
        x.append(plot_text(f"{_short(str(label))} [{kind}]"))
        y.append(float(delta))
        measure.append("relative")
        text.append(f"{delta:+.3f}")
    if not rest.empty:
        x.append(f"{len(rest)} other groups")
        y.append(float(rest["delta_ms"].sum()))
        measure.append("relative")
        text.append(f"{y[-1]:+.3f}")
    if not_listed_ms:
        x.append("not listed in the excerpt")
        y.append(float(not_listed_ms))
        measure.append("relative")
        text.append(f"{not_listed_ms:+.3f}")
    x.append(f"{b_label} total")
    y.append(b_total_ms)
    measure.append("total")
    text.append(f"{b_total_ms:.3f} ms")
    fig = go.Figure(go.Waterfall(
        x=x, y=y, measure=measure, text=text, textposition="outside",
        increasing={"marker": {"color": COLOR_WORSE}}, decreasing={"marker": {"color": COLOR_BETTER}},
        totals={"marker": {"color": COLOR_TOTAL}}, hovertemplate="%{x}<br>%{y:.4f} ms<extra></extra>",
    ))
    fig.update_layout(title=f"Per-layer time from {a_label} to {b_label}, by fusion group (ms per iteration)",
                      yaxis_title="ms", showlegend=False, **LAYOUT)
    fig.update_xaxes(tickangle=-40)
    return fig


def fig_time_by_type(by_type: pd.DataFrame, *, a_label: str = "A", b_label: str = "B") -> go.Figure:
    """Stacked per-layer time by layer type, one bar for A and one for B.

    ``by_type`` needs ``key`` (layer type), ``a_ms`` and ``b_ms`` (e.g. ``DiffResult.by_type``).
    """
    fig = go.Figure()
    order = by_type.assign(total=by_type["a_ms"] + by_type["b_ms"]).sort_values("total", ascending=False)
    x = [plot_text(a_label), plot_text(b_label)]
    for row in order.itertuples(index=False):
        fig.add_trace(go.Bar(
            name=plot_text(row.key), x=x, y=[float(row.a_ms), float(row.b_ms)],
            hovertemplate="%{fullData.name}<br>%{x}: %{y:.4f} ms<extra></extra>",
        ))
    fig.update_layout(barmode="stack", title="Per-layer time by layer type (ms per iteration)",
                      yaxis_title="ms", legend_title="layer type", **LAYOUT)
    return fig


def fig_precision_changes(groups: pd.DataFrame, *, top: int = 30) -> go.Figure:
    """Groups whose compute or output precision differs between A and B: their delta, coloured by transition.

    ``groups`` needs ``label``, ``changes`` (list), ``a_precision``, ``b_precision``, ``a_output_precision``,
    ``b_output_precision`` and ``delta_ms``; ``a_tactic`` / ``b_tactic`` when present name an FP32 side whose
    kernel says so "FP32 (TF32 Tensor Core math)" (``diff_math.group_precision_label``, as diff's text does).
    """
    rows = []
    for r in groups.to_dict(orient="records"):
        changes = r["changes"] if isinstance(r["changes"], (list, tuple)) else []
        if "precision" not in changes:
            continue
        a_p, b_p = _txt(r["a_precision"]), _txt(r["b_precision"])
        if a_p != b_p:      # named as diff's text names them: "FP32 (TF32 Tensor Core math)" (diff_math)
            said_a, said_b = (_txt(group_precision_label(r, side)) for side in ("a", "b"))
            transition = f"compute {said_a} \u2192 {said_b}"
        else:
            transition = f"output {_txt(r['a_output_precision'])} \u2192 {_txt(r['b_output_precision'])}"
        delta = float(r["delta_ms"])
        rows.append({"label": plot_text(_short(str(r["label"]), 50)), "transition": plot_text(transition),
                     "delta_ms": 0.0 if math.isnan(delta) else delta})
    fig = go.Figure()
    if not rows:
        fig.add_annotation(text="no precision changes", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
        fig.update_layout(title="Precision changes", **LAYOUT)
        return fig
    frame = pd.DataFrame(rows)
    frame = frame.reindex(frame["delta_ms"].abs().sort_values(ascending=False).index).head(top)
    for transition, part in frame.groupby("transition", sort=False):
        fig.add_trace(go.Bar(
            name=str(transition), y=part["label"], x=part["delta_ms"], orientation="h",
            hovertemplate="%{y}<br>%{x:+.4f} ms<extra>%{fullData.name}</extra>",
        ))
    fig.update_layout(title="Groups whose precision changed: time delta B - A (ms per iteration)",
                      xaxis_title="delta ms (negative = B faster)", legend_title="precision",
                      height=max(300, 28 * len(frame) + 120), **LAYOUT)
    fig.update_yaxes(autorange="reversed")
    return fig


# ------------------------------------------------------------------------------------------------------------
# Web dashboard figures (trtinspect.app); usable by HTML reports as well.

__all__ += [
    "PRECISION_COLORS", "fig_engine_graph", "fig_history_runs", "fig_history_trend",
    "fig_iteration_breakdown", "fig_time_by_precision", "fig_time_share", "fig_top_layers",
]

# Compute precision -> colour (declared once; the graph legend and every precision chart use it).
PRECISION_COLORS: dict[str, str] = {
    "FP32": "#1f77b4", "TF32": "#6baed6", "FP16": "#ff7f0e", "BF16": "#fdae6b", "INT8": "#2ca02c",
    "FP8": "#9467bd", "INT4": "#17becf", "INT32": "#7f7f7f", "INT64": "#8c8c8c", "BOOL": "#bcbd22",
    "mixed": "#8c564b",
}
PRECISION_COLORS[TF32_LABEL] = PRECISION_COLORS["TF32"]     # diff's name of FP32 layers on TF32 Tensor Cores
COLOR_UNKNOWN = "#c7c7c7"
COLOR_HIGHLIGHT = "#d62728"
# Latency colouring of graph nodes (continuous, per-iteration ms).
LATENCY_SCALE = "YlOrRd"
STAGE_COLORS = {"h2d_ms": "#9467bd", "compute_ms": "#1f77b4", "d2h_ms": "#ff7f0e"}
STAGE_NAMES = {"h2d_ms": "H2D", "compute_ms": "GPU compute", "d2h_ms": "D2H"}
GRAPH_COLOR_BY = ("precision", "layer_type", "latency")


def _palette(keys: list[str]) -> dict[str, str]:
    import plotly.express as px

    colors = px.colors.qualitative.Plotly + px.colors.qualitative.D3 + px.colors.qualitative.Set3
    return {k: colors[i % len(colors)] for i, k in enumerate(keys)}


def _edge_path(x0: float, y0: float, x1: float, y1: float, steps: int = 8) -> tuple[list[float], list[float]]:
    """Points of one edge: straight between neighbouring ranks; an arc bulging sideways when it skips ranks
    (so a residual connection does not hide behind the layers it jumps over)."""
    span = abs(y1 - y0)
    if span <= 1.01:
        return [x0, (x0 + x1) / 2, x1], [y0, (y0 + y1) / 2, y1]
    side = 1.0 if (x0 + x1) / 2 >= 0 else -1.0
    cx, cy = (x0 + x1) / 2 + side * (0.3 + min(0.1 * span, 0.9)), (y0 + y1) / 2
    ts = [k / steps for k in range(steps + 1)]
    xs = [(1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1 for t in ts]
    ys = [(1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1 for t in ts]
    return xs, ys


def fig_engine_graph(nodes: pd.DataFrame, edges: pd.DataFrame, *, color_by: str = "precision",
                     size_by_time: bool = True, show_labels: bool = True, title: str = "",
                     height: int = 700, highlight_label: str = "selected") -> go.Figure:
    """The fused engine graph: one marker per engine layer, one line per tensor edge.

    ``nodes`` needs ``layer_index``, ``x``, ``y``, ``label`` (short text, shown as it is), ``hover`` (plotly's
    HTML: escape names in it with :func:`plot_text`), ``precision``,
    ``layer_type``, ``avg_ms`` (NaN = untimed) and ``highlight`` (bool). ``edges`` needs ``x0``, ``y0``,
    ``x1``, ``y1`` and ``hover`` (tensor). ``color_by`` is one of :data:`GRAPH_COLOR_BY`. Each node trace
    carries ``layer_index`` as customdata, so a click names the layer.
    """
    if color_by not in GRAPH_COLOR_BY:
        raise ValueError(f"color_by must be one of {GRAPH_COLOR_BY}, not {color_by!r}")
    fig = go.Figure()
    if not edges.empty:
        _add_edge_traces(fig, edges)
    times = nodes["avg_ms"].astype("float64")
    t_max = float(times.max()) if times.notna().any() else 0.0
    if size_by_time and t_max > 0:
        sizes = (10 + 26 * (times.fillna(0) / t_max) ** 0.5).tolist()
    else:
        sizes = [14.0] * len(nodes)
    nodes = nodes.assign(_size=sizes)
    any_highlight = bool(nodes["highlight"].any())
    opacity = [1.0 if (h or not any_highlight) else 0.35 for h in nodes["highlight"].tolist()]
    nodes = nodes.assign(_opacity=opacity)
    text_mode = "markers+text" if show_labels else "markers"
    common = {"mode": text_mode, "textposition": "middle right", "hoverinfo": "text",
              "textfont": {"size": 10}}
    if color_by == "latency":
        _add_latency_traces(fig, nodes, times.notna(), t_max, common)
    else:
        _add_key_traces(fig, nodes, color_by, common)
    if any_highlight:
        hi = nodes[nodes["highlight"]]
        fig.add_trace(go.Scatter(
            x=hi["x"], y=hi["y"], mode="markers", customdata=hi["layer_index"], hovertext=hi["hover"],
            hoverinfo="text", name=plot_text(highlight_label),
            marker={"size": hi["_size"] + 10, "color": "rgba(0,0,0,0)",
                    "line": {"width": 3, "color": COLOR_HIGHLIGHT}}))
    fig.update_layout(title=plot_text(title), height=height, showlegend=True, hovermode="closest",
                      legend={"title": {"text": color_by.replace("_", " ")}}, dragmode="pan",
                      template="plotly_white", margin={"l": 10, "r": 10, "t": 50, "b": 10})
    if not nodes.empty:  # room for arcs on both sides and for the labels on the right
        fig.update_xaxes(range=[float(nodes["x"].min()) - 1.5, float(nodes["x"].max()) + (3.5 if show_labels
                                                                                           else 1.5)])
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _add_edge_traces(fig: go.Figure, edges: pd.DataFrame) -> None:
    """The tensor edges as one line trace, and a hover marker at the middle of each."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    mid_x, mid_y = [], []
    for x0, y0, x1, y1 in edges[["x0", "y0", "x1", "y1"]].itertuples(index=False):
        ex, ey = _edge_path(float(x0), float(y0), float(x1), float(y1))
        xs += [*ex, None]
        ys += [*ey, None]
        mid_x.append(ex[len(ex) // 2])
        mid_y.append(ey[len(ey) // 2])
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#b0b0b0", "width": 1},
                             hoverinfo="skip", showlegend=False, name="tensors"))
    fig.add_trace(go.Scatter(
        x=mid_x, y=mid_y, mode="markers", marker={"size": 5, "color": "#b0b0b0", "opacity": 0.6},
        hovertext=edges["hover"], hoverinfo="text", showlegend=False, name="tensor"))


def _add_latency_traces(fig: go.Figure, nodes: pd.DataFrame, timed: pd.Series, t_max: float,
                        common: dict[str, Any]) -> None:
    """Layers coloured on the latency scale (with a colour bar), untimed layers grey."""
    for part, is_timed in ((nodes[timed], True), (nodes[~timed], False)):
        if part.empty:
            continue
        marker: dict[str, Any] = {"size": part["_size"], "opacity": part["_opacity"],
                                  "line": {"width": 1, "color": "#444"}}
        if is_timed:
            marker.update(color=part["avg_ms"], colorscale=LATENCY_SCALE, cmin=0, cmax=t_max or 1,
                          showscale=True, colorbar={"title": {"text": "ms"}, "thickness": 12})
        else:
            marker["color"] = COLOR_UNKNOWN
        fig.add_trace(go.Scatter(x=part["x"], y=part["y"], text=_texts(part["label"]), hovertext=part["hover"],
                                 customdata=part["layer_index"], marker=marker,
                                 name="timed" if is_timed else "no time", showlegend=not is_timed,
                                 **common))


def _add_key_traces(fig: go.Figure, nodes: pd.DataFrame, color_by: str, common: dict[str, Any]) -> None:
    """One trace (legend entry) per precision or layer type."""
    keys = nodes[color_by].astype("string").fillna("(unknown)").replace("", "(unknown)")
    order = sorted(keys.unique().tolist())
    colors = PRECISION_COLORS if color_by == "precision" else _palette(order)
    for key in order:
        part = nodes[keys == key]
        fig.add_trace(go.Scatter(
            x=part["x"], y=part["y"], text=_texts(part["label"]), hovertext=part["hover"],
            customdata=part["layer_index"], name=plot_text(key),
            marker={"size": part["_size"], "color": colors.get(key, COLOR_UNKNOWN),
                    "opacity": part["_opacity"], "line": {"width": 1, "color": "#444"}},
            **common))


def fig_iteration_breakdown(per_iter: pd.DataFrame, *, title: str = "", first_measured: float | None = None
                            ) -> go.Figure:
    """Per-iteration H2D / GPU compute / D2H, stacked. ``per_iter`` needs ``x`` and the ms columns it has of
    ``h2d_ms``, ``compute_ms``, ``d2h_ms`` (one row per iteration, or one row of means from a summary).
    ``first_measured``: the first iteration trtexec's summary counts; the warm-up before it is shaded."""
    fig = go.Figure()
    if first_measured is not None and len(per_iter) > 1:
        fig.add_vrect(x0=per_iter["x"].iloc[0], x1=first_measured, fillcolor="#888888", opacity=0.18, line_width=0,
                      layer="below", annotation_text="warm-up", annotation_position="top left")
        fig.add_vline(x=first_measured, line_dash="dash", line_width=1, line_color="#444444",
                      annotation_text="first measured iteration", annotation_position="top right")
    single = len(per_iter) == 1
    for col, name in STAGE_NAMES.items():
        if col not in per_iter or per_iter[col].isna().all():
            continue
        hover = f"{name}<br>%{{x}}: %{{y:.4f}} ms<extra></extra>"
        if single:  # one row of means: a stacked bar
            fig.add_trace(go.Bar(x=per_iter["x"], y=per_iter[col], name=name, hovertemplate=hover,
                                 marker={"color": STAGE_COLORS[col]}))
        else:       # many iterations: stacked areas (thousands of bars would draw as one block)
            fig.add_trace(go.Scatter(x=per_iter["x"], y=per_iter[col], name=name, mode="lines",
                                     stackgroup="stages", line={"width": 0.5, "color": STAGE_COLORS[col]},
                                     hovertemplate=hover))
    fig.update_layout(barmode="stack", title=plot_text(title) or "Per-iteration latency (ms)", yaxis_title="ms",
                      xaxis_title="" if single else "iteration", legend_title="stage", hovermode="x unified",
                      **LAYOUT)
    return fig


def fig_time_share(rows: pd.DataFrame, *, what: str = "layer type", title: str = "") -> go.Figure:
    """Per-layer time of ONE engine by a category: horizontal bars. ``rows`` needs ``key``, ``avg_ms`` and
    ``layers`` (count); optional ``share_pct``."""
    r = rows.sort_values("avg_ms", ascending=True, na_position="first")
    share = r["share_pct"] if "share_pct" in r else pd.Series(float("nan"), index=r.index)
    text = [f"{ms:.3f} ms" + ("" if pd.isna(s) else f" ({s:.1f}%)") if not pd.isna(ms) else "untimed"
            for ms, s in zip(r["avg_ms"].tolist(), share.tolist(), strict=True)]
    colors = [PRECISION_COLORS.get(str(k), COLOR_TOTAL) if what == "precision" else COLOR_TOTAL
              for k in r["key"].tolist()]
    fig = go.Figure(go.Bar(
        y=_texts(r["key"].astype(str)), x=r["avg_ms"].fillna(0), orientation="h", text=text, textposition="auto",
        marker={"color": colors}, customdata=r["layers"],
        hovertemplate="%{y}<br>%{x:.4f} ms, %{customdata} layers<extra></extra>"))
    fig.update_layout(title=plot_text(title or f"Per-layer time by {what} (ms per iteration)"), xaxis_title="ms",
                      height=max(260, 26 * len(r) + 110), showlegend=False, **LAYOUT)
    return fig


def fig_top_layers(top: pd.DataFrame, *, title: str = "") -> go.Figure:
    """The slowest layers of one engine. ``top`` needs ``name``, ``avg_ms`` and ``precision``."""
    t = top.sort_values("avg_ms", ascending=True)
    keys = t["precision"].astype("string").fillna("(unknown)")
    fig = go.Figure()
    for key in sorted(keys.unique().tolist()):
        part = t[keys == key]
        fig.add_trace(go.Bar(
            y=[plot_text(_short(str(n), 60)) for n in part["name"]], x=part["avg_ms"], orientation="h",
            name=plot_text(key), marker={"color": PRECISION_COLORS.get(str(key), COLOR_UNKNOWN)},
            hovertext=_texts(part["name"]),
            hovertemplate="%{hovertext}<br>%{x:.4f} ms<extra>%{fullData.name}</extra>"))
    fig.update_layout(title=plot_text(title or f"Top {len(t)} layers (ms per iteration)"), xaxis_title="ms",
                      legend_title="precision", height=max(280, 24 * len(t) + 120), **LAYOUT)
    fig.update_yaxes(categoryorder="array", categoryarray=[plot_text(_short(str(n), 60)) for n in t["name"]])
    return fig


def fig_time_by_precision(by_precision: pd.DataFrame, *, a_label: str = "A", b_label: str = "B") -> go.Figure:
    """Stacked per-layer time by compute precision, A beside B (``key``, ``a_ms``, ``b_ms``)."""
    fig = fig_time_by_type(by_precision, a_label=a_label, b_label=b_label)
    for trace in fig.data:
        trace.marker.color = PRECISION_COLORS.get(str(trace.name), COLOR_UNKNOWN)
    fig.update_layout(title="Per-layer time by precision (ms per iteration)", legend_title="precision")
    return fig


def fig_history_runs(runs: pd.DataFrame, *, title: str = "") -> go.Figure:
    """End-to-end time of recorded checks over time: ``id``, ``created_at``, ``e2e_base_ms``, ``e2e_cand_ms``,
    ``verdict`` (one row per check, e.g. ``inspector.history.list_runs``)."""
    r = runs.sort_values("id")
    fig = go.Figure()
    series = (("e2e_base_ms", "baseline", COLOR_TOTAL), ("e2e_cand_ms", "candidate", COLOR_WORSE))
    for col, name, color in series:
        fig.add_trace(go.Scatter(
            x=r["id"], y=r[col], mode="lines+markers", name=name, line={"color": color},
            customdata=[_texts(pair) for pair in r[["created_at", "verdict"]].astype(str).to_numpy().tolist()],
            hovertemplate="check %{x} (%{customdata[1]})<br>%{customdata[0]}<br>%{y:.4f} ms<extra>"
                          + name + "</extra>"))
    fig.update_layout(title=plot_text(title or "End-to-end GPU time per recorded check"), yaxis_title="ms",
                      xaxis_title="check", **LAYOUT)
    fig.update_xaxes(type="category")
    return fig


def fig_history_trend(trend: pd.DataFrame, *, title: str = "") -> go.Figure:
    """A layer's or fusion group's time over recorded checks: ``run_id``, ``created_at``, ``what``,
    ``base_ms``, ``cand_ms`` (``inspector.history.layer_trend``)."""
    fig = go.Figure()
    for what, part in trend.groupby("what", sort=True):
        for col, name, dash in (("base_ms", "baseline", "dot"), ("cand_ms", "candidate", "solid")):
            if part[col].isna().all():
                continue
            fig.add_trace(go.Scatter(
                x=part["run_id"], y=part[col], mode="lines+markers", name=plot_text(f"{what} {name}"),
                line={"dash": dash}, customdata=_texts(part["created_at"].astype(str)),
                hovertemplate="check %{x}<br>%{customdata}<br>%{y:.4f} ms<extra>%{fullData.name}</extra>"))
    fig.update_layout(title=plot_text(title or "Time per recorded check"), yaxis_title="ms per iteration",
                      xaxis_title="check", **LAYOUT)
    fig.update_xaxes(type="category")
    return fig

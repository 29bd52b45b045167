"""Engines page: one card per engine the server holds, and the upload box."""

from __future__ import annotations

import logging
import math
from pathlib import PurePath
from typing import Any

from dash import dcc, html

from trtinspect.app.state import Registry

log = logging.getLogger(__name__)

NONE = "\u2014"


def _ms(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    return f"{float(value):.{digits}f} ms"


def latency_text(report: dict[str, Any]) -> str:
    """End-to-end latency for a card: per-iteration times, else the trtexec summary, else per-layer total."""
    timing = report["timing"]
    for key, what in (("latency_ms", "latency"), ("compute_ms", "GPU compute")):
        mean = (timing.get(key) or {}).get("mean")
        if mean is not None:
            src = (
                f"mean of {timing['iterations']} iterations"
                if timing.get("source") == "times"
                else "trtexec summary"
            )
            return f"{mean:.3f} ms {what} ({src})"
    total = report["layers"].get("total_layer_ms")
    if total is not None:
        return f"no end-to-end timing; per-layer total {total:.3f} ms"
    return NONE


def precision_mix(report: dict[str, Any]) -> str:
    rows = [r for r in report["by_precision"] if r["precision"] != "(profiled, not in layers)"]
    if not rows:
        return NONE
    if all(r["precision"] == "(unknown)" for r in rows):
        return "unknown (names-only layer information)"
    if all(r.get("share_pct") is not None for r in rows):
        return " \u00b7 ".join(f"{r['precision']} {r['share_pct']:.0f}%" for r in rows)
    return " \u00b7 ".join(f"{r['precision']} \u00d7{r['layers']}" for r in rows)


def engine_facts(reg: Registry, engine_id: str) -> dict[str, str]:
    """The facts every card and the Engine page header show, as display strings."""
    entry = reg.get(engine_id)
    b = entry.bundle
    report = reg.report(engine_id)
    model = report.get("model")
    findings = reg.findings(engine_id)
    if findings.empty:
        top = "no findings"
    else:
        f = findings.iloc[0]
        cost = "" if math.isnan(float(f["cost_ms"])) else f" ({float(f['cost_ms']):.3f} ms)"
        top = f"{f['title']}{cost}"
    detailed = "detailed" if b.detailed else "names only"
    return {
        "Model": PurePath(str(model)).name if model else b.name,
        "GPU": report["device"].get("name") or NONE,
        "TensorRT": b.trt_version or "not recorded",
        "Precision mix": precision_mix(report),
        "Latency": latency_text(report),
        "Layers": f"{len(b.layers)} ({detailed})" if len(b.layers) else "0",
        "Top finding": top if len(findings) <= 1 else f"{top} \u2014 {len(findings)} findings",
    }


def facts_list(facts: dict[str, str]) -> html.Dl:
    items: list[Any] = []
    for k, v in facts.items():
        items += [html.Dt(k), html.Dd(v)]
    return html.Dl(items, className="facts")


def card(reg: Registry, engine_id: str) -> html.Div:
    entry = reg.get(engine_id)
    return html.Div(
        [
            html.Div(
                [
                    dcc.Link(entry.label, href=f"/engine/{engine_id}", className="card-title"),
                    html.Span(entry.origin, className=f"badge badge-{entry.origin}"),
                ],
                className="card-head",
            ),
            facts_list(engine_facts(reg, engine_id)),
            html.Div(
                [
                    dcc.Link("Open", href=f"/engine/{engine_id}", className="button"),
                    dcc.Link("Diff\u2026", href=f"/diff?a={engine_id}", className="button secondary"),
                ],
                className="card-actions",
            ),
        ],
        className="card",
        id={"type": "engine-card", "id": engine_id},
    )


def cards(reg: Registry) -> list[html.Div]:
    """One card per engine; a card that cannot be drawn shows its error and the others are drawn."""
    out = []
    for engine_id in reg.ids():
        try:
            out.append(card(reg, engine_id))
        except Exception as exc:
            log.exception("card %s failed", engine_id)
            out.append(
                html.Div(
                    [
                        html.B(engine_id),
                        html.P(f"cannot draw this engine: {type(exc).__name__}: {exc}", className="error"),
                    ],
                    className="card",
                    id={"type": "engine-card", "id": engine_id},
                )
            )
    return out


def layout(reg: Registry, *, max_upload_mb: float) -> html.Div:
    return html.Div(
        [
            html.H2("Engines"),
            dcc.Upload(
                id="upload",
                children=html.Div(
                    [
                        html.B("Add an engine: drop or click to choose its exported files"),
                        html.Div(
                            "trtexec --exportLayerInfo / --exportProfile / --exportTimes JSON, trtexec logs, "
                            "TREx metadata or an nsys SQLite export of ONE engine; "
                            f"up to {max_upload_mb:g} MB a file. Serialized engines are not accepted.",
                            className="muted",
                        ),
                    ]
                ),
                multiple=True,
                className="upload",
            ),
            dcc.Loading(html.Div(id="upload-message", className="upload-message"), type="dot"),
            html.Div(cards(reg), id="engine-cards", className="cards"),
        ]
    )

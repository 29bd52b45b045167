"""Rich display in Jupyter: compact, escaped HTML for an engine bundle, lint findings, a diff and a check result.

The result objects live in layers below this one and stay free of rendering code; ``import trtinspect`` inside an
IPython kernel registers these functions with IPython's HTML formatter by class name (:func:`register`), so
displaying a bundle, a ``DiffResult`` or a ``CheckResult`` shows a table instead of a dataclass repr. Every text
that comes from a file (layer names, engine names, notes) goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from trtinspect.parsers.model import EngineBundle
from trtinspect.render.escape import printable, printable_lines

MAX_ROWS = 15
STYLE = (
    "<style>.trtinspect table{border-collapse:collapse;margin:4px 0 10px}"
    ".trtinspect th,.trtinspect td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}"
    ".trtinspect td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".trtinspect .muted{color:#666}.trtinspect .bad{color:#b00020;font-weight:600}"
    ".trtinspect .good{color:#1b7f3b;font-weight:600}</style>"
)


def _e(value: Any) -> str:
    """A value as HTML text: escaped, controls shown (render.escape.printable: the one rule)."""
    return html.escape("" if value is None else printable(value), quote=True)


def _num(value: Any, digits: int = 4, signed: bool = False) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "-"
    if not math.isfinite(v):
        return "-"
    return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    """An HTML table; every cell escaped (cells are text, numbers pre-formatted)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f"<td class='num'>{_e(c)}</td>" if i in numeric else f"<td>{_e(c)}</td>" for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _wrap(title: str, *parts: str) -> str:
    return f"{STYLE}<div class='trtinspect'><h4>{_e(title)}</h4>{''.join(parts)}</div>"


def _more(n_shown: int, n_total: int, what: str) -> str:
    return f"<p class='muted'>{n_shown} of {n_total} {_e(what)} shown</p>" if n_total > n_shown else ""


# ------------------------------------------------------------------------------------------------- bundle
def bundle_html(bundle: EngineBundle) -> str:
    """An engine: facts, time by precision, the slowest layers, the top findings."""
    from trtinspect.inspector.report import build_report

    rep = build_report(bundle)
    device = rep.get("device") or {}
    timing = rep.get("timing") or {}
    compute = (timing.get("compute_ms") or {}) if isinstance(timing, dict) else {}
    layers = rep.get("layers") or {}
    facts = [
        ("engine", rep.get("name")),
        ("GPU", device.get("name") if isinstance(device, dict) else device),
        ("TensorRT", rep.get("trt_version") or "unknown"),
        ("precision", rep.get("build_precision") or "unknown"),
        ("layers", f"{layers.get('count', 0)} ({layers.get('profiled', 0)} profiled)"),
        ("per-layer total", f"{_num(layers.get('total_layer_ms'))} ms"),
        ("GPU compute", f"mean {_num(compute.get('mean'))} ms, median {_num(compute.get('median'))} ms"
         f" ({timing.get('iterations', 0) if isinstance(timing, dict) else 0} iterations)"),
    ]
    parts = [table(["", ""], facts)]
    prec = rep.get("by_precision") or []
    if prec:
        parts.append(
            table(["precision", "layers", "ms", "share %"],
                  [(r["precision"], r["layers"], _num(r["avg_ms"]), _num(r["share_pct"], 2)) for r in prec],
                  numeric=(1, 2, 3))
        )
    top = (rep.get("top_layers") or [])[:MAX_ROWS]
    if top:
        parts.append("<b>slowest layers</b>")
        parts.append(
            table(["#", "layer", "type", "precision", "ms", "share %"],
                  [(r["rank"], r["name"], r["layer_type"], r["precision"], _num(r["avg_ms"]),
                    _num(r["share_pct"], 2)) for r in top],
                  numeric=(0, 4, 5))
        )
    findings = rep.get("findings") or []
    if findings:
        parts.append("<b>top findings</b>")
        parts.append(
            table(["rule", "severity", "finding", "cost ms", "cost basis"],
                  [(f["rule_id"], f["severity"], f["title"], _num(f["cost_ms"]), f.get("cost_basis"))
                   for f in findings[:MAX_ROWS]],
                  numeric=(3,))
        )
    return _wrap(f"TensorRT engine {rep.get('name')}", *parts)


def findings_html(findings: pd.DataFrame) -> str:
    """Lint findings in lint's order (severity, then estimated savings before layer times, each by cost: the
    frame :func:`trtinspect.inspector.lint.lint` returns)."""
    from trtinspect.inspector.lint import cost_label  # here: displaying a bundle needs no analyzer

    if findings.empty:
        return _wrap("lint: no findings")
    rows = [
        (r.get("severity"), r.get("rule_id"), r.get("title"), _num(r.get("cost_ms")), _num(r.get("cost_pct"), 2),
         cost_label(r.get("cost_kind")), r.get("confidence"), r.get("mitigation", ""))
        for r in findings.head(MAX_ROWS * 2).to_dict("records")
    ]
    return _wrap(
        f"lint: {len(findings)} findings",
        table(["severity", "rule", "finding", "cost ms", "cost %", "cost basis", "confidence", "what to try"], rows,
              numeric=(3, 4)),
        _more(len(rows), len(findings), "findings"),
    )


# --------------------------------------------------------------------------------------------------- diff
def diff_html(result: Any) -> str:
    """A diff: the one-paragraph summary, then the groups that changed most."""
    g = result.groups
    changed = g.assign(_abs=g["delta_ms"].abs()).sort_values("_abs", ascending=False, na_position="last")
    if "kind" in changed and (changed["kind"] != "unchanged").any():
        changed = changed[changed["kind"] != "unchanged"]       # else: the largest groups, all unchanged
    rows = [
        (r["kind"], r.get("label", r.get("group_id")), _num(r["a_ms"]), _num(r["b_ms"]),
         _num(r["delta_ms"], signed=True), _num(r.get("delta_pct"), 1, signed=True))
        for r in changed.head(MAX_ROWS).to_dict("records")
    ]
    parts = [f"<p>{html.escape(printable_lines(result.summary_sentences())[:-1])}</p>"]
    if rows:
        parts.append(table(["change", "fusion group", "A ms", "B ms", "delta ms", "delta %"], rows,
                           numeric=(2, 3, 4, 5)))
        parts.append(_more(len(rows), len(changed), "changed groups"))
    if result.notes:
        parts.append("<ul class='muted'>" + "".join(f"<li>{_e(n)}</li>" for n in result.notes) + "</ul>")
    return _wrap(f"diff: {result.a_name} -> {result.b_name}", *parts)


# -------------------------------------------------------------------------------------------------- check
def check_html(result: Any) -> str:
    """A check: the verdict, end to end, then every group that is not unchanged."""
    from trtinspect.render.check import headline

    e = result.end_to_end
    cls = "bad" if result.verdict == "regression" else "good"
    parts = [
        f"<p class='{cls}'>{_e(headline(result))}</p>",
        table(["", "baseline ms", "candidate ms", "delta", "p", "status"],
              [("end to end", _num(e.base_ms), _num(e.cand_ms), f"{_num(e.delta_pct, 2, signed=True)}%",
                _num(e.p_value, 4), e.status)],
              numeric=(1, 2, 3, 4)),
    ]
    g = result.groups
    shown = g[g["status"] != "unchanged"] if "status" in g else g
    rows = [
        (r["status"], r["label"], _num(r["base_ms"]), _num(r["cand_ms"]), _num(r["delta_ms"], signed=True),
         f"{_num(r['delta_pct'], 1, signed=True)}%", r.get("reason", ""))
        for r in shown.head(MAX_ROWS).to_dict("records")
    ]
    if rows:
        parts.append(table(["status", "fusion group", "baseline ms", "candidate ms", "delta ms", "delta", "why"],
                           rows, numeric=(2, 3, 4, 5)))
        parts.append(_more(len(rows), len(shown), "groups"))
    if result.notes:
        parts.append("<ul class='muted'>" + "".join(f"<li>{_e(n)}</li>" for n in result.notes) + "</ul>")
    return _wrap(f"check: {result.label('candidate')} vs {result.label('baseline')}: {result.verdict}", *parts)


# ------------------------------------------------------------------------------------------- registration
FORMATTERS: dict[tuple[str, str], Callable[[Any], str]] = {
    ("trtinspect.parsers.model", "EngineBundle"): bundle_html,
    ("trtinspect.inspector.diff", "DiffResult"): diff_html,
    ("trtinspect.inspector.check", "CheckResult"): check_html,
}


def register(shell: Any = None) -> bool:
    """Register the HTML formatters with an IPython shell (default: the running one); False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    formatter = shell.display_formatter.formatters["text/html"]
    for (module, name), func in FORMATTERS.items():
        formatter.for_type_by_name(module, name, func)
    return True

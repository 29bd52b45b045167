"""The ``report`` content: a pure function from a bundle to plain data, and three renderers.

:func:`build_report` returns a JSON-ready dict (no NaN: missing numbers are ``None``); :func:`render_text`
(rich tables), :func:`render_markdown` and :func:`render_json` turn it into text. Nothing here reads files.
"""

from __future__ import annotations

import io
import json
import math
import textwrap
from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from trtinspect.bundle import device_name, join_profile, optional_module, unmatched_profile_ms
from trtinspect.model import EngineBundle

UNKNOWN = "(unknown)"
NOT_IN_LAYERS = "(profiled, not in layers)"
LINT_MODULE = "trtinspect.inspector.lint"
# Summary metric -> report key (trtexec's names, from a log or TREx metadata).
SUMMARY_METRICS = {
    "h2d_ms": "H2D Latency",
    "compute_ms": "GPU Compute Time",
    "d2h_ms": "D2H Latency",
    "latency_ms": "Latency",
    "enqueue_ms": "Enqueue Time",
    "end_to_end_ms": "End-to-End Host Latency",
}
# TIMES column -> report key.
TIMES_METRICS = {key: key for key in SUMMARY_METRICS}
# enqueue_ms in a times file is a difference of two 6-significant-digit timestamps (0.01 ms resolution after
# 1 s of run time), so the summary's enqueue statistics win when a summary exists.
SUMMARY_PREFERRED = ("enqueue_ms",)
FINDING_FIELDS = ("rule_id", "severity", "title", "cost_ms", "layers")  # "layers" may be named "layer_names"


def _num(value: Any, digits: int = 6) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else round(f, digits)


def _label(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return UNKNOWN
    text = str(value)
    return text if text.strip() else UNKNOWN


# --------------------------------------------------------------------------------------------------- content
def build_report(bundle: EngineBundle, *, top: int = 10, lint: bool = True) -> dict[str, Any]:
    """Everything ``trtinspect report`` shows, as plain data (see docs/bundles.md for the keys)."""
    joined, unmatched_profile, unmatched_layers = join_profile(bundle.layers, bundle.profile)
    total_ms = float(bundle.profile["avg_ms"].sum()) if not bundle.profile.empty else float("nan")
    unmatched_ms = unmatched_profile_ms(bundle.profile, joined)
    report: dict[str, Any] = {
        "name": bundle.name,
        "trt_version": bundle.trt_version,
        "device": _device(bundle.device),
        "model": bundle.model_options.get("Model") or bundle.model_options.get("ONNX") or None,
        "build_precision": bundle.build_options.get("Precision") or None,
        "sources": {kind: [str(p) for p in paths] for kind, paths in bundle.sources.items()},
        "layers": {
            "count": len(bundle.layers),
            "detailed": bundle.detailed,
            "profiled": int((joined["match"] != "none").sum()) if "match" in joined else 0,
            "profile_rows": len(bundle.profile),
            "profile_iterations": bundle.extras.get("profile_iterations"),
            "total_layer_ms": _num(total_ms),
        },
        "by_precision": _breakdown(joined, "precision", total_ms, unmatched_ms),
        "by_type": _breakdown(joined, "layer_type", total_ms, unmatched_ms),
        "top_layers": _top_layers(joined, total_ms, top),
        "timing": _timing(bundle),
        "warnings": _warnings(bundle.warnings),
        "unmatched": {"profile": unmatched_profile, "layers": unmatched_layers},
        "findings": None,
        "findings_status": "not run",
        "notes": list(bundle.notes),
    }
    if lint:
        report["findings"], report["findings_status"] = _findings(bundle, top)
    return report


def _device(device: dict[str, Any]) -> dict[str, Any]:
    """The device facts the report shows (canonical keys, see trtinspect.parsers.device)."""
    memory = device.get("global_memory_mib")
    return {
        "name": device_name(device),
        "compute_capability": device.get("compute_capability"),
        "sms": device.get("sms"),
        "memory": None if memory is None else f"{memory} MiB",
    }


def _breakdown(
    joined: pd.DataFrame, column: str, total_ms: float, unmatched_ms: float
) -> list[dict[str, Any]]:
    if joined.empty:
        return []
    keys = joined[column].astype(object) if column in joined else pd.Series(None, index=joined.index)
    frame = pd.DataFrame({"key": keys, "avg_ms": joined["avg_ms"]})
    grouped = frame.groupby("key", sort=False, dropna=False).agg(
        layers=("avg_ms", "size"), avg_ms=("avg_ms", "sum"), timed=("avg_ms", "count"))
    # label the few distinct keys (missing / blank -> "(unknown)") and merge keys that share a label
    grouped.index = pd.Index([_label(k) for k in grouped.index], name="key")
    grouped = grouped.groupby(level=0, sort=False).sum()
    grouped = grouped.sort_values(["avg_ms", "layers"], ascending=False)
    rows = []
    for key, row in grouped.iterrows():
        ms = float(row["avg_ms"]) if row["timed"] else float("nan")
        rows.append({column: str(key), "layers": int(row["layers"]), "avg_ms": _num(ms),
                     "share_pct": _num(100 * ms / total_ms, 2) if total_ms and not math.isnan(ms) else None})
    if unmatched_ms:
        rows.append({column: NOT_IN_LAYERS, "layers": 0, "avg_ms": _num(unmatched_ms),
                     "share_pct": _num(100 * unmatched_ms / total_ms, 2) if total_ms else None})
    return rows


def _top_layers(joined: pd.DataFrame, total_ms: float, top: int) -> list[dict[str, Any]]:
    if joined.empty or "avg_ms" not in joined or top <= 0:
        return []
    timed = joined[joined["avg_ms"].notna()]
    if timed.empty:
        return []
    best = timed.nlargest(top, "avg_ms", keep="first")
    rows = []
    for rank, (_, r) in enumerate(best.iterrows(), start=1):
        rows.append({
            "rank": rank,
            "name": str(r["name"]),
            "layer_type": _label(r.get("layer_type")),
            "precision": _label(r.get("precision")),
            "avg_ms": _num(r["avg_ms"]),
            "share_pct": _num(100 * r["avg_ms"] / total_ms, 2) if total_ms else None,
        })
    return rows


def _stats(values: pd.Series) -> dict[str, float | None]:
    v = values.dropna().to_numpy(dtype="float64")
    if v.size == 0:
        return {"mean": None, "median": None, "p99": None}
    return {"mean": _num(v.mean()), "median": _num(np.median(v)), "p99": _num(np.percentile(v, 99))}


def _summary_stats(summary: pd.DataFrame, metric: str) -> dict[str, float | None]:
    rows = summary[summary["metric"] == metric]
    lookup = dict(zip(rows["stat"].astype(str), rows["value"], strict=False))
    return {"mean": _num(lookup.get("mean")), "median": _num(lookup.get("median")),
            "p99": _num(lookup.get("p99"))}


def _timing(bundle: EngineBundle) -> dict[str, Any]:
    """H2D / compute / D2H / latency: from per-iteration times when present, else the performance summary."""
    out: dict[str, Any] = {"source": None, "iterations": None, "throughput_qps": None}
    summary = bundle.summary
    if bundle.has_times:
        out["source"] = "times"
        out["iterations"] = len(bundle.times)
        for key, col in TIMES_METRICS.items():
            if key in SUMMARY_PREFERRED and not summary.empty:
                continue
            out[key] = _stats(bundle.times[col])
    if not summary.empty:
        for key, metric in SUMMARY_METRICS.items():
            if out.get(key) is None or out[key]["mean"] is None:
                stats = _summary_stats(summary, metric)
                if stats["mean"] is not None:
                    out[key] = stats
                    out["source"] = out["source"] or "summary"
        tput = summary[(summary["metric"] == "Throughput")]
        if not tput.empty:
            out["throughput_qps"] = _num(tput["value"].iloc[0], 3)
    for key in SUMMARY_METRICS:
        out.setdefault(key, {"mean": None, "median": None, "p99": None})
    return out


def _warnings(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"kind": _label(r["kind"]), "severity": _label(r["severity"]), "message": str(r["message"])}
            for _, r in frame.iterrows()]


def _findings(bundle: EngineBundle, top: int) -> tuple[list[dict[str, Any]] | None, str]:
    """Top findings of the analyzer, when ``trtinspect.inspector.lint`` exists (real errors propagate)."""
    mod = optional_module(LINT_MODULE)
    if mod is None or not hasattr(mod, "lint"):
        return None, "analyzer not installed"
    frame = mod.lint(bundle)
    if frame is None or len(frame) == 0:
        return [], "ok"
    if "cost_ms" in frame:
        frame = frame.sort_values("cost_ms", ascending=False, na_position="last")
    rows = []
    for _, r in frame.head(top).iterrows():
        layers = r.get("layers") if "layers" in r else r.get("layer_names")
        if isinstance(layers, (list, tuple, np.ndarray)):
            layers = [str(x) for x in layers]
        elif layers is not None and not (isinstance(layers, float) and math.isnan(layers)):
            layers = [str(layers)]
        else:
            layers = []
        rows.append({
            "rule_id": _label(r.get("rule_id")), "severity": _label(r.get("severity")),
            "title": _label(r.get("title")), "cost_ms": _num(r.get("cost_ms")), "layers": layers,
        })
    return rows, "ok"


# ------------------------------------------------------------------------------------------------- renderers
def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str)


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _printable(text: str) -> str:
    """One line of printable text: control characters escaped or replaced, nothing cut."""
    clean = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", " ")
    return "".join(ch if ch.isprintable() else "?" for ch in clean)


def _short(name: str, width: int = 70) -> str:
    clean = _printable(name)
    return clean if len(clean) <= width else clean[: width - 1] + "…"


def _headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    dev = report["device"]
    device = dev["name"] or "unknown"
    if dev["compute_capability"]:
        device += f" (SM {dev['compute_capability']})"
    lay = report["layers"]
    layers = (f"{lay['count']} ({'detailed' if lay['detailed'] else 'names only'})" if lay["count"]
              else "none in these files")
    if lay["profile_rows"]:
        layers += f", {lay['profiled']} timed by name"
    if lay["total_layer_ms"] is not None:
        it = lay["profile_iterations"]
        layers += f", sum of layer times {lay['total_layer_ms']:.4f} ms/iter"
        layers += f" (profile count {it})" if it else ""
    rows = [("Engine", report["name"]), ("TensorRT", report["trt_version"] or "unknown"), ("Device", device),
            ("Model", report["model"] or "-"), ("Build precision", report["build_precision"] or "-"),
            ("Layers", layers)]
    t = report["timing"]
    if t["source"]:
        src = (f"per-iteration times, {t['iterations']} iteration(s)" if t["source"] == "times"
               else "trtexec performance summary")
        if t["throughput_qps"] is not None:
            src += f"; throughput {t['throughput_qps']} qps"
        rows.append(("Timing", src))
    return rows


CLIPPED_COLUMNS = ("layer", "layer names", "finding")
NUMERIC_COLUMNS = ("mean", "median", "p99", "layers", "ms/iter", "% time", "%", "cost ms")
TIMING_ROWS = [("H2D", "h2d_ms"), ("GPU compute", "compute_ms"), ("D2H", "d2h_ms"),
               ("Latency (H2D+compute+D2H)", "latency_ms"), ("End-to-end host", "end_to_end_ms"),
               ("Enqueue", "enqueue_ms")]


def _timing_rows(report: dict[str, Any]) -> list[list[str]]:
    t = report["timing"]
    return [[label, _fmt(t[key]["mean"]), _fmt(t[key]["median"]), _fmt(t[key]["p99"])]
            for label, key in TIMING_ROWS if t[key]["mean"] is not None]


def _tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table, shared by the text and markdown renderers."""
    tables = []
    timing_rows = _timing_rows(report)
    if timing_rows:
        tables.append(("Latency per inference (ms)", ["", "mean", "median", "p99"], timing_rows))
    for key, title in (("by_precision", "Precision mix"), ("by_type", "Time by layer type")):
        col = "precision" if key == "by_precision" else "layer_type"
        rows = [[r[col], str(r["layers"]), _fmt(r["avg_ms"]), _fmt(r["share_pct"], 1)] for r in report[key]]
        if rows:
            tables.append((title, [col.replace("_", " "), "layers", "ms/iter", "% time"], rows))
    top = [[str(r["rank"]), _short(r["name"]), r["layer_type"], r["precision"], _fmt(r["avg_ms"]),
            _fmt(r["share_pct"], 1)] for r in report["top_layers"]]
    if top:
        header = ["#", "layer", "type", "precision", "ms/iter", "%"]
        tables.append((f"Top {len(top)} layers by time", header, top))
    if report["findings"]:
        # titles name their layers; the full layer lists are in the JSON output
        rows = [[f["severity"], f["rule_id"], _short(f["title"], 110), _fmt(f["cost_ms"])]
                for f in report["findings"]]
        tables.append(("Top findings", ["severity", "rule", "finding", "cost ms"], rows))
    return tables


def _lists(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    out = []
    if report["warnings"]:
        # warnings and notes are never cut: their end is usually the advice (the text renderer wraps them)
        out.append(("Warnings", [f"[{w['severity']}] {w['kind']}: {_printable(w['message'])}"
                                 for w in report["warnings"]]))
    um = report["unmatched"]
    items = [f"profiled, no such layer: {_short(n)}" for n in um["profile"][:10]]
    items += [f"layer without profile time: {_short(n)}" for n in um["layers"][:10]]
    if items:
        more = len(um["profile"]) + len(um["layers"]) - len(items)
        out.append((f"Unmatched names ({len(um['profile'])} profile, {len(um['layers'])} layers)",
                    items + ([f"... and {more} more"] if more > 0 else [])))
    if report["findings_status"] not in ("ok", "not run", "analyzer not installed"):
        out.append(("Findings", [report["findings_status"]]))
    if report["notes"]:
        out.append(("Notes", [_printable(n) for n in report["notes"]]))
    return out


def render_text(report: dict[str, Any], *, width: int = 120) -> str:
    """Rich tables rendered to plain text (no colour codes), readable in a terminal or a CI log."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None, highlight=False)
    head = Table(box=None, show_header=False, pad_edge=False)
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    for k, v in _headline(report):
        head.add_row(k, v)
    console.print(head)
    for title, header, rows in _tables(report):
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        # short columns keep their full width; long names share what is left and end in an ellipsis
        natural = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
        clipped = [h in CLIPPED_COLUMNS for h in header]
        fixed = sum(w for w, c in zip(natural, clipped, strict=True) if not c) + 3 * len(header) + 2
        room = max(20, (width - fixed) // max(1, sum(clipped)))
        for i, h in enumerate(header):
            numeric = i > 0 and h in NUMERIC_COLUMNS
            table.add_column(h, justify="right" if numeric else "left", no_wrap=True,
                             min_width=None if clipped[i] else natural[i],
                             max_width=min(room, natural[i]) if clipped[i] else None,
                             overflow="ellipsis" if clipped[i] else "fold")
        for r in rows:
            table.add_row(*r)
        console.print(table)
    for title, items in _lists(report):
        console.print(f"{title}:")
        for item in items:
            # wrap at word boundaries with a hanging indent; a word longer than a line (a path) stays whole
            wrapped = textwrap.fill(item, width=width, initial_indent="  - ", subsequent_indent="    ",
                                    break_long_words=False, break_on_hyphens=False)
            console.print(wrapped, markup=False, soft_wrap=True)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


TEXT_COLUMNS = ("layer", "type", "precision", "layer type", "finding", "layer names", "rule", "severity")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    lines = [f"# trtinspect report: {_md_cell(report['name'])}", ""]
    for k, v in _headline(report):
        lines.append(f"- **{k}:** {_md_cell(v)}")
    for title, header, rows in _tables(report):
        lines += ["", f"## {title}", "", "| " + " | ".join(header) + " |",
                  "|" + "|".join("---:" if i and h not in TEXT_COLUMNS else "---"
                                 for i, h in enumerate(header)) + "|"]
        lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    for title, items in _lists(report):
        lines += ["", f"## {title}", ""] + [f"- {_md_cell(i)}" for i in items]
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}

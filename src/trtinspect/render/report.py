"""Render a ``report`` (:func:`trtinspect.inspector.report.build_report`'s dict): text, markdown, JSON."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from typing import Any

from trtinspect.render import nsys
from trtinspect.render.escape import dumps_finite, md_cell, printable, printable_text
from trtinspect.render.jsonout import NotFast, dumps_indent2_bytes


def render_json(report: dict[str, Any]) -> str:
    out = render_json_bytes(report)
    return out.decode() if isinstance(out, bytes) else out


def render_json_bytes(report: dict[str, Any]) -> bytes | str:
    """:func:`render_json` as UTF-8 bytes written by orjson (a 50,000-layer engine's report holds MBs of layer
    names: the standard library's indenting encoder is pure Python), or the ``str`` of the exact slow path
    (``json.dumps(..., indent=2, ensure_ascii=False, default=str)``, non-finite numbers as null) when orjson
    can't write the document as it does (see :mod:`trtinspect.render.jsonout`)."""
    try:
        return dumps_indent2_bytes(report, default=_like_default_str)
    except NotFast:
        return dumps_finite(report, indent=2, ensure_ascii=False, default=str)


def _like_default_str(value: Any) -> Any:
    """What ``json.dumps(default=str)`` writes for a value orjson hands its ``default``: a float subclass (a
    numpy float) as the float (non-finite: null, as :func:`dumps_finite` writes it), a tuple subclass (a named
    tuple) as a list, anything else as ``str(value)``. (orjson writes an ``Enum`` member's value where
    ``default=str`` writes its name; a report holds plain data, no enums.)"""
    if isinstance(value, float):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _short(name: str, width: int = 70) -> str:
    clean = printable(name)
    return clean if len(clean) <= width else clean[: width - 1] + "…"


def _headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    dev = report["device"]
    device = dev["name"] or ("unknown" + (f" (CUDA device {dev['index']})" if dev.get("index") else ""))
    if dev["compute_capability"]:
        device += f" (SM {dev['compute_capability']})"
    if dev.get("dla_core"):
        device += f"; DLA core {_dla(dev['dla_core'])}"
    lay = report["layers"]
    layers = (f"{lay['count']} ({'detailed' if lay['detailed'] else 'names only'})" if lay["count"]
              else "none in these files")
    if lay["profile_rows"]:
        layers += f", {lay['profiled']} timed by name"
    if lay["total_layer_ms"] is not None:
        layers += f", per-layer total {_sig(lay['total_layer_ms'])} ms/iter"
        layers += f" ({lay['total_basis']})" if lay.get("total_basis") else ""
        if lay.get("not_in_table_ms"):
            layers += (f"; the table's rows show {lay['rows_avg_ms']:.4f} ms of it (an excerpt: "
                       f"{lay['not_in_table_ms']:.4f} ms in no row)")
    rows = [("Engine", report["name"]), ("TensorRT", report["trt_version"] or "unknown"), ("Device", device),
            ("Model", report["model"] or "-"), ("Build precision", report["build_precision"] or "-")]
    inputs = report.get("inputs") or {}
    if inputs.get("shapes"):
        rows.append(("Inputs", f"{inputs['shapes']} ({inputs['source']})"))
    build = report.get("build") or {}
    parts = [f"implicit batch, max batch {build['max_batch']}" if build.get("max_batch") else "",
             f"workspace {build['workspace']}" if build.get("workspace") else ""]
    if any(parts):
        rows.append(("Build", ", ".join(p for p in parts if p)))
    rows.append(("Layers", layers))
    t = report["timing"]
    if t.get("inference_skipped"):
        rows.append(("Timing", "no inference was run (--skipInference): build only"))
    elif t["source"] or t["throughput_qps"] is not None:   # a summary excerpt may print only Throughput
        rows.append(("Timing", _timing_source(t)))
    totals = _totals(t)
    if totals:
        rows.append(("Totals", totals))
    return rows + nsys.nsys_headline(report.get("nsys"))


def _dla(printed: str) -> str:
    """trtexec's ``DLACore: 0(With GPU fallback)`` as ``0 (with GPU fallback)``."""
    core, _, rest = printed.partition("(")
    return f"{core.strip()} ({rest.rstrip(')').strip()[:1].lower()}{rest.rstrip(')').strip()[1:]})" if rest \
        else core.strip()


def _timing_source(t: dict[str, Any]) -> str:
    """Where the timing table comes from, its window and throughput, in one line."""
    if t["source"] == "times":
        w = t.get("window")
        src = f"per-iteration times, {t['iterations']} measured iteration(s)"
        if w and w["exported"] != w["measured"]:
            src += f" (of {w['exported']} exported; the first {w['first_iteration'] - 1} ran in the warm-up)"
    else:
        src = "trtexec performance summary"
    implicit = str(t.get("batch_source") or "").startswith("implicit")
    if t["throughput_qps"] is not None:
        # trtexec: explicit batch counts iterations per second; implicit batch counts samples (batch x queries)
        src += f"; throughput {_sig(t['throughput_qps'])} qps"
        src += " (samples/s)" if implicit else " (iterations/s)" if t.get("batch") else ""
    if t.get("batch"):
        src += f"; batch {t['batch']} ({t['batch_source']})"
        if t["batch"] > 1 and t["throughput_qps"] is not None and not implicit:
            src += f", {_sig(t['throughput_qps'] * t['batch'])} samples/s"
    return src


def _totals(t: dict[str, Any]) -> str | None:
    """trtexec's Total Host Walltime and Total GPU Compute Time, as printed (6 significant digits)."""
    parts = []
    if t.get("total_host_walltime_s") is not None:
        parts.append(f"host walltime {_sig(t['total_host_walltime_s'])} s")
    if t.get("total_gpu_compute_s") is not None:
        parts.append(f"GPU compute {_sig(t['total_gpu_compute_s'])} s")
    return ", ".join(parts) or None


CLIPPED_COLUMNS = ("layer", "layer names", "finding", *nsys.CLIPPED)
NUMERIC_COLUMNS = ("min", "max", "mean", "median", "p90", "p95", "p99", "mean/sample", "layers", "ms/iter",
                   "% time", "%", "cost ms", *nsys.NUMERIC)
TIMING_ROWS = [("H2D", "h2d_ms"), ("GPU compute", "compute_ms"), ("D2H", "d2h_ms"),
               ("Latency (H2D+compute+D2H)", "latency_ms"), ("End-to-end host", "end_to_end_ms"),
               ("Enqueue", "enqueue_ms")]
STATS = ("min", "max", "mean", "median")


def _sig(value: float | None) -> str:
    """As trtexec prints: 6 significant digits (C++ default stream precision)."""
    return "-" if value is None else f"{value:.6g}"


def _percentile_columns(t: dict[str, Any]) -> list[str]:
    """The percentiles trtexec printed (p99 up to 8.4; p90, p95, p99 from 8.5), in ascending order."""
    found = {p for _, key in TIMING_ROWS for p in (t[key].get("percentiles") or {})}
    return sorted(found, key=lambda p: float(p[1:]))


def _timing_header(t: dict[str, Any]) -> tuple[list[str], bool]:
    per_sample = bool(t.get("batch")) and t["batch"] > 1
    return ["", *STATS, *_percentile_columns(t), *(["mean/sample"] if per_sample else [])], per_sample


def _timing_rows(report: dict[str, Any]) -> list[list[str]]:
    t = report["timing"]
    header, per_sample = _timing_header(t)
    pcols = header[1 + len(STATS): len(header) - per_sample]
    rows = []
    for label, key in TIMING_ROWS:
        m = t[key]
        cells = [m.get(s) for s in STATS] + [(m.get("percentiles") or {}).get(p) for p in pcols]
        if all(c is None for c in cells):
            if m.get("unmeasured"):  # the reason is in the table's title (a long cell would squeeze the columns)
                rows.append([label, "not measured", *[""] * (len(header) - 2)])
            continue
        row = [label, *(_sig(c) for c in cells)]
        if per_sample:  # only what times one inference of the batch; enqueue and copies are per iteration
            row.append(_sig(m.get("per_sample_mean")) if "per_sample_mean" in m else "")
        rows.append(row)
    return rows


def _tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table, shared by the text and markdown renderers."""
    tables = []
    timing_rows = [] if report["timing"].get("inference_skipped") else _timing_rows(report)
    if timing_rows:
        t = report["timing"]
        header, per_sample = _timing_header(t)
        title = "Timing per iteration (ms)"
        if per_sample:
            title = (f"Timing per iteration of batch {t['batch']} (ms); mean/sample = GPU compute and latency "
                     f"mean / {t['batch']}")
        unmeasured: dict[str, list[str]] = {}
        for label, key in TIMING_ROWS:
            if t[key].get("unmeasured") and t[key].get("mean") is None:
                unmeasured.setdefault(t[key]["unmeasured"], []).append(label)
        title += "".join(f"; {' and '.join(labels)} {why}" for why, labels in unmeasured.items())
        tables.append((title, header, timing_rows))
    for key, title in (("by_precision", "Precision mix"), ("by_type", "Time by layer type")):
        col = "precision" if key == "by_precision" else "layer_type"
        rows = [[r[col], str(r["layers"]), _fmt(r["avg_ms"]), _fmt(r["share_pct"], 1)] for r in report[key]]
        if rows:
            tables.append((title, [col.replace("_", " "), "layers", "ms/iter", "% time"], rows))
    # ms/iter as the source printed it (a --dumpProfile table's Avg.(ms)); the share follows time / total time
    top = [[str(r["rank"]), _short(r["name"]), r["layer_type"], r["precision"],
            _fmt(r["avg_ms"] if r.get("printed_avg_ms") is None else r["printed_avg_ms"]),
            _fmt(r["share_pct"], 1)] for r in report["top_layers"]]
    if top:
        header = ["#", "layer", "type", "precision", "ms/iter", "%"]
        tables.append((_top_title(len(top), report["layers"]["profiled"]), header, top))
    if report["findings"]:
        # titles name their layers; the full layer lists are in the JSON output
        # cost basis: an estimated saving, or the layers' own time (an upper bound), as lint says it
        rows = [[f["severity"], f["rule_id"], _short(f["title"], 110), _fmt(f["cost_ms"]),
                 str(f.get("cost_basis") or "(unknown)")] for f in report["findings"]]
        tables.append(("Top findings", ["severity", "rule", "finding", "cost ms", "cost basis"], rows))
    return tables + nsys.nsys_tables(report.get("nsys")) + nsys.nsys_csv_tables(report.get("nsys_csv"))


def _top_title(shown: int, timed: int) -> str:
    """"Top N layers by time" when the list may be cut (``--top``), "All N timed layers by time" when it lists
    every layer with a time (``--top 0``, or fewer timed layers than ``--top``), as diff's "all N"."""
    return f"All {shown} timed layers by time" if shown >= timed else f"Top {shown} layers by time"


def _lists(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    out = []
    if report["warnings"]:
        # warnings and notes are never cut: their end is usually the advice (the text renderer wraps them)
        out.append(("Warnings", [f"[{w['severity']}] {w['kind']}: {printable(w['message'])}"
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
    notes = report["notes"] + nsys.nsys_missing(report.get("nsys"))
    if notes:
        out.append(("Notes", [printable(n) for n in notes]))
    return out


def render_text(report: dict[str, Any], *, width: int = 120) -> str:
    """Rich tables rendered to plain text (no colour codes), readable in a terminal or a CI log."""
    from rich import box  # imported here: json and markdown reports do not need rich (process start-up)
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    # markup and emoji codes off: names, paths and notes from the inputs are printed exactly (a layer named
    # "{ForeignNode[/model/conv/Conv...]}" is not rich markup); styles are set as arguments, never in text
    console = Console(file=buf, width=width, force_terminal=False, color_system=None, highlight=False,
                      markup=False, emoji=False)
    head = Table(box=None, show_header=False, pad_edge=False)
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    for k, v in _headline(report):
        head.add_row(k, printable(v))       # the --name, a path: one line each
    console.print(head)
    for title, header, rows in _tables(report):
        # the title is prose: wrapped between words here (rich folds a title at the table's width mid-word)
        console.print(_wrap(title, width, "", ""), markup=False, soft_wrap=True)
        if header and header[-1] in nsys.CLIPPED:    # an nsys table: whole names, wrapped, numbers whole
            console.print("\n".join(["", *nsys.text_table(header, rows, width), ""]), markup=False, soft_wrap=True)
            continue
        header, rows, hidden = _fit_columns(header, rows, width)
        table = Table(box=box.SIMPLE_HEAD, caption_justify="left",
                      caption=f"hidden at this width: {', '.join(hidden)}" if hidden else None)
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
            table.add_row(*(printable(c) for c in r))
        console.print(table)
    for title, items in _lists(report):
        console.print(f"{title}:")
        for item in items:
            # wrap at word boundaries with a hanging indent; a word longer than a line (a path) stays whole
            console.print(_wrap(printable(item), width, "  - ", "    "), markup=False, soft_wrap=True)
    return printable_text("\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n")


# columns a narrow table hides first (highest rank first), named under the table as diff does; the label,
# mean, median, p99 and mean/sample (what a title may promise) are never hidden
DROP_RANK = {"p95": 4, "p90": 3, "max": 2, "min": 1}
CLIPPED_MIN_WIDTH = 20   # a clipped name column is not cut shorter than this (see render_text's ``room``)


def _fit_columns(header: list[str], rows: list[list[str]],
                 width: int) -> tuple[list[str], list[list[str]], list[str]]:
    """The header and rows without the columns hidden so the table's numbers fit ``width`` (rich would
    otherwise drop the last columns without a word), and the hidden columns' names."""
    keep = list(range(len(header)))
    hidden: list[str] = []
    while _least_width(*_kept(header, rows, keep)) > width:
        droppable = [i for i in keep if header[i] in DROP_RANK]
        if not droppable:
            break
        drop = max(droppable, key=lambda i: DROP_RANK[header[i]])
        keep.remove(drop)
        hidden.append(header[drop])
    return (*_kept(header, rows, keep), hidden)


def _kept(header: list[str], rows: list[list[str]], keep: list[int]) -> tuple[list[str], list[list[str]]]:
    """Only the ``keep`` columns; a row's "not measured" (in its first number column) stays in the first kept."""
    out = []
    for r in rows:
        cells = [r[i] for i in keep]
        if len(r) > 1 and r[1] == "not measured" and 1 not in keep and len(cells) > 1:
            cells[1] = r[1]
        out.append(cells)
    return [header[i] for i in keep], out


def _least_width(header: list[str], rows: list[list[str]]) -> int:
    """SIMPLE_HEAD: one space of padding each side of a cell and one between columns; names may be cut."""
    natural = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    return sum(3 + (min(w, CLIPPED_MIN_WIDTH) if h in CLIPPED_COLUMNS else w)
               for h, w in zip(header, natural, strict=True)) - 1


def _wrap(text: str, width: int, first: str, rest: str) -> str:
    """Prose wrapped at word boundaries with a hanging indent; a word longer than a line (a path) stays whole."""
    return textwrap.fill(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False)


TEXT_COLUMNS = ("layer", "type", "precision", "layer type", "finding", "layer names", "rule", "severity", "cost basis",
                *nsys.TEXT)


def _md_cell(text: str) -> str:
    return md_cell(text)


def render_markdown(report: dict[str, Any]) -> str:
    lines = [f"# trtinspect report: {_md_cell(report['name'])}", ""]
    for k, v in _headline(report):
        lines.append(f"- **{md_cell(k)}:** {_md_cell(v)}")
    for title, header, rows in _tables(report):
        lines += ["", f"## {md_cell(title)}", "", "| " + " | ".join(md_cell(h) for h in header) + " |",
                  "|" + "|".join("---:" if i and h not in TEXT_COLUMNS else "---"
                                 for i, h in enumerate(header)) + "|"]
        lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    for title, items in _lists(report):
        lines += ["", f"## {md_cell(title)}", ""] + [f"- {_md_cell(i)}" for i in items]
    return printable_text("\n".join(lines) + "\n")      # names from the inputs: no raw control characters


# the renderer contract (trtinspect.render): format -> fn(report dict, **options) -> str
FORMATS: dict[str, Callable[..., str]] = {"text": render_text, "markdown": render_markdown, "json": render_json}
# the same JSON as UTF-8 bytes, for commands that write it out (trtinspect.render.render_output)
BYTES_FORMATS: dict[str, Callable[..., bytes | str]] = {"json": render_json_bytes}

"""Render a :class:`~trtinspect.inspector.diff.DiffResult` as text (rich), JSON, Markdown or one HTML file.

``render(result, fmt, top=N)`` returns the whole document as a string. The HTML is self-contained: the
plotly library is inlined once (no CDN, no server), so the file can be attached to a review.
"""

from __future__ import annotations

import html
import io
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import orjson
import pandas as pd

from trtinspect.inspector.diff import MODE_END_TO_END, NEGATIVE_GAP, DiffResult
from trtinspect.inspector.diff_math import group_precision_label
from trtinspect.render.escape import md_cell, md_text, printable, printable_lines, printable_text
from trtinspect.render.jsonout import NotFast, dumps_indent2_bytes
from trtinspect.textfmt import FILE_WIDTH

if TYPE_CHECKING:    # rich is imported by the text renderer only (JSON and Markdown never draw)
    from rich.console import Console
    from rich.table import Table

__all__ = ["FILE_WIDTH", "FORMATS", "moved_sections", "no_delta_note", "render", "render_html", "render_json",
           "render_markdown", "render_text", "top_changes", "untimed_sides"]


def _ms(v: Any, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:+.4f}" if signed else f"{v:.4f}"


def _plus4(v: float) -> str:
    """A total's signed difference with 4 decimals; one that rounds to zero has no sign ("0.0000", never
    "-0.0000")."""
    return "0.0000" if round(v, 4) == 0 else f"{v:+.4f}"


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return "-"
    return f"{v:+.1f}%"


def _pct_of_a(v: Any) -> str:
    """The total's percentage, with its denominator (the headline's may be of A's GPU compute)."""
    pct = "0.0%" if isinstance(v, float) and round(v, 1) == 0 else _pct(v)
    return pct if pct == "-" else f"{pct} of A's per-layer total"


def _txt(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return str(v)


def _side_prec(row: Mapping[Any, Any], side: str) -> str | None:
    """Precision of one side: "FP16", or "INT8 in/FP16 out" when the output precision differs; "unknown" for
    names-only layers; None when it has no layer."""
    if not row[f"n_{side}"]:
        return None
    p, o = _txt(row[f"{side}_precision"]), _txt(row[f"{side}_output_precision"])
    if p == "-" and o == "-":
        return "unknown"
    said = _txt(group_precision_label(row, side))    # "FP32 (TF32 Tensor Core math)" (diff_math)
    return said if p == o or o == "-" else f"{said} in/{o} out"


def _layers_cell(row: Mapping[Any, Any]) -> str:
    """Engine layers in A -> B, with reformat layers counted apart when there are any."""
    cell = f"{row['n_a']} \u2192 {row['n_b']}"
    ra, rb = row["a_reformats"], row["b_reformats"]
    return cell + (f" (+{ra} \u2192 +{rb} reformats)" if ra or rb else "")


# Said under every group table, so the cells need no decoding.
GROUP_LEGEND = ("layers: engine layers of the group in A \u2192 B (reformat copies counted apart); precision: "
                "compute precision in A \u2192 B (\"X in/Y out\" when a layer writes another precision); "
                "delta %: of the group's time in A; findings: lint findings on the group's layers.")


def _prec(row: Mapping[Any, Any]) -> str:
    a, b = _side_prec(row, "a"), _side_prec(row, "b")
    if a is None or b is None:
        return a or b or "-"
    return a if a == b else f"{a} \u2192 {b}"


def untimed_sides(result: DiffResult) -> list[str]:
    """"A" / "B" for each side without per-layer timing (its per-layer total is NaN)."""
    return [side for side in ("A", "B") if math.isnan(result.totals[f"{side.lower()}_layers_ms"])]


def no_delta_note(result: DiffResult) -> str | None:
    """Why there are no per-layer deltas (or None when both sides are timed)."""
    sides = untimed_sides(result)
    if not sides:
        return None
    who = "A and B have" if len(sides) == 2 else f"{sides[0]} has"
    e2e = result.end_to_end
    gpu = e2e[e2e["metric"] == "gpu_compute"]
    both = not gpu.empty and bool(gpu[["a_ms", "b_ms"]].notna().all(axis=None))
    return (f"No per-layer deltas: {who} no per-layer timing, so groups are compared by structure only"
            + (" (compare end to end instead)." if both else "."))


def _top_sections(result: DiffResult, top: int) -> list[tuple[str, pd.DataFrame]]:
    """The ranked tables and their titles: "top N" when ``top`` may have cut a table, "all N" (N: the rows it
    lists) when it cannot have, as with ``--top 0`` (all)."""
    g = result.groups
    every = top >= len(g)
    if untimed_sides(result):
        changed = g[g["kind"] != "unchanged"].head(top)
        first = f"; all {len(changed)}" if every and len(changed) else "" if every else f"; first {top}"
        return [(f"Changed groups (structure only, no per-layer timing{first})", changed)]
    worse, better = top_changes(result, top)

    def title(what: str, rows: pd.DataFrame) -> str:
        if not every:
            return f"{what} (top {top})"
        return f"{what} (all {len(rows)})" if len(rows) else what     # an empty table: "...: none"

    return [(title("Worst regressions", worse), worse), (title("Best improvements", better), better)]


def top_changes(result: DiffResult, top: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(worst regressions, best improvements): at most ``top`` groups each, largest change first. A regression
    is a group whose delta is above 0 at the tables' resolution (4 decimals, as ``_ms`` prints it): a delta that
    prints as +0.0000 (two sources rounding one time differently) is neither; an unmatched group at the edge of
    a --dumpProfile excerpt (its partner cut off) is neither either (``excerpt_edge``)."""
    g = result.groups
    shown = g["delta_ms"].round(4)
    if "excerpt_edge" in g:
        shown = shown.where(~g["excerpt_edge"].fillna(False).astype(bool), 0.0)
    worse = g[shown > 0].sort_values("delta_ms", ascending=False, kind="stable").head(top)
    better = g[shown < 0].sort_values("delta_ms", ascending=True, kind="stable").head(top)
    return worse, better


def moved_sections(result: DiffResult, top: int) -> list[tuple[str, list[list[str]]]]:
    """The per-layer detail of the first ``top`` groups fused ops moved between (``result.moved``,
    ``inspector.diff_moved``): a title naming the group, why it is one group and its delta, and its layer-by-layer
    pairs as group-table rows (their deltas add up to the group's); a last title-only entry counts the rest."""
    out: list[tuple[str, list[list[str]]]] = []
    for m in result.moved[:top]:
        parts = result.moved_parts.iloc[m["rows"]]
        row = result.groups[result.groups["group_id"] == m["group_id"]]
        delta = _ms(row["delta_ms"].iloc[0], signed=True) if not row.empty else "-"
        pct = _pct(row["delta_pct"].iloc[0]) if not row.empty else "-"
        why = str(m["reason"]).removeprefix("judged as one group: ")
        title = (f"Re-partitioned group {m['group_id']} ({m['label']}): {why}; one group, {delta} ms ({pct}); "
                 "layer by layer")
        out.append((title, [_group_row(r) for r in parts.to_dict(orient="records")]))
    if len(result.moved) > top:
        out.append((f"and {len(result.moved) - top} more re-partitioned groups: their layer-by-layer pairs are in "
                    "--format json (repartitioned_groups)", []))
    return out


def _side_total(ms: float) -> str:
    return "- (no per-layer timing)" if math.isnan(ms) else f"{ms:.4f} ms"


def not_listed_delta(t: Mapping[str, float]) -> float:
    """B's minus A's time not listed in a --dumpProfile excerpt (0 when neither side is an excerpt)."""
    return t.get("b_not_listed_ms", 0.0) - t.get("a_not_listed_ms", 0.0)


def _not_listed(t: dict[str, float]) -> str:
    """The unlisted remainder of an excerpt's per-layer total, as its own term of the reconciliation."""
    a, b = t.get("a_not_listed_ms", 0.0), t.get("b_not_listed_ms", 0.0)
    if not (a or b):
        return ""
    return f", not listed in the excerpt {_plus4(b - a)} ms (A {a:.4f} ms, B {b:.4f} ms)"


def _unmatched(t: dict[str, float]) -> str:
    """Profile rows that match no layer name: in the per-layer totals, in no group (their own term)."""
    a, b = t.get("a_unmatched_profile_ms", 0.0), t.get("b_unmatched_profile_ms", 0.0)
    if not (a or b):
        return ""
    return f", in rows that match no layer {_plus4(b - a)} ms (A {a:.4f} ms, B {b:.4f} ms)"


def _residual(ms: float) -> str:
    """The reconciliation residual at the 4 decimals of the figures it reconciles: float rounding (-5.6e-17) is
    ``0``, never a signed zero or a number nobody can check."""
    return "0" if abs(ms) < 0.00005 else f"{ms:+.4f}"


def profiling_gap_meaning(gap_ms: float) -> str:
    """What a trtexec profile's per-layer total - GPU compute is, by its sign: the per-layer profiler
    synchronises after every layer, so a positive gap is overhead inside the layer times (spread over them, not
    time outside any layer); a negative gap is GPU compute time that no layer's profiled time holds."""
    if gap_ms >= 0:
        return "per-layer profiling overhead, spread over the layer times"
    return NEGATIVE_GAP


def _totals_lines(result: DiffResult) -> list[str]:
    t = result.totals
    untimed = untimed_sides(result)
    if untimed:
        lines = [f"per-layer total: A {_side_total(t['a_layers_ms'])}, B {_side_total(t['b_layers_ms'])}",
                 f"group deltas not reconciled: {' and '.join(untimed)} {'have' if len(untimed) == 2 else 'has'} "
                 "no per-layer timing"]
    else:
        lines = [
            f"per-layer total: A {t['a_layers_ms']:.4f} ms, B {t['b_layers_ms']:.4f} ms, "
            f"delta {_plus4(t['delta_ms'])} ms ({_pct_of_a(t['delta_pct'])})",
            f"sum of group deltas {_plus4(t['sum_group_delta_ms'])} ms{_not_listed(t)}{_unmatched(t)} "
            f"(reconciled, residual {_residual(t['reconcile_residual_ms'])} ms)",
        ]
    gaps = [t.get(f"{side}_profiling_gap_ms", math.nan) for side in ("a", "b")]
    meanings = result.gap_meanings
    # one meaning both sides share (two nsys exports): said once, after both sides' figures
    shared = meanings.get("a") if meanings.get("a") == meanings.get("b") and not any(map(math.isnan, gaps)) else None
    for side in ("a", "b"):
        gpu, gap = t.get(f"{side}_gpu_compute_ms", math.nan), t.get(f"{side}_profiling_gap_ms", math.nan)
        if math.isnan(gpu):
            continue
        if math.isnan(gap):     # no per-layer timing on this side: no profiling overhead to show
            lines.append(f"{side.upper()}: end-to-end GPU compute {gpu:.4f} ms")
        else:
            meaning = "" if shared is not None else f" ({meanings.get(side, profiling_gap_meaning(gap))})"
            lines.append(f"{side.upper()}: end-to-end GPU compute {gpu:.4f} ms; "
                         f"per-layer total - GPU compute = {_plus4(gap)} ms{meaning}")
    if shared is not None:
        lines.append(f"on both sides, per-layer total - GPU compute is {shared}")
    return lines


def _group_row(row: Mapping[Any, Any]) -> list[str]:
    return [
        str(row["group_id"]), str(row["kind"]), str(row["label"]),
        _ms(row["a_ms"]), _ms(row["b_ms"]), _ms(row["delta_ms"], signed=True), _pct(row["delta_pct"]),
        _layers_cell(row), _prec(row),
        ", ".join(row["changes"] or []) or "-", str(row["method"]), str(len(row["findings"] or [])),
    ]


GROUP_HEADERS = ["id", "kind", "group", "A ms", "B ms", "delta ms", "delta %", "layers", "precision",
                 "changes", "method", "findings"]

# Text-table columns: header -> (style, drop rank). "num": right-aligned, never wrapped; "code": short
# identifier, never wrapped; "text": wrapped between words (a word is never split); "label": names, cut with an
# ellipsis at LABEL_MAX_WIDTH (never folded; the full name is in --format json). On a console too narrow for
# every column at its narrowest, columns are hidden by rank (highest first; 0 = always shown) and named.
TEXT_COLUMNS: dict[str, tuple[str, int]] = {
    "id": ("code", 0), "kind": ("code", 0), "group": ("label", 0), "A ms": ("num", 0), "B ms": ("num", 0),
    "delta ms": ("num", 0), "delta %": ("num", 3), "layers": ("text", 4), "precision": ("text", 5),
    "changes": ("text", 6), "method": ("code", 7), "findings": ("num", 8),
    "metric": ("code", 0), "A": ("num", 0), "B": ("num", 0), "delta": ("num", 0), "source": ("label", 1),
    "key": ("label", 0), "A layers": ("num", 2), "B layers": ("num", 2),
}
LABEL_MAX_WIDTH = 40
LABEL_MIN_WIDTH = 28    # a name is not cut shorter than this while a lower-rank column can be hidden instead
LABEL_FLOOR_WIDTH = 10  # ... and never shorter than this
TEXT_MIN_WIDTH = 12     # a wrapped text column is not narrower than this (nor than its longest word)
# FILE_WIDTH (trtinspect.textfmt): text written to a file or a pipe; on a terminal the tables fit its width.


def _style(header: str) -> str:
    return TEXT_COLUMNS.get(header, ("label", 0))[0]


def _col_min_width(style: str, header: str, cells: list[str], label_min: int = LABEL_MIN_WIDTH) -> int:
    """Narrowest a column may get: its widest cell, but a label down to ``label_min`` (then cut with an
    ellipsis) and a text down to TEXT_MIN_WIDTH or its longest word (then wrapped between words)."""
    from rich.cells import cell_len

    widest = max(cell_len(c) for c in [header, *cells])
    if style == "label":
        return min(widest, label_min)
    if style == "text":
        longest_word = max(cell_len(w) for c in [header, *cells] for w in (c.split() or [""]))
        return min(widest, max(longest_word, TEXT_MIN_WIDTH))
    return widest


def _min_table_width(headers: list[str], rows: list[list[str]], keep: list[int],
                     label_min: int = LABEL_MIN_WIDTH) -> int:
    """Narrowest width of a rich table with these columns (see :func:`_col_min_width`); 3 cells of border and
    padding per column plus the closing border."""
    return 1 + sum(_col_min_width(_style(headers[i]), headers[i], [r[i] for r in rows], label_min) + 3
                   for i in keep)


def _fit_columns(headers: list[str], rows: list[list[str]], width: int) -> tuple[list[int], list[str], int]:
    """Columns kept, columns hidden (highest rank first) and the label minimum so the table fits ``width``:
    names keep LABEL_MIN_WIDTH while a column can be hidden, then shrink towards LABEL_FLOOR_WIDTH."""
    keep = list(range(len(headers)))
    hidden: list[str] = []
    while _min_table_width(headers, rows, keep) > width:
        droppable = [i for i in keep if TEXT_COLUMNS.get(headers[i], ("label", 0))[1] > 0]
        if not droppable:
            break
        drop = max(droppable, key=lambda i: TEXT_COLUMNS[headers[i]][1])
        keep.remove(drop)
        hidden.append(headers[drop])
    spare = width - _min_table_width(headers, rows, keep, LABEL_FLOOR_WIDTH)
    n_labels = sum(1 for i in keep if _style(headers[i]) == "label")
    label_min = LABEL_MIN_WIDTH
    if _min_table_width(headers, rows, keep) > width and n_labels:
        label_min = max(LABEL_FLOOR_WIDTH, LABEL_FLOOR_WIDTH + spare // n_labels)
    return keep, hidden, label_min


def _flex_widths(headers: list[str], rows: list[list[str]], keep: list[int], width: int,
                 label_min: int) -> dict[int, int]:
    """Widths of the label and text columns: each its minimum, then the room left given to labels first (up to
    LABEL_MAX_WIDTH), then to text columns (up to their widest cell), so the table is at most ``width``."""
    from rich.cells import cell_len

    out: dict[int, int] = {}
    natural: dict[int, int] = {}
    fixed = 1 + 3 * len(keep)
    for i in keep:
        style, cells = _style(headers[i]), [r[i] for r in rows]
        widest = max(cell_len(c) for c in [headers[i], *cells])
        if style in ("label", "text"):
            out[i] = _col_min_width(style, headers[i], cells, label_min)
            natural[i] = min(widest, LABEL_MAX_WIDTH) if style == "label" else widest
        else:
            fixed += widest
    room = width - fixed - sum(out.values())
    for i in sorted(out, key=lambda i: (_style(headers[i]) != "label", i)):
        extra = max(0, min(room, natural[i] - out[i]))
        out[i] += extra
        room -= extra
    return out


def _text_table(console: Console, title: str, headers: list[str], rows: list[list[str]]) -> Table:
    """A rich table at most the console's width whose numbers and codes never wrap: text cells wrap between
    words, names are cut with an ellipsis (whole in --format json), and on a narrow console low-rank columns
    are hidden (named in the caption) before a name is cut short."""
    from rich.table import Table

    rows = [[printable(c) for c in row] for row in rows]      # a name is one line in its cell
    keep, hidden, label_min = _fit_columns(headers, rows, console.width)
    flex = _flex_widths(headers, rows, keep, console.width, label_min)
    table = Table(title=title, title_justify="left", caption_justify="left",
                  caption=f"hidden at this width: {', '.join(hidden)}" if hidden else None)
    for i in keep:
        style = _style(headers[i])
        if style in ("label", "text"):
            table.add_column(headers[i], overflow="ellipsis" if style == "label" else "fold", width=flex[i])
        else:
            table.add_column(headers[i], no_wrap=True, justify="right" if style == "num" else "left")
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    return table


# ------------------------------------------------------------------------------------------------- text


def render_text(result: DiffResult, *, top: int = 10, width: int = FILE_WIDTH) -> str:
    """Terminal report: summary, totals, worst regressions and best improvements, end to end, by type.

    ``width``: the console width (the terminal's, or :data:`FILE_WIDTH` for a file or pipe). Numbers and
    codes are never wrapped; at a narrow width low-priority columns are hidden instead."""
    if result.mode == MODE_END_TO_END:     # no layer information: end-to-end figures only
        from trtinspect.render import diff_e2e

        return diff_e2e.render_text(result, width=width)
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    # markup and emoji codes off: names, paths and notes from the inputs are printed exactly (a layer named
    # "{ForeignNode[/model/conv/Conv...]}" is not rich markup); styles are set as arguments, never in text
    console = Console(file=buf, width=width, force_terminal=False, color_system=None, highlight=False,
                      markup=False, emoji=False)
    names = f"A: {printable(result.a_name)}  B: {printable(result.b_name)}"
    console.print(Text(f"trtinspect diff  {names}", style="bold"))
    console.print(f"alignment: {result.alignment.mode} ({result.alignment.shared_source_nodes} shared source "
                  f"nodes, {len(result.groups)} groups)")
    console.print()
    console.print(printable_lines(result.summary_sentences())[:-1])   # a name's line feed is shown
    console.print()
    for line in _totals_lines(result):
        console.print(line)
    if (why := no_delta_note(result)) is not None:
        console.print(why)
    for title, frame in _top_sections(result, top):
        if frame.empty:
            console.print(f"{title}: none")
            continue
        rows = [_group_row(row) for row in frame.to_dict(orient="records")]
        console.print(_text_table(console, title, GROUP_HEADERS, rows))
    if _top_sections(result, top):
        console.print(GROUP_LEGEND)
    for title, rows in moved_sections(result, top):
        console.print(_text_table(console, title, GROUP_HEADERS, rows) if rows else title)
    if not result.end_to_end.empty:
        rows = [[str(r.metric), _ms(r.a_ms), _ms(r.b_ms), _ms(r.delta_ms, True), str(r.source)]
                for r in result.end_to_end.itertuples(index=False)]
        console.print(_text_table(console, "End to end (ms, mean per iteration)",
                                  ["metric", "A", "B", "delta", "source"], rows))
    for title, frame in (("Time by layer type", result.by_type), ("Time by precision", result.by_precision)):
        rows = [[str(r.key), _ms(r.a_ms), _ms(r.b_ms), _ms(r.delta_ms, True), str(r.a_layers), str(r.b_layers)]
                for r in frame.itertuples(index=False)]
        console.print(_text_table(console, f"{title} (ms per iteration)",
                                  ["key", "A ms", "B ms", "delta ms", "A layers", "B layers"], rows))
    kinds = result.groups["kind"].value_counts()
    console.print("groups by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    for note in result.notes:
        console.print(f"note: {printable(note)}")
    return printable_text(buf.getvalue())      # names from the inputs: no raw control characters


# ------------------------------------------------------------------------------------------------- json


def render_json(result: DiffResult, *, top: int = 10) -> str:
    """The whole result as JSON (every group and member; ``top`` is not applied)."""
    return render_json_bytes(result).decode()


def render_json_bytes(result: DiffResult, *, top: int = 10) -> bytes:
    """:func:`render_json` as UTF-8 bytes, as orjson writes them (a command writes 100 MB as they are)."""
    try:  # the same text as the exact path below, without converting ~100,000 rows value by value first
        return dumps_indent2_bytes(result.document(_records), python_float_spelling=False, options=_JSON_OPTIONS)
    except NotFast:
        return orjson.dumps(result.to_dict(), option=_JSON_OPTIONS)


_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """:func:`~trtinspect.render.jsonout.frame_records` with the missing values of string and Int64 columns as
    None: the same JSON (the writer's default turns pd.NA into null) without a Python call per missing value;
    each row's dict made by ``map`` (no Python step per row)."""
    cols = list(frame.columns)
    values = [_plain(frame[c]) for c in cols]
    return list(map(dict, map(zip, itertools.repeat(cols), zip(*values, strict=True))))


def _plain(column: pd.Series) -> list[Any]:
    if isinstance(column.dtype, (pd.StringDtype, pd.Int64Dtype)):
        return cast(Any, column).to_numpy(dtype=object, na_value=None).tolist()
    return column.tolist()


# ------------------------------------------------------------------------------------------------- markdown


_CAUSE_NUMBER = re.compile(r"\d{1,4}\. ")


def _md_text(text: str) -> str:
    return md_text(text)


def _md_cell(text: str) -> str:
    return md_cell(text)


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return out


def render_markdown(result: DiffResult, *, top: int = 10) -> str:
    """Markdown report (for a pull-request comment)."""
    if result.mode == MODE_END_TO_END:
        from trtinspect.render import diff_e2e

        return diff_e2e.render_markdown(result)
    lines = [f"# trtinspect diff: {_md_text(result.a_name)} (A) vs {_md_text(result.b_name)} (B)", ""]
    for line in result.summary_sentences():     # numbered causes stay a list: a blank line before each
        number = _CAUSE_NUMBER.match(line)      # the number is the list's, the cause's text is escaped
        lines += [number.group() + _md_text(line[number.end():]) if number else _md_text(line), ""]
    lines += [f"Alignment: **{result.alignment.mode}**, {len(result.groups)} groups.", ""]
    lines += [f"- {_md_text(line)}" for line in _totals_lines(result)] + [""]
    if (why := no_delta_note(result)) is not None:
        lines += [f"> {why}", ""]
    for title, frame in _top_sections(result, top):
        lines += [f"## {title}", ""]
        if frame.empty:
            lines += ["none", ""]
            continue
        lines += [*_md_table(GROUP_HEADERS, [_group_row(r) for r in frame.to_dict(orient="records")]), ""]
    lines += [f"_{GROUP_LEGEND}_", ""]
    for title, rows in moved_sections(result, top):
        lines += [f"## {_md_text(title)}", "", *(_md_table(GROUP_HEADERS, rows) if rows else []), ""]
    if not result.end_to_end.empty:
        lines += ["## End to end (ms, mean per iteration)", ""]
        e2e = [[str(r.metric), _ms(r.a_ms), _ms(r.b_ms), _ms(r.delta_ms, True), str(r.source)]
               for r in result.end_to_end.itertuples(index=False)]
        lines += [*_md_table(["metric", "A", "B", "delta", "source"], e2e), ""]
    for title, frame in (("Time by layer type", result.by_type), ("Time by precision", result.by_precision)):
        lines += [f"## {title} (ms per iteration)", ""]
        body = [[str(r.key), _ms(r.a_ms), _ms(r.b_ms), _ms(r.delta_ms, True), str(r.a_layers),
                 str(r.b_layers)] for r in frame.itertuples(index=False)]
        lines += [*_md_table(["key", "A ms", "B ms", "delta ms", "A layers", "B layers"], body), ""]
    if result.notes:
        lines += ["## Notes", ""] + [f"- {_md_text(n)}" for n in result.notes] + [""]
    return printable_text("\n".join(lines))      # a name's line break in the summary starts no command


# ------------------------------------------------------------------------------------------------- html

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;font-size:12px;margin:8px 0 24px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.worse td.delta{color:#b00}
tr.better td.delta{color:#070}
.summary{font-size:15px;max-width:1100px;line-height:1.45;white-space:pre-line}
.note{color:#555;font-size:12px}
"""


def _html_table(headers: list[str], rows: Sequence[Sequence[str | list[str]]], classes: list[str] | None = None,
                numeric: set[int] | None = None) -> str:
    """A table; a cell given as a list of names shows one name a line (each escaped; the breaks are ours)."""
    numeric = numeric or set()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    out = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for k, row in enumerate(rows):
        cls = f' class="{classes[k]}"' if classes else ""
        cells = []
        for i, c in enumerate(row):
            attrs = []
            if i in numeric:
                attrs.append("num")
            if headers[i].startswith("delta"):
                attrs.append("delta")
            cattr = f' class="{" ".join(attrs)}"' if attrs else ""
            text = "<br>".join(html.escape(printable(x)) for x in c) if isinstance(c, list) else \
                html.escape(printable(c))
            cells.append(f"<td{cattr}>{text}</td>")
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def render_html(result: DiffResult, *, top: int = 20) -> str:
    """One self-contained HTML file: summary, waterfall, stacked time by type, precision changes, table."""
    if result.mode == MODE_END_TO_END:
        from trtinspect.render import diff_e2e

        return diff_e2e.render_html(result)
    from trtinspect.render import plots

    untimed = no_delta_note(result)
    # every chart plots per-layer times or deltas: none without timing on both sides (no fake 0 ms bars)
    figs = [] if untimed else [
        plots.fig_diff_waterfall(result.groups, result.totals["a_layers_ms"], result.totals["b_layers_ms"],
                                 top=top, not_listed_ms=not_listed_delta(result.totals)),
        plots.fig_time_by_type(result.by_type),
        plots.fig_precision_changes(result.groups),
    ]
    divs = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), default_width="100%")
            for i, fig in enumerate(figs)]
    if untimed:
        divs.append(f'<p class="note" id="no-charts">{html.escape(untimed)} No waterfall, time-by-type or '
                    "precision-delta chart: precision changes are listed in the aligned table.</p>")
    g = result.groups
    rows = [[*_group_row(r), "; ".join(r["findings"] or [])] for r in g.to_dict(orient="records")]
    classes = ["worse" if d > 0 else "better" if d < 0 else "" for d in g["delta_ms"].fillna(0.0).tolist()]
    members = result.alignment.members
    names: dict[tuple[str, int], list[str]] = defaultdict(list)
    cols = (members["side"].tolist(), members["group_id"].tolist(), members["name"].tolist())
    for side, gid, name in zip(*cols, strict=True):
        names[(side, gid)].append(str(name))
    layer_rows = [[str(gid), names[("A", gid)] or "-", names[("B", gid)] or "-"] for gid in g["group_id"].tolist()]
    e2e_rows = [[str(r.metric), _ms(r.a_ms), _ms(r.b_ms), _ms(r.delta_ms, True), str(r.source)]
                for r in result.end_to_end.itertuples(index=False)]
    title = f"trtinspect diff: {result.a_name} (A) vs {result.b_name} (B)"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(printable(title))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(printable(title))}</h1>",
        f'<p class="summary">{html.escape(printable_lines(result.summary_sentences())[:-1])}</p>',
        f"<p>Alignment: <b>{html.escape(result.alignment.mode)}</b>, {len(g)} groups.</p>",
        "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in _totals_lines(result)) + "</ul>",
        _html_table(["metric", "A ms", "B ms", "delta ms", "source"], e2e_rows, numeric={1, 2, 3}),
        *divs,
        "<h2>Aligned groups (execution order of A)</h2>",
        f"<p class=\"note\">{html.escape(GROUP_LEGEND)}</p>",
        _html_table([*GROUP_HEADERS, "findings detail"], rows, classes, numeric={3, 4, 5, 6}),
        *(f"<h2>{html.escape(printable(title))}</h2>\n" + _html_table(GROUP_HEADERS, rows, numeric={3, 4, 5, 6})
          if rows else f'<p class="note">{html.escape(printable(title))}</p>'
          for title, rows in moved_sections(result, top)),
        "<h2>Layers of each group</h2>",
        _html_table(["id", "A layers", "B layers"], layer_rows),
    ]
    if result.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f'<li class="note">{html.escape(printable(n))}</li>'
                                                  for n in result.notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}
# the same JSON as UTF-8 bytes, for commands that write it out (trtinspect.render.render_output)
BYTES_FORMATS: dict[str, Callable[..., bytes | str]] = {"json": render_json_bytes}


def render(result: DiffResult, fmt: str = "text", *, top: int = 10) -> str:
    """Render in one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[fmt](result, top=top)

"""How a diff without layer information reads (:data:`~trtinspect.inspector.diff.MODE_END_TO_END`): A or B is
a trtexec log with only its performance summary, so there are no groups, types or precisions to list, only
the end-to-end figures trtexec printed and why per-layer comparison is not possible. JSON is the usual
document (empty ``groups``, ``by_type``, ``by_precision``; ``totals`` adds ``a_throughput_qps`` /
``b_throughput_qps``)."""

from __future__ import annotations

import html
import io
import math

from trtinspect.inspector.diff import DiffResult
from trtinspect.render.diff import _CSS, _html_table, _md_table, _md_text, _ms, _text_table
from trtinspect.render.escape import printable, printable_lines, printable_text
from trtinspect.textfmt import FILE_WIDTH

E2E_TITLE = "End to end (ms, mean per iteration)"
E2E_HEADERS = ["metric", "A", "B", "delta", "source"]


def _rows(result: DiffResult) -> list[list[str]]:
    return [[str(r.metric), _ms(r.a_ms), _ms(r.b_ms), _ms(r.delta_ms, True), str(r.source)]
            for r in result.end_to_end.itertuples(index=False)]


def throughput_line(result: DiffResult) -> str | None:
    """trtexec's Throughput of A and B (queries per second), when both logs printed one."""
    qa, qb = result.totals.get("a_throughput_qps", math.nan), result.totals.get("b_throughput_qps", math.nan)
    if math.isnan(qa) or math.isnan(qb):
        return None
    change = f", {100 * (qb - qa) / qa:+.1f}% of A's" if qa > 0 else ""
    return f"throughput (trtexec's Throughput line, qps): A {qa:.3f}, B {qb:.3f} ({qb - qa:+.3f}{change})"


def render_text(result: DiffResult, *, width: int = FILE_WIDTH) -> str:
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None, highlight=False,
                      markup=False, emoji=False)
    names = f"A: {printable(result.a_name)}  B: {printable(result.b_name)}"
    console.print(Text(f"trtinspect diff  {names}", style="bold"))
    console.print(f"comparison: {result.alignment.mode}")
    console.print()
    console.print(printable_lines(result.summary_sentences())[:-1])   # a name's line feed is shown
    console.print()
    console.print(_text_table(console, E2E_TITLE, E2E_HEADERS, _rows(result)))
    if (line := throughput_line(result)) is not None:
        console.print(line)
    for note in result.notes:
        console.print(f"note: {printable(note)}")
    return printable_text(buf.getvalue())


def render_markdown(result: DiffResult) -> str:
    lines = [f"# trtinspect diff: {_md_text(result.a_name)} (A) vs {_md_text(result.b_name)} (B)", ""]
    for line in result.summary_sentences():
        lines += [_md_text(line), ""]
    lines += [f"Comparison: **{result.alignment.mode}**.", "", f"## {E2E_TITLE}", ""]
    lines += [*_md_table(E2E_HEADERS, _rows(result)), ""]
    if (throughput := throughput_line(result)) is not None:
        lines += [_md_text(throughput), ""]
    if result.notes:
        lines += ["## Notes", ""] + [f"- {_md_text(n)}" for n in result.notes] + [""]
    return printable_text("\n".join(lines))


def render_html(result: DiffResult) -> str:
    title = f"trtinspect diff: {result.a_name} (A) vs {result.b_name} (B)"
    line = throughput_line(result)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(printable(title))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(printable(title))}</h1>",
        f'<p class="summary">{html.escape(printable_lines(result.summary_sentences())[:-1])}</p>',
        f"<p>Comparison: <b>{html.escape(result.alignment.mode)}</b>.</p>",
        f"<h2>{html.escape(E2E_TITLE)}</h2>",
        _html_table(E2E_HEADERS, _rows(result), numeric={1, 2, 3}),
        *([f"<p>{html.escape(line)}</p>"] if line else []),
    ]
    if result.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f'<li class="note">{html.escape(printable(n))}</li>'
                                                  for n in result.notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)

"""Rendering: every result object (report, lint findings, diff, check) into text, json, markdown, html, sarif,
junit or annotations, and the plotly figures shared by the web app and HTML reports.

The renderer contract: each result kind has a module here declaring ``FORMATS``, a mapping from format name to a
renderer ``fn(result, **options) -> str``. Options are keywords (``top``: how many rows, ``width``: text width);
:func:`render` passes each renderer only the options it declares, so a command can pass the same options to any
format. A module may also declare ``BYTES_FORMATS`` (format -> ``fn(result, **options) -> bytes | str``, or
:class:`~trtinspect.render.jsonout.Utf8Pieces`): the same text as UTF-8 bytes (whole, or in pieces written out
without joining them), for documents of tens of MB that a command writes out (:func:`render_output`), or the
``str`` itself when the renderer's exact fallback made one. Modules are imported when first used. Nothing
below this package prints or draws; nothing here computes an analysis. See docs/architecture.md.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trtinspect.render.jsonout import Utf8Pieces

Renderer = Callable[..., str]

# result kind -> module declaring FORMATS (the result object each renderer takes)
RESULTS: dict[str, str] = {
    "report": "trtinspect.render.report",   # the dict of trtinspect.inspector.report.build_report
    "lint": "trtinspect.render.lint",       # trtinspect.inspector.lint.LintResult
    "diff": "trtinspect.render.diff",       # trtinspect.inspector.diff.DiffResult
    "check": "trtinspect.render.check",     # trtinspect.inspector.check.CheckResult
}


def formats(kind: str) -> Mapping[str, Renderer]:
    """The formats of one result kind (format name -> renderer)."""
    table: Mapping[str, Renderer] = importlib.import_module(RESULTS[kind]).FORMATS
    return table


def render(kind: str, result: Any, fmt: str, **options: Any) -> str:
    """Render ``result`` (a result of ``kind``) in format ``fmt``, passing the options that renderer declares."""
    table = formats(kind)
    if fmt not in table:
        raise ValueError(f"unknown {kind} format {fmt!r}; choose one of {', '.join(table)}")
    text: str = _call(table[fmt], result, options)
    return text


def render_output(kind: str, result: Any, fmt: str, **options: Any) -> str | bytes | Utf8Pieces:
    """:func:`render`'s text, or the same text as UTF-8 bytes (or bytes in pieces) where the module's
    ``BYTES_FORMATS`` has ``fmt`` (a command writes them as they are: no decode here, no encode on the way out)."""
    table: Mapping[str, Callable[..., str | bytes | Utf8Pieces]] = getattr(importlib.import_module(RESULTS[kind]),
                                                                           "BYTES_FORMATS", {})
    if fmt not in table:
        return render(kind, result, fmt, **options)
    out: str | bytes | Utf8Pieces = _call(table[fmt], result, options)
    return out


def _call(fn: Callable[..., Any], result: Any, options: dict[str, Any]) -> Any:
    accepted = inspect.signature(fn).parameters
    return fn(result, **{k: v for k, v in options.items() if k in accepted})

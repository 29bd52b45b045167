"""Escaping, once, for every output format that prints names taken from the inputs.

Layer, tensor and engine names come from files a user may not control (an uploaded profile, a model from
elsewhere). Whatever a renderer prints from them goes through one of these functions:

* Markdown (:func:`md_text`, :func:`md_cell`): no raw HTML (``<script>``, ``<img onerror=...>``), no links,
  images or code spans of its own, no table breaks; line breaks become spaces in table cells.
* Control characters (:func:`printable`): every C0/C1 control (ESC of ANSI sequences, NUL, CR, line feed,
  tab, ...) of a name or message is shown as ``\\xNN``, Unicode's line/paragraph separators and bidirectional
  controls (U+2028, U+202E, ...) as ``\\uXXXX``, instead of being written to a terminal or a document: a
  name is one line, shown in the order it is written. Only the tool's own layout breaks lines:
  :func:`printable_lines` joins lines of a text report, :func:`printable_text` escapes a finished document whose
  line breaks are the renderer's (rich). Both also defuse a line that would start with ``::`` (GitHub reads it
  as a workflow command, even indented). Every renderer uses these (one rule; no renderer has its own).
* XML 1.0 (:func:`xml_text`): characters XML forbids are replaced by U+FFFD, so JUnit readers accept the file.

HTML output uses :func:`html.escape`; GitHub workflow commands have their own rules (render.check).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["UNICODE_CONTROLS", "dumps_finite", "finite_or_null", "md_cell", "md_text", "printable",
           "printable_lines", "printable_text", "xml_text"]

# Unicode's own line breaks (U+2028/U+2029: str.splitlines, editors and browsers break lines there) and the
# bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9) that reorder what follows on screen ("Trojan
# Source"): shown as \\uXXXX, like the C0/C1 controls as \\xNN.
UNICODE_CONTROLS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNICODE_CONTROLS = UNICODE_CONTROLS
_CONTROL = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_UNICODE_CONTROLS}]")        # every control, line breaks included
_CONTROL_IN_TEXT = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{_UNICODE_CONTROLS}]")   # all but the layout's \\n
_COMMAND_LINE = re.compile(r"^([ \t]*):(?=:)", re.MULTILINE)     # a GitHub workflow command: "::name ...::"
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_MD_ACTIVE = ("\\", "`", "[", "]", "|", "*", "_", "~", "!")
_MD_ESCAPED = tuple((ch, "\\" + ch) for ch in _MD_ACTIVE)   # the backslash first: the others add one
# What makes a line a block of its own when it starts one (md_text's output is often the start of a line or
# of a list item): a blockquote ">", an ATX heading "# ", a list item "- " / "+ " / "1. " / "1) ", a setext
# underline or thematic break ("===", "---"). Its marker is backslash-escaped; text like "-0.5 ms" or "1.5"
# starts no block and stays as it is.
_MD_BLOCK_START = re.compile(r"^(\s*)(>|#{1,6}(?=\s|$)|[-+](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|[=-](?=[=-]*\s*$))")


def _hex(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` as one line: every control character (line feed, CR, tab, ESC, ...) shown as ``\\xNN``, Unicode
    line separators and bidirectional controls as ``\\uXXXX``."""
    out = str(text)
    return out if out.isprintable() or _CONTROL.search(out) is None else _CONTROL.sub(_hex, out)


def _defused(text: str) -> str:
    """No line starts with ``::`` (after spaces): its first colon is shown as ``\\x3a``."""
    return _COMMAND_LINE.sub(r"\1\\x3a", text) if "::" in text else text


def printable_text(text: object) -> str:
    """A finished document: its line feeds are the layout's and stay; every other control is shown as
    ``\\xNN`` and no line starts a GitHub workflow command."""
    out = str(text)
    if _CONTROL_IN_TEXT.search(out) is not None:
        out = _CONTROL_IN_TEXT.sub(_hex, out)
    return _defused(out)


def printable_lines(lines: list[str]) -> str:
    """The lines of a text report, each escaped by :func:`printable` (a name's line break is shown, not
    obeyed), joined by line feeds and ended by one; no line starts a GitHub workflow command."""
    return _defused("\n".join([printable(line) for line in lines]) + "\n")


def md_text(text: object, *, line_start: bool = True) -> str:
    """Text made inert in Markdown: HTML-escaped (``&`` and ``<``; ``>`` opens no tag), Markdown punctuation
    backslash-escaped, controls shown; with ``line_start`` (the text may begin a line or a list item) a
    leading block marker (``>``, ``# ``, ``- ``, ``1. ``, ``===``) is escaped too. Each step runs only when its
    characters occur (a findings table escapes 100,000 names)."""
    out = str(text)
    if _CONTROL.search(out) is not None:
        out = printable(out)
    if "&" in out:
        out = out.replace("&", "&amp;")
    if "<" in out:
        out = out.replace("<", "&lt;")
    for ch, escaped in _MD_ESCAPED:
        if ch in out:
            out = out.replace(ch, escaped)
    if line_start and out.lstrip()[:1] in _MD_BLOCK_FIRST:  # it may start a line: it starts no block
        out = _MD_BLOCK_START.sub(_block_escaped, out, count=1)
    return out


_MD_BLOCK_FIRST = frozenset(">#-+=0123456789")


def _block_escaped(m: re.Match[str]) -> str:
    marker = m.group(2)
    if marker[:1].isdigit():   # "1." / "1)": the punctuation after the number is what makes it a list item
        return m.group(1) + marker + "\\"
    return m.group(1) + "\\" + marker


def md_cell(text: object) -> str:
    """:func:`md_text` for one table cell (no line breaks; a cell starts no block, so its first character
    stays as it is)."""
    out = md_text(text, line_start=False)
    return out.replace("\r", " ").replace("\n", " ") if "\r" in out or "\n" in out else out


def xml_text(text: object) -> str:
    """Text with every character XML 1.0 forbids replaced (escape ``<``/``&`` with the XML writer)."""
    return _XML_FORBIDDEN.sub("\ufffd", str(text))


def finite_or_null(obj: Any) -> Any:
    """``obj`` with every non-finite float (inf, -inf, NaN) as None: JSON (RFC 8259) has no Infinity or NaN,
    and every JSON output of trtinspect writes them as ``null`` (orjson, which writes the big documents, does
    the same), never the ``Infinity`` that ``json.dumps`` would write and JSON parsers refuse."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_null(v) for v in obj]
    return obj


def dumps_finite(obj: Any, **kwargs: Any) -> str:
    """``json.dumps(obj, **kwargs)`` with non-finite numbers as ``null`` (:func:`finite_or_null`); the walk
    happens only for a document that holds one."""
    try:
        return json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError:
        return json.dumps(finite_or_null(obj), allow_nan=False, **kwargs)

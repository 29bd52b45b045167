"""Small text formatting shared by every output: one spelling of signed numbers.

Text, JSON, Markdown and SARIF write the ASCII hyphen-minus ``-`` for negative numbers (as Python's own number
formatting does), never the Unicode minus sign U+2212: a reader or a script searching the output for ``-0.165``
finds it, and the outputs agree with one another.
"""

from __future__ import annotations

import re

__all__ = ["FILE_WIDTH", "MINUS", "NAME_WIDTH", "fit_row", "short_name", "signed"]

MINUS = "-"
# Text written to a file or a pipe without COLUMNS set (no terminal to fit): 120 columns, the width of a code
# review or a CI log view (trtinspect.cli.options.text_width).
FILE_WIDTH = 120


# A layer name quoted in a note or an error message: cut to this many characters, ending in "…" (as table
# cells are); the whole name is in the tables / JSON.
NAME_WIDTH = 70


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """``name`` cut to ``width`` characters ending in an ellipsis when longer (notes and error messages)."""
    return name if len(name) <= width else name[: width - 1] + "\u2026"


def signed(value: float, digits: int = 3, unit: str = "") -> str:
    """``+0.232 ms`` / ``-0.165 ms``: always a sign, ASCII minus, ``digits`` decimals, then ``unit``."""
    return f"{MINUS if value < 0 else '+'}{abs(value):.{digits}f}{unit}"


# A text-table row whose last cell is a long name (a fusion group, an engine): the cells before it (numbers,
# codes) stay whole on the first line; the name takes the room left and wraps under its own column, or, when
# less than NAME_MIN_ROOM is left (a narrow terminal), goes under the row on lines of its own.
NAME_MIN_ROOM = 20


def fit_row(cells: str, name: str, width: int) -> list[str]:
    """``cells + name`` as lines of at most ``width`` characters (``cells`` itself is never cut).

    The name breaks after a space or a separator (``_ : / . , +``) where it can, inside a piece only where it
    must."""
    if len(cells) + len(name) <= width:
        return [cells + name]
    room = width - len(cells)
    if room >= NAME_MIN_ROOM:
        first, *rest = _chunks(name, room)
        return [cells + first, *(" " * len(cells) + part for part in rest)]
    return [cells.rstrip(), *("  " + part for part in _chunks(name, max(NAME_MIN_ROOM, width - 2)))]


# where a long name may break: after a space, "_", ":", "/", ".", "," or "+" (``at::native::`` /
# ``elementwise_kernel``, ``resnet50/conv1/`` / ``Conv2D``), inside a piece only when the piece alone is too long
_PIECE = re.compile(r"[^ _:/.,+]+[ _:/.,+]*|[ _:/.,+]+")


def _chunks(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for piece in _PIECE.findall(text):
        while len(line) + len(piece.rstrip()) > width:
            if line.strip():
                lines.append(line.rstrip())
                line = ""
                piece = piece.lstrip()
                continue
            lines.append(piece[:width])     # one piece longer than a whole line: cut it
            piece = piece[width:]
        line += piece
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines

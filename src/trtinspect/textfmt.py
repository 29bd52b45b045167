"""Small text formatting shared by every output: one spelling of signed numbers.

Text, JSON, Markdown and SARIF write the ASCII hyphen-minus ``-`` for negative numbers (as Python's own number
formatting does), never the Unicode minus sign U+2212: a reader or a script searching the output for ``-0.165``
finds it, and the outputs agree with one another.
"""

from __future__ import annotations

__all__ = ["FILE_WIDTH", "MINUS", "signed"]

MINUS = "-"
# Text written to a file or a pipe without COLUMNS set (no terminal to fit): 120 columns, the width of a code
# review or a CI log view (trtinspect.cli.options.text_width).
FILE_WIDTH = 120


def signed(value: float, digits: int = 3, unit: str = "") -> str:
    """``+0.232 ms`` / ``-0.165 ms``: always a sign, ASCII minus, ``digits`` decimals, then ``unit``."""
    return f"{MINUS if value < 0 else '+'}{abs(value):.{digits}f}{unit}"

"""Fast JSON writing for big results (tens of MB): orjson, with the output of the slower encoders kept.

``json.dumps(..., indent=2)`` runs the standard library's pure-Python encoder (its C encoder is used only
without ``indent``): 74 MB of lint findings took several seconds. orjson writes the same indented layout;
the one difference is how it spells some floats (``1e-7`` and ``0.00001`` where Python writes ``1e-07`` and
``1e-05``). :func:`python_floats` rewrites those tokens to Python's spelling, so :func:`dumps_indent2` gives
the bytes ``json.dumps(obj, indent=2, ensure_ascii=False)`` gives. Anything orjson refuses (a non-string
key, an integer over 64 bits, a lone surrogate, very deep nesting) makes the caller fall back to its exact
slow path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np
import orjson
import pandas as pd

# Only two float spellings differ from Python's: fixed notation below 1e-4 (orjson "0.000099", Python
# "9.9e-05") and one-digit negative exponents (orjson "1e-7", Python "1e-07"). Each differing token holds
# "0.0000" or "e-" and a digit; these literal patterns let the regular expression engine skip to candidates
# (a pattern not starting with a literal, or an alternation, reads every byte in Python's engine).
_DIFFERENT_FLOAT = re.compile(rb"-?(?:0\.0000\d*|\d+(?:\.\d+)?e-\d)")
_CANDIDATES = (re.compile(rb"0\.0000"), re.compile(rb"e-\d"))
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class NotFast(Exception):
    """orjson cannot write this document exactly like the slow path; use the slow path."""


class Utf8Pieces:
    """A UTF-8 document held as its consecutive pieces: views of the buffer orjson wrote and, between them, the
    floats :func:`python_floats` respells. Written out piece by piece (:meth:`write_to`) it is never joined into
    a second copy of tens of MB (the copy costs a few hundredths of a second, mostly the kernel's zeroing of
    fresh pages, and as much memory again); ``bytes(pieces)`` joins it."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: Sequence[bytes | memoryview]) -> None:
        self.pieces = tuple(pieces)

    def __bytes__(self) -> bytes:
        return b"".join(self.pieces)

    def decode(self) -> str:
        """The document as ``str`` (``bytes(self).decode()``)."""
        return bytes(self).decode()

    def endswith(self, suffix: bytes) -> bool:
        """Whether the document ends with ``suffix`` (one byte or more), as ``bytes.endswith``."""
        tail = b""
        for piece in reversed(self.pieces):
            tail = bytes(piece[-len(suffix):]) + tail
            if len(tail) >= len(suffix):
                break
        return tail.endswith(suffix)

    def write_to(self, stream: BinaryIO) -> None:
        """Write the document to a binary stream, piece by piece (``write`` each: a stream class may override
        ``write`` only, as click's test runner does, which ``writelines`` would bypass)."""
        for piece in self.pieces:
            stream.write(piece)


def _float_fixes(data: bytes) -> dict[int, tuple[int, bytes]]:
    """Where orjson's float tokens differ from Python's spelling: ``{start: (stop, Python's spelling)}``.

    In indented output every number ends its line (strings cannot hold a raw newline, and a string value
    ends in a quote), so a line whose last space-separated token is a number holds that number as a value.
    Candidates (``0.0000`` or ``e-`` and a digit, also found in text) are checked that way.
    """
    fixes: dict[int, tuple[int, bytes]] = {}
    for pattern in _CANDIDATES:
        for match in pattern.finditer(data):
            i = match.start()
            line_end = data.find(b"\n", i)
            if line_end == -1:
                line_end = len(data)
            start = data.rfind(b" ", 0, i) + 1
            stop = line_end - 1 if data[line_end - 1:line_end] == b"," else line_end
            if start not in fixes and _DIFFERENT_FLOAT.fullmatch(data, start, stop):
                fixes[start] = (stop, repr(float(data[start:stop])).encode())
    return fixes


def python_float_pieces(data: bytes) -> Utf8Pieces:
    """:func:`python_floats` as :class:`Utf8Pieces` (views of ``data`` between the respelled floats)."""
    view = memoryview(data)
    out: list[bytes | memoryview] = []
    pos = 0
    fixes = _float_fixes(data)
    for start in sorted(fixes):
        stop, text = fixes[start]
        out += (view[pos:start], text)
        pos = stop
    out.append(view[pos:])
    return Utf8Pieces(out)


def python_floats(data: bytes) -> bytes:
    """orjson float tokens in indented output respelled the way Python's ``repr(float)`` spells them
    (see :func:`_float_fixes`)."""
    pieces = python_float_pieces(data)
    return data if len(pieces.pieces) == 1 else bytes(pieces)


def _default(value: Any) -> Any:
    """What ``_jsonable``-style converters make of values orjson does not know."""
    if value is pd.NA:
        return None
    if isinstance(value, np.floating):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def dumps_indent2(obj: Any, *, default: Any = _default, python_float_spelling: bool = True,
                  options: int = _OPTIONS) -> str:
    """``obj`` as indented JSON (2 spaces, non-ASCII kept), NaN as null; :class:`NotFast` when orjson can't.

    With ``python_float_spelling`` floats are spelled as ``json.dumps`` spells them (see the module doc).
    ``options`` are orjson's (``OPT_INDENT_2`` among them).
    """
    return dumps_indent2_bytes(obj, default=default, python_float_spelling=python_float_spelling,
                               options=options).decode()


def dumps_indent2_bytes(obj: Any, *, default: Any = _default, python_float_spelling: bool = True,
                        options: int = _OPTIONS) -> bytes:
    """:func:`dumps_indent2` as UTF-8 bytes, as orjson writes them: for a document of tens of MB that is
    written out, decoding it to ``str`` and encoding it again on the way out are pure overhead."""
    data = _orjson_dumps(obj, default, options)
    return python_floats(data) if python_float_spelling else data


def dumps_indent2_pieces(obj: Any, *, default: Any = _default, options: int = _OPTIONS) -> Utf8Pieces:
    """:func:`dumps_indent2_bytes` (floats spelled as Python spells them) as :class:`Utf8Pieces`: for a
    document of tens of MB that is written out, not joined into a second copy."""
    return python_float_pieces(_orjson_dumps(obj, default, options))


def _orjson_dumps(obj: Any, default: Any, options: int) -> bytes:
    try:
        return orjson.dumps(obj, default=default, option=options)
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise NotFast(str(exc)) from exc


def frame_records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """``frame.to_dict("records")`` for JSON writing, built column by column (much faster on big frames).

    Values are what ``Series.tolist()`` gives: Python scalars, NaN / ``pd.NA`` for missing, the cell objects
    of object columns. Written by orjson they give the same JSON as the ``to_dict`` records.
    """
    cols = list(frame.columns if columns is None else columns)
    values = [frame[c].tolist() for c in cols]
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]

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
from typing import Any

import numpy as np
import orjson
import pandas as pd

# Only two float spellings differ from Python's: fixed notation below 1e-4 (orjson "0.000099", Python
# "9.9e-05") and one-digit negative exponents (orjson "1e-7", Python "1e-07").
_DIFFERENT_FLOAT = re.compile(rb"-?(?:0\.0000\d*|\d+(?:\.\d+)?e-\d)")
_NEEDLES = (b"0.0000", b"e-")
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class NotFast(Exception):
    """orjson cannot write this document exactly like the slow path; use the slow path."""


def python_floats(data: bytes) -> bytes:
    """orjson float tokens in indented output respelled the way Python's ``repr(float)`` spells them.

    In indented output every number ends its line (strings cannot hold a raw newline, and a string value
    ends in a quote), so a line whose last space-separated token is a number holds that number as a value.
    The candidates are found with ``bytes.find`` (a regular expression over tens of MB is far slower).
    """
    fixes: dict[int, tuple[int, bytes]] = {}
    for needle in _NEEDLES:
        i = data.find(needle)
        while i != -1:
            if needle == b"e-" and not (data[i - 1:i].isdigit() and data[i + 2:i + 3].isdigit()):
                i = data.find(needle, i + 2)  # "e-" in text ("re-export"), not in a number
                continue
            line_end = data.find(b"\n", i)
            if line_end == -1:
                line_end = len(data)
            start = data.rfind(b" ", 0, i) + 1
            stop = line_end - 1 if data[line_end - 1:line_end] == b"," else line_end
            if start not in fixes and _DIFFERENT_FLOAT.fullmatch(data, start, stop):
                fixes[start] = (stop, repr(float(data[start:stop])).encode())
            i = data.find(needle, line_end)
    if not fixes:
        return data
    out: list[bytes] = []
    pos = 0
    for start in sorted(fixes):
        stop, text = fixes[start]
        out += (data[pos:start], text)
        pos = stop
    out.append(data[pos:])
    return b"".join(out)


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
    try:
        data = orjson.dumps(obj, default=default, option=options)
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise NotFast(str(exc)) from exc
    if python_float_spelling:
        data = python_floats(data)
    return data.decode()


def frame_records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """``frame.to_dict("records")`` for JSON writing, built column by column (much faster on big frames).

    Values are what ``Series.tolist()`` gives: Python scalars, NaN / ``pd.NA`` for missing, the cell objects
    of object columns. Written by orjson they give the same JSON as the ``to_dict`` records.
    """
    cols = list(frame.columns if columns is None else columns)
    values = [frame[c].tolist() for c in cols]
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]

"""The per-row lists a LAYERS frame was built from by the graph parser (:mod:`trtinspect.parsers.layers`), kept
beside the frame while it lives."""

from __future__ import annotations

import weakref
from typing import Any

import pandas as pd

__all__ = ["ROW_LIST_COLUMNS", "keep_row_lists", "row_lists"]

# The per-row lists a LAYERS frame was built from, kept while the frame lives (frames are read-only once
# loaded: model.EngineBundle.derived): a reader that wants a column as a Python list (the lint's per-row views)
# takes the list instead of converting the column back, which touches every cell of it once more.
ROW_LIST_COLUMNS = ("name", "inputs", "outputs", "attributes", "producers", "consumers", "source_nodes")
_ROW_LISTS: dict[int, tuple[weakref.ref[pd.DataFrame], dict[str, list[Any]]]] = {}


def keep_row_lists(frame: pd.DataFrame, cols: dict[str, list[Any]]) -> None:
    key = id(frame)
    _ROW_LISTS[key] = (weakref.ref(frame, lambda _: _ROW_LISTS.pop(key, None)),
                       {c: cols[c] for c in ROW_LIST_COLUMNS})


def row_lists(frame: pd.DataFrame) -> dict[str, list[Any]] | None:
    """The lists (:data:`ROW_LIST_COLUMNS`) a LAYERS frame built by the graph parser was made from: the same
    objects its cells hold, in row order (``name``: str; ``inputs``/``outputs``/``producers``/``consumers``/
    ``source_nodes``: lists; ``attributes``: dicts). None for any other frame. Do not modify them."""
    got = _ROW_LISTS.get(id(frame))
    return got[1] if got is not None and got[0]() is frame else None

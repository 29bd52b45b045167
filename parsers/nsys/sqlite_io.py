"""Opening an Nsight Systems SQLite export read-only and moving its columns out quickly: the low-level half of
:mod:`trtinspect.parsers.nsys.sqlite` (which re-exports these names).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called while large tables load (``stage`` is e.g. ``"kernels"``)."""

SQLITE_MAGIC = b"SQLite format 3\x00"
NULL_INT = np.iinfo(np.int64).min  # NULL travels through np.fromiter as this sentinel
TID_BITS = 0xFFFFFF

EXPORT_HINT = "create it with `nsys export --type sqlite --output {stem}.sqlite {name}`"

# Column specs: output key -> (candidate source columns, kind). kind: "int" (nullable int64), "text" (object),
# "strid" (a StringIds id, or inline text in exports that stored the string itself).
ColSpec = dict[str, tuple[tuple[str, ...], str]]

# ----------------------------------------------------------------------------------------------------
# Opening and validating


def refuse_non_sqlite(p: Path) -> None:
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise TrtInspectError("no such file (expected an nsys SQLite export)", path=p) from None
    except OSError as exc:
        raise TrtInspectError(f"cannot read file: {exc.strerror}", path=p) from None
    if p.is_dir():
        raise TrtInspectError("is a directory, expected an nsys SQLite export", path=p)
    suffix = p.suffix.lower()
    if suffix in (".nsys-rep", ".qdrep"):
        raise TrtInspectError(
            "is an Nsight Systems report, not its SQLite export",
            path=p,
            hint=EXPORT_HINT.format(stem=p.with_suffix(""), name=p),
        )
    if suffix == ".qdstrm":
        raise TrtInspectError(
            "is an unfinished Nsight Systems capture stream (.qdstrm)",
            path=p,
            hint=f"convert it with `QdstrmImporter --input-file {p}` (in the nsys host directory), then "
            + EXPORT_HINT.format(stem=p.with_suffix(""), name=p.with_suffix(".nsys-rep")),
        )
    if size == 0:
        raise TrtInspectError(
            "file is empty (expected an nsys SQLite export)",
            path=p,
            hint="re-run `nsys export --type sqlite`",
        )
    try:
        with p.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise TrtInspectError(f"cannot read file: {exc.strerror}", path=p) from None
    if head != SQLITE_MAGIC:
        raise TrtInspectError(
            "is not an SQLite database (expected an nsys SQLite export)",
            path=p,
            hint="export the report with `nsys export --type sqlite --output X.sqlite X.nsys-rep`",
        )


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """Open ``path`` read-only and immutable (no journal, no lock file, never a write)."""
    p = Path(path)
    refuse_non_sqlite(p)
    uri = f"file:{urllib.parse.quote(str(p.resolve()))}?mode=ro&immutable=1"
    try:
        return sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise TrtInspectError(f"cannot open as SQLite ({exc})", path=p) from None


def resolve_table(tables: Sequence[str], names: Sequence[str]) -> str | None:
    """The first of ``names`` present; else its ``_V<n>`` variant with the highest ``n``."""
    present = set(tables)
    for name in names:
        if name in present:
            return name
        pat = re.compile(rf"^{re.escape(name)}_V(\d+)$")
        versions = [(int(m.group(1)), t) for t in tables if (m := pat.match(t))]
        if versions:
            return max(versions)[1]
    return None


def columns_of(con: sqlite3.Connection, table: str) -> dict[str, str]:
    """column name -> declared type (upper case) via PRAGMA table_info."""
    return {row[1]: (row[2] or "").upper() for row in con.execute(f'PRAGMA table_info("{table}")')}


# ----------------------------------------------------------------------------------------------------
# Streaming rows into numpy


def fetch(
    con: sqlite3.Connection, table: str, spec: ColSpec, *, stage: str, progress: Progress | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Columns of ``table`` per ``spec`` as numpy arrays (ints with the NULL sentinel, text as object).

    Integer columns travel as one ``group_concat`` string per column built inside SQLite in a single pass (all
    aggregates of one SELECT see the rows in the same order) and parsed by numpy: no Python object per value.
    Text columns are fetched by rowid for the rows that have text only. Returns the arrays and the spec keys
    whose column the table lacks (filled with the sentinel / None).
    """
    cols = columns_of(con, table)
    int_keys: list[str] = []
    int_exprs: list[str] = []
    text_keys: list[tuple[str, str]] = []
    missing: list[str] = []
    for key, (candidates, kind) in spec.items():
        src = next((c for c in candidates if c in cols), None)
        if src is None:
            missing.append(key)
            continue
        declared = cols[src]
        if kind == "text" or (kind == "strid" and ("CHAR" in declared or declared == "TEXT")):
            text_keys.append((key, src))
        else:
            int_keys.append(key if kind != "strid" else key + "__id")
            int_exprs.append(f"group_concat(COALESCE(CAST(\"{src}\" AS INTEGER), {NULL_INT}), ',')")
    total = int(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
    if progress is not None:
        progress(stage, 0, total)
    row = con.execute(
        f"SELECT count(*), group_concat(rowid, ','), {', '.join(int_exprs) or '0'} FROM \"{table}\""
    ).fetchone()
    n = int(row[0])
    out: dict[str, np.ndarray] = {}
    for key, blob in zip(["__rowid", *int_keys], row[1:], strict=False):
        arr = np.fromstring(blob, dtype=np.int64, sep=",") if blob else np.empty(0, np.int64)
        if len(arr) != n:
            raise TrtInspectError(f"table {table} column for {key} could not be read as integers")
        out[key] = arr
    rowids = out.pop("__rowid")
    for key, src in text_keys:
        values = np.full(n, None, dtype=object)
        got = con.execute(f'SELECT rowid, "{src}" FROM "{table}" WHERE "{src}" IS NOT NULL').fetchall()
        if got:
            rid = np.fromiter((r[0] for r in got), dtype=np.int64, count=len(got))
            pos = (
                np.searchsorted(rowids, rid)
                if bool(np.all(rowids[1:] > rowids[:-1]))
                else pd.Index(rowids).get_indexer(rid)
            )
            values[pos] = [str(r[1]) for r in got]
        out[key] = values
    for key in missing:
        kind = spec[key][1]
        out[key] = np.full(n, NULL_INT, dtype=np.int64) if kind == "int" else np.full(n, None, dtype=object)
    if progress is not None:
        progress(stage, n, max(total, n))
    return out, missing


def factorize_ints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` in O(n) when the values span a small range (ids, enums)."""
    if len(values) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    lo, hi = int(values.min()), int(values.max())
    if hi - lo > 4 * len(values) + 1_000_000:
        uniq, inverse = np.unique(values, return_inverse=True)
        return uniq, inverse.ravel()
    shifted = values - lo
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[shifted] = True
    offsets = np.flatnonzero(present)
    lut = np.zeros(hi - lo + 1, dtype=np.int64)
    lut[offsets] = np.arange(len(offsets))
    return offsets + lo, lut[shifted]


def fetch_file(
    path: Path, table: str, spec: ColSpec, stage: str, progress: Progress | None
) -> dict[str, np.ndarray]:
    """:func:`fetch` on a connection of its own (for a worker thread)."""
    con = open_readonly(path)
    try:
        return fetch(con, table, spec, stage=stage, progress=progress)[0]
    finally:
        con.close()


def table_names(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]


def nullable(a: np.ndarray) -> pd.arrays.IntegerArray:
    a = np.ascontiguousarray(a, dtype=np.int64)
    return pd.arrays.IntegerArray(a, a == NULL_INT)


def categorical(values: np.ndarray | Sequence[Any]) -> pd.Categorical:
    return pd.Categorical(values)


def categorical_from_ids(ids: np.ndarray, strings: dict[int, str]) -> pd.Categorical:
    """Map StringIds ids to a categorical without a Python object per row."""
    if len(ids) == 0:
        return pd.Categorical([])
    uniq, inverse = factorize_ints(ids)
    names = np.array([strings.get(int(u)) for u in uniq], dtype=object)
    name_codes, cats = pd.factorize(names, use_na_sentinel=True)
    codes = np.asarray(name_codes)[inverse.ravel()]
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def from_codes(inverse: np.ndarray, labels: Sequence[Any]) -> pd.Categorical:
    """Categorical whose row i is ``labels[inverse[i]]`` (labels may repeat or be None)."""
    label_codes, cats = pd.factorize(np.array(labels, dtype=object), use_na_sentinel=True)
    codes = np.asarray(label_codes, dtype=np.int64)[inverse] if len(inverse) else np.empty(0, np.int64)
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def text_categorical(text: np.ndarray, ids: np.ndarray, strings: dict[int, str]) -> pd.Categorical:
    """Inline text where present, else ``strings[id]``; one categorical without a Python object per id row."""
    inline = ~pd.isna(text)
    use_id = ~inline & (ids != NULL_INT)
    parts_codes = np.full(len(text), -1, dtype=np.int64)
    cats: list[Any] = []
    if inline.any():
        c, u = pd.factorize(text[inline], use_na_sentinel=True)
        parts_codes[inline] = c
        cats = list(u)
    if use_id.any():
        uniq, inverse = factorize_ints(ids[use_id])
        names = [strings.get(int(i)) for i in uniq]
        index = {v: k for k, v in enumerate(cats)}
        lut = np.empty(len(names), dtype=np.int64)
        for k, name in enumerate(names):
            if name is None:
                lut[k] = -1
            elif name in index:
                lut[k] = index[name]
            else:
                index[name] = len(cats)
                lut[k] = len(cats)
                cats.append(name)
        parts_codes[use_id] = lut[inverse]
    return pd.Categorical.from_codes(parts_codes, categories=pd.Index(cats, dtype=object))


def names_of(cols: dict[str, np.ndarray], key: str, strings: dict[int, str]) -> pd.Categorical:
    if key + "__id" in cols:
        return categorical_from_ids(cols[key + "__id"], strings)
    return categorical(cols[key])


def global_pid_of(g: np.ndarray) -> np.ndarray:
    return np.where(g == NULL_INT, NULL_INT, g & ~np.int64(TID_BITS))


def pid_of(g: np.ndarray) -> np.ndarray:
    return np.where(g == NULL_INT, NULL_INT, (g >> 24) & TID_BITS)


def tid_of(g: np.ndarray) -> np.ndarray:
    return np.where(g == NULL_INT, NULL_INT, g & TID_BITS)


def typed_frame(data: dict[str, Any], s: schema.Schema) -> pd.DataFrame:
    df = pd.DataFrame({c: data[c] for c in s})
    return df.astype(s) if any(str(df[c].dtype) != s[c] for c in s) else df




def corrupt_export(path: Path, exc: sqlite3.DatabaseError) -> TrtInspectError:
    """The one-line error for an export SQLite cannot read (shared by the reader and the summaries)."""
    return TrtInspectError(f"corrupt or unreadable SQLite database ({exc})", path=path,
                           hint="re-export it with `nsys export --type sqlite`")


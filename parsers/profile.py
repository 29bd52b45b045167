"""trtexec ``--exportProfile`` JSON: per-layer times, one row per profiled layer (schema ``PROFILE``).

The file is ``[{"count": N}, {"name", "timeMs", "averageMs", "medianMs"?, "percentage"}, ...]``: TensorRT
8.2 and earlier write four keys per record (no ``medianMs``), 8.4+ five. ``count`` is the number of profiled
iterations.

trtexec writes layer names without JSON escaping, so a name holding ``"``, ``\\`` or a control character makes
the file invalid JSON, and a name holding a backslash sequence such as ``\\n`` would be silently changed by a
JSON decoder. Whenever the raw text holds a backslash or does not decode, records are re-read one by one from
the raw text with a tolerant pattern that takes the name verbatim (what trtexec wrote is the name); rows whose
name needed this are flagged ``name_recovered``. Records that cannot be read at all are named in
``ProfileMeta.notes``; when none can be read the file is refused with :class:`TrtInspectError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import _io, schema
from trtinspect.textfmt import short_name

WHAT = "a trtexec --exportProfile JSON"
HINT = "re-run trtexec with --exportProfile=FILE (it writes [{\"count\": N}, {\"name\": ...}, ...])"

# Source key -> PROFILE column. ``medianMs`` is absent before TensorRT 8.4.
KEY_MAP: dict[str, str] = {
    "name": "name",
    "timeMs": "time_ms",
    "averageMs": "avg_ms",
    "medianMs": "median_ms",
    "percentage": "percentage",
}
REQUIRED_KEYS = ("name", "timeMs", "averageMs", "percentage")
NUMERIC_KEYS = ("timeMs", "averageMs", "medianMs", "percentage")

_NUM = r"(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|-?inf|-?nan|NaN|-?Infinity)"
# A record boundary: `,` (after a newline or a `}`) then `{ "name" :`.
_BOUNDARY = r'(?:\n\s*|\}\s*),\s*\{\s*"name"\s*:'
# One record as trtexec writes it. The name is taken verbatim up to the `", "timeMs"` that follows it; the
# tempered token stops a damaged record from swallowing the next one at a record boundary.
_RECORD = re.compile(
    r'\{\s*"name"\s*:\s*"(?P<name>(?:(?!' + _BOUNDARY + r').)*?)"\s*,\s*"timeMs"\s*:\s*' + _NUM
    + r'\s*,\s*"averageMs"\s*:\s*' + _NUM
    + r'(?:\s*,\s*"medianMs"\s*:\s*' + _NUM + r")?"
    + r'\s*,\s*"percentage"\s*:\s*' + _NUM + r"\s*\}",
    re.DOTALL,
)
_RECORD_START = re.compile(r'[\[,]\s*(\{)\s*"name"\s*:', re.DOTALL)
_COUNT = re.compile(r'\{\s*"count"\s*:\s*(\d+)\s*\}')
_ANY_COUNT = re.compile(r'\{\s*"count"\s*:([^{}]{0,60})\}')
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')
# A JSON escape (\n, \", \u0001): a name holding only these may have been escaped by another tool.
_JSON_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})')


@dataclass
class ProfileMeta:
    """What the profile file said about itself, and what the parser had to do to read it."""

    path: Path | None
    count: int | None = None            # profiled iterations (the {"count": N} header), None when absent
    n_records: int = 0
    has_median: bool = False             # 8.4+ five-key records
    recovered: list[str] = field(default_factory=list)   # names read verbatim from invalid/escaped JSON
    notes: list[str] = field(default_factory=list)
    # what makes the file incomplete evidence (truncated, records lost or skipped); a report may go on with a
    # note, a CI verdict may not (``trtinspect check`` refuses such a run)
    damaged: list[str] = field(default_factory=list)


def parse_profile(
    path: str | Path, *, max_bytes: int = _io.MAX_JSON_BYTES
) -> tuple[ProfileMeta, pd.DataFrame]:
    """Parse a trtexec ``--exportProfile`` file into ``(ProfileMeta, PROFILE frame)``."""
    data = _io.read_bytes(path, what=WHAT, max_bytes=max_bytes)
    return parse_profile_bytes(data, path=path)


def parse_profile_bytes(data: bytes, *, path: str | Path | None = None) -> tuple[ProfileMeta, pd.DataFrame]:
    """Parse the bytes of an ``--exportProfile`` file (see :func:`parse_profile`)."""
    data = _io.without_bom(data)
    if _io.looks_binary(data):
        raise TrtInspectError(f"binary data, not {WHAT}", path=path, hint=HINT)
    meta = ProfileMeta(path=Path(path) if path is not None else None)
    obj: Any = None
    strict_ok = False
    if b"\\" not in data:  # without a backslash a JSON decoder returns names exactly as trtexec wrote them
        try:
            obj = _io.loads(data)
            strict_ok = True
        except orjson.JSONDecodeError:
            strict_ok = False
    if strict_ok:
        frame = _from_decoded(obj, meta, path)
    else:
        records = _from_raw_text(data.decode("utf-8", errors="replace"), meta, path)
        frame = schema.frame_from_records(records, schema.PROFILE)
    _refuse_repeated_names(frame, path)
    meta.n_records = len(frame)
    meta.has_median = bool(frame["median_ms"].notna().any())
    return meta, frame


def _refuse_repeated_names(frame: pd.DataFrame, path: str | Path | None) -> None:
    """trtexec writes one record per engine layer and an engine's layer names are unique (no real profile in
    tests/data or sample_engines repeats one): a repeated name (an edited or concatenated file) would be counted
    twice in the per-layer total, so it is refused, naming it."""
    names = frame["name"]
    repeated = names.duplicated()
    if not repeated.any():
        return
    first = str(names[repeated].iloc[0])
    others = int(names[repeated].nunique()) - 1
    raise TrtInspectError(
        f"layer {short_name(first)!r} has {int((names == first).sum())} records"
        + (f" (and {others} other name(s) repeat)" if others else "")
        + ": trtexec writes one record per layer, so its time would be counted more than once",
        path=path, hint="use the profile file trtexec wrote (--exportProfile), not an edited or joined copy")


def profile_from_obj(obj: Any, *, path: str | Path | None = None) -> tuple[ProfileMeta, pd.DataFrame]:
    """Build the PROFILE frame from an already-decoded profile list (names are taken as decoded)."""
    meta = ProfileMeta(path=Path(path) if path is not None else None)
    frame = _from_decoded(obj, meta, path)
    _refuse_repeated_names(frame, path)
    meta.n_records = len(frame)
    meta.has_median = bool(frame["median_ms"].notna().any())
    return meta, frame


def _wrong_kind(obj: Any, path: str | Path | None) -> TrtInspectError:
    looks = ""
    if isinstance(obj, dict) and "Layers" in obj:
        looks = " (it looks like an --exportLayerInfo graph JSON)"
    elif isinstance(obj, list) and obj and isinstance(obj[0], dict) and (
        "latencyMs" in obj[0] or "computeMs" in obj[0]
    ):
        looks = " (it looks like an --exportTimes JSON)"
    return TrtInspectError(f"not {WHAT}{looks}", path=path, hint=HINT)


def _from_decoded(obj: Any, meta: ProfileMeta, path: str | Path | None) -> pd.DataFrame:
    """PROFILE frame from a decoded profile list (vectorised: 50,000 records in well under a second)."""
    if not isinstance(obj, list) or not (set(map(type, obj)) <= _DICT or all(isinstance(r, dict) for r in obj)):
        raise _wrong_kind(obj, path)
    # The usual file: a {"count": N} header, then records of one shape. When every record after the header
    # fits the fast path, none of them is another header (a header lacks "name"): no scan for one is needed.
    head = 1 if obj and "count" in obj[0] and "name" not in obj[0] else 0
    frame = _plain_records_frame(obj[head:] if head else obj)
    if frame is not None:
        if head:
            meta.count = _checked_count(obj[0]["count"], path)
        else:
            meta.notes.append('profile has no {"count": N} header; iteration count unknown')
        return frame
    for rec in obj:
        if "count" in rec and "name" not in rec:
            meta.count = _checked_count(rec["count"], path)
            break
    positions = [i for i, r in enumerate(obj) if not ("count" in r and "name" not in r)]
    # headers elsewhere than first: the fast path again on the records without them
    frame = _plain_records_frame([obj[i] for i in positions]) if len(positions) != len(obj) - head else None
    if frame is not None:  # every record well-formed: the columns straight from the records
        if meta.count is None:
            meta.notes.append('profile has no {"count": N} header; iteration count unknown')
        return frame
    return _from_records(obj, positions, meta, path)


def _checked_count(value: Any, path: str | Path | None, *, text: str | None = None) -> int:
    """The ``{"count": N}`` header: the number of profiled iterations, a whole number of at least 1 (a count of
    0, a negative, fractional or non-numeric count is a damaged or edited file: refused, naming it; so is a count
    beyond a 64-bit integer, such as 10**400, which no run reaches)."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _io.MAX_COUNT:
        return value
    what = "beyond any real run" if isinstance(value, int) and value > _io.MAX_COUNT else "a whole number of at least 1"
    raise TrtInspectError(f'the {{"count": N}} header is {_io.clip(text or repr(value))}, not a number of profiled '
                          f"iterations ({what}); expected {WHAT}", path=path,
                          hint="the file is damaged or was edited; re-export it with trtexec --exportProfile=FILE")


_DICT = frozenset({dict})
_PLAIN_NUMBER = frozenset({float, int})
_FAST_KEYS = frozenset(KEY_MAP)


def _plain_records_frame(records: list[dict[str, Any]]) -> pd.DataFrame | None:
    """The PROFILE frame of records that all hold the same keys (the four or five of ``KEY_MAP``), a string
    ``name`` and finite, non-negative plain numbers up to ``MAX_MS``; None for anything else (the general path
    then reads, checks and reports it). Same frame as the general path (tests/test_fast_paths_load.py)."""
    keys = tuple(records[0]) if records else ()
    if not (_FAST_KEYS.issuperset(keys) and all(k in keys for k in REQUIRED_KEYS)
            and set(map(len, records)) == {len(keys)}):
        return None
    try:  # one C-level pass: a record lacking one of the keys (so holding another) raises KeyError
        rows = list(map(itemgetter(*keys), records))
    except KeyError:
        return None
    by_key = dict(zip(keys, zip(*rows, strict=True), strict=True))
    names = by_key["name"]
    if set(map(type, names)) != {str}:
        return None
    n = len(records)
    columns: dict[str, Any] = {"name": pd.array(names, dtype="string")}
    for key in NUMERIC_KEYS:
        values = by_key.get(key)
        if values is None:  # medianMs before TensorRT 8.4
            columns[KEY_MAP[key]] = np.full(n, np.nan)
            continue
        if not _PLAIN_NUMBER.issuperset(map(type, values)):
            return None
        try:
            array = np.array(values, dtype=np.float64)
        except OverflowError:
            return None
        if not (np.isfinite(array).all() and (array >= 0).all() and (array <= _io.MAX_MS).all()):
            return None
        columns[KEY_MAP[key]] = array
    columns["row"] = np.arange(n, dtype=np.int64)
    columns["name_recovered"] = np.zeros(n, dtype=bool)
    return pd.DataFrame(columns, copy=False)


def _from_records(obj: list[dict[str, Any]], positions: list[int], meta: ProfileMeta, path: str | Path | None
                  ) -> pd.DataFrame:
    """The general path of :func:`_from_decoded`: any keys, missing or bad values (checked and reported)."""
    raw = pd.DataFrame.from_records([obj[i] for i in positions]) if positions else pd.DataFrame()
    if raw.empty or not all(k in raw.columns for k in REQUIRED_KEYS):
        raise _wrong_kind(obj, path) if positions or not obj else TrtInspectError(
            f"{WHAT} with no layer records", path=path, hint=HINT)
    _io.require_numbers(raw, NUMERIC_KEYS, path=path, what=WHAT, hint=None,
                        offset=positions[0] if positions else 0)
    good = np.array([isinstance(v, str) for v in raw["name"]], dtype=bool)
    columns: dict[str, pd.Series] = {}
    for key, col in KEY_MAP.items():
        if key == "name":
            continue
        if key not in raw.columns:
            columns[col] = pd.Series(float("nan"), index=raw.index, dtype="float64")
            continue
        source = raw[key]
        if source.dtype.kind in "iuf":  # decoded numbers only (the usual case): no per-value test needed
            is_number = pd.Series(True, index=source.index)
        else:
            is_number = source.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
        if key in REQUIRED_KEYS:
            good &= np.asarray(is_number, dtype=bool)
        columns[col] = pd.to_numeric(source.where(is_number), errors="coerce").astype("float64")
    bad = [positions[i] for i in (~good).nonzero()[0]]
    frame = pd.DataFrame({"name": raw["name"].where(good, None), **columns})[good].reset_index(drop=True)
    if frame.empty:
        raise _wrong_kind(obj, path)
    frame["row"] = range(len(frame))
    frame["name_recovered"] = False
    if bad:
        meta.notes.append(f"{len(bad)} profile record(s) lack a name or numeric timeMs/averageMs/percentage "
                          f"and were skipped (positions {bad[:5]}{'...' if len(bad) > 5 else ''})")
        meta.damaged.append(f"{len(bad)} layer record(s) without a name or numeric times were skipped")
    if meta.count is None:
        meta.notes.append('profile has no {"count": N} header; iteration count unknown')
    return schema.conform(frame, schema.PROFILE)


def _float(text: str | None) -> float:
    if text is None:
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _check_raw_numbers(m: re.Match[str], record: int, path: str | Path | None) -> None:
    """Refuse ``inf``/``nan``/absurd/negative numbers in a record read from the raw text (issue 17)."""
    for key, group in zip(NUMERIC_KEYS, (2, 3, 4, 5), strict=True):
        text = m.group(group)
        if text is None:
            continue
        why = _io.bad_number(key, _float(text))
        if why is not None:
            raise TrtInspectError(f"{why.replace(_io.clip(repr(_float(text))), _io.clip(text))} (record {record}); "
                                  f"expected {WHAT}",
                                  path=path, hint="the file is damaged or not trtexec's output; re-export it")


def _from_raw_text(text: str, meta: ProfileMeta, path: str | Path | None) -> list[dict[str, Any]]:
    """Tolerant record-level re-read of a profile whose names trtexec wrote unescaped."""
    count = _COUNT.search(text)
    if count:
        meta.count = _checked_count(int(count.group(1)), path)
    elif (header := _ANY_COUNT.search(text)) is not None:   # {"count": -3}, {"count": "x"}: not a count
        _checked_count(None, path, text=header.group(1).strip()[:40])
    starts = [m.start(1) for m in _RECORD_START.finditer(text)]
    records: list[dict[str, Any]] = []
    matched_starts: set[int] = set()
    for m in _RECORD.finditer(text):
        name = m.group("name")
        _check_raw_numbers(m, len(records) + (meta.count is not None), path)
        matched_starts.add(m.start())
        recovered = bool(_NEEDS_ESCAPE.search(name))
        if recovered:
            meta.recovered.append(name)
        records.append({
            "name": name,
            "time_ms": _float(m.group(2)),
            "avg_ms": _float(m.group(3)),
            "median_ms": _float(m.group(4)),
            "percentage": _float(m.group(5)),
            "row": len(records),
            "name_recovered": recovered,
        })
    lost = [s for s in starts if s not in matched_starts]
    if not records:
        if not starts and not text.lstrip().startswith("["):
            raise TrtInspectError(f"not {WHAT} (no JSON list)", path=path, hint=HINT)
        if not starts:
            raise TrtInspectError(f"not {WHAT} (no {{\"name\": ...}} layer records)", path=path, hint=HINT)
        raise TrtInspectError(
            f"none of the {len(starts)} layer records of {WHAT} could be read (damaged or truncated)",
            path=path, hint=HINT,
        )
    unescaped = sum(1 for name in meta.recovered if _NEEDS_ESCAPE.search(_JSON_ESCAPE.sub("", name)))
    if unescaped:  # a name whose backslash sequences are valid JSON escapes may have been escaped: not said
        meta.notes.append(f"{unescaped} layer name(s) written unescaped by trtexec were read verbatim")
    if lost:
        snippets = ", ".join(repr(text[s:s + 60]) for s in lost[:3])
        meta.notes.append(f"{len(lost)} profile record(s) could not be read and are missing: {snippets}"
                          f"{'...' if len(lost) > 3 else ''}")
        meta.damaged.append(f"{len(lost)} layer record(s) could not be read")
    if not text.rstrip().endswith("]"):
        meta.notes.append("profile file is truncated (no closing ']'); later layers may be missing")
        meta.damaged.insert(0, "the file is truncated (no closing ']'): later layers are missing")
    if meta.count is None:
        meta.notes.append('profile has no {"count": N} header; iteration count unknown')
    return records

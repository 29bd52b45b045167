"""Reading user files safely: one place that turns I/O and decoding trouble into :class:`TrtInspectError`.

Files are only ever opened for reading. Size limits protect against gigantic inputs being read blindly.
"""

from __future__ import annotations

import math
import re
import stat
from functools import cache
from pathlib import Path
from typing import Annotated, Any, NewType

import orjson

from trtinspect.errors import TrtInspectError

# Larger inputs are refused with a clear message instead of exhausting memory. Override per call.
MAX_JSON_BYTES = 2 * 1024**3
MAX_TEXT_BYTES = 2 * 1024**3


_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def require_regular(path: str | Path, *, what: str = "a file") -> None:
    """Refuse anything but a regular file (after symlinks) BEFORE opening it: opening a FIFO blocks until a
    writer comes, and a device never ends. Missing paths and directories are left to the caller's message."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except OSError:
        return
    for test, kind in _SPECIAL:
        if test(mode):
            raise TrtInspectError(f"is {kind}, not a regular file (expected {what})", path=p,
                                  hint="trtinspect reads only regular files; save the output to a file first")


def read_bytes(path: str | Path, *, what: str, max_bytes: int = MAX_JSON_BYTES, empty_ok: bool = False) -> bytes:
    """Read a whole file, refusing missing, unreadable, empty (unless ``empty_ok``: a config file with nothing in
    it is no settings, not a damaged export) or oversized files with one clear line.

    The bytes are returned as they are (engine files are binary); text readers strip a byte-order mark with
    :func:`without_bom`.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise TrtInspectError(f"no such file (expected {what})", path=p, hint="check the path") from None
    except OSError as exc:
        raise TrtInspectError(f"cannot read file: {exc.strerror}", path=p) from None
    if p.is_dir():
        raise TrtInspectError(f"is a directory, expected {what}", path=p)
    require_regular(p, what=what)
    if size > max_bytes:
        raise TrtInspectError(
            f"file is {byte_count(size)}, over the limit of {byte_count(max_bytes)} for {what}",
            path=p,
            hint="pass a smaller export or raise the limit in the library call",
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise TrtInspectError(f"cannot read file: {exc.strerror}", path=p) from None
    if (not data or data.isspace()) and not empty_ok:  # not data.strip(): copies the file when it ends in \n
        raise TrtInspectError(f"file is empty (expected {what})", path=p, hint="re-run the export that wrote it")
    return data


def byte_count(n: int) -> str:
    """A size as people check it against ``ls -l``: exact bytes, with MiB beside from 1 MiB on
    (``1,000 bytes``, ``2,147,483,648 bytes (2048.0 MiB)``)."""
    return f"{n:,} bytes" + (f" ({n / 1024**2:.1f} MiB)" if n >= 1024**2 else "")


UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def without_bom(data: bytes) -> bytes:
    """UTF-8 bytes without a byte-order mark: a UTF-8 BOM (Notepad, PowerShell ``Out-File``) is dropped and
    UTF-16 text with a BOM (PowerShell 5.1 ``trtexec ... > run.log``) is re-encoded as UTF-8."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM):]
    encoding = UTF16_BOMS.get(data[:2])
    if encoding is not None and not data.startswith(b"\xff\xfe\x00\x00"):  # not UTF-32
        return data[2:len(data) - len(data) % 2].decode(encoding, errors="replace").encode("utf-8")
    return data


def looks_binary(data: bytes) -> bool:
    """True when the head of ``data`` is clearly not text (NUL bytes or mostly non-printable)."""
    head = data[:4096]
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = sum(1 for b in head if b < 9 or (13 < b < 32 and b != 27))  # ESC: colour codes in logs
    return control / len(head) > 0.10


def read_json(path: str | Path, *, what: str, hint: str | None = None, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse a JSON file (:func:`loads`); truncated, binary or non-JSON files raise :class:`TrtInspectError`."""
    data = read_bytes(path, what=what, max_bytes=max_bytes)
    return decode_json(data, path=path, what=what, hint=hint)


# ---- Decoding JSON: msgspec where it gives exactly orjson's values, orjson for everything else ---------------
# msgspec builds the Python objects straight from the bytes; orjson first builds its own document tree (for the
# 60 MB graph of a 50,000-layer engine ~130 MB more at the peak, and their first-touch page faults). Both return
# the same dicts (last duplicate key wins), lists, str, int, float (correctly rounded), bool and None, and both
# refuse the same malformed input (NaN/Infinity, lone surrogates, invalid UTF-8, a BOM, control characters,
# trailing garbage, empty input: tests/test_json_decode.py). They differ on integers beyond int64/uint64 (orjson
# makes them floats, msgspec exact ints) and on how deep they nest: so msgspec decodes into a type that admits
# only integers within int64 and at most FAST_JSON_DEPTH nested arrays/objects (the deepest trtexec/TREx export
# nests 6), and anything else it refuses goes to orjson: the value, or the error, is orjson's.
FAST_JSON_DEPTH = 8
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@cache
def _fast_decoder() -> Any:
    """The msgspec decoder of :func:`loads` (built on first use: msgspec is imported only to read JSON)."""
    import msgspec

    json_int = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]
    value: Any = str | json_int | float | bool | None
    level: Any = NewType  # one type object per level: no nested hashing (a plain union nests exponentially)
    for depth in range(1, FAST_JSON_DEPTH + 1):
        value = level(f"JsonDepth{depth}", str | json_int | float | bool | list[value] | dict[str, value] | None)
    return msgspec.json.Decoder(value), msgspec.DecodeError


def loads_int64(data: bytes) -> tuple[Any, bool]:
    """``orjson.loads(data)`` (the same value, or the same :class:`orjson.JSONDecodeError`), and whether every
    integer in it is known to be within int64 (True when msgspec decoded it)."""
    decoder, decode_error = _fast_decoder()
    try:
        return decoder.decode(data), True
    except decode_error:  # invalid JSON, an integer beyond int64, deeper nesting: orjson decides
        return orjson.loads(data), False


def loads(data: bytes) -> Any:
    """``orjson.loads(data)``: the same value, or the same :class:`orjson.JSONDecodeError`, in less time and
    memory (:func:`loads_int64`)."""
    return loads_int64(data)[0]


# ``"key": Infinity`` / ``NaN`` / ``-inf``: not JSON (RFC 8259), but what a non-finite float prints as.
_NON_JSON_NUMBER = re.compile(rb'"([^"\\]{1,200})"\s*:\s*(-?Infinity|NaN|-?inf(?:inity)?|-?nan)\b', re.I)


def decode_json(data: bytes, *, path: str | Path | None, what: str, hint: str | None = None) -> Any:
    return decode_json_int64(data, path=path, what=what, hint=hint)[0]


def decode_json_int64(data: bytes, *, path: str | Path | None, what: str, hint: str | None = None
                      ) -> tuple[Any, bool]:
    """:func:`decode_json`, and whether every integer in the value is known to be within int64."""
    data = without_bom(data)
    if looks_binary(data):
        raise TrtInspectError(
            f"binary data, not {what}", path=path,
            hint=hint or "a serialized engine is not readable without TensorRT; pass the JSON that trtexec exported",
        )
    try:
        return loads_int64(data)
    except orjson.JSONDecodeError as exc:
        literal = _NON_JSON_NUMBER.search(data)
        if literal is not None:
            key, value = (g.decode("utf-8", errors="replace") for g in literal.groups())
            raise TrtInspectError(f"{key} is {value}, not a finite number (expected {what})", path=path,
                                  hint="the file is damaged or not trtexec's output; re-export it") from None
        stripped = data.rstrip()
        truncated = bool(stripped) and stripped[-1:] not in (b"}", b"]")
        problem = "JSON is truncated" if truncated else f"not valid JSON ({exc.msg} at line {exc.lineno})"
        raise TrtInspectError(f"{problem} (expected {what})", path=path,
                              hint=hint or "re-run the export that wrote it") from None


def read_text(path: str | Path, *, what: str, max_bytes: int = MAX_TEXT_BYTES, empty_ok: bool = False) -> str:
    """Read a text file (UTF-8, undecodable bytes replaced); binary files raise :class:`TrtInspectError`."""
    data = without_bom(read_bytes(path, what=what, max_bytes=max_bytes, empty_ok=empty_ok))
    if looks_binary(data):
        raise TrtInspectError(f"binary data, not {what}", path=path)
    return data.decode("utf-8", errors="replace")


# ------------------------------------------------------------------------------------- numbers in exports
# A time or timestamp above this (11.6 days, in ms) is not a measurement: 1e308 would overflow every sum.
MAX_MS = 1e9


# Profiled iterations (a profile's {"count": N}, a --dumpProfile title): a 64-bit count at most.
MAX_COUNT = 2**63 - 1
# A value quoted in a one-line error is cut to this many characters (an edited file's 401-digit number or a
# megabyte string would fill the terminal): its start, its end and its length are kept.
SHOWN_VALUE_CHARS = 40


def clip(text: str, limit: int = SHOWN_VALUE_CHARS) -> str:
    """``text`` as a message quotes it: whole up to ``limit`` characters, else its start and end and how long
    it is (``1000000000000000000000000000...0000 (401 characters)``)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit - 12]}...{text[-4:]} ({len(text)} characters)"


def bad_number(key: str, value: Any, *, nonnegative: bool = True) -> str | None:
    """Why ``value`` cannot be the number ``key`` holds (None when it can): strings, booleans, non-finite,
    absurdly large or (for durations) negative values. The value is quoted cut to :data:`SHOWN_VALUE_CHARS`."""
    shown = clip(repr(value))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{key} is {shown}, not a number"
    try:
        f = float(value)
    except OverflowError:   # an integer beyond any float (10**400)
        f = math.inf
    if f != f or f in (float("inf"), float("-inf")):
        return f"{key} is {shown}, not a finite number"
    if abs(f) > MAX_MS:
        return f"{key} is {shown}, beyond any real measurement (over {MAX_MS:.0e} ms)"
    if nonnegative and f < 0:
        return f"{key} is {shown}, a negative time"
    return None


def require_numbers(raw: Any, keys: Any, *, path: str | Path | None, what: str, hint: str | None,
                    signed: tuple[str, ...] = (), offset: int = 0) -> None:
    """Refuse the first bad value of ``keys`` in a frame of decoded records (one line: file, field, value,
    record). Missing values (None, or NaN from absent keys) are allowed; ``signed`` keys may be negative. Vectorised:
    only columns that hold something other than plain finite numbers are looked at value by value."""
    import numpy as np

    for key in keys:
        if key not in raw.columns:
            continue
        col = raw[key]
        if col.dtype.kind in "if":
            values = col.to_numpy(dtype="float64")
            finite = np.isfinite(values)
            bad = (~finite & ~np.isnan(values)) | (np.abs(np.where(finite, values, 0.0)) > MAX_MS)
            if key not in signed:
                bad |= np.where(finite, values, 0.0) < 0
            positions = np.flatnonzero(bad)
        else:
            positions = np.arange(len(col))
        for i in positions:
            value = col.iloc[int(i)]
            if value is None or (isinstance(value, float) and value != value):
                continue  # absent in this record (decoded JSON has no NaN literal)
            why = bad_number(str(key), value.item() if hasattr(value, "item") else value,
                             nonnegative=key not in signed)
            if why is not None:
                raise TrtInspectError(f"{why} (record {int(i) + offset}); expected {what}", path=path,
                                      hint=hint or "the file is damaged or not trtexec's output; re-export it")

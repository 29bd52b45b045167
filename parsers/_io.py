"""Reading user files safely: one place that turns I/O and decoding trouble into :class:`TrtInspectError`.

Files are only ever opened for reading. Size limits protect against gigantic inputs being read blindly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from trtinspect.errors import TrtInspectError

# Larger inputs are refused with a clear message instead of exhausting memory. Override per call.
MAX_JSON_BYTES = 2 * 1024**3
MAX_TEXT_BYTES = 2 * 1024**3


def read_bytes(path: str | Path, *, what: str, max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """Read a whole file, refusing missing, unreadable, empty or oversized files with one clear line.

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
    if size > max_bytes:
        raise TrtInspectError(
            f"file is {size / 1024**2:.0f} MiB, over the {max_bytes / 1024**2:.0f} MiB limit for {what}",
            path=p,
            hint="pass a smaller export or raise the limit in the library call",
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise TrtInspectError(f"cannot read file: {exc.strerror}", path=p) from None
    if not data.strip():
        raise TrtInspectError(f"file is empty (expected {what})", path=p, hint="re-run the export that wrote it")
    return data


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
    """Parse a JSON file with orjson; truncated, binary or non-JSON files raise :class:`TrtInspectError`."""
    data = read_bytes(path, what=what, max_bytes=max_bytes)
    return decode_json(data, path=path, what=what, hint=hint)


def decode_json(data: bytes, *, path: str | Path | None, what: str, hint: str | None = None) -> Any:
    data = without_bom(data)
    if looks_binary(data):
        raise TrtInspectError(
            f"binary data, not {what}", path=path,
            hint=hint or "a serialized engine is not readable without TensorRT; pass the JSON that trtexec exported",
        )
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        stripped = data.rstrip()
        truncated = bool(stripped) and stripped[-1:] not in (b"}", b"]")
        problem = "JSON is truncated" if truncated else f"not valid JSON ({exc.msg} at line {exc.lineno})"
        raise TrtInspectError(f"{problem} (expected {what})", path=path,
                              hint=hint or "re-run the export that wrote it") from None


def read_text(path: str | Path, *, what: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Read a text file (UTF-8, undecodable bytes replaced); binary files raise :class:`TrtInspectError`."""
    data = without_bom(read_bytes(path, what=what, max_bytes=max_bytes))
    if looks_binary(data):
        raise TrtInspectError(f"binary data, not {what}", path=path)
    return data.decode("utf-8", errors="replace")

"""Version normalisation of a trtexec log: the ``[TensorRT v101601]`` token of the ``&&&&`` lines and the
``TensorRT version:`` line of every era, read into one ``major.minor.patch`` (split from
:mod:`trtinspect.parsers.trtexec_log`; behaviour unchanged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trtinspect.parsers.trtexec_log import TrtexecLog


def decode_version_token(token: str) -> str | None:
    """``v8401`` -> ``8.4.1``; ``v101601`` -> ``10.16.1`` (NV_TENSORRT_VERSION: 8.x M*1000+m*100+p, 10.x
    M*10000+m*100+p). Five digits are read as M*10000+m*100+p with a one-digit major."""
    digits = token.lstrip("v")
    if not digits.isdigit():
        return None
    if len(digits) == 4:
        major, minor, patch = int(digits[0]), int(digits[1]), int(digits[2:])
    elif len(digits) == 5:
        major, minor, patch = int(digits[0]), int(digits[1:3]), int(digits[3:])
    elif len(digits) == 6:
        major, minor, patch = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    else:
        return None
    return f"{major}.{minor}.{patch}"


def version_from_line(printed: str) -> str:
    """Normalisation pass for the ``TensorRT version:`` line: 8.0 prints the integer NV_TENSORRT_VERSION
    (``TensorRT version: 8003`` = 8.0.3, NVIDIA/trt-samples-for-hackathon-cn 8.0.3 logs); 8.2+ print ``8.2.3``."""
    if printed.isdigit():
        return decode_version_token(printed) or printed
    return printed


def settle_version(out: TrtexecLog, version_line: str | None, note: Callable[[str], None]) -> None:
    """``out.trt_version``: the ``TensorRT version:`` line, else the decoded token; a note when they differ."""
    decoded = decode_version_token(out.version_token) if out.version_token else None
    out.trt_version = version_line or decoded
    if version_line and decoded and decoded != version_line:
        note(f"'TensorRT version: {version_line}' differs from the token {out.version_token} "
             f"(decodes to {decoded}); the version line is used")

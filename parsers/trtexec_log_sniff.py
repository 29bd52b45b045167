"""Why a file given as a trtexec log is not one: a JSON export (layer information, profile, times), a JSON
scalar, CSV, or text without any of trtexec's sections (split from :mod:`trtinspect.parsers.trtexec_log`; behaviour
unchanged)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import trtexec_log_sections as sec

SNIFF_BYTES = 64 * 1024

_JSON_KINDS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r'"Layers"\s*:'),
     "a TensorRT layer-information JSON (trtexec --exportLayerInfo / engine inspector)",
     "load it with the layer-information parser (trtinspect.parsers.layers) or trtinspect.load"),
    (re.compile(r'"count"\s*:|"averageMs"\s*:'), "a trtexec --exportProfile JSON",
     "load it with the profile parser (trtinspect.parsers.profile) or trtinspect.load"),
    (re.compile(r'"(?:startComputeMs|computeMs|latencyMs|startInMs)"\s*:'), "a trtexec --exportTimes JSON",
     "load it with the times parser (trtinspect.parsers.times) or trtinspect.load"),
]


def looks_json(text: str) -> bool:
    """Does this text start like a JSON document (not like a ``[I]``/``[date]`` prefixed log line)?"""
    s = text.lstrip("\ufeff \t\r\n")
    if s.startswith("{"):
        return True
    return s.startswith("[") and sec.PREFIX.match(s.split("\n", 1)[0]) is None and \
        re.match(r"\[\s*(?:[{\[\"\]]|-?\d|true|false|null)", s) is not None


def json_scalar(text: str) -> str | None:
    """What a document that is one JSON scalar is (``JSON `null```, ``a JSON number (42)``), else None: such
    a file is JSON but no export (trtexec writes objects and arrays)."""
    s = text.strip("\ufeff \t\r\n")
    if not s or len(s) > 200 or s[0] in "{[":
        return None
    try:
        value = json.loads(s)
    except ValueError:
        return None
    if value is None or isinstance(value, bool):
        return f"JSON `{s}`"
    if isinstance(value, (int, float)):
        return f"a JSON number ({s})"
    return "a JSON string" if isinstance(value, str) else None


def not_a_log(text: str, path: str | Path | None) -> TrtInspectError:
    head = text[:SNIFF_BYTES]
    scalar = json_scalar(head)
    if scalar is not None:
        return TrtInspectError(f"{scalar}, not a trtexec log nor an engine's files", path=path,
                               hint="pass the text trtexec printed (e.g. trtexec ... > run.log 2>&1) or the "
                                    "files it exported (--exportLayerInfo/--exportProfile/--exportTimes)")
    if looks_json(head):
        for pattern, what, hint in _JSON_KINDS:
            if pattern.search(head):
                return TrtInspectError(f"not a trtexec log: this is {what}", path=path, hint=hint)
        return TrtInspectError("not a trtexec log: the file holds JSON", path=path,
                               hint="pass the text trtexec printed (e.g. trtexec ... > run.log 2>&1)")
    lines = [ln for ln in head.splitlines()[:20] if ln.strip()]
    commas = [ln.count(",") for ln in lines]
    if len(lines) >= 2 and commas[0] >= 1 and all(c == commas[0] for c in commas):
        return TrtInspectError("not a trtexec log: it looks like CSV (every line has "
                               f"{commas[0] + 1} comma-separated fields)", path=path,
                               hint="pass the text trtexec printed (e.g. trtexec ... > run.log 2>&1)")
    return TrtInspectError(
        "not a trtexec log: no '&&&& RUNNING TensorRT.trtexec' line, option sections, device information, "
        "performance summary, layer profile or layer information found",
        path=path, hint="pass the text trtexec printed (e.g. trtexec ... > run.log 2>&1)",
    )

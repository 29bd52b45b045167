"""trtexec ``--exportTimes`` JSON: one row per inference iteration (schema ``TIMES``).

Three eras of field names, all read through one table (:data:`KEY_MAP`), checked against trtexec's
``sampleReporting.cpp`` / ``tracer.py``:

* TensorRT 7.x: ``startInMs endInMs startComputeMs endComputeMs startOutMs endOutMs inMs computeMs outMs
  latencyMs endToEndMs`` (no enqueue times);
* 8.0-8.2: ``startEnqMs endEnqMs startH2dMs endH2dMs startComputeMs endComputeMs startD2hMs endD2hMs h2dMs
  computeMs d2hMs latencyMs`` plus ``endToEndMs``;
* 8.4+: the 8.0 set without ``endToEndMs``.

Missing fields are NaN (never 0). ``enqueue_ms`` is ``endEnqMs - startEnqMs``; trtexec prints timestamps
with six significant digits, so that difference is coarse (0.01 ms after 1 s of run time); the durations
``h2dMs``, ``computeMs``, ``d2hMs``, ``latencyMs`` are printed directly and keep their precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import _io, schema

WHAT = "a trtexec --exportTimes JSON"
HINT = "re-run trtexec with --exportTimes=FILE (it writes one {\"startComputeMs\": ...} record per iteration)"

# Source key -> TIMES column, every era (declared once).
KEY_MAP: dict[str, str] = {
    # 8.0+
    "startEnqMs": "enqueue_start_ms",
    "endEnqMs": "enqueue_end_ms",
    "startH2dMs": "h2d_start_ms",
    "endH2dMs": "h2d_end_ms",
    "startD2hMs": "d2h_start_ms",
    "endD2hMs": "d2h_end_ms",
    "h2dMs": "h2d_ms",
    "d2hMs": "d2h_ms",
    # 7.x names of the same quantities
    "startInMs": "h2d_start_ms",
    "endInMs": "h2d_end_ms",
    "startOutMs": "d2h_start_ms",
    "endOutMs": "d2h_end_ms",
    "inMs": "h2d_ms",
    "outMs": "d2h_ms",
    # every era
    "startComputeMs": "compute_start_ms",
    "endComputeMs": "compute_end_ms",
    "computeMs": "compute_ms",
    "latencyMs": "latency_ms",
    # 7.x and 8.0-8.2
    "endToEndMs": "end_to_end_ms",
}

# Timestamps (ms since the run's start) may in principle be negative; durations may not.
TIMESTAMP_KEYS = ("startEnqMs", "endEnqMs", "startH2dMs", "endH2dMs", "startD2hMs", "endD2hMs", "startInMs",
                  "endInMs", "startOutMs", "endOutMs", "startComputeMs", "endComputeMs")

# Era -> a key only that era writes (checked in order).
ERA_MARKERS: list[tuple[str, str]] = [
    ("7.x", "startInMs"),
    ("8.0-8.2", "endToEndMs"),
    ("8.4+", "startEnqMs"),
]

# Keys that identify a times record (at least one must be present).
_ANCHOR_KEYS = ("startComputeMs", "computeMs", "latencyMs")


@dataclass
class TimesMeta:
    path: Path | None
    era: str = "unknown"                 # "7.x" | "8.0-8.2" | "8.4+" | "unknown"
    iterations: int = 0
    keys: list[str] = field(default_factory=list)          # source keys found
    unknown_keys: list[str] = field(default_factory=list)  # keys not in KEY_MAP (kept out of the frame)
    notes: list[str] = field(default_factory=list)


def parse_times(path: str | Path, *, max_bytes: int = _io.MAX_JSON_BYTES) -> tuple[TimesMeta, pd.DataFrame]:
    """Parse a trtexec ``--exportTimes`` file into ``(TimesMeta, TIMES frame)``."""
    obj = _io.read_json(path, what=WHAT, hint=HINT, max_bytes=max_bytes)
    return times_from_obj(obj, path=path)


def parse_times_bytes(data: bytes, *, path: str | Path | None = None) -> tuple[TimesMeta, pd.DataFrame]:
    return times_from_obj(_io.decode_json(data, path=path, what=WHAT, hint=HINT), path=path)


def times_from_obj(obj: Any, *, path: str | Path | None = None) -> tuple[TimesMeta, pd.DataFrame]:
    """Build the TIMES frame from a decoded ``--exportTimes`` list."""
    meta = TimesMeta(path=Path(path) if path is not None else None)
    if not isinstance(obj, list) or not obj or not isinstance(obj[0], dict):
        looks = ""
        if isinstance(obj, dict) and "Layers" in obj:
            looks = " (it looks like an --exportLayerInfo graph JSON)"
        elif isinstance(obj, list) and not obj:
            raise TrtInspectError(f"an empty times export ([]): {WHAT} with no timed iteration", path=path,
                                  hint="re-run trtexec with --exportTimes=FILE (it writes one record per timed "
                                       "iteration), or remove the file from the bundle")
        raise TrtInspectError(f"not {WHAT}{looks}", path=path, hint=HINT)
    first = obj[0]
    if not any(k in first for k in _ANCHOR_KEYS):
        looks = " (it looks like an --exportProfile JSON)" if "count" in first or "averageMs" in first else ""
        raise TrtInspectError(f"not {WHAT}{looks}", path=path, hint=HINT)
    rows = [r for r in obj if isinstance(r, dict)]
    if len(rows) != len(obj):
        meta.notes.append(f"{len(obj) - len(rows)} non-object entries in the times list were skipped")
    raw = pd.DataFrame.from_records(rows)
    _io.require_numbers(raw, KEY_MAP, path=path, what=WHAT, hint=None, signed=TIMESTAMP_KEYS)
    meta.keys = [str(k) for k in raw.columns]
    meta.unknown_keys = [k for k in meta.keys if k not in KEY_MAP]
    for era, marker in ERA_MARKERS:
        if marker in raw.columns:
            meta.era = era
            break
    out: dict[str, pd.Series] = {}
    for key, col in KEY_MAP.items():
        if key not in raw.columns or col in out:
            continue
        out[col] = pd.to_numeric(raw[key], errors="coerce").astype("float64")
    n = len(raw)
    frame = pd.DataFrame(out, index=pd.RangeIndex(n))
    frame["iteration"] = range(n)
    if "enqueue_start_ms" in frame and "enqueue_end_ms" in frame:
        frame["enqueue_ms"] = frame["enqueue_end_ms"] - frame["enqueue_start_ms"]
    for col, dtype in schema.TIMES.items():
        if col not in frame:
            frame[col] = pd.Series(float("nan"), index=frame.index, dtype=dtype)
    frame = schema.conform(frame, schema.TIMES)
    meta.iterations = n
    if "enqueue_start_ms" in out and n:
        last = float(frame["enqueue_end_ms"].abs().max())
        if last >= 1.0:
            resolution = 10 ** (math.floor(math.log10(last)) - 5)  # trtexec prints 6 significant digits
            meta.notes.append(f"enqueue_ms is a difference of timestamps printed with 6 significant digits: "
                              f"resolution down to {resolution:g} ms late in the run")
    if meta.era == "7.x":
        meta.notes.append("TensorRT 7.x times: no enqueue times; inMs/outMs read as H2D/D2H")
    return meta, frame


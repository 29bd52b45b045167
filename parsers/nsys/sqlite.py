"""Read Nsight Systems SQLite exports (``nsys export --type sqlite``, or the file ``nsys stats`` writes).

:func:`read_nsys_sqlite` returns an :class:`NsysExport`: frames of kernels, memory operations, runtime API
calls, NVTX events and GPUs (schemas ``NSYS_*`` in :mod:`trtinspect.parsers.schema`), the export metadata,
CUDA-graph facts, and which tables the file had.

Nothing is assumed about one nsys version: tables are found by name (a ``_V<n>`` suffix variant is taken
when the plain name is absent, highest ``n`` first), columns through ``PRAGMA table_info`` (a column missing
from an older or newer export becomes NA), strings through ``StringIds``, copy directions through the file's
own ``ENUM_CUDA_MEMCPY_OPER``. NULLs stay NA. The file is opened read-only and immutable: nothing is ever
written to it, not even a journal.

Integer columns leave SQLite as one ``group_concat`` string per column (NULL carried as a sentinel, then
turned into a mask) that numpy parses, so a 1,000,000-kernel export loads in seconds without a Python object
per value.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
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
_NULL = np.iinfo(np.int64).min  # NULL travels through np.fromiter as this sentinel
_TID_BITS = 0xFFFFFF

EXPORT_HINT = "create it with `nsys export --type sqlite --output {stem}.sqlite {name}`"

# Logical table -> the names nsys has used for it (first found wins; `_V<n>` variants are tried too).
TABLES: dict[str, tuple[str, ...]] = {
    "kernels": ("CUPTI_ACTIVITY_KIND_KERNEL",),
    "memcpy": ("CUPTI_ACTIVITY_KIND_MEMCPY",),
    "memset": ("CUPTI_ACTIVITY_KIND_MEMSET",),
    "runtime": ("CUPTI_ACTIVITY_KIND_RUNTIME",),
    "nvtx": ("NVTX_EVENTS",),
    "strings": ("StringIds",),
    "gpus": ("TARGET_INFO_GPU", "TARGET_INFO_CUDA_GPU"),
    "meta_export": ("META_DATA_EXPORT",),
    "meta_capture": ("META_DATA_CAPTURE",),
    "memcpy_enum": ("ENUM_CUDA_MEMCPY_OPER",),
    "processes": ("PROCESSES",),
    "graph_trace": ("CUPTI_ACTIVITY_KIND_GRAPH_TRACE",),
    "graph_events": ("CUDA_GRAPH_EVENTS",),
    "graph_node_events": ("CUDA_GRAPH_NODE_EVENTS",),
}

# Column specs: output key -> (candidate source columns, kind). kind: "int" (nullable int64), "text" (object),
# "strid" (a StringIds id, or inline text in exports that stored the string itself).
ColSpec = dict[str, tuple[tuple[str, ...], str]]

_GPU_OP_COLUMNS: ColSpec = {
    "start": (("start",), "int"),
    "end": (("end",), "int"),
    "device_id": (("deviceId",), "int"),
    "context_id": (("contextId",), "int"),
    "stream_id": (("streamId",), "int"),
    "correlation_id": (("correlationId",), "int"),
    "global_pid": (("globalPid",), "int"),
    "graph_node_id": (("graphNodeId",), "int"),
}
KERNEL_COLUMNS: ColSpec = {
    **_GPU_OP_COLUMNS,
    "name": (("demangledName", "name"), "strid"),
    "short_name": (("shortName",), "strid"),
    "graph_id": (("graphId",), "int"),
}
MEMCPY_COLUMNS: ColSpec = {
    **_GPU_OP_COLUMNS,
    "bytes": (("bytes",), "int"),
    "copy_kind": (("copyKind",), "int"),
}
MEMSET_COLUMNS: ColSpec = {**_GPU_OP_COLUMNS, "bytes": (("bytes",), "int")}
RUNTIME_COLUMNS: ColSpec = {
    "start": (("start",), "int"),
    "end": (("end",), "int"),
    "global_tid": (("globalTid",), "int"),
    "correlation_id": (("correlationId",), "int"),
    "name": (("nameId", "name"), "strid"),
    "return_value": (("returnValue",), "int"),
}
NVTX_COLUMNS: ColSpec = {
    "start": (("start",), "int"),
    "end": (("end",), "int"),
    "event_type": (("eventType",), "int"),
    "text": (("text",), "text"),
    "text_id": (("textId",), "int"),
    "domain_id": (("domainId",), "int"),
    "global_tid": (("globalTid",), "int"),
}
# TARGET_INFO_GPU (2021.2+) and TARGET_INFO_CUDA_GPU (earlier) spell the same facts differently.
GPU_COLUMNS: dict[str, tuple[str, ...]] = {
    "device_id": ("id", "deviceId", "cudaId"),
    "name": ("name",),
    "chip_name": ("chipName",),
    "uuid": ("uuid",),
    "bus_location": ("busLocation", "pciBusId"),
    "sm_count": ("smCount", "numMultiprocessors"),
    "cc_major": ("computeMajor", "computeCapabilityMajor"),
    "cc_minor": ("computeMinor", "computeCapabilityMinor"),
    "total_memory_bytes": ("totalMemory", "globalMemorySize", "totalGlobalMemory"),
    "clock_rate_hz": ("clockRate", "coreClockRate"),
}

# NVTX eventType values (ENUM_NSYS_EVENT_TYPE; stable across versions).
NVTX_KINDS: dict[int, str] = {
    33: "category",
    34: "mark",
    35: "push",
    36: "pop",
    37: "start",
    38: "end",
    39: "thread",
    59: "push_pop",
    60: "start_end",
    75: "domain_create",
    76: "domain_destroy",
}
NVTX_PUSH_POP = 59
NVTX_START_END = 60
NVTX_DOMAIN_CREATE = 75

# CUPTI copyKind values, used only when an export lacks ENUM_CUDA_MEMCPY_OPER.
FALLBACK_MEMCPY_ENUM: dict[int, tuple[str, str]] = {
    0: ("CUDA_MEMCPY_KIND_UNKNOWN", "Unknown"),
    1: ("CUDA_MEMCPY_KIND_HTOD", "Host-to-Device"),
    2: ("CUDA_MEMCPY_KIND_DTOH", "Device-to-Host"),
    3: ("CUDA_MEMCPY_KIND_HTOA", "Host-to-Array"),
    4: ("CUDA_MEMCPY_KIND_ATOH", "Array-to-Host"),
    5: ("CUDA_MEMCPY_KIND_ATOA", "Array-to-Array"),
    6: ("CUDA_MEMCPY_KIND_ATOD", "Array-to-Device"),
    7: ("CUDA_MEMCPY_KIND_DTOA", "Device-to-Array"),
    8: ("CUDA_MEMCPY_KIND_DTOD", "Device-to-Device"),
    9: ("CUDA_MEMCPY_KIND_HTOH", "Host-to-Host"),
    10: ("CUDA_MEMCPY_KIND_PTOP", "Peer-to-Peer"),
}
# Enum name suffix -> short transfer class (H2D/D2H are what per-iteration timing needs).
TRANSFER_BY_ENUM_SUFFIX: dict[str, str] = {
    "HTOD": "H2D",
    "HTOA": "H2D",
    "UVM_HTOD": "H2D",
    "DTOH": "D2H",
    "ATOH": "D2H",
    "UVM_DTOH": "D2H",
    "DTOD": "D2D",
    "ATOA": "D2D",
    "ATOD": "D2D",
    "DTOA": "D2D",
    "UVM_DTOD": "D2D",
    "HTOH": "H2H",
    "PTOP": "P2P",
}
GRAPH_LAUNCH_API = re.compile(r"^(cudaGraphLaunch|cuGraphLaunch)")
# META_DATA_CAPTURE keys kept (never the captured environment: it can hold secrets).
CAPTURE_KEYS = ("CUDA_GRAPH_TRACE_OPTIONS:MODE", "DEVICE_DISPLAY_NAME")
GENERATED_KEYS = ("GENERATED_BY", "GENERATED_NOTE")


@dataclass
class NsysExport:
    """Everything read from one nsys SQLite export. Frames follow the ``NSYS_*`` schemas."""

    path: Path
    kernels: pd.DataFrame
    memops: pd.DataFrame
    runtime: pd.DataFrame
    nvtx: pd.DataFrame
    gpus: pd.DataFrame
    # Whole-graph executions (CUPTI_ACTIVITY_KIND_GRAPH_TRACE, graph-level tracing): NSYS_KERNELS schema,
    # name "CUDA graph <graphId>"; their kernels are not in `kernels`.
    graph_execs: pd.DataFrame = field(default_factory=lambda: schema.empty_frame(schema.NSYS_KERNELS))
    meta: dict[str, str] = field(default_factory=dict)  # META_DATA_EXPORT (+ kept capture keys)
    processes: dict[int, str] = field(default_factory=dict)  # pid -> process name
    cuda_graph: dict[str, Any] = field(default_factory=dict)
    tables_present: dict[str, str] = field(default_factory=dict)  # logical name -> table name in the file
    all_tables: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def product_version(self) -> str | None:
        return self.meta.get("EXPORT_PRODUCT_VERSION")

    @property
    def schema_version(self) -> str | None:
        return self.meta.get("EXPORT_SCHEMA_VERSION")

    @property
    def generated(self) -> bool:
        """True for exports written by scripts/generate_nsys_trt.py (labelled in META_DATA_EXPORT)."""
        return "GENERATED_BY" in self.meta

    @property
    def uses_cuda_graphs(self) -> bool:
        g = self.cuda_graph
        return bool(g.get("graph_launches") or g.get("graph_trace_rows") or g.get("kernels_in_graphs"))


# ----------------------------------------------------------------------------------------------------
# Opening and validating


def _refuse_non_sqlite(p: Path) -> None:
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
    _refuse_non_sqlite(p)
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


def _columns(con: sqlite3.Connection, table: str) -> dict[str, str]:
    """column name -> declared type (upper case) via PRAGMA table_info."""
    return {row[1]: (row[2] or "").upper() for row in con.execute(f'PRAGMA table_info("{table}")')}


# ----------------------------------------------------------------------------------------------------
# Streaming rows into numpy


def _fetch(
    con: sqlite3.Connection, table: str, spec: ColSpec, *, stage: str, progress: Progress | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Columns of ``table`` per ``spec`` as numpy arrays (ints with the NULL sentinel, text as object).

    Integer columns travel as one ``group_concat`` string per column built inside SQLite in a single pass (all
    aggregates of one SELECT see the rows in the same order) and parsed by numpy: no Python object per value.
    Text columns are fetched by rowid for the rows that have text only. Returns the arrays and the spec keys
    whose column the table lacks (filled with the sentinel / None).
    """
    cols = _columns(con, table)
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
            int_exprs.append(f"group_concat(COALESCE(CAST(\"{src}\" AS INTEGER), {_NULL}), ',')")
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
        out[key] = np.full(n, _NULL, dtype=np.int64) if kind == "int" else np.full(n, None, dtype=object)
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


def _fetch_file(
    path: Path, table: str, spec: ColSpec, stage: str, progress: Progress | None
) -> dict[str, np.ndarray]:
    """:func:`_fetch` on a connection of its own (for a worker thread)."""
    con = open_readonly(path)
    try:
        return _fetch(con, table, spec, stage=stage, progress=progress)[0]
    finally:
        con.close()


def _table_names(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]


def _nullable(a: np.ndarray) -> pd.arrays.IntegerArray:
    a = np.ascontiguousarray(a, dtype=np.int64)
    return pd.arrays.IntegerArray(a, a == _NULL)


def _categorical(values: np.ndarray | Sequence[Any]) -> pd.Categorical:
    return pd.Categorical(values)


def _categorical_from_ids(ids: np.ndarray, strings: dict[int, str]) -> pd.Categorical:
    """Map StringIds ids to a categorical without a Python object per row."""
    if len(ids) == 0:
        return pd.Categorical([])
    uniq, inverse = factorize_ints(ids)
    names = np.array([strings.get(int(u)) for u in uniq], dtype=object)
    name_codes, cats = pd.factorize(names, use_na_sentinel=True)
    codes = np.asarray(name_codes)[inverse.ravel()]
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def _from_codes(inverse: np.ndarray, labels: Sequence[Any]) -> pd.Categorical:
    """Categorical whose row i is ``labels[inverse[i]]`` (labels may repeat or be None)."""
    label_codes, cats = pd.factorize(np.array(labels, dtype=object), use_na_sentinel=True)
    codes = np.asarray(label_codes, dtype=np.int64)[inverse] if len(inverse) else np.empty(0, np.int64)
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def _text_categorical(text: np.ndarray, ids: np.ndarray, strings: dict[int, str]) -> pd.Categorical:
    """Inline text where present, else ``strings[id]``; one categorical without a Python object per id row."""
    inline = ~pd.isna(text)
    use_id = ~inline & (ids != _NULL)
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


def _names(cols: dict[str, np.ndarray], key: str, strings: dict[int, str]) -> pd.Categorical:
    if key + "__id" in cols:
        return _categorical_from_ids(cols[key + "__id"], strings)
    return _categorical(cols[key])


def _global_pid(g: np.ndarray) -> np.ndarray:
    return np.where(g == _NULL, _NULL, g & ~np.int64(_TID_BITS))


def _pid(g: np.ndarray) -> np.ndarray:
    return np.where(g == _NULL, _NULL, (g >> 24) & _TID_BITS)


def _tid(g: np.ndarray) -> np.ndarray:
    return np.where(g == _NULL, _NULL, g & _TID_BITS)


def _frame(data: dict[str, Any], s: schema.Schema) -> pd.DataFrame:
    df = pd.DataFrame({c: data[c] for c in s})
    return df.astype(s) if any(str(df[c].dtype) != s[c] for c in s) else df


# ----------------------------------------------------------------------------------------------------
# Table readers


def _read_strings(con: sqlite3.Connection, table: str | None) -> dict[int, str]:
    if table is None:
        return {}
    return dict(con.execute(f'SELECT id, value FROM "{table}"'))


def _gpu_op_common(cols: dict[str, np.ndarray]) -> dict[str, Any]:
    start, end = cols["start"], cols["end"]
    return {
        "start_ns": start,
        "end_ns": end,
        "duration_ns": end - start,
        "device_id": _nullable(cols["device_id"]),
        "context_id": _nullable(cols["context_id"]),
        "stream_id": _nullable(cols["stream_id"]),
        "correlation_id": _nullable(cols["correlation_id"]),
        "global_pid": _nullable(cols["global_pid"]),
        "pid": _nullable(_pid(cols["global_pid"])),
        "graph_node_id": _nullable(cols["graph_node_id"]),
    }


def _read_kernels(
    con: sqlite3.Connection, table: str, strings: dict[int, str], progress: Progress | None
) -> pd.DataFrame:
    cols, _ = _fetch(con, table, KERNEL_COLUMNS, stage="kernels", progress=progress)
    data = _gpu_op_common(cols)
    data["name"] = _names(cols, "name", strings)
    data["short_name"] = _names(cols, "short_name", strings)
    data["graph_id"] = _nullable(cols["graph_id"])
    return _frame(data, schema.NSYS_KERNELS)


GRAPH_TRACE_COLUMNS: ColSpec = {**_GPU_OP_COLUMNS, "graph_id": (("graphId",), "int")}


def _read_graph_execs(con: sqlite3.Connection, table: str | None, progress: Progress | None) -> pd.DataFrame:
    if table is None:
        return schema.empty_frame(schema.NSYS_KERNELS)
    cols, _ = _fetch(con, table, GRAPH_TRACE_COLUMNS, stage="graphs", progress=progress)
    data = _gpu_op_common(cols)
    gid = cols["graph_id"]
    names = np.array(
        [f"CUDA graph {int(g)}" if g != _NULL else "CUDA graph" for g in gid.tolist()], dtype=object
    )
    data["name"] = pd.Categorical(names)
    data["short_name"] = pd.Categorical(names)
    data["graph_id"] = _nullable(gid)
    return _frame(data, schema.NSYS_KERNELS)


def _memcpy_enum(con: sqlite3.Connection, table: str | None) -> dict[int, tuple[str, str]]:
    if table is None:
        return dict(FALLBACK_MEMCPY_ENUM)
    cols = _columns(con, table)
    label = "label" if "label" in cols else "name"
    return {
        int(i): (str(n), str(lab)) for i, n, lab in con.execute(f'SELECT id, name, "{label}" FROM "{table}"')
    }


def _transfer(enum_name: str, label: str) -> str:
    for suffix in sorted(TRANSFER_BY_ENUM_SUFFIX, key=len, reverse=True):
        if enum_name.upper().endswith("_" + suffix):
            return TRANSFER_BY_ENUM_SUFFIX[suffix]
    low = label.lower()
    if "host-to-device" in low:
        return "H2D"
    if "device-to-host" in low:
        return "D2H"
    return "other"


def _read_memops(
    con: sqlite3.Connection,
    memcpy: str | None,
    memset: str | None,
    enum: dict[int, tuple[str, str]],
    progress: Progress | None,
) -> pd.DataFrame:
    frames: list[pd.DataFrame] = []
    if memcpy is not None:
        cols, _ = _fetch(con, memcpy, MEMCPY_COLUMNS, stage="memcpy", progress=progress)
        data = _gpu_op_common(cols)
        kinds = cols["copy_kind"]
        uniq, inverse = factorize_ints(kinds)
        labels = [enum.get(int(k), ("", f"copyKind {int(k)}"))[1] if k != _NULL else None for k in uniq]
        transfers = [_transfer(*enum.get(int(k), ("", ""))) if k != _NULL else "other" for k in uniq]
        data["op"] = pd.Categorical.from_codes(
            np.zeros(len(kinds), dtype=np.int8), categories=pd.Index(["memcpy"])
        )
        data["copy_kind"] = _nullable(kinds)
        data["direction"] = _from_codes(inverse, labels)
        data["transfer"] = _from_codes(inverse, transfers)
        data["bytes"] = _nullable(cols["bytes"])
        frames.append(_frame(data, schema.NSYS_MEMOPS))
    if memset is not None:
        cols, _ = _fetch(con, memset, MEMSET_COLUMNS, stage="memset", progress=progress)
        data = _gpu_op_common(cols)
        n = len(cols["start"])
        data["op"] = ["memset"] * n
        data["copy_kind"] = _nullable(np.full(n, _NULL, dtype=np.int64))
        data["direction"] = ["Memset"] * n
        data["transfer"] = ["memset"] * n
        data["bytes"] = _nullable(cols["bytes"])
        frames.append(_frame(data, schema.NSYS_MEMOPS))
    if not frames:
        return schema.empty_frame(schema.NSYS_MEMOPS)
    out = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    for col in ("op", "direction", "transfer"):
        out[col] = out[col].astype("category")
    return out.sort_values("start_ns", kind="stable", ignore_index=True)


def _read_runtime(cols: dict[str, np.ndarray], strings: dict[int, str]) -> pd.DataFrame:
    g = cols["global_tid"]
    data = {
        "start_ns": cols["start"],
        "end_ns": cols["end"],
        "duration_ns": cols["end"] - cols["start"],
        "global_tid": _nullable(g),
        "global_pid": _nullable(_global_pid(g)),
        "pid": _nullable(_pid(g)),
        "tid": _nullable(_tid(g)),
        "correlation_id": _nullable(cols["correlation_id"]),
        "name": _names(cols, "name", strings),
        "return_value": _nullable(cols["return_value"]),
    }
    return _frame(data, schema.NSYS_RUNTIME)


def _read_nvtx(cols: dict[str, np.ndarray], strings: dict[int, str]) -> pd.DataFrame:
    text = _text_categorical(cols["text"], cols["text_id"], strings)
    etype = cols["event_type"]
    dom = cols["domain_id"]
    # Domain names come from the domain-create events (eventType 75: text = name, domainId = handle).
    is_create = etype == NVTX_DOMAIN_CREATE
    domain_names: dict[int, str] = {0: "default"}
    for d, t in zip(dom[is_create].tolist(), np.asarray(text[is_create], dtype=object).tolist(), strict=True):
        if d != _NULL and isinstance(t, str):
            domain_names[int(d)] = t
    uniq_d, inv_d = factorize_ints(dom)
    dnames = [domain_names.get(int(d), f"domain {int(d)}") if d != _NULL else "default" for d in uniq_d]
    uniq_e, inv_e = factorize_ints(etype)
    knames = [NVTX_KINDS.get(int(e), f"type {int(e)}") for e in uniq_e]
    start, end = cols["start"], cols["end"]
    g = cols["global_tid"]
    dur = np.where(end == _NULL, _NULL, end - start)
    data = {
        "start_ns": start,
        "end_ns": _nullable(end),
        "duration_ns": _nullable(dur),
        "event_type": etype,
        "kind": _from_codes(inv_e, knames),
        "text": text,
        "domain_id": _nullable(dom),
        "domain": _from_codes(inv_d, dnames),
        "global_tid": _nullable(g),
        "global_pid": _nullable(_global_pid(g)),
        "pid": _nullable(_pid(g)),
        "tid": _nullable(_tid(g)),
    }
    return _frame(data, schema.NSYS_NVTX)


def read_gpus(con: sqlite3.Connection, table: str | None) -> pd.DataFrame:
    if table is None:
        return schema.empty_frame(schema.NSYS_GPUS)
    cols = _columns(con, table)
    picked = {key: next((c for c in cands if c in cols), None) for key, cands in GPU_COLUMNS.items()}
    present = {k: c for k, c in picked.items() if c is not None}
    if not present:
        return schema.empty_frame(schema.NSYS_GPUS)
    sql = f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in present.values())} FROM "{table}"'
    records = []
    for row in con.execute(sql):
        r = dict(zip(present, row, strict=True))
        major, minor = r.pop("cc_major", None), r.pop("cc_minor", None)
        r["compute_capability"] = f"{major}.{minor}" if major is not None and minor is not None else None
        for key in ("name", "chip_name", "uuid", "bus_location"):
            if r.get(key) is not None:
                r[key] = str(r[key])
        records.append(r)
    return schema.frame_from_records(records, schema.NSYS_GPUS)


def _read_meta(
    con: sqlite3.Connection, export_table: str | None, capture_table: str | None
) -> dict[str, str]:
    meta: dict[str, str] = {}
    if export_table is not None:
        for name, value in con.execute(f'SELECT name, value FROM "{export_table}"'):
            meta.setdefault(str(name), "" if value is None else str(value))
    if capture_table is not None:
        # keys are plain (older exports) or per process ("PROCESS_0:CUDA_GRAPH_TRACE_OPTIONS:MODE", 2025+)
        wanted = " OR ".join("name = ? OR name LIKE ?" for _ in CAPTURE_KEYS)
        params = [x for k in CAPTURE_KEYS for x in (k, f"PROCESS_%:{k}")]
        for name, value in con.execute(f'SELECT name, value FROM "{capture_table}" WHERE {wanted}', params):
            key = next(k for k in CAPTURE_KEYS if str(name).endswith(k))
            meta.setdefault(f"CAPTURE:{key}", "" if value is None else str(value))
    return meta


def _read_processes(con: sqlite3.Connection, table: str | None) -> dict[int, str]:
    if table is None:
        return {}
    cols = _columns(con, table)
    if not {"pid", "name"} <= set(cols):
        return {}
    return {
        int(pid): str(name)
        for pid, name in con.execute(f'SELECT pid, name FROM "{table}"')
        if pid is not None and name is not None
    }


def _count(con: sqlite3.Connection, table: str | None) -> int:
    if table is None:
        return 0
    return int(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def _graph_info(
    con: sqlite3.Connection,
    found: dict[str, str],
    kernels: pd.DataFrame,
    runtime: pd.DataFrame,
    meta: dict[str, str],
) -> dict[str, Any]:
    names = runtime["name"].cat.categories
    launch_names = [n for n in names if GRAPH_LAUNCH_API.match(str(n))]
    launches = int(runtime["name"].isin(launch_names).sum()) if launch_names else 0
    return {
        "graph_launches": launches,
        "graph_trace_rows": _count(con, found.get("graph_trace")),
        "graph_events": _count(con, found.get("graph_events")),
        "kernels_in_graphs": int((kernels["graph_id"].notna() | kernels["graph_node_id"].notna()).sum()),
        "trace_mode": meta.get("CAPTURE:CUDA_GRAPH_TRACE_OPTIONS:MODE"),
    }


# ----------------------------------------------------------------------------------------------------
# Entry point


def corrupt_export(path: Path, exc: sqlite3.DatabaseError) -> TrtInspectError:
    """The one-line error for an export SQLite cannot read (shared by the reader and the summaries)."""
    return TrtInspectError(f"corrupt or unreadable SQLite database ({exc})", path=path,
                           hint="re-export it with `nsys export --type sqlite`")


def read_nsys_sqlite(path: str | Path, *, progress: Progress | None = None) -> NsysExport:
    """Read an Nsight Systems SQLite export into frames. Raises :class:`TrtInspectError` on bad input."""
    p = Path(path)
    con = open_readonly(p)
    try:
        return _read(con, p, progress)
    except sqlite3.DatabaseError as exc:
        raise corrupt_export(p, exc) from None
    except TrtInspectError as exc:
        if exc.path is None:
            raise TrtInspectError(exc.problem, path=p, hint=exc.hint) from None
        raise
    finally:
        con.close()


def _read(con: sqlite3.Connection, p: Path, progress: Progress | None) -> NsysExport:
    tables = _table_names(con)
    found = {kind: t for kind, names in TABLES.items() if (t := resolve_table(tables, names)) is not None}
    kernel_table = found.get("kernels")
    if kernel_table is None or _count(con, kernel_table) == 0:
        what = (
            "is an SQLite database but not an nsys export"
            if "StringIds" not in tables and "META_DATA_EXPORT" not in tables
            else "is an nsys export without CUDA kernels"
        )
        raise TrtInspectError(
            what, path=p, hint="profile with `nsys profile --trace=cuda,nvtx` and export that report"
        )
    notes: list[str] = []
    # The two other large tables are scanned on their own connections while this thread reads the kernels:
    # SQLite releases the GIL while it steps, so the scans use both cores of a small machine.
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = {
            kind: pool.submit(_fetch_file, p, found[kind], spec, kind, progress)
            for kind, spec in (("runtime", RUNTIME_COLUMNS), ("nvtx", NVTX_COLUMNS))
            if kind in found
        }
        return _read_rest(con, p, found, pending, notes, progress)


def _read_rest(
    con: sqlite3.Connection,
    p: Path,
    found: dict[str, str],
    pending: dict[str, Future[dict[str, np.ndarray]]],
    notes: list[str],
    progress: Progress | None,
) -> NsysExport:
    kernel_table = found["kernels"]
    strings = _read_strings(con, found.get("strings"))
    meta = _read_meta(con, found.get("meta_export"), found.get("meta_capture"))
    kernels = _read_kernels(con, kernel_table, strings, progress)
    if found.get("memcpy") is not None and found.get("memcpy_enum") is None:
        notes.append("no ENUM_CUDA_MEMCPY_OPER table: copy directions use CUPTI's copyKind numbering")
    enum = _memcpy_enum(con, found.get("memcpy_enum"))
    memops = _read_memops(con, found.get("memcpy"), found.get("memset"), enum, progress)
    if found.get("runtime") is not None:
        runtime = _read_runtime(pending["runtime"].result(), strings)
    else:
        runtime = schema.empty_frame(schema.NSYS_RUNTIME)
        notes.append("no CUDA runtime API table: GPU work cannot be tied to launching threads or NVTX ranges")
    if found.get("nvtx") is not None:
        nvtx = _read_nvtx(pending["nvtx"].result(), strings)
    else:
        nvtx = schema.empty_frame(schema.NSYS_NVTX)
        notes.append("no NVTX_EVENTS table: no NVTX ranges were captured (profile with `--trace=cuda,nvtx`)")
    gpus = read_gpus(con, found.get("gpus"))
    if gpus.empty:
        notes.append("no GPU information table (TARGET_INFO_GPU / TARGET_INFO_CUDA_GPU) in this export")
    if kernels["global_pid"].isna().all():
        notes.append("kernels carry no globalPid: runtime calls are matched on correlationId alone")
    export = NsysExport(
        path=p,
        kernels=kernels,
        memops=memops,
        runtime=runtime,
        nvtx=nvtx,
        gpus=gpus,
        meta=meta,
        graph_execs=_read_graph_execs(con, found.get("graph_trace"), progress),
        processes=_read_processes(con, found.get("processes")),
        cuda_graph=_graph_info(con, found, kernels, runtime, meta),
        tables_present=found,
        all_tables=sorted(_table_names(con)),
        notes=notes,
    )
    if export.generated:
        notes.insert(0, f"generated export ({meta.get('GENERATED_BY')}), not a real capture")
    log.debug(
        "read %s: %d kernels, %d memops, %d runtime calls, %d NVTX events",
        p,
        len(kernels),
        len(memops),
        len(runtime),
        len(nvtx),
    )
    return export

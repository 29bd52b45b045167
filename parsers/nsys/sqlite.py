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

import json
import logging
import re
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.nsys.sqlite_io import (
    EXPORT_HINT,
    NULL_INT,
    SQLITE_MAGIC,
    ColSpec,
    Progress,
    columns_of,
    corrupt_export,
    factorize_ints,
    fetch,
    fetch_file,
    from_codes,
    global_pid_of,
    names_of,
    nullable,
    open_readonly,
    pid_of,
    refuse_non_sqlite,
    resolve_table,
    table_names,
    text_categorical,
    tid_of,
    typed_frame,
)

__all__ = ["EXPORT_HINT", "SQLITE_MAGIC", "TABLES", "NsysExport", "Progress", "corrupt_export", "factorize_ints",
           "open_readonly", "read_gpus", "read_nsys_sqlite", "refuse_non_sqlite", "resolve_table"]

log = logging.getLogger(__name__)




# Logical table -> the names nsys has used for it (first found wins; `_V<n>` variants are tried too).
TABLES: dict[str, tuple[str, ...]] = {
    "kernels": ("CUPTI_ACTIVITY_KIND_KERNEL",),
    "memcpy": ("CUPTI_ACTIVITY_KIND_MEMCPY",),
    "memset": ("CUPTI_ACTIVITY_KIND_MEMSET",),
    "runtime": ("CUPTI_ACTIVITY_KIND_RUNTIME",),
    "nvtx": ("NVTX_EVENTS",),
    "strings": ("StringIds",),
    "gpus": ("TARGET_INFO_GPU", "TARGET_INFO_CUDA_GPU"),
    "system_env": ("TARGET_INFO_SYSTEM_ENV",),      # its GpuInfo row: the GPUs, when the two above are absent
    "meta_export": ("META_DATA_EXPORT",),
    "meta_capture": ("META_DATA_CAPTURE",),
    "memcpy_enum": ("ENUM_CUDA_MEMCPY_OPER",),
    "processes": ("PROCESSES",),
    "graph_trace": ("CUPTI_ACTIVITY_KIND_GRAPH_TRACE",),
    "graph_events": ("CUDA_GRAPH_EVENTS",),
    "graph_node_events": ("CUDA_GRAPH_NODE_EVENTS",),
}


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
    "memory_bandwidth_bytes_s": ("memoryBandwidth",),   # peak DRAM bandwidth, bytes/s (2021.2+)
    "is_discrete": ("isDiscrete",),                     # 0: an integrated GPU (Jetson, DGX Spark)
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
        "device_id": nullable(cols["device_id"]),
        "context_id": nullable(cols["context_id"]),
        "stream_id": nullable(cols["stream_id"]),
        "correlation_id": nullable(cols["correlation_id"]),
        "global_pid": nullable(cols["global_pid"]),
        "pid": nullable(pid_of(cols["global_pid"])),
        "graph_node_id": nullable(cols["graph_node_id"]),
    }


def _read_kernels(
    con: sqlite3.Connection, table: str, strings: dict[int, str], progress: Progress | None
) -> pd.DataFrame:
    cols, _ = fetch(con, table, KERNEL_COLUMNS, stage="kernels", progress=progress)
    data = _gpu_op_common(cols)
    data["name"] = names_of(cols, "name", strings)
    data["short_name"] = names_of(cols, "short_name", strings)
    data["graph_id"] = nullable(cols["graph_id"])
    return typed_frame(data, schema.NSYS_KERNELS)


GRAPH_TRACE_COLUMNS: ColSpec = {**_GPU_OP_COLUMNS, "graph_id": (("graphId",), "int")}


def _read_graph_execs(con: sqlite3.Connection, table: str | None, progress: Progress | None) -> pd.DataFrame:
    if table is None:
        return schema.empty_frame(schema.NSYS_KERNELS)
    cols, _ = fetch(con, table, GRAPH_TRACE_COLUMNS, stage="graphs", progress=progress)
    data = _gpu_op_common(cols)
    gid = cols["graph_id"]
    names = np.array(
        [f"CUDA graph {int(g)}" if g != NULL_INT else "CUDA graph" for g in gid.tolist()], dtype=object
    )
    data["name"] = pd.Categorical(names)
    data["short_name"] = pd.Categorical(names)
    data["graph_id"] = nullable(gid)
    return typed_frame(data, schema.NSYS_KERNELS)


def _memcpy_enum(con: sqlite3.Connection, table: str | None) -> dict[int, tuple[str, str]]:
    if table is None:
        return dict(FALLBACK_MEMCPY_ENUM)
    cols = columns_of(con, table)
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
        cols, _ = fetch(con, memcpy, MEMCPY_COLUMNS, stage="memcpy", progress=progress)
        data = _gpu_op_common(cols)
        kinds = cols["copy_kind"]
        uniq, inverse = factorize_ints(kinds)
        labels = [enum.get(int(k), ("", f"copyKind {int(k)}"))[1] if k != NULL_INT else None for k in uniq]
        transfers = [_transfer(*enum.get(int(k), ("", ""))) if k != NULL_INT else "other" for k in uniq]
        data["op"] = pd.Categorical.from_codes(
            np.zeros(len(kinds), dtype=np.int8), categories=pd.Index(["memcpy"])
        )
        data["copy_kind"] = nullable(kinds)
        data["direction"] = from_codes(inverse, labels)
        data["transfer"] = from_codes(inverse, transfers)
        data["bytes"] = nullable(cols["bytes"])
        frames.append(typed_frame(data, schema.NSYS_MEMOPS))
    if memset is not None:
        cols, _ = fetch(con, memset, MEMSET_COLUMNS, stage="memset", progress=progress)
        data = _gpu_op_common(cols)
        n = len(cols["start"])
        data["op"] = ["memset"] * n
        data["copy_kind"] = nullable(np.full(n, NULL_INT, dtype=np.int64))
        data["direction"] = ["Memset"] * n
        data["transfer"] = ["memset"] * n
        data["bytes"] = nullable(cols["bytes"])
        frames.append(typed_frame(data, schema.NSYS_MEMOPS))
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
        "global_tid": nullable(g),
        "global_pid": nullable(global_pid_of(g)),
        "pid": nullable(pid_of(g)),
        "tid": nullable(tid_of(g)),
        "correlation_id": nullable(cols["correlation_id"]),
        "name": names_of(cols, "name", strings),
        "return_value": nullable(cols["return_value"]),
    }
    return typed_frame(data, schema.NSYS_RUNTIME)


def _read_nvtx(cols: dict[str, np.ndarray], strings: dict[int, str]) -> pd.DataFrame:
    text = text_categorical(cols["text"], cols["text_id"], strings)
    etype = cols["event_type"]
    dom = cols["domain_id"]
    # Domain names come from the domain-create events (eventType 75: text = name, domainId = handle).
    is_create = etype == NVTX_DOMAIN_CREATE
    domain_names: dict[int, str] = {0: "default"}
    for d, t in zip(dom[is_create].tolist(), np.asarray(text[is_create], dtype=object).tolist(), strict=True):
        if d != NULL_INT and isinstance(t, str):
            domain_names[int(d)] = t
    uniq_d, inv_d = factorize_ints(dom)
    dnames = [domain_names.get(int(d), f"domain {int(d)}") if d != NULL_INT else "default" for d in uniq_d]
    uniq_e, inv_e = factorize_ints(etype)
    knames = [NVTX_KINDS.get(int(e), f"type {int(e)}") for e in uniq_e]
    start, end = cols["start"], cols["end"]
    g = cols["global_tid"]
    dur = np.where(end == NULL_INT, NULL_INT, end - start)
    data = {
        "start_ns": start,
        "end_ns": nullable(end),
        "duration_ns": nullable(dur),
        "event_type": etype,
        "kind": from_codes(inv_e, knames),
        "text": text,
        "domain_id": nullable(dom),
        "domain": from_codes(inv_d, dnames),
        "global_tid": nullable(g),
        "global_pid": nullable(global_pid_of(g)),
        "pid": nullable(pid_of(g)),
        "tid": nullable(tid_of(g)),
    }
    return typed_frame(data, schema.NSYS_NVTX)


def read_gpus(con: sqlite3.Connection, table: str | None, system_env: str | None = None) -> pd.DataFrame:
    """One row per GPU from TARGET_INFO_GPU / TARGET_INFO_CUDA_GPU (``table``), else from the GpuInfo row of
    TARGET_INFO_SYSTEM_ENV (``system_env``), which holds the same facts as JSON."""
    gpus = _read_gpu_table(con, table)
    if gpus.empty and system_env is not None:
        return _gpus_from_system_env(con, system_env)
    return gpus


# GpuInfo in TARGET_INFO_SYSTEM_ENV: {"Gpus": [{"Id": 0, "Name": "NVIDIA GeForce RTX 3060", ...}]} (nsys 2025.5
# export in tests/data/nsys, beside its TARGET_INFO_GPU); "{}" when nsys recorded no GPU (the 2026.2 H100 export)
GPU_INFO_KEYS: dict[str, str] = {
    "device_id": "Id", "name": "Name", "chip_name": "ChipName", "uuid": "Uuid", "bus_location": "BusLocation",
    "sm_count": "SmCount", "total_memory_bytes": "TotalMemory", "clock_rate_hz": "ClockRate",
    "memory_bandwidth_bytes_s": "MemoryBandwidth", "is_discrete": "IsDiscrete",
}
_GPU_INFO_INTS = ("device_id", "sm_count", "total_memory_bytes", "clock_rate_hz", "memory_bandwidth_bytes_s")


def _gpus_from_system_env(con: sqlite3.Connection, table: str) -> pd.DataFrame:
    try:
        row = con.execute(f'SELECT value FROM "{table}" WHERE name = ?', ("GpuInfo",)).fetchone()
        doc = json.loads(row[0]) if row is not None and isinstance(row[0], str) else {}
    except (sqlite3.Error, ValueError):     # another layout of the table, or not JSON: no GPU facts from it
        return schema.empty_frame(schema.NSYS_GPUS)
    found = doc.get("Gpus") if isinstance(doc, dict) else None
    records = []
    for gpu in found if isinstance(found, list) else []:
        if not isinstance(gpu, dict):
            continue
        r: dict[str, Any] = {key: gpu.get(k) for key, k in GPU_INFO_KEYS.items()}
        for key in _GPU_INFO_INTS:      # TotalMemory is a string of digits; anything else that is no count: unknown
            v = r[key]
            r[key] = int(v) if isinstance(v, int | str) and not isinstance(v, bool) and str(v).isdigit() else None
        for key in ("name", "chip_name", "uuid", "bus_location"):
            r[key] = str(r[key]) if isinstance(r[key], str | int) and not isinstance(r[key], bool) else None
        r["is_discrete"] = _flag(r["is_discrete"])
        major, minor = gpu.get("ComputeMajor"), gpu.get("ComputeMinor")
        r["compute_capability"] = (f"{major}.{minor}" if all(isinstance(v, int) and not isinstance(v, bool)
                                                              for v in (major, minor)) else None)
        records.append(r)
    return schema.frame_from_records(records, schema.NSYS_GPUS)


def _flag(value: Any) -> bool | None:
    """A 0/1 (or JSON true/false) column as a bool; anything else unknown."""
    return bool(value) if type(value) in (bool, int) and value in (0, 1) else None


def _read_gpu_table(con: sqlite3.Connection, table: str | None) -> pd.DataFrame:
    if table is None:
        return schema.empty_frame(schema.NSYS_GPUS)
    cols = columns_of(con, table)
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
        if "memory_bandwidth_bytes_s" in r:   # a count of bytes/s, or unknown (a hostile file's text, a float)
            bw = r["memory_bandwidth_bytes_s"]
            r["memory_bandwidth_bytes_s"] = bw if type(bw) is int and 0 < bw < 2**62 else None
        if "is_discrete" in r:
            r["is_discrete"] = _flag(r["is_discrete"])
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
    cols = columns_of(con, table)
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
    tables = table_names(con)
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
            kind: pool.submit(fetch_file, p, found[kind], spec, kind, progress)
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
    gpus = read_gpus(con, found.get("gpus"), found.get("system_env"))
    if gpus.empty:
        notes.append("no GPU information in this export (no TARGET_INFO_GPU / TARGET_INFO_CUDA_GPU table and no "
                     "GPU in TARGET_INFO_SYSTEM_ENV's GpuInfo): the device is unknown")
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
        all_tables=sorted(table_names(con)),
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

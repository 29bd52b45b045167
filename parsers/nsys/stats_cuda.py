"""The CUDA and OS runtime families of the ``nsys stats`` summaries: cuda_gpu_kern_sum, cuda_gpu_mem_time_sum,
cuda_gpu_mem_size_sum, cuda_api_sum (one SQL scan per table) and osrt_sum; and the same CUDA summaries from the
frames of an export already read for attribution (no second scan).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers.nsys.stats_core import (
    NULL,
    SCOPE_COLUMNS,
    Codes,
    Ctx,
    Pass,
    column_types,
    group_stats,
    keyed_frame,
    merge_parts,
    names_from_strings,
    scope_exprs,
    size_frame,
    stream_grouped,
    stream_part,
    sum_frame,
)

OSRT_EVENT_CLASS = 27  # OSRT_API rows nsys' osrt_sum counts (function calls)

def kernel_pass(con: sqlite3.Connection, ctx: Ctx) -> Pass:
    table = ctx.tables["kernels"]
    cols = column_types(con, table)
    name_col = "demangledName" if "demangledName" in cols else "shortName"
    if "CHAR" in cols.get(name_col, "") or cols.get(name_col) == "TEXT":
        raise TrtInspectError(f"{table}.{name_col} holds inline text; this export layout is not summarised")
    scope = scope_exprs(cols)
    by = [scope[list(SCOPE_COLUMNS).index(b)] for b in ctx.by]
    g = stream_grouped(con, table, [[f'"{name_col}"', *by], scope], ['"end" - "start"'])
    dur = g.values[0]
    frame = keyed_frame("cuda_gpu_kern_sum", g.keys[0], g.codes[0], dur, names_from_strings(con, ctx), ctx.by)
    return Pass({"cuda_gpu_kern_sum": frame}, stream_part("kernel", g.keys[1], g.codes[1], dur, None))


def api_display_name(raw: str | None) -> str | None:
    """nsys' cuda_api_sum name: a 6-character ``_v<4 digits>`` version suffix is dropped
    (``cudaLaunchKernel_v7000`` -> ``cudaLaunchKernel``; ``cudaStreamIsCapturing_v10000`` stays)."""
    if raw is None:
        return None
    return raw[:-6] if len(raw) >= 6 and raw[-6:-4] == "_v" else raw


def api_pass(con: sqlite3.Connection, ctx: Ctx) -> Pass:
    g = stream_grouped(con, ctx.tables["runtime"], [['"nameId"']], ['"end" - "start"'])
    names = names_from_strings(con, ctx, api_display_name)
    return Pass({"cuda_api_sum": keyed_frame("cuda_api_sum", g.keys[0], g.codes[0], g.values[0], names)})


def osrt_pass(con: sqlite3.Connection, ctx: Ctx) -> Pass:
    g = stream_grouped(
        con, ctx.tables["osrt"], [['"nameId"']], ['"end" - "start"'], where=f'"eventClass" = {OSRT_EVENT_CLASS}'
    )
    names = names_from_strings(con, ctx)
    return Pass({"osrt_sum": keyed_frame("osrt_sum", g.keys[0], g.codes[0], g.values[0], names)})


def memcpy_labels(con: sqlite3.Connection, ctx: Ctx) -> dict[int, str]:
    table = ctx.tables.get("memcpy_enum")
    if table is None:
        return {}
    label = "label" if "label" in column_types(con, table) else "name"
    return {int(i): str(v) for i, v in con.execute(f'SELECT id, "{label}" FROM "{table}"')}


def memops_pass(con: sqlite3.Connection, ctx: Ctx) -> Pass:
    """cuda_gpu_mem_time_sum and cuda_gpu_mem_size_sum: memcpy rows inner-joined on the file's copy-kind enum
    (``[CUDA memcpy <label>]``, as nsys), then memset rows (``[CUDA memset]``); one scan of each table."""
    codes: list[np.ndarray] = []
    durs: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    names: list[Any] = []
    parts: list[pd.DataFrame] = []
    for logical in ("memcpy", "memset"):
        table = ctx.tables.get(logical)
        if table is None:
            continue
        cols = column_types(con, table)
        kind = ['"copyKind"'] if logical == "memcpy" else ["0"]
        g = stream_grouped(con, table, [kind, scope_exprs(cols)],
                           ['"end" - "start"', '"bytes"' if "bytes" in cols else "0"])
        dur, nbytes = g.values
        parts.append(stream_part(logical, g.keys[1], g.codes[1], dur, nbytes))
        if logical == "memcpy":
            labels = memcpy_labels(con, ctx)
            lut = np.full(len(g.keys[0].keys), -1, dtype=np.int64)
            for i, k in enumerate(g.keys[0].column(0).tolist()):
                if k in labels:
                    lut[i] = len(names)
                    names.append(f"[CUDA memcpy {labels[k]}]")
            row = lut[g.codes[0]]
            known = row >= 0
            codes.append(row[known])
            durs.append(dur[known])
            sizes.append(nbytes[known])
        else:
            codes.append(np.full(len(dur), len(names), dtype=np.int64))
            durs.append(dur)
            sizes.append(nbytes)
            names.append("[CUDA memset]")
    code = np.concatenate(codes) if codes else np.empty(0, np.int64)
    dur_all = np.concatenate(durs) if durs else code
    by_time = sum_frame("cuda_gpu_mem_time_sum", names, group_stats(code, dur_all))
    by_time = by_time.sort_values("total_ns", ascending=False, kind="stable", ignore_index=True)
    return Pass(
        {"cuda_gpu_mem_time_sum": by_time, "cuda_gpu_mem_size_sum": size_frame(code, sizes, names)},
        merge_parts(parts),
    )



# ----------------------------------------------------------------------------------------------------
# The same passes from frames already loaded (an export read for attribution): no second scan


def _cat_codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Category codes of ``values`` (NA -> an extra group named None) and the name of each code."""
    cat = values.astype("category")
    codes = np.asarray(cat.cat.codes, dtype=np.int64)
    names: list[Any] = [str(c) for c in cat.cat.categories]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(names), codes)
        names.append(None)
    return codes, names


def _ints(values: pd.Series) -> np.ndarray:
    return values.astype("Int64").to_numpy(dtype=np.int64, na_value=NULL)


def _frame_scope_part(prefix: str, frame: pd.DataFrame, dur: np.ndarray, nbytes: np.ndarray | None) -> pd.DataFrame:
    keys = Codes()
    code = keys.add([_ints(frame["pid"]), _ints(frame["device_id"]), _ints(frame["stream_id"])])
    return stream_part(prefix, keys, code, dur, nbytes)


def passes_from_export(export: Any, labels: dict[int, str]) -> dict[str, Pass]:
    """kernels, runtime and memops passes computed from an :class:`~trtinspect.parsers.nsys.sqlite.NsysExport`
    (same rows, grouping and statistics as the SQL passes; NVTX and OS runtime still come from SQL: their
    grouping differs from the export's frames)."""
    out: dict[str, Pass] = {}
    if "kernels" in export.tables_present:
        k = export.kernels
        codes, names = _cat_codes(k["name"])
        dur = k["duration_ns"].to_numpy(dtype=np.int64)
        frame = sum_frame("cuda_gpu_kern_sum", names, group_stats(codes, dur))
        out["kernels"] = Pass({"cuda_gpu_kern_sum": frame}, _frame_scope_part("kernel", k, dur, None))
    if "runtime" in export.tables_present:
        r = export.runtime
        codes, names = _cat_codes(r["name"])
        frame = sum_frame("cuda_api_sum", [api_display_name(n) for n in names],
                           group_stats(codes, r["duration_ns"].to_numpy(dtype=np.int64)))
        out["runtime"] = Pass({"cuda_api_sum": frame})
    if "memcpy" in export.tables_present or "memset" in export.tables_present:
        out["memops"] = _memops_from_frame(export.memops, labels)
    return out


def _memops_from_frame(m: pd.DataFrame, labels: dict[int, str]) -> Pass:
    names: list[Any] = []
    codes: list[np.ndarray] = []
    durs: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    parts: list[pd.DataFrame] = []
    op = m["op"].astype(str).to_numpy()
    for logical in ("memcpy", "memset"):
        sub = m[op == logical]
        if sub.empty:
            continue
        dur = sub["duration_ns"].to_numpy(dtype=np.int64)
        nbytes = _ints(sub["bytes"])
        parts.append(_frame_scope_part(logical, sub, dur, nbytes))
        if logical == "memcpy":
            kind = _ints(sub["copy_kind"])
            row = np.full(len(sub), -1, dtype=np.int64)
            for k in sorted({int(x) for x in np.unique(kind)} & set(labels)):
                row[kind == k] = len(names)
                names.append(f"[CUDA memcpy {labels[k]}]")
            known = row >= 0
            codes.append(row[known])
            durs.append(dur[known])
            sizes.append(nbytes[known])
        else:
            codes.append(np.full(len(sub), len(names), dtype=np.int64))
            durs.append(dur)
            sizes.append(nbytes)
            names.append("[CUDA memset]")
    code = np.concatenate(codes) if codes else np.empty(0, np.int64)
    by_time = sum_frame("cuda_gpu_mem_time_sum", names, group_stats(code, np.concatenate(durs) if durs else code))
    by_time = by_time.sort_values("total_ns", ascending=False, kind="stable", ignore_index=True)
    return Pass(
        {"cuda_gpu_mem_time_sum": by_time, "cuda_gpu_mem_size_sum": size_frame(code, sizes, names)},
        merge_parts(parts),
    )

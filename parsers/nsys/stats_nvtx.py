"""The NVTX family of the ``nsys stats`` summaries: nvtx_sum (push/pop and start/end ranges by ``domain:text``
and style). nvtx_gpu_proj_sum lives in :mod:`trtinspect.parsers.nsys.nvtx_proj`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.parsers import schema
from trtinspect.parsers.nsys.sqlite import NVTX_DOMAIN_CREATE
from trtinspect.parsers.nsys.stats_core import (
    NULL,
    Ctx,
    Pass,
    column_types,
    group_stats,
    stream_grouped,
    strings_by_id,
    sum_frame,
)

NVTX_RANGE_STYLES: dict[int, str] = {59: "PushPop", 60: "StartEnd", 70: "PushPop", 71: "StartEnd"}

def nvtx_pass(con: sqlite3.Connection, ctx: Ctx) -> Pass:
    return Pass({"nvtx_sum": _nvtx_sum(con, ctx)})


def _nvtx_domains(con: sqlite3.Connection, table: str) -> dict[tuple[int, int], list[str | None]]:
    """(domainId, process bits of globalTid) -> domain names, as nsys' ``domains`` CTE: one row per
    (domainId, globalTid) creation, text of its earliest event; joined on the process bits of the thread."""
    sql = (
        f'SELECT domainId, globalTid, text, min(start) FROM "{table}" '
        f"WHERE eventType = {NVTX_DOMAIN_CREATE} GROUP BY domainId, globalTid"
    )
    out: dict[tuple[int, int], list[str | None]] = {}
    for dom, gtid, text, _ in con.execute(sql):
        if dom is None or gtid is None:
            continue
        out.setdefault((int(dom), int(gtid) & 0xFFFFFF000000), []).append(text)
    return out


def _nvtx_sum(con: sqlite3.Connection, ctx: Ctx) -> pd.DataFrame:
    """nvtx_sum: push/pop and start/end ranges grouped by (``domain:text`` or text, style); an open range
    ends at the last NVTX timestamp of the file. Text: StringIds[textId] first, else the inline text."""
    table = ctx.tables["nvtx"]
    styles = ",".join(str(t) for t in NVTX_RANGE_STYLES)
    maxts = con.execute(f'SELECT max(max(start), max("end")) FROM "{table}"').fetchone()[0]
    has_text = "text" in column_types(con, table)
    text_expr = "NULL"
    if has_text:
        con.execute("DROP TABLE IF EXISTS temp.trtinspect_nvtx_text")
        con.execute(
            "CREATE TEMP TABLE trtinspect_nvtx_text AS SELECT DISTINCT text AS t FROM "
            f'"{table}" WHERE text IS NOT NULL AND eventType IN ({styles})'
        )
        con.execute("CREATE UNIQUE INDEX temp.trtinspect_nvtx_text_t ON trtinspect_nvtx_text(t)")
        text_expr = (f'CASE WHEN "{table}".text IS NULL THEN NULL ELSE '
                     f'(SELECT rowid FROM temp.trtinspect_nvtx_text WHERE t = "{table}".text) END')
    g = stream_grouped(
        con,
        table,
        [["eventType", "domainId", "globalTid & 0xFFFFFF000000", "textId", text_expr]],  # process bits: VM id, pid
        [f'COALESCE("end", {int(maxts or 0)}) - start'],
        where=f"eventType IN ({styles})",
    )
    code, dur = g.codes[0], g.values[0]
    u_etype, u_dom, u_proc, u_tid, u_trow = (g.keys[0].column(j) for j in range(5))
    domains = _nvtx_domains(con, table)
    # Rows whose (domain, process) was created more than once join every creation, as in nsys' SQL.
    strings = strings_by_id(con, ctx.tables.get("strings"), np.unique(u_tid))
    inline: dict[int, str] = {}
    if has_text:
        wanted = sorted({int(r) for r in u_trow if r != NULL})
        for k in range(0, len(wanted), 500):
            part = wanted[k : k + 500]
            q = f"SELECT rowid, t FROM temp.trtinspect_nvtx_text WHERE rowid IN ({','.join('?' * len(part))})"
            inline.update({int(r): str(t) for r, t in con.execute(q, part)})
    tags: list[tuple[Any, str]] = []  # per raw key: (tag, style); duplicated keys add more entries
    copies: list[list[int]] = []
    for i in range(len(u_etype)):
        text = strings.get(int(u_tid[i])) if u_tid[i] != NULL else None
        if text is None and u_trow[i] != NULL:
            text = inline.get(int(u_trow[i]))
        created = domains.get((int(u_dom[i]), int(u_proc[i])), []) if u_dom[i] != NULL and u_proc[i] != NULL else []
        names: list[str | None] = list(created) or [None]
        style = NVTX_RANGE_STYLES.get(int(u_etype[i]), "Unknown")
        idx = []
        for dname in names:
            # SQL: domain || ':' || text is NULL when the text is NULL
            tag = text if dname is None else (f"{dname}:{text}" if text is not None else None)
            idx.append(len(tags))
            tags.append((tag, style))
        copies.append(idx)
    final_codes, final_vals = _expand(code, dur, copies)
    pairs = pd.MultiIndex.from_tuples(tags, names=["tag", "style"]) if tags else None
    if pairs is None:
        return schema.empty_frame(schema.NSYS_STAT_SUM)
    group_of_tag, uniq_pairs = pd.factorize(pairs)
    st = group_stats(np.asarray(group_of_tag, dtype=np.int64)[final_codes], final_vals)
    return sum_frame(
        "nvtx_sum",
        [p[0] for p in uniq_pairs],
        st,
        styles=[p[1] for p in uniq_pairs],
    )


def _expand(code: np.ndarray, values: np.ndarray, copies: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of raw key ``c`` become one row per entry of ``copies[c]`` (usually exactly one)."""
    first = np.array([c[0] for c in copies], dtype=np.int64)
    if all(len(c) == 1 for c in copies):
        return first[code], values
    out_c, out_v = [first[code]], [values]
    for k, c in enumerate(copies):
        for extra in c[1:]:
            sel = code == k
            out_c.append(np.full(int(sel.sum()), extra, dtype=np.int64))
            out_v.append(values[sel])
    return np.concatenate(out_c), np.concatenate(out_v)


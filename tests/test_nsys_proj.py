"""nvtx_gpu_proj_sum against a direct SQL reference written from nsys' report SQL (nvtx_gpu_proj_trace): range
selection, domain names, the API-call containment join, the tightest-parent tree and child counts are all SQL;
only the per-name statistics are Python's ``statistics`` module and SQLite's ``round``."""

from __future__ import annotations

import sqlite3
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import DATA

from trtinspect.parsers import schema
from trtinspect.parsers.nsys import nvtx_proj
from trtinspect.parsers.nsys.sqlite import TABLES, open_readonly, resolve_table
from trtinspect.parsers.nsys.stats import summarise

H100 = DATA / "nsys" / "h100_2gpu_1s.sqlite"

REF_SETUP = [
    "CREATE TEMP TABLE ref_bounds AS SELECT min(min(start), min(\"end\")) AS lo, max(max(start), max(\"end\")) AS hi "
    "FROM NVTX_EVENTS WHERE eventType IN (59, 60, 70, 71)",
    """CREATE TEMP TABLE ref_ranges AS
    WITH dom AS (
        SELECT min(e.start), e.domainId AS id, e.globalTid AS gtid, coalesce(s.value, e.text) AS name
        FROM NVTX_EVENTS AS e LEFT JOIN StringIds AS s ON e.textId = s.id
        WHERE e.eventType = 75 GROUP BY 2, 3)
    SELECT e.rowid AS rid, e.start AS s, coalesce(e."end", (SELECT hi FROM ref_bounds)) AS en, e.globalTid AS tid,
        coalesce(d.name, '') || ':' || coalesce(s.value, e.text, '') AS name,
        CASE WHEN e.eventType IN (59, 70) THEN 'PushPop' ELSE 'StartEnd' END AS style
    FROM NVTX_EVENTS AS e
    LEFT JOIN dom AS d ON e.domainId = d.id AND (e.globalTid & 0xFFFFFF000000) = (d.gtid & 0xFFFFFF000000)
    LEFT JOIN StringIds AS s ON e.textId = s.id
    WHERE e.eventType IN (59, 60, 70, 71) AND e.endGlobalTid IS NULL""",
    # an R-tree over (start, end) relative to the first timestamp prunes the containment joins; the exact integer
    # comparisons decide (a float R-tree rounds its boxes outward, so it never drops a true match)
    "CREATE VIRTUAL TABLE temp.ref_box USING rtree(id, x0, x1, y0, y1)",
    "INSERT INTO temp.ref_box SELECT rid, s - (SELECT lo FROM ref_bounds), s - (SELECT lo FROM ref_bounds), "
    "en - (SELECT lo FROM ref_bounds), en - (SELECT lo FROM ref_bounds) FROM ref_ranges",
    "CREATE INDEX temp.ref_ranges_rid ON ref_ranges(rid)",
    """CREATE TEMP TABLE ref_parent AS
    SELECT c.rid AS rid, p.rid AS pid, min((c.s - p.s) + (p.en - c.en)) AS tightness
    FROM ref_ranges AS c
    LEFT JOIN temp.ref_box AS b
        ON b.x0 <= c.s - (SELECT lo FROM ref_bounds) AND b.y1 >= c.en - (SELECT lo FROM ref_bounds)
    LEFT JOIN ref_ranges AS p ON p.rid = b.id AND p.rid != c.rid AND p.tid = c.tid AND p.s <= c.s AND p.en >= c.en
    GROUP BY c.rid""",
]

# every GPU operation with the API call that launched it (correlationId and process), as nsys' inner JOIN
REF_CALLS = """
CREATE TEMP TABLE ref_calls AS
SELECT rt.start AS cs, rt."end" AS ce, rt.globalTid AS tid, rt.correlationId AS corr, op.start AS gs, op."end" AS ge
FROM ({ops}) AS op
JOIN CUPTI_ACTIVITY_KIND_RUNTIME AS rt
    ON op.correlationId = rt.correlationId AND op.globalPid = (rt.globalTid & -16777216)
"""

REF_QUERY = """
WITH RECURSIVE
tree AS (
    SELECT rid, 0 AS level FROM ref_parent WHERE pid IS NULL
    UNION ALL
    SELECT p.rid, tree.level + 1 FROM tree JOIN ref_parent AS p ON p.pid = tree.rid),
proj AS (
    SELECT r.rid AS rid, r.name AS name, r.style AS style, r.en - r.s AS range_ns,
        min(c.gs) AS proj_start, max(c.ge) - min(c.gs) AS proj_ns, count(DISTINCT c.corr) AS gpu_ops
    FROM ref_calls AS c
    CROSS JOIN temp.ref_box AS b
        ON b.x0 <= c.cs - (SELECT lo FROM ref_bounds) AND b.y1 >= c.ce - (SELECT lo FROM ref_bounds)
    CROSS JOIN ref_ranges AS r ON r.rid = b.id AND r.tid = c.tid AND r.s <= c.cs AND r.en >= c.ce
    GROUP BY r.rid),
child AS (SELECT par.pid AS rid, count(*) AS n FROM proj JOIN ref_parent AS par ON par.rid = proj.rid
          WHERE par.pid IS NOT NULL GROUP BY par.pid)
SELECT proj.rid, proj.name, proj.style, proj.proj_start, proj.proj_ns, proj.range_ns, proj.gpu_ops, tree.level,
    coalesce(child.n, 0)
FROM proj LEFT JOIN tree ON tree.rid = proj.rid LEFT JOIN child ON child.rid = proj.rid
"""


def _tables(con: sqlite3.Connection) -> dict[str, str]:
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
    return {k: t for k, cands in TABLES.items() if (t := resolve_table(names, cands)) is not None}


def reference_trace(path: Path) -> dict[int, tuple[Any, ...]]:
    """rowid -> (name, style, proj_start, proj_ns, range_ns, gpu_ops, level, children), computed in SQL."""
    con = open_readonly(path)
    try:
        for sql in REF_SETUP:
            con.execute(sql)
        ops = " UNION ALL ".join(f'SELECT start, "end", correlationId, globalPid FROM "{t}"'
                                 for k, t in _tables(con).items() if k in ("kernels", "memcpy", "memset"))
        con.execute(REF_CALLS.format(ops=ops))
        return {int(r[0]): tuple(r[1:]) for r in con.execute(REF_QUERY)}
    finally:
        con.close()


def reference_summary(trace: dict[int, tuple[Any, ...]]) -> dict[tuple[str, str], dict[str, Any]]:
    con = sqlite3.connect(":memory:")

    def r1(x: float) -> float:
        return float(con.execute("SELECT round(?, 1)", (x,)).fetchone()[0])

    groups: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in trace.values():
        groups[(row[0], row[1])].append(row)
    out = {}
    for key, rows in groups.items():
        proj = [r[3] for r in rows]
        n = len(rows)
        out[key] = {
            "total_proj_ns": sum(proj), "total_range_ns": sum(r[4] for r in rows), "instances": n,
            "proj_avg_ns": r1(sum(proj) / n), "proj_median_ns": r1(statistics.median(proj)),
            "proj_min_ns": min(proj), "proj_max_ns": max(proj),
            "proj_stddev_ns": r1(statistics.stdev(proj)) if n > 1 else 0.0,
            "total_gpu_ops": sum(r[5] for r in rows), "avg_gpu_ops": r1(sum(r[5] for r in rows) / n),
            "avg_range_level": r1(sum(r[6] for r in rows) / n), "avg_children": r1(sum(r[7] for r in rows) / n),
        }
    return out


def ours(path: Path) -> tuple[dict[int, tuple[Any, ...]], Any]:
    con = open_readonly(path)
    try:
        tr = nvtx_proj.trace_frame(con, _tables(con))
    finally:
        con.close()
    trace = {int(r.rowid): (r.name, r.style, int(r.proj_start_ns), int(r.proj_ns), int(r.range_ns), int(r.gpu_ops),
                            int(r.level), int(r.children)) for r in tr.itertuples()}
    return trace, summarise(path).reports.get("nvtx_gpu_proj_sum")


def check_against_reference(path: Path, ref: dict[int, tuple[Any, ...]] | None = None) -> int:
    ref = reference_trace(path) if ref is None else ref
    trace, frame = ours(path)
    assert trace.keys() == ref.keys()
    bad = [rid for rid in ref if trace[rid] != ref[rid]]
    assert bad == [], [(rid, trace[rid], ref[rid]) for rid in bad[:5]]
    want = reference_summary(ref)
    assert frame is not None and len(frame) == len(want)
    assert list(frame.columns) == list(schema.NSYS_NVTX_PROJ_SUM)
    for row in frame.to_dict("records"):
        exp = want[(row["name"], row["style"])]
        got = {k: (float(v) if isinstance(v, float) else int(v)) for k, v in row.items() if k in exp}
        assert got == exp, (row["name"], got, exp)
    totals = frame["total_proj_ns"].to_numpy()
    assert (np.diff(totals) <= 0).all()  # highest Total Proj Time first
    return len(ref)


@pytest.fixture(scope="module")
def h100_ref() -> dict[int, tuple[Any, ...]]:
    return reference_trace(H100)


def test_h100_export_matches_sql_reference(h100_ref: dict[int, tuple[Any, ...]]) -> None:
    """Every projected range of the real H100 PyTorch export (16,782 push/pop ranges on 2 threads) and every
    summary row equal the SQL reference."""
    n = check_against_reference(H100, h100_ref)
    assert n > 3000
    con = open_readonly(H100)
    try:  # no identical ranges on one thread: nsys' tightest-parent SQL would make them each other's parent
        dup = con.execute("SELECT count(*) FROM (SELECT 1 FROM NVTX_EVENTS WHERE eventType = 59 "
                          "GROUP BY globalTid, start, \"end\" HAVING count(*) > 1)").fetchone()[0]
    finally:
        con.close()
    assert dup == 0


def test_h100_headline_figures(h100_ref: dict[int, tuple[Any, ...]]) -> None:
    """Figures a reader can check by hand: a range's projection is its GPU work's first start to last end."""
    frame = summarise(H100).reports["nvtx_gpu_proj_sum"]
    top = frame.iloc[0]
    assert top["name"].startswith(":aten::") and top["style"] == "PushPop"
    assert int(frame["instances"].sum()) == len(h100_ref)
    assert (frame["proj_min_ns"] <= frame["proj_max_ns"]).all()


def test_generated_tensorrt_export_matches_sql_reference(nsys_generated: tuple[Path, dict[str, Any]]) -> None:
    """A generated TensorRT-shaped export (two processes, TensorRT domain, enqueue > layer nesting, copies
    launched outside the enqueue): SQL reference again; layer ranges are named ``TensorRT:<layer>``."""
    path, _ = nsys_generated
    check_against_reference(path)
    frame = summarise(path).reports["nvtx_gpu_proj_sum"]
    names = set(frame["name"])
    assert any(n.startswith("TensorRT:ExecutionContext::enqueue") for n in names)
    enq = frame[frame["name"].str.startswith("TensorRT:ExecutionContext::enqueue")].iloc[0]
    assert enq["avg_range_level"] >= 0 and enq["avg_children"] > 10  # one child per layer range


# ----------------------------------------------------------------------------------------------------
# Small hand-made exports: the rules at their edges


def _export(path: Path, nvtx: list[tuple[Any, ...]], calls: list[tuple[int, int, int, int]],
            ops: list[tuple[int, int, int, int]]) -> Path:
    """NVTX rows (start, end, eventType, text, globalTid, endGlobalTid, domainId); runtime calls (start, end,
    globalTid, correlationId); kernels (start, end, correlationId, globalPid)."""
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT);
        CREATE TABLE NVTX_EVENTS (start INTEGER, "end" INTEGER, eventType INTEGER, text TEXT, textId INTEGER,
            globalTid INTEGER, endGlobalTid INTEGER, domainId INTEGER);
        CREATE TABLE CUPTI_ACTIVITY_KIND_RUNTIME (start INTEGER, "end" INTEGER, globalTid INTEGER,
            correlationId INTEGER, nameId INTEGER);
        CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER, "end" INTEGER, correlationId INTEGER,
            globalPid INTEGER, deviceId INTEGER, streamId INTEGER, demangledName INTEGER);
    """)
    con.executemany("INSERT INTO NVTX_EVENTS (start, \"end\", eventType, text, globalTid, endGlobalTid, domainId) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", nvtx)
    con.executemany("INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME VALUES (?, ?, ?, ?, 0)", calls)
    con.executemany("INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (?, ?, ?, ?, 0, 7, 0)", ops)
    con.commit()
    con.close()
    return path


T1 = (1 << 24) * 100 + 1  # pid 100, thread 1
T2 = (1 << 24) * 100 + 2
PID = (1 << 24) * 100


@pytest.mark.parametrize("case", ["nested", "crossing", "overlapping_calls", "edges"])
def test_hand_made_exports_match_sql_reference(tmp_path: Path, case: str) -> None:
    nvtx: list[tuple[Any, ...]] = [(0, None, 75, "dom", T1, None, 5)]  # domain 5 created on thread 1
    calls: list[tuple[int, int, int, int]] = []
    ops: list[tuple[int, int, int, int]] = []
    if case == "nested":  # outer > two layers, a range without GPU work, another thread, an open range
        nvtx += [(10, 100, 59, "outer", T1, None, 5), (20, 40, 59, "layer", T1, None, 5),
                 (50, 90, 59, "layer", T1, None, 5), (60, 70, 59, "empty", T1, None, 0),
                 (15, None, 59, "open", T2, None, 0), (12, 95, 60, "se", T1, None, 0)]
        calls = [(21, 22, T1, 1), (25, 26, T1, 2), (55, 57, T1, 3), (61, 62, T1, 4), (16, 17, T2, 5)]
        ops = [(200, 210, 1, PID), (205, 230, 2, PID), (231, 240, 3, PID), (241, 250, 4, PID), (300, 310, 5, PID),
               (311, 312, 3, PID)]
    elif case == "crossing":  # start/end ranges that overlap without nesting
        nvtx += [(10, 50, 60, "a", T1, None, 0), (30, 80, 60, "b", T1, None, 0), (35, 45, 59, "c", T1, None, 0),
                 (5, 200, 60, "ended elsewhere", T1, T2, 0)]
        calls = [(12, 13, T1, 1), (36, 37, T1, 2), (60, 61, T1, 3), (48, 55, T1, 4)]
        ops = [(100, 110, 1, PID), (120, 130, 2, PID), (140, 150, 3, PID), (160, 170, 4, PID)]
    elif case == "overlapping_calls":  # nested API calls on one thread (a call inside a call)
        nvtx += [(10, 50, 59, "r", T1, None, 0), (30, 60, 59, "s", T2, None, 0)]
        calls = [(12, 55, T1, 1), (14, 20, T1, 2), (22, 49, T1, 3), (31, 32, T2, 4)]
        ops = [(100, 110, 1, PID), (120, 130, 2, PID), (140, 150, 3, PID), (90, 95, 4, PID)]
    else:  # calls touching range bounds, zero-length calls, an id from another process
        nvtx += [(10, 50, 59, "r", T1, None, 0), (50, 50, 59, "zero", T1, None, 0), (10, 50, 70, "nvtxt", T2, None, 0)]
        calls = [(10, 12, T1, 1), (48, 50, T1, 2), (50, 50, T1, 3), (50, 51, T1, 4), (10, 50, T2, 5)]
        ops = [(100, 110, 1, PID), (120, 130, 2, PID), (140, 150, 3, PID), (160, 170, 4, PID), (180, 190, 5, PID),
               (180, 190, 1, PID + (1 << 24))]
    path = _export(tmp_path / f"{case}.sqlite", nvtx, calls, ops)
    assert check_against_reference_small(path) > 0


def check_against_reference_small(path: Path) -> int:
    ref = reference_trace(path)
    con = open_readonly(path)
    try:
        tables = _tables(con)
        tr = nvtx_proj.trace_frame(con, tables)
        frame = nvtx_proj.nvtx_gpu_proj_sum(con, tables)
    finally:
        con.close()
    trace = {int(r.rowid): (r.name, r.style, int(r.proj_start_ns), int(r.proj_ns), int(r.range_ns), int(r.gpu_ops),
                            int(r.level), int(r.children)) for r in tr.itertuples()}
    assert trace == ref
    want = reference_summary(ref)
    got = {(r["name"], r["style"]): {k: r[k] for k in want[(r["name"], r["style"])]} for r in frame.to_dict("records")}
    assert got == want
    return len(ref)


def test_reports_the_reason_when_it_cannot_be_computed() -> None:
    s = summarise(DATA / "nsys" / "nsight-2025.5.2.sqlite")
    assert s.missing["nvtx_gpu_proj_sum"] == "no NVTX_EVENTS table (profile with --trace=nvtx)"


def test_factorised_ids_give_the_same_answer(monkeypatch: pytest.MonkeyPatch,
                                             h100_ref: dict[int, tuple[Any, ...]]) -> None:
    """Ids that do not pack into one int64 key (a VM id or process over 2^31) take the factorised join: same
    answer on the real export (forced here by a key expression that always gives NULL)."""
    monkeypatch.setattr(nvtx_proj, "PACKED_KEY", "NULL")
    trace, _ = ours(H100)
    assert trace == h100_ref


def test_large_exports_leave_it_out_and_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over PROJECTION_MAX_ROWS API calls + NVTX events it is left out by default with the reason (the other
    summaries keep issue 16's 10M-kernel targets); projection=True computes it anyway, False never."""
    from trtinspect.parsers.nsys import stats as stats_mod

    monkeypatch.setattr(stats_mod, "PROJECTION_MAX_ROWS", 1000)
    s = summarise(H100)
    assert "nvtx_gpu_proj_sum" not in s.reports
    why = s.missing["nvtx_gpu_proj_sum"]
    assert why.startswith("not computed: 22,578 CUDA API calls + NVTX events exceed 1,000") and "projection=True" in why
    assert "nvtx_gpu_proj_sum" in summarise(H100, projection=True).reports
    assert "left out by the caller" in summarise(H100, projection=False).missing["nvtx_gpu_proj_sum"]


def test_report_prints_it_in_every_format() -> None:
    """`trtinspect report` shows nvtx_gpu_proj_sum: text and Markdown with nsys' headers (six columns, the rest
    in JSON), JSON with every column; the figures are the summary frame's."""
    from click.testing import CliRunner

    from trtinspect.cli import cli

    frame = summarise(H100).reports["nvtx_gpu_proj_sum"]
    top = frame.iloc[0]
    text = CliRunner().invoke(cli, ["report", str(H100)]).output
    assert "NVTX GPU Projection Summary (nvtx_gpu_proj_sum, first 10 of 3,212 rows" in text
    assert "Total Proj Time (ns)" in text and str(int(top["total_proj_ns"])) in text
    md = CliRunner().invoke(cli, ["report", str(H100), "--format", "markdown"]).output
    assert "| Total Proj Time (ns) | Range Instances | Proj Med (ns) | Total GPU Ops | Avg Range Lvl | Range |" in md
    js = CliRunner().invoke(cli, ["report", str(H100), "--format", "json"]).output
    import json

    rep = json.loads(js)["nsys"]["reports"]["nvtx_gpu_proj_sum"]
    assert rep["total_rows"] == len(frame) and rep["title"] == "NVTX GPU Projection Summary"
    row = rep["rows"][0]
    assert set(row) == set(schema.NSYS_NVTX_PROJ_SUM) - {"report"}
    assert row["total_proj_ns"] == int(top["total_proj_ns"]) and row["avg_children"] == float(top["avg_children"])

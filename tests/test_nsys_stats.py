"""nsys stats summaries (parsers.nsys.stats) against direct SQL on the real exports in tests/data/nsys.

The reference side of every test is written independently of the module: plain SQL that fetches every
(group, value) row the way nsys' report SQL selects them, then Python's ``statistics`` for the median and the
sample standard deviation, and SQLite's own ``round(x, 1)``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from trtinspect.parsers import schema
from trtinspect.parsers.nsys.stats import (
    api_display_name,
    group_stats,
    round1,
    summarise,
)

DATA = Path(__file__).parent / "data" / "nsys"
H100 = DATA / "h100_2gpu_1s.sqlite"
RTX3060 = DATA / "nsight-2025.5.2.sqlite"
REAL = [H100, RTX3060]

# nvtx_sum's row selection as nsys writes it (domains CTE, maxts for open ranges, StringIds text first).
NVTX_SQL = """
WITH domains AS (
    SELECT min(start), domainId AS id, globalTid AS globalTid, text AS name
    FROM NVTX_EVENTS WHERE eventType == 75 GROUP BY 2, 3),
maxts AS (SELECT max(max(start), max(end)) AS m FROM NVTX_EVENTS)
SELECT
    CASE WHEN d.name NOT NULL AND sid.value IS NOT NULL THEN d.name || ':' || sid.value
         WHEN d.name NOT NULL AND sid.value IS NULL THEN d.name || ':' || ne.text
         WHEN d.name IS NULL AND sid.value NOT NULL THEN sid.value
         ELSE ne.text END,
    CASE ne.eventType WHEN 59 THEN 'PushPop' WHEN 60 THEN 'StartEnd' WHEN 70 THEN 'PushPop'
         WHEN 71 THEN 'StartEnd' ELSE 'Unknown' END,
    coalesce(ne.end, (SELECT m FROM maxts)) - ne.start
FROM NVTX_EVENTS AS ne
LEFT JOIN domains AS d ON ne.domainId == d.id
    AND (ne.globalTid & 0x0000FFFFFF000000) == (d.globalTid & 0x0000FFFFFF000000)
LEFT JOIN StringIds AS sid ON ne.textId == sid.id
WHERE ne.eventType IN (59, 60, 70, 71)
"""
REFERENCE_SQL: dict[str, str] = {
    "cuda_gpu_kern_sum": "SELECT s.value, NULL, k.end - k.start FROM CUPTI_ACTIVITY_KIND_KERNEL k "
    "JOIN StringIds s ON s.id = k.demangledName",
    "cuda_api_sum": "SELECT s.value, NULL, r.end - r.start FROM CUPTI_ACTIVITY_KIND_RUNTIME r "
    "JOIN StringIds s ON s.id = r.nameId",
    "osrt_sum": "SELECT s.value, NULL, o.end - o.start FROM OSRT_API o JOIN StringIds s ON s.id = o.nameId "
    "WHERE o.eventClass = 27",
    "nvtx_sum": NVTX_SQL,
}
MEM_SQL = (
    "SELECT '[CUDA memcpy ' || e.label || ']', m.end - m.start, m.bytes FROM CUPTI_ACTIVITY_KIND_MEMCPY m "
    "JOIN ENUM_CUDA_MEMCPY_OPER e ON e.id = m.copyKind"
)
MEMSET_SQL = "SELECT '[CUDA memset]', end - start, bytes FROM CUPTI_ACTIVITY_KIND_MEMSET"


def _con(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def _sql_round(con: sqlite3.Connection, x: float) -> float:
    return float(con.execute("SELECT round(?, 1)", (x,)).fetchone()[0])


def _reference(con: sqlite3.Connection, rows: list[tuple[Any, Any, int]]) -> pd.DataFrame:
    groups: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for name, style, value in rows:
        groups[(name, style)].append(int(value))
    grand = sum(sum(v) for v in groups.values())
    out = []
    for (name, style), v in groups.items():
        out.append(
            {
                "name": name,
                "style": style,
                "time_pct": _sql_round(con, sum(v) * 100.0 / grand),
                "total_ns": sum(v),
                "instances": len(v),
                "avg_ns": _sql_round(con, sum(v) / len(v)),
                "median_ns": _sql_round(con, statistics.median(v)),
                "min_ns": min(v),
                "max_ns": max(v),
                "stddev_ns": _sql_round(con, statistics.stdev(v)) if len(v) > 1 else 0.0,
            }
        )
    return pd.DataFrame(out)


def _present(path: Path) -> list[str]:
    with _con(path) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    need = {"cuda_gpu_kern_sum": "CUPTI_ACTIVITY_KIND_KERNEL", "cuda_api_sum": "CUPTI_ACTIVITY_KIND_RUNTIME",
            "osrt_sum": "OSRT_API", "nvtx_sum": "NVTX_EVENTS"}
    return [r for r, t in need.items() if t in tables]


@pytest.fixture(scope="module")
def stats() -> dict[Path, Any]:
    return {p: summarise(p) for p in REAL}


CASES = [(p, r) for p in REAL for r in _present(p)]


@pytest.mark.parametrize(("path", "report"), CASES, ids=[f"{p.stem}-{r}" for p, r in CASES])
def test_time_summaries_equal_direct_sql(stats: dict[Path, Any], path: Path, report: str) -> None:
    with _con(path) as con:
        ref = _reference(con, con.execute(REFERENCE_SQL[report]).fetchall())
    got = stats[path].reports[report]
    if report == "cuda_api_sum":
        ref["name"] = ref["name"].map(api_display_name)
    assert len(got) == len(ref) > 0
    key = ["name", "style"] if report == "nvtx_sum" else ["name"]
    merged = got.merge(ref, on=key, suffixes=("", "_ref"), validate="1:1")
    assert len(merged) == len(ref)
    for col in ("time_pct", "total_ns", "instances", "avg_ns", "median_ns", "min_ns", "max_ns", "stddev_ns"):
        assert (merged[col].astype(float) == merged[f"{col}_ref"].astype(float)).all(), col
    # nsys' order: total time, highest first
    assert got["total_ns"].is_monotonic_decreasing
    assert (got["report"] == report).all()


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_memops_by_time_and_size_equal_direct_sql(stats: dict[Path, Any], path: Path) -> None:
    with _con(path) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        rows = con.execute(MEM_SQL).fetchall()
        if "CUPTI_ACTIVITY_KIND_MEMSET" in tables:
            rows += con.execute(MEMSET_SQL).fetchall()
        by_time = _reference(con, [(n, None, d) for n, d, _ in rows])
    got = stats[path].reports["cuda_gpu_mem_time_sum"]
    merged = got.merge(by_time, on="name", suffixes=("", "_ref"), validate="1:1")
    assert len(merged) == len(by_time) == len(got) > 0
    for col in ("time_pct", "total_ns", "instances", "avg_ns", "median_ns", "stddev_ns", "min_ns", "max_ns"):
        assert (merged[col].astype(float) == merged[f"{col}_ref"].astype(float)).all(), col
    size = stats[path].reports["cuda_gpu_mem_size_sum"]
    for name, grp in pd.DataFrame(rows, columns=["name", "dur", "bytes"]).groupby("name"):
        row = size[size["name"] == name].iloc[0]
        b = grp["bytes"].astype(int).tolist()
        assert row["total_bytes"] == sum(b) and row["count"] == len(b)
        assert row["median_bytes"] == statistics.median(b) and row["min_bytes"] == min(b)
        assert row["stddev_bytes"] == pytest.approx(statistics.stdev(b) if len(b) > 1 else 0.0, rel=1e-12)
    assert size["total_bytes"].is_monotonic_decreasing


def test_h100_headline_figures(stats: dict[Path, Any]) -> None:
    """The figures issue 16 says `report` left out: kernel count, kernel time, memcpy count."""
    s = stats[H100]
    k = s.reports["cuda_gpu_kern_sum"]
    assert int(k["instances"].sum()) == 3442 == s.kernel_count
    m = s.reports["cuda_gpu_mem_time_sum"]
    assert int(m[m["name"].str.startswith("[CUDA memcpy")]["instances"].sum()) == 904
    assert set(s.missing) == {"osrt_sum"}
    assert not s.tensorrt and "TensorRT" in s.tensorrt_evidence
    # per process / device / stream: two processes, one GPU each
    st = s.streams
    assert sorted(st["pid"].tolist()) == [111, 112] and sorted(st["device_id"].tolist()) == [0, 1]
    assert int(st["kernels"].sum()) == 3442 and int(st["memcpys"].sum()) == 904
    assert int(st["kernel_ns"].sum()) == int(k["total_ns"].sum())


def test_osrt_present_only_where_traced(stats: dict[Path, Any]) -> None:
    assert "osrt_sum" in stats[RTX3060].reports and "osrt_sum" not in stats[H100].reports
    assert "nvtx_sum" not in stats[RTX3060].reports and "NVTX_EVENTS" in stats[RTX3060].missing["nvtx_sum"]


def test_by_process_device_stream_splits_without_losing_rows() -> None:
    s = summarise(H100, by=("pid", "device_id", "stream_id"))
    k = s.reports["cuda_gpu_kern_sum"]
    assert k["pid"].notna().all() and set(k["pid"]) == {111, 112}
    with _con(H100) as con:
        rows = con.execute(
            "SELECT (globalPid >> 24) & 16777215, s.value, count(*), sum(end - start) FROM "
            "CUPTI_ACTIVITY_KIND_KERNEL k JOIN StringIds s ON s.id = k.demangledName GROUP BY 1, 2"
        ).fetchall()
    got = {(int(r.pid), r.name): (int(r.instances), int(r.total_ns)) for r in k.itertuples()}
    assert got == {(pid, name): (n, t) for pid, name, n, t in rows}


def test_group_stats_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    for trial in range(30):
        n = int(rng.integers(1, 400))
        codes = rng.integers(0, int(rng.integers(1, 12)), n)
        big = trial % 3 == 0
        values = rng.integers(-(2**40) if big else 0, 2**40 if big else 50, n)  # ties when small
        st = group_stats(codes, values)
        for i, g in enumerate(st.group):
            v = sorted(int(x) for x in values[codes == g])
            assert st.count[i] == len(v) and st.total[i] == sum(v)
            assert st.median[i] == statistics.median(v)
            assert st.minimum[i] == v[0] and st.maximum[i] == v[-1]
            sd = statistics.stdev(v) if len(v) > 1 else 0.0
            assert st.stddev[i] == pytest.approx(sd, rel=1e-9, abs=1e-9)


def test_round1_is_sqlite_round() -> None:
    rng = np.random.default_rng(3)
    values = np.r_[rng.integers(0, 10**9, 2000) / 2.0, rng.integers(0, 10**7, 2000) / 4.0, [0.05, 0.15, 2.25]]
    with sqlite3.connect(":memory:") as con:
        expected = [float(con.execute("SELECT round(?, 1)", (float(v),)).fetchone()[0]) for v in values]
    assert round1(values).tolist() == expected


def test_api_names_drop_the_four_digit_version_suffix() -> None:
    assert api_display_name("cudaLaunchKernel_v7000") == "cudaLaunchKernel"
    assert api_display_name("cudaMemcpyAsync_v3020") == "cudaMemcpyAsync"
    assert api_display_name("cudaStreamIsCapturing_v10000") == "cudaStreamIsCapturing_v10000"
    assert api_display_name("cuKernelGetName") == "cuKernelGetName"


def test_frames_follow_their_schemas(stats: dict[Path, Any]) -> None:
    for s in stats.values():
        for name, frame in s.reports.items():
            want = {"cuda_gpu_mem_size_sum": schema.NSYS_STAT_SIZE,
                    "nvtx_gpu_proj_sum": schema.NSYS_NVTX_PROJ_SUM}.get(name, schema.NSYS_STAT_SUM)
            assert list(frame.columns) == list(want)
            assert {c: str(t) for c, t in frame.dtypes.items()} == want
        assert list(s.streams.columns) == list(schema.NSYS_STREAMS)


def test_summarise_never_writes(tmp_path: Path) -> None:
    copy = tmp_path / H100.name
    copy.write_bytes(H100.read_bytes())
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    summarise(copy)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [H100.name]  # no -wal, -shm, -journal


def test_tensorrt_domain_of_generated_export(nsys_generated: tuple[Path, dict[str, Any]]) -> None:
    path, truth = nsys_generated
    s = summarise(path)
    assert s.tensorrt and "TensorRT domain" in s.tensorrt_evidence
    nv = s.reports["nvtx_sum"]
    layer = truth["layers"][0]
    row = nv[nv["name"] == f"TensorRT:{layer}"]
    assert len(row) == 1 and row["style"].iloc[0] == "PushPop"
    with _con(path) as con:
        ref = _reference(con, con.execute(NVTX_SQL).fetchall())
    merged = nv.merge(ref, on=["name", "style"], suffixes=("", "_ref"), validate="1:1")
    assert len(merged) == len(nv) == len(ref)
    assert (merged["median_ns"] == merged["median_ns_ref"]).all()
    assert (merged["stddev_ns"] == merged["stddev_ns_ref"]).all()


def test_not_an_export(tmp_path: Path) -> None:
    from trtinspect.errors import TrtInspectError

    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE t (x)")
    with pytest.raises(TrtInspectError, match="not an nsys export"):
        summarise(db)


def test_agrees_with_nsys_ai_figures(stats: dict[Path, Any]) -> None:
    """nsys-ai 0.3.0's top_kernels and memory_transfers on the same file (tests/data/nsys/*nsys-ai*.json):
    per kernel name count, total/avg/min/max in ms (SQLite-rounded to 2 decimals); per copy kind count,
    total ms and MB."""
    import json

    peer = json.loads((DATA / "nsys-ai-0.3.0_h100_2gpu_1s.json").read_text(encoding="utf-8"))
    k = stats[H100].reports["cuda_gpu_kern_sum"].set_index("name")
    assert len(peer["top_kernels"]) == len(k) == 41
    with sqlite3.connect(":memory:") as con:

        def r2(ns: float) -> float:
            return float(con.execute("SELECT round(? / 1e6, 2)", (float(ns),)).fetchone()[0])

        for row in peer["top_kernels"]:
            ours = k.loc[row["kernel_name"]]
            assert int(ours["instances"]) == row["invocations"]
            assert r2(ours["total_ns"]) == row["total_ms"]
            assert r2(ours["min_ns"]) == row["min_ms"] and r2(ours["max_ns"]) == row["max_ms"]
            assert abs(float(ours["total_ns"]) / float(ours["instances"]) / 1e6 - row["avg_ms"]) <= 0.005 + 1e-12
        m = stats[H100].reports["cuda_gpu_mem_time_sum"].set_index("name")
        size = stats[H100].reports["cuda_gpu_mem_size_sum"].set_index("name")
        labels = {1: "Host-to-Device", 2: "Device-to-Host", 8: "Device-to-Device"}
        for row in peer["memory_transfers"]:
            name = f"[CUDA memcpy {labels[row['copyKind']]}]"
            assert int(m.loc[name, "instances"]) == row["count"]
            assert r2(m.loc[name, "total_ns"]) == row["total_ms"]
            assert round(int(size.loc[name, "total_bytes"]) / 1e6, 2) == row["total_mb"]


def test_dashboard_section_shows_the_summaries() -> None:
    """The web app's engine page gets one dash-ag-grid grid per nsys stats report for an nsys bundle (none
    otherwise), built in-process; nvtx_gpu_proj_sum has nsys' columns."""
    import dash_ag_grid as dag

    import trtinspect
    from trtinspect.app.nsys_section import MAX_ROWS, nsys_section

    section = nsys_section(trtinspect.load(H100))
    assert section is not None and section.id == "nsys-stats"
    tables = {c.id: c for c in section.children if isinstance(c, dag.AgGrid)}
    assert set(tables) == {"nsys-cuda_gpu_kern_sum", "nsys-cuda_gpu_mem_time_sum", "nsys-cuda_gpu_mem_size_sum",
                           "nsys-cuda_api_sum", "nsys-nvtx_sum", "nsys-nvtx_gpu_proj_sum", "nsys-streams"}
    assert len(tables["nsys-cuda_gpu_kern_sum"].rowData) == 41
    assert tables["nsys-cuda_gpu_kern_sum"].rowData[0]["total_ns"] == 31121662
    proj = tables["nsys-nvtx_gpu_proj_sum"]
    assert [d["headerName"] for d in proj.columnDefs][:5] == ["Range", "Style", "Total Proj Time (ns)",
                                                             "Total Range Time (ns)", "Range Instances"]
    assert len(proj.rowData) == MAX_ROWS and proj.rowData[0]["total_proj_ns"] == 159024604
    numeric = {d["field"] for d in proj.columnDefs if d.get("type") == "numericColumn"}
    assert "name" not in numeric and "total_proj_ns" in numeric
    assert not any(type(c).__name__ == "DataTable" for c in section.children)
    assert "No TensorRT activity" in str(section.children[1].children)
    assert nsys_section(trtinspect.load("sample:resnet18-a100/qat")) is None


@pytest.mark.parametrize("which", ["h100", "rtx3060", "generated"])
def test_summaries_from_loaded_frames_equal_the_sql_scan(which: str, nsys_generated: tuple[Path, Any]) -> None:
    """A TensorRT export is read into frames for attribution; its kernel/API/memory summaries are then taken
    from those frames. They must equal the SQL scan's, row for row."""
    from trtinspect.parsers.nsys.sqlite import read_nsys_sqlite

    path = {"h100": H100, "rtx3060": RTX3060, "generated": nsys_generated[0]}[which]
    sql = summarise(path)
    frames = summarise(path, export=read_nsys_sqlite(path))
    assert set(sql.reports) == set(frames.reports)
    for name, frame in sql.reports.items():
        key = ["name", "style"] if name == "nvtx_sum" else ["name"]
        a = frame.sort_values(key, ignore_index=True)
        b = frames.reports[name].sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(a, b, check_like=False)
    pd.testing.assert_frame_equal(sql.streams, frames.streams)

"""nsys SQLite reader against the real exports: every number is checked against direct SQL on the file."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import DATA

from trtinspect.cli import main
from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.nsys.sqlite import NsysExport, read_nsys_sqlite, resolve_table

H100 = DATA / "nsys" / "h100_2gpu_1s.sqlite"
RTX3060 = DATA / "nsys" / "nsight-2025.5.2.sqlite"
REAL = [H100, RTX3060]


def sql(path: Path, query: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def one(path: Path, query: str):
    return sql(path, query)[0][0]


@pytest.fixture(scope="module")
def exports() -> dict[Path, NsysExport]:
    return {p: read_nsys_sqlite(p) for p in REAL}


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_counts_and_totals_equal_sql(exports: dict[Path, NsysExport], path: Path) -> None:
    e = exports[path]
    assert len(e.kernels) == one(path, "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL")
    assert int(e.kernels["duration_ns"].sum()) == one(
        path, 'SELECT sum("end" - start) FROM CUPTI_ACTIVITY_KIND_KERNEL'
    )
    assert len(e.runtime) == one(path, "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_RUNTIME")
    memcpy = dict(
        sql(
            path,
            "SELECT e.label, sum(m.bytes) FROM CUPTI_ACTIVITY_KIND_MEMCPY m "
            "JOIN ENUM_CUDA_MEMCPY_OPER e ON e.id = m.copyKind GROUP BY e.label",
        )
    )
    got = e.memops[e.memops["op"] == "memcpy"].groupby("direction", observed=True)["bytes"].sum()
    assert {k: int(v) for k, v in got.items()} == memcpy
    assert e.schema_version == one(
        path, "SELECT value FROM META_DATA_EXPORT WHERE name='EXPORT_SCHEMA_VERSION'"
    )
    assert e.product_version == one(
        path, "SELECT value FROM META_DATA_EXPORT WHERE name='EXPORT_PRODUCT_VERSION'"
    )
    # kernel names through StringIds
    names = dict(
        sql(
            path,
            "SELECT s.value, count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL k "
            "JOIN StringIds s ON s.id = k.shortName GROUP BY s.value",
        )
    )
    assert e.kernels["short_name"].value_counts().to_dict() == names


def test_h100_specifics(exports: dict[Path, NsysExport]) -> None:
    e = exports[H100]
    assert (len(e.kernels), e.schema_version) == (3442, "3.25.0")  # as PROVENANCE.md states
    assert int((e.memops["op"] == "memcpy").sum()) == 904
    assert int((e.memops["op"] == "memset").sum()) == one(
        H100, "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_MEMSET"
    )
    by_domain = dict(
        sql(H100, "SELECT domainId, count(*) FROM NVTX_EVENTS WHERE eventType = 59 GROUP BY domainId")
    )
    pp = e.nvtx[e.nvtx["event_type"] == 59]
    assert pp.groupby("domain_id").size().to_dict() == by_domain
    assert len(pp) == 16782
    assert set(pp["domain"].astype(str)) == {"default"}
    # pid/tid decoded from globalTid as nsys documents it
    expect = sorted(
        sql(H100, "SELECT DISTINCT (globalTid >> 24) & 16777215, globalTid & 16777215 FROM NVTX_EVENTS")
    )
    got = sorted({(int(a), int(b)) for a, b in zip(e.nvtx["pid"], e.nvtx["tid"], strict=True)})
    assert got == expect
    assert set(e.kernels["pid"].astype(int)) == {
        r[0]
        for r in sql(
            H100,
            "SELECT DISTINCT pid FROM PROCESSES WHERE globalPid IN "
            "(SELECT globalPid FROM CUPTI_ACTIVITY_KIND_KERNEL)",
        )
    }
    # NULLs preserved: NVTX text NULL <-> textId used; graph ids all NULL here
    assert e.kernels["graph_id"].isna().sum() == one(
        H100, "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE graphId IS NULL"
    )
    assert e.gpus.empty and any("GPU information" in n for n in e.notes)
    assert not e.uses_cuda_graphs


def test_3060_gpu_and_cuda_graphs(exports: dict[Path, NsysExport]) -> None:
    e = exports[RTX3060]
    assert e.gpus["name"].tolist() == [one(RTX3060, "SELECT name FROM TARGET_INFO_GPU")]
    assert int(e.gpus["sm_count"].iloc[0]) == one(RTX3060, "SELECT smCount FROM TARGET_INFO_GPU")
    assert e.gpus["compute_capability"].iloc[0] == "{}.{}".format(
        *sql(RTX3060, "SELECT computeMajor, computeMinor FROM TARGET_INFO_GPU")[0]
    )
    launches = one(
        RTX3060,
        "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_RUNTIME r JOIN StringIds s ON s.id = r.nameId "
        "WHERE s.value LIKE 'cudaGraphLaunch%'",
    )
    assert launches > 0 and e.cuda_graph["graph_launches"] == launches
    assert (
        len(e.graph_execs)
        == e.cuda_graph["graph_trace_rows"]
        == one(RTX3060, "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_GRAPH_TRACE")
    )
    assert e.uses_cuda_graphs
    assert e.nvtx.empty and "nvtx" not in e.tables_present


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_frames_follow_schemas(exports: dict[Path, NsysExport], path: Path) -> None:
    e = exports[path]
    for frame, s in (
        (e.kernels, schema.NSYS_KERNELS),
        (e.memops, schema.NSYS_MEMOPS),
        (e.runtime, schema.NSYS_RUNTIME),
        (e.nvtx, schema.NSYS_NVTX),
        (e.gpus, schema.NSYS_GPUS),
        (e.graph_execs, schema.NSYS_KERNELS),
    ):
        assert list(frame.columns) == list(s)
        assert {c: str(t) for c, t in frame.dtypes.items()} == s


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_files_unchanged_after_reading(tmp_path: Path, path: Path) -> None:
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    mtime = copy.stat().st_mtime_ns
    read_nsys_sqlite(copy)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    assert copy.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no journal / wal / shm left


def test_progress_callback_reports_each_table() -> None:
    calls: list[tuple[str, int, int]] = []
    read_nsys_sqlite(H100, progress=lambda s, d, t: calls.append((s, d, t)))
    final = {s: (d, t) for s, d, t in calls}
    assert final["kernels"] == (3442, 3442)
    assert final["nvtx"] == (16782, 16782)


# ---------------------------------------------------------------------------------------------- schema drift
def _mutated(tmp_path: Path, statements: list[str]) -> Path:
    out = tmp_path / "mutated.sqlite"
    shutil.copy(RTX3060, out)
    con = sqlite3.connect(out)
    for st in statements:
        con.execute(st)
    con.commit()
    con.close()
    return out


def test_versioned_tables_older_gpu_table_and_missing_columns(tmp_path: Path) -> None:
    path = _mutated(
        tmp_path,
        [
            "ALTER TABLE CUPTI_ACTIVITY_KIND_KERNEL RENAME TO CUPTI_ACTIVITY_KIND_KERNEL_V10",
            "CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL_V2 (start INTEGER)",
            "ALTER TABLE CUPTI_ACTIVITY_KIND_KERNEL_V10 DROP COLUMN graphId",
            "ALTER TABLE TARGET_INFO_GPU RENAME TO TARGET_INFO_CUDA_GPU",
            "ALTER TABLE TARGET_INFO_CUDA_GPU RENAME COLUMN smCount TO numMultiprocessors",
            "DROP TABLE ENUM_CUDA_MEMCPY_OPER",
        ],
    )
    e = read_nsys_sqlite(path)
    assert e.tables_present["kernels"] == "CUPTI_ACTIVITY_KIND_KERNEL_V10"  # _V10 > _V2 as integers
    assert len(e.kernels) == one(RTX3060, "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL")
    assert e.kernels["graph_id"].isna().all()
    assert int(e.gpus["sm_count"].iloc[0]) == one(RTX3060, "SELECT smCount FROM TARGET_INFO_GPU")
    assert e.memops["direction"].astype(str).tolist() == ["Host-to-Device"]
    assert any("ENUM_CUDA_MEMCPY_OPER" in n for n in e.notes)


def test_resolve_table_prefers_plain_name() -> None:
    assert resolve_table(["X_V2", "X", "X_V3"], ["X"]) == "X"
    assert resolve_table(["X_V9", "X_V10"], ["X"]) == "X_V10"
    assert resolve_table(["Y"], ["X"]) is None


# ---------------------------------------------------------------------------------------------- bad input
def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    files: dict[str, tuple[Path, str]] = {}
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    files["empty"] = (empty, "empty")
    text = tmp_path / "notes.sqlite"
    text.write_text("hello, this is not a database\n")
    files["text"] = (text, "not an SQLite database")
    trunc = tmp_path / "truncated.sqlite"
    trunc.write_bytes(H100.read_bytes()[:5000])
    files["truncated"] = (trunc, "corrupt")
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(H100.read_bytes()[:100] + bytes(range(256)) * 40)
    files["garbage"] = (garbage, "corrupt")
    rep = tmp_path / "run.nsys-rep"
    rep.write_bytes(b"\x00\x01binary report")
    files["nsys-rep"] = (rep, "nsys export --type sqlite --output")
    qd = tmp_path / "run.qdstrm"
    qd.write_bytes(b"\x00stream")
    files["qdstrm"] = (qd, "QdstrmImporter")
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (a INTEGER)")
    con.commit()
    con.close()
    files["other-db"] = (other, "not an nsys export")
    nokern = _mutated(tmp_path, ["DELETE FROM CUPTI_ACTIVITY_KIND_KERNEL"])
    files["no-kernels"] = (nokern, "without CUDA kernels")
    files["missing"] = (tmp_path / "nope.sqlite", "no such file")
    files["directory"] = (tmp_path, "directory")
    return files


def test_bad_input_one_line_errors(tmp_path: Path) -> None:
    for label, (path, expected) in _bad_files(tmp_path).items():
        with pytest.raises(TrtInspectError) as info:
            read_nsys_sqlite(path)
        msg = str(info.value)
        assert expected in msg, (label, msg)
        assert "\n" not in msg and str(path) in msg, (label, msg)


def test_cli_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _bad_files(tmp_path)
    for label in ("text", "truncated", "nsys-rep"):
        path = bad[label][0]
        with pytest.raises(SystemExit) as info:
            main(["report", str(path)])
        err = capsys.readouterr().err
        assert info.value.code == 2, (label, err)
        assert "Traceback" not in err and err.count("\n") == 1 and str(path) in err, (label, err)
    # an export without kernels is still an export: its other summaries, and why the kernel one is absent
    main(["report", str(bad["no-kernels"][0])])
    out = capsys.readouterr().out
    assert "cuda_gpu_kern_sum: no rows" in out and "CUDA API Summary" in out and "no TensorRT activity" in out

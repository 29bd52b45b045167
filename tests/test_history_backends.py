"""The history store on SQLite and on a real PostgreSQL server: recording, 4 concurrent writer processes, a
writer killed with SIGKILL mid-transaction, schema versions (reading and migrating the version-1 layout,
refusing a newer one). Every test runs on both backends with the same integrity checks.

PostgreSQL: set ``TRTINSPECT_TEST_PG_URL`` to a server URL whose user may create databases (``.ci/run`` starts a
throwaway server with ``.ci/postgres``); each test gets its own fresh database. Without it, those tests skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import DATA, REPO, RESNET

import trtinspect
from trtinspect.errors import TrtInspectError
from trtinspect.inspector import history
from trtinspect.inspector.check import CheckResult, run_check

PG_ENV = "TRTINSPECT_TEST_PG_URL"
WRITER = REPO / "tests" / "history_writer.py"
V1_STORE = DATA / "history" / "v1-store.sqlite"


@pytest.fixture(scope="module")
def qat() -> trtinspect.EngineBundle:
    return trtinspect.load(RESNET / "qat")


@pytest.fixture(scope="module")
def rerun(qat_rerun: Path) -> trtinspect.EngineBundle:
    """A GENERATED second run of qat (conftest.qat_rerun; history_writer.py derives the same one)."""
    return trtinspect.load(qat_rerun)


@pytest.fixture(scope="module")
def aa(qat: trtinspect.EngineBundle, rerun: trtinspect.EngineBundle) -> CheckResult:
    return run_check([qat], [rerun])


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"no PostgreSQL server: set ${PG_ENV} (.ci/run starts one with .ci/postgres)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'trtinspect[postgres]')")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server reachable at ${PG_ENV}: {str(exc.orig).splitlines()[0]}")
    yield engine
    engine.dispose()


def _pg_database(admin: sa.Engine) -> Iterator[str]:
    name = f"trtinspect_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL where no store exists yet: a new SQLite path, or a fresh empty PostgreSQL database."""
    if request.param == "sqlite":
        yield history.as_url(tmp_path / "h.sqlite")
        return
    yield from _pg_database(request.getfixturevalue("pg_admin"))


def _counts(url: str) -> dict[str, int]:
    s = history.summary(history.connect(url, create=False))
    return {k: s[k] for k in ("runs", "group_measurements", "layer_measurements")}


def _assert_sound(url: str, n_checks: int, result: CheckResult, layers_per_check: int) -> None:
    """The integrity checks every backend gets: the store's own check, no orphan or partial rows, exact counts."""
    engine = history.connect(url, create=False)
    assert history.verify(engine) == []
    assert _counts(url) == {
        "runs": n_checks,
        "group_measurements": n_checks * len(result.groups),
        "layer_measurements": n_checks * layers_per_check,
    }
    runs = history.list_runs(engine=engine, limit=1000)
    assert len(set(runs["id"])) == n_checks
    assert set(runs["n_group_rows"]) <= {len(result.groups)}
    assert set(runs["n_layer_rows"]) <= {layers_per_check}
    engine.dispose()


def _writer(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def test_record_and_read(store_url: str, qat: trtinspect.EngineBundle, rerun: trtinspect.EngineBundle,
                         aa: CheckResult) -> None:
    cand = trtinspect.load(RESNET / "qat-residual")
    r2 = run_check([qat], [cand])
    id1 = history.record(aa, [qat], [rerun], store_url)
    id2 = history.record(r2, [qat], [cand], store_url)
    runs = history.list_runs(store_url)
    assert list(runs["id"]) == [id2, id1]
    assert list(runs["verdict"]) == [r2.verdict, aa.verdict]
    assert runs.iloc[0]["e2e_cand_ms"] == pytest.approx(r2.end_to_end.cand_ms)
    assert runs.iloc[0]["tool_version"] == history.store.tool_version()
    engine = history.connect(store_url, create=False)
    assert sorted(history.engine_names(engine)) == sorted({qat.name, cand.name})
    layer = str(qat.profile["name"].iloc[1])
    assert layer in history.labels(engine, qat.name)
    trend = history.layer_trend(layer, engine=engine)
    want = float(qat.profile.set_index("name").loc[layer, "avg_ms"])
    assert trend[trend["what"] == "layer"]["base_ms"].tolist() == pytest.approx([want, want])
    assert history.verify(engine) == []


def test_four_concurrent_writers(store_url: str, qat: trtinspect.EngineBundle, aa: CheckResult) -> None:
    """4 processes record 3 checks each into a store none of them finds (all race to create it)."""
    procs = [_writer(store_url, "record", "3") for _ in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    _assert_sound(store_url, 12, aa, 2 * len(qat.profile))


def test_writer_killed_mid_transaction(store_url: str, qat: trtinspect.EngineBundle, rerun: trtinspect.EngineBundle,
                                       aa: CheckResult) -> None:
    """SIGKILL while a check's rows are written but not committed: the store keeps exactly what it had."""
    history.record(aa, [qat], [rerun], store_url)
    before = _counts(store_url)
    p = _writer(store_url, "hang")
    assert p.stdout is not None
    line = p.stdout.readline()
    assert line.strip() == "mid-transaction", p.stderr.read() if p.stderr else ""
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    # a reader comes first (SQLite: replays the journal the killed writer left), then a writer
    _assert_sound(store_url, 1, aa, 2 * len(qat.profile))
    assert _counts(store_url) == before
    history.record(aa, [qat], [rerun], store_url)
    _assert_sound(store_url, 2, aa, 2 * len(qat.profile))


def test_reading_creates_nothing(store_url: str) -> None:
    """A reader given a store that does not exist yet (a new path, an empty database) refuses and creates nothing."""
    with pytest.raises(TrtInspectError, match=r"no history database here yet|holds no trtinspect history"):
        history.connect(store_url, create=False)
    path = history.store.sqlite_path(store_url)
    if path is not None:
        assert not path.exists() and list(path.parent.iterdir()) == []
        return
    engine = sa.create_engine(store_url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


# ------------------------------------------------------------------------------------------- schema versions
V1_METADATA = sa.MetaData()
V1_RUNS = sa.Table(
    "runs",
    V1_METADATA,
    *[
        sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in history.runs_table.c
        if c.name not in history.V2_ONLY
    ],
)
V1_GROUPS = history.groups_table.to_metadata(V1_METADATA)
V1_LAYERS = history.layers_table.to_metadata(V1_METADATA)


def _v1_store(store_url: str, tmp_path: Path) -> str:
    """The version-1 layout: for SQLite the real file trtinspect 0.1.0 wrote (tests/data/history), for
    PostgreSQL the same tables and rows copied into the server."""
    src = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(f"{V1_STORE.as_uri()}?mode=ro", uri=True))
    if store_url.startswith("sqlite"):
        path = tmp_path / "v1.sqlite"
        shutil.copyfile(V1_STORE, path)
        return history.as_url(path)
    dst = sa.create_engine(store_url)
    V1_METADATA.create_all(dst)
    with src.connect() as s, dst.begin() as d:
        for table in (V1_RUNS, V1_GROUPS, V1_LAYERS):
            rows = [dict(r._mapping) for r in s.execute(sa.select(table))]
            d.execute(sa.insert(table), rows)
        if dst.dialect.name == "postgresql":
            for table in ("runs", "group_measurements", "layer_measurements"):
                d.exec_driver_sql(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    src.dispose()
    dst.dispose()
    return store_url


def _layout(url: str) -> tuple[set[str], set[str]]:
    engine = sa.create_engine(url)
    insp = sa.inspect(engine)
    out = set(insp.get_table_names()), {c["name"] for c in insp.get_columns("runs")}
    engine.dispose()
    return out


def test_version1_store_is_read_unchanged_then_migrated_by_a_writer(
    store_url: str, tmp_path: Path, qat: trtinspect.EngineBundle, rerun: trtinspect.EngineBundle, aa: CheckResult
) -> None:
    url = _v1_store(store_url, tmp_path)
    file_bytes = V1_STORE.read_bytes()
    engine = history.connect(url, create=False)
    assert history.store.info(engine).version == 1
    runs = history.list_runs(engine=engine)
    assert len(runs) == 2 and runs["tool_version"].isna().all()
    assert history.verify(engine) == []
    tables, cols = _layout(url)
    assert "schema_version" not in tables and "tool_version" not in cols  # reading did not migrate
    if url.startswith("sqlite"):
        assert Path(url.removeprefix("sqlite:///")).read_bytes() == file_bytes

    new_id = history.record(aa, [qat], [rerun], url)  # a writer migrates, in the same transaction as nothing else
    tables, cols = _layout(url)
    assert "schema_version" in tables and set(history.V2_ONLY) <= cols
    engine = history.connect(url, create=False)
    assert history.store.info(engine).version == history.SCHEMA_VERSION
    runs = history.list_runs(engine=engine)
    assert list(runs["id"]) == [new_id, 2, 1]  # old checks kept, ids continue
    assert runs["n_group_rows"].isna().sum() == 2  # unknown for checks recorded before version 2
    assert history.verify(engine) == []


def test_newer_schema_version_is_refused(store_url: str, qat: trtinspect.EngineBundle,
                                        rerun: trtinspect.EngineBundle, aa: CheckResult) -> None:
    history.record(aa, [qat], [rerun], store_url)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.update(history.schema_table).values(version=history.SCHEMA_VERSION + 7))
    engine.dispose()
    for create in (False, True):
        with pytest.raises(TrtInspectError, match=r"newer trtinspect \(history schema version 9;") as exc:
            history.connect(store_url, create=create)
        assert "\n" not in str(exc.value)


def test_unreachable_postgresql_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'trtinspect[postgres]')")
    from trtinspect.cli import main

    url = "postgresql+psycopg://nobody:secret@127.0.0.1:9/none?connect_timeout=3"
    with pytest.raises(SystemExit) as exc:
        main(["history", "--db", url])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "secret" not in err and "opening the history store failed" in err

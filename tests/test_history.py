"""History store: record, list, trends, transactional writes (an injected failure leaves the DB unchanged)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import RESNET

import trtinspect
from trtinspect.cli import main
from trtinspect.errors import TrtInspectError
from trtinspect.inspector import history
from trtinspect.inspector.check import run_check


@pytest.fixture(scope="module")
def qat() -> trtinspect.EngineBundle:
    return trtinspect.load(RESNET / "qat")


@pytest.fixture(scope="module")
def rerun(qat_rerun: Path) -> trtinspect.EngineBundle:
    """A GENERATED second run of qat (conftest.qat_rerun): a check of qat against it changes nothing."""
    return trtinspect.load(qat_rerun)


@pytest.fixture(scope="module")
def qat_res() -> trtinspect.EngineBundle:
    return trtinspect.load(RESNET / "qat-residual")


def _counts(url: str) -> dict[str, int]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        return {
            t: int(conn.execute(sa.text(f"select count(*) from {t}")).scalar_one())
            for t in ("runs", "group_measurements", "layer_measurements")
        }


def test_record_list_trend(
    tmp_path: Path, qat: trtinspect.EngineBundle, rerun: trtinspect.EngineBundle, qat_res: trtinspect.EngineBundle
) -> None:
    url = history.as_url(tmp_path / "h.sqlite")
    r1 = run_check([qat], [rerun])
    r2 = run_check([qat], [qat_res])
    id1 = history.record(r1, [qat], [rerun], url)
    id2 = history.record(r2, [qat], [qat_res], url)
    assert id2 > id1
    counts = _counts(url)
    assert counts["runs"] == 2
    assert counts["group_measurements"] == len(r1.groups) + len(r2.groups)
    assert counts["layer_measurements"] == 2 * len(qat.profile) + len(qat.profile) + len(qat_res.profile)

    runs = history.list_runs(url)
    assert list(runs["id"]) == [id2, id1]  # newest first
    assert list(runs["verdict"]) == [r2.verdict, r1.verdict]
    assert runs.iloc[0]["e2e_cand_ms"] == pytest.approx(r2.end_to_end.cand_ms)
    assert list(history.list_runs(url, engine_name=qat_res.name)["id"]) == [id2]

    layer = str(qat.profile["name"].iloc[1])
    trend = history.layer_trend(layer, url)
    lay = trend[trend["what"] == "layer"]
    assert list(lay["run_id"]) == [id1, id2]  # qat is the baseline of both checks
    want = float(qat.profile.set_index("name").loc[layer, "avg_ms"])
    assert lay.iloc[0]["base_ms"] == pytest.approx(want) and lay.iloc[0]["cand_ms"] == pytest.approx(want)
    assert lay.iloc[1]["base_ms"] == pytest.approx(want)
    if layer not in set(qat_res.profile["name"]):
        assert lay.iloc[1]["cand_ms"] != lay.iloc[1]["cand_ms"]  # NaN: the candidate has no such layer


def test_failure_mid_record_leaves_store_unchanged(
    tmp_path: Path, qat: trtinspect.EngineBundle, rerun: trtinspect.EngineBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = history.as_url(tmp_path / "h.sqlite")
    result = run_check([qat], [rerun])
    history.record(result, [qat], [rerun], url)
    before = _counts(url)

    def boom(*_args: object, **_kw: object) -> None:
        raise RuntimeError("disk vanished")

    # the run row and group rows are written before the layers: the failure comes half-way
    monkeypatch.setattr(history, "_insert_layers", boom)
    with pytest.raises(RuntimeError, match="disk vanished"):
        history.record(result, [qat], [rerun], url)
    assert _counts(url) == before

    def interrupt(*_args: object, **_kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(history, "_insert_layers", interrupt)
    with pytest.raises(KeyboardInterrupt):
        history.record(result, [qat], [rerun], url)
    assert _counts(url) == before


def test_cli_record_and_history(tmp_path: Path, qat_rerun: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ci.sqlite"
    qat_dir = str(RESNET / "qat")
    with pytest.raises(SystemExit) as exc:
        main(["check", "--baseline", qat_dir, "--candidate", str(qat_rerun), "--record", str(db)])
    assert exc.value.code == 0
    capsys.readouterr()
    main(["history", "--db", str(db)])
    out = capsys.readouterr().out
    assert "pass" in out and "resnet-qat.onnx" in out
    main(["history", "--db", str(db), "--layer", "QuantizeLinear_2"])
    out = capsys.readouterr().out
    assert "group" in out and "QuantizeLinear_2" not in out.splitlines()[0]


def test_history_bad_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TrtInspectError, match="no history database"):
        history.list_runs(history.as_url(tmp_path / "absent.sqlite"))
    with pytest.raises(TrtInspectError, match="cannot open history database"):
        history.connect("nosuchdialect://x")
    with pytest.raises(SystemExit) as exc:
        main(["history", "--db", str(tmp_path / "absent.sqlite")])
    assert exc.value.code == 2
    assert "no history database" in capsys.readouterr().err


def test_bare_record_uses_env_or_default(
    tmp_path: Path, qat_rerun: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    qat_dir, rerun_dir = str(RESNET / "qat"), str(qat_rerun)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(history.ENV_DB, raising=False)
    with pytest.raises(SystemExit):
        main(["check", "--baseline", qat_dir, "--record", "--candidate", rerun_dir])
    assert (tmp_path / history.DEFAULT_DB_FILE).is_file()
    monkeypatch.setenv(history.ENV_DB, str(tmp_path / "env.sqlite"))
    with pytest.raises(SystemExit):
        main(["check", "--baseline", qat_dir, "--candidate", rerun_dir, "--record"])
    assert len(history.list_runs(history.as_url(tmp_path / "env.sqlite"))) == 1
    assert len(history.list_runs(history.as_url(tmp_path / history.DEFAULT_DB_FILE))) == 1


# ------------------------------------------------------------------ issue 17: reading never writes; bad stores
def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
        raise SystemExit(0)
    err = capsys.readouterr().err
    return int(exc.value.code or 0), err


def _one_error_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.startswith("trtinspect: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    return lines[0]


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes() if p.is_file() else b"<dir>", p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


READERS = [[], ["--layer", "QuantizeLinear_2"], ["--engine", "resnet-qat.onnx"], ["--check"]]
NOT_STORES = {
    "empty.sqlite": b"",
    "empty.json": b"",
    "profile.json": b'[{"count": 10}]',
    "notes.txt": b"just text\n",
}


def _not_stores(folder: Path) -> list[Path]:
    out = []
    for name, data in NOT_STORES.items():
        (folder / name).write_bytes(data)
        out.append(folder / name)
    nsys = folder / "nsys.sqlite"  # a real SQLite database that is not a history store
    nsys.write_bytes((Path(__file__).parent / "data" / "nsys" / "nsight-2025.5.2.sqlite").read_bytes())
    (folder / "a-folder").mkdir()
    return [*out, nsys, folder / "a-folder"]


def test_reading_never_creates_or_changes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    targets = [*_not_stores(tmp_path), tmp_path / "absent.sqlite"]
    before = _snapshot(tmp_path)
    for target in targets:
        for extra in READERS:
            code, err = _cli(["history", "--db", str(target), *extra], capsys)
            assert code == 2, (target, extra, err)
            line = _one_error_line(err)
            assert target.name in line, line
    assert _snapshot(tmp_path) == before  # nothing created (no journal, no store), nothing changed
    with pytest.raises(TrtInspectError, match="not a trtinspect history store"):
        from trtinspect.app.pages_history import HistoryStore

        HistoryStore(str(tmp_path / "nsys.sqlite"))
    assert _snapshot(tmp_path) == before


def test_record_creates_only_new_paths_or_appends_to_a_store(
    tmp_path: Path, qat_rerun: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check = ["check", "--baseline", str(RESNET / "qat"), "--candidate", str(qat_rerun), "--record"]
    targets = _not_stores(tmp_path)
    before = _snapshot(tmp_path)
    for target in targets:
        code, err = _cli([*check, str(target)], capsys)
        assert code == 2, (target, err)
        assert target.name in _one_error_line(err)
    assert _snapshot(tmp_path) == before
    code, err = _cli([*check, str(tmp_path / "no-such-folder" / "h.sqlite")], capsys)
    assert code == 2 and "does not exist" in _one_error_line(err)

    new = tmp_path / "new.sqlite"
    assert _cli([*check, str(new)], capsys)[0] == 0
    assert _cli([*check, str(new)], capsys)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "new.sqlite"])  # no temp file left
    assert len(history.list_runs(str(new))) == 2
    assert _cli(["history", "--db", str(new), "--check"], capsys)[0] == 0


def _damaged_store(tmp_path: Path, qat: trtinspect.EngineBundle, rerun: trtinspect.EngineBundle) -> Path:
    """A real store of several checks with 30 KB in its middle overwritten (fixed seed)."""
    import random

    path = tmp_path / "damaged.sqlite"
    result = run_check([qat], [rerun])
    engine = history.connect(str(path))
    for _ in range(6):
        history.record(result, [qat] * 3, [qat] * 3, engine=engine)
    engine.dispose()
    data = bytearray(path.read_bytes())
    assert len(data) > 120_000
    mid = len(data) // 2
    data[mid : mid + 30_000] = random.Random(17).randbytes(30_000)
    path.write_bytes(bytes(data))
    return path


def test_damaged_store_is_one_line_for_every_history_command(
    tmp_path: Path, qat: trtinspect.EngineBundle, rerun: trtinspect.EngineBundle, qat_rerun: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    path = _damaged_store(tmp_path, qat, rerun)
    before = _snapshot(tmp_path)
    for extra in READERS:
        code, err = _cli(["history", "--db", str(path), *extra], capsys)
        assert code == 2, (extra, err)
        assert "damaged" in _one_error_line(err)
    assert _snapshot(tmp_path) == before
    qat_dir = str(RESNET / "qat")
    code, err = _cli(["check", "--baseline", qat_dir, "--candidate", str(qat_rerun), "--record", str(path)],
                     capsys)
    assert code == 2 and "damaged" in _one_error_line(err)
    assert _snapshot(tmp_path) == before
    from trtinspect.app.pages_history import HistoryStore

    with pytest.raises(TrtInspectError, match="damaged"):
        HistoryStore(str(path))


def test_symlink_loop_is_one_line(tmp_path: Path, qat_rerun: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    a.symlink_to(b)
    b.symlink_to(a)
    dangling = tmp_path / "dangling.sqlite"
    dangling.symlink_to(tmp_path / "nowhere.sqlite")
    qat_dir = str(RESNET / "qat")
    for target, what in ((a, "symbolic link loop"), (dangling, "symbolic link to nothing")):
        for args in (
            ["history", "--db", str(target)],
            ["history", "--db", str(target), "--check"],
            ["check", "--baseline", qat_dir, "--candidate", str(qat_rerun), "--record", str(target)],
        ):
            code, err = _cli(args, capsys)
            assert code == 2 and what in _one_error_line(err), (args, err)
    assert not (tmp_path / "nowhere.sqlite").exists()


NOBODY = 65534


@contextmanager
def _unprivileged() -> Iterator[None]:
    """Run the block without root's power to read anything: as root, the effective uid/gid become 65534
    (nobody) and are restored after; as any other user, nothing changes. Every module the commands need is
    imported before (the interpreter's own files may be root-only)."""
    if os.geteuid() != 0:
        yield
        return
    try:
        os.setegid(NOBODY)
        os.seteuid(NOBODY)
    except PermissionError as exc:
        os.setegid(0)
        pytest.skip(f"running as root without the right to change uid ({exc}): cannot test permission errors")
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder an unprivileged user can enter (pytest's own tmp folders are root-only when run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="trtinspect-perm-"))
    folder.chmod(0o755)
    yield folder
    for p in folder.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(folder, ignore_errors=True)


def test_unreadable_store_and_folder_are_one_line(
    open_folder: Path, qat_rerun: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Permission errors need a user that is not root: as root the commands run with effective uid/gid 65534."""
    bundle, rerun = open_folder / "qat", open_folder / "qat" / "rerun"
    shutil.copytree(RESNET / "qat", bundle)  # readable by anyone, wherever the checkout lives
    shutil.copytree(qat_rerun, rerun)        # (a GENERATED second run, inside: the folder list below is unchanged)
    for p in [bundle, *bundle.iterdir(), *rerun.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    store = open_folder / "h.sqlite"
    check = ["check", "--baseline", str(bundle), "--candidate", str(rerun), "--record"]
    assert _cli([*check, str(store)], capsys)[0] == 0  # also imports everything the commands below use
    assert _cli(["history", "--db", str(store), "--layer", "x"], capsys)[0] == 0
    locked = open_folder / "locked"
    locked.mkdir()
    inner = locked / "h.sqlite"
    inner.write_bytes(store.read_bytes())
    store.chmod(0o000)
    locked.chmod(0o000)
    cases = {
        str(store): "permission denied: cannot read",
        str(inner): "permission denied: a folder on this path cannot be searched",
    }
    with _unprivileged():
        results = [
            (args, *_cli(args, capsys))
            for target in cases
            for args in (
                ["history", "--db", target],
                ["history", "--db", target, "--layer", "x"],
                [*check, target],
            )
        ]
    for args, code, err in results:
        assert code == 2, (args, err)
        assert cases[args[-1] if args[0] == "check" else args[2]] in _one_error_line(err), err
    # a readable store in a folder the user may not write: reading works, recording says why it cannot
    store.chmod(0o644)
    open_folder.chmod(0o555)
    with _unprivileged():
        read = _cli(["history", "--db", str(store)], capsys)
        write = _cli([*check, str(store)], capsys)
    assert read[0] == 0, read
    assert write[0] == 2 and "permission denied" in _one_error_line(write[1]), write
    assert sorted(p.name for p in open_folder.iterdir()) == ["h.sqlite", "locked", "qat"]

"""History store: record, list, trends, transactional writes (an injected failure leaves the DB unchanged)."""

from __future__ import annotations

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
    tmp_path: Path, qat: trtinspect.EngineBundle, qat_res: trtinspect.EngineBundle
) -> None:
    url = history.as_url(tmp_path / "h.sqlite")
    r1 = run_check([qat], [qat])
    r2 = run_check([qat], [qat_res])
    id1 = history.record(r1, [qat], [qat], url)
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
    tmp_path: Path, qat: trtinspect.EngineBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = history.as_url(tmp_path / "h.sqlite")
    result = run_check([qat], [qat])
    history.record(result, [qat], [qat], url)
    before = _counts(url)

    def boom(*_args: object, **_kw: object) -> None:
        raise RuntimeError("disk vanished")

    # the run row and group rows are written before the layers: the failure comes half-way
    monkeypatch.setattr(history, "_insert_layers", boom)
    with pytest.raises(RuntimeError, match="disk vanished"):
        history.record(result, [qat], [qat], url)
    assert _counts(url) == before

    def interrupt(*_args: object, **_kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(history, "_insert_layers", interrupt)
    with pytest.raises(KeyboardInterrupt):
        history.record(result, [qat], [qat], url)
    assert _counts(url) == before


def test_cli_record_and_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ci.sqlite"
    qat_dir = str(RESNET / "qat")
    with pytest.raises(SystemExit) as exc:
        main(["check", "--baseline", qat_dir, "--candidate", qat_dir, "--record", str(db)])
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    qat_dir = str(RESNET / "qat")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(history.ENV_DB, raising=False)
    with pytest.raises(SystemExit):
        main(["check", "--baseline", qat_dir, "--record", "--candidate", qat_dir])
    assert (tmp_path / history.DEFAULT_DB_FILE).is_file()
    monkeypatch.setenv(history.ENV_DB, str(tmp_path / "env.sqlite"))
    with pytest.raises(SystemExit):
        main(["check", "--baseline", qat_dir, "--candidate", qat_dir, "--record"])
    assert len(history.list_runs(history.as_url(tmp_path / "env.sqlite"))) == 1
    assert len(history.list_runs(history.as_url(tmp_path / history.DEFAULT_DB_FILE))) == 1

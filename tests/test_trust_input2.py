"""Option and file-safety defects of new-user trial 8 (trust-input2): each failing command, now right. Real
files only (sample_engines, tests/data); the damaged copies, hard links and stores are made at test time."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import DATA, REPO, RESNET, derive_rerun, recorded_checks, run_cli

QAT, RES = "sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual"
FAKE_TRTEXEC = REPO / "tests" / "fake_trtexec" / "trtexec"


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "internal error" not in err, err
    return err


# ---- 1. min_runs below 2 or fractional: refused, never a verdict that contradicts "not tested" ------------
@pytest.mark.parametrize("value, expect", [("1", "at least 2"), ("0", "at least 2"), ("2.5", "whole number"),
                                           ("-1", "must not be negative"), ('"x"', "must be a number")])
def test_min_runs_below_two_or_fraction_is_refused(value: str, expect: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text(f"[check]\nmin_runs = {value}\n")
    err = one_line_error(*run_cli(["check", "--config", str(cfg), "--baseline", QAT, "--candidate", RES], capsys))
    assert "min_runs" in err and expect in err and str(cfg) in err


def test_min_runs_three_keeps_the_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text("[check]\nmin_runs = 3\n")
    code, out, _ = run_cli(["check", "--config", str(cfg), "--baseline", QAT, "--candidate", RES], capsys)
    assert code == 0 and out.startswith("PASS: ") and "not tested for significance" in out


# ---- 2. --trtexec ./trtexec runs the file it names; a run that cannot start leaves no --out ---------------
@pytest.fixture
def trial_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/model.onnx and tmp/tb/ (the working directory) holding trtexec: a link to the tests' FAKE trtexec."""
    for var in ("FAKE_TRTEXEC_FAIL", "FAKE_TRTEXEC_SKIP", "FAKE_TRTEXEC_LOG", "FAKE_TRTEXEC_VARIANT",
                "FAKE_TRTEXEC_ARGV_LOG"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07placeholder onnx bytes (the fake trtexec does not read them)")
    (tmp_path / "tb").mkdir()
    (tmp_path / "tb" / "trtexec").symlink_to(FAKE_TRTEXEC)   # the fake finds the real files from its own path
    monkeypatch.chdir(tmp_path / "tb")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")   # no trtexec on PATH: only ./trtexec can run
    return tmp_path


def test_relative_trtexec_path_runs_that_file(trial_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["capture", "../model.onnx", "--out", "../c12", "--trtexec", "./trtexec",
                              "--runs", "1"], capsys)
    assert code == 0, err
    assert "captured 1 run(s) of model.onnx" in out and f"{trial_dir / 'tb' / 'trtexec'} " in err
    assert (trial_dir / "c12" / "run-1" / "model.onnx.engine.graph.json").is_file()


def test_trtexec_that_cannot_start_leaves_no_out_folder(trial_dir: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = trial_dir / "tb" / "bad"
    bad.write_text("#!/nonexistent/interpreter\n")
    bad.chmod(0o755)
    args = ["capture", "../model.onnx", "--out", "../c13", "--trtexec", "./bad", "--runs", "1"]
    for _ in range(2):   # the rerun says the same, not "the output directory already holds a capture"
        code, out, err = run_cli(args, capsys)
        assert code == 2 and out == "" and "Traceback" not in err
        assert err.strip().splitlines()[-1].startswith(f"trtinspect: error: {bad}: cannot run trtexec: ")
        assert "interpreter" in err and not (trial_dir / "c13").exists()


# ---- 3. an output hard-linked to an input is that input: refused, the input unchanged --------------------
def test_output_hard_linked_to_an_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w1 = tmp_path / "w1"
    shutil.copytree(RESNET / "qat", w1)
    timing, graph = w1 / "resnet-qat.onnx.engine.timing.json", w1 / "resnet-qat.onnx.engine.graph.json"
    before = {p: p.read_bytes() for p in (timing, graph)}
    hard, hard2 = tmp_path / "hard.json", tmp_path / "hard2.json"
    os.link(timing, hard)
    os.link(graph, hard2)
    err = one_line_error(*run_cli(["diff", str(w1), RES, "-o", str(hard)], capsys))
    assert f"{hard}: is" in err and "input" in err
    err = one_line_error(*run_cli(["check", "--baseline", str(w1), "--candidate", RES, "--markdown", str(hard2)],
                                  capsys))
    assert f"{hard2}: is" in err
    # two outputs that are one file under two names
    one, two = tmp_path / "one.md", tmp_path / "two.json"
    one.write_text("x")
    os.link(one, two)
    err = one_line_error(*run_cli(["check", "--baseline", str(w1), "--candidate", RES, "--markdown", str(one),
                                   "--json", str(two)], capsys))
    assert "is given to both" in err
    assert {p: p.read_bytes() for p in (timing, graph)} == before and one.read_text() == "x"


# ---- 4. damaged history rows: one line naming store, row, field; --check flags them ----------------------
@pytest.fixture(scope="module")
def recorded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return recorded_checks(tmp_path_factory.mktemp("hist") / "h.sqlite", 2, QAT, RES)


@pytest.mark.parametrize("sql, expect", [
    ("UPDATE runs SET created_at = 'not a date' WHERE id = 1", "check #1: created_at is 'not a date'"),
    ("UPDATE runs SET e2e_cand_ms = 9e999 WHERE id = 2", "check #2: e2e_cand_ms is inf"),
    ("UPDATE runs SET e2e_delta_pct = -1e308 WHERE id = 2", "check #2: e2e_delta_pct is -1e+308"),
])
def test_damaged_history_row_is_one_line(sql: str, expect: str, recorded_store: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    hz = tmp_path / "hz.sqlite"
    shutil.copy(recorded_store, hz)
    con = sqlite3.connect(hz)
    con.execute(sql)
    con.commit()
    con.close()
    for args in (["history", str(hz)], ["history", str(hz), "--layer", "conv1"]):
        err = one_line_error(*run_cli(args, capsys))
        assert f"{hz}: " in err and expect in err and "DELETE FROM runs" in err, err
    # --check lists every problem on stdout (here the one), then the same one error line
    code, out, err = run_cli(["history", str(hz), "--check"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert f"{hz}: " in err and expect in err and "DELETE FROM runs" in err, err
    assert out.splitlines()[0] == f"{hz}: not sound: 1 problem(s)" and expect in out.splitlines()[1], out
    from trtinspect.app import callbacks as cb
    from trtinspect.app.pages_history import HistoryStore
    from trtinspect.app.state import Registry

    page = str(cb.render_page(Registry(), "/history", "", max_upload_mb=1, history=HistoryStore(str(hz))))
    assert "cannot read the history store" in page and expect in page


def test_sound_store_still_lists(recorded_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["history", str(recorded_store), "--check"], capsys)
    assert code == 0 and ": sound; " in out
    code, out, _ = run_cli(["history", str(recorded_store)], capsys)
    assert code == 0 and "-38.16%" in out


# ---- 5, 6. non-finite and non-positive numbers of seconds / MB: refused before any work ------------------
@pytest.mark.parametrize("args, option", [
    (["serve", "--max-upload-mb", "inf", QAT], "--max-upload-mb"),
    (["serve", "--max-upload-mb", "nan", QAT], "--max-upload-mb"),
    (["serve", "--max-upload-mb", "0", QAT], "--max-upload-mb"),
    (["capture", "m.onnx", "--out", "o", "--timeout", "-5"], "--timeout"),
    (["capture", "m.onnx", "--out", "o", "--timeout", "nan"], "--timeout"),
    (["capture", "m.onnx", "--out", "o", "--timeout", "inf"], "--timeout"),
    (["profile", "r.engine", "--out", "x", "--duration", "nan"], "--duration"),
    (["profile", "r.engine", "--out", "x", "--duration", "-1"], "--duration"),
])
def test_bad_number_options_are_refused(args: list[str], option: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(args, capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert f"'{option}'" in err and ("finite" in err or "above zero" in err), err
    assert not (tmp_path / "o").exists() and not (tmp_path / "x").exists()


def test_upload_limit_is_said_in_the_option_unit() -> None:
    from trtinspect.app import callbacks as cb
    from trtinspect.app.state import MB, Registry

    data = "data:;base64," + base64.b64encode(b"x" * 2048).decode()
    msg, _ = cb.upload(Registry(), [data], ["big.log"], max_bytes=int(0.001 * MB))
    assert "over the 0.001 MB (1,000 bytes) upload limit" in msg.children and "MiB" not in msg.children


# ---- 7. check with K runs a side: the per-layer note over all runs, as the headline ----------------------
def test_overhead_note_covers_every_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [str(derive_rerun(RESNET / "qat", tmp_path / f"b{k}", k, 3)) for k in range(3)]
    cand = [str(derive_rerun(RESNET / "qat-residual", tmp_path / f"c{k}", k, 3)) for k in range(3)]
    code, out, err = run_cli(["check", "--baseline", *base, "--candidate", *cand], capsys)
    assert code == 0, err
    headline = out.splitlines()[0]
    centre = headline.split("end-to-end GPU compute ")[1].split(" ms")[0]          # "0.8826 -> 0.5458"
    base_ms, cand_ms = (float(x) for x in centre.split(" -> "))
    note = next(line for line in out.splitlines() if line.startswith("note: baseline per-layer total"))
    assert f"(mean of 3 runs) vs GPU compute {base_ms:.3f} ms, the headline's median" in note
    assert f"(mean of 3 runs) vs GPU compute {cand_ms:.3f} ms, the headline's median" in note


# ---- 8. the upload takes an Nsight Systems SQLite export, as `serve PATH` does ---------------------------
def test_upload_accepts_an_nsys_export() -> None:
    from trtinspect.app import callbacks as cb
    from trtinspect.app.state import Registry

    path = DATA / "nsys" / "nsight-2025.5.2.sqlite"
    reg = Registry()
    data = "data:application/octet-stream;base64," + base64.b64encode(path.read_bytes()).decode()
    msg, _ = cb.upload(reg, [data], [path.name], max_bytes=50_000_000)
    assert "upload error" not in str(msg.children) and len(reg) == 1


# ---- 9. a plain history path is exactly that file, '?' and all -------------------------------------------
def test_question_mark_in_a_store_path(recorded_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(recorded_store, tmp_path / "weird.sqlite")
    err = one_line_error(*run_cli(["history", "weird.sqlite?x=1"], capsys))
    assert f"{tmp_path / 'weird.sqlite?x=1'}: no history database here yet" in err
    code, _, err = run_cli(["check", "--baseline", QAT, "--candidate", RES, "--record", "rec.sqlite?mode=memory"],
                           capsys)
    assert code == 0 and (tmp_path / "rec.sqlite?mode=memory").is_file() and not (tmp_path / "rec.sqlite").exists()
    assert f"in {tmp_path / 'rec.sqlite?mode=memory'}" in err
    code, out, _ = run_cli(["history", "rec.sqlite?mode=memory"], capsys)
    assert code == 0 and "resnet-qat-residual.onnx" in out


# ---- 10. allow_different = "gpu": one field, not the letters g, p, u ----------------------------------------
def test_allow_different_string_is_one_field(tmp_path: Path) -> None:
    from trtinspect.errors import TrtInspectError
    from trtinspect.inspector.check_config import resolve

    cfg = tmp_path / "t.toml"
    cfg.write_text('[check]\nallow_different = "gpu"\n')
    assert resolve(config_file=cfg).allow_different == ["gpu"]
    cfg.write_text("[check]\nallow_different = 3\n")
    with pytest.raises(TrtInspectError, match="allow_different must be a list of field names"):
        resolve(config_file=cfg)


# ---- 11. lint --list-rules --format json prints JSON; a format it cannot print is refused ---------------
def test_list_rules_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["lint", "--list-rules", "--format", "json"], capsys)
    rules = json.loads(out)
    assert code == 0 and len(rules) > 10
    first = rules[0]
    for key in ("id", "severity", "severities", "checks", "evidence", "mitigation", "cost_kind", "cost_method",
                "reference"):
        assert key in first
    err = one_line_error(*run_cli(["lint", "--list-rules", "--format", "sarif"], capsys))
    assert "--list-rules prints text or json" in err

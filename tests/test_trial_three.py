"""Defects of the third new-user trial of main (outputs, pipes, profiles, times files), one test each, on the
bundled real samples: no output ever replaces a file the command reads (the history store, the config, an
input, another output); capture never replaces a file; a closed pipe never changes the exit status.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RESNET, run_cli

QAT, RES = str(RESNET / "qat"), str(RESNET / "qat-residual")
FAKE_TRTEXEC = Path(__file__).resolve().parent / "fake_trtexec" / "trtexec"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real history store with one recorded check."""
    path = tmp_path_factory.mktemp("hist") / "hist.sqlite"
    from trtinspect.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["check", "--baseline", QAT, "--candidate", RES, "--record", str(path)])
    assert exc.value.code == 0 and path.is_file()
    return path


# ------------------------------------------------------------------------- 1. --record store never overwritten
@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_output_onto_the_history_store_is_refused_first(fmt: str, store: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    h2 = tmp_path / "h2.sqlite"
    shutil.copy(store, h2)
    before = digest(h2)
    err = one_line_error(*run_cli(["check", "--baseline", QAT, "--candidate", RES, f"--{fmt}", str(h2),
                                   "--record", str(h2)], capsys))
    assert f"h2.sqlite: is a file this command reads; writing the --{fmt} output there would replace it" in err
    assert digest(h2) == before


def test_record_into_a_foreign_sqlite_file_fails_before_the_verdict(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    foreign = tmp_path / "n1.sqlite"  # an SQLite file of another program (an nsys export is one)
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE StringIds (id INTEGER, value TEXT)")
    err = one_line_error(*run_cli(["check", "--baseline", QAT, "--candidate", RES, "--record", str(foreign)],
                                  capsys))
    assert "n1.sqlite: is an SQLite database but not a trtinspect history store. Record into a new path" in err


# ------------------------------------------------------------------------- 2. the config and other read paths
def test_output_onto_the_config_or_another_output_is_refused(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[tool.trtinspect.check]\nthreshold = "5%"\n')
    err = one_line_error(*run_cli(["check", "--baseline", QAT, "--candidate", RES, "--config", str(cfg),
                                   "--json", str(cfg)], capsys))
    assert "cfg.toml: is a file this command reads; writing the --json output there would replace it" in err
    assert cfg.read_text() == '[tool.trtinspect.check]\nthreshold = "5%"\n'
    same = tmp_path / "same.out"
    err = one_line_error(*run_cli(["check", "--baseline", QAT, "--candidate", RES, "--json", str(same),
                                   "--markdown", str(same)], capsys))
    assert "same.out: is given to both --json and --markdown; one file would keep only the last output" in err
    assert not same.exists()
    err = one_line_error(*run_cli(["check", "--baseline", QAT, "--candidate", RES, "--json",
                                   str(tmp_path / "no" / "c.json")], capsys))
    assert "the folder of the --json output does not exist" in err


def test_diff_output_onto_an_input_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.graph.json"
    shutil.copy(RESNET / "qat" / "resnet-qat.onnx.engine.graph.json", a)
    before = digest(a)
    err = one_line_error(*run_cli(["diff", str(a), RES, "-o", str(a)], capsys))
    assert "a.graph.json: is a file this command reads" in err and digest(a) == before


# ------------------------------------------------------------------------- 3. capture never replaces a file
def test_capture_refuses_a_folder_that_holds_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.onnx").write_bytes(b"\x08\x07placeholder onnx")
    (tmp_path / "m.onnx.engine").write_bytes(b"the user's engine")
    err = one_line_error(*run_cli(["capture", "m.onnx", "--out", ".", "--trtexec", str(FAKE_TRTEXEC)], capsys))
    assert "--out is a folder that already holds files" in err
    assert (tmp_path / "m.onnx.engine").read_bytes() == b"the user's engine"


# ------------------------------------------------------------------------- 4. a closed pipe keeps the exit status
def _first_line_then_close(args: list[str]) -> int:
    proc = subprocess.Popen([sys.executable, "-m", "trtinspect", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # `| head -1`: the reader goes away before the output (> a pipe buffer) is written
    err = proc.stderr.read()
    code = proc.wait(timeout=120)
    assert err == b"", err
    return code


@pytest.mark.parametrize("args, expected", [
    (["lint", "sample:resnet18-a100/qat", "--format", "sarif"], 0),
    (["diff", "sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual", "--format", "json"], 0),
    (["lint", "sample:resnet18-a100/qat", "--format", "json", "--fail-on", "warning"], 1),
])
def test_a_closed_pipe_never_changes_the_exit_status(args: list[str], expected: int) -> None:
    assert _first_line_then_close(args) == expected

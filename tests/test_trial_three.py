"""Defects of the third new-user trial of main (outputs, pipes, profiles, times files), one test each, on the
bundled real samples: no output ever replaces a file the command reads (the history store, the config, an
input, another output); capture never replaces a file; a closed pipe never changes the exit status.
"""

from __future__ import annotations

import hashlib
import json
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


# ------------------------------------------------------------------------- 5. a repeated profile row
def test_a_repeated_profile_record_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No real profile repeats a layer name (trtexec writes one record per engine layer; tests/data and
    sample_engines checked): a copied record would count its time twice in the per-layer total."""
    bundle = tmp_path / "b1"
    shutil.copytree(RESNET / "qat", bundle)
    prof = bundle / "resnet-qat.onnx.engine.profile.json"
    records = json.loads(prof.read_text())
    records.append(next(r for r in records if r.get("name") == "QuantizeLinear_2"))
    prof.write_text(json.dumps(records, indent=2))
    err = one_line_error(*run_cli(["report", str(bundle)], capsys))
    assert (f"{prof}: layer 'QuantizeLinear_2' has 2 records: trtexec writes one record per layer, so its time "
            "would be counted more than once") in err


# ------------------------------------------------------------------------- 6. an empty times file
def test_an_empty_times_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empt.timing.json"
    empty.write_text("[]\n")
    err = one_line_error(*run_cli(["report", str(empty)], capsys))
    assert "empt.timing.json: an empty times export ([]): a trtexec --exportTimes JSON with no timed iteration" in err
    runs = []
    for k in range(3):
        run = tmp_path / "runs" / "cand" / f"r{k}"
        shutil.copytree(RESNET / "qat-residual", run)
        runs.append(str(run))
    (Path(runs[1]) / "resnet-qat-residual.onnx.engine.timing.json").write_text("[]")
    err = one_line_error(*run_cli(["report", runs[1]], capsys))
    assert "r1/resnet-qat-residual.onnx.engine.timing.json: an empty times export ([])" in err
    err = one_line_error(*run_cli(["check", "--baseline", QAT, QAT, QAT, "--candidate", *runs], capsys))
    assert "r1/resnet-qat-residual.onnx.engine.timing.json: an empty times export ([])" in err


# ------------------------------------------------------------------------- 7. two engines' files named together
def test_files_named_for_two_engines_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    graph = RESNET / "qat" / "resnet-qat.onnx.engine.graph.json"
    times = RESNET / "fp16" / "resnet.onnx.engine.timing.json"
    err = one_line_error(*run_cli(["report", str(graph), str(times)], capsys))
    assert f"{graph} and {times}: the files are of 2 engines (resnet-qat.onnx, resnet.onnx)" in err
    # one engine's files named explicitly still load
    code, _out, err = run_cli(["report", str(graph), str(RESNET / "qat" / "resnet-qat.onnx.engine.timing.json")],
                             capsys)
    assert code == 0, err


# ------------------------------------------------------------------------- 8. no arguments, --top, --rules, Ctrl-C
def test_no_arguments_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli([], capsys)
    assert code == 2 and out == ""
    assert err.startswith("Usage: trtinspect [OPTIONS] COMMAND [ARGS]...\n") and "\nCommands:\n" in err


def test_top_zero_means_all_in_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["report", "sample:resnet18-a100/qat", "--top", "0"], capsys)
    assert code == 0 and "All 37 timed layers by time" in out and "Top 37" not in out    # (trust-left 1)
    code, out, _ = run_cli(["diff", "sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual", "--top", "0"],
                           capsys)
    assert code == 0 and "Worst regressions (all 5)" in out and "(top " not in out    # all: "all N" (trust-diff 4)
    code, all_out, _ = run_cli(["lint", "sample:resnet18-a100/qat", "--top", "0"], capsys)
    code2, default_out, _ = run_cli(["lint", "sample:resnet18-a100/qat"], capsys)
    assert code == code2 == 0 and all_out == default_out


def test_empty_rules_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(*run_cli(["lint", "sample:resnet18-a100/qat", "--rules", ""], capsys))
    assert "no lint rule ids given" in err


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import trtinspect.cli.report as report

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "load", interrupted)
    code, _out, err = run_cli(["report", "sample:resnet18-a100/qat"], capsys)
    assert code == 130 and err.strip().endswith("trtinspect: interrupted")


# ------------------------------------------------------------------------- 9. names in notes, escaped names
def test_notes_shorten_a_long_name_and_escaped_names_are_not_called_unescaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(RESNET / "qat", bundle)
    prof = bundle / "resnet-qat.onnx.engine.profile.json"
    records = json.loads(prof.read_text())
    hostile = "\x1b[31mEVIL" + "A" * 3000
    # a profile row of no layer (JSON-escaped by json.dumps: \u001b); renaming a row instead makes the files name
    # layers the other lacks, refused as two engines' files (test_input_trust.py)
    records.append({**records[1], "name": hostile})
    prof.write_text(json.dumps(records, indent=2))
    code, out, err = run_cli(["report", str(bundle), "--format", "json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    unmatched = next(n for n in notes if "match no layer" in n)
    assert len(unmatched) < 200 and unmatched.endswith("\u2026'")
    assert not any("written unescaped" in n for n in notes)


# ------------------------------------------------------------------------- 10. bad numbers in an nsys stats CSV
@pytest.mark.parametrize("bad", ["NaN", "x", "inf"])
def test_bad_numbers_in_an_nsys_stats_csv_are_refused(bad: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "run_cuda_gpu_kern_sum.csv"
    csv.write_text("Time (%),Total Time (ns),Instances,Avg (ns),Med (ns),Min (ns),Max (ns),StdDev (ns),Name\n"
                   "55.2,1234567,100,12345.7,12000.0,11000,15000,900.5,conv_kernel\n"
                   f"44.8,{bad},50,20000.0,20000.0,19000,21000,100.0,sm80_xmma_gemm\n")
    err = one_line_error(*run_cli(["report", str(csv)], capsys))
    assert f"run_cuda_gpu_kern_sum.csv: column 'Total Time (ns)', data row 2: '{bad}' is not a finite number" in err

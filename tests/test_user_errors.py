"""New-user trial (principle 4): inputs a user gives by mistake get one line and exit 2 (or 3), never a PASS,
an internal error or a write onto an input."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LOGS, RESNET, run_cli

QAT = RESNET / "qat"
SUMMARY_LOG = LOGS / "seed-fx-vs-implicit-int8" / "fx-qdq-int8.after-fix.summary.log"


def _one_line(err: str) -> None:
    assert err.count("\n") == 1 and "internal error" not in err and "Traceback" not in err, err


def _cut_log(tmp: Path) -> Path:
    out = tmp / "cut.log"
    out.write_text("&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec --onnx=m.onnx\n", encoding="utf-8")
    return out


@pytest.mark.parametrize("make", [lambda t: next(QAT.glob("*.timing.json")), lambda t: SUMMARY_LOG, _cut_log],
                         ids=["timing-alone", "summary-only-log", "log-cut-after-running"])
def test_lint_without_layers_is_not_zero_findings(make, tmp_path: Path,   # type: ignore[no-untyped-def]
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path)
    code, out, err = run_cli(["lint", "--fail-on", "warning", str(path)], capsys)
    assert code == 2 and out == "", (out, err)
    _one_line(err)
    assert "no layer information to lint" in err and str(path) in err and "--exportLayerInfo" in err


def test_lint_of_a_summary_log_shows_its_findings_but_never_passes_a_gate(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A summary-only log with a trtexec warning: its finding is shown; --fail-on cannot pass on it (no layers)."""
    log = str(LOGS / "trt10.16-h100" / "result-01.log")
    code, out, err = run_cli(["lint", log], capsys)
    assert code == 0 and "unstable-timing" in out, err
    code, out, err = run_cli(["lint", "--fail-on", "warning", log], capsys)
    assert code == 2 and out == "" and "no layer information to lint" in err, err
    _one_line(err)


def test_path_the_system_refuses_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ENAMETOOLONG on `report /tmp/aaa...(300)/x.json` was 'internal error: OSError ... this is a bug'."""
    long = tmp_path / ("a" * 300) / "x.json"
    for args in (["report", str(long)], ["lint", str(long)], ["diff", str(long), str(QAT)]):
        code, out, err = run_cli(args, capsys)
        assert code == 2 and out == "", err
        _one_line(err)
        assert "File name too long" in err and "a" * 300 in err, err


@pytest.mark.parametrize("flags", [["--group-threshold", "nan", "--alpha", "nan"], ["--threshold", "nan%"],
                                   ["--alpha", "0"], ["--alpha", "1.5%0"], ["--floor-ms", "inf"],
                                   ["--min-share", "150%"], ["--threshold", "-inf%"]])
def test_check_refuses_meaningless_thresholds(flags: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """NaN passed every comparison and was written to JSON as a bare NaN (invalid JSON)."""
    out_json = tmp_path / "c.json"
    code, _out, err = run_cli(["check", "--baseline", str(QAT), "--candidate", str(RESNET / "fp16"), *flags,
                              "--json", str(out_json)], capsys)
    assert code == 2 and not out_json.exists(), err
    _one_line(err)
    assert flags[0] in err or flags[0].lstrip("-").replace("-", "_") in err, err


def test_output_onto_an_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`diff A B -o A/x.graph.json` and `check --json <an input>` overwrote the input."""
    import shutil

    a, b = tmp_path / "qat", tmp_path / "fp16"
    shutil.copytree(QAT, a)
    shutil.copytree(RESNET / "fp16", b)
    before = {p: p.read_bytes() for p in [*a.iterdir(), *b.iterdir()]}
    graph, timing = next(a.glob("*.graph.json")), next(b.glob("*.timing.json"))
    for args in (["diff", str(a), str(b), "-o", str(graph)],
                 ["diff", str(a), str(b), "-o", str(tmp_path / "." / "qat" / ".." / "qat" / graph.name)],
                 ["check", "--baseline", str(a), "--candidate", str(b), "--json", str(timing)],
                 ["check", "--baseline", str(a), "--candidate", str(b), "--markdown", str(tmp_path / "ok.md"),
                  "--junit", str(graph)]):
        code, out, err = run_cli(args, capsys)
        assert code == 2 and out == "", (args, err)
        _one_line(err)
        assert "is one of the input files" in err, err
    assert {p: p.read_bytes() for p in before} == before and not (tmp_path / "ok.md").exists()

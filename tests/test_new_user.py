"""Defects a new user met on a first trial (issue 11 polish), one test each, on the bundled real samples.

1. ``check --record`` with a bad target failed AFTER the verdict was printed (and a relative SQLite URL was
   unclear); 2. several runs a side were named after the first run's folder; 3. which statistic (median or mean)
   a number is; 4. TREx's placeholder ``model`` printed as an input shape; 5. JSON/SARIF paths into the install
   folder for ``sample:`` inputs; 6. Unicode and ASCII minus signs mixed; 7. (diff table width: tests/test_diff.py).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import DATA, RESNET, run_cli, thin_times

import trtinspect
from trtinspect.cli.options import runs_label

FP16, QAT = "sample:resnet18-a100/fp16", "sample:resnet18-a100/qat"
MOBILENET = DATA / "external" / "trex-titanrtx-mobilenet"
RTX3090 = DATA / "external" / "trex-rtx3090-resnet50"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(args, capsys)


# ------------------------------------------------------------------------------------------ 1. --record URL


def test_relative_sqlite_url_records_in_the_current_folder(
    tmp_path: Path, qat_rerun: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check", "--baseline", QAT, "--candidate", str(qat_rerun), "--record",
                          "sqlite:///relative.db"], capsys)
    assert code == 0 and "PASS" in out
    assert f"recorded as check #1 in {tmp_path / 'relative.db'}" in err  # where the relative URL resolved
    assert (tmp_path / "relative.db").is_file()


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("sqlite:///missing/relative.db", "the folder of the history store does not exist"),
        ("sqlite://relative.db", "sqlite:///relative.db (three slashes)"),
        ("sqlite:///", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("nosuchdialect://host/db", "cannot open history database"),
        ("sqlite:///.", "is a folder"),
    ],
)
def test_bad_record_target_fails_first_in_one_line(
    target: str, needle: str, tmp_path: Path, qat_rerun: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before any engine is loaded: no verdict on stdout, one line on stderr, exit 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check", "--baseline", QAT, "--candidate", str(qat_rerun), "--record", target], capsys)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ 2. side names


def test_runs_label() -> None:
    assert runs_label(["sample:resnet18-a100/qat"]) == "sample:resnet18-a100/qat"
    assert runs_label(["runs/base/r0/", "runs/base/r1/", "runs/base/r2/"]) == "runs/base/"
    assert runs_label(["/ci/base/r0", "/ci/base/r1"]) == "/ci/base/"
    assert runs_label(["r0", "r1"]) == "r0, r1"
    assert runs_label(["r0", "r1", "r2"]) == "r0, ..., r2"
    assert runs_label(["/a/r0", "/b/r1"]) == "/a/r0, /b/r1"  # only the root in common


def _split_runs(root: Path, parts: range, of: int = 6) -> list[str]:
    """Runs of the real qat bundle, run i holding every ``of``-th of its real iterations from i (derived at test
    time); give each side other parts (the same part on both sides is one run, refused)."""
    src = RESNET / "qat"
    runs = []
    for n, i in enumerate(parts):
        run_dir = root / f"run{n}"
        shutil.copytree(src, run_dir)
        thin_times(run_dir, i, of)   # GENERATED: every of-th real iteration, the source run's summary emptied
        runs.append(str(run_dir))
    return runs


def test_several_runs_are_named_by_their_folder_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _split_runs(tmp_path / "base", range(0, 3))
    cand = _split_runs(tmp_path / "cand", range(3, 6))
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    code, out, _ = run(["check", "--baseline", *base, "--candidate", *cand, "--markdown", str(md),
                        "--json", str(js)], capsys)
    assert code == 0
    b, c = f"{tmp_path / 'base'}/", f"{tmp_path / 'cand'}/"
    assert f"baseline  {b} (3 runs)   candidate  {c} (3 runs)" in out
    assert "run0" not in out.splitlines()[2]  # not the first run's folder
    doc = json.loads(js.read_text())
    assert doc["baseline"] == {"name": "resnet-qat.onnx", "label": b, "runs": 3}
    assert doc["candidate"]["label"] == c
    assert f"Baseline `{b}` (3 runs) vs candidate `{c}` (3 runs)" in md.read_text()


# ------------------------------------------------------------------------------------------ 3. statistic


def test_every_check_output_says_which_statistic(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    md, bench, db = tmp_path / "r.md", tmp_path / "b.json", tmp_path / "h.sqlite"
    code, out, _ = run(["check", "--baseline", FP16, "--candidate", "sample:resnet18-a100/fp32", "--markdown",
                        str(md), "--benchmark-json", str(bench), "--record", str(db)], capsys)
    assert code == 1
    head = out.splitlines()[0]
    assert "(median; " in head
    assert "end-to-end: median GPU compute over" in out
    assert "fusion groups: mean ms per iteration" in out
    errors = [line for line in out.splitlines() if line.startswith("::error title=trtinspect%3A end-to-end")]
    assert errors and "median GPU compute over" in errors[0]
    markdown = md.read_text()
    assert "end-to-end: median GPU compute" in markdown and "baseline ms (mean)" in markdown
    assert "median GPU compute over" in json.loads(bench.read_text())[0]["extra"]
    monkeypatch.delenv("GITHUB_ACTIONS")
    code, out, _ = run(["history", "--db", str(db)], capsys)
    assert code == 0
    assert " stat " in out.splitlines()[0] and " median " in out.splitlines()[1]


# ------------------------------------------------------------------------------------------ 4. placeholders


def test_placeholder_shapes_are_unknown_not_a_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """TREx writes ``Input inference shapes: model`` (the model's own shapes): said as unknown, never compared."""
    from trtinspect.inspector.check_inputs import COMPARABILITY
    from trtinspect.inspector.model_match import model_match

    mobilenet, resnet = trtinspect.load(MOBILENET / "qat"), trtinspect.load(RTX3090 / "fp16")
    assert str(mobilenet.inference_options.get("Input inference shapes")).lower() == "model"
    assert COMPARABILITY["input_shapes"](mobilenet) is None
    context = model_match(mobilenet, resnet).context
    assert any(c.startswith("input shapes: unknown -> ") for c in context), context
    assert not any("model ->" in c for c in context)
    code, out, _ = run(["diff", str(MOBILENET / "qat"), str(RTX3090 / "fp16"), "--force"], capsys)
    assert code == 0 and "input shapes: unknown -> " in out and "input shapes: model" not in out
    code, _, err = run(["check", "--baseline", str(MOBILENET / "qat"), "--candidate", str(RTX3090 / "fp16")],
                       capsys)
    assert code == 3 and "gpu differs" in err and "input_shapes" not in err


# ------------------------------------------------------------------------------------------ 5. sample paths


def test_sample_inputs_are_named_as_samples_not_install_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run from outside the samples folder, as after `pip install` (the samples then lie in site-packages)."""
    monkeypatch.chdir(tmp_path)
    outputs = []
    for args in (["lint", QAT, "--format", "json"], ["lint", QAT, "--format", "sarif"],
                 ["report", QAT, "--format", "json", "--no-lint"]):
        code, out, _ = run(args, capsys)
        assert code == 0
        outputs.append(out)
    install = str(Path(trtinspect.samples.samples_root()).resolve())
    for out in outputs:
        assert install not in out and "site-packages" not in out and "file://" not in out
    lint_json, sarif, report = (json.loads(x) for x in outputs)
    assert lint_json["source"] == "sample:resnet18-a100/qat/resnet-qat.onnx.engine.graph.json"
    uris = {a["location"]["uri"] for a in sarif["runs"][0]["artifacts"]}
    assert uris and all(u.startswith("sample:resnet18-a100/qat/") for u in uris)
    assert all(p.startswith("sample:") for paths in report["sources"].values() for p in paths)


# ------------------------------------------------------------------------------------------ 6. minus signs


def test_one_minus_sign_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    """ASCII '-' in every text, JSON, Markdown and SARIF output (never U+2212), also where the numbers are
    negative (B faster than A)."""
    from trtinspect.textfmt import signed

    assert signed(-0.1654) == "-0.165" and signed(0.0) == "+0.000" and signed(-2.5, 1, " ms") == "-2.5 ms"
    faster = "sample:resnet18-a100/qat-residual"
    runs = [["diff", QAT, faster, "--format", f] for f in ("text", "json", "markdown")]
    runs += [["lint", QAT, "--format", f] for f in ("text", "json", "sarif", "markdown")]
    runs += [["check", "--baseline", QAT, "--candidate", faster, "--json", "-"]]
    for args in runs:
        _, out, err = run(args, capsys)
        assert out and "\u2212" not in out + err, args
        if args[0] == "diff" and args[-1] == "text":
            assert re.search(r"\(-0\.\d{3} ms\)", out)  # B is faster: a negative delta, ASCII minus

"""New-user findings fixed together (brief item 7): distinguishable side labels, what a JSON scalar file is,
one-decimal shares, and valid JSON for non-finite numbers in every JSON writer."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from conftest import RESNET, run_cli, thin_times

import trtinspect
from trtinspect.cli.options import runs_in, side_labels
from trtinspect.render.escape import dumps_finite, finite_or_null

H100 = Path(__file__).resolve().parents[1] / "sample_engines/trtexec-logs/trt10.16-h100/result-05.log"


# ---- check: both sides' runs in one folder were both called "runs/ (3 runs)" ---------------------------------

def _split_runs(folder: Path, names: list[str]) -> list[str]:
    """Runs of the real qat bundle, each holding every k-th of its real iterations (derived at test time)."""
    src = RESNET / "qat"
    out = []
    for i, name in enumerate(names):
        run_dir = folder / name
        shutil.copytree(src, run_dir)
        thin_times(run_dir, i, len(names))   # GENERATED: every k-th real iteration, the source's summary emptied
        out.append(str(run_dir))
    return out


def test_runs_in_one_folder_get_distinct_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _split_runs(tmp_path / "runs", ["r0", "r1", "r2", "r3", "r4", "r5"])
    code, out, _ = run_cli(["check", "--baseline", *runs[:3], "--candidate", *runs[3:]], capsys)
    assert code == 0, out
    folder = tmp_path / "runs"
    assert f"baseline  {folder}/{{r0, r1, r2}} (3 runs)   candidate  {folder}/{{r3, r4, r5}} (3 runs)" in out


def test_side_labels() -> None:
    assert side_labels("a", "b", "x/", "y/") == ("a", "b")                      # engine names differ
    assert side_labels("m", "m", "base/", "cand/", (["base/r0"], ["cand/r0"])) == ("base/", "cand/")
    assert side_labels("m", "m", "runs/", "runs/", (["runs/a", "runs/b"], ["runs/c", "runs/d"])) == (
        "runs/{a, b}", "runs/{c, d}")
    assert runs_in([f"runs/r{i}" for i in range(6)]) == "runs/{r0, ..., r5}"
    assert runs_in(["x/r0", "y/r1"]) == "x/r0, y/r1"


# ---- report null.json: say what the file is --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "what"), [("null", "JSON `null`"), ("42\n", "a JSON number (42)"),
                                            ('"engine"', "a JSON string"), ("true", "JSON `true`")])
def test_json_scalar_file_says_what_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                          what: str) -> None:
    path = tmp_path / "null.json"
    path.write_text(text)
    code, out, err = run_cli(["report", str(path)], capsys)
    assert code == 2 and not out
    assert f"null.json: {what}, not an engine's files" in err and "not a trtexec log" not in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


# ---- shape-layers: one decimal, as every other share ---------------------------------------------------------

def test_shape_layers_share_has_one_decimal(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["lint", str(H100)], capsys)
    assert code == 0
    assert "3 shape/cast/shuffle layers take 13.6% of the per-layer time" in out   # 208.68 / 1529.14 ms


# ---- JSON: inf and NaN are null in every writer (the fast orjson path and the json.dumps paths agreed not) ----

def test_non_finite_numbers_are_null() -> None:
    doc = {"a": math.inf, "b": [-math.inf, math.nan, 1.5], "c": {"d": (math.inf,)}}
    assert json.loads(dumps_finite(doc)) == {"a": None, "b": [None, None, 1.5], "c": {"d": [None]}}
    assert "Infinity" not in dumps_finite(doc, indent=2) and finite_or_null(2.0) == 2.0


def test_lint_json_writers_agree_on_inf() -> None:
    """lint JSON: the orjson fast path and the json.dumps path write inf as null alike."""
    from trtinspect.inspector.lint import lint
    from trtinspect.render import lint as render_lint
    from trtinspect.render.jsonout import dumps_indent2

    bundle = trtinspect.load(RESNET / "qat")
    findings = lint(bundle).copy()
    findings.attrs = dict(lint(bundle).attrs)
    findings.loc[findings.index[0], "cost_pct"] = math.inf
    slow = json.dumps({"findings": render_lint.findings_records(findings)}, indent=2, ensure_ascii=False,
                      allow_nan=False)
    fast = dumps_indent2({"findings": render_lint.findings_records(findings)})
    assert json.loads(slow) == json.loads(fast)
    assert json.loads(slow)["findings"][0]["cost_pct"] is None
    assert json.loads(render_lint.to_json(findings, bundle))["findings"][0]["cost_pct"] is None


def test_report_json_with_inf_is_valid() -> None:
    from trtinspect.inspector.report import build_report
    from trtinspect.render.report import render_json

    report = build_report(trtinspect.load(RESNET / "qat"), lint=False)
    report["timing"]["throughput_qps"] = math.inf
    assert json.loads(render_json(report))["timing"]["throughput_qps"] is None

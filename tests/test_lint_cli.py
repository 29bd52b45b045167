"""`trtinspect lint` end to end through click's CliRunner: formats, exit codes, SARIF, bad input."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import trtinspect
from tests.conftest import RESNET, resnet_file
from trtinspect.cli import cli, main
from trtinspect.inspector.lint import lint
from trtinspect.inspector.rules import RULES


def run(args: list[str]) -> tuple[int, str, str]:
    """Run the real entry point (which maps errors to exit codes) and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["lint", *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_click_runner_smoke() -> None:
    result = CliRunner().invoke(
        cli, ["lint", "sample:resnet18-a100/qat-residual-qgap"], catch_exceptions=False
    )
    assert result.exit_code == 0 and "3 finding(s)" in result.output


@pytest.fixture(scope="module")
def qat_findings() -> object:
    return lint(trtinspect.load(RESNET / "qat"))


def test_text_output_lists_findings_by_cost(qat_findings: object) -> None:
    code, out, _ = run(["sample:resnet18-a100/qat", "--top", "3"])
    assert code == 0
    first = qat_findings.iloc[0]  # type: ignore[attr-defined]
    assert f"{first['cost_ms']:.4f} ms" in out and first["title"] in out
    assert f"{len(qat_findings)} finding(s)" in out  # type: ignore[arg-type]
    assert f"... {len(qat_findings) - 3} more" in out  # type: ignore[arg-type]


def test_fail_on_exit_codes() -> None:
    assert run(["sample:resnet18-a100/qat", "--fail-on", "warning"])[0] == 1
    assert run(["sample:resnet18-a100/qat", "--fail-on", "error"])[0] == 0
    # qat-residual-qgap has only info findings
    assert run(["sample:resnet18-a100/qat-residual-qgap", "--fail-on", "warning"])[0] == 0
    assert run(["sample:resnet18-a100/qat", "--fail-on", "warning", "--rules", "hot-layer"])[0] == 0


def test_json_output_matches_library(qat_findings: object) -> None:
    code, out, _ = run(["sample:resnet18-a100/qat", "--format", "json"])
    assert code == 0
    doc = json.loads(out)
    assert [f["finding_id"] for f in doc["findings"]] == list(qat_findings["finding_id"])  # type: ignore[index]
    assert doc["cost_basis"] == "GPU compute time (mean)"


def test_json_without_profile_has_null_costs() -> None:
    code, out, _ = run([str(resnet_file("qat", "graph.json")), "--format", "json"])
    assert code == 0
    doc = json.loads(out)
    assert doc["findings"] and all(f["cost_ms"] is None for f in doc["findings"])


def test_sarif_output(qat_findings: object) -> None:
    code, out, _ = run(["sample:resnet18-a100/qat", "--format", "sarif"])
    assert code == 0
    doc = json.loads(out)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run0 = doc["runs"][0]
    rule_ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    assert rule_ids == [r.id for r in RULES]
    results = run0["results"]
    assert len(results) == len(qat_findings)  # type: ignore[arg-type]
    graph = resnet_file("qat", "graph.json")
    for res in results:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in {"note", "warning", "error"}
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert Path(uri).name == graph.name
    levels = {r["level"] for r in results}
    assert levels == {"note", "warning"}


def test_markdown_output() -> None:
    code, out, _ = run(["sample:resnet18-a100/qat-residual", "--format", "markdown"])
    assert code == 0
    assert "| # | severity | rule |" in out and "`int8-fallback`" in out


def test_list_rules() -> None:
    code, out, _ = run(["--list-rules", "x"])
    assert code == 0 and all(r.id in out for r in RULES)


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"", "empty"), (b"\x00\x01\x02binary" * 20, "binary"), (b'{"Layers": [{"Name": "a"', "truncated")],
)
def test_bad_input_exit_2_without_traceback(tmp_path: Path, content: bytes, what: str) -> None:
    p = tmp_path / f"{what}.graph.json"
    p.write_bytes(content)
    code, out, err = run([str(p)])
    assert code == 2, (what, out, err)
    assert "Traceback" not in out + err
    assert err.startswith("trtinspect: error:") and err.count("\n") == 1


def test_unknown_rule_exit_2() -> None:
    code, _, err = run(["sample:resnet18-a100/qat", "--rules", "nope"])
    assert code == 2 and "unknown lint rule" in err and "Traceback" not in err

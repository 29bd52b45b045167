"""`trtinspect lint` end to end through click's CliRunner: formats, exit codes, SARIF, bad input."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
from click.testing import CliRunner

import trtinspect
from tests.conftest import LOGS, RESNET, resnet_file
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
    assert result.exit_code == 0 and "2 finding(s)" in result.output


@pytest.fixture(scope="module")
def qat_findings() -> object:
    return lint(trtinspect.load(RESNET / "qat"))


def test_text_output_lists_findings_by_cost(qat_findings: object) -> None:
    code, out, _ = run(["sample:resnet18-a100/qat", "--top", "2"])
    assert code == 0
    first = qat_findings.iloc[0]  # type: ignore[attr-defined]
    flat = " ".join(out.split())   # prose wraps at the output width
    assert f"{first['cost_ms']:.4f} ms" in flat and " ".join(first["title"].split()) in flat
    assert f"{len(qat_findings)} finding(s)" in out  # type: ignore[arg-type]
    assert f"... {len(qat_findings) - 2} more" in out  # type: ignore[arg-type]


def test_fail_on_exit_codes() -> None:
    assert run(["sample:resnet18-a100/qat", "--fail-on", "warning"])[0] == 1
    # --fail-on error can fire: the unquantized residual branch is estimated at >= 10% of the layer time
    assert run(["sample:resnet18-a100/qat", "--fail-on", "error"])[0] == 1
    # qat-residual-qgap keeps one warning (the network-input Quantize: the application's input format), no error
    assert run(["sample:resnet18-a100/qat-residual-qgap", "--fail-on", "error"])[0] == 0
    assert run(["sample:resnet18-a100/qat-residual-qgap", "--fail-on", "warning"])[0] == 1
    assert run(["sample:resnet18-a100/qat", "--fail-on", "warning", "--rules", "hot-layer"])[0] == 0


def test_json_output_matches_library(qat_findings: object) -> None:
    code, out, _ = run(["sample:resnet18-a100/qat", "--format", "json"])
    assert code == 0
    doc = json.loads(out)
    assert [f["finding_id"] for f in doc["findings"]] == list(qat_findings["finding_id"])  # type: ignore[index]
    assert doc["cost_basis"] == "summed per-layer profiled time"
    assert doc["end_to_end_ms"] > 0 and doc["cuda_graphs"] is True  # "CUDA Graph": "Enabled" in its metadata


def test_json_without_profile_has_null_costs() -> None:
    code, out, _ = run([str(resnet_file("qat", "graph.json")), "--format", "json"])
    assert code == 0
    doc = json.loads(out)
    assert doc["findings"] and all(f["cost_ms"] is None for f in doc["findings"])


def _check_sarif_essentials(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """SARIF 2.1.0 essentials that code-scanning uploads rely on; returns the results."""
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run0 = doc["runs"][0]
    rule_ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    assert len(set(rule_ids)) == len(rule_ids)
    bases = run0.get("originalUriBaseIds", {})
    for base in bases.values():
        assert base["uri"].startswith("file:///") and base["uri"].endswith("/")
    for res in run0["results"]:
        assert res["ruleId"] in rule_ids and rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in {"note", "warning", "error"}
        assert res["message"]["text"].strip()
        loc = res["locations"][0]["physicalLocation"]["artifactLocation"]
        parsed = urlsplit(loc["uri"])
        if parsed.scheme:
            assert parsed.scheme == "file" and Path(url2pathname(parsed.path)).is_absolute()
            assert "uriBaseId" not in loc
        else:  # relative reference, resolved against a declared base
            assert not loc["uri"].startswith("/") and loc["uriBaseId"] in bases
        if "region" in res["locations"][0]["physicalLocation"]:
            assert res["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    return list(run0["results"])


def _resolve(loc: dict[str, Any], bases: dict[str, Any]) -> Path:
    uri = loc["uri"]
    if "uriBaseId" in loc:
        uri = bases[loc["uriBaseId"]]["uri"] + uri
    return Path(url2pathname(urlsplit(uri).path))


def test_sarif_output_relative_under_cwd(qat_findings: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(RESNET.parent)  # the bundle's files lie under the cwd (passed as a path, not sample:NAME,
    # which resolves into site-packages after a non-editable install)
    code, out, _ = run([str(RESNET / "qat"), "--format", "sarif"])
    assert code == 0
    doc = json.loads(out)
    results = _check_sarif_essentials(doc)
    assert [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]] == [r.id for r in RULES]
    assert len(results) == len(qat_findings)  # type: ignore[arg-type]
    bases = doc["runs"][0]["originalUriBaseIds"]
    assert bases["%SRCROOT%"]["uri"] == RESNET.parent.resolve().as_uri() + "/"
    graph = resnet_file("qat", "graph.json")
    for res in results:
        loc = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc["uri"] == graph.resolve().relative_to(RESNET.parent.resolve()).as_posix()
        assert loc["uriBaseId"] == "%SRCROOT%" and _resolve(loc, bases) == graph.resolve()
    assert {r["level"] for r in results} == {"note", "warning", "error"}


def test_sarif_outside_cwd_uses_file_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "elsewhere" / "qat"
    shutil.copytree(RESNET / "qat", bundle)  # not a bundled sample (those are named sample:NAME)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    code, out, _ = run([str(bundle), "--format", "sarif"])
    assert code == 0
    doc = json.loads(out)
    results = _check_sarif_essentials(doc)
    assert "originalUriBaseIds" not in doc["runs"][0]
    graph = next(bundle.glob("*.graph.json")).resolve()
    for res in results:
        assert res["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": graph.as_uri()}


def test_sarif_log_findings_have_region_and_message_once(monkeypatch: pytest.MonkeyPatch) -> None:
    log = LOGS / "trt10.16-h100" / "result-01.log"
    monkeypatch.chdir(LOGS)
    code, out, _ = run([str(log), "--format", "sarif"])
    assert code == 0
    doc = json.loads(out)
    results = _check_sarif_essentials(doc)
    bases = doc["runs"][0]["originalUriBaseIds"]
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    with_region = [r for r in results if "region" in r["locations"][0]["physicalLocation"]]
    assert with_region and all(r["properties"]["evidence"].get("line_no") for r in with_region)
    for res in with_region:
        phys = res["locations"][0]["physicalLocation"]
        assert _resolve(phys["artifactLocation"], bases) == log.resolve()
        line = phys["region"]["startLine"]
        assert line == res["properties"]["evidence"]["line_no"]
        # the line really holds the warning quoted as evidence
        assert res["properties"]["evidence"]["message"].strip("* ")[:40] in lines[line - 1]
    for res in results:
        text = res["message"]["text"].lower()
        assert text.count("cost unknown") <= 1 and ".." not in text


def test_list_rules_needs_no_path() -> None:
    code, out, _ = run(["--list-rules"])
    ids = [ln.split()[0] for ln in out.splitlines() if not ln.startswith(" ")]
    assert code == 0 and ids == [r.id for r in RULES]
    code, out, _ = run(["--list-rules", "--rules", "hot-layer,reformat-copy"])
    ids = [ln.split()[0] for ln in out.splitlines() if not ln.startswith(" ")]
    assert code == 0 and ids == ["hot-layer", "reformat-copy"]


def test_missing_path_is_a_usage_error() -> None:
    code, out, err = run([])
    assert code == 2 and "Missing argument 'PATHS...'" in err and "Traceback" not in out + err


def test_markdown_output() -> None:
    code, out, _ = run(["sample:resnet18-a100/qat-residual", "--format", "markdown"])
    assert code == 0
    assert "| # | severity | rule |" in out and "`int8-fallback`" in out


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


def test_lint_text_prose_wraps_at_the_output_width() -> None:
    """New-user trial: lint text prose lines reached 530 characters; they wrap between words at COLUMNS (120
    for a file or pipe), under their label; JSON keeps each text whole."""
    from click.testing import CliRunner

    from trtinspect.cli import cli

    for columns, width in (("", 120), ("90", 90)):
        res = CliRunner().invoke(cli, ["lint", "sample:resnet18-a100/qat"], env={"COLUMNS": columns})
        assert res.exit_code == 0, res.output
        prose = [line for line in res.output.splitlines() if not line.lstrip().startswith(("- ", "layers"))]
        assert max(len(line) for line in prose) <= width
        assert "     cause: " in res.output and "\n            " in res.output   # hanging indent under the label
    data = CliRunner().invoke(cli, ["lint", "sample:resnet18-a100/qat", "--format", "json"]).output
    flat = " ".join(res.output.split())
    import json

    for finding in json.loads(data)["findings"]:
        assert " ".join(str(finding["cause"]).split()) in flat     # whole, only re-wrapped

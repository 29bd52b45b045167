"""Defects found by the TensorRT-engineer review of session 8 that the lead fixed (each test runs the command)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from trtinspect.cli import cli


def _lint_json(engine: str) -> dict:
    result = CliRunner().invoke(cli, ["lint", engine, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(("engine", "multiple", "fp32_only"), [("sample:resnet18-a100/fp32", 4, True)])
def test_image_input_advice_fits_the_build(engine: str, multiple: int, fp32_only: bool) -> None:
    """TRT-engineer review s8 #6: the INT8 first conv of a FP32+FP16+INT8 build (input already CHW4) was told to
    'allow FP16/INT8' and 'pad the input to 4 or 8 channels'; the advice now names the multiple its cause names.
    (The QAT engine's INT8 first conv is no finding of its own since review s9 #3: it writes FP32 for
    MaxPool_12, and the residual-not-quantized finding holds it: tests/test_lint_review_s9.py.)"""
    findings = _lint_json(engine)["findings"]
    first = next(f for f in findings if f["rule_id"] == "no-tensor-cores" and f["severity"] == "info")
    advice = first["mitigation"]
    assert f"pad the input to {multiple} channels" in advice and "4 or 8" not in advice
    assert "allow FP16/INT8" not in advice
    assert ("--fp16" in advice) is fp32_only


def test_workspace_misread_as_bytes_is_a_finding() -> None:
    """TRT-engineer review s8 #7: the TensorRT 10.16 H100 build log asked for --memPoolSize=workspace:1024MiB,
    trtexec printed 'workspace: 0.000976562 MiB' (1024 bytes) and TensorRT skipped 4 tactics for insufficient
    memory; lint said nothing about it."""
    found = [f for f in _lint_json("sample:trtexec-logs/trt10.16-h100/result-02.log")["findings"]
             if f["rule_id"] == "workspace-limited"]
    assert len(found) == 1
    f = found[0]
    # 4 [W] skips and 10 verbose 'Scratch requested' skips (session 9 round 2 review: it counted only the 4)
    assert f["evidence"]["skipped_tactics"] == 14 and f["evidence"]["largest_need_bytes"] == 1204224
    assert f["evidence"]["workspace_asked"] == "1024MiB"
    assert "means 1024 bytes" in f["cause"] and "workspace:1024M" in f["cause"]
    assert f["cost_ms"] is None and f["cost_kind"] == "not estimated"


def test_workspace_finding_needs_tensorrts_own_skip_lines() -> None:
    """The TensorRT 8.4 log with the same argument got its 1024 MiB and no 'Skipping tactic' warning, but its
    verbose lines 909/976 skip a tactic needing 7527202816 B: a finding with TensorRT 8.4's advice (session 9
    round 2), and none about a misread size."""
    found = [f for f in _lint_json("sample:trtexec-logs/trt8.4/result-FP16.log")["findings"]
             if f["rule_id"] == "workspace-limited"]
    assert len(found) == 1 and "means 1024 bytes" not in found[0]["cause"]



def test_diff_never_prints_negative_zero(nsys_generated: tuple, nsys_generated_b: object,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A difference that rounds to zero could print '-0.0000 ms' (seen by trust-nsys, session 8, on the A side of
    a diff of two generated nsys exports): diff's totals print a zero without a sign."""
    from tests.conftest import run_cli
    from trtinspect.render.diff import _plus4

    assert _plus4(-1e-9) == "0.0000" and _plus4(-0.0) == "0.0000" and _plus4(-0.00006) == "-0.0001"
    code, out, err = run_cli(["diff", str(nsys_generated[0]), str(nsys_generated_b)], capsys)
    assert code == 0, err
    assert "-0.0000" not in out and "= 0.0000 ms" in out

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


@pytest.mark.parametrize(("engine", "multiple", "fp32_only"), [
    ("sample:resnet18-a100/qat", 16, False), ("sample:resnet18-a100/fp32", 4, True)])
def test_image_input_advice_fits_the_build(engine: str, multiple: int, fp32_only: bool) -> None:
    """TRT-engineer review s8 #6: the INT8 first conv of a FP32+FP16+INT8 build (input already CHW4) was told to
    'allow FP16/INT8' and 'pad the input to 4 or 8 channels'; the advice now names the multiple its cause names."""
    findings = _lint_json(engine)["findings"]
    first = next(f for f in findings if f["rule_id"] == "no-tensor-cores" and f["severity"] == "info")
    advice = first["mitigation"]
    assert f"pad the input to {multiple} channels" in advice and "4 or 8" not in advice
    assert "allow FP16/INT8" not in advice
    assert ("--fp16" in advice) is fp32_only

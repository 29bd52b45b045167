"""diff's causes after a TensorRT-engineer review of main (session 9): no effect left out ("and N more") is larger
than one printed, and layers that compute INT8 but still write float are said as such, not as "moved to INT8"."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from trtinspect.cli import cli

S = "sample:resnet18-a100"
_MS = re.compile(r"\(([+-]\d+\.\d{3}) ms\)$")


def _diff_json(a: str, b: str) -> dict:
    result = CliRunner().invoke(cli, ["diff", f"{S}/{a}", f"{S}/{b}", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _printed_and_hidden(cause: dict) -> tuple[list[str], list[str]]:
    """The effects a cause's sentence prints and the ones it leaves out."""
    printed = [e for e in cause["effects"] if e in cause["text"]]
    return printed, [e for e in cause["effects"] if e not in printed]


def _ms(effect: str) -> float:
    m = _MS.search(effect)
    assert m is not None, effect
    return abs(float(m.group(1)))


def test_no_hidden_effect_is_larger_than_a_printed_one() -> None:
    """`diff fp16 qat` printed a +0.002 ms Gemm effect and hid "engine input conversion ... now outputs INT8
    instead of FP16 (-0.019 ms)" behind "and 1 smaller change"; `diff qat qat-residual` printed a -0.011 ms
    effect and hid "B added 1 standalone dequantize reformat (DequantizeLinear_291) (+0.013 ms)"."""
    fq = _diff_json("fp16", "qat")["causes"][0]
    assert ("now outputs INT8 instead of FP16 (-0.019 ms)" in fq["text"]
            and "engine input conversion" in fq["text"])
    assert "smaller change" not in fq["text"]
    qr = _diff_json("qat", "qat-residual")
    text = qr["causes"][0]["text"]
    assert "B added 1 standalone dequantize reformat (DequantizeLinear_291) (+0.013 ms)" in text
    assert text.endswith("; and 4 more changes, each smaller than 0.011 ms")
    assert qr["causes"][1]["text"].endswith("; and 1 more change, smaller than 0.005 ms")
    for pair in (("fp16", "qat"), ("qat", "qat-residual"), ("qat-residual", "qat-residual-qgap"),
                 ("fp32", "fp16"), ("qat-residual-qgap", "fp16")):
        for cause in _diff_json(*pair)["causes"]:
            printed, hidden = _printed_and_hidden(cause)
            if printed and hidden:
                smallest = min(_ms(e) for e in printed)
                assert all(_ms(e) <= smallest for e in hidden if _MS.search(e)), (pair, cause["text"])

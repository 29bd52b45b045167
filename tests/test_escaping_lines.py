"""A line feed, CR, ESC, a Unicode line separator or a bidi control inside a layer name never breaks or reorders
an output line: diff's summary sentence stays one line, and report/lint/diff in every format show the name
escaped by the one rule (render/escape.py; report and nsys had their own). Real bundles (resnet18-a100 fp32 and
fp16) with MaxPool_2 (diff: Relu_1) renamed in the graph and profile JSON of both."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import run_cli

from trtinspect.render.escape import printable, printable_text

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "sample_engines" / "resnet18-a100"
HOSTILE = "MaxPool_2\nINJECTED\r\x1b[31mred\u2028sep\u2029par\u202eevil\u2066iso\u200fx\x85"
SHOWN = "MaxPool_2\\x0aINJECTED\\x0d\\x1b[31mred\\u2028sep\\u2029par\\u202eevil\\u2066iso\\u200fx\\x85"
RAW = ("\r", "\x1b", "\x85", "\u2028", "\u2029", "\u202e", "\u2066", "\u200f")


def _renamed(tmp: Path, which: str, old: str = "MaxPool_2") -> Path:
    out = tmp / which
    shutil.copytree(ENGINES / which, out)
    hostile = json.dumps(HOSTILE.replace("MaxPool_2", old, 1))[1:-1]
    for f in (out / "resnet.onnx.engine.graph.json", out / "resnet.onnx.engine.profile.json"):
        text = f.read_text(encoding="utf-8")
        f.write_text(re.sub(re.escape(old) + r"(?![0-9])", lambda _: hostile, text), encoding="utf-8")
    return out


def test_escape_rule_covers_unicode_line_breaks_and_bidi() -> None:
    assert printable(HOSTILE) == SHOWN
    assert printable_text("a\nb\u2028c\u202ed") == "a\nb\\u2028c\\u202ed"     # the layout's \n stays


def test_diff_summary_sentence_stays_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`trtinspect diff A B` with a line feed in a layer name printed the cause sentence across two lines."""
    # Relu_1 (in Conv_0 + Relu_1, the second-largest change: among the three effects the cause prints)
    a, b = _renamed(tmp_path, "fp32", "Relu_1"), _renamed(tmp_path, "fp16", "Relu_1")
    shown = SHOWN.replace("MaxPool_2", "Relu_1", 1)
    outputs = {}
    for fmt in ("text", "markdown", "html", "json"):
        code, out, err = run_cli(["diff", str(a), str(b), "--format", fmt], capsys)
        assert code == 0, err
        outputs[fmt] = out
    text = outputs["text"]
    start = text.index("1. Layers run at another precision")
    sentence = re.sub(r" ?\n", " ", text[start:text.index("\n\n", start)])    # rich wraps prose at the width
    assert f"convolution (Conv_0 + {shown}) moved from FP32 to FP16 (-0.330 ms)" in sentence
    summary_lines = [ln for ln in outputs["markdown"].splitlines() if "convolution (Conv\\_0 + Relu\\_1" in ln]
    assert len(summary_lines) == 1 and "moved from FP32 to FP16" in summary_lines[0]
    html = re.sub(r"<script[^>]*>.*?</script>", "", outputs["html"], flags=re.DOTALL)
    para = re.search(r'<p class="summary">(.*?)</p>', html, flags=re.DOTALL)
    assert para is not None
    cause = next(ln for ln in para.group(1).split("\n") if "Conv_0 + Relu_1" in ln)
    assert f"(Conv_0 + {shown}) moved from FP32 to FP16" in cause
    assert "\\x0a" not in html.replace(shown, "")          # the tool's own breaks are <br>, not an escaped \n
    for fmt in ("text", "markdown"):
        assert not any(ch in outputs[fmt] for ch in RAW), fmt
    assert not any(ch in html for ch in RAW)
    doc = json.loads(outputs["json"])           # JSON's own escaping: the exact name round-trips
    assert f"convolution (Conv_0 + {HOSTILE.replace('MaxPool_2', 'Relu_1', 1)}) moved" in doc["summary"]


@pytest.mark.parametrize("cmd", ["report", "lint"])
def test_report_and_lint_show_the_name_escaped(cmd: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = str(_renamed(tmp_path, "fp32"))
    for fmt in ("text", "markdown", "json", *(["sarif"] if cmd == "lint" else [])):
        code, out, err = run_cli([cmd, bundle, "--format", fmt], capsys)
        assert code in (0, 1), err
        if fmt in ("json", "sarif"):
            json.loads(out)                          # JSON's own escaping: the exact name round-trips
            continue
        assert not any(ch in out for ch in RAW), (cmd, fmt)
        assert all("INJECTED" not in ln or "MaxPool" in ln for ln in out.splitlines()), (cmd, fmt)
    if cmd == "report":
        code, out, err = run_cli([cmd, bundle, "--format", "text", "--top", "40"], capsys)
        assert "MaxPool_2\\x0aINJECTED" in out

"""check lists its largest improvements first (TensorRT-engineer review, session 9): improvements were sorted
by signed delta descending, so the smallest gain came first and text/Markdown cut the four largest off
("... 4 more (see --json)"), among them Conv_0 + Relu_1, -0.3297 ms of a -1.107 ms total (fp32 -> fp16)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from trtinspect.cli import cli

S = "sample:resnet18-a100"


def test_improvements_largest_gain_first() -> None:
    res = CliRunner().invoke(cli, ["check", "--baseline", f"{S}/fp32", "--candidate", f"{S}/fp16", "--json", "-"])
    assert res.exit_code == 0, res.output
    groups = [g for g in json.loads(res.output)["groups"] if g["status"] == "improvement"]
    deltas = [g["delta_ms"] for g in groups]
    assert deltas == sorted(deltas), deltas          # most negative (largest gain) first
    assert groups[0]["label"].startswith("Conv_0 + Relu_1")


def test_text_and_markdown_show_the_largest_gain() -> None:
    text = CliRunner().invoke(cli, ["check", "--baseline", f"{S}/fp32", "--candidate", f"{S}/fp16"]).output
    first = next(line for line in text.splitlines() if line.startswith("improvement"))
    assert first.rstrip().endswith("Conv_0 + Relu_1")
    md = CliRunner().invoke(cli, ["check", "--baseline", f"{S}/fp32", "--candidate", f"{S}/fp16",
                                  "--markdown", "-"]).output
    assert "`Conv_0 + Relu_1`" in md

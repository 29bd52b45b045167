"""Every view of a diff names an FP32 layer on TF32 Tensor Cores as its text does (review of `trtinspect diff`,
defect 3): "FP32 (TF32 Tensor Core math)" in the HTML precision-change chart's legend and in the web Diff page's
aligned table and group details, where they said plain "FP32". One function decides it
(``diff_math.group_precision_label``)."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from trtinspect.app import callbacks as cb
from trtinspect.app.state import Registry
from trtinspect.cli import cli
from trtinspect.inspector.diff_math import TF32_LABEL

FP32, FP16 = "sample:resnet18-a100/fp32", "sample:resnet18-a100/fp16"


def _precision_chart_traces(page: str) -> list[str]:
    """The legend names of the HTML report's precision-change chart (its plotly JSON, decoded)."""
    names: list[str] = []
    for blob in re.findall(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', page, flags=re.S):
        traces = json.loads(blob)
        names += [t["name"] for t in traces if str(t.get("name", "")).startswith(("compute ", "output "))]
    return names


def test_html_precision_chart_names_tf32_as_the_text_does() -> None:
    out = CliRunner().invoke(cli, ["diff", FP32, FP16, "--no-lint", "--format", "html"])
    assert out.exit_code == 0, out.output
    legend = _precision_chart_traces(out.output)
    assert f"compute {TF32_LABEL} \u2192 FP16" in legend          # 11 + 8 convolutions on TF32 Tensor Cores
    assert "compute FP32 \u2192 FP16" in legend                   # Conv_0 + Relu_1: scudnn, FP32 on CUDA cores
    text = CliRunner().invoke(cli, ["diff", FP32, FP16, "--no-lint"]).output
    assert f"moved from {TF32_LABEL} to FP16" in text


@pytest.fixture(scope="module")
def reg() -> Registry:
    r = Registry()
    r.load_samples()
    return r


def test_app_diff_page_names_tf32_as_the_text_does(reg: Registry) -> None:
    a, b = "resnet18-a100-fp32", "resnet18-a100-fp16"
    _summary, charts, rows, _ = cb.diff_view(reg, a, b)
    precisions = {r["label"]: r["precision"] for r in rows}
    assert precisions["Conv_3 + Relu_4"] == f"{TF32_LABEL} \u2192 FP16"
    assert precisions["Conv_0 + Relu_1"] == "FP32 \u2192 FP16"
    chart = next(c for c in charts if getattr(c, "id", None) == "diff-precision-changes")
    assert f"compute {TF32_LABEL} \u2192 FP16" in {t.name for t in chart.figure.data}
    gid = next(r["group_id"] for r in rows if r["label"] == "Conv_3 + Relu_4")
    dg = reg.diff_graph(a, b)
    unit = [int(g) for g in dg.gids].index(gid)
    details = json.dumps(cb.diff_details(reg, a, b, {"unit": unit}).to_plotly_json(), default=str)
    assert f"{TF32_LABEL} \\u00b7" in details or f"{TF32_LABEL} \u00b7" in details

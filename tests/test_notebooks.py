"""Notebooks: the HTML shown for bundles, findings, diffs and checks (escaped), the dashboard's figures in one
call, and docs/notebooks/explore.ipynb executed end to end with nbclient so it never rots."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, RESNET, thin_times

import trtinspect
from trtinspect.inspector.check import run_check
from trtinspect.inspector.diff import diff
from trtinspect.inspector.lint import lint
from trtinspect.render import notebook

NOTEBOOK = REPO / "docs" / "notebooks" / "explore.ipynb"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def qat() -> trtinspect.EngineBundle:
    return trtinspect.load(RESNET / "qat")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> trtinspect.EngineBundle:
    """The real QAT bundle with its slowest layer renamed to HTML (in the graph and the profile alike), and the
    pooling layer its int8-fallback finding names (the slowest layer's own finding is a member of the
    residual-not-quantized one, whose shown text does not name it)."""
    folder = tmp_path_factory.mktemp("hostile") / "qat"
    shutil.copytree(RESNET / "qat", folder)
    renames = {"conv1.weight + QuantizeLinear_7 + Conv_9": HOSTILE, "GlobalAveragePool_246": HOSTILE + " pool"}
    for f in folder.glob("*.json"):
        text = f.read_text(encoding="utf-8")
        for old, new in renames.items():
            text = text.replace(old, new.replace('"', '\\"'))
        f.write_text(text, encoding="utf-8")
    thin_times(folder)   # another run of qat (GENERATED: every other real iteration): check refuses qat's own times
    b = trtinspect.load(folder)
    assert HOSTILE in set(b.layers["name"])
    return b


def _assert_escaped(text: str) -> None:
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;" in text


def test_every_display_is_a_table_and_escaped(qat: trtinspect.EngineBundle, hostile: trtinspect.EngineBundle) -> None:
    findings = lint(hostile)
    outputs = {
        "bundle": notebook.bundle_html(hostile),
        "findings": notebook.findings_html(findings),
        "diff": notebook.diff_html(diff(qat, hostile)),
        "check": notebook.check_html(run_check([qat], [hostile])),
        "pandas findings": findings._repr_html_() or "",
    }
    for what, text in outputs.items():
        assert "<table" in text, what
        if what not in ("diff", "check"):  # the renamed layer pairs with its twin: unchanged, not listed
            _assert_escaped(text)
        else:
            assert "<script" not in text


def test_ipython_shows_results_as_html(qat: trtinspect.EngineBundle) -> None:
    from IPython.core.formatters import DisplayFormatter

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    assert notebook.register(shell)
    residual = trtinspect.load(RESNET / "qat-residual")
    for obj, title in (
        (qat, "TensorRT engine resnet-qat.onnx"),
        (diff(qat, residual), "diff: resnet-qat.onnx -&gt; resnet-qat-residual.onnx"),
        (run_check([qat], [residual]), "check: resnet-qat-residual.onnx vs resnet-qat.onnx: pass"),
    ):
        data, _ = shell.display_formatter.format(obj)
        assert title in data["text/html"], type(obj)
    assert not notebook.register(SimpleNamespace())  # not an IPython shell


def test_figures_are_the_dashboards(qat: trtinspect.EngineBundle) -> None:
    import plotly.graph_objects as go

    figs = trtinspect.figures(qat)
    assert list(figs) == ["graph", "iterations", "time_by_type", "time_by_precision", "top_layers"]
    d = diff(qat, trtinspect.load(RESNET / "qat-residual"))
    dfigs = trtinspect.figures(d)
    assert list(dfigs) == ["waterfall", "by_type", "by_precision", "precision_changes"]
    for fig in [*figs.values(), *dfigs.values()]:
        assert isinstance(fig, go.Figure) and fig.data
    with pytest.raises(TypeError, match="EngineBundle or a DiffResult"):
        trtinspect.figures("sample:resnet18-a100/qat")


def test_explore_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype")  # the kernel inherits it: never a browser
    start = time.perf_counter()
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    elapsed = time.perf_counter() - start
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "data" in o and "text/html" in o["data"]]
    assert any("TensorRT engine resnet-qat.onnx" in h for h in html)
    assert any("check: resnet-qat.onnx vs resnet-qat-residual.onnx: regression" in h for h in html)
    assert sum("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs) == 2
    assert elapsed < 120, f"the notebook took {elapsed:.0f} s"

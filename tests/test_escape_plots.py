"""Names from the inputs are text in every chart and Markdown line (new-user trial, session 9).

Plotly reads labels, legend names, hover texts and titles as its own small HTML: a layer named
``<a href="...">G</a>`` became a live link in ``diff --format html`` and on the dashboard's Engine and Diff
pages. A name starting with ``# `` or ``> `` became a heading or a blockquote inside a lint Markdown list item.
The bundles below are the real A100 ResNet-18 samples with two layer names replaced (in every file, so the
profile still belongs to the graph).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import RESNET
from markdown_it import MarkdownIt

from trtinspect.cli import cli
from trtinspect.render import plots
from trtinspect.render.escape import md_cell, md_text

LINK = '<a href="https://e.x">G</a>'
BOLD = "<b>Q</b>"
RENAMES = {
    "qat": {"GlobalAveragePool_246": LINK, "MaxPool_12": BOLD},
    "qat-residual": {"GlobalAveragePool_294": LINK, "MaxPool_12": BOLD},
}
# Tags a chart may hold: the ones trtinspect writes itself into hover templates.
OWN_TAGS = {"<br>", "<extra>", "</extra>"}


def _copy_renamed(variant: str, dest: Path, renames: dict[str, str]) -> Path:
    out = dest / variant
    out.mkdir(parents=True)
    for f in (RESNET / variant).iterdir():
        text = f.read_text()
        for old, new in renames.items():
            text = text.replace(f'"{old}', json.dumps(new)[:-1])  # the name and any suffix after it
        (out / f.name).write_text(text)
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    return {v: _copy_renamed(v, root, r) for v, r in RENAMES.items()}


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, (list, tuple)):
        return [s for v in obj for s in _strings(v)]
    if hasattr(obj, "tolist"):
        return _strings(obj.tolist())
    return []


def _tags(fig: Any) -> set[str]:
    return {t for s in _strings(fig.to_plotly_json()) for t in re.findall(r"<[^<>]*>", s)}


def test_plot_text_escapes_plotly_markup() -> None:
    assert plots.plot_text(LINK) == "&lt;a href=\"https://e.x\"&gt;G&lt;/a&gt;"
    assert plots.plot_text("a & b") == "a &amp; b"
    assert plots.plot_text("Conv_0 + Relu_1") == "Conv_0 + Relu_1"


def test_every_chart_shows_names_as_text() -> None:
    """Each figure builder, fed hostile names in every text field it takes: no tag but the tool's own."""
    name = LINK
    groups = pd.DataFrame({
        "label": [name, BOLD], "kind": ["1:1", "1:1"], "delta_ms": [0.5, -0.2], "changes": [["precision"]] * 2,
        "a_precision": ["FP16", BOLD], "b_precision": ["INT8", "FP32"], "a_output_precision": ["FP16"] * 2,
        "b_output_precision": ["INT8"] * 2})
    by_key = pd.DataFrame({"key": [name, "FP16"], "a_ms": [1.0, 2.0], "b_ms": [1.5, 1.0]})
    share = pd.DataFrame({"key": [name, BOLD], "avg_ms": [1.0, 2.0], "layers": [1, 2]})
    top = pd.DataFrame({"name": [name, BOLD], "avg_ms": [1.0, 2.0], "precision": [BOLD, "FP16"]})
    trend = pd.DataFrame({"run_id": [1, 2], "created_at": [name, name], "what": [name, name],
                          "base_ms": [1.0, 1.1], "cand_ms": [1.2, 1.3]})
    runs = pd.DataFrame({"id": [1], "created_at": [name], "e2e_base_ms": [1.0], "e2e_cand_ms": [1.1],
                         "verdict": ["pass"]})
    nodes = pd.DataFrame({"layer_index": [0, 1], "x": [0.0, 0.0], "y": [0.0, -1.0], "label": [name, BOLD],
                          "hover": [plots.plot_text(name), "x"], "precision": [BOLD, "FP16"],
                          "layer_type": [name, "Conv"], "avg_ms": [0.1, float("nan")], "highlight": [True, False]})
    edges = pd.DataFrame({"x0": [0.0], "y0": [0.0], "x1": [0.0], "y1": [-1.0], "hover": ["t"]})
    figs = [
        plots.fig_diff_waterfall(groups, 3.0, 3.3, a_label=name, b_label=BOLD),
        plots.fig_time_by_type(by_key, a_label=name, b_label=BOLD),
        plots.fig_time_by_precision(by_key, a_label=name, b_label=BOLD),
        plots.fig_precision_changes(groups),
        plots.fig_time_share(share, title=name),
        plots.fig_top_layers(top, title=name),
        plots.fig_history_trend(trend, title=name),
        plots.fig_history_runs(runs, title=name),
        plots.fig_engine_graph(nodes, edges, title=name, highlight_label=name),
        plots.fig_engine_graph(nodes, edges, color_by="layer_type"),
    ]
    for fig in figs:
        assert _tags(fig) <= OWN_TAGS, fig.layout.title.text
        # no name is pasted into a hover template, where %{...} would be read as a field
        templates = [t.hovertemplate for t in fig.data if getattr(t, "hovertemplate", None)]
        assert not any("e.x" in t or "<b>" in t for t in templates)


def test_diff_html_charts_show_names_as_text(hostile: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "d.html"
    res = CliRunner().invoke(cli, ["diff", str(hostile["qat"]), str(hostile["qat-residual"]), "--format",
                                    "html", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text()
    # plotly's JSON writes "<" as \u003c: a raw tag from a name would read \u003ca href / \u003cb\u003eQ
    assert "\\u003ca href" not in page and "\\u003cb\\u003eQ" not in page
    assert "&lt;a href" in page or "\\u0026lt;a href" in page


@pytest.mark.browser
def test_diff_html_in_chromium_has_no_link_from_a_name(hostile: dict[str, Path], tmp_path: Path) -> None:
    """The same report drawn by real headless Chromium: the name is tick/legend text, not an <a> element."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    out = tmp_path / "d.html"
    res = CliRunner().invoke(cli, ["diff", str(hostile["qat"]), str(hostile["qat-residual"]), "--format", "html",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox",
                                                                           "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page()
        page.goto(out.as_uri())
        page.wait_for_selector(".plotly-graph-div .main-svg", timeout=20_000)
        links = page.evaluate("document.querySelectorAll('.plotly-graph-div svg a').length")
        bold = page.evaluate("document.querySelectorAll('.plotly-graph-div svg [style*=\"bold\"]').length")
        shown = page.evaluate("Array.from(document.querySelectorAll('.plotly-graph-div text'))"
                              ".map(t => t.textContent).join('\\n')")
        browser.close()
    assert links == 0 and bold == 0
    assert '<a href="https://e.x">G</a>' in shown   # shown as its characters


def test_app_figures_show_names_as_text(hostile: dict[str, Path]) -> None:
    """The dashboard's Engine page figures (graph, breakdowns, top layers) and Diff page figures."""
    import trtinspect
    from trtinspect.app import figures
    from trtinspect.inspector.diff import diff

    a, b = trtinspect.load(hostile["qat"]), trtinspect.load(hostile["qat-residual"])
    engine = figures.engine_figures(a)
    assert "graph" in engine and "top_layers" in engine
    shown = figures.diff_figures(diff(a, b))
    for name, fig in [*engine.items(), *shown.items()]:
        assert _tags(fig) <= OWN_TAGS, name


def test_lint_markdown_names_start_no_block(tmp_path: Path) -> None:
    bundle = _copy_renamed("qat", tmp_path, {"QuantizeLinear_15": "# H1", "MaxPool_12": "> quote"})
    res = CliRunner().invoke(cli, ["lint", str(bundle), "--format", "markdown"])
    assert res.exit_code == 0, res.output
    assert not re.search(r"^\s*- (# H1|> quote)", res.output, re.MULTILINE)
    assert "\\# H1" in res.output and "\\> quote" in res.output
    rendered = MarkdownIt().render(res.output)
    assert "<blockquote>" not in rendered
    assert rendered.count("<h1>") == 1   # the document's own title


@pytest.mark.parametrize(("text", "escaped"), [
    ("# H1", "\\# H1"), ("> q", "\\> q"), ("- x", "\\- x"), ("+ x", "\\+ x"), ("1. x", "1\\. x"),
    ("12) x", "12\\) x"), ("===", "\\==="), ("---", "\\---"),
    ("-0.5 ms", "-0.5 ms"), ("1.5 ms", "1.5 ms"), ("#tag", "#tag"), ("a > b", "a > b"), ("2026-12-07", "2026-12-07"),
])
def test_md_text_escapes_a_leading_block_marker(text: str, escaped: str) -> None:
    assert md_text(text) == escaped
    rendered = MarkdownIt().render(f"- {md_text(text)}\n")
    assert rendered.startswith("<ul>\n<li>") and "<h" not in rendered and "<blockquote" not in rendered
    assert md_cell(text) == text   # a table cell starts no block: left as it is

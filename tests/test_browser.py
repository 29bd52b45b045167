"""End-to-end: the dashboard in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

The app runs in this process on 127.0.0.1 with a free port (werkzeug in a thread). Screenshots of each page go
to ``$TRTINSPECT_SCREENSHOTS`` when set (docs/screenshots/ is made that way), else to the test's tmp dir.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LOGS, RESNET, resnet_file

import trtinspect
from trtinspect.app.server import create_app
from trtinspect.app.state import Registry

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--disable-dev-shm-usage",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000

if not CHROMIUM.exists():
    pytest.skip(
        "Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)


@pytest.fixture(scope="module")
def history_url(tmp_path_factory: pytest.TempPathFactory, qat_rerun: Path) -> str:
    from trtinspect.inspector import history
    from trtinspect.inspector.check import run_check

    qat, res = trtinspect.load(RESNET / "qat"), trtinspect.load(RESNET / "qat-residual")
    rerun = trtinspect.load(qat_rerun)   # a GENERATED second run of qat (conftest)
    url = history.as_url(tmp_path_factory.mktemp("hist") / "h.sqlite")
    for base, cand in ((qat, rerun), (qat, res), (qat, rerun)):
        history.record(run_check([base], [cand]), [base], [cand], url)
    return url


@pytest.fixture(scope="module")
def server(history_url: str) -> Iterator[tuple[str, Registry]]:
    from werkzeug.serving import make_server

    reg = Registry()
    for variant in ("qat", "qat-residual", "fp16"):
        reg.add(trtinspect.load(RESNET / variant), label=f"resnet18-a100/{variant}", origin="sample")
    reg.add(trtinspect.load(LOGS / "seed-fx-vs-implicit-int8" / "fx-qdq-int8.profile.log"), origin="sample")
    srv = make_server(
        "127.0.0.1", 0, create_app(reg, history_url=history_url, max_upload_mb=5).server, threaded=True
    )
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", reg
    srv.shutdown()


@pytest.fixture(scope="module")
def page(server: tuple[str, Registry]) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        pg.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        yield pg
        browser.close()
        assert errors == [], errors


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("TRTINSPECT_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


CY = "document.getElementById('{gid}')._cyreg.cy"
MIN_FONT_PX = 8.0  # a label drawn smaller than this is not readable


def _fitted(page: Any, graph_id: str) -> str | None:
    value = page.evaluate(f"document.getElementById('{graph_id}')?.getAttribute('data-fitted') ?? null")
    return None if value is None else str(value)


def _wait_graph(page: Any, graph_id: str = "engine-graph", before: str | None = None) -> None:
    """Wait until the graph is drawn and fitted (again, when ``before`` is the previous fit stamp)."""
    page.wait_for_function(
        f"(() => {{ const el = document.getElementById('{graph_id}');"
        " return el && el._cyreg && el._cyreg.cy.nodes().length > 0"
        f" && el.getAttribute('data-fitted') !== null && el.getAttribute('data-fitted') !== {json.dumps(before)}; }})()"
    )
    page.wait_for_timeout(150)


def _readable(page: Any, graph_id: str = "engine-graph") -> dict[str, Any]:
    """Per drawn node: is its box inside the canvas and its label at least MIN_FONT_PX tall on screen."""
    return dict(
        page.evaluate(
            "(() => { const cy = " + CY.format(gid=graph_id) + "; const w = cy.width(), h = cy.height();"
            " const out = {}; cy.nodes().forEach(n => { const b = n.renderedBoundingBox();"
            " const px = parseFloat(n.style('font-size')) * cy.zoom();"
            " out[n.id()] = {inside: b.x1 >= -1 && b.y1 >= -1 && b.x2 <= w + 1 && b.y2 <= h + 1,"
            " px: px, label: n.data('label') || '', layer: n.data('layer_index'), group: n.data('group'),"
            " classes: n.classes()}; }); return out; })()"
        )
    )


def _tap(page: Any, node_id: str, graph_id: str = "engine-graph", wait: bool = True) -> None:
    before = _fitted(page, graph_id)
    # `void`: an evaluate that returned the element would make Playwright serialize the whole graph
    page.evaluate(f"void {CY.format(gid=graph_id)}.getElementById('{node_id}').emit('tap')")
    if wait:
        _wait_graph(page, graph_id, before)


def test_engines_page_and_upload(
    server: tuple[str, Registry], page: Any, shots: Path, tmp_path: Path
) -> None:
    base, reg = server
    page.goto(base + "/")
    page.wait_for_selector(".card")
    assert page.locator(".card").count() == len(reg)
    assert "NVIDIA A100 80GB PCIe" in page.locator(".card").first.inner_text()
    page.screenshot(path=str(shots / "engines.png"), full_page=True)
    # a corrupt upload: one-line error in the page, no new card, the page keeps working
    bad = tmp_path / "broken.engine.graph.json"
    bad.write_text('{"Layers": [{"Name": "conv1", "LayerType"')
    page.locator("#upload input[type=file]").set_input_files(str(bad))
    err = page.wait_for_selector("#message-error")
    assert err.inner_text().startswith("upload error: broken.engine.graph.json:")
    assert page.locator(".card").count() == len(reg)
    page.screenshot(path=str(shots / "upload-error.png"), full_page=False)
    # a good upload afterwards is added
    before = len(reg)
    page.locator("#upload input[type=file]").set_input_files(
        [
            str(resnet_file("qat-residual-qgap", "graph.json")),
            str(resnet_file("qat-residual-qgap", "profile.json")),
        ]
    )
    page.wait_for_selector("#message-ok")
    page.wait_for_function(f"document.querySelectorAll('.card').length === {before + 1}")
    assert len(reg) == before + 1


def test_every_layer_of_every_bundled_engine_is_readable(page: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each bundled engine: at fit-to-screen every box is readable; one expand of a group draws each of its
    layers as a readable box (inside the canvas, label at least MIN_FONT_PX on screen)."""
    from werkzeug.serving import make_server

    reg = Registry()
    reg.load_samples()
    srv = make_server("127.0.0.1", 0, create_app(reg).server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    try:
        for engine_id in reg.ids():
            g = reg.graph(engine_id)
            page.goto(f"{base}/engine/{engine_id}")
            _wait_graph(page)
            top = _readable(page)
            assert top and all(n["inside"] and n["px"] >= MIN_FONT_PX for n in top.values()), (engine_id, top)
            seen = {n["layer"] for n in top.values() if n["layer"] is not None}
            for node_id, n in top.items():
                if n["group"] is None:
                    continue
                before = _fitted(page, "engine-graph")
                page.click("#graph-collapse")
                _wait_graph(page, before=before)
                _tap(page, node_id)
                opened = _readable(page)
                units = {g.layer_index[u] for u in g.tree.groups[int(n["group"])].units.tolist()}
                drawn = {m["layer"]: m for m in opened.values() if m["layer"] in units}
                assert set(drawn) == units, (engine_id, node_id)
                bad = [m for m in drawn.values() if not (m["inside"] and m["px"] >= MIN_FONT_PX and m["label"])]
                assert not bad, (engine_id, node_id, bad)
                seen |= set(drawn)
            assert seen == set(g.layer_index), engine_id
    finally:
        srv.shutdown()


def test_engine_page_graph_colouring_and_findings(
    server: tuple[str, Registry], page: Any, shots: Path
) -> None:
    base, reg = server
    engine_id = "resnet18-a100-qat"
    page.goto(f"{base}/engine/{engine_id}")
    _wait_graph(page)
    page.wait_for_selector("#findings-table .ag-row")
    legend = page.eval_on_selector_all("#graph-legend .legend-item", "els => els.map(e => e.textContent)")
    assert set(legend) <= set(reg.get(engine_id).bundle.layers["precision"].astype(str))
    # switch colouring: latency shows the ramp legend, layer type a legend of layer types
    page.get_by_label("latency").check()
    page.wait_for_function("document.querySelector('#graph-legend').textContent.includes('slowest shown')")
    page.get_by_label("layer type").check()
    page.wait_for_function("document.querySelector('#graph-legend').textContent.includes('Cask')")
    page.get_by_label("precision", exact=True).check()
    page.wait_for_function("document.querySelector('#graph-legend').textContent.includes('INT8')")
    # hover a box: the full layer name in the hover line
    name = str(reg.get(engine_id).bundle.layers["name"].iloc[1])
    g = reg.graph(engine_id)
    # expand the module holding layer 1 by tapping it; its layers appear, details show BESIDE the graph
    gid = g.tree.ancestors(1)[0]
    _tap(page, f"g{gid}")
    page.evaluate(f"void {CY.format(gid='engine-graph')}.getElementById('u1').emit('mouseover')")
    page.wait_for_function(f"document.querySelector('#graph-hover').textContent.includes({json.dumps(name[:30])})")
    _tap(page, "u1", wait=False)
    page.wait_for_selector("#layer-details")
    assert name in page.locator("#layer-details").inner_text()
    graph_box = page.locator("#engine-graph").bounding_box()
    details_box = page.locator("#graph-details").bounding_box()
    assert details_box["x"] > graph_box["x"] + graph_box["width"] - 5  # beside, not below
    assert abs(details_box["y"] - graph_box["y"]) < 40
    page.wait_for_timeout(400)
    page.locator("#engine-graph").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "engine.png"), full_page=False)
    # select the first finding: its layers are marked in the graph and explained below the table
    page.locator("#findings-table .ag-row").first.click()
    page.wait_for_function(f"{CY.format(gid='engine-graph')}.nodes('.hit').length > 0")
    title = str(reg.findings(engine_id).iloc[0]["title"])
    assert title in page.locator("#finding-detail").inner_text()


def test_generated_10k_engine_opens_collapsed_and_interactive(
    page: Any, shots: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A GENERATED 10,000-layer engine (benchmarks/generated_engine.py): drawn collapsed, each expand < 2 s."""
    import sys
    import time

    from werkzeug.serving import make_server

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from generated_engine import generate

    eng = generate(tmp_path_factory.mktemp("gen"), 10_000, "qat", indent=None)
    reg = Registry()
    engine_id = reg.admit(trtinspect.load(eng.folder), label="generated-qat-10000")
    srv = make_server("127.0.0.1", 0, create_app(reg).server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{srv.server_port}/engine/{engine_id}")
        _wait_graph(page)
        top = _readable(page)
        assert all(n["group"] is not None and n["inside"] and n["px"] >= MIN_FONT_PX for n in top.values())
        # expand down to the layers of one module, each step drawn and fitted within 2 s of the tap
        g = reg.graph(engine_id)
        target = next(i for i, n in enumerate(g.names) if n.startswith("layer2.0.conv1.weight [b147]"))
        path = g.tree.ancestors(target)
        took: list[float] = []
        for gid in path:
            t0 = time.perf_counter()
            _tap(page, f"g{gid}")
            took.append(time.perf_counter() - t0)
        assert max(took) < 2.0, took
        module = {g.layer_index[u] for u in g.tree.groups[path[-1]].units.tolist()}
        drawn = [n for n in _readable(page).values() if n["layer"] in module]
        assert len(drawn) == len(module) and all(n["inside"] and n["px"] >= MIN_FONT_PX for n in drawn)
        page.locator("#engine-graph").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "engine-10k.png"), full_page=False)
    finally:
        srv.shutdown()


def test_diff_page(server: tuple[str, Registry], page: Any, shots: Path) -> None:
    base, reg = server
    page.goto(f"{base}/diff?a=resnet18-a100-qat&b=resnet18-a100-qat-residual")
    page.wait_for_selector("#diff-table .ag-row")
    _wait_graph(page, "diff-graph")
    result = reg.diff("resnet18-a100-qat", "resnet18-a100-qat-residual")
    assert result.summary[:60] in page.locator(".summary").inner_text()
    page.wait_for_selector("#diff-waterfall .main-svg")
    rows = page.locator("#diff-table .ag-center-cols-container .ag-row").count()
    assert rows == min(15, len(result.groups))
    dg = reg.diff_graph("resnet18-a100-qat", "resnet18-a100-qat-residual")
    # select the largest change in the table: its group opens in both graphs, side by side on one row
    before = _fitted(page, "diff-graph")
    page.locator("#diff-table .ag-center-cols-container .ag-row").first.click()
    _wait_graph(page, "diff-graph", before)
    page.wait_for_function(f"{CY.format(gid='diff-graph')}.nodes('.hit').length >= 1")
    drawn = _readable(page, "diff-graph")
    marked = [k for k, n in drawn.items() if any(c.startswith("mark-") for c in n["classes"])]
    assert marked and len(marked) < 2 * dg.n
    page.locator("#diff-graph").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "diff.png"), full_page=False)


def test_history_page(server: tuple[str, Registry], page: Any, shots: Path) -> None:
    base, _ = server
    page.goto(f"{base}/history")
    page.wait_for_selector("#history-runs .ag-row")
    assert page.locator("#history-runs .ag-center-cols-container .ag-row").count() == 3
    page.wait_for_selector("#history-e2e .scatterlayer .point")
    page.wait_for_selector("#history-trend .scatterlayer .point")
    page.screenshot(path=str(shots / "history.png"), full_page=True)


def test_unknown_engine_url(server: tuple[str, Registry], page: Any) -> None:
    base, _ = server
    page.goto(f"{base}/engine/..%2F..%2Fetc%2Fpasswd")
    page.wait_for_selector("text=Not found")
    page.goto(base + "/")
    page.wait_for_selector(".card")

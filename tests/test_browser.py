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
def history_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from trtinspect.inspector import history
    from trtinspect.inspector.check import run_check

    qat, res = trtinspect.load(RESNET / "qat"), trtinspect.load(RESNET / "qat-residual")
    url = history.as_url(tmp_path_factory.mktemp("hist") / "h.sqlite")
    for base, cand in ((qat, qat), (qat, res), (qat, qat)):
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


def _points(page: Any, graph_id: str) -> int:
    return int(page.locator(f"#{graph_id} .scatterlayer .trace:not(.edges) .point").count())


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


def test_engine_page_graph_colouring_and_findings(
    server: tuple[str, Registry], page: Any, shots: Path
) -> None:
    base, reg = server
    engine_id = "resnet18-a100-qat"
    n_layers = len(json.loads(resnet_file("qat", "graph.json").read_text())["Layers"])
    page.goto(f"{base}/engine/{engine_id}")
    page.wait_for_selector("#engine-graph .scatterlayer .point")
    page.wait_for_selector("#findings-table .dash-cell")
    legend = page.eval_on_selector_all("#engine-graph .legendtext", "els => els.map(e => e.textContent)")
    assert set(legend) == set(reg.get(engine_id).bundle.layers["precision"].astype(str))
    # switch colouring: latency shows a colour bar, layer type a legend of layer types
    page.get_by_label("latency").check()
    page.wait_for_selector("#engine-graph .colorbar")
    page.get_by_label("layer type").check()
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#engine-graph .legendtext'))"
        ".some(e => e.textContent === 'CaskConvolution')"
    )
    page.get_by_label("precision", exact=True).check()
    page.wait_for_function("!document.querySelector('#engine-graph .colorbar')")
    # select the first finding: its layers are outlined in the graph and explained below the table
    page.locator("#findings-table input[type=radio]").first.check()
    page.wait_for_function(
        "Array.from(document.querySelectorAll('#engine-graph .legendtext'))"
        ".some(e => e.textContent === 'selected')"
    )
    title = str(reg.findings(engine_id).iloc[0]["title"])
    assert title in page.locator("#finding-detail").inner_text()
    assert page.locator("#engine-graph .scatterlayer .point").count() >= n_layers
    page.screenshot(path=str(shots / "engine.png"), full_page=True)


def test_diff_page(server: tuple[str, Registry], page: Any, shots: Path) -> None:
    base, reg = server
    page.goto(f"{base}/diff?a=resnet18-a100-qat&b=resnet18-a100-qat-residual")
    page.wait_for_selector("#diff-table .dash-cell")
    page.wait_for_selector("#diff-graph-b .scatterlayer .point")
    result = reg.diff("resnet18-a100-qat", "resnet18-a100-qat-residual")
    assert result.summary[:60] in page.locator(".summary").inner_text()
    page.wait_for_selector("#diff-waterfall .main-svg")
    rows = page.locator("#diff-table tr").count() - 1
    assert rows == min(15, len(result.groups))
    page.screenshot(path=str(shots / "diff.png"), full_page=True)


def test_history_page(server: tuple[str, Registry], page: Any, shots: Path) -> None:
    base, _ = server
    page.goto(f"{base}/history")
    page.wait_for_selector("#history-runs .dash-cell")
    assert page.locator("#history-runs tr").count() - 1 == 3
    page.wait_for_selector("#history-e2e .scatterlayer .point")
    page.wait_for_selector("#history-trend .scatterlayer .point")
    page.screenshot(path=str(shots / "history.png"), full_page=True)


def test_unknown_engine_url(server: tuple[str, Registry], page: Any) -> None:
    base, _ = server
    page.goto(f"{base}/engine/..%2F..%2Fetc%2Fpasswd")
    page.wait_for_selector("text=Not found")
    page.goto(base + "/")
    page.wait_for_selector(".card")

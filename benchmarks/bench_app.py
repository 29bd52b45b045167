"""Benchmark: time from request to a rendered Engine page, for a generated 50,000-layer engine and ResNet-18.

The big engine is GENERATED at run time in a temporary directory by ``benchmarks/generated_engine.py``
(the real ResNet-18 QAT bundle replicated with unique layer, tensor and source-node names, real
timing/metadata). The app runs in-process on 127.0.0.1 (a free port) and real headless Chromium
(/usr/bin/chromium, driven by Playwright) opens ``/engine/<id>`` and waits until the graph's nodes, the
latency charts and the findings table are drawn. "cold" = first request (loads nothing, but runs the
analyzer, the report and the graph model once); "warm" = the same page again (everything cached). Also the
server-side parts alone (no browser) and a plain ``json.loads`` of the graph file, measured in the same run,
for ratios.

Run:  .venv/bin/python benchmarks/bench_app.py [--layers 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server

import trtinspect
from trtinspect.app import callbacks as cb
from trtinspect.app.server import create_app
from trtinspect.app.state import Registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import best_of, machine
from generated_engine import generate

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RENDERED = ["#engine-graph .scatterlayer .point", "#iteration-breakdown .main-svg, .section p.muted",
            "#findings-table .dash-cell"]


def server_parts(reg: Registry, engine_id: str) -> dict[str, float]:
    """Seconds of each server-side step of a cold Engine page (a fresh copy of the bundle's caches)."""
    out = {}
    t0 = time.perf_counter()
    cb.render_page(reg, f"/engine/{engine_id}", "", max_upload_mb=50)
    out["page layout (report + lint + charts)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cb.engine_graph(reg, engine_id, "precision", "time", None, None)
    out["graph callback (model + view)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cb.engine_graph(reg, engine_id, "latency", "time", None, None)
    out["graph callback again (cached model)"] = time.perf_counter() - t0
    return out


def browser_times(base: str, warmup_id: str, ids: list[str], repeat: int) -> dict[str, tuple[float, float]]:
    """(cold, best warm) seconds per engine id; a first page of ``warmup_id`` loads the JS bundles."""
    from playwright.sync_api import sync_playwright

    def visit(engine_id: str) -> float:
        t0 = time.perf_counter()
        page.goto(f"{base}/engine/{engine_id}")
        for sel in RENDERED:
            page.wait_for_selector(sel, timeout=120_000)
        return time.perf_counter() - t0

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        visit(warmup_id)
        for engine_id in ids:
            cold = visit(engine_id)
            out[engine_id] = (cold, min(visit(engine_id) for _ in range(repeat)))
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request log lines
    with tempfile.TemporaryDirectory() as tmp:
        eng = generate(Path(tmp), args.layers, "qat")
        folder = eng.folder
        raw = eng.graph.read_bytes()
        t_json = best_of(lambda: json.loads(raw), args.repeat)  # clean heap: nothing loaded yet
        t0 = time.perf_counter()
        big = trtinspect.load(folder)
        t_load = time.perf_counter() - t0
    small = trtinspect.load("sample:resnet18-a100/qat")
    labels = {"small": "ResNet-18 qat (37 layers)", "big": f"generated ({len(big.layers)} layers)"}
    parts = {}
    for key, bundle in (("small", small), ("big", big)):
        reg = Registry()
        parts[key] = server_parts(reg, reg.add(bundle, label=labels[key]))
    reg = Registry()   # fresh caches for the browser's cold requests
    warmup = reg.add(trtinspect.load("sample:resnet18-a100/fp16"), label="warm-up")
    ids = {key: reg.add(b, label=labels[key]) for key, b in (("small", small), ("big", big))}
    srv = make_server("127.0.0.1", 0, create_app(reg).server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        nan = (float("nan"), float("nan"))
        shown = (browser_times(f"http://127.0.0.1:{srv.server_port}", warmup, list(ids.values()), args.repeat)
                 if os.path.exists(CHROMIUM) else {i: nan for i in ids.values()})
    finally:
        srv.shutdown()
    print(f"machine: {machine()}")
    print(f"json.loads(generated graph file, {len(raw) / 1e6:.1f} MB)  {t_json:7.3f} s")
    print(f"trtinspect.load(generated bundle)              {t_load:7.3f} s  (done once at startup)")
    small_cold = shown[ids["small"]][0]
    for key, label in labels.items():
        print(f"--- {label}")
        for k, v in parts[key].items():
            print(f"  server: {k:42s} {v:7.3f} s")
        cold, warm = shown[ids[key]]
        print(f"  browser: request -> rendered page, cold        {cold:7.3f} s   "
              f"({cold / t_json:5.2f}x json.loads, {cold / small_cold:5.2f}x ResNet-18 cold)")
        print(f"  browser: request -> rendered page, warm        {warm:7.3f} s   "
              f"({warm / t_json:5.2f}x json.loads)")


if __name__ == "__main__":
    main()

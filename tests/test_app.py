"""The dashboard without a browser: registry, callbacks as plain functions, the app via Flask's test client.

Expectations are computed from the real sample files (graph.json, profile.json, timing.json) themselves.
"""

from __future__ import annotations

import base64
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from conftest import LOGS, RESNET_VARIANTS, resnet_file

import trtinspect
from trtinspect.app import callbacks as cb
from trtinspect.app.graph import GraphModel
from trtinspect.app.server import create_app
from trtinspect.app.state import Registry, UnknownEngine, safe_filename

QAT = "resnet18-a100-qat"
QAT_RES = "resnet18-a100-qat-residual"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def reg() -> Registry:
    r = Registry()
    r.load_samples()
    return r


def _graph(variant: str) -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = json.loads(resnet_file(variant, "graph.json").read_text())["Layers"]
    return layers


def _profile(variant: str) -> dict[str, float]:
    rows = json.loads(resnet_file(variant, "profile.json").read_text())[1:]
    return {r["name"]: r["averageMs"] for r in rows}


def _node_traces(fig: go.Figure) -> list[Any]:
    """Traces drawing layers (not edges, not the highlight ring)."""
    return [
        t
        for t in fig.data
        if t.customdata is not None and t.name not in ("selected", "changed groups", "selected group")
    ]


def _highlighted(fig: go.Figure, name: str = "selected") -> list[int]:
    hits = [t for t in fig.data if t.name == name]
    return sorted(int(x) for t in hits for x in t.customdata)


def _text(component: Any) -> str:
    """Everything a Dash component tree would send, as one string."""
    return json.dumps(
        component, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o)
    )


def _data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


# ------------------------------------------------------------------------------------------------ registry
def test_samples_loaded_with_ids_not_paths(reg: Registry) -> None:
    ids = reg.ids()
    for v in RESNET_VARIANTS:
        assert f"resnet18-a100-{v}" in ids
    # log folders holding several engines load file by file; only files with layers become engines
    assert "trtexec-logs-seed-fx-vs-implicit-int8-fx-qdq-int8-profile" in ids
    assert "trtexec-logs-seed-fx-vs-implicit-int8-implicit-int8-profile" in ids
    assert not any("summary" in i for i in ids)
    for i in ids:
        assert "/" not in i and i == i.lower()
    with pytest.raises(UnknownEngine):
        reg.get("../../etc/passwd")


@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_card_facts_match_files(reg: Registry, variant: str) -> None:
    from trtinspect.app.pages_engines import engine_facts

    facts = engine_facts(reg, f"resnet18-a100-{variant}")
    timing = json.loads(resnet_file(variant, "timing.json").read_text())
    mean = sum(t["latencyMs"] for t in timing) / len(timing)
    assert facts["Layers"] == f"{len(_graph(variant))} (detailed)"
    assert facts["GPU"] == "NVIDIA A100 80GB PCIe"
    assert facts["Latency"] == f"{mean:.3f} ms latency (mean of {len(timing)} iterations)"
    findings = reg.findings(f"resnet18-a100-{variant}")
    assert facts["Top finding"].startswith(str(findings.iloc[0]["title"]))
    # precision mix shares add up to 100 % of the per-layer time
    shares = [float(part.split()[-1].rstrip("%")) for part in facts["Precision mix"].split(" \u00b7 ")]
    assert sum(shares) == pytest.approx(100, abs=len(shares))


def test_heavy_work_is_cached(reg: Registry) -> None:
    assert reg.findings(QAT) is reg.findings(QAT)
    assert reg.graph(QAT) is reg.graph(QAT)
    assert reg.diff(QAT, QAT_RES) is reg.diff(QAT, QAT_RES)


# --------------------------------------------------------------------------------------------- engine graph
def test_graph_nodes_edges_and_latency_colouring(reg: Registry) -> None:
    layers = _graph("qat")
    profile = _profile("qat")
    fig, text = cb.engine_graph(reg, QAT, "latency", "time", None, None)
    assert text.startswith(f"All {len(layers)} layers")
    nodes = _node_traces(fig)
    shown = sorted(int(x) for t in nodes for x in t.customdata)
    assert shown == list(range(len(layers)))
    # colour = each layer's profiled average time, read from profile.json by name
    timed = next(t for t in nodes if t.name == "timed")
    names = [layers[int(i)]["Name"] for i in timed.customdata]
    assert list(timed.marker.color) == pytest.approx([profile[n] for n in names])
    # one edge per (producer, consumer) tensor link in graph.json
    produced = {o["Name"]: i for i, layer in enumerate(layers) for o in layer["Outputs"]}
    links = {
        (produced[t["Name"]], i)
        for i, layer in enumerate(layers)
        for t in layer["Inputs"]
        if t["Name"] in produced
    }
    tensor_marks = next(t for t in fig.data if t.name == "tensor")
    assert len(tensor_marks.x) == len(links)


def test_graph_colour_by_precision_and_type(reg: Registry) -> None:
    b = reg.get(QAT).bundle
    fig, _ = cb.engine_graph(reg, QAT, "precision", "uniform", None, None)
    assert {t.name for t in _node_traces(fig)} == set(b.layers["precision"].astype(str))
    assert all(s == 14 for t in _node_traces(fig) for s in t.marker.size)
    fig, _ = cb.engine_graph(reg, QAT, "layer_type", "time", None, None)
    assert {t.name for t in _node_traces(fig)} == {layer["LayerType"] for layer in _graph("qat")}


def test_selecting_a_finding_outlines_its_layers(reg: Registry) -> None:
    findings = reg.findings(QAT)
    for pos in range(min(len(findings), 5)):
        fig, _ = cb.engine_graph(reg, QAT, "precision", "time", None, [pos])
        assert _highlighted(fig) == sorted(int(i) for i in findings.iloc[pos]["layer_indices"])
    details = cb.finding_details(reg, QAT, [0])
    assert str(findings.iloc[0]["title"]) in _text(details)


def test_search_and_click_details(reg: Registry) -> None:
    layers = _graph("qat")
    fig, text = cb.engine_graph(reg, QAT, "precision", "time", "conv_9", None)
    hits = [i for i, layer in enumerate(layers) if "conv_9" in layer["Name"].lower()]
    assert _highlighted(fig) == hits and f"{len(hits)} layer(s) match" in text
    _, text = cb.engine_graph(reg, QAT, "precision", "time", "no-such-layer", None)
    assert "No layer name contains" in text
    panel = _text(cb.node_details(reg, QAT, {"points": [{"customdata": 1}]}))
    assert layers[1]["Name"] in panel and layers[1]["TacticName"] in panel
    assert "Click a layer" in _text(cb.node_details(reg, QAT, None))


def test_names_only_engine_is_chained_in_execution_order(reg: Registry) -> None:
    engine_id = "trtexec-logs-seed-fx-vs-implicit-int8-implicit-int8-profile"
    g = reg.graph(engine_id)
    assert g.edges_inferred and g.n == len(reg.get(engine_id).bundle.layers)
    fig, text = cb.engine_graph(reg, engine_id, "latency", "time", None, None)
    assert "no tensor edges" in text
    assert len(next(t for t in fig.data if t.name == "tensor").x) == g.n - 1


def _replicated_engine(tmp: Path, copies: int) -> Path:
    """A GENERATED engine: the real QAT graph/profile replicated ``copies`` times with unique names."""
    graph = json.loads(resnet_file("qat", "graph.json").read_text())
    prof = json.loads(resnet_file("qat", "profile.json").read_text())
    layers, rows = [], [prof[0]]
    by_name = {r["name"]: r for r in prof[1:]}
    for k in range(copies):
        for rec in graph["Layers"]:
            r = json.loads(json.dumps(rec))
            r["Name"] = f"{rec['Name']} #{k}"
            for t in r["Inputs"] + r["Outputs"]:
                t["Name"] = f"{t['Name']} #{k}"
            layers.append(r)
            rows.append({**by_name[rec["Name"]], "name": r["Name"]})
    (tmp / "gen.engine.graph.json").write_text(json.dumps({"Layers": layers, "Bindings": graph["Bindings"]}))
    (tmp / "gen.engine.profile.json").write_text(json.dumps(rows))
    return tmp


def test_big_engine_view_is_bounded(tmp_path: Path) -> None:
    b = trtinspect.load(_replicated_engine(tmp_path, 30))
    r = Registry()
    engine_id = r.add(b, label="generated")
    total = len(b.layers)
    fig, text = cb.engine_graph(r, engine_id, "precision", "time", None, None, limit=100)
    shown = [int(x) for t in _node_traces(fig) for x in t.customdata]
    assert total == 30 * len(_graph("qat")) and len(shown) == 100
    assert text.startswith(f"Showing 100 of {total} layers")
    # the default focus is the slowest layer; the view is its connected neighbourhood
    g = r.graph(engine_id)
    assert g.hottest is not None and g.layer_index[g.hottest] in shown
    assert len(fig.to_json()) < 200_000
    # searching moves the view to the matches
    fig, _ = cb.engine_graph(r, engine_id, "precision", "time", "Conv_9 #29", None, limit=100)
    target = int(b.layers.index[b.layers["name"] == "conv1.weight + QuantizeLinear_7 + Conv_9 #29"][0])
    assert _highlighted(fig) == [target]


# ----------------------------------------------------------------------------------------------------- diff
def test_diff_view_accounts_for_every_group(reg: Registry) -> None:
    _summary, charts, rows, selected = cb.diff_view(reg, QAT, QAT_RES)
    result = reg.diff(QAT, QAT_RES)
    assert len(rows) == len(result.groups) and selected == []
    total_delta = sum(_profile("qat-residual").values()) - sum(_profile("qat").values())
    assert sum(r["delta_ms"] for r in rows) == pytest.approx(total_delta, abs=1e-3)
    assert [abs(r["delta_ms"]) for r in rows] == sorted((abs(r["delta_ms"]) for r in rows), reverse=True)
    ids = {c.id for c in charts if getattr(c, "id", None)}
    assert "diff-waterfall" in ids and "diff-precision-changes" in ids


def test_diff_graphs_outline_changed_groups(reg: Registry) -> None:
    result = reg.diff(QAT, QAT_RES)
    changed = result.groups[result.groups["kind"] != "unchanged"]
    fa, fb, text = cb.diff_graphs(reg, QAT, QAT_RES, None, "precision")
    assert _highlighted(fa, "changed groups") == sorted(i for ls in changed["a_layers"] for i in ls)
    assert _highlighted(fb, "changed groups") == sorted(i for ls in changed["b_layers"] for i in ls)
    assert f"{len(changed)} of {len(result.groups)} groups changed" in text
    gid = int(changed.iloc[0]["group_id"])
    fa, fb, _ = cb.diff_graphs(reg, QAT, QAT_RES, [gid], "latency")
    assert _highlighted(fa, "selected group") == sorted(changed.iloc[0]["a_layers"])


def test_diff_of_unknown_engine_is_a_message(reg: Registry) -> None:
    summary, _charts, rows, _ = cb.diff_view(reg, QAT, "nope")
    assert "unknown engine" in _text(summary) and rows == []


# --------------------------------------------------------------------------------------------------- upload
def test_upload_adds_an_engine() -> None:
    r = Registry()
    files = [
        (f"{v}.json", _data_url(resnet_file("qat-residual", v).read_bytes()))
        for v in ("graph.json", "profile.json")
    ]
    names = ["resnet-qat-residual.onnx.engine.graph.json", "resnet-qat-residual.onnx.engine.profile.json"]
    msg, cards = cb.upload(r, [f[1] for f in files], names, max_bytes=50 * MB)
    assert "Added" in _text(msg) and len(cards) == 1
    b = r.get(r.ids()[0]).bundle
    assert r.get(r.ids()[0]).origin == "upload"
    assert len(b.layers) == len(_graph("qat-residual")) and len(b.profile) == len(_profile("qat-residual"))
    assert not any(p.is_absolute() for ps in b.sources.values() for p in ps)


@pytest.mark.parametrize(
    ("name", "data", "expect"),
    [
        ("graph.json", b'{"Layers": [{"Name": "a", "LayerType"', "graph.json"),  # truncated JSON
        ("x.json", b"", "file is empty"),
        ("blob.bin", bytes(range(256)) * 8, "binary data"),
        ("model.engine", b"ftrt\x00\x01" * 50, "serialized TensorRT engines are not accepted"),
        ("plan.json", b"\x00\x01ftrt" * 100, "binary data"),
        ("notes.txt", b"hello world\n", "not a trtexec log"),
    ],
)
def test_bad_upload_is_one_line_and_changes_nothing(name: str, data: bytes, expect: str) -> None:
    r = Registry()
    before = set(Path(tempfile.gettempdir()).glob("trtinspect-upload-*"))
    msg, cards = cb.upload(r, [_data_url(data)], [name], max_bytes=MB)
    text = msg.children
    assert text.startswith("upload error: ") and expect in text and "\n" not in text
    assert tempfile.gettempdir() not in text
    assert len(r) == 0 and cards == []
    assert set(Path(tempfile.gettempdir()).glob("trtinspect-upload-*")) == before


def test_upload_limits_and_names() -> None:
    r = Registry()
    msg, _ = cb.upload(r, [_data_url(b"x" * 2048)], ["big.log"], max_bytes=1024)
    assert "over the" in msg.children and "upload limit" in msg.children
    msg, _ = cb.upload(r, ["data:;base64,@@@not-base64"], ["a.json"], max_bytes=MB)
    assert "not valid base64" in msg.children
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\x\\..\\.bashrc") == "bashrc"
    assert len(r) == 0


# ------------------------------------------------------------------------------------------ pages and HTTP
def test_router(reg: Registry) -> None:
    def text(path: str, search: str = "") -> str:
        return _text(cb.render_page(reg, path, search, max_upload_mb=5))

    assert "engine-cards" in text("/")
    page = text(f"/engine/{QAT}")
    assert "engine-graph" in page and "findings-table" in page and "iteration-breakdown" in page
    assert "Not found" in text("/engine/..%2F..%2Fetc%2Fpasswd") and "Not found" in text("/nowhere")
    assert QAT_RES in text("/diff", f"?a={QAT}&b={QAT_RES}")
    assert "--history" in text("/history")


def test_http_app(reg: Registry) -> None:
    app = create_app(reg, max_upload_mb=1)
    client = app.server.test_client()
    home = client.get("/")
    assert home.status_code == 200 and home.headers["X-Content-Type-Options"] == "nosniff"
    body = {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [
            {"id": "url", "property": "pathname", "value": f"/engine/{QAT}"},
            {"id": "url", "property": "search", "value": ""},
        ],
        "changedPropIds": ["url.pathname"],
    }
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200
    assert _graph("qat")[0]["Name"] in resp.get_data(as_text=True)
    big = client.post("/_dash-update-component", data=b"x" * (4 * MB), content_type="application/json")
    assert big.status_code == 413


def test_iteration_breakdown_bins_real_times(reg: Registry) -> None:
    from trtinspect.app.pages_engine import MAX_ITERATION_BARS, iteration_frame

    timing = json.loads(resnet_file("qat", "timing.json").read_text())
    frame, title = iteration_frame(reg, QAT)
    k = math.ceil(len(timing) / MAX_ITERATION_BARS)
    assert len(frame) == math.ceil(len(timing) / k) and f"{len(timing)} iterations" in title
    assert frame["compute_ms"].iloc[0] == pytest.approx(sum(t["computeMs"] for t in timing[:k]) / k, rel=1e-6)
    # a log with only a performance summary: one row of means
    r = Registry()
    engine_id = r.add(trtinspect.load(LOGS / "trt8.4" / "result-FP16.log"))
    frame, title = iteration_frame(r, engine_id)
    assert len(frame) == 1 and "summary" in title and frame["compute_ms"].iloc[0] > 0


def test_graph_model_on_every_sample(reg: Registry) -> None:
    for engine_id in reg.ids():
        g: GraphModel = reg.graph(engine_id)
        assert g.n == len(reg.get(engine_id).bundle.layers)
        fig, _ = cb.engine_graph(reg, engine_id, "layer_type", "time", None, None)
        assert sum(len(t.customdata) for t in _node_traces(fig)) == g.n


def test_history_callbacks(tmp_path: Path) -> None:
    from trtinspect.app.pages_history import HistoryStore
    from trtinspect.inspector import history
    from trtinspect.inspector.check import run_check

    qat, res = (
        trtinspect.load(resnet_file("qat", "graph.json").parent),
        trtinspect.load(resnet_file("qat-residual", "graph.json").parent),
    )
    url = history.as_url(tmp_path / "h.sqlite")
    checks = [run_check([qat], [qat]), run_check([qat], [res]), run_check([qat], [qat])]
    for c, cand in zip(checks, (qat, res, qat), strict=True):
        history.record(c, [qat], [cand], url)
    store = HistoryStore(url)
    assert store.engine_names() == [qat.name, res.name]  # most checks first
    fig, labels, default = cb.history_runs(store, qat.name)
    cand = next(t for t in fig.data if t.name == "candidate")
    assert list(cand.y) == pytest.approx([checks[0].end_to_end.cand_ms, checks[2].end_to_end.cand_ms])
    assert default == labels[0] and str(qat.profile["name"].iloc[0]) in labels
    trend = cb.history_trend(store, qat.name, str(qat.profile["name"].iloc[0]))
    layer_cand = next(t for t in trend.data if t.name == "layer candidate")
    assert list(layer_cand.y) == pytest.approx([float(qat.profile["avg_ms"].iloc[0])] * 2)
    page = _text(cb.render_page(Registry(), "/history", "", max_upload_mb=1, history=store))
    assert "history-runs" in page and "3 recorded checks" in page
    with pytest.raises(trtinspect.TrtInspectError):
        HistoryStore(str(tmp_path / "missing.sqlite"))

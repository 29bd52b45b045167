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
    printed = json.loads(resnet_file(variant, "profile.metadata.json").read_text())["performance_summary"]
    mean = printed["Latency"][2]  # trtexec's figure over its measured window (issue 12)
    n = round(printed["Total GPU Compute Time"] * 1000 / printed["GPU Compute Time"][2])
    assert facts["Layers"] == f"{len(_graph(variant))} (detailed)"
    assert facts["GPU"] == "NVIDIA A100 80GB PCIe"
    assert facts["Latency"] == f"{mean:.3f} ms latency (mean of {n} iterations)"
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
def _nodes(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in elements if "source" not in e["data"]]


def _edges(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in elements if "source" in e["data"]]


def _all_open(reg: Registry, engine_id: str) -> list[int]:
    return list(range(1, len(reg.graph(engine_id).tree.groups)))


def _render(reg: Registry, engine_id: str, expanded: list[int], color: str = "precision", **kw: Any) -> Any:
    state = {"expanded": expanded, "focus": {"all": True}}
    return cb.engine_graph(reg, engine_id, state, color, kw.get("search"), kw.get("selected"))


def test_graph_opens_collapsed_and_one_expand_shows_layers(reg: Registry) -> None:
    layers = _graph("qat")
    elements, _legend, text, _crumbs, _focus = _render(reg, QAT, [])
    groups = [e for e in _nodes(elements) if e["data"]["kind"] == "group"]
    # ResNet-18 QAT opens as its ONNX modules (conv1, layer1..4, fc), every layer inside one of them
    labels = [e["data"]["label"].split("\n")[0] for e in groups]
    assert [lab.split()[1] for lab in labels] == ["conv1", "layer1", "layer2", "layer3", "layer4", "fc"]
    assert sum(int(lab.split("(")[1].split()[0]) for lab in labels) == len(layers)
    assert "collapsed groups (by ONNX module" in text
    # inputs at the top: every edge goes down the page
    pos = {e["data"]["id"]: e["position"] for e in _nodes(elements)}
    assert all(pos[e["data"]["source"]]["y"] < pos[e["data"]["target"]]["y"] for e in _edges(elements))
    # one expand of any group draws each of its layers as a box of its own
    g = reg.graph(QAT)
    for node in groups:
        gid = int(node["data"]["group"])
        opened, *_ = _render(reg, QAT, [gid])
        shown = {e["data"].get("layer_index") for e in _nodes(opened)}
        assert {g.layer_index[u] for u in g.tree.groups[gid].units.tolist()} <= shown


def test_graph_nodes_edges_and_labels(reg: Registry) -> None:
    layers = _graph("qat")
    profile = _profile("qat")
    elements, *_ = _render(reg, QAT, _all_open(reg, QAT))
    nodes = _nodes(elements)
    assert sorted(e["data"]["layer_index"] for e in nodes) == list(range(len(layers)))
    total = sum(profile.values())
    for e in nodes:
        rec = layers[e["data"]["layer_index"]]
        assert e["data"]["full"] == rec["Name"]  # full name on hover
        lines = e["data"]["label"].split("\n")
        assert len(lines) == 3 and len(lines[0]) <= 30
        assert lines[1].endswith(reg.graph(QAT).precision_text(e["data"]["layer_index"]))
        ms = profile[rec["Name"]]
        assert lines[2] == f"{ms:.4f} ms \u00b7 {100 * ms / total:.1f}%"
    # Q/DQ and reformat layers are drawn differently
    classes = {layers[e["data"]["layer_index"]]["Name"]: e["classes"] for e in nodes}
    assert "qdq" in classes["QuantizeLinear_2"]
    assert "reformat" in classes["Reformatting CopyNode for Output Tensor 0 to MaxPool_12"]
    assert "qdq" not in classes["conv1.weight + QuantizeLinear_7 + Conv_9"]
    # one edge per (producer, consumer) tensor link in graph.json, the tensor's shape and type on it
    produced = {o["Name"]: i for i, layer in enumerate(layers) for o in layer["Outputs"]}
    links = {
        (produced[t["Name"]], i)
        for i, layer in enumerate(layers)
        for t in layer["Inputs"]
        if t["Name"] in produced
    }
    ids = {e["data"]["id"]: e["data"]["layer_index"] for e in nodes}
    drawn = {(ids[e["data"]["source"]], ids[e["data"]["target"]]) for e in _edges(elements)}
    assert drawn == links
    first = next(e for e in _edges(elements) if ids[e["data"]["source"]] == 1)
    tensor = layers[1]["Outputs"][0]
    assert "x".join(map(str, tensor["Dimensions"])) in first["data"]["full"]


def test_graph_colour_by_precision_type_and_latency(reg: Registry) -> None:
    from trtinspect.app.graph_view import LATENCY_RAMP, PRECISION_COLORS

    b = reg.get(QAT).bundle
    opened = _all_open(reg, QAT)
    elements, legend_items, *_ = _render(reg, QAT, opened, "precision")
    by_idx = {e["data"]["layer_index"]: e["data"]["color"] for e in _nodes(elements)}
    for idx, prec in zip(b.layers["layer_index"], b.layers["precision"].astype(str), strict=True):
        assert by_idx[int(idx)] == PRECISION_COLORS[prec]
    assert {x.children[1] for x in legend_items} == set(b.layers["precision"].astype(str))
    elements, legend_items, *_ = _render(reg, QAT, opened, "layer_type")
    assert "CaskConvolution" in {x.children[1] for x in legend_items}
    elements, *_ = _render(reg, QAT, opened, "latency")
    slowest = max(_profile("qat").items(), key=lambda kv: kv[1])[0]
    idx = next(i for i, rec in enumerate(_graph("qat")) if rec["Name"] == slowest)
    assert next(e for e in _nodes(elements) if e["data"]["layer_index"] == idx)["data"]["color"] == LATENCY_RAMP[-1]


def test_selecting_a_finding_opens_and_marks_its_layers(reg: Registry) -> None:
    findings = reg.findings(QAT)
    g = reg.graph(QAT)
    for pos in range(min(len(findings), 5)):
        selected = [{"id": pos}]
        state = cb.graph_state(g, None, "hits", hits=cb.graph_hits(reg, QAT, g, None, selected)[0])
        elements, *_rest, focus = cb.engine_graph(reg, QAT, state, "precision", None, selected)
        want = [int(i) for i in findings.iloc[pos]["layer_indices"]]
        hit = [e["data"] for e in _nodes(elements) if "hit" in e["classes"]]
        layers = {d["layer_index"] for d in hit if "layer_index" in d}
        inside = {g.layer_index[u] for d in hit if "group" in d for u in g.tree.groups[d["group"]].units.tolist()}
        assert set(want[: cb.MAX_FOCUS]) <= layers  # the first layers are opened and drawn as marked boxes
        assert set(want) <= layers | inside  # the rest are inside marked groups
        assert focus["ids"]
    details = cb.finding_details(reg, QAT, [{"id": 0}])
    assert str(findings.iloc[0]["title"]) in _text(details)


def test_search_and_click_details(reg: Registry) -> None:
    layers = _graph("qat")
    g = reg.graph(QAT)
    hits, note = cb.graph_hits(reg, QAT, g, "conv_9", None)
    assert [layers[i]["Name"] for i in hits] == [r["Name"] for r in layers if "conv_9" in r["Name"].lower()]
    assert f"{len(hits)} layer(s) match" in note
    state = cb.graph_state(g, None, "hits", hits=hits)
    *_, focus = cb.engine_graph(reg, QAT, state, "precision", "conv_9", None)
    assert focus["ids"] == [f"u{h}" for h in hits]
    assert "No layer name contains" in cb.graph_hits(reg, QAT, g, "no-such-layer", None)[1]
    panel = _text(cb.node_details(reg, QAT, {"kind": "layer", "layer_index": 1}))
    assert layers[1]["Name"] in panel and layers[1]["TacticName"] in panel
    group = next(e for e in _nodes(_render(reg, QAT, [])[0]) if e["data"]["kind"] == "group")
    assert "ONNX module" in _text(cb.node_details(reg, QAT, group["data"]))
    assert "Click a layer" in _text(cb.node_details(reg, QAT, None))
    # tapping a group expands it; the collapse button and "collapse all" close it again
    tapped = cb.graph_state(g, None, "tap", tap=group["data"])
    assert tapped["expanded"] == [group["data"]["group"]] and tapped["focus"] == {"group": group["data"]["group"]}
    assert cb.graph_state(g, tapped, "collapse", collapse=group["data"]["group"])["expanded"] == []
    assert cb.graph_state(g, tapped, "collapse-all")["expanded"] == []


def test_names_only_engine_is_chained_in_execution_order(reg: Registry) -> None:
    engine_id = "trtexec-logs-seed-fx-vs-implicit-int8-implicit-int8-profile"
    g = reg.graph(engine_id)
    assert g.edges_inferred and g.n == len(reg.get(engine_id).bundle.layers)
    elements, _l, text, *_ = _render(reg, engine_id, _all_open(reg, engine_id))
    assert "no tensor edges" in text
    assert len(_edges(elements)) == g.n - 1 and all("inferred" in e["classes"] for e in _edges(elements))


def test_big_engine_opens_collapsed_and_fast(tmp_path: Path) -> None:
    """A GENERATED 10,000-layer engine (benchmarks/generated_engine.py): a bounded collapsed view."""
    import sys
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from generated_engine import generate

    eng = generate(tmp_path, 10_000, "qat", indent=None)
    r = Registry()
    engine_id = r.admit(trtinspect.load(eng.folder), label="generated")
    g = r.graph(engine_id)
    t0 = time.perf_counter()
    elements, _l, text, *_ = _render(r, engine_id, [])
    first = time.perf_counter() - t0
    nodes = _nodes(elements)
    assert 2 <= len(nodes) <= 10 and all(e["data"]["kind"] == "group" for e in nodes)
    assert sum(int(e["data"]["label"].split("(")[1].split()[0]) for e in nodes) == 10_000
    assert "10000 layers" in text and first < 2.0
    assert len(json.dumps(elements)) < 100_000
    # expanding down to a layer: each step stays bounded; search opens the path to a match
    needle = "layer3.0.conv1.weight (b200)"  # copy 200's names carry the block suffix (b200)
    target = next(i for i, n in enumerate(g.names) if n.startswith(needle))
    hits, _ = cb.graph_hits(r, engine_id, g, needle, None)
    assert hits == [target]
    state = cb.graph_state(g, None, "hits", hits=hits)
    elements, *_rest, focus = cb.engine_graph(r, engine_id, state, "precision", needle, None)
    assert focus["ids"] == [f"u{target}"] and len(_nodes(elements)) <= 60


# ----------------------------------------------------------------------------------------------------- diff
def test_diff_view_accounts_for_every_group(reg: Registry) -> None:
    _summary, charts, rows, selected = cb.diff_view(reg, QAT, QAT_RES)
    result = reg.diff(QAT, QAT_RES)
    assert len(rows) == len(result.groups) and selected == []
    assert "(-33.3% of A's per-layer total)" in str(_summary)      # each percentage names its denominator
    total_delta = sum(_profile("qat-residual").values()) - sum(_profile("qat").values())
    assert sum(r["delta_ms"] for r in rows) == pytest.approx(total_delta, abs=1e-3)
    assert [abs(r["delta_ms"]) for r in rows] == sorted((abs(r["delta_ms"]) for r in rows), reverse=True)
    ids = {c.id for c in charts if getattr(c, "id", None)}
    assert "diff-waterfall" in ids and "diff-precision-changes" in ids


def test_diff_graph_aligned_and_marks_only_real_changes(reg: Registry) -> None:
    from trtinspect.inspector.check import Thresholds

    result = reg.diff(QAT, QAT_RES)
    dg = reg.diff_graph(QAT, QAT_RES)
    t = Thresholds()
    groups = result.groups.sort_values("group_id").reset_index(drop=True)
    total = max(groups["a_ms"].sum(), groups["b_ms"].sum())
    for i, r in groups.iterrows():
        both = bool(r["a_layers"]) and bool(r["b_layers"])
        prec = both and str(r["a_precision"]) != str(r["b_precision"])
        d, a = float(r["delta_ms"]), float(r["a_ms"])
        timed = (
            both and a > 0 and abs(d) / a >= t.group_threshold and abs(d) >= t.floor_ms
            and max(a, float(r["b_ms"])) / total >= t.min_share
        )
        if both:
            assert bool(dg.marked[i]) == (prec or timed), r["label"]
    assert 0 < int(dg.marked.sum()) < len(groups)  # not "29 of 29 groups changed"
    every = list(range(1, len(dg.tree.groups)))
    state = {"expanded": every, "focus": {"all": True}}
    elements, _legend, text, *_ = cb.diff_graph(reg, QAT, QAT_RES, state, None)
    assert f"{int(dg.marked.sum())} of {len(groups)} aligned groups changed beyond noise" in text
    pos = {e["data"]["id"]: e["position"] for e in _nodes(elements)}
    for u in range(dg.n):
        if f"Au{u}" in pos and f"Bu{u}" in pos:  # a group of A and its counterpart in B share a row
            assert pos[f"Au{u}"]["y"] == pos[f"Bu{u}"]["y"] and pos[f"Au{u}"]["x"] < pos[f"Bu{u}"]["x"]
    marked_b = [e for e in _nodes(elements) if e["data"]["id"].startswith("Bu") and "mark-" in e["classes"]]
    assert len(marked_b) == int((dg.marked & dg.has_b).sum())
    slower = next(e for e in marked_b if "mark-slower" in e["classes"] or "mark-faster" in e["classes"])
    assert "\u0394" in slower["data"]["label"]  # the delta is on the node
    unit = int(slower["data"]["unit"])
    panel = _text(cb.diff_details(reg, QAT, QAT_RES, {"kind": "diffgroup", "unit": unit}))
    assert dg.labels[unit] in panel
    gid = dg.gids[unit]
    sel = cb.diff_state(dg, None, "select", group_id=gid)
    assert sel["focus"] == {"units": [unit]}


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
    # new-user trial: /diff?a=nope&b=... showed another engine as A without a word; now the /engine/ message
    page = text("/diff", f"?a=nope&b={QAT}")
    assert "Not found" in page and "No engine 'nope' on this server (A)." in page and "A (baseline)" not in page
    page = text("/diff", "?a=nope&b=gone")
    assert "No engine 'nope' on this server (A)." in page and "No engine 'gone' on this server (B)." in page
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
    # the measured window (issue 12): trtexec's summary starts at the first iteration after the warm-up
    window = reg.get(QAT).bundle.timing.window
    assert window is not None and window.first > 0
    assert frame.attrs["first_measured"] == window.first and f"shaded: {window.first} warm-up iterations" in title
    from trtinspect.render import plots

    fig = plots.fig_iteration_breakdown(frame, title=title, first_measured=frame.attrs["first_measured"])
    kinds = sorted(shape.type for shape in fig.layout.shapes)
    assert kinds == ["line", "rect"] and fig.layout.shapes[1].x0 == window.first
    assert "not measured (data transfers disabled)" in title   # the bundle's timing says so, not a 0 guess
    # a log with only a performance summary: one row of means
    r = Registry()
    engine_id = r.add(trtinspect.load(LOGS / "trt8.4" / "result-FP16.log"))
    frame, title = iteration_frame(r, engine_id)
    assert len(frame) == 1 and "summary" in title and frame["compute_ms"].iloc[0] > 0


def test_graph_model_on_every_sample(reg: Registry) -> None:
    for engine_id in reg.ids():
        g: GraphModel = reg.graph(engine_id)
        assert g.n == len(reg.get(engine_id).bundle.layers)
        elements, *_ = _render(reg, engine_id, _all_open(reg, engine_id), "layer_type")
        assert sorted(e["data"]["layer_index"] for e in _nodes(elements)) == sorted(g.layer_index)


def test_history_callbacks(tmp_path: Path, qat_rerun: Path) -> None:
    from trtinspect.app.pages_history import HistoryStore
    from trtinspect.inspector import history
    from trtinspect.inspector.check import run_check

    qat, res = (
        trtinspect.load(resnet_file("qat", "graph.json").parent),
        trtinspect.load(resnet_file("qat-residual", "graph.json").parent),
    )
    rerun = trtinspect.load(qat_rerun)   # a GENERATED second run of qat (conftest)
    url = history.as_url(tmp_path / "h.sqlite")
    checks = [run_check([qat], [rerun]), run_check([qat], [res]), run_check([qat], [rerun])]
    for c, cand in zip(checks, (rerun, res, rerun), strict=True):
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


# ------------------------------------------------------------------------- issue 17: one bad upload, not all
def _nonfinite_profile(tmp: Path) -> Path:
    """The real QAT profile with Infinity / -Infinity / NaN times (what issue 17 uploaded)."""
    rows = json.loads(resnet_file("qat", "profile.json").read_text())
    rows[1]["averageMs"], rows[2]["averageMs"], rows[3]["timeMs"] = math.inf, -math.inf, math.nan
    path = tmp / "bad.profile.json"
    path.write_text(json.dumps(rows))  # json writes Infinity / -Infinity / NaN
    assert "-Infinity" in path.read_text()
    return path


def _upload_body(name: str, data: bytes) -> dict[str, Any]:
    return {
        "output": "..upload-message.children...engine-cards.children...upload.contents..",
        "outputs": [
            {"id": "upload-message", "property": "children"},
            {"id": "engine-cards", "property": "children"},
            {"id": "upload", "property": "contents"},
        ],
        "inputs": [{"id": "upload", "property": "contents", "value": [_data_url(data)]}],
        "state": [{"id": "upload", "property": "filename", "value": [name]}],
        "changedPropIds": ["upload.contents"],
    }


def _page_body(path: str) -> dict[str, Any]:
    return {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [
            {"id": "url", "property": "pathname", "value": path},
            {"id": "url", "property": "search", "value": ""},
        ],
        "changedPropIds": ["url.pathname"],
    }


def test_nonfinite_upload_is_refused_before_it_is_registered(tmp_path: Path) -> None:
    r = Registry()
    r.admit(trtinspect.load(resnet_file("qat", "graph.json").parent), label="qat", origin="sample")
    client = create_app(r, max_upload_mb=5).server.test_client()
    bad = _nonfinite_profile(tmp_path)
    resp = client.post("/_dash-update-component", json=_upload_body("bad.profile.json", bad.read_bytes()))
    assert resp.status_code == 200
    msg = resp.get_json()["response"]["upload-message"]["children"]["props"]["children"]
    assert msg.startswith("upload error: bad.profile.json: averageMs ") and "Infinity" in msg
    assert "\n" not in msg and len(r) == 1  # refused: nothing registered
    # everyone else keeps being served: the engines page, the engine page, and a good upload
    for path in ("/", "/engine/qat"):
        page = client.post("/_dash-update-component", json=_page_body(path))
        assert page.status_code == 200 and "could not be drawn" not in page.get_data(as_text=True)
    good = resnet_file("qat-residual", "profile.json").read_bytes()
    resp = client.post("/_dash-update-component", json=_upload_body("resnet.profile.json", good))
    assert "Added" in resp.get_data(as_text=True) and len(r) == 2


@pytest.mark.parametrize(
    ("column", "value", "expect"),
    [
        ("avg_ms", -1.0, "averageMs of layer"),
        ("time_ms", math.nan, "timeMs of layer"),
        ("avg_ms", math.inf, "Infinity"),
    ],
)
def test_admit_names_file_field_and_value(column: str, value: float, expect: str) -> None:
    """The loader refuses such files itself; admission checks again whatever a bundle holds (a bundle built
    in Python, a future source): the registry never holds an engine with non-finite or negative times."""
    b = trtinspect.load(resnet_file("qat", "graph.json").parent)
    b.profile.loc[5, column] = value
    r = Registry()
    with pytest.raises(trtinspect.TrtInspectError) as exc:
        r.admit(b)
    text = str(exc.value)
    assert text.startswith("resnet-qat.onnx.engine.profile.json: ") and expect in text
    assert str(b.profile["name"].iloc[5])[:20] in text and "\n" not in text
    assert len(r) == 0


def test_a_failing_page_shows_its_error_and_the_rest_keep_serving(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trtinspect.app import pages_engine

    def broken(*_a: Any, **_k: Any) -> Any:
        raise ValueError("-inf + inf in fsum")

    monkeypatch.setattr(pages_engine, "layout", broken)
    client = create_app(reg, max_upload_mb=1).server.test_client()
    resp = client.post("/_dash-update-component", json=_page_body(f"/engine/{QAT}"))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "could not be drawn" in body and "-inf + inf in fsum" in body
    home = client.post("/_dash-update-component", json=_page_body("/"))
    assert home.status_code == 200 and "engine-cards" in home.get_data(as_text=True)
    # a failing callback answers with its message in the view, not HTTP 500
    monkeypatch.setattr(cb, "engine_graph", broken)
    body = {
        "output": "..engine-graph.elements...graph-legend.children...graph-view-text.children..."
        "graph-expanded.children...graph-focus.data..",
        "outputs": [
            {"id": "engine-graph", "property": "elements"},
            {"id": "graph-legend", "property": "children"},
            {"id": "graph-view-text", "property": "children"},
            {"id": "graph-expanded", "property": "children"},
            {"id": "graph-focus", "property": "data"},
        ],
        "inputs": [
            {"id": "graph-state", "property": "data", "value": {"expanded": []}},
            {"id": "graph-color", "property": "value", "value": "precision"},
        ],
        "state": [
            {"id": "engine-id", "property": "data", "value": QAT},
            {"id": "graph-search", "property": "value", "value": None},
            {"id": "findings-table", "property": "selectedRows", "value": []},
        ],
        "changedPropIds": ["graph-state.data"],
    }
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200 and "this view failed: ValueError" in resp.get_data(as_text=True)


def test_a_card_that_fails_does_not_hide_the_others(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    from trtinspect.app import pages_engines

    real = pages_engines.engine_facts

    def facts(r: Registry, engine_id: str) -> dict[str, str]:
        if engine_id == QAT:
            raise ValueError("-inf + inf in fsum")
        return real(r, engine_id)

    monkeypatch.setattr(pages_engines, "engine_facts", facts)
    cards = pages_engines.cards(reg)
    assert len(cards) == len(reg)
    text = _text(cards)
    assert "cannot draw this engine: ValueError" in text and "NVIDIA A100 80GB PCIe" in text

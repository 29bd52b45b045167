"""inspector.diff accounting, summary, renderers and `trtinspect diff` on the real A100 ResNet-18 bundles."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import LOGS, RESNET, resnet_file

import trtinspect
from trtinspect.cli import main
from trtinspect.errors import InternalError, TrtInspectError
from trtinspect.inspector import diff as diff_mod
from trtinspect.inspector.align import MODE_ORDER
from trtinspect.inspector.diff import DiffResult, diff, group_times
from trtinspect.render.diff import render, render_html, top_changes

PAIRS = [("fp32", "fp16"), ("qat", "qat-residual"), ("qat-residual", "qat-residual-qgap")]


def profile_avg(variant: str) -> dict[str, float]:
    """name -> averageMs, read straight from the --exportProfile JSON (first record is the count header)."""
    recs = orjson.loads(resnet_file(variant, "profile.json").read_bytes())
    return {r["name"]: r["averageMs"] for r in recs if "name" in r}


def gpu_compute_mean(variant: str) -> float:
    """trtexec's printed GPU compute mean (6 significant digits): what the bundle's timing reproduces."""
    meta = orjson.loads(resnet_file(variant, "profile.metadata.json").read_bytes())
    return float(meta["performance_summary"]["GPU Compute Time"][2])


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], DiffResult]:
    bundles = {v: trtinspect.load(RESNET / v) for v in {x for p in PAIRS for x in p}}
    return {(a, b): diff(bundles[a], bundles[b]) for a, b in PAIRS}


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_group_deltas_reconcile_with_profile_totals(results: dict[tuple[str, str], DiffResult],
                                                    a: str, b: str) -> None:
    r = results[(a, b)]
    ta, tb = sum(profile_avg(a).values()), sum(profile_avg(b).values())
    assert r.totals["a_layers_ms"] == pytest.approx(ta, abs=1e-9)
    assert r.totals["b_layers_ms"] == pytest.approx(tb, abs=1e-9)
    assert math.fsum(r.groups["delta_ms"]) == pytest.approx(tb - ta, abs=1e-9)
    assert r.groups["a_ms"].sum() == pytest.approx(ta, abs=1e-9)
    assert r.groups["b_ms"].sum() == pytest.approx(tb, abs=1e-9)
    assert abs(r.totals["reconcile_residual_ms"]) < 1e-9
    # every profiled layer is timed (the TREx bundles have one profile row per layer)
    assert (r.groups["a_untimed"] == 0).all() and (r.groups["b_untimed"] == 0).all()
    # the profiling overhead is shown: per-layer total minus mean GPU compute from the timing file
    assert r.totals["a_gpu_compute_ms"] == pytest.approx(gpu_compute_mean(a), rel=1e-5)
    assert r.totals["a_profiling_gap_ms"] == pytest.approx(ta - r.totals["a_gpu_compute_ms"], rel=1e-9)
    e2e = r.end_to_end.set_index("metric")
    assert e2e.loc["gpu_compute", "b_ms"] == pytest.approx(gpu_compute_mean(b), rel=1e-5)
    assert {"latency", "gpu_compute"} <= set(e2e.index)
    assert not {"h2d", "d2h"} & set(e2e.index)  # data transfers disabled: not measured, not 0
    # events partition the groups, so their deltas add up too
    assert math.fsum(e["delta_ms"] for e in r.events) == pytest.approx(tb - ta, abs=1e-9)
    assert sorted(g for e in r.events for g in e["group_ids"]) == sorted(r.groups["group_id"])


def test_group_time_is_sum_of_its_layers(results: dict[tuple[str, str], DiffResult]) -> None:
    r = results[("qat", "qat-residual")]
    pa, pb = profile_avg("qat"), profile_avg("qat-residual")
    members = r.alignment.members
    row = r.groups[r.groups["kind"] == "fused"].iloc[0]
    a_names = members[(members["side"] == "A") & (members["group_id"] == row["group_id"])]["name"]
    assert row["a_ms"] == pytest.approx(sum(pa[n] for n in a_names), abs=1e-12)
    fused_b = "conv1.weight + QuantizeLinear_7 + Conv_9 + MaxPool_12"
    assert row["b_ms"] == pytest.approx(pb[fused_b], abs=1e-12)


def test_qat_to_residual_summary_names_removed_quantizes_and_moved_adds(
        results: dict[tuple[str, str], DiffResult]) -> None:
    r = results[("qat", "qat-residual")]
    pa = profile_avg("qat")
    removed = [f"QuantizeLinear_{n}" for n in (15, 40, 65, 101, 126, 162, 187, 223)]
    ev = next(e for e in r.events if e["event"] == "removed" and "quantize" in e["what"])
    assert ev["count"] == 8
    assert ev["delta_ms"] == pytest.approx(-sum(pa[n] for n in removed), abs=1e-9)
    gain = sum(pa[n] for n in removed)
    assert f"B removed 8 standalone quantize reformats (-{gain:.3f} ms)" in r.summary
    assert "B fused 1 max pooling into its convolution (A: Conv_9, MaxPool_12; B: Conv_9 + MaxPool_12)" in r.summary
    # the add+relu that moved between each downsample convolution and its conv2: one re-partitioned group a place
    assert "Also: the fused Add and Relu moved between neighbouring layers in 3 places: each place is compared as " \
           "one re-partitioned group" in r.summary
    # ten convolutions with residual adds now write INT8 directly (their FP16 outputs needed the quantizes)
    out = [e for e in r.events if e["event"] == "output_precision" and e["b"] == "INT8"]
    # 4 Conv+Add on both sides, 3 downsample convolutions that lose their add and 3 conv2 that gain it
    assert sum(e["layers"] for e in out) == 10 and {e["a"] for e in out} == {"FP16"}
    # the cause is said once, before its effects
    assert "1. Q/DQ placement changed: 10 layers now write INT8 directly, so 8 standalone Q/DQ layers are gone" \
        in r.summary
    # the pooling reads layer4.1.conv2's FP32 output: the same Q/DQ cause one hop further (review defect 3)
    gap = next(e for e in r.events if e["event"] == "precision" and "pooling" in e["what"])
    assert gap["text"].startswith("global average pooling (A: GlobalAveragePool_246; B: GlobalAveragePool_294) "
                                  "moved from FP16 to FP32, reading its producer's FP32 output")
    assert "Layers run at another precision" not in r.summary
    # headline: end to end on the trtexec-consistent window, then per-layer; one percentage basis, stated
    t = r.totals
    ga, gb = t["a_gpu_compute_ms"], t["b_gpu_compute_ms"]
    assert r.summary.startswith(
        f"B (resnet-qat-residual.onnx) is {ga - gb:.3f} ms faster than A (resnet-qat.onnx) end to end, "
        f"{100 * (ga - gb) / ga:.1f}% of A's GPU compute (mean per iteration: {ga:.3f} -> {gb:.3f} ms); "
        "per-layer profiled total 1.096 -> 0.731 ms (-")
    assert r.headline == r.summary.splitlines()[0]
    assert "0.000 ms" not in r.summary
    assert [c["cause"] for c in r.causes] == ["qdq", "timing"]     # fusion and formats: Q/DQ consequences


def test_qgap_summary_reports_pooling_precision(results: dict[tuple[str, str], DiffResult]) -> None:
    r = results[("qat-residual", "qat-residual-qgap")]
    assert ("global average pooling (A: GlobalAveragePool_294; B: GlobalAveragePool_300) moved from FP32 to INT8"
            in r.summary)
    assert "B removed 1 standalone dequantize reformat (DequantizeLinear_291)" in r.summary


def test_totals_by_type_and_precision(results: dict[tuple[str, str], DiffResult]) -> None:
    r = results[("fp32", "fp16")]
    by_prec = r.by_precision.set_index("key")
    assert by_prec.loc["FP16", "a_ms"] == 0
    # in the FP16 engine only the copy reformats from/to the FP32 network input and output touch FP32
    fp16 = orjson.loads(resnet_file("fp16", "graph.json").read_bytes())["Layers"]
    fp32_copies = [rec["Name"] for rec in fp16 if rec["Name"].startswith("Reformatting CopyNode")
                   and any("FP32" in t["Format/Datatype"] for t in rec["Inputs"] + rec["Outputs"])]
    assert len(fp32_copies) == 2
    layers_b = trtinspect.load(RESNET / "fp16").layers
    fp32_b = list(layers_b[layers_b["precision"] == "FP32"]["name"])
    assert 1 <= len(fp32_b) == by_prec.loc["FP32", "b_layers"] and set(fp32_b) <= set(fp32_copies)
    pb = profile_avg("fp16")
    assert by_prec.loc["FP32", "b_ms"] == pytest.approx(sum(pb[n] for n in fp32_b), abs=1e-12)
    assert by_prec["a_ms"].sum() == pytest.approx(r.totals["a_layers_ms"], abs=1e-9)
    by_type = r.by_type.set_index("key")
    n_b = len(orjson.loads(resnet_file("fp16", "graph.json").read_bytes())["Layers"])
    assert by_type["b_layers"].sum() == n_b
    assert by_type.loc["CaskConvolution", "a_layers"] == 21


def test_reconciliation_failure_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = diff_mod.group_times

    def broken(*args: Any) -> Any:
        frame = real(*args)
        frame.loc[0, "delta_ms"] += 0.001
        return frame

    monkeypatch.setattr(diff_mod, "group_times", broken)
    with pytest.raises(InternalError, match="do not add up"):
        diff(trtinspect.load(RESNET / "qat"), trtinspect.load(RESNET / "qat-residual"))


def test_group_times_public_api(results: dict[tuple[str, str], DiffResult]) -> None:
    a, b = trtinspect.load(RESNET / "qat"), trtinspect.load(RESNET / "qat-residual")
    r = results[("qat", "qat-residual")]
    gt = group_times(r.alignment, a.layer_times(), b.layer_times())
    assert {"group_id", "kind", "a_ms", "b_ms", "delta_ms", "label"} <= set(gt.columns)
    assert len(gt) == len(r.groups)
    assert (gt["delta_ms"] == gt["b_ms"] - gt["a_ms"]).all()
    only_a = gt[gt["kind"] == "only_a"]
    assert (only_a["b_ms"] == 0).all() and (only_a["delta_pct"] == -100).all()


def test_seed_logs_without_shared_nodes_are_labelled() -> None:
    d = LOGS / "seed-fx-vs-implicit-int8"
    r = diff(trtinspect.load(d / "fx-qdq-int8.profile.log"), trtinspect.load(d / "implicit-int8.profile.log"))
    assert r.mode == MODE_ORDER
    assert "share no ONNX source node names" in r.summary and "order-and-type" in r.summary
    assert any("share no ONNX source node" in n for n in r.notes)
    # both tables are excerpts (issue 12): the notes give the printed Total rows, the rows cover less
    assert "A: the --dumpProfile table is an excerpt: its Total row gives 3.8038 ms per iteration, its rows " \
        "1.6080 ms" in " ".join(r.notes)     # the rows' Time(ms) share of the Total row (printed averages: 1.6081)
    assert any(n.startswith("B: the --dumpProfile table is an excerpt: its Total row gives 3.1414") for n in r.notes)
    rest = r.totals["b_not_listed_ms"] - r.totals["a_not_listed_ms"]   # both logs quote an excerpt of the table
    assert math.fsum(r.groups["delta_ms"]) + rest == pytest.approx(r.totals["b_layers_ms"] - r.totals["a_layers_ms"])


def test_excerpt_totals_are_the_total_rows() -> None:
    """The seed logs quote some rows of --dumpProfile tables whose Total rows say 3.1414 and 3.8038 ms: diff's
    per-layer totals are those (as report's), the unlisted rest is its own line and the deltas still add up."""
    from click.testing import CliRunner

    from trtinspect.cli import cli

    d = LOGS / "seed-fx-vs-implicit-int8"
    a, b = trtinspect.load(d / "implicit-int8.profile.log"), trtinspect.load(d / "fx-qdq-int8.profile.log")
    r = diff(a, b)
    t = r.totals
    assert (t["a_layers_ms"], t["b_layers_ms"]) == (pytest.approx(3.1414), pytest.approx(3.8038))
    assert (t["a_layers_ms"], t["b_layers_ms"]) == (a.layer_total.ms, b.layer_total.ms)
    # the rest no row lists is the bundle's (report shows the same figure): Total minus the rows' time share
    assert t["a_not_listed_ms"] == a.layer_total.missing_ms == pytest.approx(3.1414 * (1 - 1082.35 / 2352.92))
    assert t["b_not_listed_ms"] == b.layer_total.missing_ms == pytest.approx(3.8038 * (1 - 1042.01 / 2464.87))
    assert math.fsum(r.groups["delta_ms"]) == pytest.approx(3.8038 * 1042.01 / 2464.87 - 3.1414 * 1082.35 / 2352.92)
    assert abs(t["reconcile_residual_ms"]) < 1e-9
    assert "(3.141 -> 3.804 ms; A and B: the --dumpProfile Total rows, the rows listed are an excerpt)" in r.headline
    assert sum("the --dumpProfile table is an excerpt" in n for n in r.notes) == 2
    res = CliRunner().invoke(cli, ["diff", str(d / "implicit-int8.profile.log"), str(d / "fx-qdq-int8.profile.log")],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "per-layer total: A 3.1414 ms, B 3.8038 ms, delta +0.6624 ms" in res.output
    assert "not listed in the excerpt +0.4994 ms (A 1.6963 ms, B 2.1958 ms)" in res.output
    # the other direction, and a side that is not an excerpt, add nothing
    assert diff(b, a).totals["a_not_listed_ms"] == t["b_not_listed_ms"]
    full = trtinspect.load(RESNET / "qat")
    assert diff(full, full).totals["a_not_listed_ms"] == 0.0


def test_layerless_bundle_is_a_user_error(tmp_path: Path) -> None:
    from trtinspect.parsers.model import EngineBundle

    with pytest.raises(TrtInspectError, match="no layer information"):
        diff(EngineBundle(name="empty"), trtinspect.load(RESNET / "qat"))


# ---------------------------------------------------------------------------------------------- renderers


def test_text_lists_worst_regressions_then_best_improvements(
        results: dict[tuple[str, str], DiffResult]) -> None:
    r = results[("qat", "qat-residual")]
    worse, better = top_changes(r, 3)
    assert list(worse["delta_ms"]) == sorted(worse["delta_ms"], reverse=True)
    assert (worse["delta_ms"] > 0).all()
    assert list(better["delta_ms"]) == sorted(better["delta_ms"]) and (better["delta_ms"] < 0).all()
    assert better.iloc[0]["label"] == "conv1 + MaxPool_12"
    text = render(r, "text", top=3)
    assert text.index("Worst regressions") < text.index("Best improvements")
    assert "layer4.1.conv2" in text and "conv1 + MaxPool_12" in text
    assert "per-layer profiling overhead" in text


def test_json_and_markdown(results: dict[tuple[str, str], DiffResult]) -> None:
    r = results[("qat-residual", "qat-residual-qgap")]
    data = json.loads(render(r, "json"))
    assert data["alignment_mode"] == "source-nodes"
    assert len(data["groups"]) == len(r.groups) and len(data["members"]) == 26 + 24
    assert data["totals"]["delta_ms"] == pytest.approx(r.totals["delta_ms"])
    md = render(r, "markdown", top=5)
    assert md.startswith("# trtinspect diff") and "| id | kind |" in md


def test_html_is_one_self_contained_file(results: dict[tuple[str, str], DiffResult]) -> None:
    page = render_html(results[("qat", "qat-residual")])
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"<script[^>]+src\s*=", page)           # no CDN, no external script
    assert len(re.findall(r"plotly\.js v\d", page)) == 1         # the library inlined exactly once
    assert page.count('class="plotly-graph-div"') == 3           # waterfall, stacked by type, precision
    assert "Aligned groups" in page and "QuantizeLinear_15" in page


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_diff_samples(capsys: pytest.CaptureFixture[str]) -> None:
    main(["diff", "sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual", "--top", "3"])
    out = " ".join(capsys.readouterr().out.split())  # the summary wraps at the output's width
    assert "B removed 8 standalone quantize reformats" in out and "Worst regressions (top 3)" in out


def test_cli_diff_html_to_file(tmp_path: Path) -> None:
    out = tmp_path / "diff.html"
    main(["diff", "sample:resnet18-a100/fp32", "sample:resnet18-a100/fp16", "--format", "html",
          "-o", str(out)])
    page = out.read_text(encoding="utf-8")
    assert "sample:resnet18-a100/fp32" in page            # same engine file names: the arguments label them
    assert not re.search(r"<script[^>]+src\s*=", page)


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary", b'{"Layers": [{"Name": "x"'])
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             content: bytes) -> None:
    bad = tmp_path / "bad.graph.json"
    bad.write_bytes(content)
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(bad), "sample:resnet18-a100/qat"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("trtinspect: error:") and "\n" not in err and "Traceback" not in err


def test_cli_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(tmp_path / "nope.engine"), "sample:resnet18-a100/qat"])
    assert exc.value.code == 2
    assert "trtinspect: error:" in capsys.readouterr().err


# ------------------------------------------------------------------------- a side without per-layer timing

RTX = Path(__file__).resolve().parent / "data" / "external" / "trex-rtx3090-resnet50"
NO_TIMING_TEXT = ("has no per-layer timing (no --exportProfile / --dumpProfile / nsys per-layer data): "
                  "per-layer comparison is not possible")


def rtx_gpu_compute_mean(bundle: trtinspect.EngineBundle) -> float:
    """The engine's one GPU compute mean (its timing summary), which diff must show; issue 12 decides the
    iteration window (these bundles' exported iterations average 12.230 / 2.197 ms where trtexec's summary in
    the TREx metadata says 12.195 / 2.194 ms)."""
    mean = bundle.timing.gpu_compute.mean
    assert mean is not None
    return mean


def rtx_profile_total() -> float:
    recs = orjson.loads(next((RTX / "fp32").glob("*.profile.json")).read_bytes())
    return math.fsum(r["averageMs"] for r in recs if "name" in r)


def _copy_without(variant: str, suffix: str, out: Path) -> Path:
    for f in (RTX / variant).iterdir():
        if not f.name.endswith(suffix):
            shutil.copy(f, out / f.name)
    return out


@pytest.fixture(scope="module")
def rtx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A names-only A (the real RTX 3090 FP32 bundle without its graph JSON) and a B without per-layer timing
    (the QAT bundle without its profile): the folders are copies with those files left out."""
    a_path = _copy_without("fp32", ".graph.json", tmp_path_factory.mktemp("fp32-names-only"))
    b_path = _copy_without("qat", ".profile.json", tmp_path_factory.mktemp("qat-untimed"))
    fp32, qat = trtinspect.load(a_path), trtinspect.load(b_path)
    return {"fp32": fp32, "qat": qat, "ab": diff(fp32, qat), "ba": diff(qat, fp32), "fp32_path": a_path,
            "qat_path": b_path}


def _event_part(summary: str) -> str:
    """The summary after its head sentence (the events)."""
    return summary.split(" ms). ", 1)[1] if " ms). " in summary else summary.split(". ", 1)[1]


def test_untimed_b_has_unknown_times_not_zero(rtx: dict[str, Any]) -> None:
    r: DiffResult = rtx["ab"]
    assert rtx["fp32"].has_profile and not rtx["qat"].has_profile
    ga, gb = rtx_gpu_compute_mean(rtx["fp32"]), rtx_gpu_compute_mean(rtx["qat"])
    assert (f"B {NO_TIMING_TEXT}; compare end to end: GPU compute {ga:.3f} -> {gb:.3f} ms" in r.summary)
    assert "faster" not in r.summary and "slower" not in r.summary and "per-layer time (" not in r.summary
    assert "ms" not in _event_part(r.summary)                  # structural changes, never priced from one side
    assert "B removed" in r.summary and "None" not in r.summary
    g = r.groups
    assert g["b_ms"].isna().all() and g["delta_ms"].isna().all() and g["delta_pct"].isna().all()
    # A keeps its real per-layer times: every profile row lands in a group
    assert g["a_ms"].sum() == pytest.approx(rtx_profile_total(), abs=1e-9)
    assert r.totals["a_layers_ms"] == pytest.approx(rtx_profile_total(), abs=1e-9)
    for key in ("b_layers_ms", "delta_ms", "delta_pct", "sum_group_delta_ms", "reconcile_residual_ms",
                "b_profiling_gap_ms"):
        assert math.isnan(r.totals[key]), key
    assert r.totals["a_profiling_gap_ms"] == pytest.approx(rtx_profile_total() - ga, rel=1e-9)
    assert r.totals["b_gpu_compute_ms"] == pytest.approx(gb, rel=1e-9)
    assert all(math.isnan(e["delta_ms"]) for e in r.events)
    for frame in (r.by_type, r.by_precision):
        assert frame["b_ms"].isna().all() and frame["delta_ms"].isna().all()
        assert frame["b_layers"].sum() == len(rtx["qat"].layers) and frame["a_layers"].sum() == 103
    # names-only A has no precisions: unknown, never a precision change
    assert not (g["kind"] == "precision_changed").any()
    assert any("not reconciled" in n for n in r.notes)
    assert any(n.startswith("B (resnet-qat.onnx) has no per-layer timing") for n in r.notes)


def test_untimed_b_renderers(rtx: dict[str, Any]) -> None:
    r: DiffResult = rtx["ab"]
    text = render(r, "text", top=5)
    assert "Worst regressions" not in text and "Changed groups (structure only" in text
    assert "B - (no per-layer timing)" in text and "group deltas not reconciled: B has" in text
    assert text.count("per-layer profiling overhead") == 1      # A's only
    assert "None" not in text and "nan" not in text.lower().replace("nanos", "")
    md = render(r, "markdown", top=5)
    assert "No per-layer deltas: B has no per-layer timing" in md and "None" not in md
    data = json.loads(render(r, "json"))
    assert data["totals"]["b_layers_ms"] is None and data["totals"]["a_layers_ms"] > 0
    assert all(grp["b_ms"] is None and grp["delta_ms"] is None for grp in data["groups"])
    page = render_html(r)
    assert 'class="plotly-graph-div"' not in page and 'id="no-charts"' in page   # no waterfall of fake deltas
    assert "None" not in re.sub(r"<[^>]+>", "", page)


def test_untimed_a_reverse_direction(rtx: dict[str, Any]) -> None:
    r: DiffResult = rtx["ba"]
    ga, gb = rtx_gpu_compute_mean(rtx["qat"]), rtx_gpu_compute_mean(rtx["fp32"])
    assert f"A {NO_TIMING_TEXT}; compare end to end: GPU compute {ga:.3f} -> {gb:.3f} ms" in r.summary
    assert "ms" not in _event_part(r.summary) and "B added" in r.summary
    assert r.groups["a_ms"].isna().all() and r.groups["delta_ms"].isna().all()
    assert r.groups["b_ms"].sum() == pytest.approx(rtx_profile_total(), abs=1e-9)
    assert math.isnan(r.totals["a_profiling_gap_ms"]) and not math.isnan(r.totals["b_profiling_gap_ms"])
    # same alignment either way round: only_a and only_b swap
    kinds_ab = rtx["ab"].groups["kind"].value_counts().to_dict()
    kinds_ba = r.groups["kind"].value_counts().to_dict()
    assert kinds_ba.get("only_a") == kinds_ab.get("only_b") and kinds_ba.get("only_b") == kinds_ab.get("only_a")


def test_both_untimed_graph_jsons_structural_diff_only(results: dict[tuple[str, str], DiffResult]) -> None:
    a = trtinspect.load(resnet_file("qat", "graph.json"))
    b = trtinspect.load(resnet_file("qat-residual", "graph.json"))
    r = diff(a, b)
    assert "Neither A nor B has per-layer timing" in r.summary and "structural diff only" in r.summary
    assert "B removed 8 standalone quantize reformats" in r.summary and "ms" not in _event_part(r.summary)
    assert "None" not in r.summary
    assert r.groups[["a_ms", "b_ms", "delta_ms"]].isna().all(axis=None)
    assert math.isnan(r.totals["a_layers_ms"]) and math.isnan(r.totals["b_layers_ms"])
    # the structure found is the same as with timing (kinds are timing-independent)
    timed = results[("qat", "qat-residual")]
    assert r.groups["kind"].tolist() == timed.groups["kind"].tolist()
    assert 'class="plotly-graph-div"' not in render_html(r)


def test_cli_untimed_exits_0(rtx: dict[str, Any]) -> None:
    from click.testing import CliRunner

    from trtinspect.cli import cli

    res = CliRunner().invoke(cli, ["diff", str(rtx["fp32_path"]), str(rtx["qat_path"])])
    assert res.exit_code == 0, res.output
    assert f"B {NO_TIMING_TEXT}" in " ".join(res.output.split())
    assert "12.400 -> 0.000" not in res.output and "None" not in res.output
    res = CliRunner().invoke(cli, ["diff", str(resnet_file("qat", "graph.json")),
                                   str(resnet_file("qat-residual", "graph.json")), "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.output)["totals"]["delta_ms"] is None


def test_profile_matching_no_layer_is_untimed_partial_profile_is_timed() -> None:
    b = trtinspect.load(RESNET / "qat-residual")
    renamed = trtinspect.load(RESNET / "qat")
    renamed.profile = renamed.profile.assign(name="no-such-layer-" + renamed.profile["name"])
    r = diff(renamed, b)
    assert "A " + NO_TIMING_TEXT in r.summary and r.groups["a_ms"].isna().all()
    assert any("none of its" in n and "profile rows names one of its layers" in n for n in r.notes)
    # partially timed: dropping some profile rows keeps per-layer accounting (untimed layers count 0 ms)
    partial = trtinspect.load(RESNET / "qat")
    kept = partial.profile.iloc[5:]
    partial.profile = kept
    r = diff(partial, b)
    assert r.totals["a_layers_ms"] == pytest.approx(float(kept["avg_ms"].sum()), abs=1e-9)
    assert r.groups["a_untimed"].sum() == 5 and not r.groups["delta_ms"].isna().any()
    assert abs(r.totals["reconcile_residual_ms"]) < 1e-9 and "; per-layer profiled total " in r.summary


def test_app_diff_view_untimed(rtx: dict[str, Any]) -> None:
    pytest.importorskip("dash")
    from trtinspect.app.callbacks import diff_view
    from trtinspect.app.state import Registry

    reg = Registry()
    ids = reg.load_paths([str(rtx["fp32_path"]), str(rtx["qat_path"])])
    summary, charts, rows, _ = diff_view(reg, ids[0], ids[1])
    shown = str(summary)
    assert NO_TIMING_TEXT in shown and "nan" not in shown and "None" not in shown.replace("=None", "")
    assert len(charts) == 1 and getattr(charts[0], "id", None) == "diff-no-charts"
    assert all(r["b_ms"] is None and r["delta_ms"] is None for r in rows)
    assert all("?" not in r["precision"] and "None" not in r["precision"] for r in rows)


def _dup_profile(path: Path, dup_second_ms: float) -> Path:
    """A --exportProfile JSON (generated) where two layers carry the same name (as unnamed/Myelin layers can)."""
    rows: list[dict[str, Any]] = [{"count": 100}]
    for name, ms in (("Conv_0 + Relu_1", 0.1), ("dup", 0.1), ("dup", dup_second_ms), ("Conv_2", 0.1)):
        rows.append({"name": name, "timeMs": 100 * ms, "averageMs": ms, "medianMs": ms, "percentage": 10.0})
    path.write_text(json.dumps(rows))
    return path


def test_a_profile_repeating_a_layer_name_is_refused(tmp_path: Path) -> None:
    """trtexec writes one profile record per engine layer (no real profile in the repository repeats a name):
    a repeated record would be counted twice (new-user trial 3), so the file is refused, naming the layer."""
    with pytest.raises(TrtInspectError, match="layer 'dup' has 2 records"):
        trtinspect.load(_dup_profile(tmp_path / "a.profile.json", 0.2))
    records = json.loads(resnet_file("fp16", "profile.json").read_text())
    records.append(dict(records[2], averageMs=records[2]["averageMs"] * 10 + 1.0))
    prof = tmp_path / "x.engine.profile.json"
    prof.write_text(json.dumps(records))
    with pytest.raises(TrtInspectError, match="has 2 records: trtexec writes one record per layer"):
        trtinspect.load(resnet_file("fp16", "graph.json"), prof)


def test_text_at_width_80_never_splits_numbers_or_codes(results: dict[tuple[str, str], DiffResult]) -> None:
    """Findings 1: at COLUMNS=80 each number and kind of the listed groups is intact on one line."""
    import pandas as pd

    from trtinspect.render.diff import _ms, render_text

    result = results[("qat", "qat-residual")]
    text = render_text(result, top=10, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    worse, better = top_changes(result, 10)
    shown = pd.concat([worse, better])
    assert len(shown) > 5
    for row in shown.to_dict(orient="records"):
        for cell in (_ms(row["a_ms"]), _ms(row["b_ms"]), _ms(row["delta_ms"], signed=True), str(row["kind"])):
            assert cell in text, cell
    assert "hidden at this width" in text          # the columns that did not fit are named, not folded


def test_text_default_width_fits_120_columns(results: dict[tuple[str, str], DiffResult]) -> None:
    """A file or pipe gets FILE_WIDTH (120) columns: every number and code whole on its row's line, text cells
    wrapped between words (never inside one), what did not fit named; names are whole in JSON."""
    from trtinspect.render.diff import FILE_WIDTH, GROUP_HEADERS, _group_row, render_json, render_text

    assert 100 <= FILE_WIDTH <= 120
    result = results[("qat", "qat-residual")]
    text = render_text(result, top=10)
    assert max(len(line) for line in text.splitlines()) <= FILE_WIDTH
    header = next(line for line in text.splitlines() if " kind " in line and " group " in line)
    shown = [h for h in GROUP_HEADERS if f" {h} " in header]
    assert shown[:7] == GROUP_HEADERS[:7]  # id, kind, group and the numbers are never hidden
    hidden = [h for h in GROUP_HEADERS if h not in shown]
    assert not hidden or f"hidden at this width: {', '.join(reversed(hidden))}" in text
    worse, _ = top_changes(result, 10)
    words = set(text.split())
    for row in worse.to_dict(orient="records"):
        cells = _group_row(row)
        line = next(x for x in text.splitlines() if f" {cells[0]} " in x[:6] and cells[1] in x)
        for cell in cells[3:7]:              # numbers: whole, on the row's line
            assert cell in line, (cell, line)
        for i, cell in enumerate(cells[7:], start=7):
            if GROUP_HEADERS[i] in shown:    # wrapped text: every word whole somewhere
                assert all(w in words for w in cell.split()), cell
    doc = json.loads(render_json(result, top=10))
    assert {g["label"] for g in doc["groups"]} >= {str(x) for x in result.groups["label"]}


def test_long_names_are_cut_in_text_and_whole_in_json(results: dict[tuple[str, str], DiffResult]) -> None:
    from trtinspect.render.diff import LABEL_MAX_WIDTH, render_json, render_text

    result = results[("qat", "qat-residual")]
    groups = result.groups.copy()
    long_name = "backbone.stage4.block3.attention.output_projection + bias_add + gelu_activation_fused"
    top = groups["delta_ms"].abs().idxmax()
    groups.loc[top, "label"] = long_name
    long = dataclasses.replace(result, groups=groups)
    text = render_text(long, top=10)
    assert long_name not in text
    cut = re.search(re.escape(long_name[:20]) + r"\S*\u2026", text)   # cut with an ellipsis, not folded
    assert cut is not None and len(cut.group()) <= LABEL_MAX_WIDTH
    assert max(len(line) for line in text.splitlines()) <= 120
    assert long_name in {g["label"] for g in json.loads(render_json(long, top=10))["groups"]}


def test_cli_diff_to_file_uses_file_width(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from trtinspect.cli import cli
    from trtinspect.render.diff import FILE_WIDTH

    out = tmp_path / "d.txt"
    res = CliRunner().invoke(cli, ["diff", "sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual",
                                   "-o", str(out)], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "precision_changed" in text
    assert 80 < max(len(line) for line in text.splitlines()) <= FILE_WIDTH  # the file's width, not COLUMNS


def test_identical_engines_are_described_as_the_same_not_faster() -> None:
    a = trtinspect.load(RESNET / "qat")
    result = diff(a, trtinspect.load(RESNET / "qat"), findings=False)
    assert "take the same end-to-end GPU compute time" in result.summary and "(the same)" in result.summary
    assert "faster" not in result.summary and "slower" not in result.summary
    assert "No structural or precision change." in result.summary

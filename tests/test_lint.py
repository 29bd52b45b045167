"""The lint engine on the real ResNet-18 A100 bundles and trtexec logs.

Expected finding lists are computed from the fixture files themselves (raw graph/profile JSON, log lines),
and every test asserts on the WHOLE list of a rule's findings, so a false alarm fails as surely as a miss.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import trtinspect
from tests.conftest import LOGS, REPO, resnet_file
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.lint import COST_KIND_RANK, flagged_time, lint, select_rules, total_saving
from trtinspect.inspector.rules import RULES, rules_frame
from trtinspect.parsers import schema

QAT_VARIANTS = ["qat", "qat-residual", "qat-residual-qgap"]
SEED = LOGS / "seed-fx-vs-implicit-int8"
_BUNDLES: dict[str, Any] = {}


def bundle(variant: str) -> Any:
    if variant not in _BUNDLES:
        _BUNDLES[variant] = trtinspect.load(resnet_file(variant, "graph.json").parent)
    return _BUNDLES[variant]


def raw_layers(variant: str) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(resnet_file(variant, "graph.json").read_text())
    layers: list[dict[str, Any]] = data["Layers"]
    return layers


def raw_profile(variant: str) -> dict[str, dict[str, Any]]:
    rows = json.loads(resnet_file(variant, "profile.json").read_text())
    return {r["name"]: r for r in rows[1:]}


def names(findings: pd.DataFrame, rule: str) -> set[str]:
    """Every layer ``rule`` flagged: its own findings' subject layers (each member of a grouped finding), and
    the findings of that rule a root-cause finding absorbed (``evidence["absorbed"]``)."""
    out: set[str] = set()

    def absorbed(ev: dict[str, Any]) -> None:
        for m in ev.get("absorbed", []) or []:
            if m["rule_id"] == rule:
                out.add(m["layers"][0])
            absorbed(m.get("evidence") or {})
        for m in ev.get("members", []) or []:
            absorbed(m.get("evidence") or {})

    for rec in findings.to_dict("records"):
        ev = rec["evidence"] or {}
        if rec["rule_id"] == rule:
            members = ev.get("members")
            if members:
                out.update(m["layers"][0] for m in members)
            elif rule in ("tiny-kernels", "shape-layers"):
                out.update(rec["layer_names"])
            elif rec["layer_names"]:
                out.add(rec["layer_names"][0])
        absorbed(ev)
    return out


def fmt(t: dict[str, Any]) -> str:
    return str(t["Format/Datatype"])


def is_int8(t: dict[str, Any]) -> bool:
    return "Int8" in fmt(t)


# ------------------------------------------------------------------------------ expected lists from raw files
def expected_qdq(variant: str) -> set[str]:
    return {lay["Name"] for lay in raw_layers(variant) if lay.get("Origin") == "QDQ"}


def expected_reformats(variant: str) -> set[str]:
    return {
        lay["Name"]
        for lay in raw_layers(variant)
        if lay["LayerType"] == "Reformat" and lay.get("Origin") != "QDQ"
    }


def expected_pool_fallback(variant: str) -> set[str]:
    """Pooling layers reading a float tensor in an engine that allows INT8 (all float compute layers of these
    engines that sit between INT8 convolutions are poolings)."""
    return {
        lay["Name"]
        for lay in raw_layers(variant)
        if lay.get("ParameterType") == "Pooling" and not is_int8(lay["Inputs"][0])
    }


def expected_float_output(variant: str) -> set[str]:
    """INT8 convolutions writing float whose output is read by some layer that is not a NoOp."""
    layers = raw_layers(variant)
    readers: dict[str, list[dict[str, Any]]] = {}
    for lay in layers:
        for t in lay["Inputs"]:
            readers.setdefault(t["Name"], []).append(lay)
    out = set()
    for lay in layers:
        if (
            lay.get("ParameterType") != "Convolution"
            or not is_int8(lay["Inputs"][0])
            or is_int8(lay["Outputs"][0])
        ):
            continue
        if any(r["LayerType"] != "NoOp" for r in readers.get(lay["Outputs"][0]["Name"], [])):
            out.add(lay["Name"])
    return out


TENSOR_CORE_WORDS = ("tensor16x8", "h16816", "hmma", "imma", "tf32")


def expected_simt_convs(variant: str) -> set[str]:
    return {
        lay["Name"]
        for lay in raw_layers(variant)
        if lay.get("ParameterType") == "Convolution"
        and lay.get("TacticName")
        and not any(w in lay["TacticName"] for w in TENSOR_CORE_WORDS)
    }


def expected_hot(variant: str) -> set[str]:
    prof = raw_profile(variant)
    total = sum(r["averageMs"] for r in prof.values())
    return {n for n, r in prof.items() if r["averageMs"] / total >= 0.10}


# ------------------------------------------------------------------------------------------------- rule table
def test_rule_table_is_complete_and_documented() -> None:
    frame = rules_frame()
    assert list(frame["id"]) == [r.id for r in RULES]
    assert frame["id"].is_unique
    assert set(frame["severity"]) <= {"info", "warning", "error"}
    assert all(frame["mitigation"].str.len() > 20) and all(frame["reference"].str.startswith("https://"))
    doc = (REPO / "docs" / "lint.md").read_text()
    missing = [r.id for r in RULES if f"`{r.id}`" not in doc]
    assert not missing, f"rules not documented in docs/lint.md: {missing}"


def test_findings_frame_follows_schema() -> None:
    f = lint(bundle("qat"))
    assert list(f.columns) == list(schema.FINDINGS)
    assert {c: str(t) for c, t in f.dtypes.items()} == {
        c: str(pd.Series(dtype=d).dtype) for c, d in schema.FINDINGS.items()
    }
    assert f["finding_id"].is_unique
    # sorted by severity, then cost (highest first)
    ranks = [("info", "warning", "error").index(s) for s in f["severity"]]
    assert ranks == sorted(ranks, reverse=True)
    for sev in set(f["severity"]):  # within a severity: estimated savings, then layer times, each by cost
        kinds = [COST_KIND_RANK[k] for k in f.loc[f["severity"] == sev, "cost_kind"]]
        assert kinds == sorted(kinds)
        for kind in set(f["cost_kind"]):
            costs = f.loc[(f["severity"] == sev) & (f["cost_kind"] == kind), "cost_ms"].tolist()
            assert costs == sorted(costs, reverse=True)
    # ONE denominator: the summed per-layer profiled time (the same measurement as the costs)
    total = sum(r["averageMs"] for r in raw_profile("qat").values())
    assert f.attrs["cost_basis"] == "summed per-layer profiled time"
    assert f.attrs["cost_basis_ms"] == pytest.approx(total)
    assert f["cost_pct"].tolist() == pytest.approx([c / total * 100 for c in f["cost_ms"]])
    assert (f["cost_pct"] <= 100).all()
    # end-to-end GPU compute is reported beside it, never mixed into the %
    assert f.attrs["end_to_end_ms"] == bundle("qat").timing.gpu_compute.mean  # the bundle's one timing summary
    assert set(f["cost_kind"]) <= {"estimated saving", "layer time", "not estimated"}
    assert all(isinstance(m, str) and m for m in f["cost_method"])
    for rec in f.to_dict("records"):  # cost_by_layer adds up to the cost
        assert sum(rec["cost_by_layer"].values()) == pytest.approx(rec["cost_ms"])
        assert set(rec["cost_by_layer"]) <= set(rec["layer_indices"])


def test_empty_bundle_gives_empty_frame() -> None:
    f = lint(trtinspect.EngineBundle(name="empty"))
    assert f.empty and list(f.columns) == list(schema.FINDINGS)


# ----------------------------------------------------------------------------------------- A100 ResNet-18 QAT
@pytest.mark.parametrize("variant", QAT_VARIANTS)
def test_qat_variants_whole_finding_lists(variant: str) -> None:
    f = lint(bundle(variant))
    assert names(f, "qdq-standalone") == expected_qdq(variant)
    assert names(f, "reformat-copy") == expected_reformats(variant)
    assert names(f, "int8-fallback") == expected_pool_fallback(variant)
    assert names(f, "int8-float-output") == expected_float_output(variant)
    assert names(f, "no-tensor-cores") == expected_simt_convs(variant)
    assert names(f, "hot-layer") == expected_hot(variant)
    # everything fused in these engines; no build log, no median/average gap (one profiling iteration)
    for rule in (
        "unfused-conv-epilogue",
        "int8-build-warning",
        "unstable-timing",
        "tiny-kernels",
        "shape-layers",
    ):
        assert names(f, rule) == set(), rule
    # channel alignment by the real formats: every convolution's channels are multiples of the C32/NHWC8
    # vector width, and the 3-channel image input pads only 3 -> 4 in its C4/NHWC4 format: nothing to report
    assert names(f, "channel-alignment") == set()
    assert all(f["confidence"] == "proven")


def test_qat_specifics() -> None:
    f = lint(bundle("qat"))
    prof = raw_profile("qat")
    # the standalone QuantizeLinear layers include the ones the residual Q/DQ later removes
    assert {"QuantizeLinear_15", "QuantizeLinear_40", "QuantizeLinear_250"} <= names(f, "qdq-standalone")
    fallback = f[f["rule_id"] == "int8-fallback"]
    assert [x[0] for x in fallback["layer_names"]] == ["GlobalAveragePool_246"]
    # MaxPool_12's FP32 fallback is the residual cause: its output (QuantizeLinear_15's input) is also read
    # unquantized as layer1.0.conv2's residual, so it is inside that one finding, counted once
    pool = f[f["rule_id"] == "residual-not-quantized"].iloc[0]
    fb = pool["evidence"]["fallbacks"]
    assert [m["layer"] for m in fb] == ["MaxPool_12"] and fb[0]["precision"] == "FP32"
    assert fb[0]["residual_readers"][0].startswith("layer1.0.conv2.weight")
    assert "int8-fallback" in [m["rule_id"] for m in pool["evidence"]["absorbed"]]
    conv = list(fb[0]["conversions"])
    assert conv == ["Reformatting CopyNode for Output Tensor 0 to MaxPool_12", "QuantizeLinear_15"]
    # one cause, one finding: the conversions and conv1 writing FP32 for the pool are in it, not separate
    conv1 = next(n for n in prof if n.endswith("Conv_9"))
    assert pool["layer_names"][-4:] == ["MaxPool_12", *conv, conv1]
    # cost = what the fix saves: the conversions, plus conv1's float-write traffic (not the whole conv1)
    by_layer = {
        name: pool["cost_by_layer"].get(i)
        for i, name in zip(pool["layer_indices"], pool["layer_names"], strict=True)
    }
    assert by_layer["MaxPool_12"] is None  # the pool keeps running
    assert [by_layer[c] for c in conv] == [prof[c]["averageMs"] for c in conv]
    assert 0 < by_layer[conv1] < prof[conv1]["averageMs"]
    # the network-input Quantize is the input path (feed INT8), not a standalone-Q warning of its own
    inp = f[f["rule_id"] == "input-path"].iloc[0]
    assert inp["layer_names"] == ["QuantizeLinear_2"] and "inputIOFormats=int8" in inp["mitigation"]
    # the residual cause is one finding naming every float-writing convolution and its re-quantizer
    res = f[f["rule_id"] == "residual-not-quantized"]
    assert len(res) == 1
    # why each Quantize runs on its own (the tensor is also read unquantized, as a residual): in the root's own
    # rows (the convolution it re-quantizes and that convolution's float residual readers), and in the absorbed
    # qdq-standalone finding's cause with --absorbed full
    rows = res.iloc[0]["evidence"]["convolutions"]
    assert any(r["requantized_by"] == ["QuantizeLinear_40"] and r["residual_readers"] for r in rows)
    assert "also read unquantized" not in str(res.iloc[0]["evidence"])
    full = lint(bundle("qat"), absorbed="full")
    assert "also read unquantized" in str(full[full["rule_id"] == "residual-not-quantized"].iloc[0]["evidence"])


def test_one_layer_one_cost_in_totals() -> None:
    f = lint(bundle("qat"))
    conv1 = next(n for n in raw_profile("qat") if n.endswith("Conv_9"))
    rules_on_conv1 = set(f[f["layer_names"].map(lambda x: conv1 in x)]["rule_id"])
    # the hot layer is kept inside the finding that charges conv1 the most (its whole time), not listed again
    # conv1 writes FP32 for MaxPool_12: its no-tensor-cores finding is a member of the residual root
    assert rules_on_conv1 == {"residual-not-quantized"}
    root = f[f["rule_id"] == "residual-not-quantized"].iloc[0]
    assert [m["rule_id"] for m in root["evidence"]["absorbed"] if m["layers"] == [conv1]] == [
        "int8-float-output", "no-tensor-cores", "hot-layer"]
    # the estimated-saving total counts each layer once, and never exceeds the per-layer total
    per_layer: dict[int, float] = {}
    for rec in f[f["cost_kind"] == "estimated saving"].to_dict("records"):
        for li, ms in rec["cost_by_layer"].items():
            per_layer[li] = max(per_layer.get(li, 0.0), ms)
    assert total_saving(f) == pytest.approx(sum(per_layer.values()))
    assert total_saving(f) < f.attrs["cost_basis_ms"]


def test_later_qat_variants_have_less_estimated_saving_and_flagged_time() -> None:
    savings, times_all = [], []
    for v in QAT_VARIANTS:
        f = lint(bundle(v))
        savings.append(total_saving(f))
        times_all.append(flagged_time(f, bundle(v)))
    assert savings[0] > savings[1] > savings[2]
    assert times_all[0] > times_all[1] > times_all[2]


@pytest.mark.parametrize("variant", ["fp32", "fp16"])
def test_no_int8_findings_without_int8(variant: str) -> None:
    f = lint(bundle(variant))
    assert not f["rule_id"].str.startswith("int8").any()
    assert not (f["rule_id"] == "qdq-standalone").any()
    assert names(f, "reformat-copy") == expected_reformats(variant)
    assert names(f, "no-tensor-cores") == expected_simt_convs(variant)
    assert names(f, "unfused-conv-epilogue") == set()


def test_fp16_io_reformats_are_classified() -> None:
    f = lint(bundle("fp16"), absorbed="full")  # the absorbed input reformat's own evidence too
    recs = f.to_dict("records")
    ev = {r["layer_names"][0]: r["evidence"] for r in recs if r["rule_id"] == "reformat-copy"}
    for r in recs:  # the input reformat is part of the input-path finding
        ev.update({m["layers"][0]: m["evidence"] for m in r["evidence"].get("absorbed", [])
                   if m["rule_id"] == "reformat-copy"})
    assert len(ev) == len(expected_reformats("fp16"))
    raw = {lay["Name"]: lay for lay in raw_layers("fp16")}
    for name, e in ev.items():
        src, dst = fmt(raw[name]["Inputs"][0]), fmt(raw[name]["Outputs"][0])
        assert (e["input_format"], e["output_format"]) == (src, dst)
        changed_precision = ("FP16" in src) != ("FP16" in dst)
        assert ("precision" in e["conversion"]) == changed_precision


# ------------------------------------------------------------------------------------------ names-only logs
def log_rows(path: Path, column: int = 2) -> list[tuple[str, float]]:
    """(layer name, average ms) of a headerless --dumpProfile excerpt: name, total ms, average ms, percent
    (``column=1``: the total ms)."""
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"^\[[^\]]*\] \[I\] (.+?) ([\d.]+) ([\d.]+) [\d.]+$", line)
        if m and m.group(1) != "Total":
            out.append((m.group(1), float(m.group(1 + column))))
    return out


def log_names(path: Path) -> list[str]:
    return [n for n, _ in log_rows(path)]


def expected_seed_chains(path: Path) -> set[tuple[str, str]]:
    """(conv layer, next layer) where a layer ENDING in a conv node is followed by an add/relu-only layer."""
    seq = log_names(path)
    out = set()
    for a, b in itertools.pairwise(seq):
        ends_in_conv = re.search(r"(conv2d|conv_transpose2d|Conv|ConvTranspose)_\d+$", a) is not None
        epilogue_only = all(re.fullmatch(r"(add|relu)_\d+", n) for n in b.split(" + ")) or re.fullmatch(
            r"PWN\(relu_\d+\)", b
        )
        if ends_in_conv and epilogue_only:
            out.add((a, b))
    return out


def test_seed_fx_log_yields_inferred_unfused_chains() -> None:
    path = SEED / "fx-qdq-int8.profile.log"
    f = lint(trtinspect.load(path))
    u = f[f["rule_id"] == "unfused-conv-epilogue"]
    members = [m for ev in u["evidence"] for m in ev["members"]]
    got = {(m["layers"][0], m["layers"][-1]) for m in members}
    expected = expected_seed_chains(path)
    assert got == expected
    assert any(a.endswith("conv2d_109") and b == "add_30 + relu_100" for a, b in got)
    assert set(u["confidence"]) == {"inferred"}
    # one finding per cause: the two Conv -> add+relu chains (residual branch not quantized) are one warning,
    # the three ConvTranspose -> relu chains another
    assert len(u) == 2 and set(u["severity"]) == {"warning"}
    add = u[u["title"].str.contains("add")].iloc[0]
    assert add["evidence"]["count"] == 2 and "residual" in add["title"]
    assert "quantize" in add["mitigation"].lower()
    assert "do not put Q/DQ between the convolution and its Add" in " ".join(add["mitigation"].split())
    # the headline case is a warning ranked by its estimated saving among the warnings, and above every info
    # finding (the hot layer costs more but is only layer time, an upper bound)
    # (the output Dequantize layers + their reformats are one warning whose cost is their layer time, an upper
    # bound, not a saving: ranked after the warnings with an estimated saving)
    warnings = f[f["severity"] == "warning"]
    saving = warnings[warnings["cost_kind"] == "estimated saving"]
    assert len(saving) == 2 and list(saving["cost_ms"]) == sorted(saving["cost_ms"], reverse=True)
    assert set(warnings["cost_kind"]) == {"estimated saving", "layer time"}
    assert list(warnings["cost_kind"]).index("layer time") == 2
    order = list(f["finding_id"])
    hot = f[f["rule_id"] == "hot-layer"]["finding_id"].tolist()
    assert hot and all(order.index(add["finding_id"]) < order.index(h) for h in hot)
    # cost = the separate epilogue layers' time (an estimated saving): each its Time(ms) share of the Total row
    # (2464.87 ms, 3.8038 ms per iteration as printed), trtexec's Time % rule, ~ the printed averages
    avg = dict(log_rows(path))
    times = dict(log_rows(path, column=1))
    assert sum(u["cost_ms"]) == pytest.approx(sum(times[b] for _, b in expected) * 3.8038 / 2464.87, rel=1e-12)
    assert sum(u["cost_ms"]) == pytest.approx(sum(avg[b] for _, b in expected), rel=0.005)
    assert set(u["cost_kind"]) == {"estimated saving"}
    # the excerpt's percentages imply the whole engine's per-layer total (the Total row: 3.8038 ms)
    assert f.attrs["cost_basis_ms"] == pytest.approx(3.8038, rel=0.01)


def test_seed_implicit_log_yields_no_unfused_chains() -> None:
    path = SEED / "implicit-int8.profile.log"
    assert expected_seed_chains(path) == set()
    f = lint(trtinspect.load(path))
    assert not (f["rule_id"] == "unfused-conv-epilogue").any()
    assert names(f, "reformat-copy") == {n for n in log_names(path) if n.startswith("Reformatting CopyNode")}


def test_log_unstable_compute_warning_becomes_a_finding() -> None:
    path = LOGS / "trt10.16-h100" / "result-01.log"
    lines = path.read_text().splitlines()
    expected = [i + 1 for i, ln in enumerate(lines) if "compute time is unstable" in ln]
    f = lint(trtinspect.load(path), ["unstable-timing"])
    engine_wide = f[f["layer_names"].map(len) == 0]
    assert [e["line_no"] for e in engine_wide["evidence"]] == expected
    assert engine_wide["cost_ms"].isna().all()


# --------------------------------------------------------------------------------------- degraded inputs
def test_without_profile_costs_unknown_but_structure_remains() -> None:
    with_profile = lint(bundle("qat"))
    graph_only = trtinspect.load(resnet_file("qat", "graph.json"))
    assert not graph_only.has_profile
    f = lint(graph_only)
    assert f["cost_ms"].isna().all() and f["cost_pct"].isna().all()
    assert all("cost unknown" in c for c in f["cause"])
    structural = with_profile[with_profile["rule_id"] != "hot-layer"]
    key = ["rule_id", "finding_id"]
    assert sorted(map(tuple, f[key].values.tolist())) == sorted(map(tuple, structural[key].values.tolist()))


# ------------------------------------------------------------------------------------------ rule selection
def test_rule_selection() -> None:
    assert [r.id for r in select_rules("reformat-copy,hot-layer")] == ["reformat-copy", "hot-layer"]
    assert "hot-layer" not in [r.id for r in select_rules("-hot-layer")]
    assert len(select_rules(None)) == len(RULES)
    with pytest.raises(TrtInspectError, match="unknown lint rule"):
        select_rules("no-such-rule")
    with pytest.raises(TrtInspectError, match="mix"):
        select_rules("hot-layer,-reformat-copy")
    f = lint(bundle("qat"), ["reformat-copy"])
    assert set(f["rule_id"]) == {"reformat-copy"}
    g = lint(bundle("qat"), ["-qdq-standalone"])
    assert not (g["rule_id"] == "qdq-standalone").any()
    assert names(g, "qdq-standalone") == set()
    # without the root-cause rules, the findings they absorb come back one by one
    h = lint(bundle("qat"), ["-residual-not-quantized", "-input-path", "-int8-fallback"])
    assert names(h, "qdq-standalone") == expected_qdq("qat")
    assert len(h[h["rule_id"] == "qdq-standalone"]) < len(expected_qdq("qat"))  # grouped by cause


def test_output_reformat_cause_names_the_readers_not_the_writer() -> None:
    """`Reformatting CopyNode for Output Tensor 0 to MaxPool_2` converts MaxPool_2's OUTPUT for the layers
    reading it: the cause must name those readers (from the graph's tensor edges), not say MaxPool_2 reads it."""
    raw = raw_layers("fp32")
    name = "Reformatting CopyNode for Output Tensor 0 to MaxPool_2"
    reformat = next(x for x in raw if x["Name"] == name)
    out_tensor = reformat["Outputs"][0]["Name"]
    readers = [x["Name"] for x in raw if any(t["Name"] == out_tensor for t in x.get("Inputs", []))]
    assert readers
    f = lint(bundle("fp32"))
    row = f[f["layer_names"].map(lambda n: list(n) == [name])].iloc[0]
    assert row["rule_id"] == "reformat-copy"
    assert "output tensor 0 of 'MaxPool_2' reads" not in row["cause"]
    assert all(r in row["cause"] for r in readers), row["cause"]

"""The lint engine on the real ResNet-18 A100 bundles and trtexec logs.

Expected finding lists are computed from the fixture files themselves (raw graph/profile JSON, log lines),
and every test asserts on the WHOLE list of a rule's findings, so a false alarm fails as surely as a miss.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import trtinspect
from tests.conftest import LOGS, REPO, resnet_file
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.lint import flagged_time, lint, select_rules
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
    """Names of the (single) layers flagged by ``rule``."""
    sub = findings[findings["rule_id"] == rule]
    return {n for lst in sub["layer_names"] for n in lst}


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
    costs = f["cost_ms"].tolist()
    assert costs == sorted(costs, reverse=True)  # sorted by cost (all known here)
    # cost_pct is of the engine's one GPU compute mean (the bundle's timing summary, shared by every command):
    # the exported iterations' mean here, within 2e-5 of the mean the profile metadata reports
    gpu = bundle("qat").timing.gpu_compute.mean
    meta = bundle("qat").summary.query("metric == 'GPU Compute Time' and stat == 'mean'")["value"].iloc[0]
    assert gpu == pytest.approx(meta, rel=2e-5)
    assert f["cost_pct"].tolist() == pytest.approx([c / gpu * 100 for c in costs])
    assert f.attrs["cost_basis"] == "GPU compute time (mean of exported iterations)"


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
    # one finding per flagged layer for the per-layer rules
    per_layer = f[f["rule_id"] != "unfused-conv-epilogue"]
    assert all(len(x) == 1 for x in per_layer["layer_names"])
    # channel-alignment: only the 3-channel image-input convolution, and only where it is not on Tensor Cores
    assert names(f, "channel-alignment") == {n for n in expected_simt_convs(variant) if "Conv_9" in n}
    assert all(f["confidence"] == "proven")


def test_qat_specifics() -> None:
    f = lint(bundle("qat"))
    # the standalone QuantizeLinear layers include the ones the residual Q/DQ later removes
    assert {"QuantizeLinear_15", "QuantizeLinear_40", "QuantizeLinear_250"} <= names(f, "qdq-standalone")
    assert names(f, "int8-fallback") == {"MaxPool_12", "GlobalAveragePool_246"}
    pool = f[(f["rule_id"] == "int8-fallback") & f["layer_names"].map(lambda x: x == ["MaxPool_12"])].iloc[0]
    assert pool["evidence"]["precision"] == "FP32"
    assert pool["cost_ms"] == raw_profile("qat")["MaxPool_12"]["averageMs"]
    conv = [n for n in pool["evidence"]["conversions"]]
    assert conv == ["Reformatting CopyNode for Output Tensor 0 to MaxPool_12", "QuantizeLinear_15"]
    # the network-input Quantize is info (nothing to fold into); the others are warnings
    q = f[f["rule_id"] == "qdq-standalone"].set_index(
        f[f["rule_id"] == "qdq-standalone"]["layer_names"].str[0]
    )
    assert q.loc["QuantizeLinear_2", "severity"] == "info"
    assert set(q.drop("QuantizeLinear_2")["severity"]) == {"warning"}
    # a residual-branch cause is named where the quantized tensor is also read unquantized
    assert "also read unquantized" in q.loc["QuantizeLinear_40", "cause"]
    reform = f[f["rule_id"] == "reformat-copy"].set_index(
        f[f["rule_id"] == "reformat-copy"]["layer_names"].str[0]
    )
    assert reform.loc["Reformatting CopyNode for Output Tensor 0 to MaxPool_12", "evidence"][
        "conversion"
    ] == ("precision+layout")


def test_later_qat_variants_have_fewer_findings_and_less_flagged_time() -> None:
    counts, times_all, times_warn = [], [], []
    for v in QAT_VARIANTS:
        f = lint(bundle(v))
        counts.append(len(f))
        times_all.append(flagged_time(f, bundle(v)))
        times_warn.append(flagged_time(f, bundle(v), "warning"))
    assert counts[0] > counts[1] > counts[2]
    assert times_all[0] > times_all[1] > times_all[2]
    assert times_warn[0] > times_warn[1] > times_warn[2]


@pytest.mark.parametrize("variant", ["fp32", "fp16"])
def test_no_int8_findings_without_int8(variant: str) -> None:
    f = lint(bundle(variant))
    assert not f["rule_id"].str.startswith("int8").any()
    assert not (f["rule_id"] == "qdq-standalone").any()
    assert names(f, "reformat-copy") == expected_reformats(variant)
    assert names(f, "no-tensor-cores") == expected_simt_convs(variant)
    assert names(f, "unfused-conv-epilogue") == set()


def test_fp16_io_reformats_are_classified() -> None:
    f = lint(bundle("fp16"))
    ev = {r["layer_names"][0]: r["evidence"] for r in f[f["rule_id"] == "reformat-copy"].to_dict("records")}
    raw = {lay["Name"]: lay for lay in raw_layers("fp16")}
    for name, e in ev.items():
        src, dst = fmt(raw[name]["Inputs"][0]), fmt(raw[name]["Outputs"][0])
        assert (e["input_format"], e["output_format"]) == (src, dst)
        changed_precision = ("FP16" in src) != ("FP16" in dst)
        assert ("precision" in e["conversion"]) == changed_precision


# ------------------------------------------------------------------------------------------ names-only logs
def log_rows(path: Path) -> list[tuple[str, float]]:
    """(layer name, average ms) of a headerless --dumpProfile excerpt: name, total ms, average ms, percent."""
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"^\[[^\]]*\] \[I\] (.+?) [\d.]+ ([\d.]+) [\d.]+$", line)
        if m and m.group(1) != "Total":
            out.append((m.group(1), float(m.group(2))))
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
    got = {(r["layer_names"][0], r["layer_names"][-1]) for r in u.to_dict("records")}
    expected = expected_seed_chains(path)
    assert got == expected
    assert any(a.endswith("conv2d_109") and b == "add_30 + relu_100" for a, b in got)
    assert set(u["confidence"]) == {"inferred"}
    # cost = the separate epilogue layer's average time as the log prints it
    avg = dict(log_rows(path))
    assert sorted(u["cost_ms"]) == sorted(avg[b] for _, b in expected)
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
    assert len(g) == len(lint(bundle("qat"))) - len(expected_qdq("qat"))


def test_several_findings_on_one_layer_are_kept() -> None:
    f = lint(bundle("qat"))
    per_layer = Counter(n for lst in f["layer_names"] for n in lst)
    conv1 = next(n for n in per_layer if n.endswith("Conv_9"))
    assert set(f[f["layer_names"].map(lambda x: conv1 in x)]["rule_id"]) == {
        "int8-float-output",
        "no-tensor-cores",
        "channel-alignment",
        "hot-layer",
    }
    assert not math.isnan(f["cost_ms"].iloc[0])


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
    assert "output tensor 0 of 'MaxPool_2' reads" not in row["cause"]
    assert all(r in row["cause"] for r in readers), row["cause"]

"""The moved-op rule (inspector/check_moved.py) reads whether a layer fused a Relu from the layer JSON, not its name
(fix-overmerge). qgap's QAT conv1 layers are named ``layer2.0.conv1.weight + QuantizeLinear_82 + Conv_84`` - no
Relu - though their JSON says ``Activation: RELU`` (as fp16's ``Conv_13 + Relu_14``). Read from names, conv1 "lost"
a Relu and ``check``/``diff`` fp16 -> qgap merged 4 layers a block ('Conv_15 + layer2.0.conv1 +
layer2.0.downsample.0 + layer2.1.conv1'). The JSON facts: only the residual Add + Relu moved, from fp16's
downsample ``Conv_16 + Add_17 + Relu_18`` (2 inputs, RELU) into qgap's conv2 (``Conv_96 + Add_115 + Relu_116``,
2 inputs, RELU; its downsample: 1 input, Activation NONE): 2 layers a side per merged group."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from trtinspect.cli import cli

S = "sample:resnet18-a100"
SEED = Path(__file__).parents[1] / "sample_engines" / "trtexec-logs" / "seed-fx-vs-implicit-int8"
FP16_QGAP = {  # fp16 (baseline) layers -> qgap (candidate) layers of each merged group
    "Conv_15 + layer2.0.downsample.0": (
        ["Conv_15", "Conv_16 + Add_17 + Relu_18"],
        ["layer2.0.conv2.weight + QuantizeLinear_94 + Conv_96 + Add_115 + Relu_116",
         "layer2.0.downsample.0.weight + QuantizeLinear_105 + Conv_107"]),
    "Conv_26 + layer3.0.downsample.0": (
        ["Reformatting CopyNode for Input Tensor 0 to Conv_26", "Conv_26", "Conv_27 + Add_28 + Relu_29",
         "Reformatting CopyNode for Output Tensor 0 to Conv_27 + Add_28 + Relu_29"],
        ["layer3.0.conv2.weight + QuantizeLinear_167 + Conv_169 + Add_188 + Relu_189",
         "layer3.0.downsample.0.weight + QuantizeLinear_178 + Conv_180"]),
    "Conv_37 + layer4.0.downsample.0": (
        ["Conv_37", "Conv_38 + Add_39 + Relu_40"],
        ["layer4.0.conv2.weight + QuantizeLinear_240 + Conv_242 + Add_261 + Relu_262",
         "layer4.0.downsample.0.weight + QuantizeLinear_251 + Conv_253"]),
}


def _run(*args: str) -> dict:
    out = CliRunner().invoke(cli, list(args))
    assert out.exit_code in (0, 1), out.output
    return json.loads(out.output)


def _check(a: str, b: str) -> dict:
    return _run("check", "--baseline", a, "--candidate", b, "--json", "-")


def test_check_fp16_to_qgap_merges_two_layers_a_side() -> None:
    doc = _check(f"{S}/fp16", f"{S}/qat-residual-qgap")
    merged = {g["label"]: (g["layers_a"], g["layers_b"]) for g in doc["groups"] if g["kind"] == "repartitioned"}
    assert merged == FP16_QGAP
    reasons = [g["reason"] for g in doc["groups"] if g["kind"] == "repartitioned"]
    assert any(r.startswith("judged as one group: the fused Add and Relu moved from layer2.0.downsample.0 "
                            "(baseline) into Conv_15 (candidate)") for r in reasons)
    # the conv1 layers are judged on their own again
    labels = {g["label"] for g in doc["groups"]}
    assert {"layer2.0.conv1", "layer2.1.conv1", "layer3.1.conv1", "layer4.1.conv1"} <= labels


def test_check_qgap_to_fp16_mirrors() -> None:
    doc = _check(f"{S}/qat-residual-qgap", f"{S}/fp16")
    merged = sorted((sorted(g["layers_a"]), sorted(g["layers_b"])) for g in doc["groups"]
                    if g["kind"] == "repartitioned")
    assert merged == sorted((sorted(b), sorted(a)) for a, b in FP16_QGAP.values())


def test_diff_fp16_to_qgap_merges_the_same_groups_as_check() -> None:
    doc = _run("diff", f"{S}/fp16", f"{S}/qat-residual-qgap", "--no-lint", "--top", "0", "--format", "json")
    parts = sorted(sorted(p["label"] for p in g["parts"]) for g in doc["repartitioned_groups"])
    assert parts == [["Conv_15", "Conv_16 + Add_17 + Relu_18"], ["Conv_26", "Conv_27 + Add_28 + Relu_29"],
                     ["Conv_37", "Conv_38 + Add_39 + Relu_40"]]
    check = _check(f"{S}/fp16", f"{S}/qat-residual-qgap")
    ids = {g["group_id"] for g in check["groups"] if g["kind"] == "repartitioned"}
    assert {g["group_id"] for g in doc["repartitioned_groups"]} == ids
    for g in doc["groups"]:
        if g["group_id"] in ids:
            assert (g["kind"], g["n_a"], g["n_b"]) == ("repartitioned", 2, 2)


def test_names_right_unchanged_qat_residual_to_qat() -> None:
    doc = _check(f"{S}/qat-residual", f"{S}/qat")
    merged = [g["label"] for g in doc["groups"] if g["kind"] == "repartitioned"]
    assert "layer2.0.conv2 + layer2.0.downsample.0" in merged and len(merged) == 3
    diff = _run("diff", f"{S}/qat-residual", f"{S}/qat", "--no-lint", "--top", "0", "--format", "json")
    assert len(diff["repartitioned_groups"]) == 3


def test_log_sources_keep_names_seed_pair() -> None:
    """trtexec logs have no activation field: the names decide, as before: the rule merges nothing in the seed
    pair (its one repartitioned group is the aligner's own name-paired fusion change)."""
    a, b = str(SEED / "fx-qdq-int8.profile.log"), str(SEED / "implicit-int8.profile.log")
    doc = _check(a, b)
    assert [(g["layers_a"], g["layers_b"]) for g in doc["groups"] if g["kind"] == "repartitioned"] == [
        (["add_29 + relu_97"], ["Conv_101 + Add_103 + Relu_104"])]
    assert not any(g["reason"].startswith("judged as one group: the fused") for g in doc["groups"])
    diff = _run("diff", a, b, "--no-lint", "--format", "json")
    assert "repartitioned_groups" not in diff

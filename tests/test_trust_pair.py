"""How diff and check pair fusion groups of two engines and judge them (trust-pair, defects of a TensorRT
engineer's review), each on the real artifacts the review named: the A100 ResNet-18 sample engines, the seed
fx-vs-implicit INT8 trtexec logs and the TensorRT 10.16 H100 logs (tests/data/**/PROVENANCE.md)."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from trtinspect.render.diff import profiling_gap_meaning

QAT_RESIDUAL, QGAP = "sample:resnet18-a100/qat-residual", "sample:resnet18-a100/qat-residual-qgap"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_profiling_gap_is_worded_by_its_sign(capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 6: a positive per-layer total - GPU compute was called "per-layer profiling overhead, not in any
    layer"; the profiler's synchronisation sits inside the layer times. A negative gap is GPU time in no layer."""
    code, out, err = run_cli(["diff", QAT_RESIDUAL, QGAP], capsys)
    assert code == 0, err
    flat = _flat(out)
    assert ("A: end-to-end GPU compute 0.5457 ms; per-layer total - GPU compute = +0.1854 ms (per-layer profiling "
            "overhead, spread over the layer times)") in flat
    assert "not in any layer" not in flat
    assert profiling_gap_meaning(-0.01) == "GPU compute time not in any layer's profiled time"


SEED = "sample_engines/trtexec-logs/seed-fx-vs-implicit-int8"


def test_printed_size_threshold_is_the_one_the_decision_uses(capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 2 (threshold): Conv_131 (0.45% of the baseline, 1.1% of the candidate) printed a +120.7% threshold
    from the baseline's total while the share criterion passed on the candidate's share: every group's printed
    threshold must be one its own status agrees with."""
    import json

    code, out, err = run_cli(["check", "--baseline", f"{SEED}/fx-qdq-int8.profile.log", "--candidate",
                              f"{SEED}/implicit-int8.profile.log", "--json", "-"], capsys)
    assert code in (0, 1), err
    groups = json.loads(out)["groups"]
    judged = [g for g in groups if g["status"] not in ("added", "removed") and g["delta_ms"] is not None]
    assert judged
    for g in judged:
        flagged = g["status"] in ("regression", "traded")
        if g["delta_ms"] > 0:
            assert flagged == (g["delta_ms"] >= g["size_threshold_ms"] - 1e-12), g


FP16 = "sample:resnet18-a100/fp16"


def test_reordered_siblings_pair_by_their_weights(capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 1: qgap runs each downsample before conv2 and fuses the residual add into conv2; execution-order
    pairing compared FP16's 1x1 downsample ``Conv_38 + Add_39 + Relu_40`` with qgap's 3x3 conv2 (+123.1%). The
    layer JSON's kernel shape and weight count pair each convolution with its own counterpart."""
    import json

    code, out, err = run_cli(["diff", FP16, QGAP, "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    groups = {g["group_id"]: g for g in doc["groups"]}
    # diff merges the layers a fused Add+Relu moved between into one group, as check does (check_moved): their
    # pairs are its layer-by-layer parts
    parts = {p["group_id"]: p for m in doc.get("repartitioned_groups", []) for p in m["parts"]}
    names: dict[int, list[str]] = {}
    for m in doc["members"]:
        names.setdefault(m["group_id"], []).append(m["name"])
    # A's 3x3 conv2 pairs with B's 3x3 conv2 (which now holds the add); A's 1x1 downsample with B's downsample
    for a_name, b_name, a_ms, b_ms in (("Conv_37", "layer4.0.conv2.weight", 0.0481, 0.0297),
                                       ("Conv_38 + Add_39 + Relu_40", "layer4.0.downsample.0.weight", 0.0133, 0.0102),
                                       ("Conv_15", "layer2.0.conv2.weight", None, None),
                                       ("Conv_16 + Add_17 + Relu_18", "layer2.0.downsample.0.weight", None, None),
                                       ("Conv_26", "layer3.0.conv2.weight", None, None),
                                       ("Conv_27 + Add_28 + Relu_29", "layer3.0.downsample.0.weight", None, None)):
        gid = next(g for g, members in names.items() if a_name in members)
        assert any(n.startswith(b_name) for n in names[gid]), (a_name, names[gid])
        if a_ms is not None:
            g = groups[gid]
            if g["kind"] == "repartitioned":
                g = next(p for p in parts.values() if p["label"] == a_name)
            assert (round(g["a_ms"], 4), round(g["b_ms"], 4)) == (a_ms, b_ms)
    assert any("paired by their weights" in n for n in doc["notes"])
    for strict in ([], ["--strict-groups"]):
        code, out, err = run_cli(["check", "--baseline", FP16, "--candidate", QGAP, "--json", "-", *strict], capsys)
        flagged = [g["label"] for g in json.loads(out)["groups"] if g["status"] in ("regression", "traded")]
        assert not any("Conv_3" in x or "conv2" in x or "downsample" in x for x in flagged), flagged


H100 = "sample_engines/trtexec-logs/trt10.16-h100"


def test_myelin_build_of_the_same_onnx_is_one_network(capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 3: two builds of model-trained.onnx (FP32 vs --fp16 --noTF32) were refused as "different networks:
    only 0% of their compute layers line up" (exit 3): the FP16 build runs Myelin {ForeignNode[...]} layers. Two
    of its three ForeignNodes share source nodes with A's layers, and the third reads max_pool2d_1 and writes y/z
    as A's gemm and four kgen kernels do: one fused group, not removed and added layers."""
    import json

    code, out, err = run_cli(["diff", f"{H100}/result-04.log", f"{H100}/result-02.log"], capsys)
    assert code == 0, err
    flat = _flat(out)
    assert "different networks" not in flat and "guess" not in flat
    assert "removed" not in flat and "added" not in flat
    assert ("B fused 1 gemm layer and kgen layer into its Myelin layer (A: node_linear_myl4_0, __myl_MulSum_myl4_1, "
            "__myl_AddMaxrSubExpSum_myl4_2 and 2 more; B: {ForeignNode[gemm2.bias + ONNXTRT_Broadcast_4..."
            "ONNXTRT_castHelper_9]})") in flat
    code, out, err = run_cli(["diff", f"{H100}/result-04.log", f"{H100}/result-02.log", "--format", "json"], capsys)
    doc = json.loads(out)
    assert doc["structural_similarity"] >= 0.5
    fused = [g for g in doc["groups"] if g["kind"] == "fused"]
    assert len(fused) == 1 and fused[0]["method"] == "tensor-boundary" and fused[0]["n_a"] == 5
    # mirrored
    code, out, err = run_cli(["diff", f"{H100}/result-02.log", f"{H100}/result-04.log"], capsys)
    assert code == 0, err
    assert "B split 1 gemm layer and kgen layer out of its Myelin layer" in _flat(out)


def _check(capsys: pytest.CaptureFixture[str], base: str, cand: str, *extra: str) -> tuple[int, dict]:
    import json

    code, out, err = run_cli(["check", "--baseline", base, "--candidate", cand, "--json", "-", *extra], capsys)
    assert code in (0, 1), err
    return code, json.loads(out)


def test_float_island_and_its_qdq_pair_are_judged_as_one(capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 4: qat-residual runs the global average pooling in float between DequantizeLinear_291 and
    QuantizeLinear_298; qgap runs it INT8 without them. check said "traded +66.7% GlobalAveragePool_294" plus two
    removed layers (exit 1 with --strict-groups); the chain is one group, and it got faster."""
    code, doc = _check(capsys, QAT_RESIDUAL, QGAP, "--strict-groups")
    assert code == 0
    chain = next(g for g in doc["groups"] if "GlobalAveragePool_294" in g["label"])
    assert chain["kind"] == "qdq_chain" and chain["status"] == "improvement"
    assert {"DequantizeLinear_291", "QuantizeLinear_298"} <= set(chain["layers_a"])
    assert chain["cand_ms"] < chain["base_ms"]
    assert chain["reason"].startswith("judged as one group: the baseline writes float from layer4.1.conv2, "
                                      "GlobalAveragePool_294 between DequantizeLinear_291 and QuantizeLinear_298")
    assert not [g for g in doc["groups"] if g["status"] in ("removed", "traded", "regression")]
    # mirrored: the candidate adds the float island, and that chain is slower
    code, doc = _check(capsys, QGAP, QAT_RESIDUAL)
    chain = next(g for g in doc["groups"] if "GlobalAveragePool_294" in g["label"])
    assert chain["kind"] == "qdq_chain" and chain["status"] == "regression"


def test_reformat_copy_that_moved_is_not_a_group_slowdown(capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 2 (second half): the reformat copy A ran for its dequantize layers runs in B in front of Conv_131,
    Conv_134, Conv_137; check failed the three convolutions (+97%, --strict-groups exit 1). The groups of the move
    are judged as one (-0.8%), as diff tells it as one event."""
    code, doc = _check(capsys, f"{SEED}/fx-qdq-int8.profile.log", f"{SEED}/implicit-int8.profile.log",
                       "--strict-groups")
    assert code == 0
    moved = next(g for g in doc["groups"] if "Conv_131" in g["label"])
    assert moved["kind"] == "reformat_moved" and moved["status"] == "ok"
    assert {"Conv_131", "Conv_134", "Conv_137"} <= set(moved["layers_b"])
    assert "moved to Conv_131, Conv_134, Conv_137 (matched by count)" in moved["reason"]
    assert not [g for g in doc["groups"] if g["status"] in ("removed", "traded", "regression")]

"""diff defects found by a TensorRT-engineer review and a new-user trial (trust-diff): one Q/DQ root cause is one
cause, a horizontal merge (``a || b``) is said as one, an excerpt's edge group and zero-delta rows are not ranked."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from trtinspect.cli import cli

ROOT = Path(__file__).parents[1]
SEED = ROOT / "sample_engines" / "trtexec-logs" / "seed-fx-vs-implicit-int8"
FX, IMPLICIT = SEED / "fx-qdq-int8.profile.log", SEED / "implicit-int8.profile.log"
EXTERNAL = ROOT / "tests" / "data" / "external"


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["diff", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _json(*args: str) -> dict:
    import json

    return json.loads(_run(*args, "--format", "json"))


def test_qgap_pair_is_one_qdq_cause() -> None:
    """`diff sample:resnet18-a100/qat-residual sample:resnet18-a100/qat-residual-qgap`: the global average
    pooling moved FP32 -> INT8 because the Q/DQ pair around it went: one cause, net -0.055 ms."""
    d = _json("sample:resnet18-a100/qat-residual", "sample:resnet18-a100/qat-residual-qgap")
    assert [c["cause"] for c in d["causes"]][:1] == ["qdq"]
    assert "precision" not in [c["cause"] for c in d["causes"]]
    qdq = d["causes"][0]
    assert f"{qdq['delta_ms']:+.3f}" == "-0.055"
    assert any("global average pooling (A: GlobalAveragePool_294; B: GlobalAveragePool_300) moved from FP32 to INT8"
               in e for e in qdq["effects"])
    assert qdq["text"].startswith("Q/DQ placement changed: 1 layer now writes INT8 directly, so 2 standalone Q/DQ "
                                  "layers are gone (-0.055 ms)")
    # the causes still add up to the per-layer difference
    assert math.isclose(math.fsum(c["delta_ms"] for c in d["causes"]), d["totals"]["sum_group_delta_ms"],
                        abs_tol=1e-12)
    assert "next_to_changed_qdq" not in d["groups"][0]          # a fact of the events, not an output column


def test_output_precision_next_to_added_dequantize_is_qdq() -> None:
    """qat -> qat-residual: layer4.1.conv2 writes FP32 instead of FP16 because B added DequantizeLinear_291
    before it (its residual input): under the Q/DQ cause, not "Layers run at another precision"."""
    d = _json("sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual")
    by = {c["cause"]: c for c in d["causes"]}
    assert any("(layer4.1.conv2) now outputs FP32 instead of FP16 (+0.039 ms)" in e for e in by["qdq"]["effects"])
    assert not any("layer4.1.conv2" in e for e in by.get("precision", {}).get("effects", []))
    assert math.isclose(math.fsum(c["delta_ms"] for c in d["causes"]), d["totals"]["sum_group_delta_ms"],
                        abs_tol=1e-12)


def test_horizontal_merge_is_said_as_one() -> None:
    """fx vs implicit INT8: B's `Conv_129 + Relu_130 || Conv_132 + Relu_133 || Conv_135 + Relu_136` merged 3
    sibling convolutions side by side; it was "B fused 1 convolution into its convolution"."""
    out = " ".join(_run(str(FX), str(IMPLICIT)).split())
    fx = "conv2d_114 + relu_107, conv2d_116 + relu_108, conv2d_118 + relu_109"
    merged = "Conv_129 + Relu_130 || Conv_132 + Relu_133 || Conv_135 + Relu_136"
    # which side ran which layers, in both directions (review: the tag named only A's layers, as one layer)
    assert f"B merged 3 parallel convolutions into one layer (A: {fx}; B: {merged}) (-0.036 ms)" in out
    assert "fused 1 convolution into its convolution" not in out
    back = " ".join(_run(str(IMPLICIT), str(FX)).split())
    assert (f"B ran 3 parallel convolutions as separate layers, where A merged them into one (A: {merged}; B: {fx}) "
            "(+0.036 ms)") in back


def test_excerpt_edge_group_is_not_ranked() -> None:
    """fx vs implicit INT8 excerpts: A's first row `add_29 + relu_97` (its convolution cut off) paired with B's
    `Conv_101 + Add_103 + Relu_104` was the worst regression (+56.4%); it is said in a note instead."""
    out = _run(str(FX), str(IMPLICIT))
    worst = out[out.index("Worst regressions"):out.index("Best improvements")]
    assert "add_29" not in worst
    assert "group 0 (add_29 + relu_97) at the edge of a --dumpProfile excerpt" in " ".join(out.split())
    d = _json(str(FX), str(IMPLICIT))
    edge = [g["group_id"] for g in d["groups"] if g["excerpt_edge"]]
    assert edge == [0]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_zero_delta_rows_are_no_regression(fmt: str) -> None:
    """`diff trex-rtx3060laptop-alexnet trt10.4-rtx3060laptop-profile/profile.log`: the two sources round one
    time differently (deltas ~1e-7 ms); "Worst regressions" listed unchanged +0.0000 rows, now says none."""
    out = _run(str(EXTERNAL / "trex-rtx3060laptop-alexnet"),
               str(EXTERNAL / "trt10.4-rtx3060laptop-profile" / "profile.log"), "--format", fmt)
    assert "+0.0000" not in out
    if fmt == "text":
        assert "Worst regressions (top 10): none" in out and "Best improvements (top 10): none" in out
    else:
        assert "## Worst regressions (top 10)\n\nnone\n" in out

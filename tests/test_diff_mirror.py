"""`diff B A` tells `diff A B`'s story mirrored, on every real pair (TensorRT-engineer review, trust-diff 2):
the same events on the same groups with the mirrored kind (removed <-> added, fused <-> split, merged <->
unmerged) and exactly the opposite delta, the same causes with opposite deltas, the Q/DQ headline in both
directions, and totals that are exact negatives. Also the second-hop Q/DQ knock-on (review 3) and
`--top 0` titles (review 4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest

import trtinspect
from tests.test_diff_pairs import PAIRS, SEED, run
from trtinspect.cli import main
from trtinspect.inspector.diff import MIRROR, DiffResult, diff

GroupKey = tuple[frozenset[str], frozenset[str]]


@cache
def _reverse(key: str) -> DiffResult:
    a, b, _ = run(key)
    return diff(b, a, findings=False)


def _groups(r: DiffResult, swap: bool) -> dict[int, GroupKey]:
    """Each group as (A's layer names, B's layer names), swapped for the reverse diff (so both read A -> B)."""
    m = r.alignment.members
    names: dict[int, tuple[set[str], set[str]]] = {}
    for side, gid, name in zip(m["side"].tolist(), m["group_id"].tolist(), m["name"].tolist(), strict=True):
        names.setdefault(int(gid), (set(), set()))[0 if side == "A" else 1].add(str(name))
    return {g: (frozenset(b), frozenset(a)) if swap else (frozenset(a), frozenset(b)) for g, (a, b) in names.items()}


def _events(r: DiffResult, swap: bool) -> dict[frozenset[GroupKey], Mapping[str, Any]]:
    groups = _groups(r, swap)
    return {frozenset(groups[g] for g in e["group_ids"]): e for e in r.events}


@pytest.mark.parametrize("key", list(PAIRS))
def test_reverse_diff_is_the_same_story_mirrored(key: str) -> None:
    assert_mirrored(run(key)[2], _reverse(key), key)


def assert_mirrored(fwd: DiffResult, rev: DiffResult, key: str) -> None:
    """``rev`` (diff B A) tells ``fwd``'s (diff A B) story mirrored."""
    ef, er = _events(fwd, False), _events(rev, True)
    assert set(ef) == set(er), key                     # the same events, on the same groups
    for groups, e in ef.items():
        m = er[groups]
        assert MIRROR.get(e["event"], e["event"]) == m["event"], (key, e["text"], m["text"])
        assert (e["count"], e["groups"]) == (m["count"], m["groups"]), (key, e["text"], m["text"])
        assert e["delta_ms"] == -m["delta_ms"] or (math.isnan(e["delta_ms"]) and math.isnan(m["delta_ms"]))
        if e["event"] in ("precision", "output_precision"):
            assert (e["a"], e["b"]) == (m["b"], m["a"])
    # the same causes, in the same order, with exactly opposite deltas
    assert [(c["cause"], c["delta_ms"]) for c in fwd.causes] == [(c["cause"], -c["delta_ms"]) for c in rev.causes]
    for k in ("delta_ms", "sum_group_delta_ms", "reconcile_residual_ms"):
        assert fwd.totals[k] == -rev.totals[k], (key, k)
    assert fwd.totals["a_layers_ms"] == rev.totals["b_layers_ms"]


def test_qdq_root_cause_headline_in_both_directions() -> None:
    """qat -> qat-residual has "10 layers now write INT8 directly, so 8 standalone Q/DQ layers are gone"; diff B A
    had no Q/DQ headline and said "B split 1 convolution into 2 layers each" for A's fused max pooling."""
    _, _, fwd = run("r18 qat->qat-residual")
    rev = _reverse("r18 qat->qat-residual")
    # one root cause: the max pooling fuses once the quantize after it is gone (trust-diff defect 2)
    assert "1. Q/DQ placement changed: 10 layers now write INT8 directly, so 8 standalone Q/DQ layers are gone " \
           "(-0.359 ms)" in fwd.summary
    assert "1. Q/DQ placement changed: 10 layers no longer write INT8 directly, so 8 standalone Q/DQ layers are " \
           "added (+0.359 ms)" in rev.summary
    assert "B fused 1 max pooling into its convolution (A: Conv_9, MaxPool_12; B: Conv_9 + MaxPool_12), next to a " \
           "standalone Q/DQ layer only one engine has (-0.261 ms)" in fwd.summary
    assert "B split 1 max pooling out of its convolution (A: Conv_9 + MaxPool_12; B: Conv_9, MaxPool_12), next to " \
           "a standalone Q/DQ layer only one engine has (+0.261 ms)" in rev.summary
    _, _, qgap = run("r18 qat-residual->qgap")
    assert "1 layer no longer writes INT8 directly, so 2 standalone Q/DQ layers are added (+0.055 ms)" in \
        _reverse("r18 qat-residual->qgap").summary
    assert "1 layer now writes INT8 directly, so 2 standalone Q/DQ layers are gone (-0.055 ms)" in qgap.summary


def test_second_hop_of_a_qdq_change_is_the_same_cause() -> None:
    """qat -> qat-residual: B's DequantizeLinear_291 makes layer4.1.conv2 write FP32 (a neighbour), and the global
    average pooling reading it runs FP32 instead of FP16 (one hop further): both under "Q/DQ placement changed",
    none under "Layers run at another precision", in both directions."""
    pair = "r18 qat->qat-residual"
    for r, a, b in ((run(pair)[2], "FP16", "FP32"), (_reverse(pair), "FP32", "FP16")):
        assert "precision" not in [c["cause"] for c in r.causes]
        qdq = next(c for c in r.causes if c["cause"] == "qdq")
        pool = [e for e in qdq["effects"] if e.startswith("global average pooling")]
        assert len(pool) == 1 and f"moved from {a} to {b}, reading its producer's {b} output" in pool[0]
        assert pool[0] in qdq["text"]                    # a Q/DQ knock-on is always printed
        ev = next(e for e in r.events if e["text"] == pool[0])
        assert ev["qdq_downstream"] and ev["next_to_changed_qdq"]
    # the float chain stops at INT8; the QAT build's convolutions moving to INT8 hold the Q/DQ nodes fused into
    # them on one side only: Q/DQ placement too, all of them (they were split between two causes before)
    _, _, fp16_qat = run("r18 fp16->qat")
    assert [c["cause"] for c in fp16_qat.causes] == ["qdq"]
    assert "8 convolutions moved from FP16 to INT8" in fp16_qat.causes[0]["text"]


def test_top_zero_titles_say_all(capsys: pytest.CaptureFixture[str]) -> None:
    """`diff --top 0` means all: the titles said "top 34" (the group count); they say "all N", N the rows listed."""
    pair = ["sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual", "--no-lint", "--top", "0"]
    main(["diff", *pair])
    out = capsys.readouterr().out
    # 31 groups: the three downsample/conv2 pairs an add+relu moved between are one group each (review defect 2)
    assert "Worst regressions (all 5)" in out and "Best improvements (all 18)" in out and "top 31" not in out
    assert "delta -0.3645 ms (-33.3% of A's per-layer total)" in out       # the one denominator, stated
    main(["diff", *pair, "--format", "markdown"])
    md = capsys.readouterr().out
    assert "## Worst regressions (all 5)" in md and "## Best improvements (all 18)" in md
    main(["diff", *pair[:-1], "3"])
    assert "Worst regressions (top 3)" in capsys.readouterr().out


def test_fx_implicit_merge_names_each_side() -> None:
    fx, implicit = (trtinspect.load(SEED / n) for n in ("fx-qdq-int8.profile.log", "implicit-int8.profile.log"))
    fwd, rev = diff(fx, implicit, findings=False), diff(implicit, fx, findings=False)
    merged = next(e for e in fwd.events if e["event"] == "merged")
    unmerged = next(e for e in rev.events if e["event"] == "unmerged")
    assert "(A: conv2d_114 + relu_107, conv2d_116 + relu_108, conv2d_118 + relu_109; B: Conv_129 + Relu_130 || " \
           "Conv_132 + Relu_133 || Conv_135 + Relu_136)" in merged["text"]
    assert "(A: Conv_129 + Relu_130 || Conv_132 + Relu_133 || Conv_135 + Relu_136; B: conv2d_114 + relu_107, " \
           "conv2d_116 + relu_108, conv2d_118 + relu_109)" in unmerged["text"]
    assert merged["delta_ms"] == -unmerged["delta_ms"]

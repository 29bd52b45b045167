"""Fast paths of align / diff checked against the general code they replace (issue 11: outputs must not change)."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trtinspect
from trtinspect.inspector import align as align_mod
from trtinspect.inspector import align_groups, align_side
from trtinspect.parsers.model import EngineBundle

ROOT = Path(__file__).resolve().parents[1]
S = "sample_engines/resnet18-a100"
X = "tests/data/external"
PAIRS = [
    (f"{S}/fp32", f"{S}/fp16"), (f"{S}/fp16", f"{S}/qat"), (f"{S}/qat", f"{S}/qat-residual"),
    (f"{S}/qat-residual", f"{S}/qat-residual-qgap"),
    (f"{X}/trex-rtx3090-resnet50/fp32", f"{X}/trex-rtx3090-resnet50/qat"),
    (f"{X}/trex-titanrtx-mobilenet/qat", f"{X}/trex-titanrtx-mobilenet/qat-residuals"),
    (f"{S}/qat", f"{X}/trex-rtx3090-resnet50/qat"),
]


@cache
def _load(folder: str) -> EngineBundle:
    return trtinspect.load(ROOT / folder)


@cache
def _generated(variant: str, names: str = "realistic") -> EngineBundle:
    """A GENERATED 1,200-layer engine (benchmarks/generated_engine.py), built in a temporary folder."""
    import tempfile

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generated_engine import generate

    eng = generate(Path(tempfile.mkdtemp(prefix="trtinspect-gen-")), 1200, variant, indent=None, names=names)
    return trtinspect.load(eng.folder)


def _bundle_pairs() -> list[tuple[EngineBundle, EngineBundle]]:
    pairs = [(_load(x), _load(y)) for x, y in PAIRS]
    pairs.append((_generated("qat"), _generated("qat-residual")))
    pairs.append((_generated("fp16"), _generated("qat")))
    pairs.append((_generated("qat-residual"), _generated("qat-residual", "plain")))
    return pairs


# --- align_groups: groups of one core layer a side gathered column-wise == group_values row by row ----------
def test_group_rows_gathered_by_column_equal_the_general_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[pd.DataFrame, pd.DataFrame, dict[int, str]]] = []
    real = align_groups.output_frames

    def both(*args: object, **kwargs: object) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, str]]:
        fast = real(*args)  # type: ignore[arg-type]
        slow = real(*args, fast=False)  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(fast[0], slow[0])
        pd.testing.assert_frame_equal(fast[1], slow[1])
        assert fast[2] == slow[2]
        seen.append(fast)
        return fast

    monkeypatch.setattr(align_mod, "output_frames", both)
    for a, b in _bundle_pairs():
        align_mod.align(a.layers, b.layers)
        align_mod.align(b.layers, a.layers)
    kinds = set().union(*(set(g["kind"]) for g, _, _ in seen))
    assert {"only_a", "only_b", "fused", "unchanged", "precision_changed"} <= kinds


# --- align_side.op_kind: one cache entry per digit-run shape, raw spellings with digits recomputed -----------
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "C", "conv", "Conv", "Relu", "relu6", "conv2d", "quant", "_", "-", ".", ":",
                                  "/", " ", "[", "]", "(", ")", "*", "weight", "bias", "(Unnamed Layer* ",
                                  ") [Quantize]", "dequant", "__myl_", "1", "12", "345", "007", "٣", "node_",
                                  " [b", " (b", "Foo"]), min_size=1, max_size=10))
def test_op_kind_cached_by_digit_shape_equals_the_rule(parts: list[str]) -> None:
    text = "".join(parts)
    assert align_side.op_kind(text) == align_side._op_kind(text)
    assert align_side.op_kind(text + "_12") == align_side._op_kind(text + "_12")


def test_op_kind_raw_spellings_keep_their_digits() -> None:
    assert align_side.op_kind("Foo12_3") == "Foo12"
    assert align_side.op_kind("Foo34_3") == "Foo34"
    assert align_side.op_kind("/m/Layer10") == "Layer10"
    assert align_side.op_kind("conv2d_109 [b12]") == "Conv"
    assert align_side.op_kind("Conv_3009 [b3]") == align_side.op_kind("Conv_12 [b45]") == "Conv"


_NAME_PARTS = st.lists(st.sampled_from(["Conv", "conv2d", "_", "12", "3", "007", " [b", "]", "/", "Foo", "\x1f",
                                        ".weight", "(Unnamed Layer* ", ") [Shuffle]", "٣"]), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(_NAME_PARTS.map("".join), max_size=12))
def test_op_kinds_in_one_pass_equal_op_kind_one_at_a_time(names: list[str]) -> None:
    assert align_side.op_kinds(names) == [align_side._op_kind(n) for n in names]

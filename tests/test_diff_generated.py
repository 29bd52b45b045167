"""diff of GENERATED engines in the windowed order-and-type alignment (trust-align2 defects 1-3).

The pair is made by the checked-in ``benchmarks/generated_engine.py`` from the real A100 ResNet-18 ``fp16`` and
``qat`` bundles (each replicated; every file labelled generated), cut at the same layer count as the 6,000-layer
golden pair: fp16 has 36 layers a copy and qat 37, so A holds a few more copies than B, and the two exports share
no source node name (diff aligns them by order and op type). Small here (a few copies); the alignment is forced
into its windowed mode with small windows, the mode 6,000-layer engines take.

Before: ``diff generated-fp16-6000 generated-qat-6000`` showed "296 -> 1 fused into quantize" groups (difflib's
longest-block-first search per fixed proportional window drifted, and the run left before each window's end
became one group). The right result is the real pair's alignment repeated: groups of one layer a side.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import trtinspect
from tests.conftest import invoke
from tests.test_diff_mirror import assert_mirrored
from trtinspect.inspector import align
from trtinspect.inspector.diff import diff

ROOT = Path(__file__).resolve().parents[1]
REAL = ("sample:resnet18-a100/fp16", "sample:resnet18-a100/qat")
LAYERS = 333          # 9 copies of qat (37 layers), 9.25 of fp16 (36): A ends with a partial copy B lacks


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generated_engine import generate

    out = tmp_path_factory.mktemp("generated")
    return (str(generate(out, LAYERS, "fp16", indent=None).folder),
            str(generate(out, LAYERS, "qat", indent=None).folder))


@pytest.fixture
def windowed() -> Iterator[None]:
    """The windowed alignment at this small size: a few hundred cells a window."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(align, "LCS_MAX_CELLS", 2_000)
        mp.setattr(align, "WINDOW_TOKENS", 16)
        yield


def _groups(*args: str) -> list[dict[str, object]]:
    code, out = invoke("diff", *args, "--format", "json", "--no-lint")
    assert code == 0, out
    groups: list[dict[str, object]] = json.loads(out)["groups"]
    return groups


def _largest(groups: list[dict[str, object]]) -> tuple[int, ...]:
    return tuple(max(int(str(g[k])) for g in groups) for k in ("n_a", "n_b", "a_reformats", "b_reformats"))


def test_generated_pair_groups_are_the_real_pairs_small_groups(generated: tuple[str, str], windowed: None) -> None:
    real = _groups(*REAL)
    gen = _groups(*generated)
    assert _largest(gen) <= _largest(real) and _largest(real) == (1, 1, 2, 1)
    assert all(g["kind"] not in ("fused", "split", "repartitioned", "bucket") for g in gen)
    # every B quantize layer is its own "added" group, as in the real pair (9 a copy, plus each copy's input
    # quantize that the real pair pairs with A's input copy reformat)
    added = [g for g in gen if g["kind"] == "only_b"]
    assert all(str(g["label"]).startswith("QuantizeLinear_") for g in added)


def test_windowed_alignment_is_the_exact_one(generated: tuple[str, str]) -> None:
    """Windows that start where the previous one's last kept pair ends find the exact alignment here."""
    a, b = (trtinspect.load(p) for p in generated)

    def pairs() -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        g = align.align(a.layers, b.layers).groups
        return sorted((tuple(x), tuple(y)) for x, y in zip(g["a_layers"], g["b_layers"], strict=True))

    exact = pairs()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(align, "LCS_MAX_CELLS", 2_000)
        mp.setattr(align, "WINDOW_TOKENS", 16)
        assert pairs() == exact


def test_generated_pair_mirrors(generated: tuple[str, str], windowed: None) -> None:
    a, b = (trtinspect.load(p) for p in generated)
    assert_mirrored(diff(a, b, findings=False), diff(b, a, findings=False), "generated fp16->qat")


def test_real_pair_unchanged() -> None:
    _, _, r = _real()
    kinds = r.groups["kind"].value_counts().to_dict()
    assert kinds == {"precision_changed": 24, "only_b": 9, "format_changed": 1}
    # one cause: the Q/DQ nodes fused into QAT's convolutions decided their INT8 (trust-diff defect 2)
    assert ("1. Q/DQ placement changed (+0.079 ms): B added 9 standalone quantize reformats (+0.171 ms); "
            "8 convolutions moved from FP16 to INT8 (-0.106 ms)") in r.summary
    assert ("8 convolutions with fused residual adds now compute INT8 instead of FP16 but still output FP16 "
            "(residual not quantized) (-0.085 ms)") in r.summary and "2. " not in r.summary


def _real() -> tuple[trtinspect.EngineBundle, trtinspect.EngineBundle, object]:
    from tests.test_diff_pairs import run

    a, b, r = run("r18 fp16->qat")
    return a, b, r


COPY = "Reformatting CopyNode for Input Tensor 0 to Conv_0 + Relu_1"


@pytest.mark.parametrize("reverse", [False, True])
def test_input_conversion_group_names_both_sides(reverse: bool) -> None:
    """The group pairing A's input copy reformat with B's input QuantizeLinear_2 was named after A's layer only."""
    pair = REAL[::-1] if reverse else REAL
    a_name, b_name = ("QuantizeLinear_2", COPY) if reverse else (COPY, "QuantizeLinear_2")
    label = f"A: {a_name}; B: {b_name}"
    groups = _groups(*pair)
    conv = next(g for g in groups if g["method"] == "input-conversion")
    assert conv["label"] == label
    code, md = invoke("diff", *pair, "--format", "markdown", "--no-lint", "--top", "0")
    assert code == 0 and label.replace("_", r"\_") in md
    code, text = invoke("diff", *pair, "--no-lint", "--top", "0")
    assert code == 0
    assert _text_cell(text, "A: ") == label


def _text_cell(text: str, prefix: str) -> str:
    """The text table's group cell starting with ``prefix``, its wrapped lines joined."""
    rows = [line.split("│") for line in text.splitlines() if line.count("│") > 4]
    first = next(i for i, cells in enumerate(rows) if cells[3].strip().startswith(prefix))
    parts = [rows[first][3].strip()]
    for cells in rows[first + 1:]:
        if cells[1].strip():        # the next row (it has an id)
            break
        parts.append(cells[3].strip())
    return " ".join(parts)

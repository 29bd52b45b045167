"""``lint(bundle, detail=False)`` (what report and diff read) gives the same findings as the full lint.

Summary mode may leave ``cause`` and ``evidence`` empty, never anything else: the same rows in the same
order with the same ids, rules, severities, titles, layers, costs, cost kinds and methods, confidence,
mitigation and reference, on every real bundle and log the project ships and a GENERATED engine.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import trtinspect
from trtinspect.inspector.lint import lint

ROOT = Path(__file__).resolve().parents[1]
INPUTS = [
    *sorted(str(p) for p in (ROOT / "sample_engines/resnet18-a100").iterdir() if p.is_dir()),
    *sorted(str(p) for p in (ROOT / "tests/data/external/trex-rtx3090-resnet50").iterdir() if p.is_dir()),
    *sorted(str(p) for p in (ROOT / "tests/data/external/trex-titanrtx-mobilenet").iterdir() if p.is_dir()),
    *sorted(str(p) for p in (ROOT / "sample_engines/trtexec-logs").rglob("*.log")),
]
SAME = ["finding_id", "rule_id", "severity", "title", "layer_indices", "layer_names", "cost_kind",
        "cost_method", "cost_by_layer", "confidence", "mitigation", "reference"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return bool(a == b)


def _load(path: str) -> Any:
    try:
        return trtinspect.load(path)
    except trtinspect.TrtInspectError:
        return None


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_summary_lint_is_the_full_lint_without_evidence(path: str) -> None:
    full_bundle, summary_bundle = _load(path), _load(path)
    if full_bundle is None:
        pytest.skip("not an engine this tool loads alone")
    try:
        full = lint(full_bundle)
    except trtinspect.TrtInspectError:
        pytest.skip("nothing to lint")
    summary = lint(summary_bundle, detail=False)
    assert len(summary) == len(full)
    for col in SAME:
        assert summary[col].tolist() == full[col].tolist(), col
    for col in ("cost_ms", "cost_pct"):
        assert all(_same(x, y) for x, y in zip(summary[col].tolist(), full[col].tolist(), strict=True)), col
    # the one difference: how a detailed frame keeps absorbed findings (a summary keeps none)
    assert summary.attrs == {**full.attrs, "absorbed": None} and full.attrs["absorbed"] == "reference"


def test_summary_reuses_a_full_result() -> None:
    bundle = trtinspect.load(INPUTS[0])
    full = lint(bundle)
    assert lint(bundle, detail=False) is full

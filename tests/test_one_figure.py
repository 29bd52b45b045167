"""Issue 11, structure: a figure the bundle computes once is the figure every command shows.

The per-layer total (:attr:`EngineBundle.layer_total`): lint's cost basis (what every ``cost_pct`` divides by)
is the report's per-layer total on every real log and bundle that has a per-layer profile.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import DATA, SAMPLES

from trtinspect.errors import TrtInspectError
from trtinspect.inspector.lint import lint
from trtinspect.inspector.report import build_report
from trtinspect.parsers.bundle import load


def _profiled_inputs() -> list[Path]:
    logs = sorted(p for root in (DATA, SAMPLES) for p in root.rglob("*.log"))
    bundles = sorted({p.parent for root in (DATA, SAMPLES) for p in root.rglob("*.profile.json")})
    return logs + bundles


@pytest.mark.parametrize("path", _profiled_inputs(), ids=lambda p: str(p.relative_to(p.parents[2])))
def test_lint_cost_basis_is_the_report_per_layer_total(path: Path) -> None:
    try:
        bundle = load(path)
    except TrtInspectError:
        pytest.skip("not loadable on its own (tested elsewhere)")
    if not bundle.has_profile:
        pytest.skip("no per-layer profile")
    report = build_report(bundle, lint=False)["layers"]
    attrs = lint(bundle).attrs
    assert attrs["cost_basis_ms"] == report["total_layer_ms"] == bundle.layer_total.ms
    assert not math.isnan(attrs["cost_basis_ms"])
    if attrs["cost_basis"] != "summed per-layer profiled time":
        assert report["total_basis"] in attrs["cost_basis"]

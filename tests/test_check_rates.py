"""Error rates of the check on real per-iteration timing files (pseudo-runs of disjoint slices, see
benchmarks/check_error_rates.py): a small deterministic version in the default run, the 100-split version
behind the ``benchmark`` marker (``pytest -m benchmark tests/test_check_rates.py``)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from conftest import REPO

from trtinspect.inspector.check import Thresholds, run_check

if str(REPO / "benchmarks") not in sys.path:
    sys.path.append(str(REPO / "benchmarks"))
import check_error_rates as rates  # benchmarks/ is not a package: imported from its folder

MOBILENET = "titanrtx-mobilenet/qat"  # TITAN RTX, batch 1, 73 layers, 0.47 ms of per-layer time


@pytest.fixture(scope="module")
def mobilenet() -> Any:
    return rates.load_engine(MOBILENET)


def _trials(bundle: Any, *, k: int, mode: str, n: int, slowdown: float, seed: int) -> tuple[int, int]:
    """(A/A false alarms, detections of the largest group slowed by ``slowdown``) over n splits."""
    rng = np.random.default_rng(seed)
    grouper = rates._fast_grouper(bundle)
    big = rates.largest_group(bundle)
    false_alarms = caught = 0
    for _ in range(n):
        base, cand = rates.pseudo_runs(bundle, k, rng, mode=mode)
        false_alarms += run_check(base, cand, Thresholds(), grouper=grouper).regressed
        slowed = run_check(base, rates.inject_group(cand, big["layers_a"], slowdown), Thresholds(), grouper=grouper)
        caught += int(big["group_id"]) in set(slowed.regressed_groups["group_id"].astype(int))
    return false_alarms, caught


def test_small_network_largest_group_is_not_blind(mobilenet: Any) -> None:
    """Gap 2: the largest group of the batch-1 MobileNet is 0.0164 ms; the old fixed 0.01 ms floor hid even
    +50% of it (2.3% end to end, under the 5% gate). The floor now scales to the engine (0.5% of 0.47 ms) and
    to the measured run-to-run spread: +20% is caught, and the engine checked against itself never alarms."""
    big = rates.largest_group(mobilenet)
    assert big["ms"] == pytest.approx(0.0164, abs=5e-4)
    for k, mode, n in ((3, "random", 10), (1, "blocks", 4)):
        false_alarms, caught = _trials(mobilenet, k=k, mode=mode, n=n, slowdown=0.20, seed=5)
        assert false_alarms == 0, (k, mode)
        assert caught >= n - n // 10, (k, mode, caught)


def test_size_threshold_is_reported(mobilenet: Any) -> None:
    rng = np.random.default_rng(1)
    base, cand = rates.pseudo_runs(mobilenet, 3, rng)
    r = run_check(base, cand, Thresholds(), grouper=rates._fast_grouper(mobilenet))
    big = r.groups.set_index("group_id").loc[int(rates.largest_group(mobilenet)["group_id"])]
    # the floor is 0.5% of the engine's per-layer time (not 0.01 ms), or 3x the group's measured spread
    total = float(np.mean([b.profile["avg_ms"].sum() for b in base]))
    assert big["floor_ms"] == pytest.approx(max(0.005 * total, 3 * big["spread_ms"]))
    assert big["floor_ms"] < 0.01
    assert big["size_threshold_ms"] == pytest.approx(max(big["floor_ms"], 0.10 * big["base_ms"]))
    assert 10.0 <= big["size_threshold_pct"] < 20.0  # +20% is within reach, +5% is not
    from trtinspect.render import check as check_report

    assert "size threshold per group (fixed rule, not a measured detection limit" in check_report.to_text(r)


@pytest.mark.benchmark
def test_mobilenet_rates_100_splits(mobilenet: Any) -> None:
    """The issue's target, at full size: 0 false alarms in 100 A/A checks, +20% on the largest group caught in
    >= 9 of 10 trials (K = 3 runs a side, and K = 1)."""
    for k, mode in ((3, "random"), (1, "blocks")):
        false_alarms, _ = _trials(mobilenet, k=k, mode=mode, n=100, slowdown=0.0, seed=0)
        assert false_alarms == 0
        _, caught = _trials(mobilenet, k=k, mode=mode, n=10, slowdown=0.20, seed=1)
        assert caught >= 9

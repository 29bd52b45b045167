"""A --dumpProfile excerpt without its Total row: the engine's total is recovered from the printed Time % column.

Real quote: tests/data/external/quoted/trt8.6-profile-table.issue3842.log (NVIDIA/TensorRT#3842, TensorRT 8.6,
6 rows of a 2094-iteration table, no Total row). trtexec printed conv1 at Time(%) 1.6; dividing by the 6 rows
gave 30.9% (TensorRT-engineer review).
"""

from __future__ import annotations

import math

import pandas as pd

import trtinspect
from tests.conftest import REPO
from trtinspect.inspector.report import build_report
from trtinspect.parsers.layer_total import layer_total

LOG = REPO / "tests/data/external/quoted/trt8.6-profile-table.issue3842.log"


def test_shares_of_an_excerpt_round_to_the_printed_time_percent() -> None:
    bundle = trtinspect.load(str(LOG))
    total = bundle.layer_total
    assert math.isclose(total.ms, 154.98 / 0.051 / 2094, rel_tol=1e-9)
    assert "Time %" in total.basis and "estimate" in total.basis
    report = build_report(bundle, top=10, lint=False)
    printed = {r["name"]: r["percentage"] for r in bundle.profile.to_dict("records")}
    for row in report["top_layers"]:
        assert f"{row['share_pct']:.1f}" == f"{printed[row['name']]:.1f}", row["name"]
    assert math.isclose(total.missing_ms, total.ms - 154.98 / 2094, rel_tol=1e-9)


def test_a_whole_table_without_total_row_keeps_the_rows_sum() -> None:
    frame = pd.DataFrame({"name": ["a", "b"], "time_ms": [30.0, 70.0], "avg_ms": [0.3, 0.7],
                          "percentage": [30.0, 70.0]})
    total = layer_total(frame, iterations=100, total_row=None, source="dumpProfile")
    assert total.ms == 1.0 and total.missing_ms == 0.0
    no_pct = frame.assign(percentage=[30.0, float("nan")])
    assert layer_total(no_pct, iterations=100, total_row=None, source="dumpProfile").ms == 1.0

"""Per-layer times and shares of a trtexec ``--dumpProfile`` table follow trtexec's ``Time %`` rule.

trtexec prints a layer's ``Time %`` as its time over the total time; its ``Avg.(ms)`` column is rounded to 4
decimals (2 in TensorRT 7). Summing or dividing the printed averages gave shares off by a tenth of a percent
(``node_conv2d_myl0_1`` of the TensorRT 10.16 H100 log: 12.6% where trtexec printed 12.7%; rows summing to
100.03%). The bundle's per-layer times (its join, read by report, lint, diff and check) are each row's time
share of the per-layer total, so every share rounds to the printed ``Time %`` and the shares sum to 100%.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from trtinspect.parsers.bundle import load
from trtinspect.parsers.trtexec_log import parse_trtexec_text

REPO = Path(__file__).resolve().parents[1]
H100 = REPO / "sample_engines/trtexec-logs/trt10.16-h100/result-05.log"
DLA7 = REPO / "tests/data/external/quoted/xavier-agx-dla-trt7.1.3.hax-conn.log"


def _with_total(path: Path) -> bool:
    text = path.read_text(errors="replace")
    if "Total" not in text:
        return False
    try:
        log = parse_trtexec_text(text)
    except Exception:   # not a log (JSON, a failed run): not a table with a Total row
        return False
    return not log.profile.empty and log.profile_total is not None


# every real log with a --dumpProfile table and its Total row (new fixtures are checked too)
WITH_TOTAL = sorted(p for folder in (REPO / "sample_engines", REPO / "tests/data")
                    for p in folder.rglob("*.log") if _with_total(p))


def test_fixtures_found() -> None:
    assert len(WITH_TOTAL) >= 7 and H100 in WITH_TOTAL and DLA7 in WITH_TOTAL, WITH_TOTAL


@pytest.mark.parametrize("path", WITH_TOTAL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_layer_shares_are_the_printed_time_percent(path: Path) -> None:
    """Every row's share of the per-layer total rounds to the Time % trtexec printed; rows, unlisted rest and
    unmatched rows add up to 100% of the one total."""
    bundle = load(path)
    total, joined = bundle.layer_total, bundle.layer_times()
    shares = (100.0 * joined["avg_ms"] / total.ms).tolist()
    for name, share, printed in zip(joined["name"], shares, joined["percentage"], strict=True):
        assert f"{share:.1f}" == f"{printed:.1f}", (name, share, printed)
    rest = 100.0 * (total.missing_ms + bundle.unmatched_profile_ms()) / total.ms
    assert math.fsum(shares) + rest == pytest.approx(100.0, abs=1e-9)


def test_lint_hot_layer_share_is_trtexecs(capsys: pytest.CaptureFixture[str]) -> None:
    """The defect as a user saw it: lint said 12.6% for a layer trtexec printed at 12.7%."""
    code, out, _ = run_cli(["lint", str(H100), "--format", "json"], capsys)
    assert code == 0, out
    hot = {f["layer_names"][0]: f for f in json.loads(out)["findings"] if f["rule_id"] == "hot-layer"}
    assert f"{hot['node_conv2d_myl0_1']['cost_pct']:.1f}" == "12.7"
    assert hot["node_conv2d_myl0_1"]["cost_ms"] == pytest.approx(193.50 / 18362 * 1529.13 / 1529.14, rel=1e-12)


def test_trt7_two_decimal_averages_are_not_the_basis() -> None:
    """TensorRT 7 prints Avg. Time with 2 decimals (3.33 ms): the layer's time is its 5046.37 ms share of the
    Total row over the 1514 iterations, and the basis quotes the Total row as printed (3.62, not 3.6200)."""
    bundle = load(DLA7)
    row = bundle.layer_times().set_index("name").loc["prob input reformatter 0"]
    assert row["avg_ms"] == pytest.approx(5046.37 / 1514 * 5477.95 / 5477.96, rel=1e-12)
    assert "trtexec printed the average 3.62 ms" in bundle.layer_total.basis
    assert "5477.95 ms over 1514 iterations" in bundle.layer_total.basis
    assert bundle.profile.set_index("name").loc["prob input reformatter 0", "avg_ms"] == 3.33   # as printed


def test_printed_total_text_is_kept() -> None:
    log = parse_trtexec_text(DLA7.read_text())
    assert log.profile_total_text == {"time_ms": "5477.95", "avg_ms": "3.62"}


def test_diff_total_of_a_whole_table_is_its_total_row() -> None:
    """diff's per-layer total of a whole --dumpProfile table is the bundle's (the Total row over the run count,
    1529.13 / 18362), not its rows added up (1529.14 ms, or the printed averages: 0.0833)."""
    from trtinspect.inspector.diff import diff

    a, b = load(H100), load(H100)
    t = diff(a, b).totals
    assert t["a_layers_ms"] == t["b_layers_ms"] == a.layer_total.ms == 1529.13 / 18362
    assert t["a_not_listed_ms"] == 0.0 and abs(t["reconcile_residual_ms"]) < 1e-12


def test_unmatched_profile_rows_are_their_own_term() -> None:
    """Profile rows no layer takes are in the per-layer total (report's row '(profiled, not in layers)') and in
    no diff group: the reconciliation counts them as their own term."""
    from trtinspect.inspector.diff import diff

    a = load(REPO / "sample_engines/resnet18-a100/qat")
    b = load(REPO / "sample_engines/resnet18-a100/qat")
    extra = b.profile.iloc[[0]].assign(name="a profile row of no layer", avg_ms=0.25, time_ms=0.25)
    b.profile = pd.concat([b.profile, extra], ignore_index=True)
    assert b.unmatched_profile_ms() == 0.25 and b.layer_total.ms == pytest.approx(a.layer_total.ms + 0.25)
    t = diff(a, b).totals
    assert t["b_layers_ms"] == b.layer_total.ms and t["b_unmatched_profile_ms"] == 0.25
    assert t["delta_ms"] == pytest.approx(0.25) and abs(t["reconcile_residual_ms"]) < 1e-9


# ---- a reformat at the GPU/DLA boundary: its time is the DLA's, not a saving ---------------------------------

def test_dla_boundary_reformat_is_not_estimated() -> None:
    """TensorRT 7.1.3 on a Xavier AGX DLA: 'prob input reformatter 0' (3.33 ms of 3.62 ms) reads the DLA
    subgraph's output; lint gave it a 3.33 ms estimated saving. It serves 'prob' (its name says so) and gets no
    estimate, with the reason; the hot-layer finding still shows where the time goes."""
    from trtinspect.inspector.lint import lint

    f = lint(load(DLA7))
    reformat = f[f["rule_id"] == "reformat-copy"].iloc[0]
    assert reformat["cost_kind"] == "not estimated" and math.isnan(reformat["cost_ms"])
    assert "DLA" in reformat["cost_method"] and "waits for the DLA" in reformat["cost_method"]
    assert reformat["title"] == "Reformat (unknown) serving prob"
    assert "--useDLACore" in reformat["mitigation"]
    assert not (f["cost_kind"] == "estimated saving").any()
    hot = f[f["rule_id"] == "hot-layer"].iloc[0]
    assert hot["layer_names"] == ["prob input reformatter 0"] and hot["cost_kind"] == "layer time"


def test_gpu_reformats_keep_their_estimate() -> None:
    """No DLA layer: a reformat's own time is still its estimated saving (the H100 log)."""
    from trtinspect.inspector.lint import lint

    f = lint(load(H100))
    reformat = f[f["rule_id"] == "reformat-copy"].iloc[0]
    assert reformat["cost_kind"] == "estimated saving" and reformat["cost_ms"] == pytest.approx(
        101.96 / 18362 * 1529.13 / 1529.14, rel=1e-12)


def test_tensorrt7_reformatter_names_give_the_served_layer() -> None:
    from trtinspect.inspector.precision import reformat_target

    assert reformat_target("prob input reformatter 0") == ("input", 0, "prob")
    assert reformat_target("conv 3 output reformatter 1") == ("output", 1, "conv 3")
    assert reformat_target("Reformatting CopyNode for Input Tensor 0 to x") == ("input", 0, "x")
    assert reformat_target("prob") is None

"""The check's decision logic, on explicit frames and on the real A100 ResNet-18 bundles."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, LOGS, REPO, RESNET
from scipy import stats

import trtinspect
from trtinspect.errors import NotComparableError, TrtInspectError
from trtinspect.inspector import check
from trtinspect.inspector.check import Override, Thresholds, decide_end_to_end, decide_groups, run_check
from trtinspect.parsers import schema


def _load_rates() -> ModuleType:
    """The pseudo-run helpers of benchmarks/check_error_rates.py (which imports its sibling _measure)."""
    bench = str(REPO / "benchmarks")
    if bench not in sys.path:
        sys.path.append(bench)
    spec = importlib.util.spec_from_file_location(
        "check_error_rates", REPO / "benchmarks" / "check_error_rates.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["check_error_rates"] = mod
    spec.loader.exec_module(mod)
    return mod


rates = _load_rates()
EXTERNAL = DATA / "external"


@pytest.fixture(scope="module")
def bundles() -> dict[str, trtinspect.EngineBundle]:
    return {v: trtinspect.load(RESNET / v) for v in ("fp16", "fp32", "qat", "qat-residual")}


# ----------------------------------------------------------------------------------------------- statistics


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, b = rng.normal(1.0, 0.1, 4), rng.normal(1.05, 0.2, 6)
        for direction in ("greater", "less"):
            want = stats.ttest_ind(b, a, equal_var=False, alternative=direction).pvalue
            assert check.welch_p(a, b, direction) == pytest.approx(want, rel=1e-9)
    # zero variance on both sides: decided by the means
    assert check.welch_p(np.array([1.0, 1.0]), np.array([2.0, 2.0]), "greater") == 0.0
    assert check.welch_p(np.array([1.0, 1.0]), np.array([2.0, 2.0]), "less") == 1.0
    assert math.isnan(check.welch_p(np.array([1.0]), np.array([2.0, 2.0]), "greater"))


def test_underflowed_p_is_never_p_equals_0() -> None:
    assert check._prob(0.0) == "<1e-300" and check._prob(0.0123) == "=0.012"
    e = decide_end_to_end([np.array([1.0, 1.0001, 0.9999])] * 1 + [np.array([1.0002])] * 2,
                          [np.array([2.0]), np.array([2.0001]), np.array([1.9999])], "iterations", Thresholds())
    assert e.status == "regression" and "p=0 " not in e.reason


def test_run_level_t_matches_scipy() -> None:
    """K vs K: Student (pooled); unequal K: Welch. Both as scipy.stats.ttest_ind computes them."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, b, c = rng.normal(1.0, 0.1, 3), rng.normal(1.05, 0.3, 3), rng.normal(1.05, 0.3, 5)
        for direction in ("greater", "less"):
            student = stats.ttest_ind(b, a, equal_var=True, alternative=direction).pvalue
            welch = stats.ttest_ind(c, a, equal_var=False, alternative=direction).pvalue
            assert check.run_t_p(a, b, direction) == pytest.approx(student, rel=1e-9)
            assert check.run_t_p(a, c, direction) == pytest.approx(welch, rel=1e-9)


def test_bh_adjust_by_hand() -> None:
    p = [0.01, 0.04, 0.03, float("nan"), 0.2]
    q = check.bh_adjust(p)
    # m = 4 finite: sorted 0.01, 0.03, 0.04, 0.2 -> 0.04, min(0.06, 0.0533), 0.0533, 0.2
    assert q[0] == pytest.approx(0.04)
    assert q[1] == pytest.approx(0.04 * 4 / 3)
    assert q[2] == pytest.approx(0.04 * 4 / 3)
    assert math.isnan(q[3])
    assert q[4] == pytest.approx(0.2)


def test_end_to_end_needs_threshold_and_significance(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    c = bundles["fp16"].times["compute_ms"].to_numpy()
    half = len(c) // 2
    t = Thresholds()
    # contiguous halves of one real run (one run a side): a tiny drift, under 5%; no test is run
    e = decide_end_to_end([c[:half]], [c[half:]], "iterations", t)
    drift = (np.median(c[half:]) - np.median(c[:half])) / np.median(c[:half])
    assert e.delta_pct == pytest.approx(100 * drift)
    assert abs(drift) < 0.01
    assert e.status == "ok" and e.significance == "not assessed"
    assert "not tested for significance: 1 run per side" in e.reason
    # the same data 6% slower, one run a side: the threshold decides alone, and the reason says so
    e = decide_end_to_end([c[:half]], [c[half:] * 1.06], "iterations", t)
    assert e.status == "regression" and e.significance == "not assessed"
    # three contiguous runs a side, 6% slower: Welch on one median per run
    b_runs, c_runs = np.array_split(c[:half], 3), [x * 1.06 for x in np.array_split(c[half:], 3)]
    e = decide_end_to_end(b_runs, c_runs, "iterations", t)
    assert e.status == "regression" and e.significance == "significant" and "per-run medians" in e.test
    # K vs K: Student's pooled t (2K - 2 degrees of freedom) on the per-run medians
    want = stats.ttest_ind([np.median(x) for x in c_runs], [np.median(x) for x in b_runs], equal_var=True,
                           alternative="greater").pvalue
    assert e.p_value == pytest.approx(want, rel=1e-9)
    # 6% slower but only 2 runs a side: the test is not run, size alone decides, reason says so
    e = decide_end_to_end(
        [np.array([1.0]), np.array([1.01])], [np.array([1.07]), np.array([1.06])], "runs", t
    )
    assert e.significance == "not assessed" and e.status == "regression"
    assert "not tested for significance: 2 runs per side" in e.reason
    # 6% slower on 3 runs a side that overlap: not significant -> ok
    e = decide_end_to_end(
        [np.array([1.0]), np.array([1.3]), np.array([0.8])],
        [np.array([1.06]), np.array([0.9]), np.array([1.25])],
        "runs",
        t,
    )
    assert e.significance == "not significant" and e.status == "ok"


def test_pooled_iterations_are_not_independent_samples(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    """Gap 3 on real data: 3 contiguous runs a side cut from ONE real run of the RTX 3090 ResNet-50 fp16 engine
    (an A/A check), then the candidate 2% slower (under the 5% threshold). Mann-Whitney on pooled iterations
    calls the A/A drift or the 2% astronomically 'significant'; the run-level test does not overstate it."""
    b = trtinspect.load(EXTERNAL / "trex-rtx3090-resnet50" / "fp16")
    c = b.times["compute_ms"].to_numpy()
    runs = np.array_split(c, 6)
    base, cand = runs[:3], [r * 1.02 for r in runs[3:]]
    pooled_p = check.mann_whitney_p(np.concatenate(base), np.concatenate(cand), "greater")
    e = decide_end_to_end(base, cand, "iterations", Thresholds())
    assert pooled_p < 1e-10  # pooled iterations: "certain"
    assert e.p_value > pooled_p * 1e6 and e.status == "ok"  # run level: 3 numbers a side, honest p
    assert "per-run medians" in e.test


def _meta(rows: list[tuple[int, str, list[str], list[str]]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"group_id": g, "kind": k, "label": (a or b)[0], "layers_a": a, "layers_b": b}
            for g, k, a, b in rows
        ]
    )


def _runs(values: dict[tuple[int, str], list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"group_id": g, "side": s, "run": i, "ms": v}
            for (g, s), vs in values.items()
            for i, v in enumerate(vs)
        ]
    )


def test_group_criteria_on_explicit_frames() -> None:
    meta = _meta(
        [
            (0, "unchanged", ["big"], ["big"]),
            (1, "unchanged", ["tiny"], ["tiny"]),
            (2, "fused", ["a1", "a2"], ["b"]),
            (3, "only_a", ["gone"], []),
            (4, "only_b", [], ["new"]),
        ]
    )
    base, cand = "baseline", "candidate"
    runs = _runs(
        {
            (0, base): [1.00, 1.01, 0.99],
            (0, cand): [1.20, 1.21, 1.19],  # +20%, 0.2 ms: regression
            (1, base): [0.004, 0.004, 0.004],
            (1, cand): [0.008, 0.008, 0.008],  # +100% but 0.004 ms < floor
            (2, base): [0.30, 0.31, 0.29],
            (2, cand): [0.32, 0.31, 0.33],  # +6.5% < 10%
            (3, base): [0.05, 0.05, 0.05],
            (4, cand): [0.5, 0.5, 0.5],  # one side only
        }
    )
    g = decide_groups(meta, runs, Thresholds()).set_index("group_id")
    assert list(g.columns) == list(schema.CHECK_GROUPS)[1:]
    assert g.loc[0, "status"] == "regression" and g.loc[0, "significance"] == "significant"
    assert g.loc[0, "delta_pct"] == pytest.approx(20.0)
    assert g.loc[1, "status"] == "ok" and "floor" in g.loc[1, "reason"]
    assert g.loc[2, "status"] == "ok" and "below 10%" in g.loc[2, "reason"]
    assert g.loc[3, "status"] == "removed" and g.loc[3, "delta_ms"] == pytest.approx(-0.05)
    assert g.loc[4, "status"] == "added" and g.loc[4, "delta_ms"] == pytest.approx(0.5)
    # floor = max(0.01, 3 x pooled run-to-run spread) with K >= 3
    spread = math.sqrt((np.var([1.0, 1.01, 0.99], ddof=1) + np.var([1.2, 1.21, 1.19], ddof=1)) / 2)
    assert g.loc[0, "floor_ms"] == pytest.approx(max(0.01, 3 * spread))


def test_group_share_and_single_run() -> None:
    meta = _meta([(0, "unchanged", ["big"], ["big"]), (1, "unchanged", ["small"], ["small"])])
    runs = _runs(
        {(0, "baseline"): [10.0], (0, "candidate"): [10.0], (1, "baseline"): [0.05], (1, "candidate"): [0.08]}
    )  # +60%, +0.03 ms, but 0.8% of time
    g = decide_groups(meta, runs, Thresholds()).set_index("group_id")
    assert g.loc[1, "status"] == "ok" and "of per-layer time on either side" in g.loc[1, "reason"]
    g2 = decide_groups(meta, runs, Thresholds(min_share=0.005)).set_index("group_id")
    assert g2.loc[1, "status"] == "regression"
    assert g2.loc[1, "significance"] == "not assessed" and "not assessed" in g2.loc[1, "reason"]


def test_overrides_threshold_and_ignore() -> None:
    meta = _meta([(0, "unchanged", ["Conv_0 + Relu_1"], ["Conv_0 + Relu_1"]), (1, "unchanged", ["x"], ["x"])])
    runs = _runs(
        {(0, "baseline"): [1.0], (0, "candidate"): [1.2], (1, "baseline"): [1.0], (1, "candidate"): [1.3]}
    )
    ovs = [
        Override("Conv_0*", date(2999, 1, 1), group_threshold=0.25, reason="flaky"),
        Override("x", date(2999, 1, 1), ignore=True, reason="known"),
    ]
    g = decide_groups(meta, runs, Thresholds(), ovs).set_index("group_id")
    assert g.loc[0, "status"] == "ok" and g.loc[0, "threshold_pct"] == pytest.approx(25.0)
    assert g.loc[1, "status"] == "ignored" and "known" in g.loc[1, "reason"]


# ----------------------------------------------------------------------------------------------- real data


def test_lost_fp16_is_compared_not_refused(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    """Gap 1: a lost --fp16 is the regression CI exists to catch. fp16 baseline vs fp32 candidate (real A100
    ResNet-18): compared, exit 1, the slower groups named, the precision change said first."""
    fp16, fp32 = bundles["fp16"], bundles["fp32"]
    r = run_check([fp16], [fp32])
    assert r.changes == ["build precision changed: FP32+FP16 -> FP32"]
    assert r.exit_code == 1 and r.end_to_end.status == "regression"
    want = (fp32.timing.gpu_compute.median - fp16.timing.gpu_compute.median) / fp16.timing.gpu_compute.median
    assert r.end_to_end.delta_pct == pytest.approx(100 * want)
    reg = r.regressed_groups
    assert "Conv_0 + Relu_1" in set(reg["label"])
    conv0 = reg.set_index("label").loc["Conv_0 + Relu_1"]
    # group time = sum of the group's layers in each profile (fp16 has a reformat in front of Conv_0)
    p16 = fp16.profile.set_index("name")["avg_ms"]
    p32 = fp32.profile.set_index("name")["avg_ms"]
    assert conv0["base_ms"] == pytest.approx(p16.reindex(conv0["layers_a"]).sum())
    assert conv0["cand_ms"] == pytest.approx(p32.reindex(conv0["layers_b"]).sum())
    assert all(reg["significance"] == "not assessed")
    from trtinspect.render import check as check_report

    assert check_report.headline(r).startswith("REGRESSION: build precision changed: FP32+FP16 -> FP32; ")
    assert check_report.to_dict(r)["changes"] == r.changes
    # the other way round (fp32 -> fp16 got faster): compared as well, the change still said first
    back = run_check([fp32], [fp16])
    assert back.changes == ["build precision changed: FP32 -> FP32+FP16"] and back.exit_code == 0
    assert back.end_to_end.status == "improvement"
    # the old opt-in is accepted (configs that carry it keep working) and says it is no longer needed
    assert any("no longer needed" in n for n in run_check([fp16], [fp32], allow_different=["precision"]).notes)


def test_lost_fp16_rtx3090_resnet50() -> None:
    """The same on another GPU and network: RTX 3090 ResNet-50 batch 32, fp16 -> fp32 build."""
    fp16 = trtinspect.load(EXTERNAL / "trex-rtx3090-resnet50" / "fp16")
    fp32 = trtinspect.load(EXTERNAL / "trex-rtx3090-resnet50" / "fp32")
    r = run_check([fp16], [fp32])
    assert r.changes == ["build precision changed: FP32+FP16 -> FP32"]
    assert r.exit_code == 1 and r.end_to_end.delta_pct > 100 and len(r.regressed_groups) >= 5


def test_environment_differences_still_exit_3(bundles: dict[str, trtinspect.EngineBundle], qat_rerun: Path) -> None:
    """Exit 3 stays for the environment: GPU, TensorRT version, input shapes, locked clocks where recorded.
    The device's maximum clock (TREx compute_clock_ghz) is a property of the GPU model: never a difference."""
    qat, rerun = bundles["qat"], trtinspect.load(qat_rerun)   # a GENERATED second run of qat (conftest)
    faster_max_clock = dataclasses.replace(rerun, device={**rerun.device, "compute_clock_ghz": 1.98})
    assert run_check([qat], [faster_max_clock]).exit_code == 0
    for field_name, changed in (
        ("trt_version", dataclasses.replace(qat, trt_version="10.3.0")),
        ("input_shapes", dataclasses.replace(
            qat, inference_options={**qat.inference_options, "Input inference shape": "input.1=1x3x224x224"})),
        ("clocks", dataclasses.replace(qat, device={**qat.device, "locked_sm_clock_mhz": 1095})),
        ("clocks", dataclasses.replace(qat, extras={**qat.extras, "gpu_state": {"start": {"app_sm_clock_mhz": 900}}})),
    ):
        base = dataclasses.replace(qat, trt_version="10.0.1") if field_name == "trt_version" else qat
        if field_name == "clocks":
            base = dataclasses.replace(
                qat,
                device={**qat.device, "locked_sm_clock_mhz": 1410},
                extras={**qat.extras, "gpu_state": {"start": {"app_sm_clock_mhz": 1410}}},
            )
        with pytest.raises(NotComparableError) as err:
            run_check([base], [changed])
        assert err.value.fields == [field_name]


def test_self_check_passes_and_fusion_changes_are_added_removed(
    bundles: dict[str, trtinspect.EngineBundle], qat_rerun: Path
) -> None:
    """Another run of the same engine (GENERATED from qat's own iterations and profile) passes; qat against itself
    compares nothing and is refused (test_a_run_against_itself_never_passes)."""
    r = run_check([bundles["qat"]], [trtinspect.load(qat_rerun)])
    assert r.exit_code == 0 and abs(r.end_to_end.delta_pct) < 0.1 and (r.groups["delta_ms"] == 0).all()
    r = run_check([bundles["qat"]], [bundles["qat-residual"]])
    removed = r.groups[r.groups["status"] == "removed"]
    # qat-residual drops standalone quantize layers: they are removed time, never regressions
    assert removed["label"].str.startswith("QuantizeLinear").any()
    assert not (r.regressed_groups["kind"].isin(["only_a", "only_b"])).any()
    assert r.end_to_end.status == "improvement"


def test_aa_splits_never_alarm(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    rng = np.random.default_rng(7)
    for engine, mode in (("fp16", "blocks"), ("qat", "random"), ("fp32", "blocks")):
        b = bundles[engine]
        grouper = rates._fast_grouper(b)
        for _ in range(4):
            base, cand = rates.pseudo_runs(b, 3, rng, mode=mode)
            r = run_check(base, cand, Thresholds(), grouper=grouper)
            assert r.exit_code == 0, (engine, r.end_to_end.reason, r.regressed_groups)


def test_injected_slowdowns_are_detected(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    rng = np.random.default_rng(11)
    b = bundles["fp16"]
    grouper = rates._fast_grouper(b)
    base, cand = rates.pseudo_runs(b, 5, rng)
    # end-to-end +10% (threshold 5%)
    r = run_check(base, rates.inject_e2e(cand, 0.10), Thresholds(), grouper=grouper)
    assert r.end_to_end.status == "regression" and r.exit_code == 1
    # one group +10%: a change exactly at the 10% group threshold is a coin flip by construction, so the
    # 10% injection is checked against an 8% threshold, and a 20% injection at the default
    meta = rates.eligible_groups(b, 0.10, Thresholds())
    target = meta.iloc[0]
    slowed = rates.inject_group(cand, target["layers_a"], 0.10)
    r = run_check(base, slowed, Thresholds(group_threshold=0.08), grouper=grouper)
    assert list(r.regressed_groups["group_id"]) == [target["group_id"]]
    assert r.regressed_groups.iloc[0]["significance"] == "significant"
    assert r.end_to_end.status == "ok"  # +10% of one group is < 5% end to end
    r = run_check(base, rates.inject_group(cand, target["layers_a"], 0.20), Thresholds(), grouper=grouper)
    assert list(r.regressed_groups["group_id"]) == [target["group_id"]]


def test_pooled_iterations_versus_single_summary(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    b = bundles["qat"]
    no_times = dataclasses.replace(b, times=schema.empty_frame(schema.TIMES))
    src, samples = check.end_to_end_samples([no_times])
    median = b.summary[(b.summary["metric"] == "GPU Compute Time") & (b.summary["stat"] == "median")][
        "value"
    ].iloc[0]
    assert src == "runs" and samples[0][0] == pytest.approx(median)
    # one side with iterations, the other with a summary only: both fall back to one printed median per run
    res = bundles["qat-residual"]
    r = run_check([b], [dataclasses.replace(res, times=schema.empty_frame(schema.TIMES))])
    assert r.end_to_end.source == "runs"
    assert r.end_to_end.base_ms == pytest.approx(b.timing.gpu_compute.median)
    assert r.end_to_end.cand_ms == pytest.approx(res.timing.gpu_compute.median)
    # qat's own summary and profile without its times: the same run, never compared with qat
    with pytest.raises(TrtInspectError, match="the same per-layer profile and performance summary"):
        run_check([b], [no_times])


def test_bad_input(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    with pytest.raises(TrtInspectError, match="no baseline runs"):
        run_check([], [bundles["qat"]])
    empty = trtinspect.EngineBundle(name="empty")
    with pytest.raises(TrtInspectError, match="holds no timing data"):
        run_check([bundles["qat"]], [empty])
    with pytest.raises(TrtInspectError, match="different engines"):
        run_check([bundles["qat"], bundles["fp16"]], [bundles["qat"]])
    with pytest.raises(TrtInspectError, match="unknown --allow-different"):
        run_check([bundles["qat"]], [bundles["qat-residual"]], allow_different=["colour"])
    # different GPU named in the device dict
    other = dataclasses.replace(
        bundles["qat"],
        device={**bundles["qat"].device, "name": "NVIDIA H100 PCIe", "Selected Device": "NVIDIA H100 PCIe"},
    )
    with pytest.raises(NotComparableError) as err:
        run_check([bundles["qat"]], [other])
    assert err.value.fields == ["gpu"]


def test_different_models_are_refused_not_gated() -> None:
    """A ResNet-18 against another network (structurally different, or sharing only a few auto-numbered names)
    is not comparable (exit 3, field "model"), not a verdict: coincident `Conv_N` names must not turn two
    different models into 'regression' / 'pass'. The rule is diff's (inspector.model_match)."""
    resnet = trtinspect.load(RESNET / "qat-residual")
    seed = trtinspect.load(LOGS / "seed-fx-vs-implicit-int8" / "implicit-int8.profile.log")
    h100 = trtinspect.load(LOGS / "trt10.16-h100" / "result-05.log")
    # H100 Myelin engine: structurally unlike ResNet-18 (0% of compute layers line up), as diff says
    with pytest.raises(NotComparableError, match="different networks: only 0% of their compute layers") as err:
        run_check([resnet], [h100], allow_different=list(check.COMPARABILITY))
    assert err.value.fields == ["model"]
    # the seed network shares one numbered name with ResNet-18: 2% of the time is matched
    with pytest.raises(NotComparableError, match="different models"):
        run_check([resnet], [seed], allow_different=list(check.COMPARABILITY))


def test_one_network_rule_with_diff() -> None:
    """ResNet-18 FP16 vs QAT on the A100 share no ONNX source node name (layers pair by execution order), yet
    are one network: diff aligns them (structural similarity 100%), and check now gates them instead of
    refusing them as 'different models' (exit 2)."""
    a, b = trtinspect.load(RESNET / "fp16"), trtinspect.load(RESNET / "qat")
    r = run_check([a], [b])
    assert not r.groups.empty and r.changes == ["build precision changed: FP32+FP16 -> FP32+FP16+INT8"]


def test_duplicate_layer_names_are_not_double_counted(tmp_path: Path) -> None:
    """A profile repeating a name is refused (trtexec writes one record per layer): never counted twice."""
    rows: list[dict[str, float | str]] = []
    for name, ms in (("Conv_0 + Relu_1", 0.1), ("dup", 0.1), ("dup", 0.2), ("Conv_2", 0.1)):
        rows.append({"name": name, "timeMs": 100 * ms, "averageMs": ms, "medianMs": ms, "percentage": 10.0})
    path = tmp_path / "dup.profile.json"
    path.write_text(json.dumps([{"count": 100}, *rows]))
    with pytest.raises(TrtInspectError, match="layer 'dup' has 2 records"):
        trtinspect.load(path)


def test_slower_groups_in_a_faster_engine_are_traded_not_failed(
    bundles: dict[str, trtinspect.EngineBundle],
) -> None:
    """qat -> qat-residual (real): end-to-end GPU compute drops 38%, but two groups got slower because time moved
    between them (conv1 absorbed MaxPool_12; QuantizeLinear_2 now feeds it). They are reported as 'traded',
    the check passes; strict_groups fails on them."""
    r = run_check([bundles["qat"]], [bundles["qat-residual"]])
    assert r.end_to_end.status == "improvement" and r.end_to_end.delta_pct < -30
    traded = r.groups[r.groups["status"] == "traded"]
    assert set(traded["label"]) == {"QuantizeLinear_2", "layer4.1.conv2"}
    assert (traded["delta_ms"] > 0).all()
    assert r.exit_code == 0 and r.regressed_groups.empty
    assert any("traded" in n for n in r.notes)
    strict = run_check([bundles["qat"]], [bundles["qat-residual"]], Thresholds(strict_groups=True))
    assert strict.exit_code == 1
    assert set(strict.regressed_groups["label"]) == set(traded["label"])


def test_traded_groups_are_warnings_in_ci_outputs(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    from trtinspect.render import check as check_report

    r = run_check([bundles["qat"]], [bundles["qat-residual"]])
    notes = check_report.github_annotations(r)
    assert not any(a.startswith("::error") for a in notes)
    assert sum(1 for a in notes if a.startswith("::warning title=trtinspect%3A QuantizeLinear_2::")) == 1
    junit = check_report.to_junit(r)
    assert "<failure" not in junit and "traded:" in junit
    assert "2 slower but traded" in check_report.headline(r)


def test_the_same_run_twice_on_one_side_is_refused(bundles: dict[str, trtinspect.EngineBundle]) -> None:
    """K copies of one run would fake zero run-to-run noise; refused with one clear error (CLI exit 2)."""
    qat = bundles["qat"]
    with pytest.raises(TrtInspectError, match="runs 0 and 1 hold identical measurements"):
        run_check([qat, qat, qat], [bundles["qat-residual"]])
    # the same run as baseline and candidate compares nothing: refused too (exit 2, never a PASS)
    with pytest.raises(TrtInspectError, match=r"candidate run 0 \('resnet-qat.onnx'\) is baseline run 0"):
        run_check([qat], [qat])


def test_fusion_group_names_do_not_depend_on_the_direction(
    bundles: dict[str, trtinspect.EngineBundle],
) -> None:
    """qat -> qat-residual fuses MaxPool_12 into conv1: the group is 'conv1' both ways (it was
    'conv1 + MaxPool_12' one way and 'conv1' the other), so `history --layer` trends survive the change."""
    fwd = run_check([bundles["qat"]], [bundles["qat-residual"]])
    back = run_check([bundles["qat-residual"]], [bundles["qat"]])
    both = {"regression", "traded", "improvement", "ok"}
    names_fwd = set(fwd.groups.loc[fwd.groups["status"].isin(both), "label"])
    names_back = set(back.groups.loc[back.groups["status"].isin(both), "label"])
    assert names_fwd == names_back
    assert "conv1" in names_fwd and "conv1 + MaxPool_12" not in names_fwd
    assert set(fwd.groups["label"]) == set(back.groups["label"])


def test_groups_without_a_time_are_unmeasured_never_nan() -> None:
    """A group whose layers have no profiled time on a side is 'unmeasured' (not '+nan ms', not 'added')."""
    meta = _meta(
        [
            (0, "unchanged", ["big"], ["big"]),
            (1, "only_b", [], ["new_unprofiled"]),
            (2, "unchanged", ["lost"], ["lost"]),
            (3, "only_b", [], ["new"]),
        ]
    )
    runs = _runs({(0, "baseline"): [1.0], (0, "candidate"): [1.0], (2, "baseline"): [0.5], (3, "candidate"): [0.2]})
    g = decide_groups(meta, runs, Thresholds()).set_index("group_id")
    assert g.loc[1, "status"] == "unmeasured" and "nan" not in g.loc[1, "reason"].lower()
    assert g.loc[2, "status"] == "unmeasured" and "profiled in the baseline only" in g.loc[2, "reason"]
    assert g.loc[3, "status"] == "added" and "+0.2000 ms" in g.loc[3, "reason"]
    from trtinspect.render import check as check_report

    r = check.CheckResult("a", "b", 1, 1, decide_end_to_end([np.ones(5)], [np.ones(5)], "iterations", Thresholds()),
                          g.reset_index(), Thresholds())
    for text in (check_report.to_text(r), check_report.to_markdown(r), check_report.to_junit(r),
                 "\n".join(check_report.github_annotations(r))):
        assert "nan" not in text.lower()

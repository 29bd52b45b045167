"""nsys attribution: real exports checked against brute force / SQL, generated TensorRT exports against what
the generator planted (scripts/generate_nsys_trt.py, written into tmp_path at test time)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DATA, REPO, nsys_generator

import trtinspect
from trtinspect.cli import cli, main
from trtinspect.parsers import schema
from trtinspect.parsers.nsys.attribution import (
    NsysAttribution,
    attribute,
    brute_force_innermost,
    innermost_ranges,
)
from trtinspect.parsers.nsys.bundle import bundle_from_nsys
from trtinspect.parsers.nsys.sqlite import read_nsys_sqlite

H100 = DATA / "nsys" / "h100_2gpu_1s.sqlite"
RTX3060 = DATA / "nsys" / "nsight-2025.5.2.sqlite"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("nsys") / "trt_resnet18_generated.sqlite"
    truth = nsys_generator().generate(out, iterations=7, processes=2, seed=3)
    return out, truth


@pytest.fixture(scope="module")
def gen_att(generated: tuple[Path, dict[str, Any]]) -> NsysAttribution:
    return attribute(read_nsys_sqlite(generated[0]))


# -------- the sweep ------------------------------------------------------------------------------
def _random_nested(rng: np.random.Generator, n_threads: int, n: int) -> list[tuple[int, int, int]]:
    """Properly nested ranges per thread (push/pop discipline), with equal starts and zero gaps."""
    out = []
    for th in range(n_threads):
        t, stack = 0, []
        for _ in range(n):
            t += int(rng.integers(0, 3))
            if stack and rng.random() < 0.45:
                s = stack.pop()
                out.append((th, s, t))
            else:
                stack.append(t)
        while stack:
            t += int(rng.integers(0, 3))
            out.append((th, stack.pop(), t))
    return out


def test_sweep_equals_brute_force_on_random_nesting() -> None:
    rng = np.random.default_rng(7)
    ranges = _random_nested(rng, 3, 300)
    th, s, e = (np.array(x, dtype=np.int64) for x in zip(*ranges, strict=True))
    q_th = rng.integers(0, 4, size=2000)  # thread 3 has no ranges
    q_t = rng.integers(-2, int(e.max()) + 3, size=2000)
    found, bad = innermost_ranges(th, s, e, q_th, q_t)
    assert bad == 0
    expect = [brute_force_innermost(ranges, int(a), int(b)) for a, b in zip(q_th, q_t, strict=True)]
    # ties (identical start and end) may pick either of two identical ranges: compare the intervals
    got_iv = [(-1, -1) if i < 0 else (s[i], e[i]) for i in found]
    exp_iv = [(-1, -1) if i < 0 else (s[i], e[i]) for i in expect]
    assert got_iv == exp_iv
    assert sum(i >= 0 for i in expect) > 1000


def test_sweep_reports_ranges_that_do_not_nest() -> None:
    th = np.zeros(2, np.int64)
    found, bad = innermost_ranges(
        th, np.array([0, 5]), np.array([10, 20]), np.zeros(1, np.int64), np.array([15])
    )
    assert found.tolist() == [-1] and bad == 1  # [5,20) crosses [0,10): refused, not guessed


# -------- real exports ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def h100_att() -> NsysAttribution:
    return attribute(read_nsys_sqlite(H100))


def test_h100_runtime_join_uses_correlation_and_process(h100_att: NsysAttribution) -> None:
    con = sqlite3.connect(f"file:{H100}?mode=ro&immutable=1", uri=True)
    by_both = con.execute(
        "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL k JOIN CUPTI_ACTIVITY_KIND_RUNTIME r "
        "ON r.correlationId = k.correlationId AND (r.globalTid >> 24) = (k.globalPid >> 24)"
    ).fetchone()[0]
    by_corr = con.execute(
        "SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL k JOIN CUPTI_ACTIVITY_KIND_RUNTIME r "
        "ON r.correlationId = k.correlationId"
    ).fetchone()[0]
    con.close()
    kernels = h100_att.ops[h100_att.ops["op"] == "kernel"]
    assert len(kernels) == 3442  # one row per kernel, none duplicated
    assert int(kernels["api_start_ns"].notna().sum()) == by_both
    assert by_corr > by_both  # this real capture reuses correlation ids across its two processes


def test_h100_innermost_range_matches_brute_force(h100_att: NsysAttribution) -> None:
    con = sqlite3.connect(f"file:{H100}?mode=ro&immutable=1", uri=True)
    launches = con.execute(
        "SELECT k.start, k.correlationId, r.globalTid, r.start FROM CUPTI_ACTIVITY_KIND_KERNEL k "
        "JOIN CUPTI_ACTIVITY_KIND_RUNTIME r ON r.correlationId = k.correlationId "
        "AND (r.globalTid >> 24) = (k.globalPid >> 24) ORDER BY k.start, k.correlationId"
    ).fetchall()
    ranges = con.execute(
        'SELECT globalTid, start, "end", text FROM NVTX_EVENTS WHERE eventType = 59'
    ).fetchall()
    con.close()
    subset = launches[::7]  # a deterministic subset, brute force is O(N*M)
    ops = h100_att.ops.set_index(["start_ns", "correlation_id"])
    rng3 = [(g, s, e) for g, s, e, _ in ranges]
    checked = inside = 0
    for kstart, corr, gtid, rstart in subset:
        i = brute_force_innermost(rng3, gtid, rstart)
        expect = None if i < 0 else ranges[i][3]
        got = ops.loc[(kstart, corr), "nvtx_range"]
        got = None if not isinstance(got, str) else got
        assert got == expect, (kstart, corr)
        checked += 1
        inside += expect is not None
    assert checked > 200 and inside > 100


def test_h100_structural_iterations_and_no_layers(h100_att: NsysAttribution) -> None:
    a = h100_att
    assert a.iteration_source == "structure" and a.engine_pids == [] and a.profile.empty
    assert any("TensorRT" in n for n in a.notes)
    t = a.times
    assert list(t.columns) == list(schema.TIMES) and len(t) > 1
    # each structural iteration is H2D* compute* D2H*: phases never go backwards inside one
    ops = a.ops[a.ops["iteration"].notna()].sort_values("start_ns")
    phase = ops["transfer"].astype(str).map({"H2D": 0, "D2H": 2}).fillna(1)
    back = (phase.diff() < 0) & (ops["iteration"].diff() == 0)
    assert not back.any()


def test_3060_cuda_graphs_block_per_layer_attribution() -> None:
    a = attribute(read_nsys_sqlite(RTX3060))
    assert a.per_layer_blocked is not None and "--cuda-graph-trace=graph" in a.per_layer_blocked
    assert "one whole-graph execution" in a.per_layer_blocked
    assert a.profile.empty
    graphs = a.ops[a.ops["op"] == "graph"]
    assert len(graphs) == 2 and graphs["api_name"].astype(str).str.startswith("cudaGraphLaunch").all()
    # the graph executions count as compute in the iteration frame
    assert a.times["compute_end_ms"].max() * 1e6 == pytest.approx(float(a.ops["end_ns"].max()), abs=1)


def test_export_without_runtime_table_still_times_iterations(tmp_path: Path) -> None:
    path = tmp_path / "no_runtime.sqlite"
    path.write_bytes(RTX3060.read_bytes())
    con = sqlite3.connect(path)
    con.execute("DROP TABLE CUPTI_ACTIVITY_KIND_RUNTIME")
    con.commit()
    con.close()
    a = attribute(read_nsys_sqlite(path))
    assert a.ops["api_name"].isna().all() and a.ops["nvtx_range"].isna().all()
    h2d_ns = float(a.ops.loc[a.ops["transfer"] == "H2D", "duration_ns"].sum())
    assert len(a.times) == 1 and a.times["h2d_ms"].iloc[0] * 1e6 == pytest.approx(h2d_ns)
    assert not any("correlationId alone" in n for n in a.notes)


# -------- generated exports ----------------------------------------------------------------------
def test_generated_per_layer_times_equal_planted(
    generated: tuple[Path, dict[str, Any]], gen_att: NsysAttribution
) -> None:
    _, truth = generated
    pid = gen_att.pid
    assert pid == min(truth["processes"])
    planted = truth["processes"][pid]["layer_ns"]
    prof = gen_att.profile.set_index("name")
    assert list(gen_att.profile["name"]) == truth["layers"]  # execution order
    for name, per_iter in planted.items():
        assert prof.loc[name, "time_ms"] == pytest.approx(sum(per_iter) / 1e6, rel=1e-12)
        assert prof.loc[name, "avg_ms"] == pytest.approx(sum(per_iter) / len(per_iter) / 1e6, rel=1e-12)
        assert prof.loc[name, "median_ms"] == pytest.approx(float(np.median(per_iter)) / 1e6, rel=1e-12)
    assert prof["percentage"].sum() == pytest.approx(100.0)


def test_generated_per_iteration_equal_planted(
    generated: tuple[Path, dict[str, Any]], gen_att: NsysAttribution
) -> None:
    _, truth = generated
    p = truth["processes"][gen_att.pid]
    t = gen_att.times
    assert gen_att.iteration_source == "enqueue" and len(t) == truth["iterations"]
    for col, key in (
        ("h2d_ms", "h2d_ns"),
        ("compute_ms", "compute_ns"),
        ("d2h_ms", "d2h_ns"),
        ("enqueue_ms", "enqueue_ns"),
    ):
        assert t[col].to_numpy() == pytest.approx(np.array(p[key]) / 1e6, rel=1e-9), col
    assert t["latency_ms"].to_numpy() == pytest.approx(
        (np.array(p["h2d_ns"]) + np.array(p["compute_ns"]) + np.array(p["d2h_ns"])) / 1e6, rel=1e-9
    )
    g = gen_att.gaps
    assert g["h2d_to_compute_ms"].to_numpy() == pytest.approx(np.array(p["h2d_to_compute_ns"]) / 1e6)
    assert g["compute_to_d2h_ms"].to_numpy() == pytest.approx(np.array(p["compute_to_d2h_ns"]) / 1e6)
    assert g["idle_ms"].to_numpy() == pytest.approx(g["h2d_to_compute_ms"] + g["compute_to_d2h_ms"])


def test_generated_multi_process_correlation_ids(
    generated: tuple[Path, dict[str, Any]], gen_att: NsysAttribution
) -> None:
    path, truth = generated
    procs = truth["processes"]
    ranges = {v["correlation_ids"] for v in procs.values()}
    assert len(ranges) == 1  # both processes reuse the same correlation ids
    ops = gen_att.ops
    assert len(ops) == truth["kernels"] + 2 * truth["iterations"] * len(procs)  # nothing duplicated
    assert ops["api_start_ns"].notna().all()
    assert gen_att.engine_pids == sorted(procs)
    assert any("2 processes ran TensorRT engines" in n for n in gen_att.notes)
    # the other process, chosen explicitly, gives its own planted numbers
    other = max(procs)
    att2 = attribute(read_nsys_sqlite(path), pid=other)
    planted = procs[other]["layer_ns"]
    got = att2.profile.set_index("name")["time_ms"]
    assert all(got[n] == pytest.approx(sum(v) / 1e6) for n, v in planted.items())
    assert att2.times["compute_ms"].to_numpy() == pytest.approx(np.array(procs[other]["compute_ns"]) / 1e6)


def test_generated_bundle_load_and_cli(
    generated: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, truth = generated
    b = bundle_from_nsys(path)
    assert b.layers["name"].tolist() == truth["layers"]
    joined = b.layer_times()
    assert joined["avg_ms"].notna().all() and not b.unmatched_profile
    assert b.device["name"] == "Generated GPU (A100-shaped)" and b.device["sms"] == 108
    assert any("generated export" in n for n in b.notes)
    assert b.summary.empty  # nothing here was printed by trtexec
    assert b.timing.gpu_compute.mean == pytest.approx(b.times["compute_ms"].mean())
    loaded = trtinspect.load(path)
    assert loaded.profile["name"].tolist() == truth["layers"]
    main_exit = None
    try:
        main(["report", str(path)])
    except SystemExit as exc:
        main_exit = exc.code
    out = capsys.readouterr().out
    assert main_exit in (None, 0) and "Generated GPU" in out


def test_nsys_timing_uses_trtexecs_rule_and_claims_no_trtexec_figure(tmp_path: Path) -> None:
    """Review defect: the generated TensorRT export's timing table used trtexec's percentile rule while a note
    compared it with np.percentile figures labelled "trtexec" (no trtexec ran). Now: one rule (trtexec's, from
    parsers/trtexec_summary.py), no agreement, and a note saying how the figures were computed."""
    import json

    path = tmp_path / "gen-trt.sqlite"
    nsys_generator().generate(path, iterations=20)
    b = bundle_from_nsys(path)
    compute = np.sort(b.times["compute_ms"].to_numpy())
    n = len(compute)
    assert n == 20
    t = b.timing
    f32 = np.float32
    for p in (90.0, 95.0, 99.0):  # trtexec (float arithmetic): timings[max(n - 1 - int((1 - p/100) * n), 0)]
        assert t.gpu_compute.percentiles[p] == compute[max(n - 1 - int((f32(1) - f32(p) / f32(100)) * f32(n)), 0)]
    assert t.gpu_compute.percentiles[99.0] == compute[-1] and t.agreement == []
    res = CliRunner().invoke(cli, ["report", str(path)], terminal_width=120)
    out = " ".join(res.output.split())
    assert res.exit_code == 0 and "trtexec's summary" not in out and "vs trtexec" not in out
    assert "1.99535" in out.split("GPU compute", 1)[1].split("\n")[0]
    assert "computed by trtinspect from these per-iteration times (not printed by trtexec)" in out
    assert "ExecutionContext::enqueueV3 range" in out and "max(n - 1 - int((1 - p/100) * n), 0)" in out
    assert "Enqueue the range's own duration" in out
    js = json.loads(CliRunner().invoke(cli, ["report", str(path), "--format", "json"]).output)
    assert js["timing"]["agreement"] == []
    assert js["timing"]["compute_ms"]["percentiles"]["p90"] == compute[n - 1 - 2]  # int((1 - 0.9f) * 20) = 2


def test_check_and_diff_work_on_nsys_exports(generated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """`check` and `diff` run on nsys data like on trtexec exports (GENERATED exports: two runs of one engine,
    seeds 3 and 4; the same export on both sides is one run, refused)."""
    import json

    path, _ = generated
    other = tmp_path / "trt_resnet18_generated_seed4.sqlite"
    nsys_generator().generate(other, iterations=7, processes=2, seed=4)
    out = tmp_path / "check.json"
    with pytest.raises(SystemExit) as exc:
        main(["check", "--baseline", str(path), "--candidate", str(other), "--json", str(out)])
    result = json.loads(out.read_text())
    assert exc.value.code == result["exit_code"] in (0, 1)
    bundle, cand = bundle_from_nsys(path), bundle_from_nsys(other)
    e2e = result["end_to_end"]
    assert e2e["source"] == "iterations" and result["groups"]
    assert e2e["base_ms"] == pytest.approx(float(bundle.times["compute_ms"].median()))
    assert e2e["cand_ms"] == pytest.approx(float(cand.times["compute_ms"].median()))
    with pytest.raises(SystemExit) as exc:
        main(["check", "--baseline", str(path), "--candidate", str(path)])
    assert exc.value.code == 2

    from trtinspect.inspector.diff import diff

    d = diff(bundle, bundle_from_nsys(path), findings=False)
    assert float(d.groups["delta_ms"].abs().max()) == pytest.approx(0.0)
    assert len(d.groups) >= len(bundle.layers) * 0.5


def test_layer_info_json_joins_nsys_layer_times(generated: tuple[Path, dict[str, Any]]) -> None:
    """An export given with the engine's layer-information JSON: the engine's detailed layers replace the
    names-only frame and every TensorRT layer range joins a layer by name (precision/type breakdowns work)."""
    graph = next((REPO / "sample_engines" / "resnet18-a100" / "qat").glob("*.graph.json"))
    b = trtinspect.load(generated[0], graph)
    assert b.detailed and len(b.layers) == len(generated[1]["layers"])
    joined, unmatched_profile, _, _ = b.joined()
    assert not unmatched_profile and (joined["match"] != "none").sum() == len(b.profile)
    assert any(f"{graph.name}: " in n and "match a layer by name" in n for n in b.notes)
    with pytest.raises(trtinspect.TrtInspectError, match="on its own"):
        trtinspect.load(generated[0], graph, graph.with_name("resnet-qat.onnx.engine.profile.json"))


def test_large_tensorrt_exports_skip_attribution_and_say_why(
    nsys_generated: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over ATTRIBUTION_MAX_OPS GPU operations the per-layer attribution (every event in memory, ~0.7 GB per
    million) is skipped by default: the bundle keeps the nsys stats summaries, says why in its notes, and check and
    diff refuse it with that reason; attribution=True forces it."""
    from trtinspect.errors import TrtInspectError
    from trtinspect.inspector.diff import diff
    from trtinspect.parsers.nsys import bundle as nsys_bundle

    path, _ = nsys_generated
    monkeypatch.setattr(nsys_bundle, "ATTRIBUTION_MAX_OPS", 100)
    b = bundle_from_nsys(path)
    assert b.profile.empty and b.times.empty and "nsys_attribution" not in b.extras
    assert "cuda_gpu_kern_sum" in b.extras["nsys_stats"].reports and b.extras["nsys_tensorrt"]
    note = next(n for n in b.notes if n.startswith("per-layer attribution not computed"))
    assert "GPU operations exceed 100" in note and "attribution=True" in note
    with pytest.raises(TrtInspectError, match="per-layer attribution was not computed") as info:
        diff(b, b)
    assert path.name in str(info.value)
    assert not bundle_from_nsys(path, attribution=True).profile.empty
    assert bundle_from_nsys(path, attribution=False).profile.empty

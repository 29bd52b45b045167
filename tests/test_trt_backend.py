"""trt_backend with the TEST DOUBLE (tests/trt_double.py), not TensorRT: checks trtinspect's own logic.

Shape selection, iteration accounting (warm-up excluded, N timed + N profiled iterations), per-layer time
accumulation, bundle files round-tripping through the loader, and error paths. Nothing here runs TensorRT;
the double's "GPU" is a counter advanced by the layer times of the real ResNet-18 A100 profile.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import LOGS, resnet_file
from trt_double import (
    FakeCudaRuntime,
    FakeNvml,
    FakeTensorRT,
    nvml_snapshot,
    write_fake_engine,
)

from trtinspect.capture import cuda_timing, trt_backend
from trtinspect.capture.nvtx_ranges import NvtxRanges
from trtinspect.capture.shapes import parse_shapes
from trtinspect.cli import cli
from trtinspect.errors import TrtInspectError

VARIANT = "fp16"
BATCH_OPT = 32


def resnet_spec(variant: str = VARIANT) -> dict[str, Any]:
    """A fake engine spec from the real TREx files: real graph JSON, real layer names and average times."""
    graph_text = resnet_file(variant, "graph.json").read_text()
    graph = json.loads(graph_text)
    consumed = {t["Name"] for layer in graph["Layers"] for t in layer["Inputs"]}
    produced = [t for layer in graph["Layers"] for t in layer["Outputs"] if t["Name"] not in consumed]
    first_input = graph["Layers"][0]["Inputs"][0]
    profile = json.loads(resnet_file(variant, "profile.json").read_text())[1:]
    dims = first_input["Dimensions"]
    return {
        "inputs": [
            {
                "name": first_input["Name"],
                "shape": [-1, *dims[1:]],
                "dtype": "FLOAT",
                "profile": [[1, *dims[1:]], [dims[0], *dims[1:]], [64, *dims[1:]]],
            }
        ],
        "outputs": [
            {
                "name": t["Name"],
                "shape": [-1, *t["Dimensions"][1:]],
                "dtype": "FLOAT",
                "batch_from": first_input["Name"],
            }
            for t in produced
        ],
        "layers": [{"name": r["name"], "ms": r["averageMs"]} for r in profile],
        "graph_json": graph_text,
    }


@pytest.fixture
def double(tmp_path: Path) -> tuple[FakeTensorRT, FakeCudaRuntime, Path, dict[str, Any]]:
    cudart = FakeCudaRuntime()
    trt = FakeTensorRT(cudart)
    spec = resnet_spec()
    engine = write_fake_engine(tmp_path / "resnet.onnx.engine", spec)
    return trt, cudart, engine, spec


def run(double: Any, **kw: Any) -> trt_backend.ProfileResult:
    trt, cudart, engine, _ = double
    nvml = kw.pop("nvml", None)
    ranges = kw.pop("ranges", NvtxRanges(None))
    return trt_backend.profile_engine(
        engine, trt_backend.ProfileOptions(**kw), trt=trt, cudart=cudart, nvml=nvml, ranges=ranges
    )


def expected_layer_ms(spec: dict[str, Any], k: int) -> list[float]:
    """The double's layer times in its k-th execution (see FakeExecutionContext.layer_ms)."""
    return [layer["ms"] * (1.0 + 0.01 * (k % 5)) for layer in spec["layers"]]


# ---- iteration accounting and per-layer accumulation (test double) ------------------------------------


def test_double_warmup_excluded_and_profile_run_separate(double: Any) -> None:
    result = run(double, warmup=3, iterations=7)
    ctx = double[0].engines[0].contexts[0]
    # 3 warm-up + 7 timed runs without a profiler, then 7 profiled runs with it
    assert ctx.executions == [False] * 10 + [True] * 7
    assert len(result.iterations) == 7
    assert result.profile_iterations == 7
    assert result.warmup_iterations == 3
    assert all(len(v) == 7 for v in result.layer_times.values())


def test_double_per_layer_times_accumulate_in_report_order(double: Any) -> None:
    spec = double[3]
    result = run(double, warmup=2, iterations=5)
    # profiled executions are k = 2 + 5 .. 2 + 5 + 4
    per_iter = [expected_layer_ms(spec, k) for k in range(7, 12)]
    names = [layer["name"] for layer in spec["layers"]]
    assert list(result.layer_times) == list(dict.fromkeys(names))
    for j, name in enumerate(names):
        assert result.layer_times[name] == pytest.approx([row[j] for row in per_iter])


def test_double_iteration_times_from_events(double: Any) -> None:
    _, cudart, _, spec = double
    result = run(double, warmup=4, iterations=6)
    in_bytes = BATCH_OPT * 3 * 224 * 224 * 4
    out_bytes = BATCH_OPT * 1000 * 4
    for i, it in enumerate(result.iterations):
        assert it.h2d_ms == pytest.approx(in_bytes / cudart.bytes_per_ms)
        assert it.compute_ms == pytest.approx(sum(expected_layer_ms(spec, 4 + i)))
        assert it.d2h_ms == pytest.approx(out_bytes / cudart.bytes_per_ms)
        assert it.latency_ms == pytest.approx(it.h2d_ms + it.compute_ms + it.d2h_ms)
        assert it.h2d_end_ms == it.compute_start_ms and it.compute_end_ms == it.d2h_start_ms
    starts = [it.h2d_start_ms for it in result.iterations]
    assert starts == sorted(starts) and starts[0] == pytest.approx(0.0)


def test_double_no_transfers_and_no_layer_profile(double: Any) -> None:
    result = run(double, warmup=0, iterations=3, transfers=False, per_layer=False)
    assert all(it.h2d_ms == 0 and it.d2h_ms == 0 for it in result.iterations)
    assert result.layer_times == {} and result.profile_iterations == 0
    assert double[1].copies == []


def test_double_duration_mode_runs_at_least_one_iteration(double: Any) -> None:
    result = run(double, warmup=0, duration_s=0.05)
    assert len(result.iterations) >= 1
    assert result.profile_iterations == len(result.iterations)


def test_double_frees_everything(double: Any) -> None:
    run(double, warmup=1, iterations=2)
    cudart = double[1]
    assert cudart.live == {} and cudart.pinned == set() and cudart.streams == set() and cudart.events == {}


def test_double_unpinnable_host_memory_is_noted(tmp_path: Path) -> None:
    cudart = FakeCudaRuntime(pin_ok=False)
    engine = write_fake_engine(tmp_path / "m.engine", resnet_spec())
    result = trt_backend.profile_engine(
        engine,
        trt_backend.ProfileOptions(warmup=0, iterations=1),
        trt=FakeTensorRT(cudart),
        cudart=cudart,
        ranges=NvtxRanges(None),
    )
    assert any("could not be pinned" in n for n in result.notes)


# ---- shape selection (test double) -----------------------------------------------------------------------


def test_double_default_shape_is_profile_opt(double: Any) -> None:
    result = run(double, warmup=0, iterations=1)
    spec = double[3]
    assert result.shapes[spec["inputs"][0]["name"]] == tuple(spec["inputs"][0]["profile"][1])
    assert result.shapes[spec["outputs"][0]["name"]] == (BATCH_OPT, 1000)
    assert double[0].engines[0].inspected_with_context is True


def test_double_requested_shape_used_for_io_sizes(double: Any) -> None:
    _, cudart, _, spec = double
    name = spec["inputs"][0]["name"]
    result = run(double, warmup=0, iterations=2, shapes=parse_shapes(f"{name}:8x3x224x224"))
    assert result.shapes[name] == (8, 3, 224, 224)
    assert result.shapes[spec["outputs"][0]["name"]] == (8, 1000)
    h2d = [n for kind, n in cudart.copies if kind == "cudaMemcpyHostToDevice"]
    assert set(h2d) == {8 * 3 * 224 * 224 * 4}


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        ("input.1:128x3x224x224", "outside the optimisation profile"),
        ("input.1:8x3x224x225", "does not fit the engine's input shape"),
        ("nosuch:1x2", "no input called"),
    ],
)
def test_double_bad_shapes_are_refused(double: Any, shapes: str, message: str) -> None:
    with pytest.raises(TrtInspectError, match=message):
        run(double, iterations=1, shapes=parse_shapes(shapes))


@pytest.mark.parametrize("text", ["input.1", "input.1:axb", ":1x2", "x:1x-2"])
def test_parse_shapes_rejects_malformed(text: str) -> None:
    with pytest.raises(TrtInspectError, match="--shapes"):
        parse_shapes(text)


def test_parse_shapes_splits_at_last_colon() -> None:
    assert parse_shapes("a:b:1x2, c:3") == {"a:b": (1, 2), "c": (3,)}


def test_select_shapes_static_and_shape_tensor() -> None:
    static = trt_backend.TensorInfo("x", True, (1, 4), "FLOAT")
    assert trt_backend.select_shapes([static], {}) == {"x": (1, 4)}
    with pytest.raises(TrtInspectError, match="does not fit"):
        trt_backend.select_shapes([static], {"x": (2, 4)})
    shape_t = trt_backend.TensorInfo("s", True, (2,), "INT32", is_shape_tensor=True)
    with pytest.raises(TrtInspectError, match="shape tensor"):
        trt_backend.select_shapes([shape_t], {})


# ---- input data ----------------------------------------------------------------------------------------


def test_fill_random_zeros_and_bf16() -> None:
    gen = np.random.default_rng(0)
    buf, note = cuda_timing.fill_input("FLOAT", 1000, 4000, "random", gen)
    vals = buf.view(np.float32)
    assert note is None and vals.min() >= -1 and vals.max() <= 1 and vals.std() > 0.3
    zeros, _ = cuda_timing.fill_input("HALF", 1000, 2000, "zeros", gen)
    assert not zeros.any()
    bf, _ = cuda_timing.fill_input("BF16", 500, 1000, "random", np.random.default_rng(1))
    ref = np.random.default_rng(1).uniform(-1.0, 1.0, 500).astype(np.float32)
    back = (bf.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    assert np.allclose(back, ref, atol=1e-2)
    fp8, note = cuda_timing.fill_input("FP8", 10, 10, "random", gen)
    assert not fp8.any() and note is not None and "zeros" in note


# ---- bundle round trip (test double) -------------------------------------------------------------------


def test_double_bundle_files_match_trtexec_formats(double: Any, tmp_path: Path) -> None:
    spec = double[3]
    result = run(double, warmup=2, iterations=5)
    out = trt_backend.write_profile_bundle(result, tmp_path / "bundle")
    names = sorted(p.name for p in out.files.values())
    assert names == sorted(
        f"resnet.onnx.engine.{s}.json" for s in ("graph", "profile", "timing", "profile.metadata")
    )
    assert out.files["graph"].read_text() == spec["graph_json"]  # inspector JSON verbatim
    profile = json.loads(out.files["profile"].read_text())
    assert profile[0] == {"count": 5}
    real_keys = set(json.loads(resnet_file(VARIANT, "profile.json").read_text())[1])
    assert all(set(r) == real_keys for r in profile[1:])
    first = profile[1]
    times = result.layer_times[first["name"]]
    assert first["timeMs"] == pytest.approx(sum(times))
    assert first["averageMs"] == pytest.approx(sum(times) / 5)
    assert first["medianMs"] == pytest.approx(statistics.median(times))
    assert sum(r["percentage"] for r in profile[1:]) == pytest.approx(100.0)
    timing = json.loads(out.files["timing"].read_text())
    real_timing_keys = set(json.loads(resnet_file(VARIANT, "timing.json").read_text())[0])
    assert len(timing) == 5 and all(set(r) == real_timing_keys for r in timing)
    meta = json.loads(out.files["metadata"].read_text())
    assert meta["trtinspect"]["tensorrt_version"] == "0.0.0-test-double"
    assert meta["performance_summary"]["GPU Compute Time"][2] == pytest.approx(
        statistics.fmean(it.compute_ms for it in result.iterations)
    )
    with pytest.raises(TrtInspectError, match="already exists"):
        trt_backend.write_profile_bundle(result, tmp_path / "bundle")


def test_double_bundle_loads_with_trtinspect_load(double: Any, tmp_path: Path) -> None:
    """Round trip through the parsers: the loader reads what the writer wrote (test double data)."""
    import trtinspect

    spec = double[3]
    result = run(double, warmup=1, iterations=4)
    trt_backend.write_profile_bundle(result, tmp_path / "b")
    bundle = trtinspect.load(tmp_path / "b")
    assert len(bundle.layers) == len(json.loads(spec["graph_json"])["Layers"])
    assert len(bundle.profile) == len(result.layer_times)
    assert len(bundle.times) == 4
    assert bundle.times["compute_ms"].tolist() == pytest.approx([it.compute_ms for it in result.iterations])
    assert bundle.unmatched_profile == [] and bundle.unmatched_layers == []
    assert float(bundle.profile["avg_ms"].sum()) == pytest.approx(
        sum(sum(v) / len(v) for v in result.layer_times.values())
    )
    compute = sorted(it.compute_ms for it in result.iterations)
    summary = bundle.summary.set_index(["metric", "stat"])["value"]
    assert summary[("GPU Compute Time", "max")] == pytest.approx(compute[-1])
    assert summary[("GPU Compute Time", "p99")] == pytest.approx(compute[-1])  # trtexec's rule: index 3 of 4
    assert summary[("GPU Compute Time", "median")] == pytest.approx(statistics.median(compute))
    # the written summary and the one read back from the times are one computation (trtexec's rules)
    gpu = bundle.timing.gpu_compute
    assert gpu.source == "times"
    read_back = {"min": gpu.min, "max": gpu.max, "mean": gpu.mean, "median": gpu.median,
                 **{f"p{p:g}": v for p, v in gpu.percentiles.items()}}
    for stat in ("min", "max", "mean", "median", "p90", "p95", "p99"):
        assert summary[("GPU Compute Time", stat)] == pytest.approx(read_back[stat], rel=1e-12), stat
    assert bundle.device.get("name") == "Test Double GPU (not real)"


# ---- GPU state and NVTX (test doubles) -----------------------------------------------------------------


def test_double_gpu_state_recorded_and_clock_drift_warned(double: Any, tmp_path: Path) -> None:
    nvml = FakeNvml([nvml_snapshot(sm=345), nvml_snapshot(sm=1980), nvml_snapshot(sm=1600, reasons=0x20)])
    result = run(double, warmup=1, iterations=2, nvml=nvml)
    assert [result.gpu_states[k]["sm_clock_mhz"] for k in ("before", "start", "end")] == [345, 1980, 1600]
    assert any("sm_clock_mhz 1980 -> 1600" in w for w in result.gpu_warnings)
    assert any("sw_thermal_slowdown" in w for w in result.gpu_warnings)
    meta = json.loads(trt_backend.write_profile_bundle(result, tmp_path / "g").files["metadata"].read_text())
    assert meta["gpu_state"]["end"]["clock_event_reasons"] == ["sw_thermal_slowdown"]
    assert meta["gpu_state"]["warnings"] == result.gpu_warnings
    assert nvml.open == 0


def test_double_missing_pynvml_is_a_note_not_a_failure(double: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trt_backend, "_nvml_module", lambda module=None: None)
    result = run(double, warmup=0, iterations=1)
    assert result.gpu_states == {}
    assert any("nvidia-ml-py" in n for n in result.notes)


class RecordingNvtx:
    """TEST DOUBLE of the nvtx package: records push/pop."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str | None]] = []

    def push_range(self, message: str, color: str | None = None, domain: str | None = None) -> None:
        self.events.append(("push", message))

    def pop_range(self, domain: str | None = None) -> None:
        self.events.append(("pop", None))


def test_double_nvtx_ranges_mark_each_phase(double: Any) -> None:
    rec = RecordingNvtx()
    run(double, warmup=2, iterations=3, ranges=NvtxRanges(rec))
    pushes = [str(m) for kind, m in rec.events if kind == "push"]
    top = [m for m in pushes if m in {"deserialize", "inspect", "allocate", "warmup", "timing", "profile"}]
    assert top == ["deserialize", "inspect", "allocate", "warmup", "timing", "profile"]
    assert sum(m.startswith("timing iteration") for m in pushes) == 3
    assert pushes.count("compute") == 2 + 3
    assert len(pushes) == sum(1 for kind, _ in rec.events if kind == "pop")


# ---- error paths ---------------------------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="tensorrt is installed here")
def test_missing_tensorrt_says_what_to_install(tmp_path: Path) -> None:
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"\x00\x01binary")
    with pytest.raises(TrtInspectError, match=r"module tensorrt\) are not installed.*pip install tensorrt"):
        trt_backend.profile_engine(engine, cudart=FakeCudaRuntime())


def test_double_version_mismatch_names_both_versions(tmp_path: Path) -> None:
    cudart = FakeCudaRuntime()
    engine = write_fake_engine(tmp_path / "old.engine", resnet_spec(), version="8.5.3.1")
    with pytest.raises(TrtInspectError) as info:
        trt_backend.profile_engine(engine, trt=FakeTensorRT(cudart), cudart=cudart, ranges=NvtxRanges(None))
    msg = str(info.value)
    assert "TensorRT 0.0.0-test-double could not deserialize" in msg
    assert "engine is version 8.5.3.1" in msg and "built by another TensorRT version" in msg
    assert str(engine) in msg and "\n" not in msg


def test_double_garbage_engine_gets_version_message(tmp_path: Path) -> None:
    cudart = FakeCudaRuntime()
    engine = tmp_path / "garbage.plan"
    engine.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(TrtInspectError, match=r"could not deserialize.*probably built by another TensorRT"):
        trt_backend.profile_engine(engine, trt=FakeTensorRT(cudart), cudart=cudart, ranges=NvtxRanges(None))


def test_text_file_is_not_an_engine(tmp_path: Path) -> None:
    cudart = FakeCudaRuntime()
    with pytest.raises(TrtInspectError, match="text file, not a serialized TensorRT engine"):
        trt_backend.profile_engine(
            resnet_file(VARIANT, "graph.json"), trt=FakeTensorRT(cudart), cudart=cudart
        )


def test_double_no_gpu(tmp_path: Path) -> None:
    cudart = FakeCudaRuntime(device_count=0)
    engine = write_fake_engine(tmp_path / "m.engine", resnet_spec())
    with pytest.raises(TrtInspectError, match="no CUDA GPU is visible"):
        trt_backend.profile_engine(engine, trt=FakeTensorRT(cudart), cudart=cudart)


def test_double_names_only_engine_is_profiled_with_a_rebuild_hint(tmp_path: Path) -> None:
    names_only = (LOGS / "trt8.4" / "modelInformation.log").read_text()
    names = json.loads(names_only)["Layers"]
    spec = {
        "inputs": [{"name": "x", "shape": [1, 1, 28, 28], "dtype": "FLOAT"}],
        "outputs": [{"name": "y", "shape": [1, 10], "dtype": "FLOAT"}],
        "layers": [{"name": n, "ms": 0.01} for n in names],
        "graph_json": names_only,
    }
    cudart = FakeCudaRuntime()
    engine = write_fake_engine(tmp_path / "names.engine", spec)
    result = trt_backend.profile_engine(
        engine,
        trt_backend.ProfileOptions(warmup=0, iterations=2),
        trt=FakeTensorRT(cudart),
        cudart=cudart,
        ranges=NvtxRanges(None),
    )
    assert result.detail == "names_only"
    assert any("--profilingVerbosity=detailed" in n for n in result.notes)
    assert list(result.layer_times) == list(dict.fromkeys(names))


def test_graph_detail_kinds() -> None:
    assert trt_backend.graph_detail(resnet_file(VARIANT, "graph.json").read_text()) == "detailed"
    assert trt_backend.graph_detail((LOGS / "trt8.4" / "modelInformation.log").read_text()) == "names_only"
    assert trt_backend.graph_detail('{"Layers": []}') == "none"
    assert trt_backend.graph_detail("{trunc") == "unknown"


def test_double_plugins_loaded_explicitly(double: Any, tmp_path: Path) -> None:
    lib = tmp_path / "libmyplugin.so"
    lib.write_bytes(b"\x7fELF fake")
    run(double, warmup=0, iterations=1, plugins=(lib,))
    assert double[0].registry.loaded == [str(lib)]
    assert double[0].plugins_initialised
    with pytest.raises(TrtInspectError, match="plugin library not found"):
        run(double, iterations=1, plugins=(tmp_path / "missing.so",))


def test_options_checked() -> None:
    with pytest.raises(TrtInspectError, match="not both"):
        trt_backend.ProfileOptions(iterations=2, duration_s=1.0).check()
    with pytest.raises(TrtInspectError, match="at least 1"):
        trt_backend.ProfileOptions(iterations=0).check()


# ---- CLI (test double behind the backend registry) -----------------------------------------------------


def test_cli_profile_with_test_double(double: Any, tmp_path: Path) -> None:
    trt, cudart, engine, spec = double
    nvml = FakeNvml([nvml_snapshot()])
    with trt_backend.use_backends(trt=trt, cudart=cudart, nvml=nvml):
        res = CliRunner().invoke(
            cli, ["profile", str(engine), "--out", str(tmp_path / "o"), "--iterations", "4", "--warmup", "1"]
        )
    assert res.exit_code == 0, res.output
    assert "TensorRT 0.0.0-test-double" in res.output
    assert (
        f"{len(dict.fromkeys(layer['name'] for layer in spec['layers']))} layers profiled over 4"
        in res.output
    )
    assert len(list((tmp_path / "o").iterdir())) == 4


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="tensorrt is installed here")
def test_cli_profile_without_tensorrt_exits_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    engine = tmp_path / "m.engine"
    engine.write_bytes(b"\x00\x01binary")
    proc = subprocess.run(
        [sys.executable, "-m", "trtinspect", "profile", str(engine), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert err.startswith("trtinspect: error:") and "tensorrt" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_double_diff_of_engines_without_sidecars_profiles_them_live(double: Any, tmp_path: Path) -> None:
    """`trtinspect diff a.engine b.engine` with only engine files: the loader profiles each through the
    backend (here the TEST DOUBLE behind the registry, not TensorRT) and diffs the result."""
    trt, cudart, engine, spec = double
    other = tmp_path / "other" / "resnet.onnx.engine"
    other.parent.mkdir()
    other.write_bytes(engine.read_bytes())
    with trt_backend.use_backends(trt=trt, cudart=cudart, nvml=FakeNvml([nvml_snapshot()])):
        res = CliRunner().invoke(cli, ["diff", str(engine), str(other), "--format", "json", "--no-lint"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    n_layers = len(json.loads(spec["graph_json"])["Layers"])
    members = out["members"]
    assert sum(1 for m in members if m["side"] == "A") == n_layers
    assert sum(1 for m in members if m["side"] == "B") == n_layers
    assert out["totals"]["delta_ms"] == pytest.approx(out["totals"]["b_layers_ms"] - out["totals"]["a_layers_ms"])
    # not a single sidecar file was written next to the user's engines
    assert sorted(p.name for p in other.parent.iterdir()) == ["resnet.onnx.engine"]

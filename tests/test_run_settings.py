"""What the tool believes a run's build and run settings were (TensorRT-engineer review of main): a --loadEngine
log records no build precision, unknown is never a change, the trtexec inference options that change measured
times are comparability fields, and an implicit batch is read from the command line when the options lack it.
Real logs only (sample_engines/trtexec-logs, tests/data/external; provenance in their PROVENANCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke as _invoke

import trtinspect
from trtinspect.inspector.check import run_check
from trtinspect.inspector.check_inputs import COMPARABILITY
from trtinspect.parsers import run_settings
from trtinspect.parsers.trtexec_log import parse_trtexec_log

REPO = Path(__file__).resolve().parents[1]
H100 = REPO / "sample_engines" / "trtexec-logs" / "trt10.16-h100"
EXT = REPO / "tests" / "data" / "external"
RUN_FIELDS = ["cuda_graph", "spin_wait", "data_transfers"]


def _check(*allow: str) -> tuple[int, str]:
    return _invoke("check", "--baseline", str(H100 / "result-01.log"), "--candidate", str(H100 / "result-03.log"),
                   "--allow-different", *allow)


def test_unknown_precision_is_not_a_change() -> None:
    """result-03 is a --loadEngine run (built --fp16 by result-02): TensorRT 10 prints no build precision for it.
    Unknown is not a change: a note says whose precision is unknown and why; no 'FP32 -> unknown' anywhere."""
    code, out = _check("input_shapes", *RUN_FIELDS)
    assert code == 1, out
    verdict = out.splitlines()[0]
    assert verdict.startswith("REGRESSION: end-to-end GPU compute 0.0361 -> 0.0388 ms"), verdict
    assert "unknown ->" not in out and "-> unknown" not in out and "build precision changed" not in out
    assert ("note: build precision of the candidate is unknown (the run loaded a serialized engine "
            "(model-trained.trt) and its log records no build settings; baseline: FP32): not compared") in out
    r = run_check([trtinspect.load(H100 / "result-01.log")], [trtinspect.load(H100 / "result-03.log")],
                  allow_different=["input_shapes", *RUN_FIELDS])
    assert r.changes == []


# every --loadEngine log of the real data: TensorRT 8.x prints a Build Options block of defaults for them
LOADED = [
    ("sample_engines/trtexec-logs/trt8.4/result-loadAndInference.log", "./model-FP32.plan"),
    ("sample_engines/trtexec-logs/trt10.16-h100/result-03.log", "model-trained.trt"),
    ("sample_engines/trtexec-logs/trt10.16-h100/result-05.log", "./model-trained.trt"),
    ("tests/data/external/trt8.6.0-rtx3090/result-04.head.log", "./model-FP32.plan"),
    ("tests/data/external/xavier-nx-trt8.5.2-lprnet/head.log",
     "/home/iks-ai2/Development/ALPR_Jetson/models/ocr/LPR_net.engine"),
    ("tests/data/external/trt8.0.3-gtx1070/result-load-FP32.head.txt", "./model-FP32.plan"),
    ("tests/data/external/trt8.2-gtx1070/result-load-FP32.head.txt", "./model-FP32.plan"),
    ("tests/data/external/quoted/xavier-agx-trt8.4.meta-tegra952.log", "mnist16.trt"),
    ("tests/data/external/quoted/trt10.3-header.issue4099.log", "/home/lyc/attn/model/llm_flash.trt"),
    ("tests/data/external/quoted/trt10.2-windows-header.issue4036.log", "FM_P_D_fp16.engine"),
    ("tests/data/external/trt11.0.0-b200/result-10.head.log", "./model-trained-reference.trt"),
]


@pytest.mark.parametrize(("rel", "engine"), LOADED, ids=[Path(r).name for r, _ in LOADED])
def test_load_engine_runs_have_no_build_precision(rel: str, engine: str) -> None:
    """The Build Options of a --loadEngine run are trtexec's defaults, never build facts (report and check)."""
    log = parse_trtexec_log(REPO / rel)
    assert log.loaded_engine == engine
    bundle = trtinspect.load(REPO / rel)
    assert bundle.build_options == {} and bundle.extras["loaded_engine"] == engine
    code, out = _invoke("report", str(REPO / rel), "--format", "json")
    assert code == 0, out
    assert json.loads(out)["build_precision"] is None


def test_trt85_load_engine_report_shows_no_precision() -> None:
    """The failing command of the review: TensorRT 8.5.2 prints 'Precision: FP32' in the Build Options of a
    --loadEngine --dumpProfile run; report used to show it as the engine's build precision."""
    assert "Precision: FP32" in (EXT / "xavier-nx-trt8.5.2-lprnet" / "head.log").read_text()
    code, out = _invoke("report", str(EXT / "xavier-nx-trt8.5.2-lprnet"))
    assert code == 0, out
    assert "Build precision  -\n" in out
    built = trtinspect.load(H100 / "result-01.log")          # a run that built its engine keeps its precision
    assert built.build_options["Precision"] == "FP32" and "loaded_engine" not in built.extras


def test_run_settings_block_the_check() -> None:
    """CUDA graph, spin-wait and data transfers differ between result-01 and result-03: not comparable (exit 3),
    each field named; --allow-different accepts them and lists each as an allowed difference."""
    code, out = _check("input_shapes")
    assert code == 3, out
    for name, b, c in (("cuda_graph", "disabled", "enabled"), ("spin_wait", "disabled", "enabled"),
                       ("data_transfers", "enabled", "disabled")):
        assert f"{name} differs (baseline vs candidate): '{b}' vs '{c}'" in out
        assert name in COMPARABILITY
    assert "--allow-different cuda_graph data_transfers spin_wait" in out
    code, out = _check("input_shapes", *RUN_FIELDS)
    assert code == 1, out
    assert "allowed difference: cuda_graph 'disabled' vs 'enabled' (baseline vs candidate)" in out
    assert "allowed difference: data_transfers 'enabled' vs 'disabled' (baseline vs candidate)" in out
    assert ("note: input shapes differ (allowed): each side's iteration processes a different input, and the "
            "verdict compares per-iteration times; per sample (batch 1 vs 4): 0.03613 -> 0.009705 ms (-73.1%)") in out
    code, out = _invoke("diff", str(H100 / "result-01.log"), str(H100 / "result-03.log"))
    assert code == 0 and "CUDA graph: disabled -> enabled" in out and "data transfers: enabled -> disabled" in out


def test_run_settings_read_from_options_and_command_lines() -> None:
    """Inference options first, else the command line (a flag absent from it: trtexec's default), else unknown."""
    r01, r03, r05 = (trtinspect.load(H100 / f"result-0{i}.log") for i in (1, 3, 5))
    assert [run_settings.cuda_graph(b) for b in (r01, r03)] == [False, True]
    assert [run_settings.spin_wait(b) for b in (r01, r03)] == [False, True]
    assert [run_settings.transfers(b) for b in (r01, r03)] == [True, False]
    assert [run_settings.streams(b) for b in (r01, r03)] == [1, 1]
    # result-05: --dumpProfile --exportProfile without --separateProfileRun: the profiler ran in the timed run
    assert [run_settings.profiled_timing(b) for b in (r01, r03, r05)] == [False, False, True]
    a100 = trtinspect.load(REPO / "sample_engines" / "resnet18-a100" / "fp16")   # TREx: separate profiling run
    assert run_settings.profiled_timing(a100) is False and run_settings.cuda_graph(a100) is True
    excerpt = trtinspect.load(EXT / "quoted" / "trt10-multipercentile.issue4177.log")   # no options, no command
    assert excerpt.extras.get("commands") is None
    assert run_settings.cuda_graph(excerpt) is None and run_settings.streams(excerpt) is None
    assert run_settings.switch({}, ["trtexec --loadEngine=a.plan --useCudaGraph"], ("CUDA Graph",),
                               "--useCudaGraph") is True
    assert run_settings.switch({}, ["trtexec --loadEngine=a.plan --useCudaGraphX"], ("CUDA Graph",),
                               "--useCudaGraph") is False


def test_implicit_batch_from_the_command_line() -> None:
    """TensorRT 8.4 implicit-batch summary quoted without its options: --batch=16 on the PASSED line. trtexec's
    throughput is batchSize x iterations / walltime, so it counts samples per second, and the report says so."""
    path = EXT / "quoted" / "xavier-agx-trt8.4.meta-tegra952.log"
    assert "--batch=16" in path.read_text() and "Batch:" not in path.read_text()
    code, out = _invoke("report", str(path))
    assert code == 0, out
    assert "throughput 41087.7 qps (samples/s); batch 16 (implicit batch (command line\n" in out
    assert "Timing per iteration of batch 16 (ms)" in out
    timing = trtinspect.load(path).timing
    assert (timing.batch, timing.batch_source) == (16, "implicit batch (command line '--batch=16')")


TRT11 = EXT / "trt11.0.0-b200"
_TRT11_OPTION_LINES = ("Data transfers:", "Spin-wait:", "CUDA Graph:")


def _trt11_run(tmp_path: Path, name: str, *, keep_options: bool = True, extra_flag: str = "") -> Path:
    """The real TensorRT 11.0.0 --exportProfile run (head + tail of result-10), optionally without its three
    option lines (a log whose settings only its command line tells) and with one more flag on its command lines."""
    lines = []
    for part in ("result-10.head.log", "result-10.tail.log"):
        for line in (TRT11 / part).read_text().splitlines():
            if not keep_options and any(k in line for k in _TRT11_OPTION_LINES):
                continue
            if extra_flag and line.startswith("&&&& "):
                line = f"{line} {extra_flag}"
            lines.append(line)
    path = tmp_path / f"{name}.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_trt11_exportprofile_run_is_not_profiled_timing(tmp_path: Path) -> None:
    """TensorRT 11 always takes the per-layer profile in a run of its own: result-10's timed iterations ran a
    captured CUDA graph; its --exportProfile is not 'profiler on in the timed run' (final TensorRT review)."""
    bundle = trtinspect.load(_trt11_run(tmp_path, "b11"))
    assert run_settings.profiled_timing(bundle) is False
    assert (run_settings.cuda_graph(bundle), run_settings.spin_wait(bundle), run_settings.transfers(bundle)) == (
        True, True, False)


def test_trt11_defaults_when_only_the_command_line_tells(tmp_path: Path) -> None:
    """Without the option lines, a TensorRT 11 command line without flags means 11's defaults (the same values
    result-10 printed), and --noCudaGraph / --noSpinWait / --includeDataTransfers turn them back."""
    plain = trtinspect.load(_trt11_run(tmp_path, "plain", keep_options=False))
    assert (run_settings.cuda_graph(plain), run_settings.spin_wait(plain), run_settings.transfers(plain)) == (
        True, True, False)
    for flag, reader in (("--noCudaGraph", run_settings.cuda_graph), ("--noSpinWait", run_settings.spin_wait),
                         ("--includeDataTransfers", run_settings.transfers)):
        other = trtinspect.load(_trt11_run(tmp_path, flag.strip("-"), keep_options=False, extra_flag=flag))
        assert reader(other) is (flag == "--includeDataTransfers"), flag

"""The TensorRT inference options that change measured latency beyond CUDA graph / spin-wait / streams / threads /
transfers / profiling (TensorRT-engineer review of main, trust-check defects 1-2): sleep and idle time, exposed
DMA, the persistent L2 cache ratio, the optimization profile and the weight-streaming budget are comparability
fields (exit 3, named, --allow-different accepts them), read from the Inference Options dump, else the trtexec
command line, else a dump of a trtexec older than the option; a setting known on one side only is named in one
note. Inputs: the real logs of sample_engines/trtexec-logs (provenance in its PROVENANCE.md) and the real A100
TREx bundles; a candidate that differs in one setting is a real log with that option line and the flag on its
command line edited in tmp_path (the edit is the only difference, as a rerun with that flag would print it)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import invoke as _invoke

import trtinspect
from trtinspect.parsers import run_settings

REPO = Path(__file__).resolve().parents[1]
LOGS = REPO / "sample_engines" / "trtexec-logs"
H100, TRT84 = LOGS / "trt10.16-h100", LOGS / "trt8.4"
A100 = REPO / "sample_engines" / "resnet18-a100"


def _edited(src: Path, dst: Path, lines: dict[str, str], flags: str) -> Path:
    """``src`` with each ``[I] KEY: value`` option line of ``lines`` given the new value and ``flags`` added to
    its trtexec command line (the '&&&& RUNNING/PASSED' lines)."""
    out = []
    for line in src.read_text().splitlines():
        m = re.match(r"(?P<head>.*\[I\] )(?P<key>[^:]+): ", line)
        if m is not None and m.group("key") in lines:
            line = f"{m.group('head')}{m.group('key')}: {lines[m.group('key')]}"
        if line.startswith("&&&& ") and " # trtexec " in line:
            line = f"{line} {flags}"
        out.append(line)
    dst.write_text("\n".join(out) + "\n")
    return dst


def test_trt10_weight_streaming_persistent_cache_and_profile_block_the_check(tmp_path: Path) -> None:
    """Defect 1: `check` of a TensorRT 10.16 run against the same run with --weightStreamingBudget=50%,
    --persistentCacheRatio=0.5 and --useProfile=1 passed; now exit 3 naming each field with both values."""
    cand = _edited(H100 / "result-01.log", tmp_path / "ws.log",
                   {"Weight Streaming Budget": "50.000000%", "Persistent Cache Ratio": "0.5",
                    "Optimization Profile Index": "1"},
                   "--allowWeightStreaming --weightStreamingBudget=50% --persistentCacheRatio=0.5 --useProfile=1")
    code, out = _invoke("check", "--baseline", str(H100 / "result-01.log"), "--candidate", str(cand))
    assert code == 3, out
    for name, b, c in (("weight_streaming", "off", "50%"), ("persistent_cache_ratio", "0", "0.5"),
                       ("optimization_profile", "0", "1")):
        assert f"{name} differs (baseline vs candidate): '{b}' vs '{c}'" in out, out
    assert "--allow-different optimization_profile persistent_cache_ratio weight_streaming" in out
    bundle = trtinspect.load(cand)
    assert run_settings.valued(bundle, "weight_streaming") == "50%"


def test_trt84_sleep_idle_and_exposed_dma_block_the_check_and_are_allowed(tmp_path: Path) -> None:
    """Two real TensorRT 8.4 runs with the same settings pass; the candidate run with --sleepTime=5 --idleTime=10
    --exposeDMA is not comparable (exit 3) and --allow-different accepts each, listed as allowed."""
    base, load = TRT84 / "result-FP16.log", TRT84 / "result-loadAndInference.log"
    code, out = _invoke("check", "--baseline", str(base), "--candidate", str(load))
    assert code == 0 and "differs" not in out and "settings not compared" not in out, out
    cand = _edited(load, tmp_path / "idle.log", {"Sleep time": "5ms", "Idle time": "10ms", "ExposeDMA": "Enabled"},
                   "--sleepTime=5 --idleTime=10 --exposeDMA")
    code, out = _invoke("check", "--baseline", str(base), "--candidate", str(cand))
    assert code == 3, out
    for name, b, c in (("sleep_time", "0 ms", "5 ms"), ("idle_time", "0 ms", "10 ms"),
                       ("expose_dma", "disabled", "enabled")):
        assert f"{name} differs (baseline vs candidate): '{b}' vs '{c}'" in out, out
    code, out = _invoke("check", "--baseline", str(base), "--candidate", str(cand), "--allow-different",
                        "sleep_time", "idle_time", "expose_dma")
    assert code == 0, out
    assert "allowed difference: idle_time '0 ms' vs '10 ms' (baseline vs candidate)" in out


def test_values_from_options_command_lines_and_old_dumps(tmp_path: Path) -> None:
    """The option line first, else the command line (a flag absent: trtexec's default), else a whole dump of a
    trtexec older than the option (its default), else unknown."""
    r01 = trtinspect.load(H100 / "result-01.log")
    assert {n: run_settings.valued(r01, n) for n in run_settings.VALUED} == {
        "sleep_time": "0 ms", "idle_time": "0 ms", "persistent_cache_ratio": "0", "optimization_profile": "0",
        "weight_streaming": "off"}   # 'Weight Streaming Budget: 100.000000%': every weight stays on the GPU
    # the command line alone: the option lines removed
    src = (H100 / "result-01.log").read_text().splitlines()
    keys = ("Sleep time:", "Idle time:", "Persistent Cache Ratio:", "Optimization Profile Index:",
            "Weight Streaming Budget:", "ExposeDMA:")
    bare = [ln for ln in src if not any(f"[I] {k}" in ln for k in keys)]
    for flags, name, want in (("", "weight_streaming", "off"), ("--weightStreamingBudget=-1", "weight_streaming",
                              "automatic"), ("--weightStreamingBudget=512M", "weight_streaming", "536870912 bytes"),
                              ("--weightStreamingBudget=-2", "weight_streaming", "off"),
                              ("--idleTime=2.5", "idle_time", "2.5 ms"), ("", "optimization_profile", "0")):
        path = tmp_path / "bare.log"
        path.write_text("\n".join(f"{ln} {flags}" if ln.startswith("&&&& ") else ln for ln in bare) + "\n")
        assert run_settings.valued(trtinspect.load(path), name) == want, (flags, name)
    # TREx metadata of an 8.x run: no command line, a dump without the 8.5+/10.0 lines -> trtexec's defaults
    trex = trtinspect.load(A100 / "fp16")
    assert "Persistent Cache Ratio" not in trex.inference_options and trex.trt_version is None
    assert run_settings.valued(trex, "persistent_cache_ratio") == "0"
    assert run_settings.valued(trex, "weight_streaming") == "off" and run_settings.expose_dma(trex) is False
    # a summary excerpt with neither options nor command line: unknown
    excerpt = trtinspect.load(REPO / "tests" / "data" / "external" / "quoted" / "trt10-multipercentile.issue4177.log")
    assert run_settings.valued(excerpt, "sleep_time") is None and run_settings.expose_dma(excerpt) is None


def _bare_fp16(tmp_path: Path) -> Path:
    """The real A100 fp16 bundle without its TREx profile metadata: the --exportTimes, --exportProfile and layer
    JSON (and the device JSON) of a run whose log and inference options are not there."""
    folder = tmp_path / "fp16-no-log"
    folder.mkdir()
    for f in (A100 / "fp16").iterdir():
        if not f.name.endswith(".profile.metadata.json") and not f.name.endswith(".build.metadata.json"):
            shutil.copy(f, folder / f.name)
    return folder


def test_settings_unknown_on_one_side_are_named_in_one_note(tmp_path: Path) -> None:
    """Defect 2: an exportTimes/exportProfile bundle without a log vs a TREx bundle with its inference options
    compared nothing of the run settings and said nothing; now one note names every field not compared."""
    bare = _bare_fp16(tmp_path)
    code, out = _invoke("check", "--baseline", str(bare), "--candidate", "sample:resnet18-a100/qat", "--json", "-")
    notes = [n for n in json.loads(out[out.index("{"):])["notes"] if n.startswith("settings not compared")]
    assert notes == [
        "settings not compared (a difference in them would go unseen): unknown for the baseline (its files record "
        "no trtexec inference options or command line): input_shapes, cuda_graph, spin_wait, streams, threads, "
        "data_transfers, profiling, expose_dma, sleep_time, idle_time, persistent_cache_ratio, "
        "optimization_profile, weight_streaming"], out
    code, out = _invoke("check", "--baseline", "sample:resnet18-a100/qat", "--candidate", str(bare))
    assert "note: settings not compared (a difference in them would go unseen): unknown for the candidate" in out
    code, out = _invoke("check", "--baseline", "sample:resnet18-a100/fp16", "--candidate", "sample:resnet18-a100/qat")
    assert code in (0, 1) and "settings not compared" not in out, out


@pytest.mark.parametrize(("text", "version", "want"), [
    ("Disabled", "10.0.0", "off"), ("100.000000%", "10.16.1", "off"), ("Automatic", None, "automatic"),
    ("25.500000%", None, "25.5%"), ("1073741824 bytes", None, "1073741824 bytes"), ("0", "10.0.0", "off"),
    ("0", "10.16.1", "0 bytes"), ("2G", None, "2147483648 bytes"), ("lots", None, None)])
def test_weight_streaming_budget_forms(text: str, version: str | None, want: str | None) -> None:
    """trtexec prints 'Disabled' (10.0's default), '100.000000%' (10.1+'s default: every streamable weight stays
    on the GPU, as when disabled), 'Automatic', 'P%' or 'N bytes'; the flag takes -2/-1/P%/N[BKMG] (0 meant
    disabled in 10.0 only)."""
    assert run_settings.VALUED["weight_streaming"].read(text, version) == want

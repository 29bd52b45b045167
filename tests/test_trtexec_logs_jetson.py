"""Public trtexec output of TensorRT 10.x on Jetson Thor / Orin, and a 10.16.0 run under Nsight Systems.

The logs are real (``tests/data/external/PROVENANCE.md``). Every figure they print is checked against the report
by ``tests/test_trtexec_logs_public.py`` (their ``Case`` rows); the tests here pin what those logs cannot tell and
how the tool says so: the Thor and AGX Orin excerpts print no GPU Compute Time, the Orin NX excerpt is cut before
its summary, and a log written under ``nsys profile`` carries Nsight Systems' own lines after trtexec's.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from conftest import DATA

from trtinspect.cli import main
from trtinspect.parsers import run_settings
from trtinspect.parsers.bundle import load

EXT = DATA / "external"
QUOTED = EXT / "quoted"
THOR = QUOTED / "thor-trt10.13-summary.foundationstereo208.log"
AGX_ORIN = QUOTED / "agx-orin-summary.igev-yolo8-8.log"
ORIN_NX = QUOTED / "orin-nx-trt10.3-cudagraph-header.foundationstereo90.log"
NSYS = EXT / "trt10.16.0-rtx6000ada-nsys" / "result-02.log"


def _main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _report_json(path: object) -> dict[str, Any]:
    code, out, err = _main(["report", str(path), "--format", "json"])
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def test_thor_and_orin_excerpts_report_no_gpu_compute_time() -> None:
    """The excerpts print Throughput and Latency (Thor) / Latency and Enqueue Time (AGX Orin) only: the report
    gives those figures and no GPU compute figure, H2D or D2H (none was printed; Latency includes the copies)."""
    for path in (THOR, AGX_ORIN):
        timing = _report_json(path)["timing"]
        assert timing["source"] == "summary"
        for key in ("compute_ms", "h2d_ms", "d2h_ms"):
            assert all(timing[key][s] is None for s in ("min", "max", "mean", "median", "p99")), (path, key)
            assert timing[key]["percentiles"] == {}
        assert timing["total_gpu_compute_s"] is None and timing["total_host_walltime_s"] is None
    assert _report_json(THOR)["timing"]["latency_ms"]["percentiles"] == {"p90": 664.195, "p95": 666.219,
                                                                        "p99": 684.747}


def test_check_says_which_lines_the_jetson_excerpts_print() -> None:
    """check compares GPU compute medians: both excerpts are refused in one line naming what they do print."""
    code, out, err = _main(["check", "--baseline", str(AGX_ORIN), "--candidate", str(THOR)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "prints Throughput, Latency, Enqueue Time but no GPU Compute Time" in err and AGX_ORIN.name in err
    code, out, err = _main(["check", "--baseline", str(THOR), "--candidate", str(AGX_ORIN)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "prints Throughput, Latency but no GPU Compute Time" in err and "Traceback" not in err


def test_orin_nx_trt10_3_cuda_graph_run_cut_before_its_summary() -> None:
    """TensorRT 10.3.0 on a Jetson Orin NX, `--loadEngine --useCudaGraph`, cut after the 'Spin-wait' option: the
    version and the run settings are read (CUDA graph from the command line, as the 'CUDA Graph' option line is
    past the cut; spin-wait and data transfers as printed), the report says the log is cut and gives no timing,
    and check says it holds no timing data."""
    bundle = load(ORIN_NX)
    text = ORIN_NX.read_text()
    assert "CUDA Graph:" not in text and "--useCudaGraph" in text.splitlines()[0]
    assert run_settings.cuda_graph(bundle) is True
    assert run_settings.spin_wait(bundle) is False
    assert run_settings.transfers(bundle) is True
    report = _report_json(ORIN_NX)
    assert report["trt_version"] == "10.3.0" and report["timing"]["source"] is None
    assert any("ends before trtexec's final '&&&& PASSED/FAILED' line" in n for n in report["notes"])
    code, out, err = _main(["check", "--baseline", str(ORIN_NX), "--candidate", str(THOR)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "holds no timing data" in err and ORIN_NX.name in err


def test_log_written_under_nsys_profile() -> None:
    """`nsys profile ... trtexec --loadEngine=... > result-02.log 2>&1`: Nsight Systems' lines after '&&&& PASSED'
    (its progress bar redrawn with carriage returns, 'Generated: .../LoadAndRun.nsys-rep') are not trtexec's:
    the run reads as complete, with trtexec's own two [W] lines as its only warnings."""
    raw = NSYS.read_bytes()
    tail = raw[raw.index(b"&&&& PASSED TensorRT.trtexec [TensorRT v101600]"):]
    assert b"\r[1/1] [" in tail and tail.endswith(b"/LoadAndRun.nsys-rep\n")
    report = _report_json(NSYS)
    assert report["notes"] == ["no layer information in these files"]
    assert [w["kind"] for w in report["warnings"]] == ["other", "unstable_compute"]
    assert "coefficient of variance = 79.8994%" in report["warnings"][1]["message"]
    assert not any("nsys" in w["message"] or "Generat" in w["message"] for w in report["warnings"])
    assert report["trt_version"] == "10.16.0"
    assert report["device"]["name"] == "NVIDIA RTX 6000 Ada Generation"

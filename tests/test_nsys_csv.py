"""`nsys stats --format csv` reports, old and new column names, with and without preamble lines.

The CSV texts below are written in the layouts nsys prints (2021-era ``gpukernsum``/``gputrace``/``nvtxsum``
and 2023+ ``cuda_gpu_kern_sum``/``cuda_gpu_trace``/``nvtx_sum``...); expected values are computed from those
texts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trtinspect.errors import TrtInspectError
from trtinspect.parsers.nsys.stats_csv import read_nsys_stats_csv

NEW_KERN = """Time (%),Total Time (ns),Instances,Avg (ns),Med (ns),Min (ns),Max (ns),StdDev (ns),Name
55.2,1234567,100,12345.7,12000.0,11000,15000,900.5,"void conv_kernel<float, 3>(int, float const*)"
44.8,1000000,50,20000.0,20000.0,19000,21000,100.0,sm80_xmma_gemm
"""
OLD_KERN_STDOUT = """Generating SQLite file report1.sqlite from report1.qdrep
Exporting 1234 events: [=================================================100%]
Processing [report1.sqlite] with [/opt/nvidia/nsight-systems/2021.3.1/host-linux-x64/reports/gpukernsum.py]...

Time(%),Total Time (ns),Instances,Average,Minimum,Maximum,StdDev,Name
100.0,5000,2,2500.0,2000,3000,707.1,add_one
"""
NVTX_SUM = """Time (%),Total Time (ns),Instances,Avg (ns),Med (ns),Min (ns),Max (ns),StdDev (ns),Style,Range
95.0,3481709,1,3481709.0,3481709.0,3481709,3481709,0.0,PushPop,Profile_Loop
5.0,182472,1,182472.0,182472.0,182472,182472,0.0,PushPop,"Warmup, with comma"
"""
OLD_NVTX = """Time(%),Total Time (ns),Instances,Average,Minimum,Maximum,StdDev,Range
60.0,600,3,200.0,100,300,100.0,layer A
40.0,400,1,400.0,400,400,0.0,layer B
"""
GPU_TRACE_US = """ ** CUDA GPU Trace (cuda_gpu_trace):
Start (us),Duration (us),CorrId,GrdX,GrdY,GrdZ,BlkX,BlkY,BlkZ,Reg/Trd,StcSMem (MB),DymSMem (MB),Bytes (MB),Throughput (MBps),SrcMemKd,DstMemKd,Device,Ctx,GreenCtx,Strm,Name
339231.173,0.864,124,,,,,,,,,,0.004,4740.741,Pageable,Device,NVIDIA GeForce RTX 3060 (0),1,,13,[CUDA memcpy Host-to-Device]
339316.740,1.440,129,1,1,1,256,1,1,16,0.000,0.000,,,,,NVIDIA GeForce RTX 3060 (0),1,,13,"add_one(const float *, float *, int)"
"""  # noqa: E501
MEM_TIME = """Time (%),Total Time (ns),Count,Avg (ns),Med (ns),Min (ns),Max (ns),StdDev (ns),Operation
90.0,9000,3,3000.0,3000.0,2000,4000,1000.0,[CUDA memcpy Host-to-Device]
10.0,1000,1,1000.0,1000.0,1000,1000,0.0,[CUDA memcpy Device-to-Host]
"""
PROJ_TRACE = """Name,Projected Start (ns),Projected Duration (ns),Orig Start (ns),Orig Duration (ns),Style,PID,TID,NumGPUOps,Lvl,NumChild,RangeId,ParentId,RangeStack
ExecutionContext::enqueueV3,1000,5000,900,300,PushPop,4000,4000,55,0,37,1,,:1
conv1,1100,700,950,20,PushPop,4000,4000,2,1,0,2,1,:1:2
"""  # noqa: E501
API_SUM = """Time (%),Total Time (ns),Num Calls,Avg (ns),Med (ns),Min (ns),Max (ns),StdDev (ns),Name
80.0,8000,4,2000.0,2000.0,1000,3000,800.0,cudaLaunchKernel
20.0,2000,1,2000.0,2000.0,2000,2000,0.0,cudaMemcpyAsync
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_new_kernel_summary(tmp_path: Path) -> None:
    report, df = read_nsys_stats_csv(_write(tmp_path, "run_cuda_gpu_kern_sum.csv", NEW_KERN))
    assert report == "cuda_gpu_kern_sum"
    assert df["name"].tolist() == ["void conv_kernel<float, 3>(int, float const*)", "sm80_xmma_gemm"]
    assert df["total_ms"].tolist() == pytest.approx([1234567e-6, 1000000e-6])
    assert df["count"].tolist() == [100, 50]
    assert df["median_ms"].tolist() == pytest.approx([0.012, 0.020])
    assert df["time_pct"].sum() == pytest.approx(100.0)


def test_old_kernel_summary_from_stdout_with_preamble(tmp_path: Path) -> None:
    report, df = read_nsys_stats_csv(_write(tmp_path, "stats.txt", OLD_KERN_STDOUT))
    assert report == "cuda_gpu_kern_sum"  # named by the preamble's gpukernsum.py
    assert df.loc[0, "name"] == "add_one"
    assert (df.loc[0, "avg_ms"], df.loc[0, "min_ms"], df.loc[0, "max_ms"]) == pytest.approx(
        (0.0025, 0.002, 0.003)
    )
    assert "median_ms" not in df  # the old report has no median


def test_nvtx_summaries_old_and_new(tmp_path: Path) -> None:
    report, df = read_nsys_stats_csv(_write(tmp_path, "x_nvtx_sum.csv", NVTX_SUM))
    assert report == "nvtx_sum"
    assert df["name"].tolist() == ["Profile_Loop", "Warmup, with comma"]
    assert df["style"].tolist() == ["PushPop", "PushPop"]
    report, df = read_nsys_stats_csv(_write(tmp_path, "old_nvtxsum.csv", OLD_NVTX))
    assert report == "nvtx_sum"
    assert df.set_index("name")["total_ms"].to_dict() == pytest.approx({"layer A": 6e-4, "layer B": 4e-4})


def test_gpu_trace_in_microseconds(tmp_path: Path) -> None:
    report, df = read_nsys_stats_csv(_write(tmp_path, "trace.csv", GPU_TRACE_US))
    assert report == "cuda_gpu_trace"
    assert df["start_ms"].tolist() == pytest.approx([339.231173, 339.31674])
    assert df["duration_ms"].tolist() == pytest.approx([0.000864, 0.00144])
    assert df["correlation_id"].tolist() == [124, 129]
    assert df["name"].iloc[1] == "add_one(const float *, float *, int)"
    assert df["bytes_mb"].iloc[0] == pytest.approx(0.004)


def test_mem_time_projection_and_api_reports(tmp_path: Path) -> None:
    report, df = read_nsys_stats_csv(_write(tmp_path, "a_cuda_gpu_mem_time_sum.csv", MEM_TIME))
    assert report == "cuda_gpu_mem_time_sum" and df["count"].tolist() == [3, 1]
    report, df = read_nsys_stats_csv(_write(tmp_path, "projection.csv", PROJ_TRACE))
    assert report == "nvtx_gpu_proj_trace"
    assert df["projected_duration_ms"].tolist() == pytest.approx([5e-3, 7e-4])
    assert df["gpu_ops"].tolist() == [55, 2] and df["range_stack"].tolist() == [":1", ":1:2"]
    report, df = read_nsys_stats_csv(_write(tmp_path, "r_cuda_api_sum.csv", API_SUM))
    assert report == "cuda_api_sum" and df["count"].sum() == 5


def test_bad_csv_inputs(tmp_path: Path) -> None:
    for name, data in (
        ("empty.csv", b""),
        ("words.csv", b"just some words\nand more\n"),
        ("binary.csv", bytes(range(256)) * 4),
    ):
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(TrtInspectError) as info:
            read_nsys_stats_csv(p)
        assert str(p) in str(info.value) and "\n" not in str(info.value)


def test_cli_accepts_stats_csv_and_names_each_report(tmp_path: Path) -> None:
    """`trtinspect report` on nsys stats CSV files (issue 16): no 'not a trtexec log'; each file's report named."""
    from click.testing import CliRunner

    from trtinspect.cli import cli
    from trtinspect.parsers.sniff import detect_kind

    files = [
        _write(tmp_path, "run_cuda_gpu_kern_sum.csv", NEW_KERN),
        _write(tmp_path, "stdout.txt", OLD_KERN_STDOUT),
        _write(tmp_path, "x_nvtx_sum.csv", NVTX_SUM),
        _write(tmp_path, "mem.csv", MEM_TIME),
    ]
    assert {detect_kind(f) for f in files} == {"nsys_stats_csv"}
    res = CliRunner().invoke(cli, ["report", *map(str, files)])
    assert res.exit_code == 0, res.output
    assert "not a trtexec log" not in res.output
    for f, report in zip(files, ["cuda_gpu_kern_sum", "cuda_gpu_kern_sum", "nvtx_sum", "cuda_gpu_mem_time_sum"],
                         strict=True):
        assert f"{f.name}: nsys stats report {report}" in res.output
    js = CliRunner().invoke(cli, ["report", str(files[2]), "--format", "json"])
    import json

    data = json.loads(js.output)
    assert data["nsys_csv"][0]["report"] == "nvtx_sum"
    assert data["nsys_csv"][0]["rows"][1]["name"] == "Warmup, with comma"


def test_check_and_diff_refuse_stats_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """nsys stats CSV reports hold no TensorRT engine: check and diff exit 2 with one line."""
    from trtinspect.cli import main

    f = str(_write(tmp_path, "run_cuda_gpu_kern_sum.csv", NEW_KERN))
    for argv in (["diff", f, f], ["check", "--baseline", f, "--candidate", f]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        err = capsys.readouterr().err
        assert info.value.code == 2 and "no TensorRT activity" in err and err.count("\n") == 1, err

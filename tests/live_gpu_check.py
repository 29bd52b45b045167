"""Live GPU check (run by hand on a GPU machine; not collected by pytest, needs no TensorRT).

Exercises the real code paths that do not need TensorRT:

1. ``trtinspect.capture.gpu_state`` through the real ``pynvml`` (nvidia-ml-py): snapshots and drift warnings.
2. ``trtinspect.capture.nvtx_ranges`` through the real ``nvtx`` package.
3. ``trtinspect.capture.cuda_timing`` through the real ``cuda.bindings.runtime``: cudaMalloc, pinned host memory
   (cudaHostRegister), H2D/D2H cudaMemcpyAsync and the five-event per-iteration timing. TensorRT's
   ``execute_async_v3`` is replaced by a torch matmul enqueued on the same stream (``TorchMatmulContext``);
   its time is checked against torch's own CUDA-event timing of the same matmul.
4. ``trtinspect.parsers.bundle_writer``: writes the measured iterations as ``X.engine.timing.json`` + metadata.

Usage::

    PYTHONPATH=src python3 tests/live_gpu_check.py OUT_DIR [--iterations N] [--ncu-mode]

``--ncu-mode`` runs 3 iterations plus one kernel outside every NVTX range, for
``ncu --nvtx --nvtx-include "trtinspect@compute/"`` to show the ranges reach a real NVTX consumer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any


class TorchMatmulContext:
    """Stands in for a TensorRT execution context: enqueues an n x n fp16 matmul on the given stream."""

    def __init__(self, n: int) -> None:
        import torch

        self.torch = torch
        self.a = torch.randn(n, n, device="cuda", dtype=torch.float16)
        self.b = torch.randn(n, n, device="cuda", dtype=torch.float16)
        self.out = torch.empty(n, n, device="cuda", dtype=torch.float16)

    def execute_async_v3(self, stream: int) -> bool:
        s = self.torch.cuda.ExternalStream(stream)
        with self.torch.cuda.stream(s):
            self.torch.matmul(self.a, self.b, out=self.out)
        return True


def torch_matmul_ms(ctx: TorchMatmulContext, reps: int = 50) -> float:
    torch = ctx.torch
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record()
        torch.matmul(ctx.a, ctx.b, out=ctx.out)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--ncu-mode", action="store_true")
    args = ap.parse_args(argv)

    import numpy as np
    import torch
    from cuda.bindings import runtime as cudart

    from trtinspect import bundle_writer, cuda_timing, gpu_state, nvtx_ranges

    ranges = nvtx_ranges.default_ranges()
    report: dict[str, Any] = {"nvtx_enabled": ranges.enabled}
    import nvtx
    import pynvml

    report["versions"] = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "nvtx": getattr(nvtx, "__version__", "?"),
        "nvidia-ml-py": getattr(pynvml, "__version__", "?"),
    }
    try:
        from importlib.metadata import version

        report["versions"]["cuda-bindings"] = version("cuda-bindings")
    except Exception as exc:  # best effort: the version is only reported
        report["versions"]["cuda-bindings"] = f"unknown ({exc})"

    cuda_timing.check(cudart, cudart.cudaSetDevice(0), "cudaSetDevice")
    device = cuda_timing.device_info(cudart, 0)
    report["device"] = device
    before = gpu_state.read_gpu_state(pci_bus_id=device.get("PCI Bus Id"))

    if args.ncu_mode:
        torch.zeros(1 << 20, device="cuda").add_(1.0)  # a kernel outside every trtinspect range
        torch.cuda.synchronize()
        iterations, n = 3, 1024
    else:
        iterations, n = args.iterations, 4096

    ctx = TorchMatmulContext(n)
    buffers = cuda_timing.Buffers(cudart)
    notes: list[str] = []
    in_bytes, out_bytes = 64 * 1024**2, 16 * 1024**2
    buffers.add("input", np.random.default_rng(0).integers(0, 255, in_bytes, dtype=np.uint8), notes)
    buffers.add("output", np.zeros(out_bytes, dtype=np.uint8), notes)
    runner = cuda_timing.Runner(cudart, ctx, buffers, ["input"], ["output"], True, ranges)
    try:
        with ranges.range("warmup"):
            ref = runner.start_clock()
            for _ in range(10):
                runner.timed_iteration(ref)
        start = gpu_state.read_gpu_state(pci_bus_id=device.get("PCI Bus Id"))
        timings = []
        with ranges.range("timing"):
            host_ref = runner.start_clock()
            for i in cuda_timing.iterations(iterations, None):
                with ranges.range(f"timing iteration {i}"):
                    timings.append(runner.timed_iteration(host_ref))
            wall_s = time.perf_counter() - host_ref
        end = gpu_state.read_gpu_state(pci_bus_id=device.get("PCI Bus Id"))
        # copy back and check the bytes really went through the GPU
        out_check = np.zeros(in_bytes, dtype=np.uint8)
        cuda_timing.check(
            cudart,
            cudart.cudaMemcpy(
                int(out_check.ctypes.data),
                buffers.device["input"],
                in_bytes,
                cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost,
            ),
            "cudaMemcpy",
        )
        report["h2d_roundtrip_bytes_equal"] = bool(np.array_equal(out_check, buffers.host["input"]))
    finally:
        runner.close()
        buffers.free()

    report["pinned"] = not notes
    report["notes"] = notes
    report["iterations"] = len(timings)
    med = {
        k: statistics.median(getattr(t, k) for t in timings)
        for k in ("h2d_ms", "compute_ms", "d2h_ms", "latency_ms", "enqueue_ms")
    }
    report["median_ms"] = med
    report["h2d_GBps"] = in_bytes / (med["h2d_ms"] / 1000) / 1e9
    report["d2h_GBps"] = out_bytes / (med["d2h_ms"] / 1000) / 1e9
    if not args.ncu_mode:
        report["torch_event_matmul_ms"] = torch_matmul_ms(ctx)
        report["compute_over_torch_ratio"] = med["compute_ms"] / report["torch_event_matmul_ms"]
    report["gpu_state"] = {"before": before.to_dict(), "start": start.to_dict(), "end": end.to_dict()}
    report["drift_warnings"] = gpu_state.drift_warnings(start, end)
    paths = bundle_writer.write_bundle(
        args.out,
        "live-matmul",
        iterations=timings,
        overwrite=True,
        metadata={
            "performance_summary": bundle_writer.performance_summary(timings, wall_s),
            "device_information": device,
            "gpu_state": {**report["gpu_state"], "warnings": report["drift_warnings"]},
            "trtinspect": {
                "tool": "tests/live_gpu_check.py",
                "note": "compute = torch fp16 matmul standing in for TensorRT",
            },
        },
    )
    report["written"] = [str(p) for p in paths.files.values()]
    print(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

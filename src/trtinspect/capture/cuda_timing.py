"""CUDA plumbing for live profiling, through cuda-python (``cuda.bindings.runtime``): no TensorRT here.

Buffers (host memory pinned with ``cudaHostRegister`` when possible, device memory from ``cudaMalloc``), one
stream, and five reusable CUDA events per iteration: H2D start, H2D end = compute start, compute end = D2H
start, D2H end, and a reference event recorded once at the start of a run so every iteration's times are ms
from that start. The TensorRT execution context is passed in; ``trtinspect.capture.trt_backend`` owns TensorRT.
``cudart`` is always injected by the caller (the real module or the test double).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from trtinspect.capture.nvtx_ranges import NvtxRanges
from trtinspect.errors import TrtInspectError
from trtinspect.parsers.bundle_writer import IterationTiming

log = logging.getLogger(__name__)

# TensorRT DataType name -> (how to fill it with random data, bits per element). Declared as data.
# fill kinds: "float" uniform [-1, 1]; "bf16" uniform [-1, 1] rounded to bfloat16; "int" uniform [-128, 127];
# "uint" [0, 255]; "bool" {0, 1}; "zeros" (FP8/INT4/FP4/E8M0: random bit patterns could be NaN).
DTYPES: dict[str, tuple[str, str, int]] = {
    "FLOAT": ("float", "float32", 32),
    "HALF": ("float", "float16", 16),
    "BF16": ("bf16", "uint16", 16),
    "INT8": ("int", "int8", 8),
    "INT32": ("int", "int32", 32),
    "INT64": ("int", "int64", 64),
    "UINT8": ("uint", "uint8", 8),
    "BOOL": ("bool", "uint8", 8),
    "FP8": ("zeros", "uint8", 8),
    "INT4": ("zeros", "uint8", 4),
    "FP4": ("zeros", "uint8", 4),
    "E8M0": ("zeros", "uint8", 8),
}


def error_code(err: Any) -> int:
    """The integer of a ``cudaError_t`` (an enum in cuda-python, an int elsewhere)."""
    value: Any = getattr(err, "value", err)
    return int(value)


def handle(obj: Any) -> int:
    """A CUDA handle (stream, pointer) as the int TensorRT takes: cuda-python objects convert with int()."""
    try:
        return int(obj)
    except TypeError:
        return int(obj.getPtr())


def check(cudart: Any, result: Any, what: str) -> Any:
    """Check a cuda-python call's ``(err, *values)`` result; raise with the CUDA error name on failure."""
    err, values = (result[0], result[1:]) if isinstance(result, tuple) else (result, ())
    code = error_code(err)
    if code != 0:
        try:
            name = cudart.cudaGetErrorName(err)[1]
            name = name.decode() if isinstance(name, bytes) else str(name)
        except Exception:  # the error-name lookup is best effort; the code is still reported
            name = f"error {code}"
        raise TrtInspectError(
            f"CUDA call {what} failed: {name}",
            hint="check the GPU with `nvidia-smi`; re-run with -vv for TensorRT's log",
        )
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def fill_input(
    dtype: str, count: int, nbytes: int, data: str, rng: np.random.Generator
) -> tuple[np.ndarray, str | None]:
    """Host bytes for one input; returns (uint8 array, note or None)."""
    kind, np_dtype, _bits = DTYPES.get(dtype, ("zeros", "uint8", 8))
    buf = np.zeros(nbytes, dtype=np.uint8)
    note = None
    if data == "zeros" or count == 0:
        return buf, None
    if kind == "float":
        vals = rng.uniform(-1.0, 1.0, count).astype(np_dtype)
    elif kind == "bf16":
        vals = (rng.uniform(-1.0, 1.0, count).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    elif kind == "int":
        vals = rng.integers(-128, 128, count).astype(np_dtype)
    elif kind == "uint":
        vals = rng.integers(0, 256, count).astype(np_dtype)
    elif kind == "bool":
        vals = rng.integers(0, 2, count).astype(np_dtype)
    else:
        return buf, f"{dtype} inputs are filled with zeros (random bit patterns could be NaN)"
    raw = vals.view(np.uint8)
    buf[: raw.size] = raw
    return buf, note


class Buffers:
    """Host (pinned when possible) and device buffers for every IO tensor; freed by :meth:`free`."""

    def __init__(self, cudart: Any) -> None:
        self.cudart = cudart
        self.host: dict[str, np.ndarray] = {}
        self.device: dict[str, int] = {}
        self.registered: list[int] = []

    def add(self, name: str, host: np.ndarray, notes: list[str]) -> None:
        c = self.cudart
        self.host[name] = host
        self.device[name] = int(check(c, c.cudaMalloc(max(host.nbytes, 256)), f"cudaMalloc({name})"))
        ptr = int(host.ctypes.data)
        if host.nbytes and error_code(c.cudaHostRegister(ptr, host.nbytes, 0)[0]) == 0:
            self.registered.append(ptr)
        elif host.nbytes:
            notes.append(f"host buffer of '{name}' could not be pinned; H2D/D2H use pageable memory")

    def free(self) -> None:
        c = self.cudart
        for ptr in self.registered:
            c.cudaHostUnregister(ptr)
        for dptr in self.device.values():
            c.cudaFree(dptr)
        self.registered.clear()
        self.device.clear()


class Runner:
    """Runs iterations on one stream with four reusable CUDA events and a reference event."""

    def __init__(
        self,
        cudart: Any,
        context: Any,
        buffers: Buffers,
        inputs: list[str],
        outputs: list[str],
        transfers: bool,
        ranges: NvtxRanges,
    ) -> None:
        self.c, self.ctx, self.buf = cudart, context, buffers
        self.inputs, self.outputs, self.transfers, self.rng = inputs, outputs, transfers, ranges
        c = cudart
        self.stream = check(c, c.cudaStreamCreate(), "cudaStreamCreate")
        self.events = [check(c, c.cudaEventCreate(), "cudaEventCreate") for _ in range(5)]
        self.h2d = c.cudaMemcpyKind.cudaMemcpyHostToDevice
        self.d2h = c.cudaMemcpyKind.cudaMemcpyDeviceToHost

    def close(self) -> None:
        for ev in self.events:
            self.c.cudaEventDestroy(ev)
        self.c.cudaStreamDestroy(self.stream)

    def _enqueue(self) -> tuple[float, float]:
        t0 = time.perf_counter()
        ok = self.ctx.execute_async_v3(handle(self.stream))
        t1 = time.perf_counter()
        if not ok:
            raise TrtInspectError(
                "TensorRT refused to run the engine (execute_async_v3 returned False)",
                hint="re-run with -vv to see TensorRT's log",
            )
        return t0, t1

    def start_clock(self) -> float:
        """Record the reference event; returns the host time matching it."""
        c, ref = self.c, self.events[4]
        check(c, c.cudaEventRecord(ref, self.stream), "cudaEventRecord")
        check(c, c.cudaEventSynchronize(ref), "cudaEventSynchronize")
        return time.perf_counter()

    def timed_iteration(self, host_ref: float) -> IterationTiming:
        c, ev, s = self.c, self.events, self.stream
        with self.rng.range("h2d"):
            check(c, c.cudaEventRecord(ev[0], s), "cudaEventRecord")
            if self.transfers:
                for n in self.inputs:
                    h = self.buf.host[n]
                    check(
                        c,
                        c.cudaMemcpyAsync(self.buf.device[n], int(h.ctypes.data), h.nbytes, self.h2d, s),
                        "cudaMemcpyAsync(H2D)",
                    )
            check(c, c.cudaEventRecord(ev[1], s), "cudaEventRecord")
        with self.rng.range("compute"):
            t0, t1 = self._enqueue()
            check(c, c.cudaEventRecord(ev[2], s), "cudaEventRecord")
        with self.rng.range("d2h"):
            if self.transfers:
                for n in self.outputs:
                    h = self.buf.host[n]
                    check(
                        c,
                        c.cudaMemcpyAsync(int(h.ctypes.data), self.buf.device[n], h.nbytes, self.d2h, s),
                        "cudaMemcpyAsync(D2H)",
                    )
            check(c, c.cudaEventRecord(ev[3], s), "cudaEventRecord")
        check(c, c.cudaEventSynchronize(ev[3]), "cudaEventSynchronize")
        gpu = [float(check(c, c.cudaEventElapsedTime(ev[4], e), "cudaEventElapsedTime")) for e in ev[:4]]
        return IterationTiming(
            enqueue_start_ms=(t0 - host_ref) * 1000.0,
            enqueue_end_ms=(t1 - host_ref) * 1000.0,
            h2d_start_ms=gpu[0],
            h2d_end_ms=gpu[1],
            compute_start_ms=gpu[1],
            compute_end_ms=gpu[2],
            d2h_start_ms=gpu[2],
            d2h_end_ms=gpu[3],
        )

    def plain_iteration(self) -> None:
        self._enqueue()
        check(self.c, self.c.cudaStreamSynchronize(self.stream), "cudaStreamSynchronize")


def iterations(count: int | None, duration_s: float | None) -> Iterator[int]:
    """Yield iteration numbers: ``count`` of them, or until ``duration_s`` has passed (at least one)."""
    start = time.perf_counter()
    i = 0
    while True:
        if count is not None and i >= count:
            return
        if duration_s is not None and i > 0 and time.perf_counter() - start >= duration_s:
            return
        yield i
        i += 1


def device_info(cudart: Any, device: int) -> dict[str, Any]:
    props = check(cudart, cudart.cudaGetDeviceProperties(device), "cudaGetDeviceProperties")
    name = getattr(props, "name", b"")
    name = name.split(b"\0", 1)[0].decode(errors="replace") if isinstance(name, bytes) else str(name)
    info: dict[str, Any] = {
        "Selected Device": name,
        "Compute Capability": float(f"{props.major}.{props.minor}"),
        "SMs": int(props.multiProcessorCount),
        "Device Global Memory": f"{int(props.totalGlobalMem) // 1024**2} MiB",
    }
    try:
        bus = check(cudart, cudart.cudaDeviceGetPCIBusId(64, device), "cudaDeviceGetPCIBusId")
        info["PCI Bus Id"] = bus.split(b"\0", 1)[0].decode() if isinstance(bus, bytes) else str(bus)
    except TrtInspectError as exc:
        log.debug("no PCI bus id: %s", exc)
    return info


def gpu_visible(cudart: Any) -> bool:
    """False when cudaGetDeviceCount fails (no driver, no device) instead of raising a CUDA error."""
    result = cudart.cudaGetDeviceCount()
    err = result[0] if isinstance(result, tuple) else result
    return error_code(err) == 0

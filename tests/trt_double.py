"""TEST DOUBLE — not TensorRT.

A small stand-in for the few TensorRT, cuda-python and NVML calls that ``trtinspect.capture.trt_backend`` and
``trtinspect.capture.gpu_state`` make, so the tests check OUR logic (shape selection, iteration accounting, per-layer
accumulation, bundle files, error paths) on machines without TensorRT or a GPU. It runs no kernels and
measures nothing: its "GPU" is a counter that advances by the layer times written in the fake engine file.

Injected explicitly: ``profile_engine(path, trt=FakeTensorRT(...), cudart=FakeCudaRuntime(...))`` or
``trt_backend.use_backends(...)``; ``sys.modules`` is never touched.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAGIC = b"\x00\x01TRTINSPECT-TEST-DOUBLE-PLAN\x00"  # binary on purpose: a real plan is binary too
DOUBLE_VERSION = "0.0.0-test-double"


def write_fake_engine(path: Path, spec: dict[str, Any], *, version: str = DOUBLE_VERSION) -> Path:
    """Write a fake "engine" file the double deserializes. ``spec`` keys: inputs, outputs, layers, graph_json.

    inputs: [{name, shape (-1 = dynamic), dtype, profile: [min, opt, max]}]; outputs: [{name, shape, dtype,
    batch_from: input name whose first dimension replaces -1}]; layers: [{name, ms}]; graph_json: text the
    inspector returns; version: the TensorRT version the fake plan claims to be built with.
    """
    body = json.dumps({**spec, "version": version}).encode()
    path.write_bytes(MAGIC + body)
    return path


class FakeDataType(enum.Enum):
    FLOAT = 0
    HALF = 1
    INT8 = 2
    INT32 = 3
    BOOL = 4
    UINT8 = 5
    FP8 = 6
    BF16 = 7
    INT64 = 8
    INT4 = 9


class FakeTensorIOMode(enum.Enum):
    NONE = 0
    INPUT = 1
    OUTPUT = 2


class FakeLayerInformationFormat(enum.Enum):
    ONELINE = 0
    JSON = 1


class FakeSeverity(enum.Enum):
    INTERNAL_ERROR = 0
    ERROR = 1
    WARNING = 2
    INFO = 3
    VERBOSE = 4


class FakeILogger:
    Severity = FakeSeverity

    def __init__(self) -> None:
        pass

    def log(self, severity: Any, msg: str) -> None:  # overridden by trtinspect's logger
        raise NotImplementedError


class FakeIProfiler:
    def __init__(self) -> None:
        pass

    def report_layer_time(self, layer_name: str, ms: float) -> None:  # overridden by trtinspect's profiler
        raise NotImplementedError


class FakeCudaError(enum.Enum):
    cudaSuccess = 0
    cudaErrorInvalidValue = 1
    cudaErrorMemoryAllocation = 2
    cudaErrorNoDevice = 100


class FakeMemcpyKind(enum.Enum):
    cudaMemcpyHostToDevice = 1
    cudaMemcpyDeviceToHost = 2


@dataclass
class FakeDeviceProps:
    name: bytes = b"Test Double GPU (not real)"
    major: int = 9
    minor: int = 0
    multiProcessorCount: int = 132
    totalGlobalMem: int = 80 * 1024**3


class FakeCudaRuntime:
    """TEST DOUBLE of ``cuda.bindings.runtime``: a simulated GPU clock, no memory, no kernels.

    Copies advance the clock by ``bytes / bytes_per_ms``; the fake engine advances it by its layer times.
    Events read the clock when "recorded". Allocations are tracked so tests can check nothing leaks.
    """

    cudaError_t = FakeCudaError
    cudaMemcpyKind = FakeMemcpyKind

    def __init__(self, *, device_count: int = 1, bytes_per_ms: float = 1.0e7, pin_ok: bool = True) -> None:
        self.device_count = device_count
        self.bytes_per_ms = bytes_per_ms
        self.pin_ok = pin_ok
        self.clock_ms = 0.0
        self.live: dict[int, int] = {}  # device pointer -> size
        self.pinned: set[int] = set()
        self.events: dict[int, float | None] = {}
        self.streams: set[int] = set()
        self.copies: list[tuple[str, int]] = []  # (kind, bytes)
        self._next = 0x10000
        self.current_device: int | None = None

    def advance(self, ms: float) -> None:
        self.clock_ms += ms

    def _handle(self) -> int:
        self._next += 0x100
        return self._next

    def cudaGetDeviceCount(self) -> tuple[Any, ...]:
        if self.device_count == 0:
            return (FakeCudaError.cudaErrorNoDevice, 0)
        return (FakeCudaError.cudaSuccess, self.device_count)

    def cudaGetErrorName(self, err: Any) -> tuple[Any, bytes]:
        return (FakeCudaError.cudaSuccess, err.name.encode())

    def cudaSetDevice(self, device: int) -> tuple[Any]:
        self.current_device = device
        return (FakeCudaError.cudaSuccess,)

    def cudaGetDeviceProperties(self, device: int) -> tuple[Any, FakeDeviceProps]:
        return (FakeCudaError.cudaSuccess, FakeDeviceProps())

    def cudaDeviceGetPCIBusId(self, length: int, device: int) -> tuple[Any, bytes]:
        return (FakeCudaError.cudaSuccess, b"0000:01:00.0\x00\x00")

    def cudaMalloc(self, size: int) -> tuple[Any, int]:
        ptr = self._handle()
        self.live[ptr] = size
        return (FakeCudaError.cudaSuccess, ptr)

    def cudaFree(self, ptr: int) -> tuple[Any]:
        if ptr not in self.live:
            return (FakeCudaError.cudaErrorInvalidValue,)
        del self.live[ptr]
        return (FakeCudaError.cudaSuccess,)

    def cudaHostRegister(self, ptr: int, size: int, flags: int) -> tuple[Any]:
        if not self.pin_ok:
            return (FakeCudaError.cudaErrorInvalidValue,)
        self.pinned.add(ptr)
        return (FakeCudaError.cudaSuccess,)

    def cudaHostUnregister(self, ptr: int) -> tuple[Any]:
        self.pinned.discard(ptr)
        return (FakeCudaError.cudaSuccess,)

    def cudaStreamCreate(self) -> tuple[Any, int]:
        s = self._handle()
        self.streams.add(s)
        return (FakeCudaError.cudaSuccess, s)

    def cudaStreamDestroy(self, s: int) -> tuple[Any]:
        self.streams.discard(s)
        return (FakeCudaError.cudaSuccess,)

    def cudaStreamSynchronize(self, s: int) -> tuple[Any]:
        return (FakeCudaError.cudaSuccess,)

    def cudaEventCreate(self) -> tuple[Any, int]:
        e = self._handle()
        self.events[e] = None
        return (FakeCudaError.cudaSuccess, e)

    def cudaEventDestroy(self, e: int) -> tuple[Any]:
        self.events.pop(e, None)
        return (FakeCudaError.cudaSuccess,)

    def cudaEventRecord(self, e: int, stream: int) -> tuple[Any]:
        self.events[e] = self.clock_ms
        return (FakeCudaError.cudaSuccess,)

    def cudaEventSynchronize(self, e: int) -> tuple[Any]:
        return (FakeCudaError.cudaSuccess,)

    def cudaEventElapsedTime(self, start: int, end: int) -> tuple[Any, float]:
        a, b = self.events.get(start), self.events.get(end)
        if a is None or b is None:
            return (FakeCudaError.cudaErrorInvalidValue, 0.0)
        return (FakeCudaError.cudaSuccess, b - a)

    def cudaMemcpyAsync(self, dst: int, src: int, count: int, kind: Any, stream: int) -> tuple[Any]:
        self.copies.append((kind.name, count))
        self.advance(count / self.bytes_per_ms)
        return (FakeCudaError.cudaSuccess,)


class FakeExecutionContext:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.input_shapes: dict[str, tuple[int, ...]] = {}
        self.addresses: dict[str, int] = {}
        self.profiler: Any = None
        self.enqueue_emits_profile = True
        self.executions: list[bool] = []  # one entry per run: was a profiler attached?

    def set_input_shape(self, name: str, shape: tuple[int, ...]) -> bool:
        spec = self.engine.tensor(name)
        mn, _, mx = spec["profile"] if "profile" in spec else (spec["shape"],) * 3
        if any(s < lo or s > hi for s, lo, hi in zip(shape, mn, mx, strict=False)):
            return False
        self.input_shapes[name] = tuple(shape)
        return True

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        spec = self.engine.tensor(name)
        shape = list(spec["shape"])
        src = spec.get("batch_from")
        if src and shape and shape[0] < 0 and src in self.input_shapes:
            shape[0] = self.input_shapes[src][0]
        return tuple(shape)

    def set_tensor_address(self, name: str, ptr: int) -> bool:
        self.addresses[name] = ptr
        return True

    def layer_ms(self, k: int) -> list[tuple[str, float]]:
        """Layer times of the k-th execution: the spec's ms scaled by 1 + 0.01 * (k % 5)."""
        return [(layer["name"], layer["ms"] * (1.0 + 0.01 * (k % 5))) for layer in self.engine.spec["layers"]]

    def execute_async_v3(self, stream: int) -> bool:
        missing = [
            t["name"]
            for t in self.engine.spec["inputs"] + self.engine.spec["outputs"]
            if t["name"] not in self.addresses
        ]
        if missing:
            return False
        k = len(self.executions)
        self.executions.append(self.profiler is not None)
        for name, ms in self.layer_ms(k):
            self.engine.cudart.advance(ms)
            if self.profiler is not None and self.enqueue_emits_profile:
                self.profiler.report_layer_time(name, ms)
        return True


class FakeInspector:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.execution_context: Any = None

    def get_engine_information(self, fmt: Any) -> str:
        assert fmt is FakeLayerInformationFormat.JSON
        self.engine.inspected_with_context = self.execution_context is not None
        return str(self.engine.spec["graph_json"])


class FakeEngine:
    def __init__(self, spec: dict[str, Any], cudart: FakeCudaRuntime) -> None:
        self.spec = spec
        self.cudart = cudart
        self.contexts: list[FakeExecutionContext] = []
        self.inspected_with_context: bool | None = None
        self._io = [(t, True) for t in spec["inputs"]] + [(t, False) for t in spec["outputs"]]

    def tensor(self, name: str) -> dict[str, Any]:
        return next(t for t, _ in self._io if t["name"] == name)

    @property
    def num_io_tensors(self) -> int:
        return len(self._io)

    @property
    def num_optimization_profiles(self) -> int:
        return 1

    @property
    def num_layers(self) -> int:
        return len(self.spec["layers"])

    def get_tensor_name(self, i: int) -> str:
        return str(self._io[i][0]["name"])

    def get_tensor_mode(self, name: str) -> FakeTensorIOMode:
        is_input = next(inp for t, inp in self._io if t["name"] == name)
        return FakeTensorIOMode.INPUT if is_input else FakeTensorIOMode.OUTPUT

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.tensor(name)["shape"])

    def get_tensor_dtype(self, name: str) -> FakeDataType:
        return FakeDataType[self.tensor(name)["dtype"]]

    def is_shape_inference_io(self, name: str) -> bool:
        return bool(self.tensor(name).get("shape_tensor", False))

    def get_tensor_profile_shape(self, name: str, profile: int) -> list[tuple[int, ...]]:
        spec = self.tensor(name)
        if "profile" not in spec:
            return [tuple(spec["shape"])] * 3
        return [tuple(s) for s in spec["profile"]]

    def create_execution_context(self) -> FakeExecutionContext:
        ctx = FakeExecutionContext(self)
        self.contexts.append(ctx)
        return ctx

    def create_engine_inspector(self) -> FakeInspector:
        return FakeInspector(self)


class FakeRuntime:
    def __init__(self, trt: FakeTensorRT, logger: Any) -> None:
        self.trt = trt
        self.logger = logger

    def deserialize_cuda_engine(self, data: bytes) -> FakeEngine | None:
        if not data.startswith(MAGIC):
            self.logger.log(
                FakeSeverity.ERROR,
                "1: [runtime.cpp::parsePlan::314] Error Code 1: Serialization "
                "(Serialization assertion plan->header.magicTag == rt::kPLAN_MAGIC_TAG failed.)",
            )
            return None
        spec = json.loads(data[len(MAGIC) :])
        if spec["version"] != self.trt.__version__:
            self.logger.log(
                FakeSeverity.ERROR,
                "The engine plan file is not compatible with this version of "
                f"TensorRT, expecting library version {self.trt.__version__} got {spec['version']}, "
                "please rebuild.",
            )
            return None
        engine = FakeEngine(spec, self.trt.cudart)
        self.trt.engines.append(engine)
        return engine


@dataclass
class FakePluginRegistry:
    loaded: list[str] = field(default_factory=list)

    def load_library(self, path: str) -> object:
        self.loaded.append(path)
        return object()


class FakeTensorRT:
    """TEST DOUBLE of the ``tensorrt`` module: the classes and functions trt_backend uses, nothing more."""

    ILogger = FakeILogger
    IProfiler = FakeIProfiler
    DataType = FakeDataType
    TensorIOMode = FakeTensorIOMode
    LayerInformationFormat = FakeLayerInformationFormat

    def __init__(self, cudart: FakeCudaRuntime, *, version: str = DOUBLE_VERSION) -> None:
        self.__version__ = version
        self.cudart = cudart
        self.engines: list[FakeEngine] = []
        self.registry = FakePluginRegistry()
        self.plugins_initialised = False

    def Runtime(self, logger: Any) -> FakeRuntime:
        return FakeRuntime(self, logger)

    def init_libnvinfer_plugins(self, logger: Any, namespace: str) -> bool:
        self.plugins_initialised = True
        return True

    def get_plugin_registry(self) -> FakePluginRegistry:
        return self.registry


class FakeNVMLError(Exception):
    pass


class FakeNvml:
    """TEST DOUBLE of ``pynvml``: returns the readings in ``snapshots`` in turn (one per nvmlInit)."""

    NVMLError = FakeNVMLError
    NVML_CLOCK_SM = 1
    NVML_CLOCK_MEM = 2
    NVML_TEMPERATURE_GPU = 0

    def __init__(
        self, snapshots: list[dict[str, Any]], *, unsupported: tuple[str, ...] = (), init_fails: bool = False
    ) -> None:
        self.snapshots = snapshots
        self.unsupported = set(unsupported)
        self.init_fails = init_fails
        self.reads = -1
        self.open = 0

    def _now(self) -> dict[str, Any]:
        return self.snapshots[min(self.reads, len(self.snapshots) - 1)]

    def _get(self, key: str) -> Any:
        if key in self.unsupported:
            raise FakeNVMLError(f"Not Supported ({key})")
        return self._now()[key]

    def nvmlInit(self) -> None:
        if self.init_fails:
            raise FakeNVMLError("Driver Not Loaded")
        self.reads += 1
        self.open += 1

    def nvmlShutdown(self) -> None:
        self.open -= 1

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        if i != 0:
            raise FakeNVMLError("Invalid Argument")
        return 0

    def nvmlDeviceGetHandleByPciBusId(self, bus: str) -> int:
        return 0

    def nvmlDeviceGetIndex(self, h: int) -> int:
        return 0

    def nvmlDeviceGetName(self, h: int) -> str:
        return str(self._get("name"))

    def nvmlDeviceGetUUID(self, h: int) -> str:
        return "GPU-test-double"

    def nvmlDeviceGetPciInfo(self, h: int) -> Any:
        return type("Pci", (), {"busId": b"00000000:01:00.0"})()

    def nvmlSystemGetDriverVersion(self) -> str:
        return str(self._get("driver"))

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return 13000

    def nvmlDeviceGetClockInfo(self, h: int, kind: int) -> int:
        return int(self._get("sm" if kind == 1 else "mem"))

    def nvmlDeviceGetMaxClockInfo(self, h: int, kind: int) -> int:
        return 1980 if kind == 1 else 2619

    def nvmlDeviceGetApplicationsClock(self, h: int, kind: int) -> int:
        return int(self._get("app_sm"))

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        return int(self._get("power_mw"))

    def nvmlDeviceGetEnforcedPowerLimit(self, h: int) -> int:
        return 700000

    def nvmlDeviceGetTemperature(self, h: int, sensor: int) -> int:
        return int(self._get("temp"))

    def nvmlDeviceGetPerformanceState(self, h: int) -> int:
        return 0

    def nvmlDeviceGetUtilizationRates(self, h: int) -> Any:
        return type("Util", (), {"gpu": 97, "memory": 40})()

    def nvmlDeviceGetCurrentClocksEventReasons(self, h: int) -> int:
        return int(self._get("reasons"))

    def nvmlDeviceGetPersistenceMode(self, h: int) -> int:
        return 1


def nvml_snapshot(**overrides: Any) -> dict[str, Any]:
    """One FakeNvml reading with plausible H100-like values, overridable per field."""
    base = {
        "name": "Test Double GPU (not real)",
        "driver": "580.00.00",
        "sm": 1980,
        "mem": 2619,
        "app_sm": 1755,
        "power_mw": 350000,
        "temp": 45,
        "reasons": 0,
    }
    base.update(overrides)
    return base

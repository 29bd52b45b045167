"""The one module that talks to TensorRT: deserialize, inspect and profile a serialized engine.

``tensorrt`` and ``cuda-python`` (``cuda.bindings.runtime``) are imported lazily, only when a function here
needs them, and any object with the same API can be injected instead: pass ``trt=`` / ``cudart=`` / ``nvml=``
to :func:`profile_engine`, or use :func:`use_backends` (the registry the CLI reads). The test suite injects
a test double (``tests/trt_double.py``), never the real library.

Targets the TensorRT 8.6 through 11 Python API: ``Runtime.deserialize_cuda_engine``, the name-based tensor
API (``num_io_tensors``, ``get_tensor_name/mode/shape/dtype``, ``get_tensor_profile_shape``),
``IExecutionContext.set_input_shape/set_tensor_address/execute_async_v3``, ``create_engine_inspector`` with an
execution context set (so shapes and formats are concrete), and an ``IProfiler`` subclass for per-layer times.

Profiling follows trtexec's ``--separateProfileRun``: warm-up iterations (not recorded), then a timing run
(per iteration H2D / compute / D2H through CUDA events, no profiler attached), then a separate profile run of
the same length with the per-layer profiler attached. NVTX ranges mark every phase. Loading an engine may run
code from plugin libraries: that is an explicit CLI action (``trtinspect profile --plugins``), never done by
the web app.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trtinspect.capture import cuda_timing, gpu_state
from trtinspect.capture.nvtx_ranges import NvtxRanges, default_ranges
from trtinspect.capture.shapes import format_shape
from trtinspect.errors import TrtInspectError
from trtinspect.limits import positive_problem
from trtinspect.parsers import bundle_writer
from trtinspect.parsers._io import looks_binary, read_bytes
from trtinspect.parsers.bundle_writer import BundlePaths, IterationTiming

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

log = logging.getLogger(__name__)

MAX_ENGINE_BYTES = 64 * 1024**3
INSTALL_HINT = (
    "install the TensorRT Python bindings that match the engine (pip install tensorrt==<version>) and "
    "cuda-python (or pip install 'trtinspect[trt]'); without them, run `trtinspect capture` where trtexec is "
    "installed, or export the JSON files with trtexec --exportLayerInfo --exportProfile --exportTimes"
)
DETAILED_HINT = (
    "rebuild the engine with `trtexec --profilingVerbosity=detailed` (Python: "
    "config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED)"
)


# ----------------------------------------------------------------------------------------------------------
# Lazy imports and the injection registry


_OVERRIDES: dict[str, Any] = {}


@contextmanager
def use_backends(*, trt: Any = None, cudart: Any = None, nvml: Any = None) -> Iterator[None]:
    """Make every call in this block use these modules instead of importing tensorrt / cuda / pynvml.

    The explicit registry through which tests put a test double behind the CLI.
    """
    saved = dict(_OVERRIDES)
    for key, value in (("trt", trt), ("cudart", cudart), ("nvml", nvml)):
        if value is not None:
            _OVERRIDES[key] = value
    try:
        yield
    finally:
        _OVERRIDES.clear()
        _OVERRIDES.update(saved)


def tensorrt_available() -> bool:
    """True when a TensorRT module can be used: a registered override, or ``tensorrt`` is importable."""
    import importlib.util

    return "trt" in _OVERRIDES or importlib.util.find_spec("tensorrt") is not None


def import_tensorrt(module: Any = None) -> Any:
    """The ``tensorrt`` module (or ``module`` / the registered override); a clear error when it is missing."""
    if module is not None:
        return module
    if "trt" in _OVERRIDES:
        return _OVERRIDES["trt"]
    try:
        import tensorrt
    except ImportError as exc:
        raise TrtInspectError(
            f"TensorRT's Python bindings (module tensorrt) are not installed ({exc})", hint=INSTALL_HINT
        ) from None
    return tensorrt


def import_cudart(module: Any = None) -> Any:
    """``cuda.bindings.runtime`` (cuda-python >= 12.6) or older ``cuda.cudart``; a clear error if missing."""
    if module is not None:
        return module
    if "cudart" in _OVERRIDES:
        return _OVERRIDES["cudart"]
    try:
        from cuda.bindings import runtime
    except ImportError:
        try:
            from cuda import cudart as runtime
        except ImportError:
            raise TrtInspectError(
                "cuda-python (module cuda.bindings.runtime) is not installed",
                hint="pip install cuda-python (or pip install 'trtinspect[trt]')",
            ) from None
    return runtime


def _nvml_module(module: Any = None) -> Any | None:
    if module is not None:
        return module
    if "nvml" in _OVERRIDES:
        return _OVERRIDES["nvml"]
    try:
        import pynvml
    except ImportError:
        return None
    return pynvml


# ----------------------------------------------------------------------------------------------------------
# Small helpers


def _name(enum_value: Any) -> str:
    """``DataType.HALF`` -> ``HALF`` for pybind11 enums, Python enums and plain strings."""
    name = getattr(enum_value, "name", None)
    return str(name) if name is not None else str(enum_value).rsplit(".", 1)[-1]


def _dims(d: Any) -> tuple[int, ...]:
    return tuple(int(x) for x in d)


# ----------------------------------------------------------------------------------------------------------
# Engine loading


@dataclass
class TensorInfo:
    name: str
    is_input: bool
    engine_shape: tuple[int, ...]  # as the engine declares it; -1 for dynamic dimensions
    dtype: str  # TensorRT DataType name: FLOAT, HALF, INT8, ...
    profile: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None  # min, opt, max
    is_shape_tensor: bool = False

    @property
    def dynamic(self) -> bool:
        return any(d < 0 for d in self.engine_shape)


def _make_logger(trt: Any) -> Any:
    """A ``trt.ILogger`` that keeps every message (for error reports) and forwards to Python logging."""

    class CapturingLogger(trt.ILogger):
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.messages: list[tuple[str, str]] = []

        def log(self, severity: Any, msg: str) -> None:
            sev = _name(severity)
            self.messages.append((sev, msg))
            level = (
                logging.ERROR if "ERROR" in sev else logging.WARNING if sev == "WARNING" else logging.DEBUG
            )
            log.log(level, "TensorRT: %s", msg)

        def errors(self) -> list[str]:
            return [m for s, m in self.messages if "ERROR" in s]

    return CapturingLogger()


def _version_problem(trt: Any, errors: list[str]) -> tuple[str, str]:
    """(problem, hint) for a failed deserialization, naming the versions when TensorRT's log gives them."""
    version = str(getattr(trt, "__version__", "unknown"))
    joined = " | ".join(errors)
    detail = errors[-1].strip()[:300] if errors else "no error message from TensorRT"
    needed = ""
    m = re.search(r"expecting library version\s+(\S+)\s+got\s+([^\s,]+)", joined)
    if m:
        needed = f" (TensorRT reports the engine is version {m.group(2)})"
    else:
        m = re.search(r"Current Version:\s*(\d+),\s*Serialized Engine Version:\s*(\d+)", joined)
        if m:
            needed = f" (serialization tag {m.group(2)}; this TensorRT reads tag {m.group(1)})"
    problem = f"TensorRT {version} could not deserialize this engine: {detail}"
    hint = (
        f"TensorRT engines are locked to the TensorRT version (and GPU) that built them; this one was "
        f"probably built by another TensorRT version{needed}. Run with the TensorRT version that built it "
        f"(pip install tensorrt==<that version>) or rebuild the engine with TensorRT {version}; if it uses "
        f"custom plugins, pass --plugins LIB"
    )
    return problem, hint


class EngineSession:
    """A deserialized engine with its runtime and logger, ready to inspect or profile.

    Construct with :meth:`load`. Holds references so TensorRT objects outlive their users.
    """

    def __init__(self, path: Path, trt: Any, runtime: Any, engine: Any, logger: Any) -> None:
        self.path = path
        self.trt = trt
        self.runtime = runtime
        self.engine = engine
        self.logger = logger

    @property
    def trt_version(self) -> str:
        return str(getattr(self.trt, "__version__", "unknown"))

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        trt: Any = None,
        plugins: tuple[str | Path, ...] = (),
        ranges: NvtxRanges | None = None,
    ) -> EngineSession:
        """Read and deserialize ``path``. Loads TensorRT's own plugins and each ``plugins`` library first."""
        t = import_tensorrt(trt)
        rng = ranges or default_ranges()
        p = Path(path)
        data = read_bytes(p, what="a serialized TensorRT engine", max_bytes=MAX_ENGINE_BYTES)
        if not looks_binary(data):
            raise TrtInspectError(
                "this is a text file, not a serialized TensorRT engine",
                path=p,
                hint="pass JSON exports or logs to `trtinspect report`, engines to `profile`",
            )
        logger = _make_logger(t)
        init_plugins = getattr(t, "init_libnvinfer_plugins", None)
        if init_plugins is not None:
            init_plugins(logger, "")
        for lib in plugins:
            load_plugin_library(t, lib)
        with rng.range("deserialize"):
            runtime = t.Runtime(logger)
            engine = runtime.deserialize_cuda_engine(data)
        if engine is None:
            problem, hint = _version_problem(t, logger.errors())
            raise TrtInspectError(problem, path=p, hint=hint)
        return cls(p, t, runtime, engine, logger)

    def io_tensors(self) -> list[TensorInfo]:
        """Every input and output tensor with its dtype and, for inputs, optimisation profile 0's shapes."""
        e = self.engine
        out: list[TensorInfo] = []
        for i in range(int(e.num_io_tensors)):
            name = e.get_tensor_name(i)
            is_input = _name(e.get_tensor_mode(name)) == "INPUT"
            info = TensorInfo(
                name=name,
                is_input=is_input,
                engine_shape=_dims(e.get_tensor_shape(name)),
                dtype=_name(e.get_tensor_dtype(name)),
            )
            shape_io = getattr(e, "is_shape_inference_io", None)
            info.is_shape_tensor = bool(shape_io(name)) if shape_io is not None and is_input else False
            if is_input and int(getattr(e, "num_optimization_profiles", 0)) > 0 and not info.is_shape_tensor:
                mn, opt, mx = e.get_tensor_profile_shape(name, 0)
                info.profile = (_dims(mn), _dims(opt), _dims(mx))
            out.append(info)
        return out


def load_plugin_library(trt: Any, lib: str | Path) -> None:
    """Load a plugin library (runs its code): the registry's ``load_library`` where it exists, else dlopen."""
    p = Path(lib)
    if not p.is_file():
        raise TrtInspectError("plugin library not found", path=p, hint="pass the path of the plugin .so file")
    registry = trt.get_plugin_registry() if hasattr(trt, "get_plugin_registry") else None
    loader = getattr(registry, "load_library", None)
    try:
        if loader is not None:
            handle = loader(str(p))
            if handle is None:
                raise OSError("TensorRT's plugin registry refused the library")
        else:
            ctypes.CDLL(str(p))
    except OSError as exc:
        raise TrtInspectError(
            f"cannot load plugin library: {exc}",
            path=p,
            hint="check it was built for this TensorRT and CUDA version",
        ) from None
    log.info("loaded plugin library %s", p)


def select_shapes(
    inputs: list[TensorInfo], requested: Mapping[str, tuple[int, ...]]
) -> dict[str, tuple[int, ...]]:
    """Each input's run shape: ``requested`` (checked against the profile), else profile 0's opt shape."""
    names = [t.name for t in inputs]
    unknown = sorted(set(requested) - set(names))
    if unknown:
        raise TrtInspectError(
            f"--shapes names {', '.join(unknown)}, which the engine has no input called",
            hint=f"the engine's inputs are: {', '.join(names) or 'none'}",
        )
    chosen: dict[str, tuple[int, ...]] = {}
    for t in inputs:
        if t.is_shape_tensor:
            raise TrtInspectError(
                f"input '{t.name}' is a shape tensor, which `trtinspect profile` does not feed",
                hint="profile this engine with `trtinspect capture ENGINE` (trtexec) instead",
            )
        want = requested.get(t.name)
        if want is None:
            if not t.dynamic:
                chosen[t.name] = t.engine_shape
                continue
            if t.profile is None:
                raise TrtInspectError(
                    f"input '{t.name}' has dynamic shape {format_shape(t.engine_shape)} "
                    "and the engine has no optimisation profile",
                    hint=f"pass --shapes {t.name}:<dims>",
                )
            chosen[t.name] = t.profile[1]
            continue
        fits = len(want) == len(t.engine_shape) and all(
            e < 0 or e == w for e, w in zip(t.engine_shape, want, strict=True)
        )
        if not fits:
            raise TrtInspectError(
                f"--shapes {t.name}:{format_shape(want)} does not fit the engine's input shape "
                f"{format_shape(t.engine_shape)} (-1 = any)"
            )
        if t.profile is not None:
            mn, _, mx = t.profile
            if any(w < lo or w > hi for w, lo, hi in zip(want, mn, mx, strict=False)):
                raise TrtInspectError(
                    f"--shapes {t.name}:{format_shape(want)} is outside the optimisation profile "
                    f"(min {format_shape(mn)}, max {format_shape(mx)})",
                    hint="choose a shape between min and max, or rebuild the engine with a wider profile",
                )
        chosen[t.name] = want
    return chosen


def graph_detail(graph_json: str) -> str:
    """``detailed``, ``names_only`` or ``none`` for an inspector JSON; ``unknown`` when it does not parse."""
    try:
        doc = json.loads(graph_json, strict=False)
    except ValueError:
        return "unknown"
    layers = doc.get("Layers") if isinstance(doc, dict) else doc if isinstance(doc, list) else None
    if not layers:
        return "none"
    if all(isinstance(x, dict) for x in layers):
        return "detailed"
    return "names_only"


# ----------------------------------------------------------------------------------------------------------
# Profiling


@dataclass
class ProfileOptions:
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    iterations: int | None = None  # timed iterations; default 100 when neither this nor duration_s
    duration_s: float | None = None  # or run each phase for this long (at least one iteration)
    warmup: int = 10  # iterations run first and not recorded
    data: str = "random"  # "random" or "zeros"
    seed: int = 0
    plugins: tuple[str | Path, ...] = ()
    device: int = 0
    transfers: bool = True  # copy inputs H2D and outputs D2H each iteration (trtexec's default)
    per_layer: bool = True  # run the separate per-layer profile run

    def __post_init__(self) -> None:   # the API object refuses what the command line refuses
        self.check()

    def check(self) -> None:
        if self.iterations is not None and self.duration_s is not None:
            raise TrtInspectError("give --iterations or --duration, not both")
        if self.iterations is not None and self.iterations < 1:
            raise TrtInspectError("--iterations must be at least 1")
        if self.duration_s is not None and (bad := positive_problem(self.duration_s)) is not None:
            raise TrtInspectError(f"duration_s (--duration) {self.duration_s!r} {bad} (seconds)",
                                  hint="give a finite number of seconds above zero, e.g. 5, or iterations")
        if self.warmup < 0:
            raise TrtInspectError("--warmup must be 0 or more")
        if self.data not in {"random", "zeros"}:
            raise TrtInspectError(f"unknown --data '{self.data}'", hint="use random or zeros")


@dataclass
class ProfileResult:
    engine_path: Path
    name: str
    trt_version: str
    tensors: list[TensorInfo]
    shapes: dict[str, tuple[int, ...]]  # every IO tensor's concrete shape in this run
    graph_json: str
    detail: str  # detailed | names_only | none | unknown
    layer_times: dict[str, list[float]]  # layer -> ms in each profiled iteration
    profile_iterations: int
    iterations: list[IterationTiming]
    warmup_iterations: int
    timing_wall_s: float
    device: dict[str, Any] = field(default_factory=dict)
    gpu_states: dict[str, dict[str, Any]] = field(default_factory=dict)  # before / start / end
    gpu_warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


def _make_profiler(trt: Any) -> Any:
    """An ``IProfiler`` collecting every layer's time in every iteration, in report order."""

    class LayerTimeCollector(trt.IProfiler):
        def __init__(self) -> None:
            trt.IProfiler.__init__(self)
            self.times: dict[str, list[float]] = {}
            self.reports = 0

        def report_layer_time(self, layer_name: str, ms: float) -> None:
            self.times.setdefault(str(layer_name), []).append(float(ms))
            self.reports += 1

    return LayerTimeCollector()


def _iteration_budget(opts: ProfileOptions) -> tuple[int | None, float | None]:
    if opts.iterations is None and opts.duration_s is None:
        return 100, None
    return opts.iterations, opts.duration_s


def _gpu_snapshot(
    nvml: Any, device_info: Mapping[str, Any], device: int, notes: list[str]
) -> dict[str, Any] | None:
    if nvml is None:
        return None
    try:
        try:
            state = gpu_state.read_gpu_state(pci_bus_id=device_info.get("PCI Bus Id"), nvml=nvml)
        except TrtInspectError:
            state = gpu_state.read_gpu_state(device, nvml=nvml)
    except TrtInspectError as exc:
        notes.append(f"GPU state not recorded: {exc}")
        return None
    return state.to_dict()


def profile_engine(
    path: str | Path,
    options: ProfileOptions | None = None,
    *,
    trt: Any = None,
    cudart: Any = None,
    nvml: Any = None,
    ranges: NvtxRanges | None = None,
) -> ProfileResult:
    """Deserialize, inspect and profile one engine; see the module docstring for the phases."""
    opts = options or ProfileOptions()
    opts.check()
    t = import_tensorrt(trt)
    c = import_cudart(cudart)
    nv = _nvml_module(nvml)
    rng = ranges or default_ranges()
    notes: list[str] = []
    if nv is None:
        notes.append("GPU state not recorded: pynvml is not installed (pip install nvidia-ml-py)")
    _open_device(c, opts)
    device = cuda_timing.device_info(c, opts.device)
    gpu_before = _gpu_snapshot(nv, device, opts.device, notes)

    session = EngineSession.load(path, trt=t, plugins=tuple(opts.plugins), ranges=rng)
    context, tensors, shapes = _bind_shapes(session, opts)
    graph_json, detail = _inspect_graph(t, session.engine, context, rng, notes)

    run = _measure(t, c, nv, rng, context, tensors, shapes, opts, device, notes)
    states = {
        k: v for k, v in (("before", gpu_before), ("start", run.gpu_start), ("end", run.gpu_end)) if v is not None
    }
    warnings: list[str] = []
    if run.gpu_start is not None and run.gpu_end is not None:
        warnings = gpu_state.drift_warnings(gpu_state.GpuState(**run.gpu_start), gpu_state.GpuState(**run.gpu_end))
    return ProfileResult(
        engine_path=session.path,
        name=engine_name(session.path),
        trt_version=session.trt_version,
        tensors=tensors,
        shapes=shapes,
        graph_json=graph_json,
        detail=detail,
        layer_times=run.layer_times,
        profile_iterations=run.profiled,
        iterations=run.timings,
        warmup_iterations=opts.warmup,
        timing_wall_s=run.wall_s,
        device=device,
        gpu_states=states,
        gpu_warnings=warnings,
        notes=notes,
        settings=_settings(opts, run.n_iter, run.duration, shapes),
    )


@dataclass
class _Measured:
    """What the timed phase of :func:`profile_engine` measured."""

    timings: list[IterationTiming]
    wall_s: float
    layer_times: dict[str, list[float]]
    profiled: int
    gpu_start: dict[str, Any] | None
    gpu_end: dict[str, Any] | None
    n_iter: int | None
    duration: float | None


def _measure(
    t: Any, c: Any, nv: Any, rng: NvtxRanges, context: Any, tensors: list[Any], shapes: dict[str, Any],
    opts: ProfileOptions, device: Mapping[str, Any], notes: list[str],
) -> _Measured:
    """Allocate and fill the buffers, warm up, time the iterations, then the per-layer pass; buffers freed."""
    buffers = cuda_timing.Buffers(c)
    runner: cuda_timing.Runner | None = None
    try:
        with rng.range("allocate"):
            _fill_buffers(buffers, context, tensors, shapes, opts, notes)
        runner = cuda_timing.Runner(
            c, context, buffers, [x.name for x in tensors if x.is_input],
            [x.name for x in tensors if not x.is_input], opts.transfers, rng
        )
        with rng.range("warmup"):
            warm_ref = runner.start_clock()
            for _ in range(opts.warmup):
                runner.timed_iteration(warm_ref)
        gpu_start = _gpu_snapshot(nv, device, opts.device, notes)
        n_iter, duration = _iteration_budget(opts)
        timings: list[IterationTiming] = []
        with rng.range("timing"):
            host_ref = runner.start_clock()
            for i in cuda_timing.iterations(n_iter, duration):
                with rng.range(f"timing iteration {i}"):
                    timings.append(runner.timed_iteration(host_ref))
            wall_s = time.perf_counter() - host_ref
        layer_times, profiled = (_per_layer_times(t, context, runner, len(timings), rng, notes)
                                 if opts.per_layer else ({}, 0))
        gpu_end = _gpu_snapshot(nv, device, opts.device, notes)
    finally:
        if runner is not None:
            runner.close()
        buffers.free()
    return _Measured(timings, wall_s, layer_times, profiled, gpu_start, gpu_end, n_iter, duration)


def _open_device(c: Any, opts: ProfileOptions) -> None:
    """Select ``opts.device``; one line when no GPU is visible or the index does not exist."""
    count = (
        cuda_timing.check(c, c.cudaGetDeviceCount(), "cudaGetDeviceCount")
        if cuda_timing.gpu_visible(c)
        else 0
    )
    if not count:
        raise TrtInspectError(
            "no CUDA GPU is visible, and profiling an engine needs one",
            hint="run on a machine with an NVIDIA GPU and driver (check `nvidia-smi`), or "
            "use the JSON files trtexec exports there",
        )
    if opts.device >= int(count):
        raise TrtInspectError(f"--device {opts.device} does not exist; {count} GPU(s) visible")
    cuda_timing.check(c, c.cudaSetDevice(opts.device), "cudaSetDevice")


def _bind_shapes(session: EngineSession, opts: ProfileOptions) -> tuple[Any, list[Any], dict[str, Any]]:
    """An execution context with the chosen input shapes set: (context, I/O tensors, shape of every tensor)."""
    tensors = session.io_tensors()
    inputs = [x for x in tensors if x.is_input]
    shapes = select_shapes(inputs, opts.shapes)
    context = session.engine.create_execution_context()
    if context is None:
        raise TrtInspectError(
            "TensorRT could not create an execution context (out of GPU memory?)", path=session.path
        )
    for name, shape in shapes.items():
        if not context.set_input_shape(name, shape):
            raise TrtInspectError(
                f"TensorRT refused input shape {name}:{format_shape(shape)}", path=session.path
            )
    for o in (x for x in tensors if not x.is_input):
        shapes[o.name] = _dims(context.get_tensor_shape(o.name))
        if any(d < 0 for d in shapes[o.name]):
            raise TrtInspectError(
                f"output '{o.name}' has a data-dependent shape, which `trtinspect profile` does not support",
                hint="profile it with `trtinspect capture` (trtexec)",
            )
    return context, tensors, shapes


def _inspect_graph(t: Any, engine: Any, context: Any, rng: NvtxRanges, notes: list[str]) -> tuple[str, str]:
    """The engine inspector's layer JSON for this context, and how detailed it is (noted when not)."""
    with rng.range("inspect"):
        inspector = engine.create_engine_inspector()
        attr = "execution_context" if hasattr(inspector, "execution_context") else "context"
        setattr(inspector, attr, context)
        graph_json = str(inspector.get_engine_information(t.LayerInformationFormat.JSON))
    detail = graph_detail(graph_json)
    if detail != "detailed":
        what = {"names_only": "only layer names", "none": "no layer information"}.get(
            detail, "unreadable JSON"
        )
        notes.append(
            f"the engine's inspector gives {what}: layer types, precisions, tactics and tensor formats "
            f"are missing; {DETAILED_HINT}"
        )
    return graph_json, detail


def _fill_buffers(buffers: cuda_timing.Buffers, context: Any, tensors: list[Any], shapes: dict[str, Any],
                  opts: ProfileOptions, notes: list[str]) -> None:
    """Host and device buffers for every I/O tensor (inputs filled per ``opts.data``), bound to the context."""
    gen = np.random.default_rng(opts.seed)
    for x in tensors:
        shape = shapes[x.name]
        n = int(np.prod(shape, dtype=np.int64)) if shape else 1
        bits = cuda_timing.DTYPES.get(x.dtype, ("zeros", "uint8", 8))[2]
        nbytes = (n * bits + 7) // 8
        if x.is_input:
            host, note = cuda_timing.fill_input(x.dtype, n, nbytes, opts.data, gen)
            if note and note not in notes:
                notes.append(note)
        else:
            host = np.zeros(nbytes, dtype=np.uint8)
        buffers.add(x.name, host, notes)
        if not context.set_tensor_address(x.name, buffers.device[x.name]):
            raise TrtInspectError(f"TensorRT refused the buffer for tensor '{x.name}'")


def _per_layer_times(t: Any, context: Any, runner: cuda_timing.Runner, n: int, rng: NvtxRanges,
                     notes: list[str]) -> tuple[dict[str, list[float]], int]:
    """Per-layer times from TensorRT's profiler over ``n`` separate (untimed) iterations."""
    profiler = _make_profiler(t)
    context.profiler = profiler
    emits = bool(getattr(context, "enqueue_emits_profile", True))
    profiled = 0
    with rng.range("profile"):
        for _ in range(n):
            runner.plain_iteration()
            if not emits:
                context.report_to_profiler()
            profiled += 1
    if not profiler.times:
        notes.append("TensorRT reported no per-layer times")
    return profiler.times, profiled


def _settings(opts: ProfileOptions, n_iter: Any, duration: Any, shapes: dict[str, Any]) -> dict[str, Any]:
    return {
        "iterations": n_iter,
        "duration_s": duration,
        "warmup": opts.warmup,
        "data": opts.data,
        "seed": opts.seed,
        "transfers": opts.transfers,
        "device": opts.device,
        "plugins": [str(p) for p in opts.plugins],
        "shapes": {k: format_shape(v) for k, v in shapes.items()},
    }


def engine_name(path: Path) -> str:
    """Bundle name: the file name without .engine/.plan/.trt (``resnet.onnx.engine`` -> ``resnet.onnx``)."""
    name = path.name
    for suffix in (".engine", ".plan", ".trt"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_profile_bundle(
    result: ProfileResult, out_dir: str | Path, *, overwrite: bool = False
) -> BundlePaths:
    """Write ``result`` as a bundle directory (graph, profile, timing, metadata) for ``trtinspect.load``."""
    from trtinspect.version import __version__

    inference_options = {
        "Input inference shape": ",".join(
            f"{t.name}={format_shape(result.shapes[t.name])}" for t in result.tensors if t.is_input
        ),
        "Iterations": str(len(result.iterations)),
        "Warm-up": f"{result.warmup_iterations} iterations",
        "Data transfers": "Enabled" if result.settings.get("transfers", True) else "Disabled",
        "CUDA Graph": "Disabled",
        "Separate profiling": "Enabled",
        "Spin-wait": "Disabled",
        "Streams": "1",
    }
    metadata = {
        "performance_summary": bundle_writer.performance_summary(result.iterations, result.timing_wall_s),
        "inference_options": inference_options,
        "device_information": result.device,
        "gpu_state": {**result.gpu_states, "warnings": result.gpu_warnings},
        "trtinspect": {
            "tool": "trtinspect profile",
            "tool_version": __version__,
            "tensorrt_version": result.trt_version,
            "engine": str(result.engine_path),
            "engine_sha256": _sha256(result.engine_path),
            "graph_detail": result.detail,
            "profile_iterations": result.profile_iterations,
            "settings": result.settings,
            "tensors": [
                {
                    "name": t.name,
                    "input": t.is_input,
                    "dtype": t.dtype,
                    "engine_shape": list(t.engine_shape),
                    "shape": list(result.shapes[t.name]),
                }
                for t in result.tensors
            ],
            "notes": result.notes,
        },
    }
    return bundle_writer.write_bundle(
        out_dir,
        f"{result.name}",
        graph_json=result.graph_json,
        layer_times=result.layer_times if result.profile_iterations else None,
        profile_count=result.profile_iterations,
        iterations=result.iterations,
        metadata=metadata,
        overwrite=overwrite,
    )


def bundle_from_engine(path: str | Path, options: ProfileOptions | None = None) -> EngineBundle:
    """Inspect and profile a serialized engine with TensorRT and return it as a bundle.

    Used by :func:`trtinspect.load` for an engine file without sidecar files when ``tensorrt`` imports (e.g.
    ``trtinspect diff a.engine b.engine`` on a GPU machine). The bundle files are written to a temporary
    directory and read back through the ordinary parsers, so a live engine and an exported bundle are treated
    identically; nothing is written next to the user's engine.
    """
    import tempfile

    from trtinspect.parsers.bundle import load as load_bundle

    result = profile_engine(path, options)
    with tempfile.TemporaryDirectory(prefix="trtinspect-live-") as tmp:
        write_profile_bundle(result, tmp)
        bundle = load_bundle(tmp, name=Path(path).name)
    bundle.sources = {"engine": [Path(path)]}  # the temporary files are gone; the frames are in memory
    bundle.notes.append(f"profiled live with TensorRT {result.trt_version}: {len(result.iterations)} iterations")
    return bundle

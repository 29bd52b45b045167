"""GPU state through NVML (``pynvml``, from the ``nvidia-ml-py`` package): read it, compare start and end.

A latency figure means little without the clocks it ran at. :func:`read_gpu_state` takes one snapshot
(name, driver, SM/memory clocks, power, temperature, performance state, clock-event reasons);
:func:`drift_warnings` compares the snapshots taken before and after a run and says when the clocks moved
or the GPU throttled, using the rules in :data:`DRIFT_RULES`.

Each field is read on its own: a field NVML does not support on this GPU (e.g. power on some boards) is
``None`` and named in ``unavailable``, never a silent 0. ``pynvml`` is imported lazily; pass ``nvml=`` to
inject another module with the same functions (the tests use a test double).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from trtinspect.errors import TrtInspectError

log = logging.getLogger(__name__)

# NVML clock-event ("throttle") reason bits, as documented in nvml.h (nvmlClocksEventReason*).
CLOCK_EVENT_REASONS: dict[int, str] = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}

# Reasons that mean the run's clocks were held down by power or heat (worth a warning when seen at the end).
THROTTLING_REASONS = frozenset(
    {"sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown"}
)


@dataclass(frozen=True)
class DriftRule:
    """Warn when ``field`` moves from start to end by more than ``rel`` (fraction) and ``abs_`` (units)."""

    field: str
    rel: float
    abs_: float
    unit: str
    meaning: str


# Declared as data: change thresholds here, not in code.
DRIFT_RULES: tuple[DriftRule, ...] = (
    DriftRule(
        "sm_clock_mhz",
        0.05,
        30.0,
        "MHz",
        "SM clock moved during the run; lock clocks (nvidia-smi -lgc) for comparable latency",
    ),
    DriftRule(
        "mem_clock_mhz",
        0.02,
        20.0,
        "MHz",
        "memory clock moved during the run; lock memory clocks (nvidia-smi -lmc) for comparable latency",
    ),
    DriftRule(
        "temperature_c",
        0.0,
        15.0,
        "C",
        "GPU temperature rose a lot during the run; thermal throttling may have lowered clocks",
    ),
)


@dataclass
class GpuState:
    """One NVML snapshot of one GPU. Clocks in MHz, power in W, temperature in degrees C."""

    index: int | None = None
    name: str | None = None
    uuid: str | None = None
    pci_bus_id: str | None = None
    driver_version: str | None = None
    cuda_driver_version: str | None = None
    sm_clock_mhz: float | None = None
    mem_clock_mhz: float | None = None
    max_sm_clock_mhz: float | None = None
    max_mem_clock_mhz: float | None = None
    app_sm_clock_mhz: float | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    temperature_c: float | None = None
    pstate: int | None = None
    utilization_pct: float | None = None
    clock_event_reasons: list[str] = field(default_factory=list)
    persistence_mode: bool | None = None
    timestamp: float = 0.0
    unavailable: list[str] = field(default_factory=list)  # fields NVML could not read on this GPU

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_nvml() -> Any:
    """The ``pynvml`` module, or a :class:`TrtInspectError` saying how to install it."""
    try:
        import pynvml
    except ImportError:
        raise TrtInspectError(
            "the NVML Python bindings (module pynvml) are not installed, so the GPU state cannot be read",
            hint="pip install nvidia-ml-py (or pip install 'trtinspect[trt]')",
        ) from None
    return pynvml


def _decode(value: Any) -> Any:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _decode_reasons(mask: int) -> list[str]:
    names = [name for bit, name in CLOCK_EVENT_REASONS.items() if mask & bit]
    unknown = mask & ~sum(CLOCK_EVENT_REASONS)
    if unknown:
        names.append(f"other(0x{unknown:x})")
    return names


def _cuda_version_text(v: int) -> str:
    return f"{v // 1000}.{(v % 1000) // 10}"


def read_gpu_state(index: int = 0, *, pci_bus_id: str | None = None, nvml: Any | None = None) -> GpuState:
    """Read one snapshot of GPU ``index`` (NVML order) or of the GPU at ``pci_bus_id`` (matches CUDA's order).

    Raises :class:`TrtInspectError` when NVML is missing or cannot start (no driver / no GPU).
    """
    nv = nvml if nvml is not None else import_nvml()
    error_type: type[BaseException] = getattr(nv, "NVMLError", Exception)
    try:
        nv.nvmlInit()
    except error_type as exc:
        raise TrtInspectError(
            f"NVML could not start ({exc}): no NVIDIA driver or no GPU visible",
            hint="run on a machine with an NVIDIA GPU and driver; check `nvidia-smi`",
        ) from None
    try:
        try:
            if pci_bus_id:
                handle = nv.nvmlDeviceGetHandleByPciBusId(pci_bus_id)
            else:
                handle = nv.nvmlDeviceGetHandleByIndex(index)
        except error_type as exc:
            where = f"PCI bus id {pci_bus_id}" if pci_bus_id else f"index {index}"
            raise TrtInspectError(
                f"NVML has no GPU at {where} ({exc})", hint="check `nvidia-smi -L`"
            ) from None
        state = GpuState(index=None if pci_bus_id else index, timestamp=time.time())
        unavailable: list[str] = []

        def get(name: str, fn: Callable[[], Any]) -> Any:
            try:
                return fn()
            except error_type as exc:
                log.debug("NVML field %s unavailable: %s", name, exc)
                unavailable.append(name)
                return None

        _read_fields(nv, handle, state, get, by_bus_id=bool(pci_bus_id))
        state.unavailable = unavailable
        return state
    finally:
        try:
            nv.nvmlShutdown()
        except error_type as exc:
            log.debug("nvmlShutdown failed: %s", exc)


def _read_fields(nv: Any, handle: Any, state: GpuState, get: Callable[[str, Callable[[], Any]], Any], *,
                 by_bus_id: bool) -> None:
    """Every GpuState field NVML gives for ``handle``; ``get`` records the fields NVML cannot give."""
    clock_sm = getattr(nv, "NVML_CLOCK_SM", 1)
    clock_mem = getattr(nv, "NVML_CLOCK_MEM", 2)
    temp_gpu = getattr(nv, "NVML_TEMPERATURE_GPU", 0)

    state.name = _decode(get("name", lambda: nv.nvmlDeviceGetName(handle)))
    state.uuid = _decode(get("uuid", lambda: nv.nvmlDeviceGetUUID(handle)))
    pci = get("pci_bus_id", lambda: nv.nvmlDeviceGetPciInfo(handle))
    state.pci_bus_id = _decode(getattr(pci, "busId", None)) if pci is not None else None
    if by_bus_id and state.index is None:
        state.index = get("index", lambda: int(nv.nvmlDeviceGetIndex(handle)))
    state.driver_version = _decode(get("driver_version", nv.nvmlSystemGetDriverVersion))
    cuda_v = get("cuda_driver_version", nv.nvmlSystemGetCudaDriverVersion)
    state.cuda_driver_version = _cuda_version_text(int(cuda_v)) if cuda_v is not None else None
    state.sm_clock_mhz = get("sm_clock_mhz", lambda: float(nv.nvmlDeviceGetClockInfo(handle, clock_sm)))
    state.mem_clock_mhz = get(
        "mem_clock_mhz", lambda: float(nv.nvmlDeviceGetClockInfo(handle, clock_mem))
    )
    state.max_sm_clock_mhz = get(
        "max_sm_clock_mhz", lambda: float(nv.nvmlDeviceGetMaxClockInfo(handle, clock_sm))
    )
    state.max_mem_clock_mhz = get(
        "max_mem_clock_mhz", lambda: float(nv.nvmlDeviceGetMaxClockInfo(handle, clock_mem))
    )
    state.app_sm_clock_mhz = get(
        "app_sm_clock_mhz", lambda: float(nv.nvmlDeviceGetApplicationsClock(handle, clock_sm))
    )
    state.power_w = get("power_w", lambda: nv.nvmlDeviceGetPowerUsage(handle) / 1000.0)
    state.power_limit_w = get(
        "power_limit_w", lambda: nv.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000.0
    )
    state.temperature_c = get(
        "temperature_c", lambda: float(nv.nvmlDeviceGetTemperature(handle, temp_gpu))
    )
    state.pstate = get("pstate", lambda: int(nv.nvmlDeviceGetPerformanceState(handle)))
    util = get("utilization_pct", lambda: nv.nvmlDeviceGetUtilizationRates(handle))
    state.utilization_pct = float(util.gpu) if util is not None else None
    reasons_fn = getattr(nv, "nvmlDeviceGetCurrentClocksEventReasons", None) or getattr(
        nv, "nvmlDeviceGetCurrentClocksThrottleReasons", None
    )
    mask = get("clock_event_reasons", lambda: int(reasons_fn(handle))) if reasons_fn else None
    state.clock_event_reasons = _decode_reasons(mask) if mask is not None else []
    persist = get("persistence_mode", lambda: nv.nvmlDeviceGetPersistenceMode(handle))
    state.persistence_mode = bool(persist) if persist is not None else None


def drift_warnings(start: GpuState, end: GpuState, rules: tuple[DriftRule, ...] = DRIFT_RULES) -> list[str]:
    """Warnings (one line each) when the GPU state moved between ``start`` and ``end`` of a run."""
    out: list[str] = []
    for rule in rules:
        a, b = getattr(start, rule.field), getattr(end, rule.field)
        if a is None or b is None:
            continue
        delta = float(b) - float(a)
        if abs(delta) > rule.abs_ and (a == 0 or abs(delta) / abs(float(a)) > rule.rel):
            out.append(f"{rule.field} {a:g} -> {b:g} {rule.unit}: {rule.meaning}")
    throttled = sorted(set(end.clock_event_reasons) & THROTTLING_REASONS)
    if throttled:
        out.append(
            f"clocks were held down at the end of the run ({', '.join(throttled)}); "
            "latency may be higher than the GPU's normal speed"
        )
    return out

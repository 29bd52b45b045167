"""One vocabulary for GPU facts, whichever file they came from.

trtexec logs (``=== Device Information ===``), TREx ``*.profile.metadata.json`` ``device_information``,
TREx ``*.metadata.json`` CUDA device properties, nsys ``TARGET_INFO_GPU`` and NVML all name the same facts
differently. :func:`normalise_device` maps them onto the keys the trtexec log parser uses (declared once in
:data:`DEVICE_KEYS`); keys it does not know are dropped here (callers keep raw dicts in ``bundle.extras``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = re.search(r"[-+]?\d+(?:\.\d+)?", value)
        return float(m.group()) if m else None
    return None


def _int(value: Any) -> int | None:
    n = _number(value)
    return None if n is None else round(n)


def _capability(value: Any) -> str | None:
    if isinstance(value, (list, tuple)) and len(value) >= 2:
        return f"{int(value[0])}.{int(value[1])}"
    n = _number(value)
    return None if n is None else f"{n:.1f}"


def _mib_from_text_or_bytes(value: Any) -> int | None:
    n = _number(value)
    if n is None:
        return None
    if isinstance(value, str):
        unit = value.upper()
        if "GIB" in unit or "GB" in unit:
            return round(n * 1024)
        return round(n)
    return round(n / 1024**2) if n > 1024**2 else round(n)


def _ghz_from_khz(value: Any) -> float | None:
    n = _number(value)
    return None if n is None else round(n / 1e6, 4)


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false", "yes", "no"):
        return value.strip().lower() in ("1", "true", "yes")
    return None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# canonical key -> [(raw key, converter), ...] in order of preference
DEVICE_KEYS: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    "name": [("name", _text), ("Selected Device", _text), ("Name", _text), ("Device", _text)],
    "uuid": [("uuid", _text), ("Selected Device UUID", _text)],
    "compute_capability": [("compute_capability", _capability), ("Compute Capability", _capability),
                           ("ComputeCapability", _capability)],
    "sms": [("sms", _int), ("SMs", _int), ("MULTIPROCESSOR_COUNT", _int), ("sm_count", _int)],
    "global_memory_mib": [("global_memory_mib", _int), ("Device Global Memory", _mib_from_text_or_bytes),
                          ("TotalMemory", _mib_from_text_or_bytes)],
    "shared_memory_per_sm_kib": [("shared_memory_per_sm_kib", _int), ("Shared Memory per SM", _int)],
    "memory_bus_width_bits": [("memory_bus_width_bits", _int), ("Memory Bus Width", _int),
                              ("GLOBAL_MEMORY_BUS_WIDTH", _int)],
    "compute_clock_ghz": [("compute_clock_ghz", _number), ("Compute Clock Rate", _number),
                          ("CLOCK_RATE", _ghz_from_khz)],
    "memory_clock_ghz": [("memory_clock_ghz", _number), ("Memory Clock Rate", _number),
                         ("MEMORY_CLOCK_RATE", _ghz_from_khz)],
    "ecc": [("ecc", bool), ("ECC_ENABLED", bool)],
    # whether the GPU is integrated (shares the SoC's LPDDR with the CPU): CUDA's ``integrated`` property
    # (TREx ``*.metadata.json`` ``INTEGRATED``), nsys ``TARGET_INFO_GPU.isDiscrete`` read as its negation
    "integrated": [("integrated", _flag), ("INTEGRATED", _flag)],
    # peak memory bandwidth in bytes/s as a profiler recorded it (nsys TARGET_INFO_GPU.memoryBandwidth)
    "memory_bandwidth_bytes_per_s": [("memory_bandwidth_bytes_per_s", _number)],
    "device_id": [("device_id", _int), ("Selected Device ID", _int)],
}


def normalise_device(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical device facts from one raw device dict (unknown keys dropped, absent facts omitted)."""
    out: dict[str, Any] = {}
    for key, candidates in DEVICE_KEYS.items():
        for raw_key, convert in candidates:
            if raw_key in raw and raw[raw_key] is not None:
                value = convert(raw[raw_key])
                if value is not None:
                    out[key] = value
                    break
    return out


def merge_device(target: dict[str, Any], raw: Mapping[str, Any], *, override: bool = False) -> None:
    """Merge one raw device dict into a canonical ``target`` (existing facts win unless ``override``)."""
    for key, value in normalise_device(raw).items():
        if override or key not in target:
            target[key] = value


DEVICE_NAME_KEYS = ("name", "Selected Device", "Name", "Device")


def device_name(device: dict[str, Any]) -> str | None:
    """The GPU's name from a merged device dict (trtexec log, TREx metadata or CUDA properties)."""
    for key in DEVICE_NAME_KEYS:
        value = device.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# Compute capabilities of NVIDIA's integrated (Tegra / SoC) GPUs: 5.3 Jetson TX1/Nano, 6.2 Jetson TX2, 7.2 Jetson
# Xavier, 8.7 Jetson Orin, 10.1 (CUDA 12.x; 11.0 from CUDA 13) Jetson Thor, 12.1 GB10 (DGX Spark). Their memory is
# LPDDR shared with the CPU. CUDA reports on them the memory clock the EMC runs at now (an Orin at rest: 0.408 GHz,
# tests/data/external/quoted/orin-trt10.16.2-device.meta-tegra2243.log), not its peak, and a bus width of 256 bits
# whatever the module, so 2 x clock x width / 8 is not the peak bandwidth there.
INTEGRATED_CAPABILITIES = frozenset({"5.3", "6.2", "7.2", "8.7", "10.1", "11.0", "12.1"})
INTEGRATED_NAMES = re.compile(r"\b(?:xavier|orin|tegra|thor|gb10)\b", re.IGNORECASE)
# What one device name covers (NVIDIA's Jetson module data sheets, developer.nvidia.com/embedded/jetson-modules):
# trtexec prints "Orin" / "Xavier" for every module of the family, so the name does not say which module ran.
INTEGRATED_FAMILIES: dict[str, str] = {
    "orin": "Jetson Orin modules range from 34 GB/s (Orin Nano 4GB) to 204.8 GB/s (AGX Orin)",
    "xavier": "Jetson Xavier modules range from 59.7 GB/s (Xavier NX) to 136.5 GB/s (AGX Xavier)",
}


def integrated_gpu(device: Mapping[str, Any]) -> str | None:
    """Why ``device`` is an integrated GPU (its name, compute capability or CUDA's ``integrated`` flag), else
    None (a discrete GPU, or nothing says)."""
    name, cc = device.get("name"), device.get("compute_capability")
    flag = device.get("integrated")
    label = ", ".join(x for x in (name if isinstance(name, str) else None,
                                  f"compute capability {cc}" if isinstance(cc, str) else None) if x)
    if flag is False:
        return None
    if flag is True or (isinstance(cc, str) and cc in INTEGRATED_CAPABILITIES) or (
            isinstance(name, str) and INTEGRATED_NAMES.search(name)):
        return f"an integrated GPU ({label or 'CUDA integrated flag'})"
    return None


def bandwidth_unknown(device: Mapping[str, Any]) -> str:
    """Why :func:`peak_memory_bandwidth` found no bandwidth for ``device``, in words."""
    integrated = integrated_gpu(device)
    if integrated is None:
        return "no memory clock / bus width in these files"
    name = device.get("name")
    family = next((v for k, v in INTEGRATED_FAMILIES.items()
                   if isinstance(name, str) and k in name.lower()), None)
    clock, width = device.get("memory_clock_ghz"), device.get("memory_bus_width_bits")
    said = [f"{float(clock):g} GHz" if isinstance(clock, (int, float)) and not isinstance(clock, bool) else "",
            f"{int(width)} bits" if isinstance(width, (int, float)) and not isinstance(width, bool) else ""]
    printed = f" (here {', '.join(x for x in said if x)})" if any(said) else ""
    return (f"{integrated}: its memory is LPDDR shared with the CPU, and the memory clock and bus width CUDA "
            f"reports there{printed} do not give its peak (the clock is the one the memory runs at when queried)"
            + (f"; {family}, and the device name does not say which module ran" if family else ""))


def peak_memory_bandwidth(device: Mapping[str, Any]) -> tuple[float, str] | None:
    """The GPU's peak DRAM bandwidth in bytes/s and how it was found, or None when the device facts lack it
    (:func:`bandwidth_unknown` says why).

    As a profiler recorded it (Nsight Systems' ``TARGET_INFO_GPU.memoryBandwidth``, ``memory_bandwidth_bytes_per_s``),
    else 2 x memory clock x bus width / 8 (double data rate), as CUDA's deviceQuery computes it from
    ``cudaDeviceProp.memoryClockRate`` / ``memoryBusWidth`` (what trtexec prints as ``Memory Clock Rate`` and
    ``Memory Bus Width``): an A100 80GB PCIe, 1.512 GHz x 5120 bits, gives 1935 GB/s; an H100 SXM, 2.619 GHz,
    3352 GB/s. None on an integrated GPU (:func:`integrated_gpu`): the clock reported there is not the peak."""
    if integrated_gpu(device) is not None:
        return None
    recorded = device.get("memory_bandwidth_bytes_per_s")
    if isinstance(recorded, (int, float)) and not isinstance(recorded, bool) and 0 < recorded < 1e15:
        bw = float(recorded)
        return bw, (f"{bw / 1e9:.0f} GB/s memory bandwidth as Nsight Systems recorded it "
                    "(TARGET_INFO_GPU.memoryBandwidth)")
    clock, width = device.get("memory_clock_ghz"), device.get("memory_bus_width_bits")
    if isinstance(clock, bool) or isinstance(width, bool):
        return None
    if not isinstance(clock, (int, float)) or not isinstance(width, (int, float)):
        return None
    if not (0 < clock < 1e3 and 0 < width < 1e5):
        return None
    bw = 2.0 * float(clock) * 1e9 * float(width) / 8.0
    return bw, (f"{bw / 1e9:.0f} GB/s peak DRAM bandwidth: 2 x {float(clock):g} GHz memory clock x "
                f"{int(width)}-bit bus / 8")

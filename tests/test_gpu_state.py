"""gpu_state (NVML readings, drift warnings) with the FakeNvml TEST DOUBLE; nvtx_ranges' no-op/real switch.

The real pynvml and nvtx paths ran on an H100 machine; docs/tensorrt-backend.md records that run.
"""

from __future__ import annotations

import importlib.util

import pytest
from trt_double import FakeNvml, nvml_snapshot

from trtinspect.capture import gpu_state, nvtx_ranges
from trtinspect.errors import TrtInspectError


def test_double_read_gpu_state_fields() -> None:
    nv = FakeNvml([nvml_snapshot(sm=1755, mem=2619, power_mw=312500, temp=51, reasons=0x1 | 0x4)])
    s = gpu_state.read_gpu_state(0, nvml=nv)
    assert s.name == "Test Double GPU (not real)"
    assert (s.sm_clock_mhz, s.mem_clock_mhz, s.max_sm_clock_mhz) == (1755.0, 2619.0, 1980.0)
    assert s.power_w == pytest.approx(312.5) and s.power_limit_w == pytest.approx(700.0)
    assert s.temperature_c == 51.0 and s.pstate == 0 and s.utilization_pct == 97.0
    assert s.clock_event_reasons == ["gpu_idle", "sw_power_cap"]
    assert s.cuda_driver_version == "13.0" and s.driver_version == "580.00.00"
    assert s.pci_bus_id == "00000000:01:00.0" and s.persistence_mode is True
    assert s.unavailable == []
    assert nv.open == 0  # nvmlShutdown always called


def test_double_unsupported_fields_are_none_and_named() -> None:
    nv = FakeNvml([nvml_snapshot()], unsupported=("power_mw", "app_sm"))
    s = gpu_state.read_gpu_state(0, nvml=nv)
    assert s.power_w is None and s.app_sm_clock_mhz is None
    assert s.unavailable == ["app_sm_clock_mhz", "power_w"]
    assert s.sm_clock_mhz == 1980.0


def test_double_nvml_init_failure_and_bad_index() -> None:
    with pytest.raises(TrtInspectError, match=r"NVML could not start .*Driver Not Loaded"):
        gpu_state.read_gpu_state(0, nvml=FakeNvml([nvml_snapshot()], init_fails=True))
    nv = FakeNvml([nvml_snapshot()])
    with pytest.raises(TrtInspectError, match="no GPU at index 3"):
        gpu_state.read_gpu_state(3, nvml=nv)
    assert nv.open == 0


def test_unknown_reason_bits_are_kept() -> None:
    assert gpu_state._decode_reasons(0x8 | 0x4000) == ["hw_slowdown", "other(0x4000)"]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ({"sm": 1980}, {"sm": 1980}, []),
        ({"sm": 1980}, {"sm": 1965}, []),  # 15 MHz: under both thresholds
        ({"sm": 1980}, {"sm": 1410}, ["sm_clock_mhz 1980 -> 1410 MHz"]),
        ({"mem": 2619}, {"mem": 1593}, ["mem_clock_mhz 2619 -> 1593 MHz"]),
        ({"temp": 40}, {"temp": 80}, ["temperature_c 40 -> 80 C"]),
        ({}, {"reasons": 0x40}, ["hw_thermal_slowdown"]),
        ({}, {"reasons": 0x1}, []),  # idle is not throttling
    ],
)
def test_double_drift_rules(start: dict[str, int], end: dict[str, int], expected: list[str]) -> None:
    nv = FakeNvml([nvml_snapshot(**start), nvml_snapshot(**end)])
    a = gpu_state.read_gpu_state(0, nvml=nv)
    b = gpu_state.read_gpu_state(0, nvml=nv)
    warnings = gpu_state.drift_warnings(a, b)
    assert len(warnings) == len(expected)
    for w, e in zip(warnings, expected, strict=True):
        assert e in w


def test_drift_skips_fields_nvml_could_not_read() -> None:
    a = gpu_state.GpuState(sm_clock_mhz=None)
    b = gpu_state.GpuState(sm_clock_mhz=900.0)
    assert gpu_state.drift_warnings(a, b) == []


@pytest.mark.skipif(importlib.util.find_spec("pynvml") is not None, reason="pynvml is installed here")
def test_missing_pynvml_says_what_to_install() -> None:
    with pytest.raises(TrtInspectError, match="pip install nvidia-ml-py"):
        gpu_state.read_gpu_state(0)


# ---- NVTX ranges ---------------------------------------------------------------------------------------


class RecordingNvtx:
    """TEST DOUBLE of the nvtx package's push_range/pop_range."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str | None]] = []

    def push_range(self, message: str, color: str | None = None, domain: str | None = None) -> None:
        self.calls.append(("push", message, color))

    def pop_range(self, domain: str | None = None) -> None:
        self.calls.append(("pop", None, domain))


def test_double_nvtx_ranges_nest_and_pop_on_error() -> None:
    rec = RecordingNvtx()
    r = nvtx_ranges.NvtxRanges(rec)
    with pytest.raises(ValueError), r.range("timing"), r.range("compute"):
        raise ValueError("boom")
    assert rec.calls == [
        ("push", "timing", "blue"),
        ("push", "compute", "red"),
        ("pop", None, "trtinspect"),
        ("pop", None, "trtinspect"),
    ]


def test_nvtx_disabled_is_a_no_op() -> None:
    r = nvtx_ranges.NvtxRanges(None)
    assert not r.enabled
    with r.range("warmup"):
        pass


def test_nvtx_env_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRTINSPECT_NVTX", "0")
    assert nvtx_ranges.load_nvtx_module() is None
    monkeypatch.setenv("TRTINSPECT_NVTX", "1")
    expected = importlib.util.find_spec("nvtx") is not None
    assert (nvtx_ranges.load_nvtx_module() is not None) == expected

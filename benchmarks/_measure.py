"""Small timing helpers shared by the benchmarks: best-of-N, interleaved rounds, peak RSS, machine line."""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent

# appended to every peak-RSS snippet: VmHWM is this process's own peak resident set (ru_maxrss can carry the
# parent's peak across fork + exec)
_HWM = """
for _line in open("/proc/self/status"):
    if _line.startswith("VmHWM:"):
        print("VMHWM_KIB", int(_line.split()[1]))
"""


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call; the result is kept alive until timed (freeing it is not the work)."""
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """Best wall time of ``repeat`` calls."""
    return min(timed(fn)[0] for _ in range(max(1, repeat)))


def rounds(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Wall times of each function, interleaved round by round so machine noise hits them alike."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, repeat)):
        for name, fn in fns.items():
            out[name].append(timed(fn)[0])
    return out


def peak_rss_mib(snippet: str, args: Sequence[str] = (), env: dict[str, str] | None = None) -> float:
    """Peak RSS (VmHWM, MiB) of a fresh interpreter that runs ``snippet`` with ``sys.argv[1:] = args``.

    The benchmarks folder is on ``sys.path`` in the child, so a snippet can import ``generated_engine`` etc.
    """
    code = f"import sys\nsys.path.insert(0, {str(BENCH_DIR)!r})\n{snippet}\n{_HWM}"
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})})
    kib = [ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("VMHWM_KIB ")]
    return int(kib[-1]) / 1024


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def machine() -> str:
    """One line: CPUs, CPU model, RAM, Python / pandas / numpy versions, current load average."""
    import numpy
    import pandas

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} CPUs ({cpu_model()}, {platform.machine()}), {_ram_gib():.1f} GiB RAM, "
            f"Python {platform.python_version()}, pandas {pandas.__version__}, numpy {numpy.__version__}, "
            f"load average {load:.2f}")

"""How a trtexec run measured: the inference settings that change the times it reports, read once from a bundle.

trtexec's GPU Compute Time is the span between CUDA events recorded around the whole enqueue of an iteration
(sampleInference.cpp), so anything that changes the launches inside that span or the GPU's work beside it
changes the figure without any change of the engine: CUDA graphs (one graph launch instead of many kernel
launches), several inference streams or threads sharing the GPU, host<->device copies on the copy streams, the
per-layer profiler synchronising around every layer in the timed run (``--dumpProfile`` / ``--exportProfile``
without ``--separateProfileRun``), and spin-wait (how fast the host sees an iteration end and enqueues the next);
and the valued settings of :data:`VALUED` and :func:`expose_dma` (sleep and idle time, persistent L2 cache ratio,
optimization profile, weight-streaming budget, exposed DMA; see below).

Each reader takes the inference options (``=== Inference Options ===`` of a log, ``inference_options`` of a TREx
profile metadata JSON) first, else the trtexec command lines of the bundle (a flag absent from a known command
line is trtexec's default for that TensorRT version), else returns None: unknown, never a difference.
TensorRT 11 changed trtexec's defaults: a real 11.0.0 run without any of these flags prints ``Data transfers:
Disabled``, ``Spin-wait: Enabled``, ``CUDA Graph: Enabled`` and no ``Separate profiling`` line (its per-layer
profile is always taken in a run of its own: the timed iterations of ``--exportProfile`` still captured a CUDA
graph; tests/data/external/trt11.0.0-b200/result-10.*.log); ``--noCudaGraph``, ``--noSpinWait`` and
``--includeDataTransfers`` turn them back. Used by ``check`` (comparability
fields, docs/check.md) and by the timing summary (``transfers_disabled``). The build facts (precision, input
shapes, implicit batch) are read by :mod:`trtinspect.parsers.run_facts`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trtinspect.parsers.run_facts import lookup

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

_ON = ("enabled", "true", "yes", "1")
_OFF = ("disabled", "false", "no", "0")


def _option(options: Mapping[str, str], keys: Sequence[str]) -> str | None:
    value = lookup(dict(options), keys)
    return value.strip() or None if value is not None else None


def _flag(commands: Sequence[str], flag: str) -> re.Match[str] | None:
    """The first ``--flag`` / ``--flag=VALUE`` among the command lines (case as trtexec spells it)."""
    pattern = re.compile(r"(?:^|\s)" + re.escape(flag) + r"(?:=(?P<value>\S*))?(?=\s|$)")
    for command in commands:
        m = pattern.search(command)
        if m is not None:
            return m
    return None


def switch(options: Mapping[str, str], commands: Sequence[str], keys: Sequence[str], flag: str,
           off_flag: str | None = None) -> bool | None:
    """An on/off setting: the option (``CUDA Graph: Enabled``), else from a known command line: with ``off_flag``
    (the setting is on by default, e.g. TensorRT 11) on unless it has ``off_flag``, else on when it has ``flag``;
    else None (unknown)."""
    value = _option(options, keys)
    if value is not None:
        word = value.lower().split()[0]
        if word in _ON:
            return True
        if word in _OFF:
            return False
    if commands:
        if off_flag is not None:
            return _flag(commands, off_flag) is None
        return _flag(commands, flag) is not None
    return None


def trt11_defaults(version: str | None) -> bool:
    """trtexec of TensorRT 11 or later (its defaults: CUDA graph and spin-wait on, no data transfers, per-layer
    profiling in a separate run); False when the version is unknown or older."""
    m = re.match(r"\s*(\d+)", version or "")
    return m is not None and int(m.group(1)) >= 11


def _commands(bundle: EngineBundle) -> list[str]:
    return [str(c) for c in bundle.extras.get("commands") or []]


def data_transfers(options: Mapping[str, str], commands: Sequence[str], version: str | None = None
                   ) -> bool | None:
    """Did the run copy inputs/outputs between host and device (``Data transfers: Enabled``; ``--noDataTransfers``
    turns them off; TensorRT 11 copies only with ``--includeDataTransfers``)? None when unknown."""
    value = _option(options, ("Data transfers",))
    if value is not None:
        word = value.lower().split()[0]
        if word in _ON or word in _OFF:
            return word in _ON
    if commands:
        if trt11_defaults(version):
            return _flag(commands, "--includeDataTransfers") is not None
        return _flag(commands, "--noDataTransfers") is None
    return None


def cuda_graph(bundle: EngineBundle) -> bool | None:
    """The timed run launched each iteration as a captured CUDA graph (``--useCudaGraph``)."""
    return switch(bundle.inference_options, _commands(bundle), ("CUDA Graph",), "--useCudaGraph",
                  "--noCudaGraph" if trt11_defaults(bundle.trt_version) else None)


def spin_wait(bundle: EngineBundle) -> bool | None:
    """The host spin-waited on the iteration's events instead of a blocking sync (``--useSpinWait``)."""
    return switch(bundle.inference_options, _commands(bundle), ("Spin-wait",), "--useSpinWait",
                  "--noSpinWait" if trt11_defaults(bundle.trt_version) else None)


def threads(bundle: EngineBundle) -> bool | None:
    """Each inference stream was driven by its own host thread (``--threads``; ``Multithreading``)."""
    return switch(bundle.inference_options, _commands(bundle), ("Multithreading",), "--threads")


def transfers(bundle: EngineBundle) -> bool | None:
    """Host<->device copies around each iteration (see :func:`data_transfers`)."""
    return data_transfers(bundle.inference_options, _commands(bundle), bundle.trt_version)


def streams(bundle: EngineBundle) -> int | None:
    """Inference streams running at once (``Streams: N`` 8.x, ``Inference Streams: N`` 10.x; ``--streams=N``,
    ``--infStreams=N``; 1 when a known command line sets neither)."""
    value = _option(bundle.inference_options, ("Inference Streams", "Streams"))
    if value is not None and value.split()[0].isdigit():
        return int(value.split()[0])
    commands = _commands(bundle)
    if not commands:
        return None
    for flag in ("--infStreams", "--streams"):
        m = _flag(commands, flag)
        if m is not None:
            text = m.group("value") or ""
            return int(text) if text.isdigit() else None
    return 1


def profiled_timing(bundle: EngineBundle) -> bool | None:
    """The per-layer profiler ran during the timed iterations (``--dumpProfile`` / ``--exportProfile`` without
    ``--separateProfileRun``): it synchronises around every layer, so GPU compute time is inflated. False when
    profiling ran separately or not at all (always with TensorRT 11); None when unknown."""
    if trt11_defaults(bundle.trt_version):
        return False
    commands = _commands(bundle)
    separate = switch(bundle.inference_options, commands, ("Separate profiling",), "--separateProfileRun")
    if separate is None:
        return None
    if separate:
        return False
    if commands:
        return _flag(commands, "--dumpProfile") is not None or _flag(commands, "--exportProfile") is not None
    # no command line (a TREx profile metadata JSON): a trtexec per-layer profile in the bundle came from this run
    return True if bundle.has_profile and "nsys_sqlite" not in bundle.sources else None


# ----------------------------------------------------------------------------- valued settings (TensorRT 7.1-11)
# More inference options that change the measured times, each printed on a line of trtexec's Inference Options
# dump (sampleOptions.cpp, ``operator<<(InferenceOptions)``) from the TensorRT version in ``since`` on:
# ``Sleep time`` (--sleepTime, 7.1: the main stream sleeps before inference starts, so the first iterations queue
# up while the GPU waits and then run without launch gaps, measured unless the warm-up absorbs them), ``Idle
# time`` (--idleTime, 8.2: the host sleeps between iterations, the GPU idles and its clocks drop), ``Persistent
# Cache Ratio`` (--persistentCacheRatio, 8.5: the share of the L2 cache kept for persisting accesses),
# ``Optimization Profile Index`` (--useProfile, 10.0: which profile's kernels ran) and ``Weight Streaming Budget``
# (--weightStreamingBudget, 10.0: how much of a weight-streaming engine's weights stay on the GPU; the others are
# copied in during every iteration). Defaults are trtexec's, the same up to 11.x.


@dataclass(frozen=True)
class _Valued:
    key: str                            # the option line ("Sleep time")
    flag: str                           # the command-line flag ("--sleepTime")
    since: tuple[int, int]              # first TensorRT version whose trtexec has it
    default: str                        # the value when the option is absent (normalised)
    read: Callable[[str, str | None], str | None]   # printed or command-line text, TensorRT version -> value


def _number(unit: str = "") -> Callable[[str, str | None], str | None]:
    def read(text: str, version: str | None) -> str | None:
        m = re.match(r"\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(?:ms)?\s*$", text)
        return None if m is None else f"{float(m.group(1)):g}{unit}"
    return read


_BYTES = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}   # trtexec's base-2 suffixes


def _budget(text: str, version: str | None) -> str | None:
    """``off`` (every streamable weight stays on the GPU: trtexec's ``Disabled`` of 10.0, its default 100%, or
    -2), ``automatic`` (-1), ``P%`` or ``N bytes``: one form for the printed line and the command line."""
    t = text.strip()
    if t.lower() in ("disabled", "automatic"):
        return "off" if t.lower() == "disabled" else "automatic"
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", t)
    if m is not None:
        return "off" if float(m.group(1)) >= 100 else f"{float(m.group(1)):g}%"
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*(bytes|[BKMG])?", t, re.IGNORECASE)
    if m is None:
        return None
    unit = (m.group(2) or "").upper()
    n = int(float(m.group(1)) * _BYTES.get(unit if unit != "BYTES" else "B", 1))
    if n == -1:
        return "automatic"
    if n == -2 or (n == 0 and _version(version)[:2] == (10, 0) and not unit):   # 10.0: 0 meant disabled
        return "off"
    return f"{n} bytes" if n >= 0 else None


VALUED: dict[str, _Valued] = {
    "sleep_time": _Valued("Sleep time", "--sleepTime", (7, 1), "0 ms", _number(" ms")),
    "idle_time": _Valued("Idle time", "--idleTime", (8, 2), "0 ms", _number(" ms")),
    "persistent_cache_ratio": _Valued("Persistent Cache Ratio", "--persistentCacheRatio", (8, 5), "0", _number()),
    "optimization_profile": _Valued("Optimization Profile Index", "--useProfile", (10, 0), "0", _number()),
    "weight_streaming": _Valued("Weight Streaming Budget", "--weightStreamingBudget", (10, 0), "off", _budget),
}


def _version(version: str | None) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version or "")[:3])


def _options_dump(options: Mapping[str, str]) -> bool:
    """The options are a whole Inference Options dump (every trtexec since 7.1 prints ``CUDA Graph``), not an
    excerpt's few lines."""
    return _option(options, ("CUDA Graph",)) is not None


def valued(bundle: EngineBundle, name: str) -> str | None:
    """The normalised value of the :data:`VALUED` setting ``name``: its option line, else a known command line
    (a flag absent from it: trtexec's default), else a whole options dump without the line from a trtexec older
    than the option (TREx metadata records no version: a dump without the line is taken as such), else None."""
    s = VALUED[name]
    text = _option(bundle.inference_options, (s.key,))
    if text is not None:
        return s.read(text, bundle.trt_version)
    commands = _commands(bundle)
    if commands:
        m = _flag(commands, s.flag)
        return s.default if m is None else s.read(m.group("value") or "", bundle.trt_version)
    version = _version(bundle.trt_version)
    if _options_dump(bundle.inference_options) and (not version or version[:2] < s.since):
        return s.default
    return None


def expose_dma(bundle: EngineBundle) -> bool | None:
    """Host<->device copies serialised with the compute instead of overlapping it (``--exposeDMA``;
    ``ExposeDMA: Enabled``)."""
    return switch(bundle.inference_options, _commands(bundle), ("ExposeDMA",), "--exposeDMA")

"""How a trtexec run measured: the inference settings that change the times it reports, read once from a bundle.

trtexec's GPU Compute Time is the span between CUDA events recorded around the whole enqueue of an iteration
(sampleInference.cpp), so anything that changes the launches inside that span or the GPU's work beside it
changes the figure without any change of the engine: CUDA graphs (one graph launch instead of many kernel
launches), several inference streams or threads sharing the GPU, host<->device copies on the copy streams, the
per-layer profiler synchronising around every layer in the timed run (``--dumpProfile`` / ``--exportProfile``
without ``--separateProfileRun``), and spin-wait (how fast the host sees an iteration end and enqueues the next).

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
from collections.abc import Mapping, Sequence
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

"""Optional NVTX ranges around each phase of a live profile, so an Nsight Systems capture reads easily.

Uses the ``nvtx`` package (``pip install nvtx``, part of the ``[trt]`` extra) when it imports; otherwise every
range is a no-op and nothing else changes. Set ``TRTINSPECT_NVTX=0`` to switch ranges off even when the
package is installed. All ranges go to the NVTX domain ``trtinspect``.

Phases and their colours are declared once in :data:`PHASE_COLORS`; a range whose name starts with a
declared phase gets that phase's colour.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

DOMAIN = "trtinspect"

# phase name prefix -> NVTX colour name (names the nvtx package accepts)
PHASE_COLORS: dict[str, str] = {
    "deserialize": "purple",
    "inspect": "purple",
    "allocate": "yellow",
    "warmup": "orange",
    "timing": "blue",
    "profile": "green",
    "h2d": "cyan",
    "compute": "red",
    "d2h": "cyan",
    "gpu-state": "yellow",
}


class NvtxRanges:
    """Push/pop NVTX ranges through an ``nvtx``-like module, or do nothing when ``module`` is None.

    ``module`` needs ``push_range(message=, color=, domain=)`` and ``pop_range(domain=)`` (the ``nvtx``
    package's API). Tests inject a recording double; production code uses :func:`default_ranges`.
    """

    def __init__(self, module: Any | None) -> None:
        self.module = module

    @property
    def enabled(self) -> bool:
        return self.module is not None

    @contextmanager
    def range(self, name: str) -> Iterator[None]:
        """A context manager marking ``name`` on the NVTX timeline (no-op when disabled)."""
        if self.module is None:
            yield
            return
        color = next((c for prefix, c in PHASE_COLORS.items() if name.startswith(prefix)), None)
        self.module.push_range(message=name, color=color, domain=DOMAIN)
        try:
            yield
        finally:
            self.module.pop_range(domain=DOMAIN)


_DEFAULT: NvtxRanges | None = None


def load_nvtx_module() -> Any | None:
    """The ``nvtx`` module, or None when it is not installed or ``TRTINSPECT_NVTX=0``."""
    if os.environ.get("TRTINSPECT_NVTX", "1").strip() in {"0", "false", "no", "off"}:
        return None
    try:
        import nvtx
    except ImportError:
        log.debug("nvtx package not installed: NVTX ranges are off (pip install nvtx to enable them)")
        return None
    return nvtx


def default_ranges() -> NvtxRanges:
    """The process-wide ranges object, backed by the real ``nvtx`` package when it imports."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = NvtxRanges(load_nvtx_module())
    return _DEFAULT


def nvtx_range(name: str) -> Any:
    """``with nvtx_range("warmup"): ...`` using :func:`default_ranges`."""
    return default_ranges().range(name)

"""What every subcommand shares, declared once: loading inputs the command-line way and the common options.

Commands load through :func:`load` (the library's :func:`trtinspect.load` plus a progress bar on a terminal
for long nsys loads; the library itself stays silent).
"""

from __future__ import annotations

from pathlib import Path

import trtinspect
from trtinspect.parsers.model import EngineBundle
from trtinspect.parsers.nsys.bundle import require_tensorrt


def load(*paths: str | Path, name: str | None = None) -> EngineBundle:
    """Load one engine bundle for a command (see :func:`trtinspect.load`)."""
    return trtinspect.load(*paths, name=name, terminal_progress=True)


def load_evidence(*paths: str | Path, name: str | None = None, what: str = "TensorRT evidence") -> EngineBundle:
    """:func:`load`, refusing an Nsight Systems export without TensorRT activity (check and diff compare
    TensorRT engines; such an export has no engine to compare)."""
    bundle = load(*paths, name=name)
    require_tensorrt(bundle, what)
    return bundle

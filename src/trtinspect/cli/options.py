"""What every subcommand shares, declared once: loading inputs the command-line way and the common options.

Commands load through :func:`load` (the library's :func:`trtinspect.load` plus a progress bar on a terminal
for long nsys loads; the library itself stays silent).
"""

from __future__ import annotations

from pathlib import Path

import trtinspect
from trtinspect.parsers.model import EngineBundle


def load(*paths: str | Path, name: str | None = None) -> EngineBundle:
    """Load one engine bundle for a command (see :func:`trtinspect.load`)."""
    return trtinspect.load(*paths, name=name, terminal_progress=True)

"""trtinspect: why is one TensorRT engine slower than another?

Library entry points::

    import trtinspect
    bundle = trtinspect.load("sample:resnet18-a100/qat")     # or a directory, engine file, JSON or log
    bundle.layers, bundle.profile, bundle.times, bundle.summary

The package is layered (docs/architecture.md; an import-linter contract in pyproject.toml enforces it):
base (errors, version, gcpause, samples) -> parsers (sources, bundle model, loader, writer) -> inspector
(analyses) and capture (trtexec/TensorRT runs) -> render (output formats, plots) -> cli and app.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtinspect.errors import InternalError, NotComparableError, TrtInspectError
from trtinspect.version import __version__

__all__ = [
    "EngineBundle", "InternalError", "NotComparableError", "TrtInspectError", "__version__", "figures", "load",
]

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle


def load(*paths: Any, name: str | None = None, max_file_bytes: int | None = None,
         terminal_progress: bool = False, progress: Any = None) -> EngineBundle:
    """Load one engine bundle from a directory, an engine file with sidecars, or explicit files.

    ``progress(stage, done, total)`` is called while a long Nsight Systems export loads; ``terminal_progress``
    draws a bar on stderr instead when it is a terminal (the command line's choice).

    See :func:`trtinspect.parsers.bundle.load` (``max_file_bytes`` caps any one input file; default 2 GiB or
    ``$TRTINSPECT_MAX_FILE_BYTES``). An engine file without sidecar files is profiled live with TensorRT when
    ``tensorrt`` imports (:func:`trtinspect.capture.trt_backend.bundle_from_engine`).
    """
    from trtinspect.parsers.bundle import load as _load

    if not terminal_progress:
        return _load(*paths, name=name, max_file_bytes=max_file_bytes, engine_reader=read_engine_with_tensorrt,
                     progress=progress)
    from trtinspect.render.progress import terminal_progress as bar

    with bar() as progress:  # the parsers report progress through the callback; the bar is drawn here
        return _load(*paths, name=name, max_file_bytes=max_file_bytes, engine_reader=read_engine_with_tensorrt,
                     progress=progress)


def read_engine_with_tensorrt(engine: Path) -> EngineBundle | None:
    """The loader's engine reader: TensorRT when it imports, else None (the loader then says how to export)."""
    from trtinspect.capture import trt_backend

    if not trt_backend.tensorrt_available():
        return None
    bundle: EngineBundle = trt_backend.bundle_from_engine(engine)
    return bundle


def figures(obj: Any, **kwargs: Any) -> dict[str, Any]:
    """The plotly figures the dashboard draws for an engine bundle or a diff result, by name
    (:func:`trtinspect.app.figures.figures`)."""
    from trtinspect.app.figures import figures as _figures

    return _figures(obj, **kwargs)


def _register_notebook_display() -> None:
    """In a running IPython kernel, show bundles, diffs and checks as HTML tables (trtinspect.render.notebook,
    registered by class name with IPython's HTML formatter). Outside IPython this does nothing."""
    import sys

    if "IPython" not in sys.modules:
        return
    from trtinspect.render.notebook import register

    register()  # looks up the running IPython shell (guarded there); does nothing outside one


def __getattr__(attr: str) -> Any:
    if attr == "EngineBundle":
        from trtinspect.parsers.model import EngineBundle

        return EngineBundle
    raise AttributeError(attr)


_register_notebook_display()

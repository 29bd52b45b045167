"""trtinspect: why is one TensorRT engine slower than another?

Library entry points::

    import trtinspect
    bundle = trtinspect.load("sample:resnet18-a100/qat")     # or a directory, engine file, JSON or log
    bundle.layers, bundle.profile, bundle.times, bundle.summary
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trtinspect.errors import InternalError, NotComparableError, TrtInspectError

__version__ = "0.1.0"
__all__ = ["EngineBundle", "InternalError", "NotComparableError", "TrtInspectError", "__version__", "load"]

if TYPE_CHECKING:
    from trtinspect.model import EngineBundle


def load(*paths: Any, name: str | None = None, max_file_bytes: int | None = None) -> EngineBundle:
    """Load one engine bundle from a directory, an engine file with sidecars, or explicit files.

    See :func:`trtinspect.bundle.load` (``max_file_bytes`` caps any one input file; default 2 GiB or
    ``$TRTINSPECT_MAX_FILE_BYTES``).
    """
    from trtinspect.bundle import load as _load

    return _load(*paths, name=name, max_file_bytes=max_file_bytes)


def __getattr__(attr: str) -> Any:
    if attr == "EngineBundle":
        from trtinspect.model import EngineBundle

        return EngineBundle
    raise AttributeError(attr)

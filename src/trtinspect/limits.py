"""Numbers a setting must hold, one rule each, read by the command line and the Python API alike.

``positive_problem`` is the rule for a count of seconds or megabytes: ``cli.options.PositiveNumber`` (``--duration``,
``--timeout``, ``--max-upload-mb``) and the capture option objects (``capture.trt_backend.ProfileOptions``,
``capture.trtexec.CaptureOptions``) all ask it, so the API cannot take what the command line refuses. NaN compares
false with every limit (a ``duration_s=nan`` loop never ends, or never starts), inf is no limit at all.
"""

from __future__ import annotations

import math

__all__ = ["positive_problem"]


def positive_problem(value: object, minimum: float = 0.0) -> str | None:
    """Why ``value`` is not a finite number above zero (and at least ``minimum``), or None when it is one. The
    text follows the value: ``'nan'`` + ``is not a finite number``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "is not a number"
    if not math.isfinite(value):
        return "is not a finite number"
    if value <= 0:
        return "is not above zero"
    if value < minimum:
        return f"is below the smallest accepted, {minimum:g}"
    return None

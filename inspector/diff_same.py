"""``diff`` of a run with itself (``diff X X``, a folder and its copy, one log twice): said first, and no cause
claims a measured difference. ``check`` refuses this case (:func:`trtinspect.inspector.check_inputs.
refuse_same_pair`); ``diff`` shows it, since A and B are what the user asked to see."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from trtinspect.inspector.check_inputs import _one_run

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle


def same_run(a: EngineBundle, b: EngineBundle) -> str:
    """Why A and B are one run ('' when they are not): the same files, or the same measurements (the loader's
    rule for one run given twice, :func:`trtinspect.inspector.check_inputs._one_run`)."""
    files_a = {os.path.realpath(p) for ps in a.sources.values() for p in ps}
    files_b = {os.path.realpath(p) for ps in b.sources.values() for p in ps}
    if files_a and files_a == files_b:
        return "the same files"
    return _one_run(a, b)


def _zero(cause: dict[str, Any]) -> bool:
    d = cause.get("delta_ms")
    return isinstance(d, float) and not math.isnan(d) and d == 0.0


def mark_same_run(result: Any, why: str, timing_title: str) -> None:
    """Say first that A and B are one run, and drop the 'same layers and kernels, different measured time'
    cause (``timing_title``) where its time differs by exactly nothing: there is no difference to explain."""
    result.causes = [c for c in result.causes if not (c.get("cause") == "timing" and _zero(c))]
    lines = []
    for line in result.summary_sentences():
        if line.startswith("Also: ") and timing_title in line:
            rest = [p for p in line.removeprefix("Also: ").rstrip(".").split("; ") if not p.startswith(timing_title)]
            if not rest:
                continue
            line = "Also: " + "; ".join(rest) + "."
        lines.append(line)
    note = (f"A and B are the same run ({why}): every difference below is zero because one measurement is compared "
            "with itself, not a sign that two engines time the same; diff two builds (or two profiling runs of one "
            "build, to see run-to-run noise).")
    result.summary_lines = [note, *lines]
    result.summary = "\n".join(result.summary_lines)

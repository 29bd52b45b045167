"""The rules a ``check`` setting's value must meet: ONE place, read by :class:`~trtinspect.inspector.check.Thresholds`
(every object, whoever builds it: the Python API, the config file, the flags) and by ``check_config`` (which says
where a value came from: the file, or the flags).

A value here is already a number or a bool (``check_config`` parses ``"5%"``, ``"0.01 ms"`` and refuses a bare
``5`` as ambiguous: that is syntax, not a range). NaN compares false with every threshold and is no JSON number;
a negative floor or share would pass everything; ``alpha`` outside (0, 1) makes every or no p-value significant;
``min_runs`` below 2 would call one run per side "tested" (a one-sided test of one median per run has no spread).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from trtinspect.errors import TrtInspectError

__all__ = ["KINDS", "problem", "validate"]

# Thresholds field -> kind of value. fraction: 0.05 = 5% (above 1 allowed: "150%"); share: a fraction at most 1;
# alpha: a fraction strictly between 0 and 1; ms / number: finite, not negative; runs: whole, at least 2.
KINDS: dict[str, str] = {
    "threshold": "fraction",
    "group_threshold": "fraction",
    "floor_ms": "ms",
    "floor_share": "share",
    "min_share": "share",
    "alpha": "alpha",
    "spread_factor": "number",
    "min_runs": "runs",
    "strict_groups": "bool",
}


def problem(kind: str, value: Any) -> tuple[str, str | None] | None:
    """(what is wrong, hint) with ``value`` for a setting of ``kind`` (:data:`KINDS`), or None when it is fine.
    The text follows the setting's name: ``min_runs`` + ``must be at least 2 (...)``."""
    if kind == "bool":
        return None if isinstance(value, bool) else ("must be true or false", None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number", None
    if not math.isfinite(value):
        return "must be a finite number", None
    if value < 0:
        return "must not be negative", None
    if kind == "runs":
        if not float(value).is_integer():
            return "must be a whole number of runs a side", "use e.g. 3 (the default)"
        if value < 2:
            return ("must be at least 2 (a significance test needs a spread of runs on each side)",
                    "use e.g. 3 (the default)")
    if kind == "alpha" and not 0 < value < 1:
        return "must be between 0 and 1 (exclusive)", "use e.g. 0.05 (the default)"
    if kind == "share" and value > 1:
        return "must be at most 100%", None
    return None


def validate(owner: str, values: Mapping[str, Any]) -> None:
    """Raise :class:`TrtInspectError` (one line) for the first of ``values`` (field -> value, every field of
    :data:`KINDS`) that breaks its rule; ``owner`` names the object (``Thresholds``)."""
    for name, value in values.items():
        bad = problem(KINDS[name], value)
        if bad is not None:
            raise TrtInspectError(f"{owner}({name}={value!r}): {name} {bad[0]}", hint=bad[1])

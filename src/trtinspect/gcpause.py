"""One helper for a performance measure several hot paths share."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector for the block; the previous state is restored on every exit.

    Parsing, linting and aligning 50,000-layer engines allocate millions of small acyclic containers; each
    allocation burst would trigger a collection that re-scans every live object, costing a third to a half of
    the run time (see docs/benchmarks.md). Nothing built in these blocks forms reference cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

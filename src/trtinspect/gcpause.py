"""Helpers for the performance measures several hot paths share: the collector paused, big objects kept."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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


# In the console process (trtinspect.cli.console_main), what is handed to keep_until_exit; None elsewhere.
_kept: list[Any] | None = None


def keep_objects_until_exit() -> None:
    """From now on, :func:`keep_until_exit` keeps what it is given: only for a process that ends with
    ``os._exit`` once its command is done (:func:`trtinspect.cli.console_main`)."""
    global _kept
    if _kept is None:
        _kept = []


def keep_until_exit(*objs: Any) -> None:
    """Keep a command's big objects (bundles, results, output text, the lint's per-row views) alive until the
    console process ends.

    A 50,000-layer bundle is millions of small Python objects; freeing them one by one when the command
    returns costs a few tenths of a second that a process about to end with ``os._exit`` need not pay (the
    operating system takes the memory back at once). Only the console process turns this on
    (:func:`keep_objects_until_exit`): when the commands run inside another program (tests, the library),
    this does nothing and objects are freed as usual.
    """
    if _kept is not None:
        _kept.extend(objs)

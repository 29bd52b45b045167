"""Consistency of an engine's layer graph: what a TensorRT engine cannot contain (pure, O(layers + tensors)).

A real engine is a DAG: every tensor a layer reads is written by one layer or is an engine input (a
binding), and no layer reads what it writes. A file that breaks this was edited, truncated and repaired, or
made by something other than TensorRT. The rest of the file stays usable, so each problem becomes one note
(never a refusal); analyses that walk edges (lint's producer/consumer rules, diff's fusion adjacency) then
know why an edge looks odd.

Checked: layers that read a tensor they write themselves (self-loops), cycles through several layers, and
tensors read by some layer that no layer writes and that are not bindings (only when the file lists its
bindings; older TensorRT files do not, and then every unwritten tensor is an engine input).
Duplicate layer names and tensors with several writers are noted by the layer parser itself.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from typing import Any

import pandas as pd

from trtinspect.gcpause import gc_paused

__all__ = ["graph_notes", "parsed_graph_notes"]

_SHOW = 3


def _listed(names: Sequence[str]) -> str:
    more = f" (+{len(names) - _SHOW} more)" if len(names) > _SHOW else ""
    return ", ".join(repr(n) for n in names[:_SHOW]) + more


def _seq(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple)) else []


def _cycle_members(n: int, producers: list[list[Any]], pos: dict[Any, int]) -> list[int]:
    """Positions of the layers left on a cycle once every acyclic part is peeled off (Kahn's algorithm)."""
    consumers: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for i, prods in enumerate(producers):
        for p in prods:
            j = pos.get(p)
            if j is None or j == i:
                continue
            consumers[j].append(i)
            indeg[i] += 1
    ready = [i for i in range(n) if indeg[i] == 0]
    seen = 0
    while ready:
        j = ready.pop()
        seen += 1
        for i in consumers[j]:
            indeg[i] -= 1
            if indeg[i] == 0:
                ready.append(i)
    return [] if seen == n else [i for i in range(n) if indeg[i] > 0]


def graph_notes(frame: pd.DataFrame, bindings: Sequence[str] | None) -> list[str]:
    """One note per kind of inconsistency found in a detailed LAYERS frame (empty list when consistent)."""
    with gc_paused():          # tens of thousands of small lists: no collector passes over the bundle
        return _graph_notes(frame, bindings)


def _graph_notes(frame: pd.DataFrame, bindings: Sequence[str] | None) -> list[str]:
    if frame.empty or "producers" not in frame.columns:
        return []
    n = len(frame)
    index = frame["layer_index"].tolist()
    pos = {li: i for i, li in enumerate(index)}
    producers = [v if isinstance(v, list) else _seq(v) for v in frame["producers"].tolist()]
    empty: list[Any] = []
    ins = frame["input_names"].tolist() if "input_names" in frame.columns else [empty] * n
    outs = frame["output_names"].tolist() if "output_names" in frame.columns else [empty] * n
    ins = [v if isinstance(v, list) else _seq(v) for v in ins]
    outs = [v if isinstance(v, list) else _seq(v) for v in outs]
    loops = [i for i in range(n) if ins[i] and outs[i] and not set(ins[i]).isdisjoint(outs[i])]
    # An engine lists its layers in execution order, so every producer comes first; only a graph with a
    # backward edge can hold a cycle (then Kahn's algorithm finds its layers).
    backward = any(pos.get(p, -1) >= i for i, prods in enumerate(producers) for p in prods)
    cyc = _cycle_members(n, producers, pos) if backward else []
    ghosts: list[str] = []
    if bindings is not None:
        known = {t for o in outs for t in o}
        known.update(bindings)
        ghosts = list(dict.fromkeys(t for i in ins for t in i if t not in known))
    return _notes(frame["name"].tolist(), loops, cyc, ghosts)


def parsed_graph_notes(names: Sequence[str], producers: list[list[int]], loops: list[int], backward: bool,
                       read: Iterable[str], written: Container[str], bindings: Sequence[str] | None
                       ) -> list[str]:
    """:func:`graph_notes` from what the layer parser collected in its one pass (layer_index = position).

    ``loops``: rows reading a tensor they write; ``backward``: some producer is not before its reader;
    ``read``: every tensor read, in the order first read; ``written``: every tensor some layer writes.
    """
    n = len(names)
    cyc = _cycle_members(n, producers, {i: i for i in range(n)}) if backward else []
    ghosts: list[str] = []
    if bindings is not None:
        bound = set(bindings)
        if isinstance(written, dict | set | frozenset):  # the unwritten tensors by set steps in C, then in order
            unwritten = set(read)
            unwritten.difference_update(written)
            unwritten.difference_update(bound)
            ghosts = [t for t in read if t in unwritten] if unwritten else []
        else:
            ghosts = [t for t in read if t not in written and t not in bound]
    return _notes(names, loops, cyc, ghosts)


def _notes(names: Sequence[Any], loops: list[int], cyc: list[int], ghosts: list[str]) -> list[str]:
    def shown(rows: list[int]) -> list[str]:
        return [str(names[i]) for i in rows[:_SHOW]] + [""] * max(0, len(rows) - _SHOW)

    notes = []
    if loops:
        notes.append(f"{len(loops)} layer(s) read a tensor they write themselves (a self-loop TensorRT cannot "
                     f"build): {_listed(shown(loops))}")
    if cyc:
        notes.append(f"the layer graph has a cycle through {len(cyc)} layer(s) (an engine is acyclic; edges "
                     f"and execution order may be wrong): {_listed(shown(cyc))}")
    if ghosts:
        notes.append(f"{len(ghosts)} tensor(s) are read but written by no layer and are not engine bindings "
                     f"(missing layers?): {_listed([str(t) for t in ghosts])}")
    return notes

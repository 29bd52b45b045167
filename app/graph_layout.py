"""A layered (Sugiyama-style) layout of a small directed graph, computed on the server.

The dashboard never lays out a whole big engine: it lays out the VISIBLE nodes of a collapsed view (a few
dozen to a few hundred boxes), so the layout is plain Python and deterministic, and the browser only draws
(cytoscape ``preset`` layout). Steps:

1. **Acyclic**: an edge that goes backwards in execution order is reversed for ranking (drawn as is).
2. **Ranks**: longest path from the sources (inputs at the top), then sources are pulled down next to their
   first consumer.
3. **Long edges** get one dummy point per rank they cross, so they are routed around boxes, not through them.
4. **Order** within a rank: execution order, then barycentre sweeps down and up (fewer crossings).
5. **x**: each box moves towards the mean x of its neighbours; an order-preserving least-squares fit
   (pool-adjacent-violators) keeps boxes apart. **y**: ranks stacked by their tallest box.

Returns node centres and, per edge, the bend points its dummies got.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

RANK_GAP = 34.0  # vertical space between two ranks (px at zoom 1)
NODE_GAP = 34.0  # horizontal space between two boxes
DUMMY_WIDTH = 14.0
SWEEPS = 6
X_PASSES = 10


@dataclass(frozen=True)
class Layout:
    """Centres of the nodes and bend points of the edges (``points[k]`` for ``edges[k]``)."""

    x: list[float]
    y: list[float]
    rank: list[int]
    points: list[list[tuple[float, float]]]
    width: float
    height: float


def _ranks(n: int, key: Sequence[float], edges: Sequence[tuple[int, int]]) -> list[int]:
    order = sorted(range(n), key=lambda i: (key[i], i))
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        preds[v].append(u)
        succs[u].append(v)
    rank = [0] * n
    for v in order:
        rank[v] = max((rank[u] + 1 for u in preds[v]), default=0)
    for v in reversed(order):  # a source sits just above its nearest consumer, not at the very top
        if not preds[v] and succs[v]:
            rank[v] = max(rank[v], min(rank[s] for s in succs[v]) - 1)
    return rank


def _pav(desired: list[float], gaps: list[float]) -> list[float]:
    """Positions closest (least squares) to ``desired`` with ``x[i+1] - x[i] >= gaps[i]``."""
    offset = [0.0]
    for g in gaps:
        offset.append(offset[-1] + g)
    y = [d - o for d, o in zip(desired, offset, strict=True)]
    blocks: list[list[float]] = []  # [sum, count]
    for v in y:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    out: list[float] = []
    for s, c in blocks:
        out.extend([s / c] * int(c))
    return [v + o for v, o in zip(out, offset, strict=True)]


def layered_layout(
    widths: Sequence[float],
    heights: Sequence[float],
    key: Sequence[float],
    edges: Sequence[tuple[int, int]],
) -> Layout:
    """Lay out nodes ``0..n-1`` (box sizes, execution-order key) and directed ``edges`` top to bottom."""
    n = len(widths)
    if n == 0:
        return Layout([], [], [], [[] for _ in edges], 0.0, 0.0)
    dag: list[tuple[int, int]] = []
    for u, v in edges:
        if u == v:
            continue
        dag.append((u, v) if (key[u], u) < (key[v], v) else (v, u))
    rank = _ranks(n, key, dag)
    lg = _layering(widths, rank, key, edges)
    rows = _order_rows(lg)
    x = _place_x(lg, rows, n)
    rank_h = [max((heights[i] for i in row if i < n), default=10.0) for row in rows]
    ys, cur = [], 0.0
    for h in rank_h:
        ys.append(cur + h / 2)
        cur += h + RANK_GAP
    total = len(lg.w)
    y = [ys[lg.rk[i]] for i in range(total)]
    lo = min(x[i] - lg.w[i] / 2 for i in range(total))
    hi = max(x[i] + lg.w[i] / 2 for i in range(total))
    x = [v - lo for v in x]
    points = [[(x[d], y[d]) for d in chain] for chain in lg.chains]
    return Layout(x[:n], y[:n], rank, points, hi - lo, cur - RANK_GAP)


@dataclass
class _Layering:
    """The layering graph: real nodes ``0..n-1``, then dummies (one per rank an edge crosses); per node its
    width ``w``, rank ``rk``, order key ``kk``, neighbours above (``up``) and below (``down``);
    ``chains[k]``: the dummies on the path of ``edges[k]``, in the edge's direction."""

    w: list[float]
    rk: list[int]
    kk: list[float]
    up: list[list[int]]
    down: list[list[int]]
    chains: list[list[int]]


def _layering(
    widths: Sequence[float], rank: list[int], key: Sequence[float], edges: Sequence[tuple[int, int]]
) -> _Layering:
    """Break every edge that spans several ranks into a chain of dummy nodes (one chain per node pair)."""
    n = len(widths)
    lg = _Layering(list(widths), list(rank), list(key), [[] for _ in range(n)], [[] for _ in range(n)], [])
    seen_pairs: dict[tuple[int, int], list[int]] = {}
    for u, v in edges:
        if u == v:
            lg.chains.append([])
            continue
        a, b = (u, v) if (key[u], u) < (key[v], v) else (v, u)
        if (a, b) in seen_pairs:
            lg.chains.append(seen_pairs[(a, b)] if (a, b) == (u, v) else list(reversed(seen_pairs[(a, b)])))
            continue
        path = [a]
        for r in range(lg.rk[a] + 1, lg.rk[b]):
            d = len(lg.w)
            lg.w.append(DUMMY_WIDTH)
            lg.rk.append(r)
            lg.kk.append((key[a] + key[b]) / 2)
            lg.up.append([])
            lg.down.append([])
            path.append(d)
        path.append(b)
        for s, t in pairwise(path):
            lg.down[s].append(t)
            lg.up[t].append(s)
        inner = path[1:-1]
        seen_pairs[(a, b)] = inner
        lg.chains.append(inner if (a, b) == (u, v) else list(reversed(inner)))
    return lg


def _order_rows(lg: _Layering) -> list[list[int]]:
    """Nodes per rank, in execution order, then reordered by barycentre sweeps (down, up, ...)."""
    total = len(lg.w)
    levels: dict[int, list[int]] = {}
    for i in sorted(range(total), key=lambda i: (lg.kk[i], i)):
        levels.setdefault(lg.rk[i], []).append(i)
    n_ranks = max(levels) + 1
    rows = [levels.get(r, []) for r in range(n_ranks)]
    pos = [0.0] * total
    for row in rows:
        for k, i in enumerate(row):
            pos[i] = float(k)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        rng = range(1, n_ranks) if downward else range(n_ranks - 2, -1, -1)
        for r in rng:
            nb = lg.up if downward else lg.down

            def bary(i: int, nb: list[list[int]] = nb) -> tuple[float, float]:
                xs = [pos[j] for j in nb[i]]
                return (sum(xs) / len(xs) if xs else pos[i], pos[i])

            rows[r].sort(key=bary)
            for k, i in enumerate(rows[r]):
                pos[i] = float(k)
    return rows


def _place_x(lg: _Layering, rows: list[list[int]], n: int) -> list[float]:
    """x centres: each rank packed and centred, then pulled towards its neighbours (order and gaps kept)."""
    w, up, down = lg.w, lg.up, lg.down
    n_ranks = len(rows)
    x = [0.0] * len(w)
    for row in rows:
        cur = 0.0
        for i in row:
            x[i] = cur + w[i] / 2
            cur += w[i] + NODE_GAP
        shift = (cur - NODE_GAP) / 2
        for i in row:
            x[i] -= shift
    for p in range(X_PASSES):
        downward = p % 2 == 0
        rng = range(1, n_ranks) if downward else range(n_ranks - 2, -1, -1)
        for r in rng:
            row = rows[r]
            if not row:
                continue
            nb = up if downward else down
            desired = []
            for i in row:
                xs = [x[j] for j in nb[i]] or [x[j] for j in (down if downward else up)[i]]
                desired.append(sum(xs) / len(xs) if xs else x[i])
            gaps = [
                (w[a] + w[b]) / 2 + (NODE_GAP if a < n and b < n else NODE_GAP / 3)
                for a, b in pairwise(row)
            ]
            for i, xi in zip(row, _pav(desired, gaps), strict=True):
                x[i] = xi
    return x

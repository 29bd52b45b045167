"""The sequence alignment ``align`` and ``align_fusion`` pair layers by (pure, numpy): a longest common
subsequence of two token sequences (layer types / op kinds in execution order), as difflib-style opcodes.

Among the longest, the one pairing the most items whose sub-codes are equal too (``align_fusion``: the same
op-kind composition, so ``Conv + Relu`` pairs with ``conv2d + relu``, not a neighbouring ``Conv + Add + Relu``),
then the one with the fewest gaps (runs of unpaired items on one side): a run of layers only one engine has is
one run, not spread between pairs, and what is left after the last pair costs nothing.

Exact (a dynamic programme over all ``n x m`` cells, each row a few whole-array numpy operations) up to a
caller's cell limit; above it, window by window, each window starting just after the last pair the previous
one kept and keeping only the pairs of its first half, so the windows follow the alignment. (This replaced
difflib's longest-block-first matching in fixed proportional windows, which on repetitive layer sequences
with interleaved extra layers -- a Q/DQ build against a float one -- paired a whole window's run of one engine
with a single layer of the other.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence

import numpy as np

__all__ = ["aligned_opcodes", "opcodes_from_pairs"]

Opcode = tuple[str, int, int, int, int]


def opcodes_from_pairs(pairs: Sequence[tuple[int, int]], n: int, m: int) -> list[Opcode]:
    """difflib-style opcodes from matched index pairs (increasing in both sequences, one item each) of two
    sequences of lengths ``n`` and ``m``: each pair an ``equal`` of one item, the gaps between pairs
    ``replace`` / ``delete`` / ``insert``."""
    out: list[Opcode] = []
    pi = pj = 0
    for i, j in [*pairs, (n, m)]:
        if i > pi or j > pj:
            tag = "replace" if i > pi and j > pj else "delete" if i > pi else "insert"
            out.append((tag, pi, i, pj, j))
        if i < n and j < m:
            out.append(("equal", i, i + 1, j, j + 1))
        pi, pj = i + 1, j + 1
    return out


# --------------------------------------------------------------------------------------------------------
# The alignment align and align_fusion use: the heaviest common subsequence, fewest gaps among equals.

# Scores, compared in this order: the number of pairs, then the fewest gaps (runs of unpaired items on one
# side), then (when sub-codes are given) how many pairs have equal sub-codes too. A pair is worth ``pair``,
# plus 1 when its sub-codes are equal; a gap costs ``gap``, more than any sum of those 1s; ``pair`` is more
# than any sum of gap costs and 1s, so a later criterion only breaks ties of the earlier ones.
Weights = tuple[int, int, int]       # (pair, sub, gap)


def _weights(n: int, m: int) -> Weights:
    """The weights for sequences of n and m items (see above; int64 holds every score for n x m up to
    billions of cells)."""
    gap = min(n, m) + 2
    return (n + m + 3) * gap, 1, gap


def _gain_matrix(a: tuple[np.ndarray, np.ndarray | None], b: tuple[np.ndarray, np.ndarray | None],
                 weights: Weights, dtype: type) -> np.ndarray:
    """What pairing item i of a with item j of b is worth; not equal: a value below any score (so that a path
    through it never wins)."""
    (a_codes, a_subs), (b_codes, b_subs) = a, b
    worth: np.ndarray = np.full((len(a_codes), len(b_codes)), weights[0], dtype=dtype)
    if a_subs is not None and b_subs is not None:
        worth += (a_subs[:, None] == b_subs[None, :]).astype(dtype) * dtype(weights[1])
    worth[a_codes[:, None] != b_codes[None, :]] = np.iinfo(dtype).min // 2
    return worth


def _suffix_table(worth: np.ndarray, gap: int) -> np.ndarray:
    """``H[i, j]``: the best score of ``a[i:]`` vs ``b[j:]`` with no gap open; 0 when nothing more pairs (what
    is left after the last pair costs nothing: at a window's end it is only where the next window starts). One
    row at a time, vectorised along it: with ``X[i, j] = max(H[k, j], k > i)`` (a gap over a's items open) and
    ``P = max(pair, X - gap)``, the best with a gap over b's items open is ``max(P[i, k], k > j)`` (``P[i, m]``
    read as ``gap``: stopping costs nothing), a reverse running maximum, so each row is a few whole-array
    operations."""
    n, m = worth.shape
    dtype = worth.dtype.type
    table = np.zeros((n + 1, m + 1), dtype=dtype)
    gap_x = np.full(m, -gap, dtype=dtype)               # X - gap over the row below (X: 0 at row n)
    best = np.empty(m + 1, dtype=dtype)
    best[m] = gap
    rev = best[::-1]
    run = np.empty(m + 1, dtype=dtype)
    for i in range(n - 1, -1, -1):
        below = table[i + 1]
        np.maximum(gap_x, below[:m] - gap, out=gap_x)
        np.add(worth[i], below[1:], out=best[:m])
        np.maximum(best[:m], gap_x, out=best[:m])
        np.maximum.accumulate(rev, out=run)
        np.subtract(run[::-1][1:], gap, out=table[i, :m])
        np.maximum(table[i, :m], best[:m], out=table[i, :m])
    return table


def _trace(table: np.ndarray, gain: Callable[[int, int], int], gap: int, stop_a: int,
           stop_b: int) -> list[tuple[int, int]]:
    """The pairs of the best path from ``(0, 0)``, up to the first pair at or beyond ``stop_a`` / ``stop_b``
    (that one kept only when it is the first). Ties: pair, then skip a's items, then b's; a gap closes at the
    first item it can."""
    n, m = table.shape[0] - 1, table.shape[1] - 1
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        h = int(table[i, j])
        if h <= 0:                     # nothing more pairs
            break
        g = gain(i, j)
        if g and h == g + int(table[i + 1, j + 1]):
            if i >= stop_a or j >= stop_b:
                if not pairs:
                    pairs.append((i, j))
                break
            pairs.append((i, j))
            i, j = i + 1, j + 1
            continue
        col = table[i + 1:, j]
        if int(col.max()) - gap == h:
            i += 1 + int(np.argmax(col == h + gap))
        else:
            j += 1 + int(np.argmax(table[i, j + 1:] == h + gap))
    return pairs


def _best_pairs(a: tuple[np.ndarray, np.ndarray | None], b: tuple[np.ndarray, np.ndarray | None],
                stop_a: int, stop_b: int) -> list[tuple[int, int]]:
    n, m = len(a[0]), len(b[0])
    weights = _weights(n, m)
    # int32 when every score fits (windows always do), else int64
    dtype = np.int32 if (min(n, m) + 1) * (weights[0] + weights[1]) < 2**30 else np.int64
    worth = _gain_matrix(a, b, weights, dtype)
    if not (worth > 0).any():           # no item of a equals one of b
        return []
    table = _suffix_table(worth, weights[2])
    ca, cb = a[0].tolist(), b[0].tolist()
    sa = None if a[1] is None else a[1].tolist()
    sb = None if b[1] is None else b[1].tolist()

    def gain(i: int, j: int) -> int:
        if ca[i] != cb[j]:
            return 0
        return weights[0] + (weights[1] if sa is not None and sb is not None and sa[i] == sb[j] else 0)

    return _trace(table, gain, weights[2], stop_a, stop_b)


def _code_arrays(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    index: dict[Hashable, int] = {}
    ca = np.fromiter((index.setdefault(x, len(index)) for x in a), dtype=np.int64, count=len(a))
    cb = np.fromiter((index.setdefault(x, len(index)) for x in b), dtype=np.int64, count=len(b))
    return ca, cb


def aligned_opcodes(a: Sequence[Hashable], b: Sequence[Hashable], a_subs: Sequence[Hashable] | None = None,
                    b_subs: Sequence[Hashable] | None = None, *, max_cells: int,
                    window: int) -> list[Opcode]:
    """difflib-style opcodes of a longest common subsequence of ``a`` and ``b``; among the longest, the one
    pairing the most items whose ``subs`` (when given) are equal too, then the one with the fewest gaps (runs
    of unpaired items), so an engine's extra tail is one run at its end, not spread between pairs.

    Up to ``max_cells`` (``len(a) x len(b)``) exact. Above it, window by window: each window starts just
    after the last pair kept and spans about ``2 x window`` items of the shorter sequence (proportionally
    more of the longer one); the pairs in its first half are kept (lookahead for the rest), so the windows
    follow the alignment wherever it goes and never cut it at a fixed place."""
    n, m = len(a), len(b)
    ca, cb = _code_arrays(a, b)
    sa, sb = (None, None) if a_subs is None or b_subs is None else _code_arrays(a_subs, b_subs)
    if n * m <= max_cells:
        return opcodes_from_pairs(_best_pairs((ca, sa), (cb, sb), n, m), n, m)
    pairs: list[tuple[int, int]] = []
    pa = pb = 0
    area = 4 * window * window          # a window's cells
    slope = m / n                       # items of b per item of a, re-estimated from what each window kept
    while pa < n and pb < m:
        wa = min(n - pa, max(16, round(math.sqrt(area / slope))))
        wb = min(m - pb, max(16, round(math.sqrt(area * slope))))
        a1, b1 = pa + wa, pb + wb
        last = a1 == n and b1 == m
        stop_a = n if a1 == n else pa + wa // 2
        stop_b = m if b1 == m else pb + wb // 2
        got = _best_pairs((ca[pa:a1], None if sa is None else sa[pa:a1]),
                          (cb[pb:b1], None if sb is None else sb[pb:b1]), stop_a - pa, stop_b - pb)
        pairs.extend((i + pa, j + pb) for i, j in got)
        if last:
            break
        if got:
            na, nb = pairs[-1][0] + 1, pairs[-1][1] + 1
            slope = (nb - pb + 8) / (na - pa + 8)
            pa, pb = na, nb
        else:                            # nothing in the window pairs: move on where it is not the end
            pa, pb = (stop_a if a1 < n else pa), (stop_b if b1 < m else pb)
    return opcodes_from_pairs(pairs, n, m)

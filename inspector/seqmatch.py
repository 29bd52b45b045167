"""``difflib.SequenceMatcher(a, b, autojunk=False).get_opcodes()``, the same opcodes, computed with numpy.

difflib finds the longest matching block by walking, for every token of ``a``, every position of ``b``
holding the same token: on long sequences of a few distinct tokens (the layer types of a 50,000-layer
engine) that is close to ``len(a) x len(b)`` Python steps per block, and it recurses on both sides of every
block. Here the run lengths of equal tokens along every diagonal are computed once per pair of sequences
(``L[i, j]``: how many tokens end equal at ``a[i]``, ``b[j]``), and each block search is one vectorised pass
over its rectangle: a run inside ``a[alo:ahi]``, ``b[blo:bhi]`` ending at ``(i, j)`` is
``min(L[i, j], i - alo + 1, j - blo + 1)`` long. difflib keeps the first longest block in the order it
scans (``i`` ascending, then ``j``), which is the first maximum in row-major order: ``argmax`` gives the same
one. Without junk (no ``isjunk``, ``autojunk=False``) nothing else enters the search, so the matching blocks,
their merging and the opcodes are difflib's (tests/test_fast_paths.py compares them on random sequences).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np

Opcode = tuple[str, int, int, int, int]

# Above this many cells (a x b) the run-length table is not built (int32: 4 bytes a cell); difflib runs.
MAX_CELLS = 16_000_000


def _codes(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    index: dict[Hashable, int] = {}
    ca = np.fromiter((index.setdefault(x, len(index)) for x in a), dtype=np.int64, count=len(a))
    cb = np.fromiter((index.get(x, -1) for x in b), dtype=np.int64, count=len(b))
    return ca, cb


def _run_lengths(ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """``L[i, j]`` = number of consecutive equal tokens ending at ``a[i]`` and ``b[j]``."""
    equal = ca[:, None] == cb[None, :]
    runs = np.zeros(equal.shape, dtype=np.int32)
    if not equal.size:
        return runs
    runs[0] = equal[0]
    runs[:, 0] = equal[:, 0]
    for i in range(1, len(ca)):
        np.multiply(runs[i - 1, :-1] + 1, equal[i, 1:], out=runs[i, 1:])
    return runs


def _longest(runs: np.ndarray, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
    """difflib's ``find_longest_match(alo, ahi, blo, bhi)`` without junk: ``(i, j, size)``."""
    if alo >= ahi or blo >= bhi:
        return alo, blo, 0
    sub = runs[alo:ahi, blo:bhi]
    # the bounded length never exceeds the run length: when the first longest run of the rectangle lies wholly
    # inside it, that run is the first longest bounded one (an earlier cell of that length would be an earlier
    # longest run); else every cell is bounded
    flat = int(sub.argmax())
    i_end, j_end = divmod(flat, bhi - blo)
    size = int(sub[i_end, j_end])
    if size == 0:
        return alo, blo, 0
    if i_end + 1 >= size and j_end + 1 >= size:
        return alo + i_end - size + 1, blo + j_end - size + 1, size
    rows = np.arange(1, ahi - alo + 1, dtype=np.int32)[:, None]
    cols = np.arange(1, bhi - blo + 1, dtype=np.int32)[None, :]
    bounded = np.minimum(np.minimum(sub, rows), cols)
    flat = int(bounded.argmax())
    i_end, j_end = divmod(flat, bhi - blo)
    size = int(bounded[i_end, j_end])
    if size == 0:
        return alo, blo, 0
    return alo + i_end - size + 1, blo + j_end - size + 1, size


def matching_blocks(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int, int]]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()`` as plain tuples."""
    la, lb = len(a), len(b)
    runs = _run_lengths(*_codes(a, b))
    queue = [(0, la, 0, lb)]
    blocks: list[tuple[int, int, int]] = []
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        i, j, k = _longest(runs, alo, ahi, blo, bhi)
        if k:
            blocks.append((i, j, k))
            if alo < i and blo < j:
                queue.append((alo, i, blo, j))
            if i + k < ahi and j + k < bhi:
                queue.append((i + k, ahi, j + k, bhi))
    blocks.sort()
    merged: list[tuple[int, int, int]] = []
    i1 = j1 = k1 = 0
    for i2, j2, k2 in blocks:
        if i1 + k1 == i2 and j1 + k1 == j2:
            k1 += k2
        else:
            if k1:
                merged.append((i1, j1, k1))
            i1, j1, k1 = i2, j2, k2
    if k1:
        merged.append((i1, j1, k1))
    merged.append((la, lb, 0))
    return merged


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_opcodes()``."""
    if len(a) * len(b) > MAX_CELLS:
        import difflib

        return [tuple(op) for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()]  # type: ignore[misc]
    i = j = 0
    out: list[Opcode] = []
    for ai, bj, size in matching_blocks(a, b):
        tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert" if j < bj else ""
        if tag:
            out.append((tag, i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            out.append(("equal", ai, i, bj, j))
    return out


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


def opcodes_from_table(table: np.ndarray, n: int, m: int, gain: Callable[[int, int], int]) -> list[Opcode]:
    """difflib-style opcodes read back from a filled longest/heaviest common subsequence table (``table[i, j]``:
    the best score of ``a[i:]`` vs ``b[j:]``); ``gain(i, j)`` is what pairing item i with item j is worth (0: no
    match). Ties prefer skipping an item of ``a``, as both LCS variants in align always did."""
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        g = gain(i, j)
        if g and table[i, j] == table[i + 1, j + 1] + g:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1, j] >= table[i, j + 1]:
            i += 1
        else:
            j += 1
    return opcodes_from_pairs(pairs, n, m)

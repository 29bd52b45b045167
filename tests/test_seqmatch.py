"""seqmatch.aligned_opcodes, the alignment diff pairs layers by: a longest common subsequence, then the most
pairs with equal sub-codes, then the fewest gaps (what is left after the last pair is free); exact, or window
by window (each window starting after the last pair kept)."""

from __future__ import annotations

import itertools
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from trtinspect.inspector import seqmatch

Score = tuple[int, int, int]       # (pairs, -gaps, pairs with equal sub-codes)


def _reference(a: list[str], b: list[str], sa: list[int] | None, sb: list[int] | None) -> Score:
    """The best score by brute force: at each point stop, pair, or skip a run of one side (one gap)."""

    @cache
    def best(i: int, j: int) -> Score:
        options: list[Score] = [(0, 0, 0)]
        if i < len(a) and j < len(b) and a[i] == b[j]:
            p, g, s = best(i + 1, j + 1)
            options.append((p + 1, g, s + int(sa is not None and sb is not None and sa[i] == sb[j])))
        for k in range(i + 1, len(a) + 1):
            p, g, s = best(k, j)
            options.append((p, g - 1, s))
        for k in range(j + 1, len(b) + 1):
            p, g, s = best(i, k)
            options.append((p, g - 1, s))
        return max((o[0], o[1], o[2]) if sa is not None else (o[0], o[1], 0) for o in options)

    p, g, s = best(0, 0)
    return p, g, s


def _score(ops: list[seqmatch.Opcode], sa: list[int] | None, sb: list[int] | None) -> Score:
    pairs = [(i, j) for tag, i1, i2, j1, j2 in ops if tag == "equal" for i, j in zip(range(i1, i2), range(j1, j2),
                                                                                      strict=True)]
    last = max((k for k, op in enumerate(ops) if op[0] == "equal"), default=-1)
    gaps = sum({"replace": 2, "delete": 1, "insert": 1}[op[0]] for op in ops[:last] if op[0] != "equal")
    subs = sum(1 for i, j in pairs if sa is not None and sb is not None and sa[i] == sb[j])
    return len(pairs), -gaps, subs


def _valid(ops: list[seqmatch.Opcode], a: list[str], b: list[str]) -> None:
    assert (ops[0][1], ops[0][3]) == (0, 0) if ops else not a and not b
    if ops:
        assert (ops[-1][2], ops[-1][4]) == (len(a), len(b))
    for prev, nxt in itertools.pairwise(ops):
        assert (prev[2], prev[4]) == (nxt[1], nxt[3])
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]


TOKENS = st.lists(st.sampled_from("abc"), max_size=9)


@settings(max_examples=300, deadline=None)
@given(TOKENS, TOKENS, st.data())
def test_exact_alignment_is_the_best_by_each_criterion_in_turn(a: list[str], b: list[str],
                                                               data: st.DataObject) -> None:
    sa = data.draw(st.lists(st.integers(0, 1), min_size=len(a), max_size=len(a)))
    sb = data.draw(st.lists(st.integers(0, 1), min_size=len(b), max_size=len(b)))
    for subs_a, subs_b in ((None, None), (sa, sb)):
        ops = seqmatch.aligned_opcodes(a, b, subs_a, subs_b, max_cells=10**6, window=4)
        _valid(ops, a, b)
        assert _score(ops, subs_a, subs_b) == _reference(a, b, subs_a, subs_b)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcd"), max_size=120), st.lists(st.sampled_from("abcd"), max_size=120))
def test_windowed_alignment_is_valid(a: list[str], b: list[str]) -> None:
    ops = seqmatch.aligned_opcodes(a, b, max_cells=50, window=4)
    _valid(ops, a, b)


def test_windowed_alignment_follows_a_drifting_diagonal() -> None:
    """A float engine's blocks (24 layers) vs a Q/DQ engine's (the same with quantize layers between), A with
    extra blocks at its end: windows that restart after the last kept pair find the exact alignment, which
    pairs every block with its counterpart and leaves A's extra blocks as one run at the end."""
    block_a = ["Conv", "MaxPool", *["Conv"] * 19, "GlobalAveragePool", "Gemm", "Reshape"]
    block_b = ["Q", "Conv", "MaxPool", *(["Q", "Conv", "Conv"] * 9), "Q", "Conv", "GlobalAveragePool", "Q", "Gemm",
               "ElementWise"]
    a, b = block_a * 40, block_b * 36
    exact = seqmatch.aligned_opcodes(a, b, max_cells=10**7, window=32)
    assert seqmatch.aligned_opcodes(a, b, max_cells=1_000, window=32) == exact
    one = seqmatch.aligned_opcodes(block_a, block_b, max_cells=10**7, window=32)
    per_block = sum(i2 - i1 for tag, i1, i2, _, _ in one if tag == "equal")
    assert sum(i2 - i1 for tag, i1, i2, _, _ in exact if tag == "equal") == 36 * per_block
    # after B's last Gemm: A's Reshape and 4 extra blocks against B's ElementWise, one run each
    assert exact[-1] == ("replace", 35 * 24 + 23, 40 * 24, len(b) - 1, len(b))

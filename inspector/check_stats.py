"""The significance tests of ``trtinspect check`` (moved out of ``inspector/check.py`` unchanged): one-sided
Mann-Whitney U, Welch and Student t-tests on per-run values, and Benjamini-Hochberg adjustment. ``check``
re-exports them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special, stats


def mann_whitney_p(base: np.ndarray, cand: np.ndarray, direction: str) -> float:
    """One-sided Mann-Whitney U p-value that ``cand`` is stochastically greater ("greater") or smaller."""
    if len(base) < 1 or len(cand) < 1:
        return math.nan
    res = stats.mannwhitneyu(cand, base, alternative=direction)
    return float(res.pvalue)


def welch_p(base: np.ndarray, cand: np.ndarray, direction: str) -> float:
    """One-sided Welch t-test p-value on per-run values; exact ties (zero variance) decided by the means."""
    if len(base) < 2 or len(cand) < 2:
        return math.nan
    if np.var(base, ddof=1) == 0 and np.var(cand, ddof=1) == 0:
        diff = float(np.mean(cand) - np.mean(base))
        up = diff > 0 if direction == "greater" else diff < 0
        return 0.0 if up else 1.0
    # Welch's t with Welch-Satterthwaite degrees of freedom, as scipy.stats.ttest_ind(equal_var=False)
    # computes it (a test checks they agree); written out: the scipy wrapper costs ~4 ms a call per group.
    na, nb = len(base), len(cand)
    va, vb = float(np.var(base, ddof=1)) / na, float(np.var(cand, ddof=1)) / nb
    t_stat = (float(np.mean(cand)) - float(np.mean(base))) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    return float(special.stdtr(df, -t_stat if direction == "greater" else t_stat))


def run_t_p(base: np.ndarray, cand: np.ndarray, direction: str) -> float:
    """One-sided two-sample t-test on per-run values, the test of both gates.

    With as many runs on each side (the usual K vs K) the t statistic of Welch and of Student is the same and
    Student's pooled variance with 2K - 2 degrees of freedom is used: with equal sizes it keeps its level when the
    variances differ (Box 1954), while Welch's degrees of freedom, estimated from K = 3 runs, collapse towards 2
    whenever one side's runs happen to scatter more, losing power without protecting. With unequal counts:
    :func:`welch_p`. Exact ties (zero variance) are decided by the means."""
    na, nb = len(base), len(cand)
    if na != nb or na < 2:
        return welch_p(base, cand, direction)
    va, vb = float(np.var(base, ddof=1)), float(np.var(cand, ddof=1))
    if va == 0 and vb == 0:
        return welch_p(base, cand, direction)
    t_stat = (float(np.mean(cand)) - float(np.mean(base))) / math.sqrt((va + vb) / na)
    return float(special.stdtr(2 * na - 2, -t_stat if direction == "greater" else t_stat))


def bh_adjust(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q); NaN entries stay NaN and are not counted in the family."""
    p = np.asarray(p_values, dtype=float)
    q = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = stats.false_discovery_control(p[ok], method="bh")
    return q

"""Measure the false-alarm and detection rates of `trtinspect check` on real A100 ResNet-18 data.

Usage: python benchmarks/check_error_rates.py [--splits 200] [--seed 0] [--write docs/check.md]

Method (docs/check.md explains it): each real engine's thousands of per-iteration GPU compute times
(``*.timing.json``) are split into 2K pseudo-runs, K baseline and K candidate, and the engine is checked
against itself (A/A: every alarm is false). Then a slowdown is injected into the candidate pseudo-runs, into
one fusion group (its layers' profiled times, and the same absolute time added to every candidate iteration)
or into end-to-end (every iteration and layer), and we count how often the check flags it.

Per-layer noise: the fixtures' profiles hold ONE profiled iteration (``{"count": 1}``), so a pseudo-run's
per-layer times are modelled: layer time = profiled time x (pseudo-run median / engine median)
x an independent draw of the engine's real iteration-to-iteration ratio (c_i / median). ``noise_scale``
multiplies the deviation of that draw from 1 (stress test: 10 = ten times the real jitter).

The tests (tests/test_check_rates.py) import this file and run a few splits; this script runs many.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import multiprocessing
import os
import platform
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _measure import cpu_model

import trtinspect
from trtinspect.inspector import align as align_mod
from trtinspect.inspector.check import Thresholds, run_check
from trtinspect.inspector.check_inputs import alignment_groups
from trtinspect.parsers.model import EngineBundle

REPO = Path(__file__).resolve().parent.parent
RESNET = REPO / "sample_engines" / "resnet18-a100"
ENGINES = ("fp16", "fp32", "qat", "qat-residual", "qat-residual-qgap")
FLOOR_MARGIN = 1.2
BEGIN, END = "<!-- error-rates:begin -->", "<!-- error-rates:end -->"


def pseudo_runs(
    bundle: EngineBundle, k: int, rng: np.random.Generator, *, mode: str = "random", noise_scale: float = 1.0
) -> tuple[list[EngineBundle], list[EngineBundle]]:
    """Split one real bundle's iterations into K baseline + K candidate pseudo-run bundles (in memory).

    mode "random": iterations shuffled then dealt out; "blocks": 2K contiguous blocks (keeps drift and
    autocorrelation), randomly assigned to the sides.
    """
    times = bundle.times.reset_index(drop=True)
    n = len(times)
    compute = times["compute_ms"].to_numpy(dtype=float)
    med = float(np.median(compute))
    ratios = compute / med
    if mode == "random":
        chunks = np.array_split(rng.permutation(n), 2 * k)
    elif mode == "blocks":
        chunks = [np.sort(c) for c in np.array_split(np.arange(n), 2 * k)]
        chunks = [chunks[i] for i in rng.permutation(2 * k)]
    else:
        raise ValueError(mode)
    runs = []
    for idx in chunks:
        t = times.iloc[np.sort(idx)].reset_index(drop=True)
        run_scale = float(np.median(t["compute_ms"])) / med
        draw = ratios[rng.integers(0, n, size=len(bundle.profile))]
        layer_noise = 1.0 + noise_scale * (draw - 1.0)
        prof = bundle.profile.copy()
        prof["avg_ms"] = prof["avg_ms"].to_numpy(dtype=float) * run_scale * layer_noise
        prof["time_ms"] = prof["avg_ms"]
        prof["median_ms"] = prof["avg_ms"]
        runs.append(dataclasses.replace(bundle, times=t, profile=prof))
    return runs[:k], runs[k:]


def inject_group(runs: Sequence[EngineBundle], layers: Sequence[str], slowdown: float) -> list[EngineBundle]:
    """Slow the named layers by ``slowdown`` (0.1 = 10%) and add the same absolute time to every iteration."""
    out = []
    names = set(layers)
    for b in runs:
        prof = b.profile.copy()
        hit = prof["name"].isin(names).to_numpy()
        added = float(prof.loc[hit, "avg_ms"].sum()) * slowdown
        for col in ("avg_ms", "time_ms", "median_ms"):
            prof.loc[hit, col] = prof.loc[hit, col] * (1 + slowdown)
        t = b.times.copy()
        t["compute_ms"] = t["compute_ms"] + added
        out.append(dataclasses.replace(b, profile=prof, times=t))
    return out


def inject_e2e(runs: Sequence[EngineBundle], slowdown: float) -> list[EngineBundle]:
    """Slow everything (every iteration and every layer) by ``slowdown``."""
    out = []
    for b in runs:
        prof = b.profile.copy()
        for col in ("avg_ms", "time_ms", "median_ms"):
            prof[col] = prof[col] * (1 + slowdown)
        t = b.times.copy()
        t["compute_ms"] = t["compute_ms"] * (1 + slowdown)
        out.append(dataclasses.replace(b, profile=prof, times=t))
    return out


def eligible_groups(bundle: EngineBundle, slowdown: float, t: Thresholds) -> pd.DataFrame:
    """Groups (of the engine aligned with itself) that a ``slowdown`` should flag by design: at least
    ``min_share`` of per-layer time and ``slowdown`` x time at least FLOOR_MARGIN x the floor (a change
    exactly at the floor is a coin flip under noise, like a change exactly at the relative threshold)."""
    meta = alignment_groups(align_mod.align(bundle.layers, bundle.layers))
    ms = bundle.profile.groupby("name")["avg_ms"].sum()
    meta["ms"] = [float(ms.reindex(ls).sum()) for ls in meta["layers_a"]]
    total = float(ms.sum())
    ok = (meta["ms"] / total >= t.min_share) & (meta["ms"] * slowdown >= FLOOR_MARGIN * t.floor_ms)
    return meta[ok].reset_index(drop=True)


def _fast_grouper(bundle: EngineBundle) -> Any:
    """Align once per engine (A/A: every pseudo-run has the same layers) and reuse it."""
    from trtinspect.inspector.check_inputs import runs_for

    meta = alignment_groups(align_mod.align(bundle.layers, bundle.layers))

    def grouper(
        base: Sequence[EngineBundle], cand: Sequence[EngineBundle]
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        return meta, runs_for(meta, base, cand)

    return grouper


def rates(
    engine: str,
    *,
    splits: int,
    k: int,
    seed: int,
    mode: str,
    noise_scale: float,
    slowdowns: Sequence[float],
    t: Thresholds,
) -> dict[str, Any]:
    bundle = trtinspect.load(RESNET / engine)
    rng = np.random.default_rng(seed)
    grouper = _fast_grouper(bundle)
    aa_e2e = aa_group = aa_any = 0
    aa_mw_only = 0  # end-to-end alarms Mann-Whitney alone (no threshold) would raise
    det_e2e = {s: 0 for s in slowdowns}
    det_group = {s: 0 for s in slowdowns}
    trials_group = {s: 0 for s in slowdowns}
    elig = {s: eligible_groups(bundle, s, t) for s in slowdowns}
    for _ in range(splits):
        base, cand = pseudo_runs(bundle, k, rng, mode=mode, noise_scale=noise_scale)
        r = run_check(base, cand, t, grouper=grouper)
        aa_e2e += r.end_to_end.status == "regression"
        aa_group += not r.regressed_groups.empty
        aa_any += r.regressed
        aa_mw_only += r.end_to_end.significance == "significant" and r.end_to_end.delta_ms > 0
        for s in slowdowns:
            rr = run_check(base, inject_e2e(cand, s), t, grouper=grouper)
            det_e2e[s] += rr.end_to_end.status == "regression"
            if not elig[s].empty and s >= t.group_threshold:
                g = elig[s].iloc[int(rng.integers(0, len(elig[s])))]
                rg = run_check(base, inject_group(cand, g["layers_a"], s), t, grouper=grouper)
                flagged = set(rg.regressed_groups["group_id"].astype(int))
                trials_group[s] += 1
                det_group[s] += int(g["group_id"]) in flagged
    return {
        "engine": engine,
        "k": k,
        "mode": mode,
        "noise": noise_scale,
        "splits": splits,
        "iterations": len(bundle.times),
        "aa_any": aa_any / splits,
        "aa_e2e": aa_e2e / splits,
        "aa_group": aa_group / splits,
        "aa_mw_only": aa_mw_only / splits,
        "det_e2e": {s: det_e2e[s] / splits for s in slowdowns},
        "det_group": {
            s: (det_group[s] / trials_group[s]) if trials_group[s] else float("nan") for s in slowdowns
        },
        "eligible": {s: len(elig[s]) for s in slowdowns},
    }


def _table(results: list[dict[str, Any]], slowdowns: Sequence[float], t: Thresholds) -> str:
    group_slowdowns = [s for s in slowdowns if s >= t.group_threshold]
    head = (
        "| engine | iters | K | split | per-layer noise | A/A false alarms (any) | A/A e2e | A/A groups | "
        "MW alone would alarm | "
        + " | ".join(f"detect e2e +{s:.0%}" for s in slowdowns)
        + " | "
        + " | ".join(f"detect group +{s:.0%}" for s in group_slowdowns)
        + " |"
    )
    sep = "|" + "---|" * (9 + len(slowdowns) + len(group_slowdowns))
    rows = [head, sep]
    for r in results:
        rows.append(
            f"| {r['engine']} | {r['iterations']} | {r['k']} | {r['mode']} | x{r['noise']:g} | "
            f"{r['aa_any']:.3f} | "
            f"{r['aa_e2e']:.3f} | {r['aa_group']:.3f} | {r['aa_mw_only']:.3f} | "
            + " | ".join(f"{r['det_e2e'][s]:.3f}" for s in slowdowns)
            + " | "
            + " | ".join(f"{r['det_group'][s]:.3f} ({r['eligible'][s]} gr.)" for s in group_slowdowns)
            + " |"
        )
    return "\n".join(rows)


def _task(
    task: tuple[str, int, str, float], *, splits: int, seed: int, slowdowns: Sequence[float], t: Thresholds
) -> dict[str, Any]:
    engine, k, mode, noise = task
    return rates(
        engine, splits=splits, k=k, seed=seed, mode=mode, noise_scale=noise, slowdowns=slowdowns, t=t
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", nargs="*", default=list(ENGINES))
    ap.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)), help="worker processes")
    ap.add_argument("--write", type=Path, default=None, help="docs file whose error-rates block is replaced")
    args = ap.parse_args(argv)
    t = Thresholds()
    slowdowns = (0.05, 0.10, 0.20)
    scenarios = [(3, "random", 1.0), (5, "blocks", 1.0), (5, "random", 10.0), (1, "blocks", 1.0)]
    start = time.perf_counter()
    tasks = [(engine, k, mode, noise) for engine in args.engines for k, mode, noise in scenarios]
    work = functools.partial(_task, splits=args.splits, seed=args.seed, slowdowns=slowdowns, t=t)
    with multiprocessing.Pool(args.jobs) as pool:
        results = pool.map(work, tasks)
    for r in results:
        print(
            f"{r['engine']} K={r['k']} {r['mode']} x{r['noise']:g}: A/A {r['aa_any']:.3f}  "
            f"e2e det {r['det_e2e']}  group det {r['det_group']}",
            file=sys.stderr,
        )
    elapsed = time.perf_counter() - start
    machine = f"{cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}"
    block = "\n".join(
        [
            BEGIN,
            f"Measured by `python benchmarks/check_error_rates.py --splits {args.splits} --seed {args.seed}` "
            f"({elapsed:.0f} s on {machine}; default thresholds: end-to-end {t.threshold:.0%}, group "
            f"{t.group_threshold:.0%}, floor {t.floor_ms} ms, share {t.min_share:.0%}, alpha {t.alpha}). "
            "Rates are fractions of splits (A/A, e2e) or of injected-group trials (group).",
            "",
            _table(results, slowdowns, t),
            END,
        ]
    )
    print(block)
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
        else:
            text += "\n" + block + "\n"
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

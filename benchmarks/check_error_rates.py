"""Measure the false-alarm and detection rates of `trtinspect check` on real per-iteration timing files.

Usage: python benchmarks/check_error_rates.py [--splits 100] [--seed 0] [--write docs/check.md]

Method (docs/check.md explains it): each real engine's thousands of per-iteration GPU compute times
(``*.timing.json``) are split into 2K pseudo-runs, K baseline and K candidate, and the engine is checked
against itself (A/A: every alarm is false). Then a slowdown is injected into the candidate pseudo-runs: into end
to end (every iteration and layer), into one fusion group picked at random among those a slowdown should flag by
design, or into the LARGEST group (its layers' profiled times, and the same absolute time added to every
candidate iteration), and we count how often the check flags it.

Engines: the five A100 ResNet-18 builds (batch 32, sample_engines/resnet18-a100), the TITAN RTX MobileNet-v2
QAT builds (batch 1, 73 and 58 layers, tests/data/external/trex-titanrtx-mobilenet) and the RTX 3090 ResNet-50
FP32/FP16/QAT builds (batch 32, tests/data/external/trex-rtx3090-resnet50).

Per-layer noise: a profile holds each layer's time averaged over ``count`` profiled iterations (``{"count": N}``:
1 in the ResNet files, 6,610 and 8,657 in the MobileNet ones), so a pseudo-run's per-layer times are modelled:
layer time = profiled time x (pseudo-run median / engine median) x an independent draw of the engine's real
relative jitter averaged the way the profile averages it: the mean of m consecutive real c_i / median ratios
from a random start, m = min(count, pseudo-run length) (m = 1: one iteration's ratio, heavy tail included).
``noise_scale`` multiplies the deviation of that draw from 1 (stress test: 10 = ten times the real jitter).

The tests (tests/test_check.py, tests/test_check_rates.py) import this file and run a few splits; this script
runs many.
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
from trtinspect.inspector.check import Thresholds, mann_whitney_p, run_check
from trtinspect.inspector.check_inputs import alignment_groups
from trtinspect.parsers.model import EngineBundle

REPO = Path(__file__).resolve().parent.parent
RESNET = REPO / "sample_engines" / "resnet18-a100"
EXTERNAL = REPO / "tests" / "data" / "external"
ENGINE_PATHS: dict[str, Path] = {
    **{f"a100-resnet18/{v}": RESNET / v for v in ("fp16", "fp32", "qat", "qat-residual", "qat-residual-qgap")},
    "titanrtx-mobilenet/qat": EXTERNAL / "trex-titanrtx-mobilenet" / "qat",
    "titanrtx-mobilenet/qat-residuals": EXTERNAL / "trex-titanrtx-mobilenet" / "qat-residuals",
    **{f"rtx3090-resnet50/{v}": EXTERNAL / "trex-rtx3090-resnet50" / v for v in ("fp32", "fp16", "qat")},
}
ENGINES = tuple(ENGINE_PATHS)
FLOOR_MARGIN = 1.2
BEGIN, END = "<!-- error-rates:begin -->", "<!-- error-rates:end -->"


def load_engine(engine: str) -> EngineBundle:
    return trtinspect.load(ENGINE_PATHS[engine] if engine in ENGINE_PATHS else RESNET / engine)


def _block_means(ratios: np.ndarray, m: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` draws of the mean of ``m`` consecutive ``ratios`` from random starts."""
    n = len(ratios)
    m = max(1, min(m, n))
    starts = rng.integers(0, n - m + 1, size=size)
    csum = np.concatenate([[0.0], np.cumsum(ratios)])
    return (csum[starts + m] - csum[starts]) / m


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
    count = int(bundle.extras.get("profile_iterations") or 1)
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
        draw = _block_means(ratios, min(count, len(idx)), len(bundle.profile), rng)
        layer_noise = 1.0 + noise_scale * (draw - 1.0)
        prof = bundle.profile.copy()
        prof["avg_ms"] = prof["avg_ms"].to_numpy(dtype=float) * run_scale * layer_noise
        prof["time_ms"] = prof["avg_ms"]
        prof["median_ms"] = prof["avg_ms"]
        # no printed summary: the source run's figures would contradict this pseudo-run's iterations
        runs.append(dataclasses.replace(bundle, times=t, profile=prof, summary=bundle.summary.iloc[0:0]))
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
    ``min_share`` of per-layer time and ``slowdown`` x time at least FLOOR_MARGIN x the engine-scaled floor
    (a change exactly at the floor is a coin flip under noise, like a change exactly at the threshold)."""
    meta = _groups_with_ms(bundle)
    total = float(bundle.profile["avg_ms"].sum())
    floor = min(t.floor_ms, t.floor_share * total)
    ok = (meta["ms"] / total >= t.min_share) & (meta["ms"] * slowdown >= FLOOR_MARGIN * floor)
    return meta[ok].reset_index(drop=True)


def largest_group(bundle: EngineBundle) -> pd.Series:
    """The group holding the most per-layer time (what a regression in a small network most likely hits)."""
    meta = _groups_with_ms(bundle)
    return meta.loc[meta["ms"].idxmax()]


def _groups_with_ms(bundle: EngineBundle) -> pd.DataFrame:
    meta = alignment_groups(align_mod.align(bundle.layers, bundle.layers))
    ms = bundle.profile.groupby("name")["avg_ms"].sum()
    meta["ms"] = [float(ms.reindex(ls).sum()) for ls in meta["layers_a"]]
    return meta


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
    bundle = load_engine(engine)
    rng = np.random.default_rng(seed)
    grouper = _fast_grouper(bundle)
    aa_e2e = aa_group = aa_any = 0
    aa_mw_only = 0  # end-to-end alarms Mann-Whitney on pooled iterations alone (no threshold) would raise
    det_e2e = {s: 0 for s in slowdowns}
    det_group = {s: 0 for s in slowdowns}
    det_largest = {s: 0 for s in slowdowns}
    trials_group = {s: 0 for s in slowdowns}
    elig = {s: eligible_groups(bundle, s, t) for s in slowdowns}
    big = largest_group(bundle)
    mde_largest: list[float] = []
    for _ in range(splits):
        base, cand = pseudo_runs(bundle, k, rng, mode=mode, noise_scale=noise_scale)
        r = run_check(base, cand, t, grouper=grouper)
        aa_e2e += r.end_to_end.status == "regression"
        aa_group += not r.regressed_groups.empty
        aa_any += r.regressed
        pooled_b = np.concatenate([b.times["compute_ms"].to_numpy() for b in base])
        pooled_c = np.concatenate([c.times["compute_ms"].to_numpy() for c in cand])
        aa_mw_only += mann_whitney_p(pooled_b, pooled_c, "greater") <= t.alpha
        row = r.groups[r.groups["group_id"] == int(big["group_id"])]
        if not row.empty:
            mde_largest.append(float(row["size_threshold_pct"].iloc[0]))
        for s in slowdowns:
            rr = run_check(base, inject_e2e(cand, s), t, grouper=grouper)
            det_e2e[s] += rr.end_to_end.status == "regression"
            rl = run_check(base, inject_group(cand, big["layers_a"], s), t, grouper=grouper)
            det_largest[s] += int(big["group_id"]) in set(rl.regressed_groups["group_id"].astype(int))
            if not elig[s].empty and s >= t.group_threshold:
                g = elig[s].iloc[int(rng.integers(0, len(elig[s])))]
                rg = run_check(base, inject_group(cand, g["layers_a"], s), t, grouper=grouper)
                flagged = set(rg.regressed_groups["group_id"].astype(int))
                trials_group[s] += 1
                det_group[s] += int(g["group_id"]) in flagged
    total = float(bundle.profile["avg_ms"].sum())
    return {
        "engine": engine,
        "k": k,
        "mode": mode,
        "noise": noise_scale,
        "splits": splits,
        "iterations": len(bundle.times),
        "layers": len(bundle.profile),
        "largest": str(big["label"]),
        "largest_ms": float(big["ms"]),
        "largest_share": float(big["ms"]) / total,
        "mde_largest": float(np.median(mde_largest)) if mde_largest else float("nan"),
        "aa_any": aa_any / splits,
        "aa_e2e": aa_e2e / splits,
        "aa_group": aa_group / splits,
        "aa_mw_only": aa_mw_only / splits,
        "det_e2e": {s: det_e2e[s] / splits for s in slowdowns},
        "det_largest": {s: det_largest[s] / splits for s in slowdowns},
        "det_group": {
            s: (det_group[s] / trials_group[s]) if trials_group[s] else float("nan") for s in slowdowns
        },
        "eligible": {s: len(elig[s]) for s in slowdowns},
    }


def _table(results: list[dict[str, Any]], slowdowns: Sequence[float], t: Thresholds) -> str:
    group_slowdowns = [s for s in slowdowns if s >= t.group_threshold]
    head = (
        "| engine | iters | K | split | noise | A/A false alarms (any) | A/A e2e | A/A groups | "
        "MW on pooled iterations would alarm | "
        + " | ".join(f"e2e +{s:.0%}" for s in slowdowns)
        + " | "
        + " | ".join(f"largest group +{s:.0%}" for s in slowdowns)
        + " | "
        + " | ".join(f"random group +{s:.0%}" for s in group_slowdowns)
        + " |"
    )
    sep = "|" + "---|" * (9 + 2 * len(slowdowns) + len(group_slowdowns))
    rows = [head, sep]
    for r in results:
        rows.append(
            f"| {r['engine']} | {r['iterations']} | {r['k']} | {r['mode']} | x{r['noise']:g} | "
            f"{r['aa_any']:.2f} | {r['aa_e2e']:.2f} | {r['aa_group']:.2f} | {r['aa_mw_only']:.2f} | "
            + " | ".join(f"{r['det_e2e'][s]:.2f}" for s in slowdowns)
            + " | "
            + " | ".join(f"{r['det_largest'][s]:.2f}" for s in slowdowns)
            + " | "
            + " | ".join(f"{r['det_group'][s]:.2f} ({r['eligible'][s]} gr.)" for s in group_slowdowns)
            + " |"
        )
    return "\n".join(rows)


def _mde_table(results: list[dict[str, Any]]) -> str:
    """Minimum detectable change of each engine's largest group (median over the splits), per K."""
    ks = sorted({r["k"] for r in results if r["noise"] == 1.0})
    rows = ["| engine | layers | largest group | its time (share) | "
            + " | ".join(f"min. detectable, K={k}" for k in ks) + " |",
            "|" + "---|" * (4 + len(ks))]
    by: dict[str, dict[int, dict[str, Any]]] = {}
    for r in results:
        if r["noise"] == 1.0:
            by.setdefault(r["engine"], {})[r["k"]] = r
    for engine, per_k in by.items():
        any_r = next(iter(per_k.values()))
        rows.append(
            f"| {engine} | {any_r['layers']} | `{any_r['largest']}` | {any_r['largest_ms']:.4f} ms "
            f"({any_r['largest_share']:.1%}) | "
            + " | ".join(f"+{per_k[k]['mde_largest']:.1f}%" if k in per_k else "-" for k in ks) + " |"
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
    ap.add_argument("--splits", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", nargs="*", default=list(ENGINES))
    ap.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)), help="worker processes")
    ap.add_argument("--write", type=Path, default=None, help="docs file whose error-rates block is replaced")
    ap.add_argument("--block", default="", help="suffix of the block's markers (several tables in one file)")
    ap.add_argument("--scenarios", default="1:blocks:1,3:random:1,5:blocks:1,5:random:10",
                    help="K:split:noise,... (runs a side, random|blocks, per-layer noise scale)")
    args = ap.parse_args(argv)
    tag = f"error-rates-{args.block}" if args.block else "error-rates"
    begin, end = BEGIN.replace("error-rates", tag), END.replace("error-rates", tag)
    t = Thresholds()
    slowdowns = (0.05, 0.10, 0.20)
    scenarios = [(int(k), mode, float(noise)) for k, mode, noise in (x.split(":") for x in args.scenarios.split(","))]
    start = time.perf_counter()
    tasks = [(engine, k, mode, noise) for engine in args.engines for k, mode, noise in scenarios]
    work = functools.partial(_task, splits=args.splits, seed=args.seed, slowdowns=slowdowns, t=t)
    with multiprocessing.Pool(args.jobs) as pool:
        results = pool.map(work, tasks)
    for r in results:
        print(
            f"{r['engine']} K={r['k']} {r['mode']} x{r['noise']:g}: A/A {r['aa_any']:.3f}  "
            f"e2e det {r['det_e2e']}  largest {r['det_largest']}  group det {r['det_group']}",
            file=sys.stderr,
        )
    elapsed = time.perf_counter() - start
    machine = f"{cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}"
    block = "\n".join(
        [
            begin,
            f"Measured by `python benchmarks/check_error_rates.py --splits {args.splits} --seed {args.seed} "
            f"--scenarios {args.scenarios} --engines {' '.join(args.engines)}` "
            f"({elapsed:.0f} s on {machine}, shared with other work; default thresholds: end-to-end "
            f"{t.threshold:.0%}, group {t.group_threshold:.0%}, floor min({t.floor_ms} ms, "
            f"{t.floor_share:.1%} of the engine) or {t.spread_factor:g}x the run-to-run spread with K >= "
            f"{t.min_runs}, share {t.min_share:.0%}, alpha {t.alpha}). "
            f"Rates are fractions of {args.splits} "
            "splits (A/A, e2e, largest group) or of injected random-group trials.",
            "",
            _table(results, slowdowns, t),
            "",
            "Minimum detectable change of the largest group (median over the splits of the check's "
            "`size_threshold_pct`; "
            "with K >= 3 a change must also be significant):",
            "",
            _mde_table(results),
            end,
        ]
    )
    print(block)
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        if begin in text and end in text:
            text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
        else:
            text += "\n" + block + "\n"
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

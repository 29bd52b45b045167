"""The ``report`` content: a pure function from a bundle to plain data.

:func:`build_report` returns a JSON-ready dict (no NaN: missing numbers are ``None``);
:mod:`trtinspect.render.report` turns it into text, markdown or JSON. Nothing here reads files or prints.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.inspector.lint import cost_label, lint
from trtinspect.parsers import run_facts
from trtinspect.parsers.device import device_name
from trtinspect.parsers.layer_total import LayerTotal
from trtinspect.parsers.model import EngineBundle
from trtinspect.parsers.timing import FROM_TIMES, PER_SAMPLE
from trtinspect.samples import source_name

UNKNOWN = "(unknown)"
NOT_IN_LAYERS = "(profiled, not in layers)"
NOT_IN_TABLE = "(in the engine total, not in this table excerpt)"
# "layers" may be named "layer_names"; cost_kind / cost_basis: what cost_ms is (lint's cost kind and its label)
FINDING_FIELDS = ("rule_id", "severity", "title", "cost_ms", "cost_kind", "cost_basis", "layers")


def _num(value: Any, digits: int = 6) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else round(f, digits)


def _label(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return UNKNOWN
    text = str(value)
    return text if text.strip() else UNKNOWN


# --------------------------------------------------------------------------------------------------- content
def build_report(bundle: EngineBundle, *, top: int = 10, lint: bool = True) -> dict[str, Any]:
    """Everything ``trtinspect report`` shows, as plain data (see docs/bundles.md for the keys)."""
    joined, unmatched_profile, unmatched_layers, unmatched_ms = bundle.joined()
    total = bundle.layer_total
    report: dict[str, Any] = {
        "name": bundle.name,
        "trt_version": bundle.trt_version,
        "device": _device(bundle),
        "model": _model(bundle.model_options),
        "build_precision": run_facts.build_precision(bundle),
        "inputs": _inputs(bundle),
        "build": {"workspace": run_facts.workspace(bundle), "max_batch": _max_batch(bundle)},
        "sources": {kind: [source_name(p) for p in paths] for kind, paths in bundle.sources.items()},
        "layers": {
            "count": len(bundle.layers),
            "detailed": bundle.detailed,
            "profiled": int((joined["match"] != "none").sum()) if "match" in joined else 0,
            "profile_rows": len(bundle.profile),
            "profile_iterations": bundle.extras.get("profile_iterations"),
            "total_layer_ms": _full(total.ms),
            "total_basis": total.basis if not bundle.profile.empty else None,
            "rows_avg_ms": _full(total.rows_avg_ms),
            "not_in_table_ms": _full(total.missing_ms) if total.missing_ms else None,
        },
        "by_precision": _breakdown(joined, "precision", total, unmatched_ms),
        "by_type": _breakdown(joined, "layer_type", total, unmatched_ms),
        "top_layers": _top_layers(joined, total, top, bundle.profile),
        "timing": _timing(bundle),
        "warnings": _warnings(bundle.warnings),
        "unmatched": {"profile": unmatched_profile, "layers": unmatched_layers},
        "findings": None,
        "findings_status": "not run",
        "notes": list(bundle.notes) + [n for n in bundle.timing.notes if n not in bundle.notes],
    }
    # nsys modules are imported only for bundles that carry their sections (start-up of every other report)
    if "nsys_stats" in bundle.extras:  # the `nsys stats` summaries of an Nsight Systems export
        from trtinspect.parsers.nsys.stats import report_section as nsys_report_section

        report["nsys"] = nsys_report_section(bundle.extras["nsys_stats"], top)
    if "nsys_stats_csv" in bundle.extras:  # `nsys stats --format csv` reports given as files
        from trtinspect.parsers.nsys.stats_csv import csv_report_section

        report["nsys_csv"] = csv_report_section(bundle.extras["nsys_stats_csv"], top)
    if lint:
        report["findings"], report["findings_status"] = _findings(bundle, top)
    return report


def _device(bundle: EngineBundle) -> dict[str, Any]:
    """The device facts the report shows (canonical keys, see trtinspect.parsers.device), the CUDA device index
    and the DLA core the run selected (trtexec's System Options)."""
    device = bundle.device
    memory = device.get("global_memory_mib")
    return {
        "name": device_name(device),
        "compute_capability": device.get("compute_capability"),
        "sms": device.get("sms"),
        "memory": None if memory is None else f"{memory} MiB",
        "index": run_facts.device_index(bundle),
        "dla_core": run_facts.dla_core(bundle),
    }


def _model(options: dict[str, str]) -> str | None:
    """The model file: the weights (``Model``, ``ONNX``, ``UFF``), else a Caffe prototxt run with random weights."""
    return next((options[k] for k in ("Model", "ONNX", "UFF", "Prototxt") if options.get(k)), None)


def _inputs(bundle: EngineBundle) -> dict[str, Any]:
    """The input shapes the run used and where they come from (:func:`run_facts.input_shapes`)."""
    shapes, source = run_facts.input_shapes(bundle)
    return {"shapes": shapes, "source": source}


def _max_batch(bundle: EngineBundle) -> int | None:
    """The implicit-batch engine's maximum batch (``Max batch: 16``); None for explicit batch or unknown."""
    text = str(bundle.build_options.get("Max batch", "")).strip()
    return int(text) if text.isdigit() else None


def _breakdown(joined: pd.DataFrame, column: str, total: LayerTotal, unmatched_ms: float) -> list[dict[str, Any]]:
    if joined.empty:
        return []
    keys = joined[column].astype(object) if column in joined else pd.Series(None, index=joined.index)
    # the keys' groups (a missing key too) in order of first appearance, grouped by their integer codes: the
    # key column is hashed once, not once per statistic as a grouping by the object column does
    codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    by = joined["avg_ms"].groupby(codes, sort=False)
    grouped = pd.DataFrame({"layers": by.size(), "avg_ms": by.sum(), "timed": by.count()})
    # label the few distinct keys (missing / blank -> "(unknown)") and merge keys that share a label
    grouped.index = pd.Index([_label(k) for k in uniques], name="key")
    grouped = grouped.groupby(level=0, sort=False).sum()
    grouped = grouped.sort_values(["avg_ms", "layers"], ascending=False)
    rows = []
    for key, row in grouped.iterrows():
        ms = float(row["avg_ms"]) if row["timed"] else float("nan")
        rows.append({column: str(key), "layers": int(row["layers"]), "avg_ms": _num(ms),
                     "share_pct": _share(total, ms)})
    if unmatched_ms:
        rows.append({column: NOT_IN_LAYERS, "layers": 0, "avg_ms": _num(unmatched_ms),
                     "share_pct": _share(total, unmatched_ms)})
    if total.missing_ms:  # an excerpt of the --dumpProfile table: the Total row holds more than its rows
        rows.append({column: NOT_IN_TABLE, "layers": 0, "avg_ms": _num(total.missing_ms),
                     "share_pct": _share(total, total.missing_ms)})
    return rows


def _share(total: LayerTotal, ms: float) -> float | None:
    """``ms`` (per iteration, on the total's basis) as a % of the per-layer total; unrounded: the renderers
    print 1 decimal, as trtexec's Time %."""
    share = total.share(ms)
    return None if share is None else _full(share)


def _top_layers(joined: pd.DataFrame, total: LayerTotal, top: int, profile: pd.DataFrame) -> list[dict[str, Any]]:
    """The slowest layers: ``avg_ms`` on the per-layer total's basis (what shares and lint use),
    ``printed_avg_ms`` the average as the source printed it (a ``--dumpProfile`` table's ``Avg.(ms)``)."""
    if joined.empty or "avg_ms" not in joined or top <= 0:
        return []
    timed = joined[joined["avg_ms"].notna()]
    if timed.empty:
        return []
    best = timed.nlargest(top, "avg_ms", keep="first")
    printed = profile["avg_ms"].to_numpy("float64", na_value=np.nan) if "avg_ms" in profile else None
    rows = []
    for rank, (_, r) in enumerate(best.iterrows(), start=1):
        row = r.get("profile_row")
        as_printed = printed[int(row)] if printed is not None and row is not None and not pd.isna(row) else None
        rows.append({
            "rank": rank,
            "name": str(r["name"]),
            "layer_type": _label(r.get("layer_type")),
            "precision": _label(r.get("precision")),
            "avg_ms": _num(r["avg_ms"]),
            "share_pct": _share(total, float(r["avg_ms"])),
            "printed_avg_ms": _num(as_printed, 17),
        })
    return rows


def _timing(bundle: EngineBundle) -> dict[str, Any]:
    """H2D / compute / D2H / latency as the report shows them: the bundle's one timing summary."""
    t = bundle.timing
    out: dict[str, Any] = {"source": t.source, "iterations": t.iterations if t.source == FROM_TIMES else None,
                           "throughput_qps": _full(t.throughput_qps),
                           "total_host_walltime_s": _full(t.walltime_s), "total_gpu_compute_s": _full(t.gpu_compute_s),
                           "per": "iteration", "per_sample_metrics": list(PER_SAMPLE) if t.batch else [],
                           "batch": t.batch, "batch_source": t.batch_source,
                           "window": None, "inference_skipped": _inference_skipped(bundle), "agreement": [
                               {"metric": a.metric, "stat": a.stat, "trtexec": a.printed, "recomputed": _full(a.ours),
                                "status": a.status} for a in t.agreement]}
    if t.window is not None:
        w = t.window
        out["window"] = {"first_iteration": w.first + 1, "measured": w.count, "exported": w.total,
                         "warmup_ms": w.warmup_ms, "warmup_source": w.warmup_source}
    for key, stats in t.metrics.items():  # unrounded: renderers print 6 significant digits as trtexec does
        out[key] = {"min": _full(stats.min), "max": _full(stats.max), "mean": _full(stats.mean),
                    "median": _full(stats.median), "p99": _full(stats.p99),
                    "percentiles": {f"p{p:g}": _full(v) for p, v in sorted(stats.percentiles.items())},
                    "unmeasured": stats.unmeasured}
        if key in PER_SAMPLE:  # per inference of one sample; enqueue, copies, host latency stay per iteration
            out[key]["per_sample_mean"] = (_full(stats.mean / t.batch) if stats.mean is not None and t.batch
                                           else None)
    return out


def _inference_skipped(bundle: EngineBundle) -> bool:
    """A trtexec build-only run (--skipInference, said in its notes by the log parser): nothing was timed."""
    return not bundle.timing.gpu_compute.known and any(
        "no inference was run (--skipInference)" in str(n) for n in bundle.notes)


def _full(value: Any) -> float | None:
    f = _num(value, 17)
    return None if f is None else float(value)


def _warnings(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"kind": _label(r["kind"]), "severity": _label(r["severity"]), "message": str(r["message"])}
            for _, r in frame.iterrows()]


def _findings(bundle: EngineBundle, top: int) -> tuple[list[dict[str, Any]] | None, str]:
    """Top findings of the analyzer (all rules; computed once per bundle, errors propagate), in lint's order
    (severity, then estimated savings before upper bounds: docs/lint.md)."""
    if "nsys_tensorrt" in bundle.extras:  # only nsys inputs may lack TensorRT: the nsys package loads only for them
        from trtinspect.parsers.nsys.bundle import has_tensorrt

        if not has_tensorrt(bundle):
            return None, "not run"  # the nsys section says there is no TensorRT activity
    frame = lint(bundle, detail=False)
    if len(frame) == 0:
        return [], "ok"
    rows = []
    for _, r in frame.head(top).iterrows():
        layers = r.get("layers") if "layers" in r else r.get("layer_names")
        if isinstance(layers, (list, tuple, np.ndarray)):
            layers = [str(x) for x in layers]
        elif layers is not None and not (isinstance(layers, float) and math.isnan(layers)):
            layers = [str(layers)]
        else:
            layers = []
        kind = r.get("cost_kind")
        kind = str(kind) if isinstance(kind, str) and kind else None
        rows.append({
            "rule_id": _label(r.get("rule_id")), "severity": _label(r.get("severity")),
            "title": _label(r.get("title")), "cost_ms": _num(r.get("cost_ms")),
            # an estimated saving and a layer's own time (an upper bound) are different numbers: say which
            "cost_kind": kind, "cost_basis": cost_label(kind) if kind else UNKNOWN, "layers": layers,
        })
    return rows, "ok"

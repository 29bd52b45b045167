"""Write a bundle directory in the same file formats trtexec and TREx write, so the parsers read it back.

Files written for an engine named ``X`` (TREx naming, which :func:`trtinspect.load` discovers in a directory):

- ``X.engine.graph.json``: the engine layer information JSON, written byte for byte as TensorRT's
  ``IEngineInspector.get_engine_information(LayerInformationFormat.JSON)`` returned it (same format as
  ``trtexec --exportLayerInfo``).
- ``X.engine.profile.json``: per-layer times in ``trtexec --exportProfile`` format: a ``{"count": N}`` header
  (N = profiled iterations) then one record per layer ``{"name", "timeMs", "averageMs", "medianMs",
  "percentage"}``; ``timeMs`` is the total over all profiled iterations, as trtexec writes it.
- ``X.engine.timing.json``: one record per timed iteration in ``trtexec --exportTimes`` 8.4+ format
  (``startEnqMs`` ... ``latencyMs``), times in ms from the start of the timing run.
- ``X.engine.profile.metadata.json``: a trtexec-like summary (the shape TREx's ``process_engine.py`` writes:
  ``performance_summary``, ``inference_options``, ``device_information``) plus ``gpu_state`` (NVML
  snapshots and drift warnings) and ``trtinspect`` (tool, versions, settings, notes).

Nothing here needs TensorRT or a GPU. The writer never overwrites a file it did not create in this call
unless ``overwrite=True``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trtinspect.errors import TrtInspectError
from trtinspect.parsers.trtexec_summary import summarize

SUFFIXES: dict[str, str] = {
    "graph": ".engine.graph.json",
    "profile": ".engine.profile.json",
    "timing": ".engine.timing.json",
    "metadata": ".engine.profile.metadata.json",
}

# Percentiles trtexec prints in its performance summary (8.5+ multi-percentile form).
PERCENTILES: tuple[int, ...] = (90, 95, 99)


@dataclass(frozen=True)
class IterationTiming:
    """One timed iteration in ms from the start of the run (GPU event times; enqueue times: host clock)."""

    enqueue_start_ms: float
    enqueue_end_ms: float
    h2d_start_ms: float
    h2d_end_ms: float
    compute_start_ms: float
    compute_end_ms: float
    d2h_start_ms: float
    d2h_end_ms: float

    @property
    def h2d_ms(self) -> float:
        return self.h2d_end_ms - self.h2d_start_ms

    @property
    def compute_ms(self) -> float:
        return self.compute_end_ms - self.compute_start_ms

    @property
    def d2h_ms(self) -> float:
        return self.d2h_end_ms - self.d2h_start_ms

    @property
    def latency_ms(self) -> float:
        """H2D + compute + D2H, trtexec's definition of latency."""
        return self.h2d_ms + self.compute_ms + self.d2h_ms

    @property
    def enqueue_ms(self) -> float:
        return self.enqueue_end_ms - self.enqueue_start_ms

    def to_record(self) -> dict[str, float]:
        """The trtexec --exportTimes (8.4+) record for this iteration."""
        return {
            "startEnqMs": self.enqueue_start_ms,
            "endEnqMs": self.enqueue_end_ms,
            "startH2dMs": self.h2d_start_ms,
            "endH2dMs": self.h2d_end_ms,
            "startComputeMs": self.compute_start_ms,
            "endComputeMs": self.compute_end_ms,
            "startD2hMs": self.d2h_start_ms,
            "endD2hMs": self.d2h_end_ms,
            "h2dMs": self.h2d_ms,
            "computeMs": self.compute_ms,
            "d2hMs": self.d2h_ms,
            "latencyMs": self.latency_ms,
        }


@dataclass
class BundlePaths:
    directory: Path
    name: str
    files: dict[str, Path] = field(default_factory=dict)  # kind (graph/profile/timing/metadata) -> path


def bundle_paths(directory: Path, name: str) -> dict[str, Path]:
    """Where each file of bundle ``name`` goes in ``directory``."""
    return {kind: directory / f"{name}{suffix}" for kind, suffix in SUFFIXES.items()}


def profile_records(layer_times: Mapping[str, Sequence[float]], count: int) -> list[dict[str, Any]]:
    """trtexec --exportProfile records: ``{"count": count}`` then one record per layer, in report order.

    ``layer_times`` maps each layer name to its time (ms) in every profiled iteration.
    """
    totals = {name: float(sum(ts)) for name, ts in layer_times.items()}
    grand = sum(totals.values())
    out: list[dict[str, Any]] = [{"count": int(count)}]
    for name, ts in layer_times.items():
        n = len(ts)
        out.append(
            {
                "name": name,
                "timeMs": totals[name],
                "averageMs": totals[name] / n if n else 0.0,
                "medianMs": summarize(np.asarray(ts, dtype="float64"), ()).median if n else 0.0,
                "percentage": 100.0 * totals[name] / grand if grand > 0 else 0.0,
            }
        )
    return out


def stats(values: Sequence[float]) -> dict[str, float]:
    """min/max/mean/median and the trtexec percentiles of ``values``, with trtexec's rules
    (:func:`trtinspect.parsers.trtexec_summary.summarize`, the one implementation every command reads back)."""
    if not len(values):
        return {}
    m = summarize(np.asarray(values, dtype="float64"), [float(p) for p in PERCENTILES])
    out = {"min": m.min, "max": m.max, "mean": m.mean, "median": m.median}
    for p in PERCENTILES:
        out[f"p{p}"] = m.percentiles[float(p)]
    return out


def performance_summary(iterations: Sequence[IterationTiming], wall_s: float) -> dict[str, Any]:
    """TREx ``performance_summary``: metric -> [min, max, mean, median, p90, p95, p99] (ms), plus totals.

    The list order is the order trtexec 8.5+ prints ``min, max, mean, median, percentile(90/95/99%)``.
    """
    if not iterations:
        return {}
    summary: dict[str, Any] = {}
    metrics = {
        "Latency": [it.latency_ms for it in iterations],
        "Enqueue Time": [it.enqueue_ms for it in iterations],
        "H2D Latency": [it.h2d_ms for it in iterations],
        "GPU Compute Time": [it.compute_ms for it in iterations],
        "D2H Latency": [it.d2h_ms for it in iterations],
    }
    summary["Throughput"] = len(iterations) / wall_s if wall_s > 0 else float("nan")
    for metric, values in metrics.items():
        s = stats(values)
        summary[metric] = [s["min"], s["max"], s["mean"], s["median"], *(s[f"p{p}"] for p in PERCENTILES)]
    summary["Total Host Walltime"] = wall_s
    summary["Total GPU Compute Time"] = sum(metrics["GPU Compute Time"]) / 1000.0
    return summary


def _write_text(path: Path, text: str, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise TrtInspectError(
            "file already exists", path=path, hint="choose another --out directory or remove the old bundle"
        )
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TrtInspectError(f"cannot write file: {exc.strerror}", path=path) from None


def _dumps(obj: Any) -> str:
    # allow_nan=False: trtexec never writes NaN; a NaN here is our bug and must not reach a parser.
    return json.dumps(obj, indent=1, allow_nan=False) + "\n"


def write_bundle(
    directory: str | Path,
    name: str,
    *,
    graph_json: str | None = None,
    layer_times: Mapping[str, Sequence[float]] | None = None,
    profile_count: int = 0,
    iterations: Sequence[IterationTiming] | None = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> BundlePaths:
    """Write the given parts of a bundle into ``directory`` (created if needed); returns the files written."""
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrtInspectError(f"cannot create the output directory: {exc.strerror}", path=d) from None
    paths = bundle_paths(d, name)
    result = BundlePaths(directory=d, name=name)
    if graph_json is not None:
        _write_text(paths["graph"], graph_json, overwrite)
        result.files["graph"] = paths["graph"]
    if layer_times is not None:
        _write_text(paths["profile"], _dumps(profile_records(layer_times, profile_count)), overwrite)
        result.files["profile"] = paths["profile"]
    if iterations is not None:
        _write_text(paths["timing"], _dumps([it.to_record() for it in iterations]), overwrite)
        result.files["timing"] = paths["timing"]
    if metadata is not None:
        _write_text(paths["metadata"], _dumps(dict(metadata)), overwrite)
        result.files["metadata"] = paths["metadata"]
    return result

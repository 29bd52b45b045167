"""The engine bundle: everything known about one TensorRT engine, as frames.

A bundle is built by :func:`trtinspect.load` from whatever files the user has (graph JSON, profile JSON,
times JSON, trtexec logs, TREx metadata, nsys exports). Every part is optional except ``name``; missing parts
are empty frames with their schema (see ``trtinspect.parsers.schema``) and the reason is in ``notes``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pandas as pd

from trtinspect.parsers import schema
from trtinspect.parsers.join import join_profile, unmatched_profile_ms
from trtinspect.parsers.layer_total import LayerTotal, layer_total, per_iteration_profile
from trtinspect.parsers.timing import TimingSummary, timing_summary

T = TypeVar("T")


class Joined(NamedTuple):
    """The bundle's profile joined to its layers by name (see :func:`trtinspect.parsers.join.join_profile`)."""

    frame: pd.DataFrame             # layers + time_ms, avg_ms, median_ms, percentage, profile_row, match
    unmatched_profile: list[str]    # profile rows whose name matched no layer
    unmatched_layers: list[str]     # layers no profile row timed
    unmatched_profile_ms: float     # summed avg_ms of the unmatched profile rows (by row)


def _empty(s: schema.Schema) -> pd.DataFrame:
    return schema.empty_frame(s)


@dataclass
class EngineBundle:
    """One engine. Frames follow the schemas in ``trtinspect.parsers.schema`` (documented in docs/schemas.md)."""

    name: str
    layers: pd.DataFrame = field(default_factory=lambda: _empty(schema.LAYERS))
    profile: pd.DataFrame = field(default_factory=lambda: _empty(schema.PROFILE))
    times: pd.DataFrame = field(default_factory=lambda: _empty(schema.TIMES))
    summary: pd.DataFrame = field(default_factory=lambda: _empty(schema.SUMMARY))
    warnings: pd.DataFrame = field(default_factory=lambda: _empty(schema.WARNINGS))
    build_options: dict[str, str] = field(default_factory=dict)
    inference_options: dict[str, str] = field(default_factory=dict)
    model_options: dict[str, str] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)
    trt_version: str | None = None
    sources: dict[str, list[Path]] = field(default_factory=dict)   # kind -> files that fed this bundle
    # True when layers came from a detailed graph (tensors, formats, edges); False for names-only sources.
    detailed: bool = False
    notes: list[str] = field(default_factory=list)                  # what was missing / recovered / assumed
    extras: dict[str, Any] = field(default_factory=dict)            # source-specific extras (e.g. nsys frames)
    # Derived figures, computed on first use and kept (see :meth:`derived`); not part of equality or repr.
    _derived: dict[str, tuple[tuple[pd.DataFrame, ...], Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @property
    def has_profile(self) -> bool:
        return not self.profile.empty

    @property
    def has_times(self) -> bool:
        return not self.times.empty

    # ------------------------------------------------------------------------------ derived, computed once
    def derived(self, key: str, compute: Callable[[EngineBundle], T]) -> T:
        """``compute(self)``, computed once per bundle and kept under ``key`` (e.g. the join, lint findings).

        Recomputed only when a frame (layers, profile, times, summary, warnings) is replaced by another object;
        frames are treated as read-only once loaded (change them by assigning a new frame, not in place).
        """
        stamp = (self.layers, self.profile, self.times, self.summary, self.warnings)
        hit = self._derived.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], stamp, strict=True)):
            value: T = hit[1]
            return value
        value = compute(self)
        self._derived[key] = (stamp, value)
        return value

    def has_derived(self, key: str) -> bool:
        """Whether :meth:`derived` holds a current value under ``key`` (computed, frames not replaced since)."""
        stamp = (self.layers, self.profile, self.times, self.summary, self.warnings)
        hit = self._derived.get(key)
        return hit is not None and all(a is b for a, b in zip(hit[0], stamp, strict=True))

    def joined(self) -> Joined:
        """The profile joined to the layers by name, once per bundle (every command reads this one join)."""
        return self.derived("join", _join)

    def layer_times(self) -> pd.DataFrame:
        """Layers with their profiled time columns (``avg_ms``, ``median_ms``, ``time_ms``, ``percentage``).

        ``avg_ms`` is the layer's ms per iteration on the basis of :attr:`layer_total` (a ``--dumpProfile``
        row's time share of the total, unrounded; ``profile`` keeps the averages as printed).

        Joined by layer name (never by position). Layers no profile row names keep NaN times.
        Computed once per bundle (:meth:`joined`); do not modify the returned frame in place.
        """
        return self.joined().frame

    @property
    def unmatched_profile(self) -> list[str]:
        """Profile rows whose name matched no layer (from the one join; [] unless both layers and profile)."""
        return self.joined().unmatched_profile if self._both() else []

    @property
    def unmatched_layers(self) -> list[str]:
        """Layers no profile row timed (from the one join; [] unless both layers and profile)."""
        return self.joined().unmatched_layers if self._both() else []

    def unmatched_profile_ms(self) -> float:
        """Summed average time of the profile rows no layer took (0 unless both layers and profile)."""
        return self.joined().unmatched_profile_ms if self._both() else 0.0

    def _both(self) -> bool:
        return not self.profile.empty and not self.layers.empty

    @property
    def timing(self) -> TimingSummary:
        """THE end-to-end timing summary (GPU compute, H2D, D2H, latency) every command shows.

        One function computes it (:func:`trtinspect.parsers.timing.timing_summary`), once per bundle.
        """
        return self.derived("timing", timing_summary)

    @property
    def layer_total(self) -> LayerTotal:
        """THE per-layer total (ms per iteration) and its basis: a ``--dumpProfile`` table's ``Total`` row and
        run count where printed, else the summed averages (:func:`trtinspect.parsers.layer_total.layer_total`)."""
        return self.derived("layer_total", _layer_total)

    @property
    def profile_runs(self) -> int | None:
        """How many profiled iterations the per-layer times average (the ``{"count": N}`` header of an
        ``--exportProfile`` JSON, a ``--dumpProfile`` table's printed count), None when unknown or no profile."""
        return self.layer_total.iterations if self.has_profile else None

    def profile_sample_note(self) -> str | None:
        """:data:`SINGLE_SAMPLE` when the per-layer times come from one profiled iteration, else None."""
        return SINGLE_SAMPLE if self.profile_runs == 1 else None

    def total_layer_ms(self) -> float:
        """The per-layer total in ms per iteration (:attr:`layer_total`), NaN when no profile."""
        return self.layer_total.ms


# What lint, diff and check say when a per-layer profile holds one iteration (timeMs == averageMs): every
# per-layer time is one measurement; nothing about its run-to-run spread is known.
SINGLE_SAMPLE = "per-layer times from 1 profiled run: single sample, no spread"


def single_sample_sides(sides: Sequence[tuple[str, EngineBundle]]) -> str | None:
    """``"A (x) and B (y): per-layer times from 1 profiled run: single sample, no spread"`` for the named sides
    whose per-layer profile holds one iteration, None when none does."""
    single = [name for name, bundle in sides if bundle.profile_sample_note()]
    return f"{' and '.join(single)}: {SINGLE_SAMPLE}" if single else None


# What "per-layer total - GPU compute" is when the per-layer times were taken in the timed iterations themselves
# (extras["per_layer_method"]: Nsight Systems' kernel time inside each layer's NVTX range) and GPU compute is each
# iteration's first kernel start to last kernel end: no profiler synchronised after every layer.
SAME_ITERATIONS_GAP = ("not profiling overhead: the per-layer times are kernel GPU time in the same iterations, so "
                       "this is minus the GPU time between kernels and in kernels outside layer ranges, plus any "
                       "overlap of kernels on several streams")


def per_layer_gap_meaning(bundle: EngineBundle) -> str | None:
    """What this bundle's per-layer total - GPU compute is, when it is not per-layer profiling overhead (the
    bundle's ``per_layer_method`` fact is set): :data:`SAME_ITERATIONS_GAP`; None for a trtexec profile, whose
    separate profiled run synchronises after every layer (callers then say "profiling overhead")."""
    return SAME_ITERATIONS_GAP if bundle.extras.get("per_layer_method") else None


def require_tensorrt(bundle: EngineBundle, what: str = "TensorRT evidence", hint: str | None = None) -> None:
    """:func:`trtinspect.parsers.nsys.bundle.require_tensorrt` without importing the nsys package for bundles
    that are not Nsight Systems inputs (they always hold TensorRT evidence): report, lint and diff of trtexec
    exports never pay the nsys modules' import. Same checks, same errors."""
    extras = bundle.extras
    if extras.get("nsys_attribution_skipped") is None and bool(extras.get("nsys_tensorrt", True)):
        return
    from trtinspect.parsers.nsys.bundle import require_tensorrt as nsys_require_tensorrt

    if hint is None:
        nsys_require_tensorrt(bundle, what)
    else:
        nsys_require_tensorrt(bundle, what, hint)


def _layer_total(bundle: EngineBundle) -> LayerTotal:
    return layer_total(bundle.profile, iterations=bundle.extras.get("profile_iterations"),
                       total_row=bundle.extras.get("profile_total_row"),
                       total_text=bundle.extras.get("profile_total_text"),
                       source=str(bundle.extras.get("profile_source", "")))


def _join(bundle: EngineBundle) -> Joined:
    # per-layer times on the per-layer total's basis (a --dumpProfile row's time share, trtexec's Time % rule)
    profile = per_iteration_profile(bundle.profile, bundle.layer_total)
    frame, unmatched_profile, unmatched_layers = join_profile(bundle.layers, profile)
    return Joined(frame, unmatched_profile, unmatched_layers, unmatched_profile_ms(profile, frame))

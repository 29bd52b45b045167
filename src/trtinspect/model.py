"""The engine bundle: everything known about one TensorRT engine, as frames.

A bundle is built by :func:`trtinspect.load` from whatever files the user has (graph JSON, profile JSON,
times JSON, trtexec logs, TREx metadata, nsys exports). Every part is optional except ``name``; missing parts
are empty frames with their schema (see ``trtinspect.parsers.schema``) and the reason is in ``notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect.parsers import schema


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
    # Profile rows whose name matched no layer, and layers no profile row timed (join is by name).
    unmatched_profile: list[str] = field(default_factory=list)
    unmatched_layers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)                  # what was missing / recovered / assumed
    extras: dict[str, Any] = field(default_factory=dict)            # source-specific extras (e.g. nsys frames)

    @property
    def has_profile(self) -> bool:
        return not self.profile.empty

    @property
    def has_times(self) -> bool:
        return not self.times.empty

    def layer_times(self) -> pd.DataFrame:
        """Layers with their profiled time columns (``avg_ms``, ``median_ms``, ``time_ms``, ``percentage``).

        Joined by layer name (never by position). Layers no profile row names keep NaN times.
        Computed by the loader; see ``trtinspect.bundle.join_profile``.
        """
        from trtinspect.bundle import join_profile

        return join_profile(self.layers, self.profile)[0]

    def total_layer_ms(self) -> float:
        """Sum of per-layer average times (per iteration), NaN when no profile."""
        if self.profile.empty:
            return float("nan")
        return float(self.profile["avg_ms"].sum())

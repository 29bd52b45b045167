"""Shared test fixtures: paths to the real data shipped in the repository (never ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_engines"
DATA = REPO / "tests" / "data"
RESNET = SAMPLES / "resnet18-a100"
LOGS = SAMPLES / "trtexec-logs"
RESNET_VARIANTS = ["fp32", "fp16", "qat", "qat-residual", "qat-residual-qgap"]


def resnet_file(variant: str, suffix: str) -> Path:
    """e.g. resnet_file("qat", "graph.json") -> the real TREx A100 file for that variant."""
    matches = sorted((RESNET / variant).glob(f"*.engine.{suffix}"))
    assert len(matches) == 1, (variant, suffix, matches)
    return matches[0]


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def data_dir() -> Path:
    return DATA

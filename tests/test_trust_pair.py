"""How diff and check pair fusion groups of two engines and judge them (trust-pair, defects of a TensorRT
engineer's review), each on the real artifacts the review named: the A100 ResNet-18 sample engines, the seed
fx-vs-implicit INT8 trtexec logs and the TensorRT 10.16 H100 logs (tests/data/**/PROVENANCE.md)."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from trtinspect.render.diff import profiling_gap_meaning

QAT_RESIDUAL, QGAP = "sample:resnet18-a100/qat-residual", "sample:resnet18-a100/qat-residual-qgap"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_profiling_gap_is_worded_by_its_sign(capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 6: a positive per-layer total - GPU compute was called "per-layer profiling overhead, not in any
    layer"; the profiler's synchronisation sits inside the layer times. A negative gap is GPU time in no layer."""
    code, out, err = run_cli(["diff", QAT_RESIDUAL, QGAP], capsys)
    assert code == 0, err
    flat = _flat(out)
    assert ("A: end-to-end GPU compute 0.5457 ms; per-layer total - GPU compute = +0.1854 ms (per-layer profiling "
            "overhead, spread over the layer times)") in flat
    assert "not in any layer" not in flat
    assert profiling_gap_meaning(-0.01) == "GPU compute time not in any layer's profiled time"


SEED = "sample_engines/trtexec-logs/seed-fx-vs-implicit-int8"


def test_printed_size_threshold_is_the_one_the_decision_uses(capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 2 (threshold): Conv_131 (0.45% of the baseline, 1.1% of the candidate) printed a +120.7% threshold
    from the baseline's total while the share criterion passed on the candidate's share: every group's printed
    threshold must be one its own status agrees with."""
    import json

    code, out, err = run_cli(["check", "--baseline", f"{SEED}/fx-qdq-int8.profile.log", "--candidate",
                              f"{SEED}/implicit-int8.profile.log", "--json", "-"], capsys)
    assert code in (0, 1), err
    groups = json.loads(out)["groups"]
    judged = [g for g in groups if g["status"] not in ("added", "removed") and g["delta_ms"] is not None]
    assert judged
    for g in judged:
        flagged = g["status"] in ("regression", "traded")
        if g["delta_ms"] > 0:
            assert flagged == (g["delta_ms"] >= g["size_threshold_ms"] - 1e-12), g

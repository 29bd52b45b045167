"""REAL TensorRT tests (marker ``trt``): run only where ``tensorrt``, cuda-python and a GPU are present.

Deselected by default (``-m 'not trt'`` in pyproject); a GPU CI runs them with ``pytest -m trt``. They build a
tiny engine with TensorRT's builder (detailed profiling verbosity, one dynamic input), profile it through
``trtinspect.capture.trt_backend`` and read the bundle back. They have NOT been run where this project is developed
(no TensorRT there); see docs/tensorrt-backend.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.trt

trt = pytest.importorskip("tensorrt")
pytest.importorskip("cuda.bindings.runtime")

from trtinspect.capture import trt_backend  # noqa: E402
from trtinspect.errors import TrtInspectError  # noqa: E402


def build_engine(path: Path, *, detailed: bool = True) -> Path:
    """x[-1,8,16,16] -> conv 3x3 (8->16) -> relu -> y, profile min 1 / opt 4 / max 8."""
    import numpy as np

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = (
        0
        if int(trt.__version__.split(".")[0]) >= 10
        else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    )
    network = builder.create_network(flags)
    x = network.add_input("x", trt.float32, (-1, 8, 16, 16))
    w = np.random.default_rng(0).standard_normal((16, 8, 3, 3)).astype(np.float32)
    conv = network.add_convolution_nd(x, 16, (3, 3), trt.Weights(w), trt.Weights(np.zeros(16, np.float32)))
    conv.padding_nd = (1, 1)
    relu = network.add_activation(conv.get_output(0), trt.ActivationType.RELU)
    relu.get_output(0).name = "y"
    network.mark_output(relu.get_output(0))
    config = builder.create_builder_config()
    config.profiling_verbosity = (
        trt.ProfilingVerbosity.DETAILED if detailed else trt.ProfilingVerbosity.LAYER_NAMES_ONLY
    )
    profile = builder.create_optimization_profile()
    profile.set_shape("x", (1, 8, 16, 16), (4, 8, 16, 16), (8, 8, 16, 16))
    config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    assert plan is not None, "TensorRT could not build the test engine"
    path.write_bytes(bytes(plan))
    return path


@pytest.fixture(scope="module")
def engine(tmp_path_factory: Any) -> Path:
    return build_engine(tmp_path_factory.mktemp("trt") / "tiny.engine")


def test_real_profile_and_bundle_round_trip(engine: Path, tmp_path: Path) -> None:
    import trtinspect

    opts = trt_backend.ProfileOptions(iterations=20, warmup=5)
    result = trt_backend.profile_engine(engine, opts)
    assert result.trt_version == trt.__version__
    assert result.shapes["x"] == (4, 8, 16, 16) and result.shapes["y"] == (4, 16, 16, 16)
    assert result.detail == "detailed"
    assert len(result.iterations) == 20 and result.profile_iterations == 20
    assert all(len(v) == 20 for v in result.layer_times.values())
    assert all(it.compute_ms > 0 for it in result.iterations)
    trt_backend.write_profile_bundle(result, tmp_path / "b")
    bundle = trtinspect.load(tmp_path / "b")
    assert len(bundle.times) == 20 and len(bundle.layers) >= 1
    assert bundle.unmatched_profile == []


def test_real_requested_shape(engine: Path) -> None:
    opts = trt_backend.ProfileOptions(iterations=3, warmup=1, shapes={"x": (8, 8, 16, 16)})
    result = trt_backend.profile_engine(engine, opts)
    assert result.shapes["y"] == (8, 16, 16, 16)


def test_real_names_only_engine(tmp_path: Path) -> None:
    names_only = build_engine(tmp_path / "names.engine", detailed=False)
    result = trt_backend.profile_engine(names_only, trt_backend.ProfileOptions(iterations=2, warmup=0))
    assert result.detail == "names_only"
    assert any("--profilingVerbosity=detailed" in n for n in result.notes)


def test_real_corrupt_engine_reports_version(tmp_path: Path) -> None:
    bad = tmp_path / "bad.engine"
    bad.write_bytes(b"\x00\x01" + bytes(range(256)) * 16)
    with pytest.raises(TrtInspectError, match=f"TensorRT {trt.__version__} could not deserialize"):
        trt_backend.profile_engine(bad, trt_backend.ProfileOptions(iterations=1))

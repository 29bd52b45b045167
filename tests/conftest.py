"""Shared test fixtures: paths to the real data shipped in the repository (never ../shared)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def nsys_generator() -> Any:
    """scripts/generate_nsys_trt.py as a module (writes GENERATED TensorRT-shaped nsys exports)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("generate_nsys_trt", REPO / "scripts" / "generate_nsys_trt.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["generate_nsys_trt"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def nsys_generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A small generated two-process TensorRT-shaped nsys export in a temporary folder, and its truth."""
    out = tmp_path_factory.mktemp("nsys_gen") / "trt_resnet18_generated.sqlite"
    return out, nsys_generator().generate(out, iterations=7, processes=2, seed=3)


@pytest.fixture(scope="session")
def nsys_generated_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another GENERATED export of the same engine as :func:`nsys_generated` (another seed: other kernel times)."""
    out = tmp_path_factory.mktemp("nsys_gen_b") / "trt_resnet18_generated_b.sqlite"
    nsys_generator().generate(out, iterations=7, processes=2, seed=4)
    return out


def edited_export(source: Path, target: Path, sql: str) -> Path:
    """A copy of an SQLite file (a GENERATED nsys export, a history store) at ``target`` with SQL applied: one
    statement or a script (a test's variation, or rows damaged by hand)."""
    import shutil
    import sqlite3

    shutil.copy(source, target)
    con = sqlite3.connect(target)
    con.executescript(sql)
    con.commit()
    con.close()
    return target


def recorded_checks(store: Path, runs: int, baseline: str, candidate: str) -> Path:
    """A history store written by ``runs`` real ``check --record`` runs of baseline vs candidate (each exit 0)."""
    from trtinspect.cli import main

    for _ in range(runs):
        with pytest.raises(SystemExit) as exc:
            main(["check", "--baseline", baseline, "--candidate", candidate, "--record", str(store)])
        assert exc.value.code == 0
    return store


def _derive_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("derive_rerun", REPO / "scripts" / "derive_rerun.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def derive_rerun(src: Path, out: Path, part: int = 1, of: int = 2) -> Path:
    """scripts/derive_rerun.py: a GENERATED second run of the real bundle ``src`` in ``out`` (every ``of``-th of
    its real iterations from ``part``; every other file copied byte for byte)."""
    out_path: Path = _derive_module().derive(src, out, part, of)
    return out_path


def thin_times(folder: Path, part: int = 1, of: int = 2) -> Path:
    """scripts/derive_rerun.py: in a copied bundle ``folder``, keep every ``of``-th real iteration from ``part``
    (a test that edits the copy's profile then has another run, not the source's per-iteration times again)."""
    out_path: Path = _derive_module().thin_times(folder, part, of)
    return out_path


@pytest.fixture(scope="session")
def qat_rerun(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GENERATED second run of the real A100 ResNet-18 qat bundle (its odd iterations): ``check`` of qat
    against it compares two distinct runs of one engine (a run against itself is refused)."""
    return derive_rerun(RESNET / "qat", tmp_path_factory.mktemp("rerun") / "qat-rerun.generated")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the ``trtinspect`` command in-process: (exit status, stdout, stderr)."""
    from trtinspect.cli import main

    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def invoke(*args: str) -> tuple[int, str]:
    """Run the ``trtinspect`` command in-process without a fixture: (exit status, stdout + stderr together)."""
    import contextlib
    import io

    from trtinspect.cli import main

    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue()

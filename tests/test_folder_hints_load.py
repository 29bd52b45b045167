"""A folder of bundles suggests only a path that loads (new-user trial, trust-diff defect 6): `report
/work/shared/fixtures` suggested `.../nsys` (two exports: fails) and ignored `trex-a100-resnet18` (5 bundles a level
down); `report .../trtexec-logs` suggested `.../seed-fx-vs-implicit-int8` ("cannot tell which trtexec log").
The layout of /work/shared/fixtures is rebuilt here from the repository's real artifacts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import run_cli

import trtinspect

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "sample_engines" / "trtexec-logs"
RESNET = ROOT / "sample_engines" / "resnet18-a100"


def _suggested(err: str) -> Path:
    found = re.search(r"Give one, e\.g\. (.+)\.$", err.strip())
    assert found, err
    return Path(found.group(1))


def test_fixture_layout_suggests_a_loading_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nsys = tmp_path / "nsys"
    nsys.mkdir()
    for name in ("one.sqlite", "two.sqlite"):        # two exports: the folder is no one bundle
        (nsys / name).write_bytes(b"SQLite format 3\x00" + bytes(200))
    for variant in ("fp16", "qat"):
        shutil.copytree(RESNET / variant, tmp_path / "trex-a100-resnet18" / variant)
    shutil.copytree(LOGS / "seed-fx-vs-implicit-int8", tmp_path / "trtexec-logs" / "seed-fx-vs-implicit-int8")
    code, out, err = run_cli(["report", str(tmp_path)], capsys)
    assert code == 2 and not out and len(err.strip().splitlines()) == 1
    assert ("this folder holds engine files in 3 subfolders: nsys (2 Nsight Systems exports: name one), "
            "trex-a100-resnet18 (2 bundles in its subfolders), trtexec-logs (engine files in its subfolder)") in err
    path = _suggested(err)
    assert path == tmp_path / "trex-a100-resnet18" / "fp16"
    assert not trtinspect.load(path).layers.empty                    # the suggestion loads


def test_logs_of_several_runs_suggest_one_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for sub in ("seed-fx-vs-implicit-int8", "trt8.4"):
        shutil.copytree(LOGS / sub, tmp_path / sub)
    code, _, err = run_cli(["report", str(tmp_path)], capsys)
    assert code == 2
    assert "seed-fx-vs-implicit-int8 (4 trtexec logs: name one), trt8.4 (" in err
    path = _suggested(err)
    assert path.is_file() and path.parent == tmp_path / "seed-fx-vs-implicit-int8"
    assert run_cli(["report", str(path)], capsys)[0] == 0            # the suggestion loads

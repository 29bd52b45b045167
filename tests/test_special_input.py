"""Issue 17 items 2 and 3: only regular files are read; non-finite, absurd, negative and string numbers in
profile / times / TREx metadata JSON are refused with one line naming the file, the field and the value."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RESNET, resnet_file

from trtinspect.cli import main

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")


def _run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture
def fifos(tmp_path: Path) -> dict[str, Path]:
    made = {}
    for name in ("p.json", "x.engine", "run.log"):
        os.mkfifo(tmp_path / name)
        made[name] = tmp_path / name
    return made


@pytest.mark.parametrize("command", [
    ["report", "{P}"], ["lint", "{P}"], ["report", "{X}"], ["report", "{L}"],
    ["diff", "{P}", str(RESNET / "fp16")], ["diff", str(RESNET / "fp16"), "{X}"],
    ["check", "--baseline", "{P}", "--candidate", str(RESNET / "fp16")],
    ["check", "--baseline", str(RESNET / "fp16"), "--candidate", str(RESNET / "fp16"), "--config", "{P}"],
    ["serve", "{P}"],
])
def test_fifo_is_refused_without_opening_it(command: list[str], fifos: dict[str, Path]) -> None:
    names = {"P": fifos["p.json"], "X": fifos["x.engine"], "L": fifos["run.log"]}
    args = [a.format(**{k: str(v) for k, v in names.items()}) for a in command]
    code, text = _run(args)
    assert code == 2, text
    assert "FIFO (named pipe), not a regular file" in text and "Traceback" not in text
    assert len(text.strip().splitlines()) == 1


def test_fifo_in_a_fresh_process_returns(fifos: dict[str, Path]) -> None:
    """The same through the console entry point, with a time bound (a hang fails instead of blocking CI)."""
    proc = subprocess.run([sys.executable, "-m", "trtinspect", "report", str(fifos["p.json"])],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "FIFO" in proc.stderr


def test_devices_are_refused() -> None:
    code, text = _run(["report", os.devnull])
    assert code == 2 and "character device" in text


def test_a_fifo_in_a_bundle_folder_is_skipped(tmp_path: Path) -> None:
    for f in (RESNET / "fp16").iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    os.mkfifo(tmp_path / "resnet.onnx.engine.extra.json")
    code, text = _run(["report", str(tmp_path)])
    assert code == 0, text


# ------------------------------------------------------------------------------------------------ numbers
def _profile(tmp: Path, key: str, literal: str) -> Path:
    records = json.loads(resnet_file("fp16", "profile.json").read_text())
    records[3][key] = "__X__"
    path = tmp / "bad.profile.json"
    path.write_text(json.dumps(records).replace('"__X__"', literal))
    return path


@pytest.mark.parametrize(("key", "literal", "words"), [
    ("timeMs", "Infinity", "timeMs is Infinity, not a finite number"),
    ("averageMs", "-Infinity", "averageMs is -Infinity, not a finite number"),
    ("averageMs", "NaN", "averageMs is NaN, not a finite number"),
    ("averageMs", "1e308", "beyond any real measurement"),
    ("timeMs", "-180.0", "timeMs is -180.0, a negative time"),
    ("percentage", '"NaN"', "percentage is 'NaN', not a number"),
])
def test_profile_numbers(tmp_path: Path, key: str, literal: str, words: str) -> None:
    path = _profile(tmp_path, key, literal)
    for command in ("report", "lint"):
        code, text = _run([command, str(path)])
        assert code == 2, text
        assert words in text and str(path) in text and "record 3" in text
        assert len(text.strip().splitlines()) == 1


@pytest.mark.parametrize(("key", "literal"), [("computeMs", "1e308"), ("computeMs", '"NaN"'),
                                              ("latencyMs", "-3.5"), ("endComputeMs", "Infinity")])
def test_times_numbers_in_a_bundle(tmp_path: Path, key: str, literal: str) -> None:
    for f in (RESNET / "fp16").iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    timing = next(tmp_path.glob("*.timing.json"))
    records = json.loads(timing.read_text())
    records[7][key] = "__X__"
    timing.write_text(json.dumps(records).replace('"__X__"', literal))
    for args in (["report", str(tmp_path)], ["diff", str(tmp_path), str(RESNET / "fp16")],
                 ["check", "--baseline", str(tmp_path), "--candidate", str(RESNET / "fp16")]):
        code, text = _run(args)
        assert code == 2, text
        assert key in text and timing.name in text and "Traceback" not in text


def test_metadata_numbers(tmp_path: Path) -> None:
    meta = json.loads(resnet_file("fp16", "profile.metadata.json").read_text())
    meta["performance_summary"]["GPU Compute Time"][2] = "NaN"
    path = tmp_path / "x.engine.profile.metadata.json"
    path.write_text(json.dumps(meta))
    code, text = _run(["report", str(path)])
    assert code == 2 and "'GPU Compute Time' mean" in text and "not a finite number" in text

"""Defects of the fifth new-user trial of main (20:15 UTC), one test each, running the failing command of the
defect: `--help`/`--version` to a full standard output, the advice for an output file that is read-only,
`profile` of an image, `history --engine` with no match.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RESNET, run_cli

QAT, RES = str(RESNET / "qat"), str(RESNET / "qat-residual")
FULL_LINE = ("trtinspect: error: cannot write to standard output: No space left on device. Free space where "
             "standard output goes, or send it elsewhere.\n")


class _FullStdout(io.StringIO):
    """Standard output on a full disk (``> /dev/full``)."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# ------------------------------------------------------------- 5. click's own text to a full standard output
@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"], ["report", "--help"], ["check", "--help"]])
def test_help_and_version_to_a_full_stdout_is_one_line(args: list[str], monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdout", _FullStdout())
    code, _, err = run_cli(args, capsys)
    assert code == 2 and err == FULL_LINE, err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_help_to_dev_full_as_a_process() -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "trtinspect", "--help"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr == FULL_LINE, proc.stderr


def test_an_internal_oserror_is_still_a_bug(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Only click's writes to standard output are the user's full disk; another unnamed OSError stays a bug."""
    import trtinspect

    def broken(*_: object, **__: object) -> None:
        raise OSError(errno.EIO, "boom")

    monkeypatch.setattr(trtinspect, "load", broken)
    code, _, err = run_cli(["report", QAT], capsys)
    assert code == 2 and "internal error: OSError" in err


# ----------------------------------------------------------------- 10. a read-only output file
def test_a_read_only_output_file_is_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trtinspect.cli.options import _write_hint

    target = tmp_path / "ro.txt"
    target.write_text("hi")
    target.chmod(0o444)
    try:
        if os.access(target, os.W_OK):     # root writes read-only files: the hint is what is checked here
            hint = _write_hint(PermissionError(errno.EACCES, "Permission denied"), target)
        else:
            code, _, err = run_cli(["diff", QAT, RES, "-o", str(target)], capsys)
            assert code == 2 and len(err.splitlines()) == 1
            hint = err
        assert "read-only" in hint and "folder" not in hint
    finally:
        target.chmod(0o644)
    assert "free space" in _write_hint(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "x")
    assert "create the folder" in _write_hint(FileNotFoundError(errno.ENOENT, "x"), tmp_path / "no" / "x")


# ---------------------------------------------------------------------- 11. profile of a picture
@pytest.mark.parametrize(("head", "what"), [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff\xe0", "a JPEG image"), (b"PK\x03\x04", "a zip archive"),
    (b"\x7fELF\x02", "an executable"), (b"SQLite format 3\x00", "an SQLite database"),
])
def test_profile_refuses_known_formats_before_asking_for_tensorrt(head: bytes, what: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pic = tmp_path / "pic.bin"
    pic.write_bytes(head + bytes(range(256)) * 4)
    code, _, err = run_cli(["profile", str(pic), "--out", str(tmp_path / "p")], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert f"is {what}" in err and "not a serialized engine" in err and "TensorRT" not in err, err
    assert not (tmp_path / "p").exists()


# ------------------------------------------------------------------- 12. history --engine with no match
def test_history_engine_without_checks_names_the_recorded_engines(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.sqlite"
    code, _, _ = run_cli(["check", "--baseline", QAT, "--candidate", RES, "--record", str(db)], capsys)
    assert code == 0
    code, out, err = run_cli(["history", str(db), "--engine", "nonexist\x1b[31m"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("no recorded checks of engine 'nonexist\\x1b[31m' (--engine is an exact candidate engine "
                        "name)")
    assert "'resnet-qat-residual.onnx'" in lines[-1]
    code, out, _ = run_cli(["history", str(db), "--engine", "resnet-qat-residual.onnx"], capsys)
    assert code == 0 and "resnet-qat-residual.onnx (vs" in out


# ------------------------------------------------------------------------------------ 13. wording
def test_a_link_loop_is_not_called_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone.json")
    for name in ("loop1", "dangling"):
        code, _, err = run_cli(["report", str(tmp_path / name)], capsys)
        assert code == 2 and len(err.splitlines()) == 1
        assert "symbolic link that leads to no file" in err and "no such file" not in err, err


def test_a_folder_of_two_nsys_exports_names_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    exports = sorted((Path(__file__).parent / "data" / "nsys").glob("*.sqlite"))[:2]
    if len(exports) < 2:
        pytest.skip("tests/data/nsys holds fewer than two SQLite exports")
    for p in exports:
        shutil.copy(p, tmp_path / p.name)
    code, _, err = run_cli(["report", str(tmp_path)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "holds 2 Nsight Systems SQLite exports" in err and all(p.name in err for p in exports), err


def test_same_time_sentence_names_a_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    copy = tmp_path / "renamed"
    copy.mkdir()
    for p in Path(QAT).iterdir():
        shutil.copy(p, copy / p.name.replace("resnet-qat", "renamed"))
    code, out, _ = run_cli(["diff", QAT, str(copy)], capsys)
    assert code == 0
    assert "A (resnet-qat.onnx) and B (renamed.onnx) take the same end-to-end GPU compute time" in out, out[:600]


# ------------------------------------------------------- 7. a bidirectional control in check's outputs
def test_check_shows_a_bidi_override_in_every_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A layer named with U+202E (it reverses how the rest of a line displays) is shown as ``\\u202e`` in check's
    text, GitHub annotations, Markdown and JUnit, as report/lint/diff already show it."""
    import shutil
    import xml.etree.ElementTree as ET

    cand = tmp_path / "bidi"
    cand.mkdir()
    for p in Path(QAT).iterdir():
        if p.suffix == ".json":
            text = p.read_text(encoding="utf-8").replace("MaxPool_12", "Max\\u202ePool_12")
            (cand / p.name).write_text(text, encoding="utf-8")
        else:
            shutil.copy(p, cand / p.name)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    md, junit = tmp_path / "m.md", tmp_path / "j.xml"
    code, out, _ = run_cli(["check", "--baseline", RES, "--candidate", str(cand), "--markdown", str(md),
                            "--junit", str(junit)], capsys)
    assert code in (0, 1)
    for text in (out, md.read_text(encoding="utf-8"), junit.read_text(encoding="utf-8")):
        assert "\u202e" not in text and "Max\\u202ePool_12" in text
    assert any(line.startswith("::") and "Max\\u202ePool_12" in line for line in out.splitlines())
    ET.parse(junit)


# ------------------------------------------------- 3. check of a cut-off --dumpProfile log is broken evidence
def test_check_refuses_a_cut_off_log_instead_of_calling_it_another_model(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A --dumpProfile log cut in its profile table read as a 'different model' (exit 3, half the layers); it
    is incomplete evidence: exit 2 naming the file. report still reads it, with its note."""
    log = RESNET.parent / "trtexec-logs" / "trt10.16-h100" / "result-05.log"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = tmp_path / "cut.log"
    cut.write_text("".join(lines[:92]), encoding="utf-8")
    code, out, err = run_cli(["check", "--baseline", str(log), "--candidate", str(cut)], capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1, (code, out, err)
    assert f"{cut}: candidate run 'cut': the trtexec log ends before trtexec's final '&&&& PASSED/FAILED' line" \
        in err
    code, out, _ = run_cli(["report", str(cut)], capsys)
    assert code == 0 and "ends before trtexec's final '&&&& PASSED/FAILED' line" in out

"""Bad input through `python -m trtinspect report`: exit 2, one stderr line naming the file, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import LOGS, RESNET, resnet_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtinspect.errors import TrtInspectError
from trtinspect.parsers.bundle import load


def _cut(src: Path, fraction: float) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        data = src.read_bytes()
        out = tmp / src.name
        out.write_bytes(data[: int(len(data) * fraction)])
        return out
    return make


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        out = tmp / name
        out.write_bytes(data)
        return out
    return make


def _lonely_engine(tmp: Path) -> Path:
    out = tmp / "lonely.engine"
    out.write_bytes(bytes(range(256)) * 8)
    return out


def _empty_dir(tmp: Path) -> Path:
    out = tmp / "nothing-here"
    out.mkdir()
    (out / "readme.txt").write_text("hello\n")
    return out


def _two_engines(tmp: Path) -> Path:
    out = tmp / "two"
    out.mkdir()
    shutil.copy(resnet_file("qat", "graph.json"), out)
    shutil.copy(resnet_file("fp32", "graph.json"), out)
    return out


# name -> (make input in tmp, expected words in the message, extra args, extra env)
CASES: dict[str, tuple[Callable[[Path], Path], str, list[str], dict[str, str]]] = {
    "empty": (_write("empty.json", b""), "empty", [], {}),
    "whitespace": (_write("blank.profile.json", b"  \n\n"), "empty", [], {}),
    "truncated_graph": (_cut(resnet_file("qat", "graph.json"), 0.5), "truncated", [], {}),
    "truncated_times": (_cut(resnet_file("qat", "timing.json"), 0.3), "truncated", [], {}),
    "binary": (_write("random.json", bytes((i * 37) % 256 for i in range(5000))), "binary", [], {}),
    "wrong_kind_json": (_write("model.engine.graph.json", b'{"nodes": [1, 2, 3]}'), "not a TensorRT", [], {}),
    "wrong_kind_text": (_write("notes.log", b"hello world\nthis is not trtexec\n"), "not a trtexec log",
                        [], {}),
    "names_only": (lambda tmp: LOGS / "trt8.4" / "modelInformation.log", "names-only",
                   ["--require-detailed"], {}),
    "gigantic": (lambda tmp: resnet_file("qat", "graph.json"), "limit", [],
                 {"TRTINSPECT_MAX_FILE_BYTES": "2048"}),
    "missing": (lambda tmp: tmp / "does-not-exist.json", "no such file", [], {}),
    "engine_no_sidecars": (_lonely_engine, "--exportLayerInfo=", [], {}),
    "empty_dir": (_empty_dir, "no TensorRT", [], {}),
    "two_engines": (_two_engines, "2 engines", [], {}),
    "ambiguous_logs": (lambda tmp: LOGS / "trt10.16-h100", "result-05.log", [], {}),
    "nsys_rep": (_write("capture.nsys-rep", b"\x00\x01\x02\x03"), "nsys export --type sqlite", [], {}),
}


def _run_cli(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_extra, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "trtinspect", "report", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


# Run as a real subprocess (fresh interpreter, `python -m trtinspect`); the other cases run the same entry
# point in-process (`trtinspect.cli.main`) to keep the file fast on two cores.
SUBPROCESS_CASES = ("empty", "truncated_graph", "binary", "wrong_kind_json", "names_only", "gigantic",
                    "engine_no_sidecars", "ambiguous_logs")


def _run_in_process(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import contextlib
    import io

    from trtinspect.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in env_extra}
    os.environ.update(env_extra)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(["report", *args])
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Run every case once: SUBPROCESS_CASES two at a time in fresh interpreters, the rest in-process."""
    tmp = tmp_path_factory.mktemp("bad")
    jobs = {}
    for name, (make, _, args, env) in CASES.items():
        case_dir = tmp / name
        case_dir.mkdir()
        path = make(case_dir)
        jobs[name] = (path, [*args, str(path)], env)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_run_cli, argv, env) for name, (_, argv, env) in jobs.items()
                   if name in SUBPROCESS_CASES}
        done = {name: (jobs[name][0], fut.result()) for name, fut in futures.items()}
    for name, (path, argv, env) in jobs.items():
        if name not in done:
            done[name] = (path, _run_in_process(argv, env))
    return done


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_one_line_exit_2(case: str, results: dict) -> None:
    path, proc = results[case]
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert lines[0].startswith("trtinspect: error: ")
    assert path.name in lines[0]
    assert CASES[case][1] in lines[0], lines[0]


def test_engine_message_names_the_exact_command(results: dict) -> None:
    path, proc = results["engine_no_sidecars"]
    expected = (f"trtexec --loadEngine={path} --profilingVerbosity=detailed "
                f"--exportLayerInfo={path}.graph.json "
                f"--exportProfile={path}.profile.json --exportTimes={path}.timing.json --separateProfileRun "
                "--dumpProfile")
    assert expected in proc.stderr


def test_library_raises_the_documented_exception(tmp_path: Path) -> None:
    empty = tmp_path / "x.json"
    empty.write_text("")
    with pytest.raises(TrtInspectError):
        load(empty)
    with pytest.raises(TrtInspectError, match="limit"):
        load(resnet_file("qat", "graph.json"), max_file_bytes=100)


# ----------------------------------------------------------------------------------- mangled real bundles
BUNDLE_FILES = {p.name: p.read_bytes() for p in (RESNET / "qat").iterdir() if p.is_file()}
MANGLED_NAMES = sorted(n for n in BUNDLE_FILES if n.endswith(("profile.json", "graph.json", "metadata.json")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(victim=st.sampled_from(MANGLED_NAMES), pos=st.floats(0, 1), length=st.integers(0, 40),
       insert=st.sampled_from([b"", b'"', b"\\", b"\x00\x01", b"}", b"]", b"{", b"NaN", b"\xff\xfe"]))
def test_mangled_bundle_loads_or_raises_trtinspect_error(tmp_path: Path, victim: str, pos: float, length: int,
                                                         insert: bytes) -> None:
    folder = tmp_path / f"b{abs(hash((victim, pos, length, insert)))}"
    folder.mkdir()
    for name, data in BUNDLE_FILES.items():
        if name.endswith("timing.json"):
            continue  # large and covered by the times parser's own property tests
        if name == victim:
            at = int(len(data) * pos)
            data = data[:at] + insert + data[at + length:]
        (folder / name).write_bytes(data)
    try:
        bundle = load(folder)
    except TrtInspectError as exc:
        assert "\n" not in str(exc)
        return
    assert bundle.name and isinstance(bundle.notes, list)


@pytest.mark.parametrize("folder", ["docs", "tests"])
def test_documentation_and_code_folders_are_not_engine_data(folder: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 12: `report docs/` read docs/trtexec-logs.md (which quotes trtexec output) as a log and exited 0;
    documents and source code are never tool output, whatever they quote."""
    from trtinspect.cli import main

    root = Path(__file__).resolve().parent.parent
    for cmd in (["report"], ["lint", "--fail-on", "warning"]):
        with pytest.raises(SystemExit) as exc:
            main([cmd[0], str(root / folder), *cmd[1:]])
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip()
        assert "holds no TensorRT/trtexec files" in err and "\n" not in err

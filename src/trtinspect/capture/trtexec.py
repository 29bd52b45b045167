"""Run trtexec K times with the flags that give complete, comparable data, and keep everything as bundles.

Layout written under ``OUT``::

    OUT/capture.json                 manifest: commands, exit codes, durations, TensorRT version, files
    OUT/<name>.engine                the engine built from an ONNX model (run 1 builds it, later runs load it)
    OUT/run-<k>/<name>.engine.graph.json     --exportLayerInfo
    OUT/run-<k>/<name>.engine.profile.json   --exportProfile
    OUT/run-<k>/<name>.engine.timing.json    --exportTimes
    OUT/run-<k>/trtexec.log                  trtexec's whole stdout/stderr for that run

Each ``run-<k>`` directory is a bundle that :func:`trtinspect.load` reads. ``<name>`` follows TREx naming:
``model.onnx`` -> ``model.onnx.engine.*``; ``model.plan`` -> ``model.engine.*``.
The flags every run gets are declared once in :data:`PROFILING_FLAGS`.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trtinspect.errors import TrtInspectError
from trtinspect.limits import positive_problem
from trtinspect.parsers.bundle_writer import SUFFIXES

log = logging.getLogger(__name__)

# Every run: detailed layer info, per-layer profile in a separate run (so it does not distort end-to-end
# timing), the profile table in the log too, and spin-wait for steadier timing.
PROFILING_FLAGS: tuple[str, ...] = (
    "--profilingVerbosity=detailed",
    "--separateProfileRun",
    "--dumpProfile",
    "--useSpinWait",
)
# bundle file kind -> the trtexec flag that writes it
EXPORT_FLAGS: dict[str, str] = {
    "graph": "--exportLayerInfo",
    "profile": "--exportProfile",
    "timing": "--exportTimes",
}
ENGINE_SUFFIXES = (".engine", ".plan", ".trt")
LOG_NAME = "trtexec.log"
MANIFEST_NAME = "capture.json"
_ERROR_LINE = re.compile(r"(^|\] )\[E\] |Error\[|&&&& FAILED")


@dataclass
class CaptureOptions:
    model: Path  # ONNX model or serialized engine
    out: Path
    runs: int = 3
    shapes: str | None = None  # trtexec --shapes syntax
    cuda_graph: bool = False
    trtexec: str | None = None  # path; default: trtexec on PATH
    plugins: tuple[Path, ...] = ()
    extra_args: tuple[str, ...] = ()  # passed to every trtexec run as given (e.g. --fp16)
    timeout_s: float | None = None

    def __post_init__(self) -> None:   # the API object refuses what the command line refuses
        self.check_numbers()

    def check_numbers(self) -> None:
        if self.runs < 1:
            raise TrtInspectError("--runs must be at least 1")
        if self.timeout_s is not None and (bad := positive_problem(self.timeout_s)) is not None:
            raise TrtInspectError(f"timeout_s (--timeout) {self.timeout_s!r} {bad} (seconds)",
                                  hint="e.g. --timeout 600, or leave it out for no limit")

    @property
    def kind(self) -> str:
        return model_kind(self.model)

    @property
    def name(self) -> str:
        return bundle_name(self.model)


@dataclass
class RunRecord:
    index: int
    directory: str
    command: list[str]
    returncode: int | None = None
    duration_s: float | None = None
    log: str = LOG_NAME
    files: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


@dataclass
class CaptureResult:
    out: Path
    name: str
    engine: Path
    trtexec: str
    trt_version: str | None
    runs: list[RunRecord]
    manifest: Path


def model_kind(path: Path) -> str:
    """``onnx`` or ``engine`` from the file name; anything else is refused with a clear message."""
    lower = path.name.lower()
    if lower.endswith(".onnx"):
        return "onnx"
    if lower.endswith(ENGINE_SUFFIXES):
        return "engine"
    raise TrtInspectError(
        "cannot tell whether this is an ONNX model or a TensorRT engine",
        path=path,
        hint="name it *.onnx, or *.engine / *.plan / *.trt",
    )


def bundle_name(path: Path) -> str:
    """TREx-style bundle name: ``resnet.onnx`` stays ``resnet.onnx``; ``resnet.plan`` -> ``resnet``."""
    name = path.name
    for suffix in ENGINE_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def engine_path(opts: CaptureOptions) -> Path:
    """The engine the runs load: the given one, or ``OUT/<name>.engine`` that run 1 builds."""
    return opts.model if opts.kind == "engine" else opts.out / f"{opts.name}.engine"


def run_dir(opts: CaptureOptions, k: int) -> Path:
    return opts.out / f"run-{k}"


def command_for(opts: CaptureOptions, trtexec: str, k: int) -> list[str]:
    """The trtexec command line of run ``k`` (1-based)."""
    d = run_dir(opts, k)
    engine = engine_path(opts)
    cmd = [trtexec]
    if opts.kind == "onnx" and k == 1:
        cmd += [f"--onnx={opts.model}", f"--saveEngine={engine}"]
    else:
        cmd.append(f"--loadEngine={engine}")
    cmd += list(PROFILING_FLAGS)
    for kind, flag in EXPORT_FLAGS.items():
        cmd.append(f"{flag}={d / (opts.name + SUFFIXES[kind])}")
    if opts.shapes:
        cmd.append(f"--shapes={opts.shapes}")
    if opts.cuda_graph:
        cmd.append("--useCudaGraph")
    for lib in opts.plugins:
        cmd.append(f"--plugins={lib}")
    cmd += list(opts.extra_args)
    return cmd


def own_flags(opts: CaptureOptions) -> dict[str, str]:
    """The trtexec flags capture itself sets on some run (flag -> what for): arguments passed on after ``--``
    must not set them again (trtexec would take one of two values: an export written elsewhere, layer names
    only)."""
    own = {"--onnx": "the model to build", "--loadEngine": "the engine each profiling run loads",
           "--saveEngine": "where the engine built from the ONNX model is saved"}
    own.update({f.split("=", 1)[0]: "every run's profiling setting" for f in PROFILING_FLAGS})
    own.update({flag: f"the bundle's {kind} export" for kind, flag in EXPORT_FLAGS.items()})
    if opts.shapes:
        own["--shapes"] = "capture's --shapes option"
    if opts.cuda_graph:
        own["--useCudaGraph"] = "capture's --cuda-graph option"
    if opts.plugins:
        own["--plugins"] = "capture's --plugins option"
    return own


def find_trtexec(explicit: str | None) -> str | None:
    """The trtexec to run, as an absolute path when it is a path: ``explicit`` with a slash is exactly that
    file (relative to the current folder: ``./trtexec`` runs the file here, never one on PATH; ``str(Path(
    "./trtexec"))`` is ``trtexec``, which the system looks up on PATH); a bare name is looked up on PATH; None
    when there is no such executable."""
    if explicit:
        if os.sep in explicit or (os.altsep is not None and os.altsep in explicit):
            p = Path(os.path.abspath(os.path.expanduser(explicit)))
            return str(p) if p.is_file() and os.access(p, os.X_OK) else None
        return shutil.which(explicit)
    return shutil.which("trtexec")


def check_options(opts: CaptureOptions) -> None:
    model_kind(opts.model)  # raises for a file that is neither ONNX nor an engine
    opts.check_numbers()
    if opts.model.is_dir():
        raise TrtInspectError(
            "is a directory", path=opts.model, hint="pass an ONNX model or a serialized engine file"
        )
    if not opts.model.is_file():
        raise TrtInspectError(
            "no such file", path=opts.model, hint="pass an ONNX model or a serialized engine"
        )
    if opts.out.exists() and not opts.out.is_dir():
        raise TrtInspectError("--out exists and is not a directory", path=opts.out)
    taken = [run_dir(opts, k) for k in range(1, opts.runs + 1) if run_dir(opts, k).exists()]
    if taken or (opts.out / MANIFEST_NAME).exists():
        raise TrtInspectError(
            "the output directory already holds a capture", path=opts.out, hint="choose a new --out directory"
        )
    if opts.out.is_dir() and any(opts.out.iterdir()):  # the saved engine, logs and bundles would replace files
        raise TrtInspectError(
            "--out is a folder that already holds files; capture writes into a new (or empty) folder and never "
            "replaces a file", path=opts.out, hint="choose a new --out directory"
        )


def _error_lines(log_path: Path, limit: int = 3) -> list[str]:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    hits = [ln.strip() for ln in text.splitlines() if _ERROR_LINE.search(ln)]
    return hits[-limit:]


def _trt_version(log_path: Path) -> str | None:
    from trtinspect.parsers.trtexec_log import parse_trtexec_log

    try:
        return parse_trtexec_log(log_path).trt_version
    except TrtInspectError as exc:
        log.debug("no TensorRT version from %s: %s", log_path, exc)
        return None


Runner = Callable[..., Any]


def capture(
    opts: CaptureOptions, *, runner: Runner = subprocess.run, progress: Callable[[str], None] | None = None
) -> CaptureResult:
    """Run trtexec ``opts.runs`` times; raise :class:`TrtInspectError` on any failure, keeping the logs."""
    opts.model = Path(opts.model)
    opts.out = Path(opts.out)
    check_options(opts)
    trtexec = find_trtexec(opts.trtexec)
    if trtexec is None:
        first = command_for(opts, opts.trtexec or "trtexec", 1)
        where = (
            f"'{opts.trtexec}' is not an executable file" if opts.trtexec else "trtexec was not found on PATH"
        )
        raise TrtInspectError(
            f"{where}; it ships in TensorRT's bin/ folder",
            hint=f"install TensorRT or pass --trtexec PATH; the first run's command is: {shlex.join(first)}",
        )
    made_out = not opts.out.exists()
    opts.out.mkdir(parents=True, exist_ok=True)
    records: list[RunRecord] = []
    version: str | None = None
    started = time.time()
    for k in range(1, opts.runs + 1):
        d = run_dir(opts, k)
        d.mkdir(parents=True)
        cmd = command_for(opts, trtexec, k)
        rec = RunRecord(index=k, directory=d.name, command=cmd)
        records.append(rec)
        if progress:
            progress(f"run {k}/{opts.runs}: {shlex.join(cmd)}")
        t0 = time.perf_counter()
        try:
            with (d / LOG_NAME).open("w", encoding="utf-8") as fh:
                proc = runner(cmd, stdout=fh, stderr=subprocess.STDOUT, timeout=opts.timeout_s, check=False)
        except subprocess.TimeoutExpired:
            _write_manifest(opts, trtexec, version, records, started)
            raise TrtInspectError(
                f"trtexec run {k} took longer than {opts.timeout_s} s and was stopped",
                path=d / LOG_NAME,
                hint="raise --timeout or shorten the run",
            ) from None
        except OSError as exc:   # it never started: take back what this run made (no half-written --out)
            if records.pop() and records:   # earlier runs stay, with their manifest
                _write_manifest(opts, trtexec, version, records, started)
            raise _not_started(exc, trtexec, opts.out if made_out and not records else d) from None
        rec.duration_s = round(time.perf_counter() - t0, 3)
        rec.returncode = int(proc.returncode)
        version = version or _trt_version(d / LOG_NAME)
        for kind in EXPORT_FLAGS:
            p = d / (opts.name + SUFFIXES[kind])
            if p.is_file() and p.stat().st_size > 0:
                rec.files[kind] = p.name
            else:
                rec.missing.append(p.name)
        if rec.returncode != 0:
            _write_manifest(opts, trtexec, version, records, started)
            errors = "; ".join(_error_lines(d / LOG_NAME)) or "no error line in the log"
            raise TrtInspectError(
                f"trtexec run {k} failed with exit code {rec.returncode}: {errors}",
                path=d / LOG_NAME,
                hint="read the log; the command is in capture.json",
            )
        if rec.missing:
            _write_manifest(opts, trtexec, version, records, started)
            raise TrtInspectError(
                f"trtexec run {k} succeeded but did not write {', '.join(rec.missing)}",
                path=d,
                hint="this trtexec may be too old for --exportLayerInfo/--exportTimes (TensorRT 8.2+ needed)",
            )
    manifest = _write_manifest(opts, trtexec, version, records, started)
    return CaptureResult(
        out=opts.out,
        name=opts.name,
        engine=engine_path(opts),
        trtexec=trtexec,
        trt_version=version,
        runs=records,
        manifest=manifest,
    )


def _not_started(exc: OSError, trtexec: str, made: Path) -> TrtInspectError:
    """trtexec could not be started: remove ``made`` (the run folder, or the --out folder this capture
    created) so a rerun does not find a half-written capture, and say why in one line."""
    shutil.rmtree(made, ignore_errors=True)
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOENT and Path(trtexec).is_file():   # the file is there: its #! line is not
        why += " (the file exists: the interpreter its '#!' line names, or its loader, is missing)"
    return TrtInspectError(f"cannot run trtexec: {why}", path=trtexec,
                           hint="pass --trtexec PATH to a trtexec that runs on this machine")


def _write_manifest(
    opts: CaptureOptions, trtexec: str, version: str | None, records: Sequence[RunRecord], started: float
) -> Path:
    from trtinspect.version import __version__

    doc = {
        "tool": "trtinspect capture",
        "tool_version": __version__,
        "model": str(opts.model),
        "model_kind": opts.kind,
        "name": opts.name,
        "engine": str(engine_path(opts)),
        "trtexec": trtexec,
        "tensorrt_version": version,
        "cuda_graph": opts.cuda_graph,
        "shapes": opts.shapes,
        "profiling_flags": list(PROFILING_FLAGS),
        "extra_args": list(opts.extra_args),
        "started": started,
        "finished": time.time(),
        "runs": [asdict(r) for r in records],
    }
    path = opts.out / MANIFEST_NAME
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path

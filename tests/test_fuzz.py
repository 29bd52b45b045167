"""Fuzz every input kind through every command, in process (issue 17, "make it stay fixed").

Each example takes ONE real file of a real bundle, mutates it (truncation, byte damage, a number turned into
NaN / Infinity / 1e308 / a negative / a string / null, a key deleted, a value wrapped in deep nesting, a
hostile layer name) and runs ``report``, ``lint``, ``diff`` and ``check`` on the damaged bundle through
``trtinspect.cli.main``. What must hold for every input:

* the exit code is 0, 1, 2 or 3 (never an uncaught exception);
* nothing on stderr says "internal error" or "Traceback" (bad input is a one-line user error, exit 2);
* every command finishes within a time bound;
* the files we only read are unchanged.

Hypothesis runs a bounded, derandomized number of examples (the same ones on every CI run); set
``TRTINSPECT_FUZZ_EXAMPLES`` for a longer local run.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtinspect.cli import main

ROOT = Path(__file__).resolve().parent.parent
QAT = ROOT / "sample_engines" / "resnet18-a100" / "qat"
LOGS = ROOT / "sample_engines" / "trtexec-logs"
EXAMPLES = int(os.environ.get("TRTINSPECT_FUZZ_EXAMPLES", "4"))
TIME_BOUND_S = 60.0

JSON_KINDS = {
    "graph": "resnet-qat.onnx.engine.graph.json",
    "profile": "resnet-qat.onnx.engine.profile.json",
    "timing": "resnet-qat.onnx.engine.timing.json",
    "profile-metadata": "resnet-qat.onnx.engine.profile.metadata.json",
    "build-metadata": "resnet-qat.onnx.engine.build.metadata.json",
}
LOG_KINDS = {
    "trtexec-log": LOGS / "trt10.16-h100" / "result-01.log",
    "profile-table": LOGS / "seed-fx-vs-implicit-int8" / "fx-qdq-int8.profile.log",
}

HOSTILE = ["<script>alert(1)</script>", "Conv_8 + Relu_9,file=.github/workflows/ci.yml,line=1,title=X",
           "a\x01b\x0bc", "[bold red]x[/]", "\x1b[2J", "`x`|[l](javascript:1)", "::error::x", "%0A", ""]
BAD_NUMBERS: list[Any] = [float("nan"), float("inf"), float("-inf"), 1e308, -1.0, -1e308, "12", None, True, 0]


def _paths(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a leaf or container in a JSON document (capped to keep drawing cheap)."""
    out = [path]
    if isinstance(obj, dict):
        for k, v in list(obj.items())[:40]:
            out += _paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:40]):
            out += _paths(v, (*path, i))
    return out


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(obj, path[:-1])[path[-1]] = value
    return obj


@st.composite
def json_mutation(draw: st.DrawFn, text: str) -> bytes:
    doc = json.loads(text)
    how = draw(st.sampled_from(["truncate", "number", "delete", "nest", "name", "retype", "bytes"]))
    raw = text.encode()
    if how == "truncate":
        return raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    if how == "bytes":
        at = draw(st.integers(0, len(raw) - 1))
        junk = draw(st.binary(min_size=1, max_size=8))
        return raw[:at] + junk + raw[at + len(junk):]
    paths = _paths(doc)
    path = draw(st.sampled_from(paths))
    if how == "number":
        doc = _set(doc, path, draw(st.sampled_from(BAD_NUMBERS)))
    elif how == "delete" and path:
        parent = _get(doc, path[:-1])
        del parent[path[-1]]
    elif how == "nest":
        depth = draw(st.integers(1, 400))
        value = _get(doc, path)
        for _ in range(depth):
            value = [value]
        doc = _set(doc, path, value)
    elif how == "name":
        doc = _set(doc, path, draw(st.sampled_from(HOSTILE)))
    elif how == "retype":
        doc = _set(doc, path, draw(st.sampled_from([{}, [], "", "x", 0, None])))
    return json.dumps(doc, allow_nan=True).encode()


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> bytes:
    lines = text.splitlines(keepends=True)
    how = draw(st.sampled_from(["truncate", "drop", "numbers", "name", "bytes"]))
    if how == "truncate":
        return text.encode()[: draw(st.integers(0, len(text.encode()) - 1))]
    i = draw(st.integers(0, len(lines) - 1))
    if how == "drop":
        del lines[i: i + draw(st.integers(1, 20))]
    elif how == "numbers":
        bad = draw(st.sampled_from(["nan", "inf", "-1", "1e308", "-inf", "x"]))
        lines[i] = "".join(bad if ch.isdigit() else ch for ch in lines[i])
    elif how == "name":
        lines.insert(i, draw(st.sampled_from(HOSTILE)) + "\n")
    else:
        return text.encode()[:i] + draw(st.binary(min_size=1, max_size=16)) + text.encode()[i:]
    return "".join(lines).encode()


def run_all(target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report, lint, diff and check on ``target``: exit code in {0,1,2,3}, no internal error, time bound."""
    commands = [
        ["report", str(target), "--format", "json"],
        ["lint", str(target), "--format", "markdown"],
        ["diff", "sample:resnet18-a100/qat", str(target), "--format", "json"],
        ["check", "--baseline", "sample:resnet18-a100/qat", "--candidate", str(target), "--json", "-"],
    ]
    for argv in commands:
        start = time.monotonic()
        code: Any = 0
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if exc.code is not None else 0
        elapsed = time.monotonic() - start
        err = capsys.readouterr().err
        assert code in (0, 1, 2, 3), (argv, code, err)
        assert "internal error" not in err and "Traceback" not in err, (argv, err)
        if code == 2:
            assert err.strip().count("\n") == 0, (argv, err)      # one line
        assert elapsed < TIME_BOUND_S, (argv, elapsed)


def _bundle_with(tmp: Path, kind: str, data: bytes) -> Path:
    out = tmp / "bundle"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(QAT, out)
    (out / JSON_KINDS[kind]).write_bytes(data)
    return out


FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@pytest.mark.parametrize("kind", list(JSON_KINDS))
def test_fuzz_json_kinds(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (QAT / JSON_KINDS[kind]).read_text(encoding="utf-8")

    @FUZZ
    @given(data=json_mutation(text))
    def one(data: bytes) -> None:
        target = _bundle_with(tmp_path, kind, data)
        before = {p.name: p.read_bytes() for p in target.iterdir()}
        run_all(target, capsys)
        assert {p.name: p.read_bytes() for p in target.iterdir()} == before      # read-only

    one()


@pytest.mark.parametrize("kind", list(LOG_KINDS))
def test_fuzz_logs(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = LOG_KINDS[kind].read_text(encoding="utf-8", errors="replace")

    @FUZZ
    @given(data=text_mutation(text))
    def one(data: bytes) -> None:
        target = tmp_path / LOG_KINDS[kind].name
        target.write_bytes(data)
        run_all(target, capsys)
        assert target.read_bytes() == data

    one()


def test_fuzz_nsys_sqlite_truncated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = ROOT / "tests" / "data" / "nsys" / "nsight-2025.5.2.sqlite"
    raw = src.read_bytes()

    @FUZZ
    @given(cut=st.integers(0, len(raw) - 1), junk=st.binary(min_size=0, max_size=64))
    def one(cut: int, junk: bytes) -> None:
        target = tmp_path / "damaged.sqlite"
        data = raw[:cut] + junk
        target.write_bytes(data)
        run_all(target, capsys)
        assert target.read_bytes() == data
        assert not list(tmp_path.glob("*-wal")) and not list(tmp_path.glob("*-journal"))

    one()

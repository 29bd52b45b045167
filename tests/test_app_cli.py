"""`trtinspect serve`: host/debug rules, bad paths, and a real server process answering HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import resnet_file

from trtinspect.cli import main
from trtinspect.cli.serve import is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_debug_refused_on_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--host", "0.0.0.0", "--debug", "sample:resnet18-a100/qat"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--debug is refused on the non-loopback host 0.0.0.0" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"Layers": [')
    with pytest.raises(SystemExit) as exc:
        main(["serve", str(bad)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "Traceback" not in err


def test_serve_nonfinite_profile_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 17: `serve bad.profile.json` (Infinity/-Infinity times) printed a traceback from a background
    thread and served HTTP 500; now the engine is checked before the server starts."""
    rows = json.loads(resnet_file("qat", "profile.json").read_text())
    rows[1]["averageMs"], rows[2]["averageMs"] = float("inf"), float("-inf")
    bad = tmp_path / "bad.profile.json"
    bad.write_text(json.dumps(rows))
    with pytest.raises(SystemExit) as exc:
        main(["serve", str(bad), "--port", "0"])
    assert exc.value.code == 2
    out = capsys.readouterr()
    err = out.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in out.err + out.out
    assert "bad.profile.json" in err and "averageMs" in err and "Infinity" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_process_from_another_directory(tmp_path: Path) -> None:
    """A real `python -m trtinspect serve` started outside the repository serves the named engine."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trtinspect", "serve", "sample:resnet18-a100/qat", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        body = None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        assert body is not None, proc.stdout.read().decode() if proc.stdout else ""
        assert "url" in json.loads(body)["props"]["children"][0]["props"]["id"]
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/_dash-update-component",
            method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps(
                {
                    "output": "page.children",
                    "outputs": {"id": "page", "property": "children"},
                    "inputs": [
                        {"id": "url", "property": "pathname", "value": "/engine/sample-resnet18-a100-qat"},
                        {"id": "url", "property": "search", "value": ""},
                    ],
                    "changedPropIds": ["url.pathname"],
                }
            ).encode(),
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            page = r.read().decode()
        first_layer = json.loads(resnet_file("qat", "graph.json").read_text())["Layers"][0]["Name"]
        assert first_layer in page
    finally:
        proc.send_signal(signal.SIGTERM)
        start = time.perf_counter()
        code = proc.wait(timeout=10)
        stopped_in = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    # new-user trial: "Dash is running" twice, ANSI colour codes into a pipe, ~3 s to stop on SIGTERM
    assert code == 0, out
    assert stopped_in < 2.0, stopped_in
    assert "\x1b" not in out and "Dash is running" not in out, out
    assert out.splitlines() == [f"trtinspect: serving 1 engine on http://127.0.0.1:{port}/ (Ctrl+C stops)"]


def test_serve_shows_the_default_history_store_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` without --history reads the store `check --record` writes by default, if it exists."""
    from trtinspect.cli.serve import _default_history

    monkeypatch.delenv("TRTINSPECT_HISTORY_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert _default_history() is None
    (tmp_path / "trtinspect-history.sqlite").write_bytes(b"")
    assert _default_history() == "trtinspect-history.sqlite"
    monkeypatch.setenv("TRTINSPECT_HISTORY_DB", "postgresql://ci/latency")
    assert _default_history() == "postgresql://ci/latency"


def _registry_app() -> Any:
    from trtinspect.app.server import build_registry, create_app

    return create_app(build_registry(["sample:resnet18-a100/qat"]))


def test_dashboard_server_in_process_starts_and_stops() -> None:
    """The server the `serve` command runs, on a thread of the test process: answers HTTP, stops promptly."""
    from trtinspect.app.serving import DashboardServer

    server = DashboardServer(_registry_app(), port=0)
    assert server.url == f"http://127.0.0.1:{server.port}/" and server.port > 0
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        with urllib.request.urlopen(server.url + "_dash-layout", timeout=10) as r:
            assert r.status == 200 and "url" in r.read().decode()
    finally:
        start = time.perf_counter()
        server.stop()
        thread.join(timeout=5)
    assert not thread.is_alive() and time.perf_counter() - start < 2.0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_dashboard_server_stops_on_signal(signum: int) -> None:
    """SIGINT/SIGTERM end serve_until_signal at once (no KeyboardInterrupt traceback) and the previous
    handlers come back."""
    from trtinspect.app.serving import DashboardServer

    server = DashboardServer(_registry_app(), port=0)
    before = signal.getsignal(signum)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signum))
    timer.start()
    start = time.perf_counter()
    assert server.serve_until_signal() == signum
    assert time.perf_counter() - start < 3.0
    assert signal.getsignal(signum) is before
    with pytest.raises(OSError):    # the socket is closed
        urllib.request.urlopen(server.url, timeout=2)


def test_serve_busy_port_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(SystemExit) as exc:
            main(["serve", "sample:resnet18-a100/qat", "--port", str(s.getsockname()[1])])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("trtinspect: error: cannot listen on 127.0.0.1:") and len(err.splitlines()) == 1

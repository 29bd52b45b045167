"""`trtinspect serve --debug` prints exactly one line, the URL, as `serve` does (trust-misc review: it printed
Dash's and Flask's banner, and werkzeug's reloader ran the command twice); request logs only with -v."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, *flags: str) -> tuple[int, str, str, int, bytes]:
    """Start `python -m trtinspect [flags] serve --debug`, fetch the page once, SIGTERM; (exit, out, err, port,
    the page)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trtinspect", *flags, "serve", "--debug", "sample:resnet18-a100/qat",
         "--port", str(port)],
        cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline, body = time.time() + 60, None
        while time.time() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    body = r.read()
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        assert body is not None
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    out, err = (s.read().decode() if s else "" for s in (proc.stdout, proc.stderr))
    return code, out, err, port, body


def test_serve_debug_prints_one_line(tmp_path: Path) -> None:
    code, out, err, port, page = _serve(tmp_path)
    assert code == 0, out + err
    assert b'"ui": true' in page or b'"ui":true' in page          # Dash's dev tools are on: debug mode
    assert out.splitlines() == [f"trtinspect: serving 1 engine on http://127.0.0.1:{port}/ (debug mode; Ctrl+C stops)"]
    assert err == "", err           # no "Dash is running", "* Serving Flask app", "* Debugger PIN", reloader lines
    code, out, err, port, _ = _serve(tmp_path, "-v")
    assert code == 0 and len(out.splitlines()) == 1, out
    assert '"GET / HTTP/1.1" 200' in err and "\x1b" not in err      # request lines at -v, plain

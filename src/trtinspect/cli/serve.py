"""`trtinspect serve [PATH ...]`: the web dashboard (a thin layer over trtinspect.app)."""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
from pathlib import Path

import click

from trtinspect.cli import echo
from trtinspect.cli.options import PositiveNumber, paths_argument
from trtinspect.errors import TrtInspectError

log = logging.getLogger(__name__)

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; False for anything else (0.0.0.0 included)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@paths_argument(required=False)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind. Anything but loopback exposes the dashboard to your network.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8050, show_default=True, help="TCP port.")
@click.option(
    "--debug",
    "debug_mode",
    is_flag=True,
    help="Dash debug mode (dev tools: in-browser error tracebacks, callback graph, asset hot reload; no "
    "reloader process); refused on a non-loopback host.",
)
@click.option(
    "--max-upload-mb",
    type=PositiveNumber("MB", minimum=0.001),
    default=50.0,
    show_default=True,
    help="Largest file the upload box accepts, in MB (1 MB = 1,000,000 bytes; at least 0.001).",
)
@click.option(
    "--history",
    "history_url",
    default=None,
    metavar="URL|FILE",
    help="Check history to show on the History page (SQLite file or SQLAlchemy URL; default: the store "
    "`check --record` writes, $TRTINSPECT_HISTORY_DB or ./trtinspect-history.sqlite, when it exists).",
)
def command(
    paths: tuple[str, ...],
    host: str,
    port: int,
    debug_mode: bool,
    max_upload_mb: float,
    history_url: str | None,
) -> None:
    """Start the web dashboard on http://127.0.0.1:8050.

    Each PATH is ONE engine: a bundle directory, an engine file with sidecar files beside it, one exported
    file or log, an nsys SQLite export, or sample:NAME. With no PATH, every bundled sample that has layer
    information is loaded (summary-only logs have nothing to draw). The browser can open only these engines and
    the ones uploaded in the page.
    """
    if debug_mode and not is_loopback(host):
        raise TrtInspectError(
            f"--debug is refused on the non-loopback host {host}: debug mode runs code sent by the browser",
            hint="drop --debug or bind --host 127.0.0.1",
        )
    from trtinspect import read_engine_with_tensorrt
    from trtinspect.app.server import build_registry, create_app

    if history_url is None:
        history_url = _default_history()
    # every engine is admitted (checked and analysed) here, before the server starts: a file the dashboard
    # cannot show stops `serve` with one line (exit 2), never a traceback from a thread later
    registry = build_registry(paths, engine_reader=read_engine_with_tensorrt)
    if len(registry) == 0:
        raise TrtInspectError("no engine could be loaded", hint="pass PATH arguments")
    app = create_app(registry, history_url=history_url, max_upload_mb=max_upload_mb)
    if not is_loopback(host):
        click.echo(f"warning: binding {host}: anyone who can reach this port can see these engines", err=True)
    from trtinspect.app.serving import DashboardServer

    try:   # debug mode: Dash's dev tools (in-browser tracebacks), the same server, the same one line
        server = DashboardServer(app, host=host, port=port, debug=debug_mode)
    except OSError as exc:
        raise TrtInspectError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                              hint="pick another --port (0: any free port) or stop what uses it") from None
    # one line, on standard output: the URL to open (plain text: no colour codes in a file or pipe)
    mode = "debug mode; " if debug_mode else ""
    echo(f"trtinspect: serving {_engines(len(registry))} on {server.url} ({mode}Ctrl+C stops)")
    signum = server.serve_until_signal()
    log.info("stopped by %s", signal.Signals(signum).name if signum else "shutdown")


def _engines(n: int) -> str:
    return "1 engine" if n == 1 else f"{n} engines"


def _default_history() -> str | None:
    """The history store `check --record` writes by default, when there is one ($TRTINSPECT_HISTORY_DB or
    ./trtinspect-history.sqlite); None otherwise (the History page then explains how to record checks)."""
    from trtinspect.inspector.history import DEFAULT_DB_FILE, ENV_DB

    configured = os.environ.get(ENV_DB)
    if configured:
        return configured
    return DEFAULT_DB_FILE if Path(DEFAULT_DB_FILE).is_file() else None

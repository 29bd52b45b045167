"""Serving the dashboard over HTTP: one threaded WSGI server that a caller starts and stops.

``Dash.run`` (Flask's development runner) prints its own banner twice (Dash's logger writes to stdout and the
root logger repeats it), colours werkzeug's lines with ANSI codes even into a file or pipe, and leaves the
process to Python's default SIGTERM handling; with ``debug=True`` it also starts werkzeug's reloader, which runs
the whole command again in a child process (``* Restarting with stat``, ``* Debugger PIN``). Both modes of
``serve`` run this server instead (debug mode: Dash's dev tools on, no reloader). :class:`DashboardServer` binds
the socket first (so the real URL is known, ``--port 0`` included), logs each request as plain text at INFO
(shown with ``-v``), and stops when :meth:`~DashboardServer.stop` is called from any thread, or when
SIGTERM/SIGINT arrive while :meth:`~DashboardServer.serve_until_signal` runs. Tests run it in-process on a
thread.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

import dash
from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _PlainRequestHandler(WSGIRequestHandler):
    """werkzeug's handler with request lines logged as plain text (no ANSI colour codes) to our logger."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info('"%s" %s %s', self.requestline, code, size)

    def log(self, type: str, message: str, *args: Any) -> None:
        getattr(log, type if type in ("info", "warning", "error") else "info")(
            "%s - %s", self.address_string(), message % args
        )


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) and listening; OSError (e.g. the port is in use) as is."""
    family = select_address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as werkzeug's HTTPServer does
        sock.bind(get_sockaddr(host, port, family))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class _Stop(Exception):
    """Raised in the serving thread by the signal handler: leaves ``serve_forever`` at once."""


class DashboardServer:
    """A threaded HTTP server for one Dash app, bound at construction (``port=0`` picks a free port)."""

    def __init__(self, app: dash.Dash, host: str = "127.0.0.1", port: int = 8050, *, debug: bool = False) -> None:
        # the settings Dash.run applies before serving: Dash's dev tools (in-browser error tracebacks, callback
        # graph, asset hot reload) only in debug mode; never werkzeug's reloader process or its debugger console
        # (a reloader re-runs the command in a child: every line printed twice, and its own banner)
        app.enable_dev_tools(debug=debug)
        # bound here, not by werkzeug: a port in use is an OSError for the caller (werkzeug prints two lines
        # and calls sys.exit(1))
        with _listening_socket(host, port) as sock:
            self._server: BaseWSGIServer = make_server(
                host, port, app.server, threaded=True, request_handler=_PlainRequestHandler, fd=sock.fileno()
            )   # werkzeug serves a duplicate of the descriptor; this one closes here
        # threaded: ThreadedWSGIServer, daemon request threads (an open keep-alive connection never delays exit)
        self.host = host
        self.port = int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` (from another thread); the socket is closed on return."""
        try:
            self._server.serve_forever(poll_interval=0.1)
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop :meth:`serve_forever` running in another thread (waits for its loop to end)."""
        self._server.shutdown()

    def serve_until_signal(self) -> int:
        """Serve in this (main) thread until SIGTERM or SIGINT; returns the signal number that stopped it."""
        with _stop_on_signals() as received, suppress(_Stop):
            self.serve_forever()
        return received[0] if received else 0


@contextmanager
def _stop_on_signals() -> Iterator[list[int]]:
    """While inside: SIGTERM/SIGINT raise :class:`_Stop` in the main thread (the previous handlers come back
    after). Yields the list the received signal number is appended to."""
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        if not received:
            received.append(signum)
            raise _Stop

    if threading.current_thread() is not threading.main_thread():   # signals are delivered to the main thread
        yield received
        return
    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)

"""The ``trtinspect`` command line: a thin layer over the library.

Each subcommand lives in its own module ``trtinspect.cli.<name>`` exposing a click command named ``command``;
modules are imported only when their command runs (or its ``--help`` is asked), so ``--help`` never needs
optional packages. User errors (:class:`TrtInspectError`) print one line and exit 2; internal bugs exit 2 with
a short message (traceback only with ``--debug``).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import logging
import os
import sys
from typing import Any, NoReturn

import click

from trtinspect import gcpause
from trtinspect.errors import NotComparableError, TrtInspectError
from trtinspect.gcpause import keep_until_exit as keep_until_exit  # the commands' import

# name -> (module, one-line help). Declared once; docs/cli.md documents every entry (a test checks).
COMMANDS: dict[str, tuple[str, str]] = {
    "report": ("trtinspect.cli.report", "Summarise one engine: device, precision mix, time by type, top layers."),
    "lint": ("trtinspect.cli.lint", "Find what costs latency in an engine, with evidence and cost in ms."),
    "diff": ("trtinspect.cli.diff", "Align two engines through fusion changes and explain the latency delta."),
    "check": ("trtinspect.cli.check", "CI gate: baseline vs candidate per-layer latency, with exit codes."),
    "history": ("trtinspect.cli.history", "List recorded checks and per-layer latency trends."),
    "serve": ("trtinspect.cli.serve", "Start the web dashboard on 127.0.0.1:8050."),
    "capture": ("trtinspect.cli.capture", "Run trtexec K times and write a complete, comparable bundle."),
    "profile": ("trtinspect.cli.profile", "Inspect and profile a serialized engine with TensorRT (needs a GPU)."),
    "samples": ("trtinspect.cli.samples", "List the bundled sample engines (name them as sample:NAME)."),
}

log = logging.getLogger("trtinspect")


class _StdoutClosed(Exception):
    """Standard output's reader went away outside :func:`trtinspect.cli.options.echo_output` (which carries on
    writing nowhere)."""


def discard_stdout() -> None:
    """Standard output cannot take more (its reader went away, the disk is full): what is still written goes
    nowhere, so the exit status and the one error line are all that is left to say (docs/cli.md, exit codes)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):  # no real stream (tests): nothing to do
        pass


def stdout_error(exc: OSError) -> TrtInspectError:
    """A write to standard output that failed (``> /dev/full``, a full disk, a closed terminal) as one line; the
    rest of the output is discarded. A closed pipe (BrokenPipeError) is not an error: the caller handles it."""
    discard_stdout()
    return TrtInspectError(f"cannot write to standard output: {exc.strerror or exc}",
                           hint="free space where standard output goes, or send it elsewhere")


def echo(text: str = "", nl: bool = True) -> None:
    """``click.echo`` of one line to standard output; a failed write is one line and exit 2
    (:func:`stdout_error`), never an internal error."""
    try:
        click.echo(text, nl=nl)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise stdout_error(exc) from None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        cmd: click.Command = module.command
        return cmd

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                            list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        if cmd is not None:   # an option given twice, or with one it excludes: one line, exit 2, before any work
            from trtinspect.cli.options import refuse_repeated_options

            refuse_repeated_options(click.Context(cmd, info_name=name, parent=ctx), rest)
        return name, cmd, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # click would exit 1 (a failed gate to CI); main ends with 0
            raise _StdoutClosed from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trtinspect")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int) -> None:
    """Tell why one TensorRT engine is slower than another, and stop CI when a change makes it slower.

    PATH arguments accept a bundle directory, an engine file with sidecar files beside it, trtexec JSON
    exports or logs, an nsys SQLite export, or a bundled sample as sample:NAME (see `trtinspect samples`).
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: runs the click group and maps errors to exit codes."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return cli.main(args=argv, prog_name="trtinspect", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # Ctrl-C: click turns it into Abort
            click.echo("trtinspect: interrupted", err=True)
            sys.exit(130)
        click.echo("trtinspect: aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:  # `trtinspect` alone: its help
            click.echo(ctx.get_help(), err=True)
            sys.exit(2)
        click.echo(usage_error_line(exc), err=True)
        sys.exit(2)
    except NotComparableError as exc:
        click.echo(f"trtinspect: not comparable: {printable(exc)}", err=True)
        sys.exit(3)
    except TrtInspectError as exc:
        click.echo(f"trtinspect: error: {printable(exc)}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("trtinspect: interrupted", err=True)
        sys.exit(130)
    except (BrokenPipeError, _StdoutClosed):
        discard_stdout()
        sys.exit(0)
    except OSError as exc:
        if exc.filename is None and _stdout_fails(exc):  # click's own help/version text to a full stdout
            click.echo(f"trtinspect: error: {printable(stdout_error(exc))}", err=True)
            sys.exit(2)
        if exc.filename is None:     # not about a path the user gave: a bug
            _internal_error(exc, debug)
        # a path the system refuses (too long, permission denied, a loop...): the user's to fix, one line
        click.echo(f"trtinspect: error: {printable(exc.filename)}: {printable(exc.strerror or exc)}. "
                   "Check the path (and that it can be read or written).", err=True)
        sys.exit(2)
    except Exception as exc:  # an internal bug: say so in one line, traceback only with --debug
        _internal_error(exc, debug)


def _stdout_fails(exc: OSError) -> bool:
    """Whether ``exc`` (an error without a file name) was raised by click writing its own text to standard
    output: ``--help`` or ``--version`` to ``/dev/full`` fails inside ``click.echo``, before any command runs.
    Output files are written by :mod:`trtinspect.cli.options`, naming their path in any error."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "echo" and frame.f_globals.get("__name__") == "click.utils":
            target = frame.f_locals.get("file")
            if target is sys.stdout:
                return True
            try:
                return target is not None and target.fileno() == sys.stdout.fileno()
            except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
                return False
        tb = tb.tb_next
    return False


def _internal_error(exc: Exception, debug: bool) -> NoReturn:
    if debug:
        raise exc
    click.echo(
        f"trtinspect: internal error: {type(exc).__name__}: {printable(exc)} "
        "(this is a bug in trtinspect; re-run with --debug for the traceback and report it)",
        err=True,
    )
    sys.exit(2)


def printable(text: object) -> str:
    """One line of an error message: a file name's line break, CR or ESC shown as ``\\xNN`` (imported only
    when an error is printed)."""
    from trtinspect.render.escape import printable as one_line

    return one_line(text)


def usage_error_line(exc: click.ClickException) -> str:
    """A click error in one line: ``trtinspect CMD: error: WHAT (see trtinspect CMD --help)``.

    Click's own form takes three lines (Usage / Try / Error) and says less about what to do."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None and ctx.command_path else "trtinspect"
    return printable(f"{where}: error: {message} (see {where} --help)")


# Commands that keep running (a web server): they get the normal interpreter and exit.
LONG_RUNNING = frozenset({"serve"})

def _command_name(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _exit_code(code: Any) -> int:
    """The process exit status Python gives ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def console_main() -> NoReturn:
    """The installed ``trtinspect`` command and ``python -m trtinspect``: :func:`main` in a fast process.

    A 50,000-layer engine leaves millions of small Python objects alive. The cyclic garbage collector
    re-scans all of them on every full collection, and the interpreter frees them one by one at exit; for a
    command that prints and ends, both are pure overhead (docs/benchmarks.md). So, in this console entry
    point only (the library never does this): the collector is off for the run, and after the command has
    finished, exit handlers have run (logging is flushed) and stdout/stderr are flushed, the process ends
    with ``os._exit`` and the same exit status; the objects a command handed to :func:`keep_until_exit` are
    never freed one by one. ``serve`` runs with the collector on and nothing kept, and ends the same way once
    stopped (a prompt exit on SIGTERM/SIGINT); ``--debug`` tracebacks still come from Python itself.
    """
    if _command_name(sys.argv[1:]) not in LONG_RUNNING:
        gc.disable()
        gcpause.keep_objects_until_exit()
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = _exit_code(exc.code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # a reader that went away (main treats a broken pipe as success) or a closed stream: nothing to flush
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
        except OSError as exc:      # the last of standard output could not be written (a full disk)
            if stream is sys.stdout:
                with contextlib.suppress(OSError, ValueError):
                    print(f"trtinspect: error: {stdout_error(exc)}", file=sys.stderr)
                code = code or 2
    os._exit(code)

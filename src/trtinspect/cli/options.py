"""What every subcommand shares, declared once: loading inputs, the common options and writing output.

* :func:`load` -- the library's :func:`trtinspect.load` plus a progress bar on a terminal for long nsys loads
  (the library itself stays silent); :func:`load_evidence` also refuses an nsys export without TensorRT;
* :func:`paths_argument`, :func:`format_option` (choices from the result's renderers in
  :mod:`trtinspect.render`), :func:`output_option`, :func:`top_option`, :func:`name_option`;
* :func:`write_output` -- standard output or a file, one line naming the file when it cannot be written.
"""

from __future__ import annotations

import codecs
import errno
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

import trtinspect
from trtinspect import render
from trtinspect.cli import discard_stdout, keep_until_exit, printable, stdout_error
from trtinspect.errors import TrtInspectError
from trtinspect.limits import positive_problem
from trtinspect.parsers.model import EngineBundle, require_tensorrt  # nsys package imported for nsys inputs only
from trtinspect.render.jsonout import Utf8Pieces
from trtinspect.textfmt import FILE_WIDTH

F = TypeVar("F", bound=Callable[..., Any])
PATHS_HELP = ("a bundle directory, an engine file with sidecars beside it, explicit exported files or trtexec "
              "logs of one engine, or sample:NAME (see `trtinspect samples`)")


def load(*paths: str | Path, name: str | None = None) -> EngineBundle:
    """Load one engine bundle for a command (see :func:`trtinspect.load`); in the console process it is kept
    until the process ends (:func:`trtinspect.cli.keep_until_exit`)."""
    bundle = trtinspect.load(*paths, name=name, terminal_progress=True)
    keep_until_exit(bundle)
    _inputs_read().update(os.path.realpath(p) for files in bundle.sources.values() for p in files)
    return bundle


def _inputs_read() -> set[str]:
    """The files this command invocation has read (real paths), kept in click's context for
    :func:`refuse_overwriting_inputs`; a fresh set outside a command."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return set()
    inputs: set[str] = ctx.meta.setdefault("trtinspect.inputs_read", set())
    return inputs


def refuse_overwriting_inputs(*targets: str | Path | None) -> None:
    """One line, exit 2, when an output file is one of the files the command read (``diff A B -o
    A/x.graph.json``, ``check --json BASELINE_FILE``): an output never replaces an input."""
    inputs = _inputs_read()
    for target in targets:
        if target is not None and str(target) != "-" and _is_one_of(target, inputs):
            raise TrtInspectError("is one of the input files; writing the output there would replace it",
                                  path=target, hint="choose another output file")


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of an existing file: a hard link to an input is that input under another name."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _is_one_of(target: str | Path, paths: set[str]) -> bool:
    """Whether ``target`` is one of ``paths`` (real paths): the same real path (a symbolic link resolves to
    it) or the same file on disk (device and inode: a hard link)."""
    if os.path.realpath(target) in paths:
        return True
    ident = _identity(target)
    return ident is not None and any(_identity(p) == ident for p in paths)


def guard_outputs(outputs: Mapping[str, str | Path | None], *read_only: str | Path | None) -> None:
    """Check a command's output files BEFORE any work (one line, exit 2): no output is one of the paths the
    command only reads (``read_only``: its input paths, ``--config``, the history store of ``--record`` for the
    other outputs), no two outputs share a file, and each can be created (not a folder, its folder exists).

    ``outputs``: option (``--json``) -> file (None or ``-``: none / standard output). The read-only paths join
    the files :func:`load` reads, which :func:`refuse_overwriting_inputs` checks again once they are known."""
    inputs = _inputs_read()
    inputs.update(os.path.realpath(p) for p in read_only if p is not None and str(p) not in ("", "-")
                  and not str(p).startswith("sample:"))
    seen: dict[str, tuple[str, tuple[int, int] | None]] = {}   # option -> (real path, identity)
    for option, target in outputs.items():
        if target is None or str(target) == "-":
            continue
        real = os.path.realpath(target)
        ident = _identity(real)
        if _is_one_of(real, inputs):
            raise TrtInspectError(f"is a file this command reads; writing the {option} output there would "
                                  "replace it", path=target, hint=f"give {option} another file")
        same = next((o for o, (r, i) in seen.items() if r == real or (ident is not None and i == ident)), None)
        if same:
            raise TrtInspectError(f"is given to both {same} and {option}; one file would keep only the "
                                  "last output", path=target, hint="give each output its own file")
        seen[option] = (real, ident)
        if os.path.isdir(real):
            raise TrtInspectError(f"is a folder, not a file for the {option} output", path=target,
                                  hint="give a file name")
        if not os.path.isdir(os.path.dirname(real)):
            raise TrtInspectError(f"the folder of the {option} output does not exist", path=target,
                                  hint="create the folder first or give another path")


def refuse_config_outputs(outputs: Mapping[str, str | Path | None], config_files: Sequence[Path]) -> None:
    """One line, exit 2, when an output file is a config file name the command looks for (``check --json
    trtinspect.toml`` or ``pyproject.toml`` in the working directory), existing or not, opened this time or not:
    the output would replace the project's settings (or become them) and the next run would read it."""
    names = {os.path.realpath(p) for p in config_files}
    for option, target in outputs.items():
        if target is None or str(target) == "-":
            continue
        if _is_one_of(target, names):
            raise TrtInspectError(
                f"is a config file name check looks for ({', '.join(p.name for p in config_files)} in the working "
                f"directory); writing the {option} output there would replace or become the settings the next "
                "check reads", path=target, hint=f"give {option} another file name")


def load_evidence(*paths: str | Path, name: str | None = None, what: str = "TensorRT evidence") -> EngineBundle:
    """:func:`load`, refusing an Nsight Systems export without TensorRT activity (check and diff compare
    TensorRT engines; such an export has no engine to compare)."""
    bundle = load(*paths, name=name)
    require_tensorrt(bundle, what)
    return bundle


class PositiveNumber(click.ParamType):
    """A finite number above zero (``--timeout``, ``--duration``, ``--max-upload-mb``): click's ``float`` takes
    ``nan`` and ``inf`` (no limit at all, or an internal error converting them), and a range type still lets
    ``nan`` through; each is refused here, before any work, in click's one-line usage error (exit 2)."""

    name = "number"

    def __init__(self, unit: str, minimum: float = 0.0) -> None:
        self.unit = unit
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                self.fail(f"'{value}' is not a number of {self.unit}", param, ctx)
        bad = positive_problem(number, self.minimum)   # the rule the API objects are held to (trtinspect.limits)
        if bad is not None:
            self.fail(f"'{value}' {bad} ({self.unit})", param, ctx)
        return number


def paths_argument(required: bool = True) -> Callable[[F], F]:
    """PATHS...: the files of ONE engine (see :data:`PATHS_HELP`)."""
    return click.argument("paths", nargs=-1, required=required)


def format_option(kind: str, help: str = "Output format.") -> Callable[[F], F]:
    """``--format``: the formats :mod:`trtinspect.render` declares for this result kind."""
    return click.option("--format", "fmt", type=click.Choice(list(render.formats(kind))), default="text",
                        show_default=True, help=help)


def output_option(help: str = "Write the output to this file instead of standard output.") -> Callable[[F], F]:
    return click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help=help)


def top_option(help: str, default: int | None = 10) -> Callable[[F], F]:
    """``--top N``: one rule for every command: the first N (N >= 1), 0 = all (``None`` to the command)."""
    return click.option("--top", type=click.IntRange(min=0), default=default, show_default=default is not None,
                        callback=lambda _ctx, _param, value: None if value == 0 else value,
                        help=f"{help} 0 = all.")


def absorbed_option(modes: Sequence[str]) -> Callable[[F], F]:
    """``--absorbed MODE``: how a finding keeps the findings it absorbs (``modes``: the library's, first the
    default; :data:`trtinspect.inspector.lint.ABSORBED_MODES`)."""
    return click.option("--absorbed", type=click.Choice(list(modes)), default=modes[0], show_default=True,
                        help="How a root-cause finding keeps the findings it absorbs (evidence.absorbed in json, "
                        "sarif, markdown): reference = each one's rule, layers, title and cost (the finding's own "
                        "evidence states the cause per layer); full = also each one's cause and evidence.")


def name_option() -> Callable[[F], F]:
    return click.option("--name", default=None, help="Name shown for the engine (default: from the file names).")


def runs_label(paths: Sequence[str]) -> str:
    """How to call one side given as one or more paths (one per run): the path of one run; for several, the
    folder they share (``runs/base/`` for ``runs/base/*/``), else the first and the last path."""
    if len(paths) == 1:
        return paths[0]
    parents = [os.path.dirname(p.rstrip("/\\")) for p in paths]
    try:
        common = os.path.commonpath(parents) if all(parents) else ""
    except ValueError:  # absolute and relative paths mixed
        common = ""
    if common and common != os.path.dirname(common):  # not the file system root
        return common.rstrip("/\\") + "/"
    return f"{paths[0]}, {paths[1]}" if len(paths) == 2 else f"{paths[0]}, ..., {paths[-1]}"


def side_labels(name_a: str, name_b: str, shown_a: str, shown_b: str,
                paths: tuple[Sequence[str], Sequence[str]] | None = None) -> tuple[str, str]:
    """Names to show for two sides: the engines' own names, or, when those are equal (two folders both holding
    resnet.onnx.engine.*), what the user gave (:func:`runs_label` of the paths or sample:NAMEs); when those
    coincide too (both sides' runs in one folder, ``runs/``), each side's runs by name (:func:`runs_in`)."""
    if name_a != name_b:
        return name_a, name_b
    if shown_a == shown_b and paths is not None and list(paths[0]) != list(paths[1]):
        return runs_in(paths[0]), runs_in(paths[1])
    return shown_a, shown_b


def runs_in(paths: Sequence[str]) -> str:
    """One side's runs named inside the folder they share: ``runs/{r0, r1, r2}`` (``runs/{r0, ..., r9}`` for
    more than four), else the paths themselves (:func:`runs_label`'s fallback)."""
    names = [os.path.basename(p.rstrip("/\\")) for p in paths]
    parents = {os.path.dirname(p.rstrip("/\\")) for p in paths}
    if len(parents) != 1 or not all(names):
        return ", ".join(paths) if len(paths) <= 2 else f"{paths[0]}, ..., {paths[-1]}"
    folder = next(iter(parents))
    shown = ", ".join(names) if len(names) <= 4 else f"{names[0]}, ..., {names[-1]}"
    return f"{folder}/{{{shown}}}" if folder else shown


def write_output(target: str | Path | None, text: str | bytes | Utf8Pieces, what: str = "report") -> None:
    """Write ``text`` (or the same text as UTF-8 bytes, or bytes in pieces: :func:`trtinspect.render.render_output`)
    to standard
    output (``None`` or ``-``, :func:`echo_output`) or to a file; a file that is ``$GITHUB_STEP_SUMMARY`` is
    appended to, as GitHub Actions expects."""
    if target is None or str(target) == "-":
        echo_output(text)
        return
    refuse_overwriting_inputs(target)
    path = Path(target)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    append = bool(summary) and path == Path(str(summary))
    try:
        if isinstance(text, bytes):
            with path.open("ab" if append else "wb") as bfh:
                bfh.write(text)
        elif isinstance(text, Utf8Pieces):
            with path.open("ab" if append else "wb") as bfh:
                text.write_to(bfh)
        else:
            with path.open("a" if append else "w", encoding="utf-8") as fh:
                fh.write(text)
    except OSError as exc:
        raise TrtInspectError(f"cannot write the {what}: {exc.strerror}", path=path,
                              hint=_write_hint(exc, path)) from None


def _write_hint(exc: OSError, path: Path) -> str:
    """What to do when ``path`` cannot be written: about the file when it exists and is not writable, about
    the folder when that is missing or not writable, about space when the disk is full."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free space where the file goes, or write it elsewhere"
    if exc.errno == errno.EISDIR or path.is_dir():
        return "give a file name, not a folder"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"create the folder {printable(str(folder))} first, or write the file elsewhere"
    if path.exists() and (not path.stat().st_mode & 0o222 or not os.access(path, os.W_OK)):
        return "the file exists and is read-only: make it writable, remove it, or write elsewhere"
    if not os.access(folder, os.W_OK):
        return f"the folder {printable(str(folder))} is not writable: write the file elsewhere"
    return "check that the folder exists and is writable"


def echo_output(text: str | bytes | Utf8Pieces) -> None:
    """A command's output on standard output, ending in one newline (``click.echo``'s text).

    UTF-8 bytes (a JSON document of tens of MB as orjson wrote it, whole or in pieces) go to the binary stream
    beneath when standard output writes UTF-8: the same bytes, without decoding them here and, in click,
    stripping colour codes from and encoding 72 MB again (a JSON document holds no raw control characters, so
    there is nothing to strip).
    """
    try:
        if not isinstance(text, str):
            binary = _utf8_binary(sys.stdout)
            if binary is None:
                text = text.decode()
            else:
                sys.stdout.flush()
                if isinstance(text, bytes):
                    binary.write(text)
                else:
                    text.write_to(binary)
                if not text.endswith(b"\n"):
                    binary.write(b"\n")
                binary.flush()
                return
        click.echo(text, nl=not text.endswith("\n"))
    except BrokenPipeError:
        discard_stdout()
    except OSError as exc:       # a full disk, /dev/full: one line, exit 2 (not an internal error)
        raise stdout_error(exc) from None


def _utf8_binary(stream: Any) -> Any:
    """The binary buffer beneath a text stream that encodes UTF-8, else None."""
    encoding = getattr(stream, "encoding", None)
    binary = getattr(stream, "buffer", None)
    if binary is None or not isinstance(encoding, str):
        return None
    try:
        return binary if codecs.lookup(encoding).name == "utf-8" else None
    except LookupError:
        return None


def text_width() -> int:
    """Width of text output (report, diff, check, lint): COLUMNS when set to a positive number, else the
    terminal's width, else :data:`~trtinspect.textfmt.FILE_WIDTH` (120) for a file or pipe."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size((FILE_WIDTH, 40)).columns
    return FILE_WIDTH


# --------------------------------------------------------------------------------------- check's option groups
def option_group(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several option decorators applied as one, in the order listed (as they would be stacked)."""

    def apply(f: F) -> F:
        for decorate in reversed(decorators):
            f = decorate(f)
        return f

    return apply


class VariadicCommand(click.Command):
    """A command whose ``multiple`` options with a ``...`` metavar (``--baseline PATH...``) take every value up
    to the next option, as a shell glob expands them (``--baseline runs/base/*/``): rewritten to repeated
    options before click parses them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        variadic = {opt for p in self.params if isinstance(p, click.Option) and p.multiple
                    and str(p.metavar or "").endswith("...") for opt in p.opts}
        out: list[str] = []
        current: str | None = None
        for arg in args:
            if arg in variadic:
                current = arg
                continue
            if current is not None and arg.startswith("-") and arg != "-":
                current = None
            out += [current, arg] if current is not None else [arg]
        return super().parse_args(ctx, out)


# check's gate settings: passed to inspector.check_config.resolve as one dict (None: from the config or default)
GATE_SETTINGS = ("threshold", "group_threshold", "floor_ms", "floor_share", "min_share", "alpha", "strict_groups",
                 "allow_different")


def gate_options(fields: Sequence[str]) -> Callable[[F], F]:
    """``check``'s thresholds, ``--config`` and ``--allow-different FIELD...`` (``fields``: what may differ)."""
    return option_group(
        click.option("--threshold", default=None, help="End-to-end relative threshold [5%]."),
        click.option("--group-threshold", default=None, help="Per fusion group relative threshold [10%]."),
        click.option("--floor-ms", default=None, help="Per group absolute floor: upper bound in ms [0.01]."),
        click.option("--floor-share", default=None,
                     help="Per group absolute floor as a share of the engine's per-layer time [0.5%]; the floor is "
                     "the smaller of the two, raised to 3x the measured run-to-run spread with >= 3 runs a side."),
        click.option("--min-share", default=None,
                     help="Smallest share of total time a group needs to be flagged [1%]."),
        click.option("--alpha", default=None,
                     help="Significance level (p end-to-end, BH q per group) [0.05]."),
        click.option("--strict-groups/--no-strict-groups", default=None,
                     help="Fail on slower groups even when end-to-end GPU compute improved beyond --threshold "
                     "(significantly, when >= 3 runs a side allow a test; on size alone with fewer). Default: "
                     "the config's strict_groups, else report them as 'traded'; either flag overrides the config."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
                     help="TOML config (default: trtinspect.toml or pyproject.toml [tool.trtinspect.check])."),
        click.option("--allow-different", multiple=True, metavar="FIELD...",
                     help=f"Compare although this field differs: {', '.join(fields)}."),
    )


# Formats a result is written to a file in (``--FORMAT FILE``): every format its renderer declares but text
# (standard output) and annotations (printed under GitHub Actions). (metavar, help) where not the default.
NOT_FILE_FORMATS = ("text", "annotations")
FILE_FORMAT_HELP: dict[str, tuple[str, str]] = {
    "json": ("FILE|-", "Write the full result as JSON."),
    "markdown": ("FILE|-", 'Write Markdown (e.g. "$GITHUB_STEP_SUMMARY").'),
    "junit": ("FILE|-", "Write JUnit XML (a test case per fusion group)."),
    "bencher": ("FILE|-", "Write Bencher Metric Format JSON."),
    "benchmark-json": ("FILE|-", "Write github-action-benchmark customSmallerIsBetter JSON."),
}


def file_format_dest(fmt: str) -> str:
    """The parameter name of ``--FORMAT FILE`` (``benchmark-json`` -> ``to_benchmark_json``)."""
    return "to_" + fmt.replace("-", "_")


def file_format_options(kind: str) -> Callable[[F], F]:
    """One ``--FORMAT FILE`` option per file format :mod:`trtinspect.render` declares for ``kind``; read them
    back with :func:`file_format_targets`."""
    fmts = [f for f in render.formats(kind) if f not in NOT_FILE_FORMATS]
    return option_group(*(
        click.option(f"--{fmt}", file_format_dest(fmt), default=None,
                     metavar=FILE_FORMAT_HELP.get(fmt, ("FILE", ""))[0],
                     help=FILE_FORMAT_HELP.get(fmt, ("", f"Write {fmt}."))[1])
        for fmt in fmts))


def file_format_targets(kind: str, values: dict[str, Any]) -> dict[str, str | None]:
    """format -> FILE (or None) from a command's keyword arguments (the options of :func:`file_format_options`).

    At most one format may go to standard output (``-``): two documents on one stream parse as neither."""
    targets = {fmt: values.get(file_format_dest(fmt)) for fmt in render.formats(kind) if fmt not in NOT_FILE_FORMATS}
    to_stdout = [f"--{fmt} -" for fmt, target in targets.items() if target == "-"]
    if len(to_stdout) > 1:
        raise TrtInspectError(
            f"{' and '.join(to_stdout)} would both write to standard output",
            hint="send at most one format to '-' and give the others a file name",
        )
    return targets


# ------------------------------------------------------------------------------ repeated and conflicting options
class ExclusiveOption(click.Option):
    """An option that makes others meaningless (``lint --list-rules`` runs no lint: PATHS and ``--fail-on`` would
    be ignored): ``excludes`` names those parameters, ``why`` says why; :func:`refuse_repeated_options` refuses
    the combination."""

    def __init__(self, *args: Any, excludes: Sequence[str] = (), why: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.excludes = tuple(excludes)
        self.why = why


def _takes_value(param: click.Option) -> bool | None:
    """True: the option takes a value; False: a flag; None: a value that may be left out (``--record [URL]``)."""
    if param.is_flag or param.count:
        return False
    return None if getattr(param, "_flag_needs_value", False) else True


def _given(command: click.Command, args: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
    """(parameter name -> each time it was given, as written; the positional arguments) of a command's raw
    arguments, read as click reads them: what follows ``--`` is positional (``lint --list-rules -- PATH`` gives a
    PATH), never an option."""
    table = {opt: p for p in command.params if isinstance(p, click.Option)
             for opt in (*p.opts, *p.secondary_opts)}
    seen: dict[str, list[str]] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token == "--":
            positional += args[i:]
            break
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        name, eq, value = token.partition("=") if token.startswith("--") else (token[:2], "", token[2:])
        param = table.get(name)
        if param is None or param.name is None:
            continue
        takes = _takes_value(param)
        if takes is not False and not eq and not value and i < len(args) \
                and (takes or not args[i].startswith("-")):
            value = args[i]
            i += 1
        shown = f"{name} {value}" if value and not eq else token
        seen.setdefault(param.name, []).append(shown)
    return seen, positional


def refuse_repeated_options(ctx: click.Context, args: Sequence[str]) -> None:
    """Before a command runs (the group calls this with its raw arguments): an option that takes one value, or
    a flag, given more than once (``--json a --json b``, ``--format html --format json``, ``--cuda-graph
    --no-cuda-graph``) was silently decided by the last one; an :class:`ExclusiveOption` given with what it
    excludes (``lint --list-rules PATH --fail-on warning``) silently ignored them. Both are usage errors
    (one line, exit 2) naming the conflict. Repeatable options (``multiple``, counts) are not checked."""
    command = ctx.command
    if any(a in ("--help", "-h") for a in args[: args.index("--") if "--" in args else len(args)]):
        return
    seen, positional = _given(command, args)
    params = {p.name: p for p in command.params if p.name is not None}
    for name, given in seen.items():
        param = params[name]
        if len(given) > 1 and isinstance(param, click.Option) and not param.multiple and not param.count:
            raise click.UsageError(f"{param.opts[0]} is given {len(given)} times ({', '.join(given)}); only the "
                                   "last would be used: give it once", ctx=ctx)
    for name in seen:
        param = params[name]
        if not isinstance(param, ExclusiveOption):
            continue
        clash = [("/".join(params[x].opts) if isinstance(params[x], click.Option) else params[x].human_readable_name)
                 for x in param.excludes if x in seen or (x in params and isinstance(params[x], click.Argument)
                                                          and positional)]
        if clash:
            raise click.UsageError(f"{param.opts[0]} cannot be combined with {' or '.join(clash)}: {param.why}",
                                   ctx=ctx)


def refuse_passthrough(extra: Sequence[str], own: Mapping[str, str], *, who: str, hint: str) -> None:
    """Arguments a command passes on unchanged (``capture ... -- TRTEXEC_ARGS``) that set what the command sets
    itself (``own``: flag -> what it does there) would contradict it (a second ``--exportTimes``: the bundle's
    file missing; ``--profilingVerbosity=layer_names_only``: no detailed layers): refused, listing them."""
    clash = sorted({name for a in extra if (name := a.split("=", 1)[0]) in own})
    if clash:
        listed = "; ".join(f"{c} ({own[c]})" for c in clash)
        raise TrtInspectError(f"the arguments after -- set what {who} sets itself: {listed}", hint=hint)

"""Render docs/cli.md from the click commands themselves (help text and options are declared once, in code).

Usage: python scripts/render_cli_docs.py [--check]
With --check, exit 1 when docs/cli.md is out of date (the test suite runs this check).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from _docgen import write_or_check

from trtinspect.cli import COMMANDS, cli

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "cli.md"

INTRO = """# Command line reference

Generated from the commands' own help by `python scripts/render_cli_docs.py`; a test fails when this page and
the code disagree. Every command's `--help` works without TensorRT, a GPU or any optional package.

Exit codes: **0** success, **1** the command's own failure verdict (`lint --fail-on`, `check` regression),
**2** bad input or a tool error, for every command (one line on stderr: file, what is wrong, what to do; never
a traceback, except an internal bug under `--debug`; a failed write to standard output, `> /dev/full`, is one
too: `cannot write to standard output: No space left on device`), **3** not comparable: `check` (baseline and
candidate differ in an environment field, a run setting or the network) and `diff` (A and B look like different
networks, unless `--force`), **130** interrupted (Ctrl-C) for every command but `serve`, which stops on Ctrl-C
(SIGINT) or SIGTERM with exit **0** (a stopped server is its normal end, [app.md](app.md)). A usage error (a
missing argument, an unknown option or choice) is one line too, exit 2: `trtinspect diff: error: Missing
argument 'B' (see trtinspect diff --help)`. So is an option that takes one value, or a flag, given twice
(`check --json a --json b`, `diff --format html --format json`, `capture --cuda-graph --no-cuda-graph`: only the
last was used), and an option with one it makes meaningless (`lint --list-rules` with PATHS, `--fail-on`, `--top`,
`--name` or `--absorbed`, PATHS after `--` included: `lint --list-rules -- PATH` listed the rules, exit 0;
`history --check` with `--engine`, `--layer` or `--limit`, which it ignored and said `sound`); repeatable options
(`--baseline`, `--allow-different`, `--plugins`) are not
affected. A closed standard output (`trtinspect lint ... --format sarif |
head -1`) never changes the exit status, whatever the format: the rest of the output is dropped and the command
ends with its own code (so `set -o pipefail` reads the verdict, not the pipe).

Outputs never replace what a command reads: an output file (`check --json/--markdown/...`, `diff -o`) that is
an input file, a config file the command read (the `--config` file; without it, each of `trtinspect.toml` and
`pyproject.toml` in the working directory that `check` opened looking for its table, whether or not it held
one: `check ... --json pyproject.toml` beside a `pyproject.toml` of `[tool.black]` only is refused) or the
`--record` history store, or two outputs given one file, are refused (exit 2) before any work, as is an output
whose folder does not exist. `check` also refuses any output (and `--record`) named `trtinspect.toml` or
`pyproject.toml` in the working directory, the config files it looks for, whether or not they exist and whether or
not this run opened them (`check --config ci.toml --json trtinspect.toml` replaced the project's
`trtinspect.toml` with JSON and the next plain `check` failed on it; with a `trtinspect.toml` present,
`--json pyproject.toml` replaced a `[tool.black]` `pyproject.toml`). `capture --out` must be a new or empty
folder; `profile --out` replaces bundle files only with `--overwrite`.

PATH arguments accept a bundle directory, an engine file with sidecar files beside it, trtexec JSON exports or
logs, an Nsight Systems SQLite export, or a bundled sample as `sample:NAME` (`trtinspect samples` lists them).

Environment variables: `TRTINSPECT_HISTORY_DB` (default history store for `check --record`, `history`),
`TRTINSPECT_MAX_FILE_BYTES` (largest input file any command reads, in bytes, default 2 GiB; larger files are
refused with exit 2, the message giving both sizes in bytes; a value that is not a positive whole number, such as
`-1` or `abc`, is refused with exit 2),
`TRTINSPECT_NVTX=0` (turn off NVTX ranges in `profile`), `GITHUB_ACTIONS=true` (set by GitHub Actions: `check`
prints `::error`/`::warning` annotations), `TRTINSPECT_SCREENSHOTS` (tests only: where the browser tests save
screenshots).
"""


def _help(name: str, cmd: click.Command) -> str:
    ctx = click.Context(cmd, info_name=f"trtinspect {name}", terminal_width=110, max_content_width=110)
    return cmd.get_help(ctx)


def render() -> str:
    parts = [INTRO]
    top = click.Context(cli, info_name="trtinspect", terminal_width=110, max_content_width=110)
    parts.append("## `trtinspect`\n\n```text\n" + cli.get_help(top) + "\n```\n")
    for name in sorted(COMMANDS):
        cmd = cli.get_command(top, name)
        assert cmd is not None, name
        parts.append(f"## `trtinspect {name}`\n\n{COMMANDS[name][1]}\n\n```text\n{_help(name, cmd)}\n```\n")
    return "\n".join(parts)


def main() -> int:
    return write_or_check(OUT, render(), "render_cli_docs.py")


if __name__ == "__main__":
    sys.exit(main())

"""`trtinspect lint PATH...`: what costs latency in one engine, with evidence and cost (thin layer over
:func:`trtinspect.inspector.lint.lint`)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from trtinspect import render
from trtinspect.cli import echo, keep_until_exit
from trtinspect.cli.options import (
    ExclusiveOption,
    absorbed_option,
    echo_output,
    format_option,
    load,
    name_option,
    paths_argument,
    text_width,
    top_option,
)
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.lint import ABSORBED_MODES, LintResult, lint, select_rules, severity_at_least
from trtinspect.inspector.rules import Rule, severity_range


def _list_rules(rules_spec: str | None, fmt: str) -> None:
    """One line per rule: id, every severity its findings can have (default first when it is not the
    lowest), title; then how the severity is decided, for rules with more than one. ``--format json``: the
    same rules as a JSON list of objects; other formats are refused (no silent text in their place)."""
    if fmt == "json":
        echo(json.dumps([_rule_doc(rule) for rule in select_rules(rules_spec)], indent=1, ensure_ascii=False))
        return
    if fmt != "text":
        raise TrtInspectError(f"--list-rules prints text or json, not {fmt}",
                              hint="use --list-rules with --format text (the default) or --format json")
    for rule in select_rules(rules_spec):
        levels = severity_range(rule)
        echo(f"{rule.id:24} {'|'.join(levels):21} {rule.title}")
        if len(levels) > 1:
            echo(f"{'':24}   severity: {rule.severity} by default; {rule.severity_rule}")


def _rule_doc(rule: Rule) -> dict[str, Any]:
    """What ``lint --list-rules --format json`` says of one rule."""
    return {"id": rule.id, "title": rule.title, "severity": rule.severity, "severities": severity_range(rule),
            "severity_rule": rule.severity_rule, "checks": rule.checks, "evidence": list(rule.evidence),
            "mitigation": rule.mitigation, "cost_kind": rule.cost_kind, "cost_method": rule.cost_method,
            "reference": rule.reference, "needs_profile": rule.needs_profile}


@click.command("lint")
@paths_argument(required=False)  # required unless --list-rules: checked below
@format_option("lint", "Output format (sarif: SARIF 2.1.0 for code-scanning tools).")
@click.option(
    "--fail-on",
    type=click.Choice(["warning", "error"]),
    default=None,
    help=(
        "Exit 1 when a finding at or above this severity exists (error: a proven problem whose fix is "
        "estimated to save >= 10% of the per-layer time; docs/lint.md)."
    ),
)
@click.option(
    "--rules",
    "rules_spec",
    default=None,
    metavar="IDS",
    help="Rules to run (id,id) or to skip (-id,-id). `--list-rules` shows the ids.",
)
@top_option("Show only the first N findings (text/markdown; default all). --fail-on still sees all.", default=None)
@name_option()
@absorbed_option(ABSORBED_MODES)
@click.option(
    "--list-rules",
    is_flag=True,
    cls=ExclusiveOption,
    excludes=("paths", "fail_on", "top", "name", "absorbed"),
    why="it lists the rules and lints nothing (it takes --rules and --format only)",
    help="List the rules (those chosen by --rules), the severities each can give and how, and exit; takes no PATH "
    "(nor --fail-on, --top, --name, --absorbed).",
)
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[str, ...],
    fmt: str,
    fail_on: str | None,
    rules_spec: str | None,
    top: int | None,
    name: str | None,
    absorbed: str,
    list_rules: bool,
) -> None:
    """Find what costs latency in ONE engine: unfused layers, reformats, INT8 fallbacks, kernels off Tensor
    Cores..., one finding per root cause, sorted by severity, then estimated savings before layer times
    (upper bounds), each by cost in ms, with its basis, evidence, likely cause and what to try.

    PATHS is a bundle directory, an engine file with sidecars beside it, explicit exported files or trtexec
    logs of one engine, or sample:NAME (see `trtinspect samples`). Exit code: 0, or 1 with --fail-on when a
    finding at or above that severity exists; 2 on bad input.
    """
    if list_rules:
        _list_rules(rules_spec, fmt)
        return
    if not paths:
        raise click.UsageError("Missing argument 'PATHS...' (only --list-rules runs without one).", ctx=ctx)
    rules = select_rules(rules_spec)  # validate ids before loading anything
    bundle = load(*paths, name=name)
    findings = lint(bundle, [r.id for r in rules], absorbed=absorbed)
    failing = fail_on is not None and any(severity_at_least(s, fail_on) for s in findings["severity"].tolist())
    # no layers: "0 findings" (or a pass at --fail-on) would claim what was never checked; a log's own findings
    # (unstable timing) are still shown when there are some and no gate is asked to pass
    if bundle.layers.empty and (findings.empty or (fail_on is not None and not failing)):
        raise TrtInspectError(
            "no layer information to lint (a times file, a performance summary or a cut log has none)",
            path=", ".join(paths),
            hint="give the engine's layer JSON (trtexec --exportLayerInfo --profilingVerbosity=detailed) and its "
                 "profile (--exportProfile), or a trtexec log run with --dumpLayerInfo --dumpProfile",
        )
    wrap = {"width": text_width()} if fmt == "text" else {}      # prose wraps in text output only
    text = render.render_output("lint", LintResult(findings, bundle), fmt, top=top, **wrap)
    keep_until_exit(findings, text)
    echo_output(text)
    if failing:
        sys.stdout.flush()
        # SystemExit, not ctx.exit: the code must survive click's standalone_mode=False in cli.main.
        sys.exit(1)

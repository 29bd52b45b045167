"""The members a final root cause absorbs, built directly by the rules it supersedes (rules_facts.Sink, issue 11
speed half), are exactly what the engine's absorb step (lint._absorb) makes of those rules' findings: the same
lint JSON (every finding, its evidence and its absorbed members in the same order) on every real bundle and log
the project ships, in the default rule order and in orders where the root cause does
not run first (then the rules make findings and the engine absorbs them, as before).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import trtinspect
from trtinspect.inspector import rules_facts
from trtinspect.inspector.lint import ABSORBED_MODES, lint
from trtinspect.render.lint import to_json

ROOT = Path(__file__).resolve().parents[1]
INPUTS = [
    *sorted(str(p) for p in (ROOT / "sample_engines/resnet18-a100").iterdir() if p.is_dir()),
    *sorted(str(p) for p in (ROOT / "tests/data/external/trex-rtx3090-resnet50").iterdir() if p.is_dir()),
    *sorted(str(p) for p in (ROOT / "tests/data/external/trex-titanrtx-mobilenet").iterdir() if p.is_dir()),
    *sorted(str(p) for p in (ROOT / "sample_engines/trtexec-logs").rglob("*.log")),
]

ORDERS: list[list[str] | None] = [
    None,
    ["residual-not-quantized", "int8-float-output", "qdq-standalone"],
    ["int8-float-output", "residual-not-quantized", "qdq-standalone", "reformat-copy", "int8-fallback"],
    ["input-path", "residual-not-quantized", "reformat-copy", "qdq-standalone", "int8-fallback"],
    ["-unfused-conv-epilogue", "-input-path"],
]


def _json(path: str, rules: list[str] | None, absorbed: str) -> str | None:
    try:
        bundle = trtinspect.load(path)
        return to_json(lint(bundle, rules, absorbed=absorbed), bundle)
    except trtinspect.TrtInspectError:
        return None


@pytest.mark.parametrize("absorbed", ABSORBED_MODES)  # kept as references (rules build no cause/evidence), whole
@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_sunk_members_are_the_absorbed_findings(path: str, absorbed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    got = [_json(path, rules, absorbed) for rules in ORDERS]
    monkeypatch.setattr(rules_facts, "SINK_ROOTS", frozenset())  # every finding made, then absorbed
    want = [_json(path, rules, absorbed) for rules in ORDERS]
    assert got == want


@pytest.mark.parametrize("absorbed", ABSORBED_MODES)
def test_the_default_order_sinks_on_a_residual_engine(absorbed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The path is taken where it matters (a Q/DQ engine with an unquantized residual branch): whole members
    through Sink.take, references through the function Sink.referencer gives."""
    bundle = trtinspect.load(ROOT / "sample_engines/resnet18-a100/qat")
    taken: list[Any] = []
    take, referencer = rules_facts.Sink.take, rules_facts.Sink.referencer

    def counting_take(self: rules_facts.Sink, *args: Any, **kwargs: Any) -> None:
        if args[0].full_members:  # a reference goes on through referencer, which counts it
            taken.append(args[1])
        take(self, *args, **kwargs)

    def counting_referencer(self: rules_facts.Sink, ctx: Any, rule_id: str) -> Any:
        add = referencer(self, ctx, rule_id)

        def counted(*args: Any, **kwargs: Any) -> None:
            taken.append(rule_id)
            add(*args, **kwargs)

        return counted

    monkeypatch.setattr(rules_facts.Sink, "take", counting_take)
    monkeypatch.setattr(rules_facts.Sink, "referencer", counting_referencer)
    findings = lint(bundle, absorbed=absorbed)
    assert {"int8-float-output", "qdq-standalone"} <= set(taken)
    root = findings[findings["rule_id"] == "residual-not-quantized"]["evidence"].iloc[0]
    assert len(root["absorbed"]) == len(taken)

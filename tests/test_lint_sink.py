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
from trtinspect.inspector import rules_facts, rules_fallback_sink
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
    ["reformat-copy", "qdq-standalone", "int8-fallback", "int8-float-output"],  # no residual root: in rule order
    ["input-path", "qdq-standalone", "int8-fallback", "int8-float-output", "no-tensor-cores"],
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
    monkeypatch.setattr(rules_facts, "SINK_ROOTS", frozenset())  # the residual root takes its findings itself
    alone = [_json(path, rules, absorbed) for rules in ORDERS]  # the int8-fallback roots' Sinks only
    monkeypatch.setattr(rules_fallback_sink, "ENABLED", False)  # every finding made, then absorbed
    want = [_json(path, rules, absorbed) for rules in ORDERS]
    assert got == want
    assert alone == want


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

    buckets: dict[str, list[Any]] = {}  # a rule adding its references itself (Sink.bucket): each rule's list
    bucket = rules_facts.Sink.bucket

    def counting_bucket(self: rules_facts.Sink, rule_id: str) -> Any:
        got = bucket(self, rule_id)
        if self.root.rule_id == "residual-not-quantized":
            buckets[rule_id] = got[0]
        return got

    monkeypatch.setattr(rules_facts.Sink, "take", counting_take)
    monkeypatch.setattr(rules_facts.Sink, "referencer", counting_referencer)
    monkeypatch.setattr(rules_facts.Sink, "bucket", counting_bucket)
    findings = lint(bundle, absorbed=absorbed)
    assert {"int8-float-output", "qdq-standalone"} <= {*taken, *buckets}
    root = findings[findings["rule_id"] == "residual-not-quantized"]["evidence"].iloc[0]
    # a rule's bucket also holds what its referencer added (counted in taken)
    # (the hot layer on conv1 joins it afterwards: lint._absorb_hot_layers, not a Sink)
    made = [m for m in root["absorbed"] if m["rule_id"] != "hot-layer"]
    assert len(made) == len([x for x in taken if x not in buckets]) + sum(map(len, buckets.values()))

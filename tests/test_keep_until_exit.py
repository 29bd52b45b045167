"""Big objects are kept until a console process exits (trtinspect.gcpause.keep_until_exit): the bundle, the
output, and lint's context of per-row views, which would otherwise be freed one by one as lint returns. Only the
console process turns it on; in the library nothing is kept."""

from __future__ import annotations

import pytest

import trtinspect
from trtinspect import gcpause
from trtinspect.inspector.lint import lint
from trtinspect.inspector.rules_base import LintContext


def test_lint_keeps_its_context_only_when_turned_on(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = trtinspect.load("sample:resnet18-a100/qat-residual")
    monkeypatch.setattr(gcpause, "_kept", None)
    lint(bundle, detail=False)
    assert gcpause._kept is None  # the library: nothing kept
    monkeypatch.setattr(gcpause, "_kept", None)
    gcpause.keep_objects_until_exit()
    assert gcpause._kept == []
    findings = lint(bundle)
    assert [type(x) for x in gcpause._kept] == [LintContext]
    gcpause.keep_until_exit(findings)
    assert gcpause._kept[-1] is findings


def test_cli_reexports_the_one_keeper() -> None:
    from trtinspect import cli

    assert cli.keep_until_exit is gcpause.keep_until_exit

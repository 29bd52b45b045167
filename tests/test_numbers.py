"""One check of the numbers a bundle holds (parsers.numbers), used by the dashboard's admission and by check."""

from __future__ import annotations

import math

import pytest
from conftest import resnet_file

from trtinspect.app.state import bad_number
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check_inputs import _refuse_broken_evidence
from trtinspect.parsers import numbers
from trtinspect.parsers.bundle import load
from trtinspect.parsers.model import EngineBundle


def _qat() -> EngineBundle:
    return load(resnet_file("qat", "graph.json").parent)


def test_dashboard_and_check_refuse_the_same_value_naming_the_same_file() -> None:
    b = _qat()
    b.profile = b.profile.copy()
    b.profile.loc[5, "avg_ms"] = -1.0
    b.profile.loc[7, "avg_ms"] = math.inf
    found = numbers.bad_columns(b, numbers.EVIDENCE)
    assert [(f.frame, f.rule.column, f.first_row, f.negative, f.infinite) for f in found] == [
        ("profile", "avg_ms", 5, 1, 1)]
    app_error = bad_number(b)
    assert app_error is not None and str(app_error).startswith("resnet-qat.onnx.engine.profile.json: averageMs")
    assert "(2 such values)" in str(app_error)
    with pytest.raises(TrtInspectError) as exc:
        _refuse_broken_evidence(b, "candidate")
    assert "1 infinite, 1 negative value(s) in the per-layer average time (avg_ms)" in str(exc.value)
    assert "resnet-qat.onnx.engine.profile.json" in str(exc.value)


def test_rules_differ_only_where_said() -> None:
    """A NaN compute time: a drawable engine may have one (not measured), check's evidence may not."""
    b = _qat()
    b.times = b.times.copy()
    b.times.loc[3, "compute_ms"] = math.nan
    assert numbers.first_bad(b, numbers.DRAWABLE) is None
    (bad,) = numbers.bad_columns(b, numbers.EVIDENCE)
    assert bad.counts_text() == "1 NaN or non-numeric value(s)" and bad.first_row == 3


def test_a_bad_summary_value_names_the_file_it_came_from() -> None:
    """The summary frame comes from TREx profile metadata (or a log): the message names that file (it looked
    up a kind called 'summary' and named none)."""
    b = _qat()
    b.summary = b.summary.copy()
    b.summary.loc[0, "value"] = math.inf
    error = bad_number(b)
    assert error is not None and str(error).startswith("resnet-qat.onnx.engine.profile.metadata.json: value of ")

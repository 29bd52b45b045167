"""How a finding keeps the findings it absorbs (``lint(..., absorbed=)``, ``trtinspect lint --absorbed``).

* By default each absorbed finding is a REFERENCE: exactly its full member (``--absorbed full``) without cause and
  evidence, the rest of the lint result unchanged (same rows, columns, costs), on the real bundles and a
  GENERATED engine (benchmarks/generated_engine.py, the BIG engine's recipe at a small size).
* What the references drop that explains the cause is in the absorbing ``residual-not-quantized`` finding's own
  rows, member by member: every absorbed Quantize layer, convolution writing float, reformat and fallback is
  listed there, and every float residual reader an absorbed ``int8-float-output`` names is that convolution's.
* The outputs say how the absorbed findings are kept and how to get them whole.
"""

from __future__ import annotations

import json
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import trtinspect
from trtinspect.cli import cli
from trtinspect.inspector.lint import ABSORBED_MODES, REFERENCE_FIELDS, lint
from trtinspect.parsers.model import EngineBundle
from trtinspect.render.lint import to_markdown, to_sarif, to_text

ROOT = Path(__file__).resolve().parents[1]
REAL = [
    "sample_engines/resnet18-a100/qat",
    "sample_engines/resnet18-a100/qat-residual",
    "sample_engines/resnet18-a100/fp16",
    "tests/data/external/trex-rtx3090-resnet50/qat",
    "tests/data/external/trex-titanrtx-mobilenet/qat",
    "tests/data/external/trex-titanrtx-mobilenet/qat-residuals",
]


@cache
def _generated(variant: str = "qat") -> str:
    """A GENERATED 1,200-layer engine (benchmarks/generated_engine.py: BIG's recipe), in a temporary folder."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generated_engine import generate

    return str(generate(Path(tempfile.mkdtemp(prefix="trtinspect-gen-")), 1200, variant, indent=None).folder)


def _both(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(references, full members) of one engine, each linted from a fresh load."""
    return lint(trtinspect.load(path)), lint(trtinspect.load(path), absorbed="full")


def _strip(evidence: Any) -> Any:
    """A full result's evidence as the reference result holds it: absorbed members without cause/evidence."""
    if not isinstance(evidence, dict):
        return evidence
    out = dict(evidence)
    if "absorbed" in out:
        out["absorbed"] = [{k: m[k] for k in REFERENCE_FIELDS} for m in out["absorbed"]]
    if "members" in out:  # a grouped finding's members stay whole; their own absorbed findings are references
        out["members"] = [{**m, "evidence": _strip(m["evidence"])} for m in out["members"]]
    return out


@pytest.mark.parametrize("path", [*REAL, "generated-qat", "generated-qat-residual"])
def test_references_are_the_full_members_without_cause_and_evidence(path: str) -> None:
    if path.startswith("generated-"):
        path = _generated(path.removeprefix("generated-"))
    else:
        path = str(ROOT / path)
    ref, full = _both(path)
    assert ref.attrs == {**full.attrs, "absorbed": "reference"} and full.attrs["absorbed"] == "full"
    assert len(ref) == len(full)
    for col in ref.columns:
        if col != "evidence":
            assert json.dumps(ref[col].tolist(), default=str) == json.dumps(full[col].tolist(), default=str), col
    assert ref["evidence"].tolist() == [_strip(ev) for ev in full["evidence"].tolist()]
    kept = [m for ev in ref["evidence"].tolist() for m in (ev or {}).get("absorbed", [])]
    assert all(list(m) == list(REFERENCE_FIELDS) for m in kept)


def _residual(findings: pd.DataFrame) -> dict[str, Any]:
    rows = findings[findings["rule_id"] == "residual-not-quantized"]
    assert len(rows) == 1
    evidence: dict[str, Any] = rows.iloc[0]["evidence"]
    return evidence


@pytest.mark.parametrize("path", ["sample_engines/resnet18-a100/qat", "tests/data/external/trex-titanrtx-mobilenet/qat",
                                  "generated-qat"])
def test_the_root_rows_state_what_references_drop(path: str) -> None:
    """Member by member, on engines with an unquantized residual branch (BIG's cause)."""
    ref, full = _both(_generated() if path == "generated-qat" else str(ROOT / path))
    ev, members = _residual(ref), _residual(full)["absorbed"]
    convs = {c["convolution"]: c for c in ev["convolutions"]}
    fallbacks = {f["layer"]: f for f in ev.get("fallbacks", [])}
    quantize = set(ev["quantize_layers"]) | {q for f in fallbacks.values() for q in f["qdq_layers"]}
    conversions = {x for f in fallbacks.values() for x in f["conversions"]}
    writers = {w for f in fallbacks.values() for w in f["int8_producers_writing_float"]}
    seen = set()
    for m in members:
        rule, layer, mev = m["rule_id"], m["layers"][0], m["evidence"]
        seen.add(rule)
        if rule == "qdq-standalone":  # which Quantize, and why: the tensor is also read unquantized
            assert layer in quantize
            for reader in mev.get("float_readers", []):  # the convolution's residual readers, or the fallback's
                by_conv = any(reader in c["residual_readers"] and layer in c["requantized_by"] for c in convs.values())
                assert by_conv or any(reader in f["residual_readers"] and layer in f["qdq_layers"]
                                      for f in fallbacks.values())
        elif rule == "int8-float-output":  # which convolution writes float, what reads it so, what re-quantizes
            assert layer in convs or layer in writers
            if layer in convs:
                assert convs[layer]["residual_readers"] == mev["residual_readers"]
                assert convs[layer]["output_precision"] == mev["output_precision"]
                assert set(convs[layer]["requantized_by"]) <= set(m["layers"])
        elif rule == "reformat-copy":
            assert layer in conversions
        elif rule == "int8-fallback":  # the layer, its precision, conversions and float-writing producers
            row = fallbacks[layer]
            assert (row["precision"], row["conversions"], row["int8_producers_writing_float"]) == (
                mev["precision"], mev["conversions"], mev["int8_producers_writing_float"])
            assert ev["int8_allowed_because"] == mev["int8_allowed_because"]
    assert {"qdq-standalone", "int8-float-output"} <= seen


def test_outputs_say_how_absorbed_findings_are_kept() -> None:
    bundle = trtinspect.load(ROOT / "sample_engines/resnet18-a100/qat")
    ref, full = lint(bundle), lint(bundle, absorbed="full")
    assert "--absorbed full adds its cause and evidence" in to_text(ref, bundle)
    assert "--absorbed full" not in to_text(full, bundle)
    md = to_markdown(ref, bundle)
    assert "absorbed findings listed by reference: trtinspect lint --absorbed full" in md
    assert "  absorbed: (qdq-standalone) Standalone Quantize layer QuantizeLinear\\_40 \\[saves" in md
    run = json.loads(to_sarif(ref, bundle))["runs"][0]
    assert run["properties"]["absorbed"] == "reference" and "--absorbed full" in run["properties"]["absorbed_note"]
    # SARIF: each absorbed finding is a related location of the result (its layers, rule, title and cost)
    root = next(r for r in run["results"] if r["ruleId"] == "residual-not-quantized")
    refs = _residual(ref)["absorbed"]
    assert [(x["properties"]["ruleId"], [n["name"] for n in x["logicalLocations"]]) for x in root["relatedLocations"]] \
        == [(m["rule_id"], m["layers"]) for m in refs]
    assert [x["id"] for x in root["relatedLocations"]] == list(range(len(refs)))
    assert "absorbed" not in root["properties"]["evidence"]
    first = root["relatedLocations"][0]["message"]["text"]
    assert first.startswith(f"Absorbed {refs[0]['rule_id']} finding: ")
    assert "ms per iteration (estimated saving)" in first
    whole = json.loads(to_sarif(full, bundle))["runs"][0]
    root = next(r for r in whole["results"] if r["ruleId"] == "residual-not-quantized")
    assert len(root["relatedLocations"]) == len(root["properties"]["evidence"]["absorbed"]) == len(refs)


@pytest.mark.parametrize("mode", ABSORBED_MODES)
def test_cli_absorbed_option(mode: str) -> None:
    args = ["lint", str(ROOT / "sample_engines/resnet18-a100/qat"), "--format", "json"]
    res = CliRunner().invoke(cli, args + ([] if mode == "reference" else ["--absorbed", mode]))
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["absorbed"] == mode and ("absorbed_note" in doc) == (mode == "reference")
    root = next(f for f in doc["findings"] if f["rule_id"] == "residual-not-quantized")
    assert all(("cause" in m) == (mode == "full") for m in root["evidence"]["absorbed"])


def test_cli_refuses_an_unknown_mode() -> None:
    res = CliRunner().invoke(cli, ["lint", str(ROOT / "sample_engines/resnet18-a100/qat"), "--absorbed", "some"])
    assert res.exit_code == 2 and "--absorbed" in res.output


def test_the_library_refuses_an_unknown_mode() -> None:
    bundle: EngineBundle = trtinspect.load(ROOT / "sample_engines/resnet18-a100/qat")
    with pytest.raises(ValueError, match="absorbed"):
        lint(bundle, absorbed="some")

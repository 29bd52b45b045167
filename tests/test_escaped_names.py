"""Layer names with JSON escapes (\\\\, \\", \\n, \\/, \\u00e9) name the same layer in the graph JSON and in
the profile JSON, and `check` never PASSes a group it could not time because names disagree (exit 3).

Real bundle: sample_engines/resnet18-a100/fp32 copied, a few layers renamed in both files (the raw JSON text of
the name is written into both, as a JSON encoder that escapes would write it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli, thin_times

from trtinspect.parsers.join import json_decoded

ROOT = Path(__file__).resolve().parent.parent
FP32 = ROOT / "sample_engines" / "resnet18-a100" / "fp32"
# layer -> the raw JSON text of its new name (between the quotes)
RAW_NAMES = {"Conv_0 + Relu_1": "Conv_0 + Relu_1 back\\\\slash", "MaxPool_2": "MaxPool_2 \\\"q\\\" \\/ \\n",
             "Conv_3 + Relu_4": "Conv_3 + Relu_4 caf\\u00e9"}


def bundle(tmp: Path, tag: str, slow: float = 1.0, graph: bool = True) -> Path:
    """A copy of the fp32 bundle, conv1 (Conv_0 + Relu_1) ``slow`` times slower, RAW_NAMES written into the
    profile and (``graph``) into the graph JSON."""
    out = tmp / tag
    shutil.copytree(FP32, out)
    prof = next(out.glob("*.profile.json"))
    recs = json.loads(prof.read_text(encoding="utf-8"))
    for r in recs:
        if r.get("name") == "Conv_0 + Relu_1":
            for key in ("timeMs", "averageMs", "medianMs"):
                r[key] *= slow
    prof.write_text(json.dumps(recs, indent=1), encoding="utf-8")
    if slow != 1.0:
        thin_times(out)   # another run (GENERATED: every other real iteration), not the baseline's times again
    for f in [prof, *([next(out.glob("*.graph.json"))] if graph else [])]:
        text = f.read_text(encoding="utf-8")
        for old, raw in RAW_NAMES.items():
            assert text.count(f'"{old}"') == 1, (f, old)
            text = text.replace(f'"{old}"', f'"{raw}"')
        f.write_text(text, encoding="utf-8")
    return out


def test_json_decoded() -> None:
    assert json_decoded("a\\\\b") == "a\\b" and json_decoded("caf\\u00e9") == "café"
    assert json_decoded("plain") is None and json_decoded("bad \\q escape") is None
    assert json_decoded('\\"q\\" \\/ \\n') == '"q" / \n'


def test_escaped_names_are_timed_and_a_regression_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, cand = bundle(tmp_path, "base"), bundle(tmp_path, "cand", slow=3.0)
    code, out, err = run_cli(["report", str(cand), "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["unmatched"] == {"profile": [], "layers": []}
    code, out, err = run_cli(["check", "--baseline", str(base), "--candidate", str(cand)], capsys)
    assert code == 1, out + err          # it used to PASS: "1 group(s) without a profiled time"
    assert out.startswith("REGRESSION") and "without a profiled time" not in out


def test_names_that_disagree_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The profile names layers the graph does not (renamed in the profile only): each file names layers the other
    lacks, so they are not one engine's export: the loader refuses them (exit 2; it was exit 3 from check's group
    names), never PASS (docs/bundles.md)."""
    base = bundle(tmp_path, "base", graph=False)
    cand = bundle(tmp_path, "cand", slow=3.0, graph=False)
    code, out, err = run_cli(["check", "--baseline", str(base), "--candidate", str(cand)], capsys)
    assert code == 2 and out == "", out + err
    assert "the profile does not belong to this engine: 3 of 32 profiled names match no layer" in err
    assert "Conv_0 + Relu_1" in err and len(err.strip().splitlines()) == 1

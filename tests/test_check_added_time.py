"""check lists added/removed time above the floor before the improvements and says its total in the verdict
(TensorRT-engineer review of main, session 9): `check --baseline fp16 --candidate qat` cut the 9 standalone
Quantize layers the candidate added (QuantizeLinear_15 ... 250, +0.171 ms: diff's largest effect) off the text
table ("... 14 more (see --json)") and the Markdown ("11 more (use --json for all)"), and its verdict said only
"3 fusion group(s) regressed". The verdict and exit code are unchanged: added time is not judged per group."""

from __future__ import annotations

import json

from click.testing import CliRunner

from trtinspect.cli import cli

S = "sample:resnet18-a100"
QUANTIZE = ["QuantizeLinear_15", "QuantizeLinear_40", "QuantizeLinear_65", "QuantizeLinear_101", "QuantizeLinear_126",
            "QuantizeLinear_187", "QuantizeLinear_162", "QuantizeLinear_223", "QuantizeLinear_250"]


def _check(base: str, cand: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", "--baseline", f"{S}/{base}", "--candidate", f"{S}/{cand}", *extra])
    return result.exit_code, result.output


def test_added_quantize_layers_are_listed_and_counted() -> None:
    code, out = _check("fp16", "qat")
    assert code == 1                                   # 3 regressed groups, as before
    head = out.splitlines()[0]
    assert head.endswith("3 fusion group(s) regressed (threshold only; 1 vs 1 runs, not tested for significance); "
                         "+0.1710 ms in 9 added groups (not judged)")
    rows = [line.split() for line in out.splitlines() if line.startswith(("regression ", "added ", "improvement "))]
    statuses = [r[0] for r in rows]
    assert statuses[:12] == ["regression"] * 3 + ["added"] * 9 and statuses[12] == "improvement"
    assert [r[-1] for r in rows[3:12]] == QUANTIZE     # largest first (ties in the order found)

    code, md = _check("fp16", "qat", "--markdown", "-")
    assert code == 1
    assert md.startswith("### :x: trtinspect check: REGRESSION: ") and \
        "+0.1710 ms in 9 added groups (not judged)\n" in md.splitlines(keepends=True)[0]
    other = md.split("#### Other changes", 1)[1]
    table = [line for line in other.splitlines() if line.startswith("| added") or line.startswith("| improvement")]
    assert [line.split(" | ")[0] for line in table[:10]] == ["| added"] * 9 + ["| improvement"]
    assert all(f"`{q}`" in other for q in QUANTIZE)

    code, js = _check("fp16", "qat", "--json", "-")
    doc = json.loads(js)
    assert doc["exit_code"] == 1 and doc["headline"] == head
    assert [g["status"] for g in doc["groups"]][:13] == ["regression"] * 3 + ["added"] * 9 + ["improvement"]


def test_removed_time_in_a_passing_check() -> None:
    """qat -> qat-residual passes (38% faster) and now says where time went: 8 standalone Quantize layers removed
    and 1 dequantize added, each total in the verdict line."""
    code, out = _check("qat", "qat-residual")
    assert code == 0
    assert out.splitlines()[0].endswith("; +0.0133 ms in 1 added group (not judged); -0.1638 ms in 8 removed groups "
                                        "(not judged)")

"""A reformat copy that moved in front of the layers B added is one finding, not two that cancel (trust-misc
review of `trtinspect diff implicit-int8.profile.log fx-qdq-int8.profile.log`: "3 convolutions changed tensor
formats or reformats (-0.049 ms)" and "B added 3 dequantize layers (+0.050 ms)" split one root cause)."""

from __future__ import annotations

import math
from pathlib import Path

from click.testing import CliRunner

import trtinspect
from trtinspect.cli import cli
from trtinspect.inspector.diff import diff

SEED = Path(__file__).parents[1] / "sample_engines" / "trtexec-logs" / "seed-fx-vs-implicit-int8"
IMPLICIT, FX = SEED / "implicit-int8.profile.log", SEED / "fx-qdq-int8.profile.log"


def test_moved_reformat_is_one_finding_with_the_right_net() -> None:
    result = CliRunner().invoke(cli, ["diff", str(IMPLICIT), str(FX), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "changed tensor formats or reformats" not in out
    assert ("Layers added or removed (+0.001 ms): B added 3 dequantize layers and the 3 reformat copies A ran for 3 "
            "convolutions moved to them (+0.001 ms net: -0.049 ms where the copies were, +0.050 ms for the added "
            "layers with the copies; matched by count)") in out.replace("\n", " ")
    r = diff(trtinspect.load(IMPLICIT), trtinspect.load(FX))
    moved = [e for e in r.events if e["event"] == "reformat_moved"]
    assert len(moved) == 1 and not [e for e in r.events if e["event"] in ("format", "added")]
    g = r.groups.set_index("group_id")
    ids = moved[0]["group_ids"]
    assert sorted(g.loc[ids, "kind"].tolist()) == ["format_changed"] * 3 + ["only_b"] * 3
    # the net: A's reformat copies (3 x ~0.0176 ms) gone, B's dequantize layers and their copies added
    assert math.isclose(moved[0]["delta_ms"], float(g.loc[ids, "delta_ms"].sum()), abs_tol=1e-12)
    assert abs(moved[0]["delta_ms"] - 0.0008) < 0.0002
    # every event still adds up to the per-layer difference (one event per group)
    assert sum(e["groups"] for e in r.events) == len(r.groups)
    assert math.isclose(math.fsum(e["delta_ms"] for e in r.events), float(r.groups["delta_ms"].sum()), abs_tol=1e-12)


def test_the_reverse_direction_says_the_copies_moved_back() -> None:
    r = diff(trtinspect.load(FX), trtinspect.load(IMPLICIT))
    assert "changed tensor formats or reformats" not in r.summary
    assert ("B removed 3 dequantize layers and the 3 reformat copies A ran for them moved to 3 convolutions "
            "(-0.001 ms net: -0.050 ms for the removed layers with the copies, +0.049 ms where the copies went; "
            "matched by count)") in r.summary.replace("\n", " ")

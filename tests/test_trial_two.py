"""Defects of the second new-user trial of main, one test each, on the bundled real samples.

1. a graph and a profile of two different engines, named explicitly, were silently mixed; 2. ``check`` said
"improved significantly" without a test; 3. check's share column mixed denominators; 4. folder hints
suggested folders that do not load; 5. click usage errors took three lines; 6. wording.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import resnet_file

import trtinspect
from trtinspect.cli import main
from trtinspect.errors import TrtInspectError


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------- 1. two engines' files mixed
@pytest.mark.parametrize("command", ["report", "lint"])
def test_explicit_profile_of_another_engine_is_refused(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    graph, prof = resnet_file("qat", "graph.json"), resnet_file("qat-residual", "profile.json")
    code, out, err = run([command, str(graph), str(prof)], capsys)
    assert code == 2 and not out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "the profile does not belong to this engine: 2 of 26 profiled layers match its layer names" in err
    assert str(graph) in err and str(prof) in err and "Pass the profile exported with" in err


def test_library_load_refuses_the_mix_and_keeps_genuine_excerpts(tmp_path: Path) -> None:
    graph = resnet_file("qat", "graph.json")
    with pytest.raises(TrtInspectError, match="does not belong to this engine"):
        trtinspect.load(graph, resnet_file("qat-residual", "profile.json"))
    # an excerpt of the engine's own profile (its first 6 rows) is not a mix: every row is one of its layers
    records = json.loads(resnet_file("qat", "profile.json").read_text())
    excerpt = tmp_path / "resnet-qat.onnx.engine.profile.json"
    excerpt.write_text(json.dumps(records[:7]))
    b = trtinspect.load(graph, excerpt)
    assert len(b.profile) == 6 and not b.unmatched_profile
    # the same mix found in one folder stays a note (tests/test_bundle.py), and the engine's own pair loads
    assert not trtinspect.load(graph, resnet_file("qat", "profile.json")).unmatched_profile

"""A graph JSON whose tensor dimensions multiply past any real tensor (a hostile file) is not a crash.

The real A100 ResNet-18 QAT bundle with every layer's first output given 100 dimensions of 10**6: tensor byte
sizes are unknown there (the rules that need them do not estimate), and report, lint and diff still answer
(lintprec review found `OverflowError: int too large to convert to float`, an "internal error")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import RESNET, run_cli


@pytest.fixture()
def huge(tmp_path: Path) -> Path:
    dst = tmp_path / "qat"
    shutil.copytree(RESNET / "qat", dst)
    graph = next(dst.glob("*graph.json"))
    doc = json.loads(graph.read_text())
    for layer in doc["Layers"]:
        if isinstance(layer, dict) and layer.get("Outputs"):
            layer["Outputs"][0]["Dimensions"] = [10**6] * 100
    graph.write_text(json.dumps(doc))
    return dst


@pytest.mark.parametrize("args", [["report"], ["lint", "--format", "json"],
                                  ["diff", "--force", "--format", "json", str(RESNET / "qat")]])
def test_huge_dimensions_are_unknown_sizes_not_a_crash(huge: Path, args: list[str],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_cli([args[0], str(huge), *args[1:]], capsys)
    assert "internal error" not in err and "Traceback" not in err
    assert code == 0, err

"""The installed distribution: one namespace, bundled samples inside it, entry points that work."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

from conftest import REPO

INSTALLED_FILES = """
import json
from importlib import metadata
dist = metadata.distribution("trtinspect")
print(json.dumps({"top": (dist.read_text("top_level.txt") or "").split(),
                  "files": [str(f) for f in dist.files or []]}))
"""


def test_only_the_trtinspect_namespace_is_installed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # run outside the checkout so the build's egg-info in the repository is not what gets inspected
    proc = subprocess.run([sys.executable, "-c", INSTALLED_FILES], capture_output=True, text=True, cwd=tmp_path,
                          check=True)
    installed = json.loads(proc.stdout)
    if installed["top"]:  # regular (non-editable) installs write top_level.txt
        assert installed["top"] == ["trtinspect"]
    firsts = {f.split("/")[0] for f in installed["files"]}
    allowed = ("trtinspect", "__editable__", "..", "__pycache__")
    assert sorted(f for f in firsts if not f.startswith(allowed) and not f.endswith(".pth")) == []


def test_samples_ship_inside_the_package() -> None:
    root = resources.files("trtinspect.sample_engines")
    graph = root / "resnet18-a100" / "qat" / "resnet-qat.onnx.engine.graph.json"
    assert graph.is_file()
    source = REPO / "sample_engines/resnet18-a100/qat/resnet-qat.onnx.engine.graph.json"
    assert graph.read_bytes() == source.read_bytes()
    assert (root / "LICENSES" / "Apache-2.0.txt").is_file()
    assert (root / "PROVENANCE.md").is_file()


def test_python_dash_m_entry_point_and_exit_codes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok = subprocess.run([sys.executable, "-m", "trtinspect", "samples"], capture_output=True, text=True,
                        cwd=tmp_path)
    assert ok.returncode == 0 and "sample:resnet18-a100/qat" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "trtinspect", "report", str(tmp_path / "missing.json")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert "missing.json" in bad.stderr

"""Every bundled sample works through the main commands (acceptance: `report` on every bundle and log)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import trtinspect
from trtinspect.cli import cli
from trtinspect.inspector.lint import lint
from trtinspect.samples import list_samples, resolve, samples_root

SAMPLES = list_samples()


def test_samples_listed_and_resolvable() -> None:
    # every data file under sample_engines/ is reachable through some sample name
    root = samples_root()
    data_files = {p for p in root.rglob("*") if p.is_file() and p.suffix in {".json", ".log"}}
    covered = set()
    for name in SAMPLES:
        target = resolve(f"sample:{name}")
        covered |= {target} if target.is_file() else {p for p in target.iterdir() if p in data_files}
    assert covered == data_files
    assert "resnet18-a100/qat" in SAMPLES


@pytest.mark.parametrize("name", SAMPLES)
def test_report_json_on_every_sample(name: str) -> None:
    res = CliRunner().invoke(cli, ["report", f"sample:{name}", "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    bundle = trtinspect.load(f"sample:{name}")
    assert report["layers"]["count"] == len(bundle.layers)
    assert report["layers"]["profile_rows"] == len(bundle.profile)
    assert report["trt_version"] == bundle.trt_version


@pytest.mark.parametrize("name", [n for n in SAMPLES if n.startswith("resnet18-a100/")])
def test_lint_on_every_bundle(name: str) -> None:
    res = CliRunner().invoke(cli, ["lint", f"sample:{name}", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    findings = lint(trtinspect.load(f"sample:{name}"))
    assert [f["rule_id"] for f in out["findings"]] == findings["rule_id"].tolist()


def test_samples_command_lists_them() -> None:
    res = CliRunner().invoke(cli, ["samples"])
    assert res.exit_code == 0
    assert res.output.split() == [f"sample:{n}" for n in SAMPLES]


def test_sample_typo_suggests_closest_name() -> None:
    with pytest.raises(trtinspect.TrtInspectError) as err:
        resolve("sample:resnet18-a100/fp61")
    assert "Did you mean sample:resnet18-a100/fp16" in str(err.value)


@pytest.mark.parametrize("arg", ["sample:", "sample:resnet18-a100"])
def test_sample_folder_hints_name_samples_not_paths(arg: str) -> None:
    with pytest.raises(trtinspect.TrtInspectError) as err:
        trtinspect.load(arg)
    hint = err.value.hint or ""
    assert "sample:resnet18-a100/" in hint and "LICENSES" not in hint and "site-packages" not in hint
    assert str(samples_root()) not in hint

"""Defects of the second new-user trial of main, one test each, on the bundled real samples.

1. a graph and a profile of two different engines, named explicitly, were silently mixed; 2. ``check`` said
"improved significantly" without a test; 3. check's share column mixed denominators; 4. folder hints
suggested folders that do not load; 5. click usage errors took three lines; 6. wording.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import resnet_file, run_cli

import trtinspect
from trtinspect.errors import TrtInspectError


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(args, capsys)


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
    # the engine's own pair loads (the same mix found in one folder is refused too: tests below)
    assert not trtinspect.load(graph, resnet_file("qat", "profile.json")).unmatched_profile


# ------------------------------------------------------------------------- 2./3. check: untested gain, shares
def test_check_with_one_run_a_side_never_says_significantly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--baseline", "sample:resnet18-a100/qat",
                        "--candidate", "sample:resnet18-a100/qat-residual"], capsys)
    assert code == 0  # the trade rule applies on size alone, as every verdict does without a test (docs/check.md)
    assert "significantly" not in out and "significance not assessed" not in out
    assert "improvement; threshold only; 1 vs 1 runs, not tested for significance)" in out.splitlines()[0]
    assert ("2 group(s) got slower while end-to-end GPU compute improved by 38.2% (not tested for significance: "
            "1 run per side") in out
    # one stated denominator per column: each side's share of its own per-layer total
    header = next(line for line in out.splitlines() if line.startswith("status"))
    assert "base %" in header and "cand %" in header and " share " not in header
    assert "base % / cand %: the group's share of that side's per-layer total time" in out
    row = next(line for line in out.splitlines() if line.endswith("  conv1"))
    assert "30.5%" in row and "9.9%" in row  # 0.3338 of 1.096 ms; 0.0727 of 0.731 ms


def test_check_json_shares_and_untested(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(["check", "--baseline", "sample:resnet18-a100/qat", "--candidate", "sample:resnet18-a100/qat-residual",
         "--json", str(tmp_path / "check.json")], capsys)
    doc = json.loads((tmp_path / "check.json").read_text())
    assert doc["end_to_end"]["untested"].startswith("not tested for significance: 1 run per side")
    conv1 = next(g for g in doc["groups"] if g["label"] == "conv1")
    assert conv1["base_share_pct"] == pytest.approx(30.5, abs=0.05)
    assert conv1["cand_share_pct"] == pytest.approx(9.9, abs=0.05)
    assert conv1["share_pct"] == max(conv1["base_share_pct"], conv1["cand_share_pct"])


def test_strict_groups_help_does_not_claim_a_test(capsys: pytest.CaptureFixture[str]) -> None:
    run(["check", "--help"], capsys)
    out = run(["check", "--help"], capsys)[1]
    assert "improved significantly" not in " ".join(out.split())


# ------------------------------------------------------------------------- 4. folder hints
def test_folder_of_bundles_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    folder = Path(__file__).resolve().parent.parent / "sample_engines" / "resnet18-a100"
    code, out, err = run(["report", str(folder)], capsys)
    assert code == 2 and not out and len(err.strip().splitlines()) == 1
    assert ("this folder holds 5 bundles in subfolders: fp16, fp32, qat, qat-residual, qat-residual-qgap. "
            "Give one, e.g.") in err
    assert "holds no TensorRT/trtexec files" not in err


def test_folder_hint_names_only_subfolders_with_engine_files(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "intro.md").write_text("# notes\n")
    with pytest.raises(TrtInspectError) as err:
        trtinspect.load(tmp_path)
    assert "holds no TensorRT/trtexec files" in str(err.value) and "notebooks" not in str(err.value)
    (tmp_path / "qat").mkdir()
    (tmp_path / "qat" / "graph.json").write_bytes(resnet_file("qat", "graph.json").read_bytes())
    with pytest.raises(TrtInspectError, match=r"holds a bundle in a subfolder: qat\. Give one") as err:
        trtinspect.load(tmp_path)
    assert "notebooks" not in str(err.value)
    assert trtinspect.load(tmp_path / "qat").layers is not None  # the suggestion loads


def test_docs_folder_suggests_no_subfolder(capsys: pytest.CaptureFixture[str]) -> None:
    docs = Path(__file__).resolve().parent.parent / "docs"
    err = run(["report", str(docs)], capsys)[2]
    assert "holds no TensorRT/trtexec files" in err and "e.g." not in err and "notebooks" not in err


# ------------------------------------------------------------------------- 5. usage errors: one line
@pytest.mark.parametrize(("args", "expected"), [
    (["diff", "sample:resnet18-a100/qat"], "trtinspect diff: error: Missing argument 'B' (see trtinspect diff --help)"),
    (["lint", "sample:resnet18-a100/qat", "--format", "xml"],
     "trtinspect lint: error: Invalid value for '--format': 'xml' is not one of"),
    (["report", "--bogus"], "trtinspect report: error: No such option '--bogus' (see trtinspect report --help)"),
])
def test_usage_errors_are_one_line(args: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(args, capsys)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and err.startswith(expected), err
    assert "Usage:" not in err and "Try '" not in err


def test_history_takes_the_database_as_an_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["history", "sqlite:///relative.db"], capsys)
    assert code == 2 and err.startswith("trtinspect: error: relative.db: no history database here yet. Record one")
    assert not (tmp_path / "relative.db").exists()  # reading never creates the store
    code, _, err = run(["history", "a.sqlite", "--db", "b.sqlite"], capsys)
    assert code == 2 and "two history databases given" in err


# ------------------------------------------------------------------------- 6. wording
def test_mobilenet_diff_says_what_nets_to_zero(capsys: pytest.CaptureFixture[str]) -> None:
    m = Path(__file__).resolve().parent / "data" / "external" / "trex-titanrtx-mobilenet"
    out = run(["diff", str(m / "qat"), str(m / "qat-residuals")], capsys)[1]
    assert "different measured time (the same)" not in out
    assert "Also: Same layers and kernels, different measured time (net under 0.0005 ms)." in out


def test_check_of_two_summaries_says_both_sides_lack_a_profile(capsys: pytest.CaptureFixture[str]) -> None:
    s = "sample:trtexec-logs/seed-fx-vs-implicit-int8/fx-qdq-int8"
    out = run(["check", "--baseline", f"{s}.before-fix.summary.log", "--candidate",
               f"{s}.after-fix.summary.log"], capsys)[1]
    assert "per-layer profile missing on both sides" in out and "on one side" not in out
    # a summary on one side and only a per-layer profile on the other: nothing in common, never a PASS
    code, out, err = run(["check", "--baseline", f"{s}.before-fix.summary.log", "--candidate",
                          f"{s}.profile.log"], capsys)
    assert code == 2 and not out and "nothing to compare" in err and len(err.strip().splitlines()) == 1


def test_error_hints_start_a_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "x.engine.graph.json"
    empty.write_text("")
    err = run(["report", str(empty)], capsys)[2]
    assert "file is empty. Re-run the export that wrote it." in err
    assert TrtInspectError("x", hint="trtexec --help lists it").one_line() == "x. trtexec --help lists it."


def _mixed_folder(tmp_path: Path) -> Path:
    """qat's graph and fp32's profile (both real A100 exports) under ONE TREx stem in one folder."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(resnet_file("qat", "graph.json"), folder / "x.onnx.engine.graph.json")
    shutil.copy(resnet_file("fp32", "profile.json"), folder / "x.onnx.engine.profile.json")
    return folder


@pytest.mark.parametrize("command", ["report", "lint"])
@pytest.mark.parametrize("target", ["folder", "engine"])
def test_folder_with_another_engines_profile_is_refused(command: str, target: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Same rule as named files: found in one folder (same stem) or beside an engine, 0 of 32 rows match."""
    folder = _mixed_folder(tmp_path)
    path = folder if target == "folder" else folder / "x.onnx.engine"
    code, out, err = run([command, str(path)], capsys)
    assert code == 2 and not out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "the profile does not belong to this engine: 0 of 32 profiled layers match its layer names" in err
    assert str(folder / "x.onnx.engine.profile.json") in err and str(folder / "x.onnx.engine.graph.json") in err
    assert "Pass the profile exported with" in err and "Traceback" not in err


def test_check_names_the_mixed_bundle_not_different_models(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = _mixed_folder(tmp_path)
    code, out, err = run(["check", "--baseline", str(resnet_file("qat", "graph.json").parent),
                          "--candidate", str(folder)], capsys)
    assert code == 2, (out, err)
    assert "the profile does not belong to this engine: 0 of 32" in err
    assert "different models" not in err and "share no ONNX source node" not in err
    assert str(folder / "x.onnx.engine.profile.json") in err


def test_real_bundles_in_one_folder_still_load() -> None:
    """Every bundled TREx sample (its own graph and profile in one folder) passes: 100% of rows match."""
    for name in ("fp16", "fp32", "qat", "qat-residual", "qat-residual-qgap"):
        b = trtinspect.load(resnet_file(name, "graph.json").parent)
        assert not b.unmatched_profile and not any("different engines" in n for n in b.notes), name

"""Defects a TensorRT-engineer review of session 9 (round 2) found in lint's build-log findings (each test runs
the command on a real trtexec log, or on one derived from it line by line)."""

from __future__ import annotations

import json
from pathlib import Path

from test_lint_review_s9 import H100_LOG, _lint, _one  # one copy of the helpers

SCRATCH_LINES = [1740, 1753, 1955, 2334, 3739, 4264, 4386, 4550, 4562, 4573]  # "Scratch requested: N, available: 1024"


def test_verbose_scratch_skips_are_counted_with_the_warnings() -> None:
    """#1: result-02.log's title said 4 tactics skipped (its [W] lines); its verbose 'Tactic: 0x... skipped.
    Scratch requested: N, available: 1024' lines skip 10 more. 14, the largest need still line 3138's 1204224 B."""
    f = _one(_lint("sample:trtexec-logs/trt10.16-h100/result-02.log"), "workspace-limited")
    assert f["title"].startswith("14 tactic(s) skipped for insufficient workspace")
    assert f["evidence"]["skipped_tactics"] == 14
    assert f["evidence"]["line_nos"] == sorted([*SCRATCH_LINES, 3116, 3125, 3141, 3150])
    assert f["evidence"]["largest_need_bytes"] == 1204224 and f["evidence"]["largest_need_line_no"] == 3138


def test_trt84_scratch_skips_are_a_finding_with_its_own_advice() -> None:
    """#1: TensorRT 8.4's log (lines 909/976: 'Scratch requested: 7527202816, available: 1073741824', line 911
    'Some tactics do not have sufficient workspace memory') had no workspace finding."""
    f = _one(_lint("sample:trtexec-logs/trt8.4/result-FP16.log"), "workspace-limited")
    assert f["title"] == "2 tactic(s) skipped for insufficient workspace (workspace 1024 MiB)"
    assert f["evidence"]["line_nos"] == [909, 976] and f["evidence"]["largest_need_bytes"] == 7527202816
    assert "(line 909: 'Scratch requested: 7527202816, available: 1073741824')" in f["cause"]
    assert "[W] lines" not in f["cause"] and "ends in B" not in f["cause"]
    assert "--memPoolSize=workspace:N or the older --workspace=N, N in MiB" in f["mitigation"]
    assert "suffixes B, K, M, G" not in f["mitigation"] and "never timed" in f["mitigation"]
    assert f["cost_kind"] == "not estimated"


def test_one_tactic_in_a_verbose_and_a_warning_line_is_one_skip(tmp_path: Path) -> None:
    """#1: a tactic that a verbose 'Scratch requested: N, available: B' line and the [W] 'requested size of B'
    line after it both report is one skip (paired like the 'Exceeded mem budget' line): result-02.log with such a
    line written before its [W] line 3141 (budget 206080) still counts 14."""
    lines = H100_LOG.read_bytes().split(b"\n")  # newlines only: the log's lines may hold other line breaks
    stamp = lines[3140].split(b"] [W]")[0]
    extra = stamp + b"] [V] [TRT] Tactic: 0x0000000000000000 skipped. Scratch requested: 1204224, available: 206080"
    log = tmp_path / "result-02-paired.log"
    log.write_bytes(b"\n".join([*lines[:3140], extra, *lines[3140:]]))
    f = _one(_lint(str(log)), "workspace-limited")
    assert f["evidence"]["skipped_tactics"] == 14
    assert 3142 in f["evidence"]["line_nos"] and 3141 not in f["evidence"]["line_nos"]  # the [W] line, once


def test_reformat_member_names_the_tactic_the_log_names() -> None:
    """#3: the TensorRT 8.4 log's line 818 names the tactic Conv-4 + ReLU-5 chose ('Set Tactic Name:
    maxwell_scudnn_128x32_sliced1x4_ldg4_relu_exp_small_nhwc_tn_v1 Tactic: 0x80f932c0b8ce5940', line 1147's
    id); the reformat-copy members said 'a CaskConvolution kernel, tactic not named'."""
    f = _one(_lint("sample:trtexec-logs/trt8.4/result-FP16.log"), "reformat-copy")
    text = json.dumps(f)
    assert "'Conv-4 + ReLU-5' (a CaskConvolution kernel, tactic not named)" not in text
    assert "'Conv-4 + ReLU-5' (tactic maxwell_scudnn_128x32_sliced1x4_ldg4_relu_exp_small_nhwc_tn_v1)" in text
    # MaxPool-3's chosen id 0x0000000000620101 has no 'Set Tactic Name' line: still not named
    assert "'MaxPool-3' (a TiledPooling kernel, tactic not named)" in text


def test_reformat_from_formats_no_tactic_could_run_is_the_workspace_finding() -> None:
    """#2: result-02.log lines 3110-3126 / 3134-3151: every tactic of the FP16 formats of the first block and of
    node_conv2d_1's Float and linear-Half formats was skipped for workspace ('Fastest Tactic: 0xd15ea5edd15ea5ed
    Time: inf'), so the block ran FP32 and TensorRT copied FP32 -> FP16 for node_conv2d_1. One root cause: the
    reformat-copy finding is listed under workspace-limited, whose cause no longer says the kernels chosen were
    'the fastest it could run' for those formats (none could run)."""
    found = _lint("sample:trtexec-logs/trt10.16-h100/result-02.log")
    assert [f["rule_id"] for f in found["findings"]] == ["workspace-limited"]
    f = found["findings"][0]
    assert "after 4 of the skips no tactic could run at all (log lines 3117, 3126, 3142, 3151" in f["cause"]
    assert "'{ForeignNode[node_conv2d...node_relu]}' in Half(784,784,28,1) -> Half(25088,784,28,1)" in f["cause"]
    assert "elsewhere the kernels it chose were the fastest it could run" in f["cause"]
    absorbed = f["evidence"]["absorbed"]
    assert [a["rule_id"] for a in absorbed] == ["reformat-copy"]
    assert absorbed[0]["layers"] == [
        "Reformatting CopyNode for Input Tensor 0 to {ForeignNode[node_conv2d_1...node_relu_1]}"]


def test_no_failed_format_keeps_the_reformat_finding() -> None:
    """#2, the other side: the TensorRT 8.4 log's skips left no format without a tactic (no 'Time: inf'): its
    reformat-copy finding stays its own, and the workspace finding keeps its wording."""
    found = _lint("sample:trtexec-logs/trt8.4/result-FP16.log")
    f = _one(found, "workspace-limited")
    assert "no tactic could run" not in f["cause"] and "the fastest it could run" in f["cause"]
    assert "absorbed" not in f["evidence"] and _one(found, "reformat-copy")

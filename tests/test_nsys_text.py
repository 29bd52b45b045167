"""Nsight Systems exports in `report`: whole names in JSON, whole (wrapped) names in text, and the GPU read from
TARGET_INFO_SYSTEM_ENV when TARGET_INFO_GPU is absent (new-user trial: text cut kernel names to ~18 characters
at 120 columns, e.g. three different `sm80_xmma_gemm_f32…` rows; the device was `unknown` without
TARGET_INFO_GPU). Real exports: tests/data/nsys (provenance in tests/data/PROVENANCE.md)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import DATA, run_cli

H100 = DATA / "nsys" / "h100_2gpu_1s.sqlite"          # no TARGET_INFO_GPU; GpuInfo "{}"
RTX3060 = DATA / "nsys" / "nsight-2025.5.2.sqlite"    # TARGET_INFO_GPU and GpuInfo both name the GPU


def _json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = run_cli(["report", str(path), "--format", "json"], capsys)
    assert code == 0, err
    doc: dict = json.loads(out)
    return doc


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_text_shows_every_name_whole(columns: int, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _json(H100, capsys)
    monkeypatch.setenv("COLUMNS", str(columns))
    code, text, _ = run_cli(["report", str(H100)], capsys)
    assert code == 0 and "\u2026" not in text      # no ellipsis anywhere
    flat = _squash(text)
    for name, rep in doc["nsys"]["reports"].items():
        shown = rep["rows"][:10]
        for row in shown:
            assert _squash(row["name"]) in flat, (name, row["name"])
    if columns >= 120:      # below that the numbers alone are wider than the terminal: they stay whole
        assert max(len(line) for line in text.splitlines()) <= columns
    # the three different cuBLAS kernels that used to read `sm80_xmma_gemm_f32…` are told apart
    gemms = [r["name"] for r in doc["nsys"]["reports"]["cuda_gpu_kern_sum"]["rows"][:3]]
    assert len(set(gemms)) == 3 and all(_squash(g) in flat for g in gemms)


def test_json_keeps_the_demangled_names(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(H100, capsys)
    names = [r["name"] for r in doc["nsys"]["reports"]["cuda_gpu_kern_sum"]["rows"]]
    long = [n for n in names if len(n) > 120]
    assert long
    con = sqlite3.connect(f"file:{H100}?mode=ro", uri=True)
    try:
        for n in long:     # exactly a string nsys stored, not a shortened one
            assert con.execute("SELECT count(*) FROM StringIds WHERE value = ?", (n,)).fetchone()[0] == 1
    finally:
        con.close()


def test_gpu_from_system_env_when_target_info_gpu_is_absent(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A copy of the real RTX 3060 export without its TARGET_INFO_GPU table (made here, from the real file):
    the device comes from TARGET_INFO_SYSTEM_ENV's GpuInfo and equals what TARGET_INFO_GPU said."""
    copy = tmp_path / "no-target-info-gpu.sqlite"
    shutil.copyfile(RTX3060, copy)
    con = sqlite3.connect(copy)
    con.execute("DROP TABLE TARGET_INFO_GPU")
    con.commit()
    con.close()
    original, stripped = _json(RTX3060, capsys)["device"], _json(copy, capsys)["device"]
    assert original["name"] == "NVIDIA GeForce RTX 3060"
    assert stripped == original
    assert {"name": "NVIDIA GeForce RTX 3060", "sms": 28, "compute_capability": "8.6"}.items() <= stripped.items()


def test_no_gpu_anywhere_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    from trtinspect.parsers.nsys.sqlite import read_nsys_sqlite

    export = read_nsys_sqlite(H100)
    assert export.gpus.empty
    assert any("TARGET_INFO_SYSTEM_ENV's GpuInfo" in n for n in export.notes)
    code, text, _ = run_cli(["report", str(H100)], capsys)
    assert code == 0 and re.search(r"^Device\s+unknown$", text, re.M)


def test_gpu_info_of_another_shape_is_no_gpu(tmp_path: Path) -> None:
    """GpuInfo that is not the JSON nsys writes (hostile or from another version): no GPU, never an error."""
    from trtinspect.parsers.nsys.sqlite import _gpus_from_system_env

    db = tmp_path / "env.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE TARGET_INFO_SYSTEM_ENV (name TEXT, value TEXT)")
    for value in ("not json", "[1, 2]", '{"Gpus": "x"}', '{"Gpus": [1, {"Name": 5, "SmCount": true}]}'):
        con.execute("DELETE FROM TARGET_INFO_SYSTEM_ENV")
        con.execute("INSERT INTO TARGET_INFO_SYSTEM_ENV VALUES ('GpuInfo', ?)", (value,))
        gpus = _gpus_from_system_env(con, "TARGET_INFO_SYSTEM_ENV")
        assert gpus.empty or gpus["sm_count"].isna().all()
    con.close()


def test_kernel_rows_are_shown_by_the_name_they_are_grouped_by(capsys: pytest.CaptureFixture[str]) -> None:
    """TensorRT-engineer review 3: the kernel table grouped rows by demangled name (41 rows) but showed base
    names, so `at::native::elementwise_kernel` appeared twice (224 and 112 instances) and
    `vectorized_elementwise_kernel` twice (220, 218), matching neither nsys' default report (full names) nor
    `cuda_gpu_kern_sum:base` (15 rows, one vectorized_elementwise_kernel row of 1,836 instances). Now the rows are
    nsys' default: each shown by the full demangled name it is grouped by."""
    code, text, _ = run_cli(["report", str(H100), "--format", "text"], capsys)
    assert code == 0
    assert "CUDA GPU Kernel Summary (cuda_gpu_kern_sum, first 10 of 41 rows)" in text
    assert "base names" not in text
    con = sqlite3.connect(f"file:{H100}?mode=ro", uri=True)
    try:
        assert con.execute("SELECT count(DISTINCT demangledName) FROM CUPTI_ACTIVITY_KIND_KERNEL").fetchone() == (41,)
        top = con.execute(
            "SELECT s.value, count(*), sum(k.end - k.start) AS t FROM CUPTI_ACTIVITY_KIND_KERNEL k "
            "JOIN StringIds s ON s.id = k.demangledName GROUP BY k.demangledName ORDER BY t DESC LIMIT 10").fetchall()
    finally:
        con.close()
    flat = _squash(text)
    elementwise = [(n, c) for n, c, _ in top if n.startswith("void at::native::elementwise_kernel<")]
    assert sorted(c for _, c in elementwise) == [112, 224]          # two kernels, each row by its own full name
    for n, c, total in top:
        assert _squash(f"{total}{c}") in flat and _squash(n) in flat
    md_code, md, _ = run_cli(["report", str(H100), "--format", "markdown"], capsys)
    assert md_code == 0 and "base names" not in md
    assert "| 494144 | 224 |" in md and "| void at::native::elementwise\\_kernel&lt;(int)128, (int)2, void" in md

"""Corrupt values in a trtexec --dumpProfile table are bad input (exit 2, one line naming the file), never a
diff, a lint or a PASS on them. Real log: sample_engines/trtexec-logs/trt10.16-h100/result-05.log, one value
edited per case."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

LOG = Path(__file__).resolve().parent.parent / "sample_engines" / "trtexec-logs" / "trt10.16-h100" / "result-05.log"
ROW = "      193.50       0.0105       0.0098      12.7   node_conv2d_myl0_1"
TOTAL = "     1529.13       0.0833       0.0804     100.0   Total"
CASES = {
    "inf": (ROW, "      193.50          inf       0.0098      12.7   node_conv2d_myl0_1", "not a finite number"),
    "negative": (ROW, "     -193.50      -0.0105       0.0098      12.7   node_conv2d_myl0_1", "negative"),
    "total-zero": (TOTAL, "        0.00       0.0000       0.0000       0.0   Total", "Total row says 0 ms"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_corrupt_profile_value_is_bad_input(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new, says = CASES[case]
    text = LOG.read_text(encoding="utf-8")
    assert text.count(old + "\n") == 1
    bad = tmp_path / f"{case}.log"
    bad.write_text(text.replace(old + "\n", new + "\n"), encoding="utf-8")
    for argv in (["report", str(bad)], ["lint", str(bad)], ["diff", str(LOG), str(bad)]):
        code, out, err = run_cli(argv, capsys)
        assert code == 2, (argv, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and bad.name in lines[0] and says in lines[0] and "--dumpProfile" in lines[0], err
        assert "Traceback" not in err and "internal error" not in err

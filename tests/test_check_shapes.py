"""check refuses runs bound with different input shapes even when one log records only "shapes: model".

Real logs (sample_engines/trtexec-logs/trt10.16-h100, H100, TensorRT 10.16): result-03.log ran with
``--shapes=x:4x1x28x28`` ("Input inference shape : x=4x1x28x28"); result-01.log records "Input inference shapes:
model" and trtexec overrode the dynamic batch to 1 ("Input binding for x with dimensions 1x1x28x28"). A TensorRT
review found check PASSed a 6.5x per-sample throughput loss between them (batch 4 vs batch 1).
"""

from __future__ import annotations

import pytest

import trtinspect
from tests.conftest import LOGS, run_cli
from trtinspect.inspector.check_inputs import COMPARABILITY

H100 = LOGS / "trt10.16-h100"


def test_the_bound_shape_is_read_from_the_log() -> None:
    shapes = COMPARABILITY["input_shapes"]
    assert shapes(trtinspect.load(str(H100 / "result-01.log"))) == "x=1x1x28x28"
    assert shapes(trtinspect.load(str(H100 / "result-03.log"))) == "x=4x1x28x28"


@pytest.mark.parametrize("pair", [("result-03.log", "result-01.log"), ("result-01.log", "result-03.log")])
def test_check_batch_4_vs_batch_1_is_not_comparable(pair: tuple[str, str], capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    code, out, err = run_cli(["check", "--baseline", str(H100 / pair[0]), "--candidate", str(H100 / pair[1])],
                             capsys)
    assert code == 3, out + err
    assert "input_shapes" in err and "4x1x28x28" in err and "1x1x28x28" in err
    assert "PASS" not in out


def test_report_shows_the_printed_average(capsys: pytest.CaptureFixture[str]) -> None:
    """Top layers show trtexec's printed Avg.(ms) (0.3337), not Time/iterations re-derived (103.13/309 = 0.3338):
    Xavier NX TensorRT 8.5.2 LPRNet --dumpProfile table, tests/data/external/xavier-nx-trt8.5.2-lprnet."""
    from tests.conftest import REPO

    log = REPO / "tests/data/external/xavier-nx-trt8.5.2-lprnet/profile.log"
    code, out, _ = run_cli(["report", "--top", "30", str(log)], capsys)
    assert code == 0
    lines = {ln.split()[1]: ln.split() for ln in out.splitlines() if ln.strip()[:2].strip().isdigit()}
    assert lines["res5b_branch2a"][-2] == "0.3337"
    assert lines["res4a_branch2b"][-2] == "0.1430"
    assert lines["res3a_branch1"][-2] == "0.0387"

"""The Python API objects refuse what the command line refuses, by the same rule (one place each):
``Thresholds`` (inspector/check_limits.py, also read by the config file and the flags) and the capture options
``ProfileOptions`` / ``CaptureOptions`` (trtinspect/limits.py, also read by ``--duration`` / ``--timeout``).

``Thresholds(min_runs=1)`` was accepted and ``run_check`` then called one run a side "tested";
``ProfileOptions(duration_s=nan)`` passed its ``<= 0`` check (NaN compares false) and ``inf`` never ended.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from conftest import RESNET, run_cli

from trtinspect.capture.trt_backend import ProfileOptions
from trtinspect.capture.trtexec import CaptureOptions
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check import Thresholds, run_check
from trtinspect.inspector.check_limits import KINDS
from trtinspect.parsers.bundle import load

NAN, INF = math.nan, math.inf
# field -> (bad value for the API, the same value as the flag or config text, what the refusal says)
BAD: dict[str, list[tuple[Any, str, str]]] = {
    "threshold": [(NAN, "nan", "finite"), (-0.05, "-5%", "not be negative"), (INF, "inf%", "finite")],
    "group_threshold": [(NAN, "nan", "finite"), (-0.1, "-10%", "not be negative")],
    "floor_ms": [(INF, "inf", "finite"), (-0.01, "-0.01", "not be negative")],
    "floor_share": [(1.5, "150%", "at most 100%"), (NAN, "nan%", "finite")],
    "min_share": [(1.5, "150%", "at most 100%"), (-0.01, "-1%", "not be negative")],
    "alpha": [(0.0, "0", "between 0 and 1"), (1.0, "100%", "between 0 and 1"), (NAN, "nan", "finite")],
    "spread_factor": [(NAN, "nan", "finite"), (-3.0, "-3", "not be negative")],
    "min_runs": [(1, "1", "at least 2"), (0, "0", "at least 2"), (2.5, "2.5", "whole number")],
    "strict_groups": [(1, "1", "true or false")],
}


def test_every_setting_has_bad_values_here() -> None:
    assert set(BAD) == set(KINDS) == {f for f in Thresholds.__dataclass_fields__}


@pytest.mark.parametrize("name, value, text, says",
                         [(n, v, t, s) for n, cases in BAD.items() for v, t, s in cases])
def test_thresholds_refuse_what_the_config_refuses(name: str, value: Any, text: str, says: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TrtInspectError) as exc:
        Thresholds(**{name: value})
    msg = str(exc.value)
    assert msg.startswith(f"Thresholds({name}=") and f" {name} " in msg and says in msg and "\n" not in msg, msg
    # the same value in a config file: refused by the same rule, naming the file
    cfg = tmp_path / "t.toml"
    cfg.write_text(f"[check]\n{name} = {text if name in ('min_runs', 'strict_groups') else repr(text)}\n")
    code, out, err = run_cli(["check", "--config", str(cfg), "--baseline", str(RESNET / "qat"),
                              "--candidate", str(RESNET / "qat-residual")], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert name in err and says in err and str(cfg) in err and "Traceback" not in err, err


def test_min_runs_one_through_the_api_never_gives_a_verdict() -> None:
    """The reviewer's call: refused when the object is made, before any run is read."""
    with pytest.raises(TrtInspectError, match=r"^Thresholds\(min_runs=1\): min_runs must be at least 2 "):
        Thresholds(min_runs=1)
    base, cand = load(RESNET / "qat"), load(RESNET / "qat-residual")
    result = run_check([base], [cand], Thresholds(min_runs=2, alpha=0.01, threshold=1.5, min_share=1.0))
    assert result.thresholds.min_runs == 2 and result.exit_code == 0   # sound values still run


@pytest.mark.parametrize("value", [NAN, INF, -INF, 0.0, -1.0, "5"])
def test_profile_options_refuse_what_duration_refuses(value: Any, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TrtInspectError) as exc:
        ProfileOptions(duration_s=value)
    assert str(exc.value).startswith(f"duration_s (--duration) {value!r} is not ") and "\n" not in str(exc.value)
    assert ProfileOptions(duration_s=0.5).duration_s == 0.5
    if isinstance(value, float):   # the flag: refused by the same rule, before the engine is looked at
        code, out, err = run_cli(["profile", str(tmp_path / "r.engine"), "--out", str(tmp_path / "x"),
                                  "--duration", str(value)], capsys)
        assert code == 2 and out == "" and "'--duration'" in err and not (tmp_path / "x").exists(), err
        said = str(exc.value).split(f"{value!r} ", 1)[1].split(" (seconds)")[0]   # e.g. "is not a finite number"
        assert f"'{value}' {said} (seconds)" in err, err   # the same words: one rule


@pytest.mark.parametrize("value", [NAN, INF, 0.0, -5.0])
def test_capture_options_refuse_what_timeout_refuses(value: float, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TrtInspectError, match=r"^timeout_s \(--timeout\) "):
        CaptureOptions(model=tmp_path / "m.onnx", out=tmp_path / "o", timeout_s=value)
    code, out, err = run_cli(["capture", str(tmp_path / "m.onnx"), "--out", str(tmp_path / "o"),
                              "--timeout", str(value)], capsys)
    assert code == 2 and out == "" and "'--timeout'" in err and not (tmp_path / "o").exists(), err

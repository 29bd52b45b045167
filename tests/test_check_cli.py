"""`trtinspect check` end to end on the real A100 bundles: exit codes and every CI output format."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import DATA, LOGS, RESNET, run_cli, thin_times

from trtinspect.cli import main

FP16, FP32, QAT = str(RESNET / "fp16"), str(RESNET / "fp32"), str(RESNET / "qat")
RTX3090 = DATA / "external" / "trex-rtx3090-resnet50"
MOBILENET = DATA / "external" / "trex-titanrtx-mobilenet"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["check", *args])
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_not_comparable_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 3 is for the environment: an A100 run against an RTX 3090 run (real TREx bundles)."""
    code, _, err = run(["--baseline", FP16, "--candidate", str(RTX3090 / "fp16")], capsys)
    assert code == 3
    assert "gpu differs" in err and "NVIDIA GeForce RTX 3090" in err and "Traceback" not in err
    assert "precision" not in err


def test_fp16_vs_fp32_regression_and_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    files = {k: tmp_path / f"out.{k}" for k in ("json", "md", "xml", "bencher", "gab")}
    code, out, _ = run(
        [
            "--baseline",
            FP16,
            "--candidate",
            FP32,
            "--json",
            str(files["json"]),
            "--markdown",
            str(files["md"]),
            "--junit",
            str(files["xml"]),
            "--bencher",
            str(files["bencher"]),
            "--benchmark-json",
            str(files["gab"]),
        ],
        capsys,
    )
    assert code == 1
    assert out.startswith("REGRESSION: build precision changed: FP32+FP16 -> FP32; ")
    assert "Conv_0 + Relu_1" in out
    assert "::warning title=trtinspect%3A build changed::build precision changed: FP32+FP16 -> FP32" in out
    assert "::error title=trtinspect%3A end-to-end regression::" in out
    assert "::error title=trtinspect%3A Conv_0 + Relu_1::" in out

    doc = json.loads(files["json"].read_text())
    assert doc["verdict"] == "regression" and doc["exit_code"] == 1
    reg = [g for g in doc["groups"] if g["status"] == "regression"]
    assert "Conv_0 + Relu_1" in {g["label"] for g in reg}
    assert doc["changes"] == ["build precision changed: FP32+FP16 -> FP32"] and doc["allowed_differences"] == []

    md = files["md"].read_text()
    assert md.splitlines()[0].startswith("### :x: trtinspect check: REGRESSION")
    assert md.index("Regressed fusion groups") < md.index("Conv_0 + Relu_1")

    root = ET.parse(files["xml"]).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == 1 + len(doc["groups"])  # one per group plus end-to-end
    assert cases[0].get("name") == "end-to-end GPU compute"
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == 1 + len(reg)
    assert root.find("testsuite").get("failures") == str(len(failures))  # type: ignore[union-attr]

    bencher = json.loads(files["bencher"].read_text())
    e2e = bencher["resnet.onnx/end-to-end gpu compute"]["latency"]
    assert e2e["value"] == pytest.approx(doc["end_to_end"]["cand_ms"] * 1e6)
    assert e2e["lower_value"] <= e2e["value"] <= e2e["upper_value"]

    gab = json.loads(files["gab"].read_text())
    assert all(set(x) >= {"name", "unit", "value"} and x["unit"] == "ms" for x in gab)
    assert gab[0]["value"] == pytest.approx(doc["end_to_end"]["cand_ms"], abs=1e-6)


def _split_runs(tmp_path: Path, k: int, prefix: str) -> list[str]:
    """k runs of the real qat bundle, each holding every k-th of its real iterations (derived at test time)."""
    src = RESNET / "qat"
    runs = []
    for i in range(k):
        run_dir = tmp_path / f"{prefix}{i}"
        shutil.copytree(src, run_dir)
        thin_times(run_dir, i, k)   # GENERATED: every k-th real iteration, the source run's summary emptied
        runs.append(str(run_dir))
    return runs


def test_pass_with_repeated_runs_json_to_stdout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    runs = _split_runs(tmp_path, 5, "run")
    code, out, _ = run(["--baseline", *runs[:3], "--candidate", *runs[3:], "--json", "-"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["baseline"]["runs"] == 3 and doc["candidate"]["runs"] == 2
    assert doc["verdict"] == "pass"


def test_the_same_run_given_twice_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--baseline", QAT, QAT, QAT, "--candidate", QAT], capsys)
    assert code == 2
    assert "identical measurements" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--candidate", QAT], "no baseline given"),
        (["--baseline", "/nonexistent/run", "--candidate", QAT], "/nonexistent/run"),
        (["--baseline", QAT, "--candidate", QAT, "--threshold", "five"], "percentage"),
        (["--baseline", QAT, "--candidate", QAT, "--allow-different", "colour"], "allow-different"),
        (["--baseline", QAT, "--candidate", str(RTX3090 / "qat")], "gpu differs"),  # exit 3
    ],
)
def test_bad_input_one_line(args: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(args, capsys)
    assert code == (3 if needle == "gpu differs" else 2)
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_empty_run_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "run0"
    empty.mkdir()
    code, _, err = run(["--baseline", str(empty), "--candidate", QAT], capsys)
    assert code == 2 and "Traceback" not in err and err.strip()


def test_config_file_and_expired_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    cfg = tmp_path / "ci.toml"
    cfg.write_text(
        '[check]\ngroup_threshold = "500%"\n\n[[check.overrides]]\nmatch = "Conv_0*"\nignore = true\n'
        'expires = 2000-01-01\nreason = "long gone"\n'
    )
    code, out, _ = run(
        [
            "--baseline",
            FP16,
            "--candidate",
            FP32,
            "--allow-different",
            "precision",
            "--config",
            str(cfg),
            "--json",
            str(tmp_path / "r.json"),
        ],
        capsys,
    )
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["thresholds"]["group_threshold"] == pytest.approx(5.0)
    # no group changed by 500%, but the end-to-end gate still fails (+131% > 5%)
    assert code == 1 and not [g for g in doc["groups"] if g["status"] == "regression"]
    conv0 = next(g for g in doc["groups"] if g["label"] == "Conv_0 + Relu_1")
    assert conv0["status"] != "ignored"  # the override expired
    assert any("expired on 2000-01-01" in n for n in doc["notes"])
    assert "::warning title=trtinspect%3A expired override::Conv_0*" in out


def test_same_named_engines_labelled_statistic_named_and_tiny_p(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fp16 and fp32 are both resnet.onnx: the readers' outputs name the arguments; medians are labelled;
    an underflowed p is p<1e-300, never p=0; the Markdown overflow line needs no JSON file."""
    from trtinspect.parsers.bundle import load

    a, b = "sample:resnet18-a100/fp16", "sample:resnet18-a100/fp32"
    n_a, n_b = (load(x).timing.iterations for x in (a, b))  # trtexec's measured window (issue 12)
    md, xml = tmp_path / "m.md", tmp_path / "j.xml"
    args = ["--baseline", a, "--candidate", b, "--allow-different", "precision", "--markdown", str(md)]
    code, out, _ = run([*args, "--junit", str(xml)], capsys)
    assert code == 1
    markdown, junit = md.read_text(encoding="utf-8"), xml.read_text(encoding="utf-8")
    assert f"baseline  {a} " in out and f"candidate  {b} " in out
    assert f"Baseline `{a}`" in markdown and f"candidate `{b}`" in markdown
    assert ET.fromstring(junit).find("testsuite").get("name") == f"trtinspect check {b}"  # type: ignore[union-attr]
    stat = f"median GPU compute over {n_a} vs {n_b} iterations"
    assert stat in out and stat in markdown and "(median;" in out
    unescape = {"&lt;": "<", "&gt;": ">"}
    for text in (out, *(re.sub("&[lg]t;", lambda m: unescape[m.group()], x) for x in (markdown, junit))):
        assert re.search(r"\bp=0(?![.\d])", text) is None
        assert "not tested for significance: 1 run per side, a test needs >= 3 a side" in text  # one run a side: no p
    n_regressed = re.search(r"(\d+) fusion group\(s\) regressed", out)
    assert n_regressed is not None and int(n_regressed.group(1)) > 15  # > MAX_ROWS: overflow line
    assert "(use --json for all)" in markdown and "JSON report" not in markdown


def test_distinct_names_are_kept(tmp_path: Path, qat_rerun: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # another run of the same engine (GENERATED, conftest): the same engine name on both sides
    code, out, _ = run(["--baseline", QAT, "--candidate", str(qat_rerun), "--json", str(tmp_path / "r.json")],
                       capsys)
    assert code == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["baseline"]["name"] == doc["candidate"]["name"] != QAT
    assert f"baseline  {QAT} " in out   # the same engine name both sides: the argument is shown


# ------------------------------------------------------------------------------ broken evidence (gap 4)


def _broken_copy(tmp_path: Path, label: str) -> tuple[Path, Path]:
    """A copy of the real TITAN RTX MobileNet QAT run with one file damaged as ``label`` says; the damaged
    file's path."""
    run_dir = tmp_path / label
    shutil.copytree(MOBILENET / "qat", run_dir)
    profile = next(run_dir.glob("*.profile.json"))
    timing = next(run_dir.glob("*.timing.json"))
    if label.startswith("truncated-"):  # a valid prefix: the writer died half-way
        target = profile if label.endswith("profile") else timing
        text = target.read_text()
        target.write_text(text[: len(text) // 2])
        return run_dir, target
    target = profile if label.startswith("profile") else timing
    key = "averageMs" if target is profile else "computeMs"
    value = {"negative": "-180.0", "nan": "NaN", "infinity": "Infinity", "string": '"fast"'}[label.split("-")[1]]
    text = target.read_text()
    target.write_text(re.sub(rf'"{key}"\s*:\s*[0-9.eE+-]+', f'"{key}": {value}', text, count=1))
    return run_dir, target


@pytest.mark.parametrize(
    "label",
    [
        "truncated-profile",
        "truncated-timing",
        *(f"{kind}-{v}" for kind in ("profile", "timing") for v in ("negative", "nan", "infinity", "string")),
    ],
)
def test_broken_evidence_never_passes(label: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A candidate with a truncated profile (valid prefix), or negative / NaN / Infinity / string times, is
    refused with exit 2 and one line naming the file; it never gets a verdict (real MobileNet QAT run)."""
    bad_run, bad_file = _broken_copy(tmp_path, label)
    for base, cand in ((str(MOBILENET / "qat"), str(bad_run)), (str(bad_run), str(MOBILENET / "qat"))):
        code, out, err = run(["--baseline", base, "--candidate", cand], capsys)
        assert code == 2, (label, out, err)
        assert "PASS" not in out and "REGRESSION" not in out
        assert err.count("\n") == 1 and bad_file.name in err and "Traceback" not in err, (label, err)


def test_nsys_export_without_tensorrt_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """A real Nsight Systems export of a PyTorch job (no TensorRT activity) is no evidence: exit 2, one line."""
    export = DATA / "nsys" / "h100_2gpu_1s.sqlite"
    for args in (["--baseline", str(export), "--candidate", str(export)],
                 ["--baseline", QAT, "--candidate", str(export)]):
        code, out, err = run(args, capsys)
        assert code == 2 and out == "" and err.count("\n") == 1
        assert "h100_2gpu_1s.sqlite" in err and "no TensorRT activity" in err


# ------------------------------------------------------------------------------ hostile names (issue 17)

# labels name layers whole (they were cut at 60 characters, leaving this one's HTML out of every report)
HOSTILE = "Conv_8,file=ci.yml,line=1,title=X::\x01\x0b\x1b[31m`<img src=x>%0A|"


def _hostile_runs(tmp_path: Path) -> tuple[str, str]:
    """Profile-only runs of the real MobileNet QAT profile whose largest layer got a hostile name; the
    candidate's copy of it is 50% slower."""
    rows = json.loads(next((MOBILENET / "qat").glob("*.profile.json")).read_text())
    big = max(range(1, len(rows)), key=lambda i: rows[i]["averageMs"])
    rows[big]["name"] = HOSTILE
    out = []
    for side, factor in (("base", 1.0), ("cand", 1.5)):
        r = json.loads(json.dumps(rows))
        for key in ("timeMs", "averageMs", "medianMs"):
            if key in r[big]:
                r[big][key] *= factor
        path = tmp_path / side / "m.profile.json"
        path.parent.mkdir()
        path.write_text(json.dumps(r))
        out.append(str(path))
    return out[0], out[1]


def test_hostile_layer_names_are_escaped_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the CLI (the loader already shows control characters in names as ``\\u0001`` text). The renamed
    layer is the largest of the real batch-1 MobileNet (0.0164 ms), +50% in the candidate: 1.7% end to end, under
    the 5% gate, and caught by the engine-scaled floor (the old fixed 0.01 ms floor passed it silently)."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    base, cand = _hostile_runs(tmp_path)
    md, xml, js = tmp_path / "r.md", tmp_path / "r.xml", tmp_path / "r.json"
    code, out, _ = run(
        ["--baseline", base, "--candidate", cand, "--markdown", str(md), "--junit",
         str(xml), "--json", str(js)],
        capsys,
    )
    assert code == 1
    doc = json.loads(js.read_text())
    (label,) = [g["label"] for g in doc["groups"] if g["status"] == "regression"]
    assert label.startswith("Conv_8,file=ci.yml,line=1,title=X::")
    # GitHub annotations: properties escape % CR LF : , (no injected file=/line=/title=), messages % CR LF
    errors = [line for line in out.splitlines() if line.startswith("::error title=trtinspect%3A Conv_8")]
    assert len(errors) == 1
    props, _, message = errors[0][len("::error "):].partition("::")
    assert props.startswith("title=") and "," not in props and ":" not in props  # one property
    assert props.startswith("title=trtinspect%3A Conv_8%2Cfile=ci.yml%2Cline=1%2Ctitle=X%3A%3A")
    assert "\r" not in message and "\n" not in message
    # JUnit parses; Markdown keeps the name in a code span longer than its backtick, no raw HTML
    ET.parse(xml)
    text = md.read_text()
    row = next(line for line in text.splitlines() if "Conv_8" in line)
    assert "`Conv_8,file=ci.yml,line=1,title=X::" in row and "`<img src=x>%0A\\|``" in row
    outside_code = re.sub(r"(`+)(.+?)(?<!`)\1(?!`)", "", text)     # in a code span HTML is shown, not run
    assert "<img" not in outside_code and "&lt;img" in text


def test_raw_control_characters_in_names_every_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """Library callers can hand the renderers any string: a real check result whose regressed group is renamed
    to raw control characters, CR/LF, ANSI escapes, backticks and HTML."""
    import dataclasses

    from trtinspect.inspector.check import run_check
    from trtinspect.parsers.bundle import load
    from trtinspect.render import check as check_report

    r = run_check([load(FP16)], [load(FP32)])
    nasty = HOSTILE + "\r\n::error::x\ud800\ufffe"
    groups = r.groups.copy()
    groups.loc[groups.index[0], "label"] = nasty
    r = dataclasses.replace(r, groups=groups, candidate_name="cand\x01")
    root = ET.fromstring(check_report.to_junit(r))  # well-formed
    assert any("\\x01\\x0b\\x1b[31m`<img src=x>" in (c.get("name") or "") for c in root.iter("testcase"))
    lines = check_report.github_annotations(r)
    assert all("\n" not in a and "\r" not in a and "\x1b" not in a for a in lines)
    hostile = [a for a in lines if "ci.yml" in a]
    assert len(hostile) == 1 and hostile[0].count("::") == 2  # '::' in the name escaped as %3A%3A
    text = check_report.to_text(r)
    assert not any(ch in text for ch in "\x01\x0b\x1b\r")
    md = check_report.to_markdown(r)
    assert "<img" not in md.replace(check_report.md_code(nasty), "") and "\x1b" not in md


def test_markdown_code_span_and_xml_text_by_hand() -> None:
    from trtinspect.render import check as check_report

    assert check_report.md_code("a`b") == "``a`b``"
    assert check_report.md_code("`x`") == "`` `x` ``"
    assert check_report.md_code("<img src=x onerror=alert(1)>") == "`<img src=x onerror=alert(1)>`"
    assert check_report.xml_text("a\x00b\x0bc\ud800d\ufffee\tf") == "a\\x00b\\x0bc\\ud800d\\ufffee\tf"
    assert check_report.gh_property("a:b,c%d\r\n") == "a%3Ab%2Cc%25d%0D%0A"
    assert check_report.gh_data("a:b,c%d\r\n") == "a:b,c%25d%0D%0A"


def test_a_run_checked_against_itself_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """TensorRT review: `check --baseline X --candidate X` printed PASS +0.0% and nothing else; then PASS with a
    note. A candidate that is a baseline run - the same folder, `qat` and `qat/`, `sample:` and its folder, a
    copy, the folder and its own profile, a copy whose --exportTimes file is the baseline's, one log twice - is
    bad input: exit 2, one line, never a verdict (docs/check.md, exit codes)."""
    copy, times_copy = tmp_path / "qatcopy", tmp_path / "times-copied"
    shutil.copytree(QAT, copy)
    shutil.copytree(QAT, times_copy)   # another profile, the baseline's per-iteration times
    prof = next(times_copy.glob("*.profile.json"))
    prof.write_text(prof.read_text(encoding="utf-8").replace("0.06144,", "0.06145,"), encoding="utf-8")
    monkeypatch.chdir(RESNET)
    log = str(LOGS / "trt10.16-h100" / "result-01.log")
    for base, cand, why in (
        (QAT, QAT, "the same per-iteration times"), ("qat", "qat/", "the same per-iteration times"),
        ("sample:resnet18-a100/qat", "qat", "the same"), (str(copy), QAT, "the same"),
        ("qat", next(Path("qat").glob("*.profile.json")), "the same per-layer profile"),
        ("qat", str(times_copy), "the same per-iteration times (3614 iterations)"),
        (log, log, "the same performance summary"),
    ):
        code, out, err = run(["--baseline", base, "--candidate", str(cand)], capsys)
        assert code == 2 and out == "", (base, cand, out)
        assert err.count("\n") == 1 and "is baseline run 0" in err and why in err, err
        assert "compares nothing and never passes" in err and "Traceback" not in err
        assert cand != log or err.startswith(f"trtinspect: error: {log}: "), err   # one file: named itself


def test_library_check_and_diff_refuse_an_export_without_tensorrt() -> None:
    """The library entry points refuse it too (not only the CLI): run_check and diff raise the project's user
    error naming the file and the reason, before any timing or alignment work."""
    import trtinspect
    from trtinspect.errors import TrtInspectError
    from trtinspect.inspector.check import run_check
    from trtinspect.inspector.diff import diff

    export = trtinspect.load(DATA / "nsys" / "h100_2gpu_1s.sqlite")
    engine = trtinspect.load(QAT)
    for call in (lambda: run_check([export], [engine]), lambda: run_check([engine], [export]),
                 lambda: diff(export, engine), lambda: diff(engine, export)):
        with pytest.raises(TrtInspectError) as info:
            call()
        msg = str(info.value)
        assert "h100_2gpu_1s.sqlite" in msg and "no TensorRT activity" in msg and "\n" not in msg


def test_summary_logs_use_the_printed_median(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A trtexec summary log's printed median is the end-to-end centre, as for every other input kind (the
    log's mean, 3.81574 -> 3.25105, is not used); the statistic is said."""
    f = Path(__file__).parents[1] / "sample_engines/trtexec-logs/seed-fx-vs-implicit-int8"
    _, out, _ = run(["--baseline", str(f / "fx-qdq-int8.before-fix.summary.log"),
                     "--candidate", str(f / "fx-qdq-int8.after-fix.summary.log"), "--json", str(tmp_path / "o.json")],
                    capsys)
    doc = json.loads((tmp_path / "o.json").read_text())
    assert "3.8142 -> 3.2461 ms (median;" in out
    e2e = doc["end_to_end"]
    assert (e2e["base_ms"], e2e["cand_ms"]) == (pytest.approx(3.81421), pytest.approx(3.24609))
    assert e2e["statistic"].startswith("median GPU compute as trtexec prints it")
    assert "(median;" in doc["headline"]


def test_model_rule_shared_with_diff(capsys: pytest.CaptureFixture[str]) -> None:
    """One rule for 'different networks' in check and diff (inspector.model_match): A100 ResNet-18 FP16 vs QAT
    is one network (gated, exit 1 here: two groups slower), the H100 Myelin engine is another (exit 3, once)."""
    code, out, err = run(["--baseline", str(RESNET / "fp16"), "--candidate", str(RESNET / "qat")], capsys)
    assert code in (0, 1) and out.startswith(("REGRESSION", "PASS")), err
    code, out, err = run(["--baseline", str(RESNET / "fp16"), "--candidate",
                          str(Path(__file__).parents[1] / "sample_engines/trtexec-logs/trt10.16-h100/result-05.log"),
                          "--allow-different", "gpu", "trt_version", "input_shapes", "cuda_graph", "spin_wait",
                          "data_transfers", "profiling"], capsys)
    assert code == 3 and out == "" and err.count("different networks") == 1, err


def test_single_sample_profiles_and_untested_verdict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """RTX 3090 ResNet-50 profiles hold {"count": 1}: check says so and labels its column 'threshold' (a fixed
    rule, not a measured detection limit) in text, Markdown and JSON; the verdict says its basis (1 vs 1 runs)."""
    md, js = tmp_path / "o.md", tmp_path / "o.json"
    code, out, _ = run(["--baseline", str(RTX3090 / "qat"), "--candidate", str(RTX3090 / "fp16"),
                        "--markdown", str(md), "--json", str(js)], capsys)
    assert code == 1
    head = out.splitlines()[0]
    assert head.endswith("regressed (threshold only; 1 vs 1 runs, not tested for significance); -0.1186 ms in 2 "
                         "removed groups (not judged)")
    assert "regression; threshold only; 1 vs 1 runs, not tested for significance)" in head
    assert "per-layer times from 1 profiled run: single sample, no spread" in out
    assert " threshold " in out and "min det" not in out and "minimum detectable" not in out
    text = md.read_text()
    assert "threshold (size rule)" in text and "min detectable" not in text
    group = json.loads(js.read_text())["groups"][0]
    assert "size_threshold_pct" in group and "mde_pct" not in group


def test_single_sample_said_by_lint_and_diff() -> None:
    """lint and diff state the single profiled iteration of the A100 ResNet-18 profiles ({"count": 1})."""
    import trtinspect
    from trtinspect.inspector.diff import diff
    from trtinspect.inspector.lint import lint

    qat = trtinspect.load(RESNET / "qat")
    assert qat.profile_runs == 1
    assert lint(qat).attrs["profile_note"] == "per-layer times from 1 profiled run: single sample, no spread"
    r = diff(trtinspect.load(RESNET / "qat-residual"), qat, findings=False)
    assert any("single sample, no spread" in n for n in r.notes)


def test_group_shares_use_the_bundle_layer_total_on_an_excerpt(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    """seed implicit-int8 vs fx-qdq-int8 --dumpProfile excerpts: group shares, the engine floor and the 1% share
    criterion are against each side's per-layer total (the Total row: 3.1414 / 3.8038 ms, what report, lint and
    diff use), not the 1.4451 ms the listed rows hold; so Conv_129 + ... is 8.4% (0.2632/3.1414, not 18.2%), the
    floor is 0.01 ms, Conv_109/Conv_116 + Add (0.0323 ms, 0.85% < 1%) are not flagged, and the unlisted part of
    each total is said."""
    f = Path(__file__).parents[1] / "sample_engines/trtexec-logs/seed-fx-vs-implicit-int8"
    code, out, _ = run(["--baseline", str(f / "implicit-int8.profile.log"),
                        "--candidate", str(f / "fx-qdq-int8.profile.log"), "--json", str(tmp_path / "o.json")], capsys)
    doc = json.loads((tmp_path / "o.json").read_text())
    groups = {g["label"]: g for g in doc["groups"]}
    top = next(g for label, g in groups.items() if label.startswith("Conv_129 + Relu_130"))
    assert top["base_share_pct"] == pytest.approx(100 * 0.2632 / 3.1414, abs=0.01)
    assert {g["floor_ms"] for g in groups.values() if g["status"] != "added"} == {0.01}
    regressed = {label for label, g in groups.items() if g["status"] == "regression"}
    assert not any(label.startswith(("Conv_109", "Conv_116")) for label in regressed)
    assert code == 1 and len(regressed) == 3
    assert "the listed rows hold 1.4451 ms, the 1.6963 ms no row lists is in no group" in out


def test_two_formats_to_stdout_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """`--json - --markdown -` would write two documents on one stream: one line, exit 2, before any loading."""
    code, out, err = run_cli(["check", "--baseline", "sample:resnet18-a100/fp32", "--candidate",
                              "sample:resnet18-a100/fp16", "--json", "-", "--markdown", "-"], capsys)
    assert code == 2 and out == ""
    assert "--json - and --markdown - would both write to standard output" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2

"""Every output format escapes what it prints (issue 17): one layer of a real engine renamed to hostile
strings, then every renderer: terminal text, HTML, Markdown, JUnit XML, SARIF, GitHub annotations."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run_cli, thin_times

from trtinspect.render.escape import md_cell, md_text, printable, printable_lines, printable_text, xml_text

ROOT = Path(__file__).resolve().parent.parent
QAT = ROOT / "sample_engines" / "resnet18-a100" / "qat"
VICTIM = "QuantizeLinear_40"          # a standalone quantize: in the profile, in lint findings, in diff groups
HOSTILE = {
    "html": "<img src=x onerror=alert(1)><script>alert(2)</script>",
    "gh": "Conv_8 + Relu_9,file=.github/workflows/ci.yml,line=1,title=X::error::pwned",
    "control": "ctl\x01\x0b\x1b[2Jname",
    "markdown": "`x`|[l](javascript:alert(1))",
    "rich": "[bold red]markup[/]",
}


def hostile_bundle(tmp: Path, name: str, slow: float = 1.0) -> Path:
    out = tmp / f"hostile-{abs(hash((name, slow)))}"
    shutil.copytree(QAT, out)
    for f in out.glob("*.json"):
        text = f.read_text(encoding="utf-8")
        if VICTIM in text:
            text = text.replace(f'"{VICTIM}"', json.dumps(name))
            f.write_text(text, encoding="utf-8")
    if slow != 1.0:
        prof = next(out.glob("*.profile.json"))
        recs = json.loads(prof.read_text(encoding="utf-8"))
        for r in recs:
            if isinstance(r, dict) and r.get("name") == name:
                r["averageMs"] *= slow
                r["medianMs"] = r.get("medianMs", r["averageMs"]) * slow
                r["timeMs"] *= slow
        prof.write_text(json.dumps(recs), encoding="utf-8")
        thin_times(out)   # another run (GENERATED: every other real iteration), not the baseline's times again
    return out


def test_escape_helpers() -> None:
    assert "<" not in md_text("<script>") and "\\|" in md_cell("a|b") and "\n" not in md_cell("a\nb")
    assert printable("a\x1bb") == "a\\x1bb" and printable("tab\tnl\n\r") == "tab\\x09nl\\x0a\\x0d"
    assert printable_lines(["a", "b\nc", "  ::error x::y"]) == "a\nb\\x0ac\n  \\x3a:error x::y\n"
    assert printable_text("own\nlayout\x1b\r\n::warning::x") == "own\nlayout\\x1b\\x0d\n\\x3a:warning::x"
    assert md_text("a\nb") == "a\\\\x0ab"          # the backslash itself escaped: Markdown shows a\\x0ab
    ET.fromstring(f"<a>{xml_text('x' + chr(1) + chr(11) + 'y')}</a>")


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_report_lint_diff_every_format(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = HOSTILE[kind]
    bundle = str(hostile_bundle(tmp_path, name))
    outputs: dict[str, str] = {}
    for cmd, fmts in (("report", ("text", "markdown", "json")), ("lint", ("text", "markdown", "json", "sarif"))):
        for fmt in fmts:
            code, out, err = run_cli([cmd, bundle, "--format", fmt], capsys)
            assert code in (0, 1) and "internal error" not in err, (cmd, fmt, err)
            outputs[f"{cmd}-{fmt}"] = out
    for fmt in ("text", "markdown", "json", "html"):
        code, out, err = run_cli(["diff", "sample:resnet18-a100/qat", bundle, "--format", fmt], capsys)
        assert code == 0, err
        outputs[f"diff-{fmt}"] = out
    assert any(name in o or json.dumps(name)[1:-1] in o for o in outputs.values()) or kind == "control"
    for key, out in outputs.items():
        fmt = key.split("-")[1]
        if fmt == "html":        # the inlined plotly.js library is not ours to check; everything else is
            out = re.sub(r"<script[^>]*>.*?</script>", "", out, flags=re.DOTALL)
        assert "\x1b" not in out and "\x01" not in out and "\x0b" not in out, key     # no raw controls anywhere
        if fmt in ("markdown", "html"):
            assert "<script" not in out and "<img" not in out, key
        if fmt == "markdown":
            assert re.search(r"(?<!\\)\]\(javascript", out) is None, key
        if fmt in ("json", "sarif"):
            json.loads(out)
    if kind == "rich":
        assert "[bold red]markup[/]" in outputs["report-text"] + outputs["lint-text"]   # printed, not styled


@pytest.mark.parametrize("kind", ["gh", "control", "html"])
def test_check_formats(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A regression of the hostile layer: annotations, JUnit and Markdown stay well-formed and inert."""
    name = HOSTILE[kind]
    base = hostile_bundle(tmp_path, name)
    cand = hostile_bundle(tmp_path, name, slow=40.0)
    junit, md = tmp_path / "j.xml", tmp_path / "m.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = run_cli(["check", "--baseline", str(base), "--candidate", str(cand), "--junit", str(junit),
                          "--markdown", str(md)], capsys)
    assert code in (0, 1), err
    ET.parse(junit)                                                     # well-formed XML 1.0
    text = md.read_text(encoding="utf-8")
    outside_code = re.sub(r"`[^`\n]*`", "", text)           # inside a code span, HTML is shown, not run
    assert "<script" not in outside_code and "<img" not in outside_code
    for line in (out + err).splitlines():
        m = re.match(r"^::(error|warning|notice)( [^:]*)?::", line)
        if m and m.group(2):
            props = m.group(2).strip()
            keys = [p.split("=", 1)[0] for p in props.split(",")]
            assert set(keys) <= {"title", "file", "line", "endLine", "col", "endColumn"}, line
            assert "file" not in keys, line                           # nothing injected a file= property


LINE_BREAKER = "z\n::error file=z::boom\rX"     # new-user trial: GitHub read this as its own annotation


def _no_command_or_raw_break(out: str, key: str) -> None:
    assert "\r" not in out and "\x1b" not in out, key
    for line in out.splitlines():
        assert not line.lstrip().startswith("::"), (key, line)        # GitHub trims, then looks for "::"


def test_line_breaks_in_names_are_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A layer name is one line in every text/Markdown output: its LF and CR are shown as \\x0a / \\x0d, so no
    output line becomes a GitHub workflow command and no CR overwrites the terminal line."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    bundle = str(hostile_bundle(tmp_path, LINE_BREAKER))
    shown = "z\\x0a::error file=z::boom\\x0dX"
    for cmd, fmt in (("lint", "text"), ("lint", "markdown"), ("report", "text"), ("report", "markdown")):
        code, out, err = run_cli([cmd, bundle, "--format", fmt, "--top", "0"] if cmd == "lint" else
                                 [cmd, bundle, "--format", fmt], capsys)
        assert code == 0, err
        _no_command_or_raw_break(out, f"{cmd}-{fmt}")
        assert (shown if fmt == "text" else md_text(LINE_BREAKER)) in out or cmd == "report", (cmd, fmt)
    for fmt in ("text", "markdown"):
        code, out, err = run_cli(["diff", "sample:resnet18-a100/qat", bundle, "--format", fmt, "--top", "100"],
                                 capsys)
        assert code == 0, err
        _no_command_or_raw_break(out, f"diff-{fmt}")
        code, out, err = run_cli(["report", bundle, "--format", fmt, "--name", "A\n::error::B"], capsys)
        assert code == 0 and "x0a::error::B" in out, err
        _no_command_or_raw_break(out, f"report-{fmt}--name")
    code, out, err = run_cli(["report", str(tmp_path / "a\n::error file=z::boom\r.json")], capsys)
    assert code == 2 and err.count("\n") == 1 and "a\\x0a::error file=z::boom\\x0d.json" in err, err


LOG = ROOT / "sample_engines" / "trtexec-logs" / "trt10.16-h100" / "result-05.log"
# rich markup and emoji codes in layer names of a real trtexec log: printed exactly by the text renderers
RICH_NAMES = {"node_conv2d_myl0_1": "{ForeignNode[/model/conv/Conv.../model/relu/Relu]}",
              "node_conv2d_1_myl3_1": "[/x]", "node_linear_myl5_2": "[bold]b",
              "node_linear_1_2_myl5_3": "[link=https://e.example]l[/link]", "node_max_pool2d_1": "back\\slash\\",
              "__myl_MaxrSubExpSum_myl5_4": ":smile: \\[i]"}


def test_text_output_prints_rich_markup_names_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report/diff text used to parse names as rich markup: "[/x]" was an internal error (exit 2) and
    "{ForeignNode[a...b]}" (TensorRT 8.6+ Myelin names) printed as "{ForeignNode}"."""
    text = LOG.read_text(encoding="utf-8")
    for old, new in RICH_NAMES.items():
        assert text.count(f"   {old}\n") == 1
        text = text.replace(f"   {old}\n", f"   {new}\n")
    log = tmp_path / "hostile[b]y[i].log"              # the engine name (file stem) is in the summary too
    log.write_text(text, encoding="utf-8")
    code, out, err = run_cli(["report", str(log), "--name", "run[/x] [bold]"], capsys)
    assert code == 0, err
    assert "run[/x] [bold]" in out
    for name in RICH_NAMES.values():
        assert name in out, name
    code, out, err = run_cli(["diff", str(LOG), str(log)], capsys)
    assert code == 0 and "internal error" not in err, err
    assert "{ForeignNode[/model/conv/Conv" in out and "B: hostile[b]y[i]" in out and "(hostile[b]y[i])" in out


def test_real_foreign_node_name_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    """A real Jetson Xavier NX log: its Myelin layer keeps its whole name in report and diff text."""
    log = str(ROOT / "tests" / "data" / "external" / "xavier-nx-trt8.5.2-lprnet" / "profile.log")
    code, out, err = run_cli(["report", log], capsys)
    assert code == 0, err
    assert "{ForeignNode[lstm_W...Max_reduce_min]}" in out and "{ForeignNode}" not in out
    code, out, err = run_cli(["diff", log, log], capsys)
    assert code == 0, err
    assert "{ForeignNode}" not in out

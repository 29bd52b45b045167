"""Groups a fused op moved between are one re-partitioned group in diff, as check judges them (review of
`trtinspect diff`, defect 2). qat-residual runs `layer2.0.conv2 + Add_115 + Relu_116` and a plain
`layer2.0.downsample.0`; qat a plain conv2 and `layer2.0.downsample.0 + Add_97 + Relu_98`. check said
"repartitioned +7.5%"; diff listed the downsample "+33.3%" and conv2 "-3.6%" as two groups."""

from __future__ import annotations

import html
import json

import pytest
from click.testing import CliRunner

from trtinspect.cli import cli

S = "sample:resnet18-a100"
LABEL = "layer2.0.conv2 + layer2.0.downsample.0"
WHY = ("the fused Add and Relu moved from layer2.0.conv2 (A) into layer2.0.downsample.0 (B), so neither layer did "
       "the same work on both sides")


def _run(*args: str) -> str:
    out = CliRunner().invoke(cli, list(args))
    assert out.exit_code in (0, 1), out.output      # check exits 1 on its (end-to-end) regression
    return out.output


def _diff(fmt: str, a: str = "qat-residual", b: str = "qat") -> str:
    return _run("diff", f"{S}/{a}", f"{S}/{b}", "--no-lint", "--top", "0", "--format", fmt)


def test_json_one_group_with_check_s_delta_and_its_parts() -> None:
    doc = json.loads(_diff("json"))
    group = next(g for g in doc["groups"] if g["label"] == LABEL)
    assert group["kind"] == "repartitioned" and (group["n_a"], group["n_b"]) == (2, 2)
    assert round(group["delta_pct"], 1) == 7.5
    check = json.loads(_run("check", "--baseline", f"{S}/qat-residual", "--candidate", f"{S}/qat", "--json", "-"))
    same = next(g for g in check["groups"] if g["group_id"] == group["group_id"])
    assert (same["label"], same["kind"]) == (LABEL, "repartitioned")
    assert same["delta_ms"] == group["delta_ms"] and same["base_ms"] == group["a_ms"]
    # no group of the layer-by-layer pairing is left (members point to the merged group)
    assert not any(g["label"] in ("layer2.0.conv2", "layer2.0.downsample.0") for g in doc["groups"])
    assert {m["group_id"] for m in doc["members"] if "layer2.0.conv2.weight" in m["name"]} == {group["group_id"]}
    # the per-layer detail: the two pairs, whose deltas add up to the group's
    detail = next(m for m in doc["repartitioned_groups"] if m["group_id"] == group["group_id"])
    assert detail["reason"] == f"judged as one group: {WHY}" and detail["ops"] == "Add and Relu"
    parts = {p["label"]: p for p in detail["parts"]}
    assert round(parts["layer2.0.downsample.0"]["delta_pct"], 1) == 33.3
    assert round(parts["layer2.0.conv2"]["delta_pct"], 1) == -3.6
    assert sum(p["delta_ms"] for p in parts.values()) == pytest.approx(group["delta_ms"], abs=1e-12)
    assert len(doc["repartitioned_groups"]) == 3              # layer2.0, layer3.0, layer4.0
    ev = next(e for e in doc["events"] if group["group_id"] in e["group_ids"])
    assert ev["text"] == ("3 groups of convolutions (the fused Add and Relu moved between their "
                          "layers) now output FP16 instead of INT8 (+0.003 ms)")


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_format_shows_the_merged_group_and_its_pairs(fmt: str) -> None:
    out = _diff(fmt)
    out = html.unescape(out) if fmt == "html" else out.replace("\\_", "_") if fmt == "markdown" else out
    flat = " ".join(out.split())
    row = {"text": "│ 10 │ repartitioned │ layer2.0.conv2 + │ 0.0410 │ 0.0440 │ +0.0031 │ +7.5% │ 2 → 2",
           "markdown": f"| repartitioned | {LABEL} | 0.0410 | 0.0440 | +0.0031 | +7.5% |",
           "html": f"<td>repartitioned</td><td>{LABEL}</td><td class=\"num\">0.0410</td>"}[fmt]
    assert row in (flat if fmt == "text" else out)
    assert f"Re-partitioned group 10 ({LABEL}): {WHY}; one group, +0.0031 ms (+7.5%); layer by layer" in flat
    assert "+33.3%" in flat and "-3.6%" in flat                    # the pairs, under the merged group only
    assert "Add and Relu nodes moved into a different fused layer" not in flat
    assert "the fused Add and Relu moved between neighbouring layers in 3 places" in flat


def test_mirror_merges_the_same_layers() -> None:
    doc = json.loads(_diff("json", "qat", "qat-residual"))
    group = next(g for g in doc["groups"] if g["label"] == LABEL)
    assert group["kind"] == "repartitioned" and round(group["delta_pct"], 1) == round(-3.072 / 44.032 * 100, 1)
    assert "layer2.0.downsample.0 (A) into layer2.0.conv2 (B)" in doc["repartitioned_groups"][0]["reason"]


def test_no_merge_no_new_key() -> None:
    """Pairs without such a move keep their JSON as it was (no repartitioned_groups key)."""
    assert "repartitioned_groups" not in json.loads(_diff("json", "fp16", "fp32"))


def test_app_diff_page_shows_the_merged_group_and_its_pairs() -> None:
    from trtinspect.app import callbacks as cb
    from trtinspect.app.state import Registry

    reg = Registry()
    reg.load_samples()
    a, b = "resnet18-a100-qat-residual", "resnet18-a100-qat"
    _summary, _charts, rows, _ = cb.diff_view(reg, a, b)
    row = next(r for r in rows if r["label"] == LABEL)
    assert (row["kind"], row["delta_pct"], row["layers"]) == ("repartitioned", 7.5, "2/2")
    dg = reg.diff_graph(a, b)
    unit = [int(g) for g in dg.gids].index(row["group_id"])
    details = json.dumps(cb.diff_details(reg, a, b, {"unit": unit}).to_plotly_json(), default=str)
    assert WHY in details and "layer2.0.downsample.0: 0.0123" in details and "layer2.0.conv2: 0.0287" in details

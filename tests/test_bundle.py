"""trtinspect.load / join_profile / sniff against the real sample bundles and logs."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, LOGS, RESNET, RESNET_VARIANTS, resnet_file

import trtinspect
from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.bundle import EXPORT_COMMAND, load
from trtinspect.parsers.join import join_profile, normalise_name
from trtinspect.parsers.sniff import detect_kind

SUFFIX_KIND = {
    "graph.json": "layer_info", "profile.json": "profile", "timing.json": "times",
    "build.metadata.json": "trex_build_metadata", "profile.metadata.json": "trex_profile_metadata",
    "metadata.json": "trex_device_metadata",
}


# ----------------------------------------------------------------------------------------------------- sniff
@pytest.mark.parametrize("suffix", sorted(SUFFIX_KIND))
def test_sniff_trex_files(suffix: str) -> None:
    for variant in RESNET_VARIANTS:
        assert detect_kind(resnet_file(variant, suffix)) == SUFFIX_KIND[suffix]


def test_sniff_logs_and_others(tmp_path: Path) -> None:
    assert detect_kind(LOGS / "trt10.16-h100" / "result-05.log") == "trtexec_log"
    # a JSON export named .log
    assert detect_kind(LOGS / "trt10.16-h100" / "model-trained-exportLayerInfo.log") == "layer_info"
    assert detect_kind(LOGS / "trt8.4" / "modelInformation.log") == "layer_info"
    assert detect_kind(LOGS / "seed-fx-vs-implicit-int8" / "implicit-int8.profile.log") == "trtexec_log"
    for sqlite in sorted((DATA / "nsys").glob("*.sqlite")):
        assert detect_kind(sqlite) == "nsys_sqlite"
    plan = tmp_path / "m.plan"
    plan.write_bytes(bytes(range(256)) * 8)
    assert detect_kind(plan) == "engine"
    blob = tmp_path / "m.bin"
    blob.write_bytes(bytes(range(256)) * 8)
    assert detect_kind(blob) == "unknown"
    rep = tmp_path / "r.nsys-rep"
    rep.write_bytes(b"\x00\x01whatever")
    assert detect_kind(rep) == "nsys_rep"
    (tmp_path / "e.json").write_text("  ")
    assert detect_kind(tmp_path / "e.json") == "unknown"


# ---------------------------------------------------------------------------------------------- TREx bundles
@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_trex_bundle_values(variant: str) -> None:
    b = trtinspect.load(f"sample:resnet18-a100/{variant}")
    graph = json.loads(resnet_file(variant, "graph.json").read_text())
    profile = json.loads(resnet_file(variant, "profile.json").read_text())
    timing = json.loads(resnet_file(variant, "timing.json").read_text())
    perf = json.loads(resnet_file(variant, "profile.metadata.json").read_text())["performance_summary"]
    build = json.loads(resnet_file(variant, "build.metadata.json").read_text())
    assert len(b.layers) == len(graph["Layers"]) and b.detailed
    assert b.layers["name"].tolist() == [layer["Name"] for layer in graph["Layers"]]
    assert len(b.profile) == len(profile) - 1
    assert b.unmatched_profile == [] and b.unmatched_layers == []
    joined = b.layer_times()
    assert (joined["match"] == "exact").all()
    assert joined["avg_ms"].sum() == pytest.approx(sum(r["averageMs"] for r in profile[1:]))
    assert b.total_layer_ms() == pytest.approx(sum(r["averageMs"] for r in profile[1:]))
    assert len(b.times) == len(timing)
    gpu_mean = b.summary[(b.summary.metric == "GPU Compute Time") & (b.summary.stat == "mean")]["value"]
    assert float(gpu_mean.iloc[0]) == perf["GPU Compute Time"][2]
    assert b.device["name"] == "NVIDIA A100 80GB PCIe"
    assert b.build_options["Precision"] == build["build_options"]["Precision"]
    assert b.model_options == build["model_options"]
    assert sorted(b.sources) == sorted(SUFFIX_KIND.values())
    assert all(len(v) == 1 and v[0].exists() for v in b.sources.values())
    assert b.trt_version is None and any("version" in n for n in b.notes)


def _engine_path(variant: str) -> Path:
    graph = resnet_file(variant, "graph.json")
    return graph.with_name(graph.name[: -len(".graph.json")])


def test_engine_path_finds_sidecars_even_without_engine_file() -> None:
    engine = _engine_path("qat")
    assert not engine.exists()
    b = load(engine)
    assert len(b.sources) == 6 and "engine" not in b.sources and b.name == "resnet-qat.onnx"


def test_engine_file_with_sidecars(tmp_path: Path) -> None:
    src = RESNET / "fp16"
    for f in src.iterdir():
        shutil.copy(f, tmp_path / f.name)
    engine = tmp_path / "resnet.onnx.engine"
    engine.write_bytes(b"ptrt\x00\x01" + bytes(range(256)) * 16)
    (tmp_path / "other.engine.graph.json").write_text("{}")  # another engine's file: must not be picked up
    b = load(engine)
    assert b.sources["engine"] == [engine]
    assert b.sources["layer_info"] == [tmp_path / "resnet.onnx.engine.graph.json"]
    assert len(b.layers) == len(json.loads((src / "resnet.onnx.engine.graph.json").read_text())["Layers"])


def test_paired_layers_profile_names(tmp_path: Path) -> None:
    shutil.copy(resnet_file("qat", "graph.json"), tmp_path / "layers_model.json")
    shutil.copy(resnet_file("qat", "profile.json"), tmp_path / "profile_model.json")
    shutil.copy(resnet_file("qat", "timing.json"), tmp_path / "times_model.json")
    engine = tmp_path / "model.engine"
    engine.write_bytes(bytes(range(256)) * 4)
    b = load(engine)
    assert set(b.sources) == {"engine", "layer_info", "profile", "times"}
    assert not b.unmatched_profile and len(b.times) > 0


def test_engine_without_sidecars_names_the_command(tmp_path: Path) -> None:
    engine = tmp_path / "lonely.engine"
    engine.write_bytes(bytes(range(256)) * 4)
    if importlib.util.find_spec("tensorrt") is not None:
        pytest.skip("tensorrt installed: the TensorRT backend hook may handle the engine")
    with pytest.raises(TrtInspectError) as err:
        load(engine)
    assert EXPORT_COMMAND.format(e=engine) in str(err.value)
    assert "--exportProfile=" + str(engine) + ".profile.json" in str(err.value)


def test_explicit_files_merge() -> None:
    b = load(resnet_file("fp32", "graph.json"), resnet_file("fp32", "profile.json"))
    assert set(b.sources) == {"layer_info", "profile"} and b.times.empty and b.summary.empty
    assert not b.unmatched_profile and b.name == "resnet.onnx"


def test_two_engines_in_one_directory(tmp_path: Path) -> None:
    shutil.copy(resnet_file("qat", "graph.json"), tmp_path)
    shutil.copy(resnet_file("fp16", "graph.json"), tmp_path)
    with pytest.raises(TrtInspectError, match="2 engines") as err:
        load(tmp_path)
    assert "resnet-qat.onnx.engine" in str(err.value) and "resnet.onnx.engine" in str(err.value)
    b = load(tmp_path / "resnet-qat.onnx.engine")  # naming one engine resolves it
    assert b.sources["layer_info"][0].name.startswith("resnet-qat")


def test_two_profiles_given_explicitly() -> None:
    with pytest.raises(TrtInspectError, match="several profile files"):
        load(resnet_file("qat", "profile.json"), resnet_file("fp16", "profile.json"))


def test_parent_folder_points_to_subfolders() -> None:
    with pytest.raises(TrtInspectError, match="subfolders"):
        load("sample:resnet18-a100")


def test_nsys_rep_names_export_command(tmp_path: Path) -> None:
    rep = tmp_path / "run.nsys-rep"
    rep.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(TrtInspectError, match="nsys export --type sqlite --output"):
        load(rep)


def test_nsys_sqlite_hook() -> None:
    sqlite = sorted((DATA / "nsys").glob("*.sqlite"))[0]
    if importlib.util.find_spec("trtinspect.parsers.nsys.bundle") is None:
        with pytest.raises(TrtInspectError, match="nsys"):
            load(sqlite)
    else:
        assert isinstance(load(sqlite), trtinspect.EngineBundle)


# ---------------------------------------------------------------------------------------------------- logs
def test_single_log_with_dump_profile() -> None:
    log = LOGS / "trt10.16-h100" / "result-05.log"
    b = load(log)
    assert b.trt_version == "10.16.1" and b.device["name"] == "NVIDIA H100 PCIe"
    assert not b.profile.empty and not b.detailed
    assert b.layers["name"].tolist() == b.profile["name"].tolist()  # layers are the profiled names
    assert not b.unmatched_profile and b.sources["trtexec_log"] == [log]


def test_log_layers_plus_json_layer_info() -> None:
    folder = LOGS / "trt10.16-h100"
    b = load(folder / "model-trained-exportLayerInfo.log", folder / "result-04.log")
    graph = json.loads((folder / "model-trained-exportLayerInfo.log").read_text())
    assert len(b.layers) == len(graph["Layers"]) and b.detailed and b.trt_version == "10.16.1"


def test_ambiguous_log_folder_lists_files() -> None:
    with pytest.raises(TrtInspectError) as err:
        load("sample:trtexec-logs/trt10.16-h100")
    msg = str(err.value)
    assert "result-01.log" in msg and "result-03.log" in msg and "\n" not in msg


def test_layers_only_from_log_records() -> None:
    b = load(LOGS / "trt8.4" / "result-FP16.log")
    assert len(b.layers) > 0 and b.trt_version == "8.4.1" and not b.summary.empty


# ---------------------------------------------------------------------------------------------- join_profile
def _layers(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"name": pd.array(names, dtype="string"), "layer_index": range(len(names))})


def _profile(names: list[str], avg: list[float]) -> pd.DataFrame:
    recs = [{"name": n, "time_ms": a, "avg_ms": a, "median_ms": a, "percentage": 0.0, "row": i,
             "name_recovered": False} for i, (n, a) in enumerate(zip(names, avg, strict=False))]
    return schema.frame_from_records(recs, schema.PROFILE)


def test_join_is_by_name_not_position() -> None:
    layers = _layers(["a", "b", "c"])
    joined, up, ul = join_profile(layers, _profile(["c", "a", "b"], [3.0, 1.0, 2.0]))
    assert joined["avg_ms"].tolist() == [1.0, 2.0, 3.0] and up == [] and ul == []


def test_join_duplicates_in_order_and_unmatched_reported() -> None:
    layers = _layers(["dup", "x", "dup", "lonely"])
    joined, up, ul = join_profile(layers, _profile(["dup", "dup", "x", "ghost"], [1.0, 2.0, 3.0, 9.0]))
    assert joined["avg_ms"].tolist()[:3] == [1.0, 3.0, 2.0]
    assert pd.isna(joined["avg_ms"].iloc[3])  # no fill
    assert up == ["ghost"] and ul == ["lonely"]
    assert joined["profile_row"].tolist()[:3] == [0, 2, 1] and pd.isna(joined["profile_row"].iloc[3])


def test_join_normalised_names() -> None:
    layers = _layers(["conv  1 [profile 0]", "relu\x01", "pool"])
    joined, up, ul = join_profile(layers, _profile(["conv 1", "relu", "pool"], [1.0, 2.0, 3.0]))
    assert joined["avg_ms"].tolist() == [1.0, 2.0, 3.0]
    assert joined["match"].tolist() == ["normalised", "normalised", "exact"] and not up and not ul


def test_normalise_name() -> None:
    assert normalise_name("a\tb  c [profile 12]") == "a b c"
    assert normalise_name("x\x1fy") == "xy"
    assert normalise_name(None) == ""


def test_directory_with_engine_and_paired_sidecars_is_one_engine(tmp_path: Path) -> None:
    """`model.engine` + `layers_model.json`/`profile_model.json` in a folder are ONE engine, not two."""
    shutil.copy(resnet_file("qat", "graph.json"), tmp_path / "layers_model.json")
    shutil.copy(resnet_file("qat", "profile.json"), tmp_path / "profile_model.json")
    (tmp_path / "model.engine").write_bytes(bytes(range(256)) * 4)
    b = load(tmp_path)
    assert b.name == "model" and set(b.sources) == {"engine", "layer_info", "profile"}
    expected = len(json.loads(resnet_file("qat", "graph.json").read_text())["Layers"])
    assert len(b.layers) == expected and not b.unmatched_profile


def test_two_paired_engines_hint_names_a_loadable_path(tmp_path: Path) -> None:
    shutil.copy(resnet_file("qat", "graph.json"), tmp_path / "layers_a.json")
    shutil.copy(resnet_file("fp16", "graph.json"), tmp_path / "layers_b.json")
    shutil.copy(resnet_file("fp16", "profile.json"), tmp_path / "profile_b.json")
    with pytest.raises(TrtInspectError, match="2 engines") as err:
        load(tmp_path)
    hint = err.value.hint or ""
    named = hint.split("e.g. ", 1)[1].split(",", 1)[0]
    b = load(named)  # the path the hint suggests loads that engine
    assert b.sources["layer_info"] == [tmp_path / "layers_a.json"]


def test_graph_and_profile_of_different_engines_are_refused(tmp_path: Path) -> None:
    """A folder holding one engine's graph and another engine's profile: no name matches, refused like named
    files (tests/test_trial_two.py has the same-stem TREx case through the CLI)."""
    shutil.copy(resnet_file("fp16", "graph.json"), tmp_path / "graph.json")
    shutil.copy(resnet_file("qat", "profile.json"), tmp_path / "profile.json")
    with pytest.raises(TrtInspectError, match="0 of 37 profiled layers match its layer names"):
        load(tmp_path)
    same = load(resnet_file("fp16", "graph.json"), resnet_file("fp16", "profile.json"))
    assert not any("different engines" in n for n in same.notes)


def test_unrecognised_text_starting_with_a_bracket_is_not_called_json(tmp_path: Path) -> None:
    path = tmp_path / "polygraphy.log"
    path.write_text("[I] RUNNING | Command: polygraphy run model.onnx --trt\n[I] PASSED | Runtime: 1.2s\n")
    with pytest.raises(TrtInspectError) as err:
        load(path)
    assert "JSON, but" not in str(err.value) and "not a trtexec log" in str(err.value)


def test_utf8_bom_json_exports_load(tmp_path: Path) -> None:
    for suffix in ("graph.json", "profile.json", "timing.json"):
        (tmp_path / f"x.engine.{suffix}").write_bytes(b"\xef\xbb\xbf" + resnet_file("fp16", suffix).read_bytes())
    b = load(tmp_path)
    plain = load(RESNET / "fp16")
    assert len(b.layers) == len(plain.layers) and len(b.times) == len(plain.times) > 0
    pd.testing.assert_frame_equal(b.profile, plain.profile)


def _history_db(path: Path) -> Path:
    from trtinspect.inspector import history

    history.connect(str(path)).dispose()  # creates the check-history tables
    return path


def test_history_db_in_folder_is_skipped_with_note(tmp_path: Path) -> None:
    log = LOGS / "trt10.16-h100" / "result-05.log"
    shutil.copy(log, tmp_path / log.name)
    db = _history_db(tmp_path / "trtinspect-history.sqlite")
    assert detect_kind(db) == "trtinspect_history"
    b = load(tmp_path)
    assert b.sources["trtexec_log"] == [tmp_path / log.name]
    assert b.profile["name"].tolist() == load(log).profile["name"].tolist()
    assert any("trtinspect-history.sqlite" in n and "check-history" in n for n in b.notes)


def test_history_db_named_explicitly_is_explained(tmp_path: Path) -> None:
    db = _history_db(tmp_path / "trtinspect-history.sqlite")
    with pytest.raises(TrtInspectError, match=r"check-history database.*trtinspect history --db"):
        load(db)
    with pytest.raises(TrtInspectError, match=r"holds no TensorRT/trtexec files.*history --db"):
        load(tmp_path)

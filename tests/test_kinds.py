"""The declared table of input kinds (trtinspect.parsers.kinds) is what the sniffer and the loader read."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import resnet_file

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import bundle, kinds, sniff


def test_every_kind_is_one_row_and_sniff_reads_the_table() -> None:
    names = [k.name for k in kinds.KINDS]
    assert len(names) == len(set(names))
    assert (*names, kinds.UNKNOWN) == sniff.KINDS
    priorities = [rule.priority for _, rule in kinds.JSON_RULES]
    assert priorities == sorted(set(priorities))


def test_each_row_says_what_happens_to_its_files() -> None:
    for k in kinds.KINDS:
        roles = [k.apply is not None, k.load_alone is not None, k.load_with is not None, k.refuse is not None,
                 not k.engine_data]   # the engine too: its row applies it (the reader comes with the context)
        assert sum(roles) == 1, k.name
        assert k.what and k.detect


def test_single_kinds_are_refused_twice() -> None:
    assert set(kinds.SINGLE_KINDS) >= {"layer_info", "profile", "times"}
    assert "trtexec_log" not in kinds.SINGLE_KINDS and "engine" not in kinds.SINGLE_KINDS
    with pytest.raises(TrtInspectError, match="several profile files for one engine"):
        bundle.load(resnet_file("fp32", "profile.json"), resnet_file("fp16", "profile.json"))


def test_engine_alone_is_read_by_the_readers_row(tmp_path: Path) -> None:
    """The engine kind has its row (apply_engine): an engine given without sidecars is what the caller's
    reader (passed through the load context) makes of it; without a reader, the export command."""
    from trtinspect.parsers.model import EngineBundle

    engine = tmp_path / "lonely.engine"
    engine.write_bytes(b"ptrt\x00\x01" + bytes(range(256)) * 16)
    seen: list[Path] = []

    def reader(path: Path) -> EngineBundle:
        seen.append(path)
        return EngineBundle(name="read by the reader", trt_version="10.0.0")

    b = bundle.load(engine, engine_reader=reader)
    assert seen == [engine] and b.name == "read by the reader"
    assert kinds.BY_NAME["engine"].apply is kinds.apply_engine
    with pytest.raises(TrtInspectError, match="Export them with: trtexec --loadEngine="):
        bundle.load(engine, engine_reader=lambda p: None)

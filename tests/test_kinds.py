"""The declared table of input kinds (trtinspect.parsers.kinds) is what the sniffer and the loader read."""

from __future__ import annotations

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
                 not k.engine_data,
                 k.name == "engine"]
        assert sum(roles) == 1, k.name
        assert k.what and k.detect


def test_single_kinds_are_refused_twice() -> None:
    assert set(kinds.SINGLE_KINDS) >= {"layer_info", "profile", "times"}
    assert "trtexec_log" not in kinds.SINGLE_KINDS and "engine" not in kinds.SINGLE_KINDS
    with pytest.raises(TrtInspectError, match="several profile files for one engine"):
        bundle.load(resnet_file("fp32", "profile.json"), resnet_file("fp16", "profile.json"))

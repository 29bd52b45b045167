"""A separate process that writes into a history store, for the concurrency and kill -9 tests.

    python tests/history_writer.py URL record N   # record N checks (qat vs a GENERATED rerun), one transaction each
    python tests/history_writer.py URL hang        # start recording, print "mid-transaction", then wait forever
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from conftest import RESNET, derive_rerun  # tests/ is sys.path[0] when this file runs as a script

import trtinspect
from trtinspect.inspector import history
from trtinspect.inspector.check import run_check


def main(argv: list[str]) -> int:
    url, mode = argv[0], argv[1]
    qat = trtinspect.load(RESNET / "qat")
    with tempfile.TemporaryDirectory() as tmp:   # the GENERATED second run conftest.qat_rerun makes
        rerun = trtinspect.load(derive_rerun(RESNET / "qat", Path(tmp) / "qat-rerun.generated"))
    result = run_check([qat], [rerun])
    if mode == "record":
        for _ in range(int(argv[2])):
            history.record(result, [qat], [rerun], url)
        return 0
    real = history._insert_layers

    def insert_then_hang(*args: Any, **kwargs: Any) -> int:
        n = real(*args, **kwargs)  # the run row, its groups and its layers are written, not committed
        print("mid-transaction", flush=True)
        time.sleep(600)
        return n

    history._insert_layers = insert_then_hang
    history.record(result, [qat], [rerun], url)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A separate process that writes into a history store, for the concurrency and kill -9 tests.

    python tests/history_writer.py URL record N   # record N checks (qat vs qat), one transaction each
    python tests/history_writer.py URL hang        # start recording, print "mid-transaction", then wait forever
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import trtinspect
from trtinspect.inspector import history
from trtinspect.inspector.check import run_check

RESNET = Path(__file__).resolve().parent.parent / "sample_engines" / "resnet18-a100"


def main(argv: list[str]) -> int:
    url, mode = argv[0], argv[1]
    qat = trtinspect.load(RESNET / "qat")
    result = run_check([qat], [qat])
    if mode == "record":
        for _ in range(int(argv[2])):
            history.record(result, [qat], [qat], url)
        return 0
    real = history._insert_layers

    def insert_then_hang(*args: Any, **kwargs: Any) -> int:
        n = real(*args, **kwargs)  # the run row, its groups and its layers are written, not committed
        print("mid-transaction", flush=True)
        time.sleep(600)
        return n

    history._insert_layers = insert_then_hang
    history.record(result, [qat], [qat], url)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

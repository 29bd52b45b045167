"""GENERATED test input: a check-history store written the way trtinspect wrote it before group labels were kept
whole (commit 0fd9fdd), by that trtinspect itself.

    python scripts/make_old_history_store.py OUT.sqlite [--commit b8d634a]

The source of ``--commit`` (default b8d634a, the parent of 0fd9fdd) is taken from this repository's history
(``git archive``), laid out as it installs (``trtinspect/`` with ``parsers/``, ``inspector/``, ``app/`` inside)
in a temporary folder and run in a separate Python process with that folder first on ``sys.path`` (the
dependencies are this environment's). It records two checks of real inputs of this repository:

1. ``check --baseline tests/data/external/trex-rtx3090-resnet50/fp16 --candidate .../qat``: fusion-group labels
   holding a layer name over 60 characters are stored cut as align printed them
   (``resnet50/conv2_block1_3_conv/Conv2D + resnet50/conv2_block1...``);
2. ``check --baseline sample_engines/trtexec-logs/seed-fx-vs-implicit-int8/implicit-int8.profile.log
   --candidate .../fx-qdq-int8.profile.log``: per-layer times of ``--dumpProfile`` tables are stored as trtexec
   printed their averages (4 decimals), one row per profile row.

Nothing is edited by hand: every row is what that version wrote. The store is GENERATED (by an older trtinspect,
from real measurements); tests/data/PROVENANCE.md lists it.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYOUT = {"src/trtinspect": "trtinspect", "parsers": "trtinspect/parsers", "inspector": "trtinspect/inspector",
          "app": "trtinspect/app"}
PAIRS = [("tests/data/external/trex-rtx3090-resnet50/fp16", "tests/data/external/trex-rtx3090-resnet50/qat"),
         ("sample_engines/trtexec-logs/seed-fx-vs-implicit-int8/implicit-int8.profile.log",
          "sample_engines/trtexec-logs/seed-fx-vs-implicit-int8/fx-qdq-int8.profile.log")]
RECORD = """
import sys, trtinspect
from trtinspect.inspector import history
from trtinspect.inspector.check import run_check
assert trtinspect.__file__.startswith(sys.argv[1]), trtinspect.__file__   # the old source, not this checkout
for base, cand in zip(sys.argv[3::2], sys.argv[4::2], strict=True):
    b, c = trtinspect.load(base), trtinspect.load(cand)
    history.record(run_check([b], [c]), [b], [c], sys.argv[2])
"""


def make(out: Path, commit: str) -> Path:
    if out.exists():
        raise SystemExit(f"{out} exists: give a new path")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, *LAYOUT], check=True,
                             capture_output=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            for member in tar.getmembers():
                for src, dst in LAYOUT.items():
                    if member.name == src or member.name.startswith(src + "/"):
                        member.name = dst + member.name[len(src):]
                        tar.extract(member, tmp, filter="data")
                        break
        args = [str(REPO / p) for pair in PAIRS for p in pair]
        env = {**os.environ, "PYTHONPATH": tmp}
        subprocess.run([sys.executable, "-c", RECORD, tmp, f"sqlite:///{out.resolve()}", *args], check=True,
                       cwd=tmp, env=env)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--commit", default="b8d634a")
    a = ap.parse_args()
    print(make(a.out, a.commit))


if __name__ == "__main__":
    main()

"""``pytest -m benchmark benchmarks/`` entry point: the target-asserting benchmarks (each marked ``benchmark``).

pytest only collects ``test_*.py`` files from a folder, so the ``bench_*.py`` scripts' test functions are
gathered here. Not part of the default test run (``testpaths = ["tests"]`` and ``-m 'not benchmark'``).
"""

from __future__ import annotations

from bench_commands import (
    test_diff_command_within_target,
    test_lint_command_within_target,
    test_report_command_within_target,
)
from bench_nsys_stats import test_nsys_summaries_within_targets

# report / lint / diff targets are asserted on the whole console commands (bench_commands.py); the in-process
# scripts bench_report.py, bench_lint.py and bench_diff.py remain for timing parts of a command.
__all__ = ["test_diff_command_within_target", "test_lint_command_within_target",
           "test_nsys_summaries_within_targets", "test_report_command_within_target"]

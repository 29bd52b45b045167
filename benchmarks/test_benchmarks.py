"""``pytest -m benchmark benchmarks/`` entry point: the target-asserting benchmarks (each marked ``benchmark``).

pytest only collects ``test_*.py`` files from a folder, so the ``bench_*.py`` scripts' test functions are
gathered here. Not part of the default test run (``testpaths = ["tests"]`` and ``-m 'not benchmark'``).
"""

from __future__ import annotations

from bench_diff import test_diff_50k_layers_within_target
from bench_lint import test_lint_50k_layers_within_target
from bench_nsys_stats import test_nsys_summaries_within_targets
from bench_report import test_report_50k_layers_within_targets

__all__ = ["test_diff_50k_layers_within_target", "test_lint_50k_layers_within_target",
           "test_nsys_summaries_within_targets", "test_report_50k_layers_within_targets"]

"""Every input-kind name the code reads from or writes to ``EngineBundle.sources`` is a row of the declared
table of input kinds (:data:`trtinspect.parsers.kinds.BY_NAME`): a stale name ("log", "nsys_csv") matches
nothing and silently drops evidence."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

from trtinspect.parsers.kinds import BY_NAME

PACKAGES = ("parsers", "inspector", "app", "src/trtinspect")


def _is_sources(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "sources"


def _names_in_loops(tree: ast.AST) -> dict[str, set[str]]:
    """Loop variables bound to a literal tuple/list of strings (``for kind in ("a", "b")``), anywhere."""
    out: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name) \
                and isinstance(node.iter, (ast.Tuple, ast.List)):
            values = {e.value for e in node.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            out.setdefault(node.target.id, set()).update(values)
    return out


def _kinds_used(tree: ast.AST) -> set[str]:
    loops = _names_in_loops(tree)
    used: set[str] = set()

    def key(node: ast.AST) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            used.add(node.value)
        elif isinstance(node, ast.Name):
            used.update(loops.get(node.id, set()))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                and node.func.attr in ("get", "setdefault", "pop") and _is_sources(node.func.value):
            key(node.args[0])              # bundle.sources.get("kind")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_add_source":
            key(node.args[1])              # _add_source(bundle, "kind", path)
        if isinstance(node, ast.Subscript) and _is_sources(node.value):
            key(node.slice)                # bundle.sources["kind"]
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) \
                and any(_is_sources(c) for c in node.comparators):
            key(node.left)                 # "kind" in bundle.sources
        if isinstance(node, ast.Assign) and any(_is_sources(t) for t in node.targets) \
                and isinstance(node.value, ast.Dict):
            for k in node.value.keys:      # bundle.sources = {"kind": [...]}
                if k is not None:
                    key(k)
    return used


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def test_the_scan_finds_the_kinds_the_loader_records() -> None:
    used = set().union(*(_kinds_used(ast.parse(p.read_text(encoding="utf-8"))) for p in _modules()))
    assert {"layer_info", "profile", "times", "trtexec_log", "nsys_sqlite", "nsys_stats_csv", "engine"} <= used


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_sources_key_is_a_declared_kind(path: Path) -> None:
    stale = _kinds_used(ast.parse(path.read_text(encoding="utf-8"))) - set(BY_NAME)
    assert not stale, f"{path.relative_to(REPO)} reads bundle.sources[{sorted(stale)}]: not in parsers.kinds"


def _imports_top_package(tree: ast.AST) -> list[int]:
    """Lines importing the top package ``trtinspect`` itself (not one of its modules), anywhere in a module."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "trtinspect" for a in node.names):
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "trtinspect" and node.level == 0:
            lines += [node.lineno for a in node.names if not (REPO / "src" / "trtinspect" / a.name).exists()
                      and not (REPO / "src" / "trtinspect" / f"{a.name}.py").exists()
                      and a.name not in ("parsers", "inspector", "app")]
    return lines


@pytest.mark.parametrize("package", ["parsers", "inspector", "app", "src/trtinspect/render",
                                     "src/trtinspect/capture"])
def test_only_the_cli_imports_the_top_package(package: str) -> None:
    """``trtinspect`` (the library entry point, which hands the loader TensorRT's engine reader) sits above
    every layer: a layer below cli importing it, even inside a function, is an import cycle."""
    found = {str(p.relative_to(REPO)): lines for p in sorted((REPO / package).rglob("*.py"))
             if (lines := _imports_top_package(ast.parse(p.read_text(encoding="utf-8"))))}
    assert not found, found

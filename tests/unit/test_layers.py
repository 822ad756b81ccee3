"""The layers import one way, and no module takes part in an import cycle.

Every ``import`` in the project's packages counts, at module level or inside a
function (a function-level import hides a cycle; it does not remove it). The ranks
are those of the README's "Layout" table: a package imports only packages of a lower
rank, or itself; ``loaders`` and ``algorithms`` share a rank and never import each
other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import networkx as nx
import pytest

ROOT: Final = Path(__file__).resolve().parents[2]

#: package → rank; a package may import a package of a lower rank, or itself.
RANKS: Final[dict[str, int]] = {
    "core": 0,
    "graph": 1,
    "loaders": 2,
    "algorithms": 2,
    "services": 3,
    "visualizations": 4,
    "api": 5,
    "corpgraph": 6,
}

pytestmark = pytest.mark.unit


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in RANKS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


MODULES: Final = _modules()


def _imported(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported project module) for every import statement in ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import name`` may import a submodule ``pkg.name``.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target:
                yield node.lineno, target


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def test_every_package_of_the_layout_exists() -> None:
    assert {_top(m) for m in MODULES} == set(RANKS)


def test_imports_run_down_the_layers() -> None:
    wrong = []
    for module, path in MODULES.items():
        source = _top(module)
        for line, target in _imported(module, path):
            goal = _top(target)
            if goal == source:
                continue
            if RANKS[goal] >= RANKS[source]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} {module} imports {target}")
    assert wrong == []


def test_no_import_cycle_between_modules() -> None:
    graph: nx.DiGraph[str] = nx.DiGraph()
    for module, path in MODULES.items():
        graph.add_node(module)
        for _, target in _imported(module, path):
            # A package's __init__ importing its own submodules is not a cycle of layers.
            if target != module and not target.startswith(module + "."):
                graph.add_edge(module, target)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_the_checker_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        "def later() -> None:\n    from graph.database import Database\n"
        "from .settings import Settings\nfrom core import money\n",
        encoding="utf-8",
    )
    found = {target for _, target in _imported("core.probe", source)}
    assert found == {"graph.database", "core.settings", "core.money"}

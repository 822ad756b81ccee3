"""The layers import one way, and no module takes part in an import cycle.

Every ``import`` in the project's packages counts, at module level or inside a
function (a function-level import hides a cycle; it does not remove it). The ranks
are those of the README's "Layout" table: a package imports only packages of a lower
rank, or itself; ``loaders`` and ``algorithms`` share a rank and never import each
other.
"""

from __future__ import annotations

import ast
import re
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


# --- all Cypher lives in graph/ ----------------------------------------------------------------
#: Packages above ``graph`` that must hold no Cypher.
NO_CYPHER_PACKAGES: Final = (
    "loaders",
    "services",
    "api",
    "algorithms",
    "visualizations",
    "corpgraph",
)

#: A clause keyword that starts Cypher (``CALL gds.`` and ``CALL db.`` for procedures).
_CYPHER_CLAUSE: Final = re.compile(
    r"\b(MATCH|MERGE|UNWIND|DETACH\s+DELETE|CALL\s+(gds|db|apoc)\.)|"
    r"\bCREATE\s*\(|\bRETURN\b[^\n]*\bAS\b",
)
#: What makes a string with such a keyword a query, not prose: a ``$parameter``, a
#: pattern ``(:Label`` or ``(n:Label``, or a relationship ``-[``.
_CYPHER_SHAPE: Final = re.compile(r"\$[A-Za-z_]\w*|\(\w*:[A-Za-z_]|-\[|\]->|<-\[")


def looks_like_cypher(text: str) -> bool:
    """Whether ``text`` is (part of) a Cypher statement: a clause keyword and a query shape.

    Examples
    --------
    >>> looks_like_cypher("MATCH (c:Company {company_id: $id}) RETURN c")
    True
    >>> looks_like_cypher("UNWIND $rows AS row")
    True
    >>> looks_like_cypher("CALL gds.pageRank.stream($graph, $config)")
    True
    >>> looks_like_cypher("Match the company names (fuzzy) before loading.")
    False
    """
    return bool(_CYPHER_CLAUSE.search(text)) and bool(_CYPHER_SHAPE.search(text))


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes: a docstring is prose, and may quote Cypher."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        ):
            found.add(id(node.body[0].value))
    return found


def _string_constants(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal but docstrings; an f-string's literal parts
    are joined (its replacement fields read as a space)."""
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
            yield (
                node.lineno,
                " ".join(
                    v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else ""
                    for v in node.values
                ),
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def cypher_outside_graph(path: Path) -> list[tuple[int, str]]:
    """(line, first characters) of every string in ``path`` that looks like Cypher."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(
        (line, " ".join(text.split())[:60])
        for line, text in _string_constants(tree)
        if looks_like_cypher(text)
    )


def test_no_cypher_outside_graph() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} {text}"
        for module, path in MODULES.items()
        if _top(module) in NO_CYPHER_PACKAGES
        for line, text in cypher_outside_graph(path)
    ]
    assert found == []


def test_the_cypher_check_sees_constants_and_fstrings(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        '"""Reads companies (MATCH (c:Company) in graph/)."""\n'
        'QUERY = "MATCH (c:Company {company_id: $id}) RETURN c.name AS name"\n'
        "def run(kind: str) -> str:\n"
        '    return f"CALL gds.{kind}.stream($graph, $config) YIELD nodeId"\n'
        'LABEL = "Match the names before loading"\n',
        encoding="utf-8",
    )
    assert [line for line, _ in cypher_outside_graph(source)] == [2, 4]

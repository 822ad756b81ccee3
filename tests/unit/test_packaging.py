"""Runtime dependencies are exactly what runtime code imports.

A dependency that runtime code imports but only the dev extra installs breaks the
production image (``uv sync --no-dev``); a declared one that nothing imports is
weight and attack surface. The imports are read from the source (every statement,
also inside functions); each maps to its distribution through the installed
packages' metadata.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.unit

#: Declared runtime dependencies that no code imports by name, each with the imported
#: distribution it extends. ``neo4j-rust-ext`` replaces the driver's pure-Python Bolt
#: packing with Rust when installed beside ``neo4j`` (the driver imports it itself); the
#: compute and the loaders move most of their time through that packing.
EXTENSIONS: Final = {"neo4j-rust-ext": "neo4j"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project: dict[str, object] = tomllib.load(handle)
    return project


def _runtime_packages() -> list[str]:
    tool = _project()["tool"]
    assert isinstance(tool, dict)
    packages: list[str] = tool["hatch"]["build"]["targets"]["wheel"]["packages"]
    return packages


def _declared() -> set[str]:
    project = _project()["project"]
    assert isinstance(project, dict)
    return {
        _normalise(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0])
        for spec in project["dependencies"]
    }


def _imported_distributions() -> dict[str, set[str]]:
    """distribution → the runtime modules that import it."""
    packages = _runtime_packages()
    distributions = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".", 1)[0]
                    if top in sys.stdlib_module_names or top in packages or top == "__future__":
                        continue
                    for distribution in distributions.get(top, [top]):
                        found.setdefault(_normalise(distribution), set()).add(
                            str(path.relative_to(ROOT))
                        )
    return found


def test_runtime_dependencies_are_exactly_the_runtime_imports() -> None:
    imported = _imported_distributions()
    declared = _declared()
    missing = {name: sorted(files)[:3] for name, files in imported.items() if name not in declared}
    unused = sorted(declared - set(imported) - set(EXTENSIONS))
    assert missing == {}, "imported by runtime code but not a runtime dependency"
    assert unused == [], "declared as runtime dependencies but never imported"


def test_each_extension_extends_an_imported_dependency() -> None:
    imported = _imported_distributions()
    declared = _declared()
    for extension, extended in EXTENSIONS.items():
        assert extension in declared, f"{extension} is listed as an extension but not declared"
        assert extended in imported, f"{extension} extends {extended}, which nothing imports"
        assert importlib.metadata.version(extension).startswith(
            importlib.metadata.version(extended)
        ), f"{extension} must be of the installed {extended}'s version line"


def test_the_image_copies_every_runtime_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    assert copied == set(_runtime_packages())

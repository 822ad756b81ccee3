"""Markers follow the folder: tests/unit ``unit``, tests/integration ``integration``,
tests/browser ``browser``."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if "integration" in path.parts:
            item.add_marker(pytest.mark.integration)
        elif "browser" in path.parts:
            item.add_marker(pytest.mark.browser)
        elif "unit" in path.parts or path.suffix == ".py":
            item.add_marker(pytest.mark.unit)

"""The README documents what the code reads and the two set-up commands."""

from __future__ import annotations

from pathlib import Path

from core.settings import env_names

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_environment_variable_is_in_the_configuration_table() -> None:
    missing = [name for name in env_names() if f"`{name}`" not in README]
    assert missing == []


def test_the_two_set_up_commands_are_there() -> None:
    assert "bin/corpgraph demo" in README
    assert "bin/test" in README
    for script in ("bin/corpgraph", "bin/test"):
        assert (Path(__file__).resolve().parents[2] / script).is_file()

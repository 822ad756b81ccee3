"""Private files: 600 files and 700 folders whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from core.private_files import private_dir, restrict_file, restrict_tree


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_restrict_tree_tightens_an_existing_store(tmp_path: Path) -> None:
    root = tmp_path / "store"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "data").write_bytes(b"x")
    (root / "top").write_bytes(b"y")
    tool = root / "a" / "tool"
    tool.write_bytes(b"z")
    for path in (root, root / "a", root / "a" / "b"):
        path.chmod(0o755)
    for path in (root / "a" / "b" / "data", root / "top"):
        path.chmod(0o644)
    tool.chmod(0o755)
    (root / "link").symlink_to(tmp_path)
    tmp_path.chmod(0o755)
    restrict_tree(root)
    assert {_mode(p) for p in (root, root / "a", root / "a" / "b")} == {0o700}
    assert {_mode(p) for p in (root / "a" / "b" / "data", root / "top")} == {0o600}
    assert _mode(tool) == 0o700  # the owner keeps what it had; the others lose it
    assert _mode(tmp_path) == 0o755  # a link is not followed


def test_private_dir_and_file(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        folder = private_dir(tmp_path / "x" / "ledgers")
        (folder / "f").write_bytes(b"1")
        restrict_file(folder / "f")
        restrict_file(folder / "missing")
    finally:
        os.umask(old)
    assert _mode(folder) == 0o700
    assert _mode(folder / "f") == 0o600

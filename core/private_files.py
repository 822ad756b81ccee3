"""Files only their owner may read: the embedded Neo4j's store and the flow ledger.

Both hold the bank's customers, amounts and payments. They are created with mode 600
(directories 700), whatever the process umask, and older installs are tightened on
the next start.

Examples
--------
>>> PRIVATE_UMASK, oct(PRIVATE_FILE), oct(PRIVATE_DIR)
(63, '0o600', '0o700')
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

#: The umask that makes every new file 600 and every new directory 700.
PRIVATE_UMASK: Final = 0o077
PRIVATE_FILE: Final = 0o600
PRIVATE_DIR: Final = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed, and make it 700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)
    return path


def restrict_tree(root: Path) -> None:
    """Make every directory under ``root`` 700 and every regular file 600.

    Group and other permissions are removed, the owner's are kept (an executable
    stays executable for its owner). Symbolic links are not followed.
    """
    if not root.exists():
        return
    for current, _dirs, files in os.walk(root):
        _restrict(Path(current))
        for name in files:
            _restrict(Path(current) / name)


def restrict_file(path: Path) -> None:
    """Make one existing file 600 (a missing file is fine)."""
    try:
        _restrict(path)
    except FileNotFoundError:
        return


def _restrict(path: Path) -> None:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return
    owner = stat.S_IMODE(mode) & stat.S_IRWXU
    if stat.S_ISDIR(mode):
        path.chmod(PRIVATE_DIR)
    else:
        path.chmod(owner | stat.S_IRUSR | stat.S_IWUSR)

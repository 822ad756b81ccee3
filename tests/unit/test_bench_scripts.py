"""Every benchmark script still starts: its imports resolve and ``--help`` answers.

The benchmarks are not run by the tests (they take minutes to hours), so nothing else
notices when a module they import moves; this test does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
SCRIPTS: Final = sorted(p for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_"))

pytestmark = pytest.mark.unit


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_script_starts(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout

"""What the demo has already done: the bank it loaded and the steps it computed.

``corpgraph demo`` generates, loads and computes once, then reuses the graph on the
next run. One ``(:CorpgraphMeta {key: 'demo'})`` node remembers which bank was loaded
and which compute steps ran on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, LiteralString

from .database import Database

READ_DEMO_STATE: Final[LiteralString] = (
    "MATCH (m:CorpgraphMeta {key: 'demo'}) "
    "RETURN m.dataset AS dataset, m.computed_steps AS computed_steps"
)
MARK_DEMO_DATASET: Final[LiteralString] = (
    "MERGE (m:CorpgraphMeta {key: 'demo'}) SET m.dataset = $dataset, m.computed_steps = []"
)
MARK_DEMO_COMPUTED: Final[LiteralString] = (
    "MATCH (m:CorpgraphMeta {key: 'demo'}) SET m.computed_steps = $steps"
)


@dataclass(frozen=True)
class DemoState:
    """The bank the demo loaded (``scale-seedN``) and the compute steps run on it, in order."""

    dataset: str
    computed_steps: tuple[str, ...]


def read_demo_state(db: Database) -> DemoState | None:
    """The demo's state, or ``None`` before the demo first loaded a bank."""
    row = db.read_one(READ_DEMO_STATE)
    if row is None:
        return None
    return DemoState(str(row["dataset"]), tuple(str(s) for s in row["computed_steps"] or ()))


def mark_demo_loaded(db: Database, dataset: str) -> DemoState:
    """Record that ``dataset`` is loaded; nothing is computed on it yet."""
    db.write(MARK_DEMO_DATASET, {"dataset": dataset})
    return DemoState(dataset, ())


def mark_demo_computed(db: Database, steps: Sequence[str]) -> None:
    """Record that the compute ``steps`` ran on the loaded bank."""
    db.write(MARK_DEMO_COMPUTED, {"steps": list(steps)})

"""What a compute step is: the signature every step has and the report it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.settings import Settings
from graph.database import Database

from .engines import GraphEngine


@dataclass(frozen=True)
class StepReport:
    """What one step computed: a few counts for the CLI table, and the run it published."""

    step: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: str | None = None


#: ``(db, engine, settings, run_id)``: the step writes every result under ``run_id``;
#: the runner (:mod:`services.compute`) publishes it.
ComputeStep = Callable[[Database, GraphEngine, Settings, str], StepReport]

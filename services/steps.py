"""What a compute step is: the signature every step has and the report it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from core.settings import Settings
from graph.database import Database

from .compute_inputs import ComputeInputs
from .engines import GraphEngine


@dataclass(frozen=True)
class StepReport:
    """What one step computed: a few counts for the CLI table, and the run it published."""

    step: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: str | None = None


class ComputeStep(Protocol):
    """``(db, engine, settings, run_id, run_inputs=...)``: the step writes every result under
    ``run_id``; the runner (:mod:`services.compute`) publishes it. ``run_inputs`` are the
    run's shared reads (the flows), read once for every step; a step called without
    them reads its own."""

    def __call__(
        self,
        db: Database,
        engine: GraphEngine,
        settings: Settings,
        run_id: str,
        /,
        *,
        run_inputs: ComputeInputs | None = None,
    ) -> StepReport: ...

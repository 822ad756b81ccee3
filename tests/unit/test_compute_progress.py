"""The run's step progress: a step that reads another's results waits for it to publish.

:class:`services.compute_inputs.ComputeInputs` is what concurrent compute steps
share; these tests use only its progress part (no database is touched).
"""

from __future__ import annotations

import threading
from typing import cast

import pytest

from graph.database import Database
from services.compute_inputs import ComputeInputs, PrerequisiteFailedError

pytestmark = pytest.mark.unit

#: The progress never reads: a database is not needed.
NO_DATABASE = cast(Database, None)


def waiter(inputs: ComputeInputs, step: str, outcome: list[str]) -> threading.Thread:
    def wait() -> None:
        try:
            inputs.await_published(step)
            outcome.append("published")
        except PrerequisiteFailedError as error:
            outcome.append(f"failed: {error.details['steps']}")

    thread = threading.Thread(target=wait)
    thread.start()
    return thread


def test_a_step_waits_until_the_step_it_reads_publishes() -> None:
    inputs = ComputeInputs(NO_DATABASE)
    inputs.expect(["group_risk", "prospects"])
    outcome: list[str] = []
    thread = waiter(inputs, "group_risk", outcome)
    thread.join(timeout=0.2)
    assert thread.is_alive()
    assert outcome == []
    inputs.settle("prospects", published=True)  # another step: still waiting
    thread.join(timeout=0.2)
    assert thread.is_alive()
    assert outcome == []
    inputs.settle("group_risk", published=True)
    thread.join(timeout=10)
    assert outcome == ["published"]


def test_a_failed_prerequisite_stops_the_step_that_waits() -> None:
    inputs = ComputeInputs(NO_DATABASE)
    inputs.expect(["group_risk", "events"])
    outcome: list[str] = []
    thread = waiter(inputs, "group_risk", outcome)
    inputs.settle("group_risk", published=False)
    thread.join(timeout=10)
    assert outcome == ["failed: ['group_risk']"]
    with pytest.raises(PrerequisiteFailedError):  # and any later reader, at once
        inputs.await_published("group_risk")


def test_a_step_this_run_does_not_compute_reads_as_published() -> None:
    inputs = ComputeInputs(NO_DATABASE)
    inputs.expect(["prospects"])  # `--only prospects`: the groups are those published before
    inputs.await_published("group_risk")  # returns at once
    ComputeInputs(NO_DATABASE).await_published("group_risk")  # a step called on its own

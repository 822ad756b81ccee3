"""The demo's memory of what it loaded and computed, read back as a typed state."""

from __future__ import annotations

from graph.database import Database
from graph.demo_state import DemoState, mark_demo_computed, mark_demo_loaded, read_demo_state


def test_demo_state_round_trips_and_a_new_load_forgets_the_computed_steps(
    clean_db: Database,
) -> None:
    assert read_demo_state(clean_db) is None
    assert mark_demo_loaded(clean_db, "tiny-seed1") == DemoState("tiny-seed1", ())
    mark_demo_computed(clean_db, ["group_risk", "prospects"])
    assert read_demo_state(clean_db) == DemoState("tiny-seed1", ("group_risk", "prospects"))
    mark_demo_loaded(clean_db, "small-seed2")
    assert read_demo_state(clean_db) == DemoState("small-seed2", ())

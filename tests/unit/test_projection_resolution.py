"""A projection keeps only what the store holds (pure part of graph.projections)."""

from __future__ import annotations

from typing import cast

import pytest

from core.errors import InputValidationError
from graph.database import Database
from graph.projections import Projection, RelationshipSpec, mutate_gds, presence_query, resolved

FLOWS_AND_SUPPLY = Projection(
    "mixed",
    ("Company", "Person"),
    (RelationshipSpec("PAYS", "amount_minor"), RelationshipSpec("SUPPLIES", "amount_minor")),
)


def test_a_missing_type_and_label_are_left_out() -> None:
    row = {"label_0": True, "label_1": False, "edges_0": True, "weighted_0": True}
    result = resolved(FLOWS_AND_SUPPLY, row)
    assert result.node_labels == ("Company",)
    assert result.relationships == (RelationshipSpec("PAYS", "amount_minor"),)
    assert result.weighted


def test_a_weight_no_edge_carries_makes_the_projection_unweighted() -> None:
    row = {"label_0": True, "edges_0": True, "edges_1": True}
    result = resolved(FLOWS_AND_SUPPLY, row)
    assert [r.type for r in result.relationships] == ["PAYS", "SUPPLIES"]
    assert not result.weighted


def test_a_weight_some_edges_carry_stays_for_all_types() -> None:
    row = {"label_0": True, "edges_0": True, "edges_1": True, "weighted_1": True}
    assert resolved(FLOWS_AND_SUPPLY, row).relationships == FLOWS_AND_SUPPLY.relationships


def test_nothing_in_the_store_means_no_edges() -> None:
    assert not resolved(FLOWS_AND_SUPPLY, {}).has_edges
    assert not resolved(FLOWS_AND_SUPPLY, {"edges_0": True, "edges_1": True}).has_edges


def test_the_presence_query_asks_for_every_label_type_and_weight() -> None:
    query = presence_query(FLOWS_AND_SUPPLY)
    for column in ("label_0", "label_1", "edges_0", "edges_1", "weighted_0", "weighted_1"):
        assert f"AS {column}" in query
    assert "r.amount_minor IS NOT NULL" in query


class _NoDatabase:
    """Fails the test if a refused GDS call reaches the database."""

    def read(self, *_: object) -> list[dict[str, object]]:
        raise AssertionError("the call should have been refused before any query")

    read_columns = read


@pytest.mark.parametrize(
    ("procedure", "mutate_property"),
    [
        ("gds.wcc.stream", "corpgraph1"),  # not a mutate procedure
        ("gds.pageRank.mutate; MATCH (n) DETACH DELETE n", "corpgraph1"),
        ("gds.graph.drop", "corpgraph1"),
        ("gds.pageRank.mutate", "p}) MATCH (n) DETACH DELETE n //"),
    ],
)
def test_gds_mutate_takes_only_allowlisted_procedures(procedure: str, mutate_property: str) -> None:
    db = cast(Database, _NoDatabase())
    with pytest.raises(InputValidationError):
        mutate_gds(db, procedure, "g", mutate_property, {})

from __future__ import annotations

import re

from graph.schema import (
    NODE_KEYS,
    OBSOLETE,
    RUN_SCOPED_KEYS,
    SCHEMA,
    compare_schema,
    expected_names,
)


def test_every_statement_is_idempotent_and_named() -> None:
    for item in SCHEMA:
        assert "IF NOT EXISTS" in item.statement
        assert f" {item.name} IF NOT EXISTS" in item.statement


def test_every_label_has_a_unique_id_constraint() -> None:
    for label, key in NODE_KEYS.items():
        pattern = rf"FOR \(n:{label}\) REQUIRE n\.{key} IS UNIQUE"
        assert any(re.search(pattern, item.statement) for item in SCHEMA), label


def test_company_names_use_the_cjk_analyzer() -> None:
    fulltext = [item for item in SCHEMA if "FULLTEXT" in item.statement]
    assert len(fulltext) == 1
    assert "'cjk'" in fulltext[0].statement


def test_compare_schema_reports_missing_and_populating() -> None:
    names = expected_names()
    every = dict.fromkeys(names, "ONLINE")
    assert compare_schema(set(), every, names).ready
    some = dict(every)
    some.pop("company_uscc")
    some["company_name_fulltext"] = "POPULATING"
    status = compare_schema(set(), some, names)
    assert status.missing == ("company_uscc",)
    assert status.not_online == ("company_name_fulltext",)
    assert not status.ready


def test_every_run_scoped_label_is_unique_per_run() -> None:
    for label, key in RUN_SCOPED_KEYS.items():
        pattern = rf"FOR \(n:{label}\) REQUIRE \(n\.{key}, n\.run_id\) IS UNIQUE"
        assert any(re.search(pattern, item.statement) for item in SCHEMA), label
        assert label not in NODE_KEYS, label


def test_obsolete_items_are_dropped_idempotently_and_not_recreated() -> None:
    names = expected_names()
    for statement in OBSOLETE:
        assert statement.startswith("DROP ")
        assert statement.endswith(" IF EXISTS")
        assert statement.split()[2] not in names

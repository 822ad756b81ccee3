"""Validation of key_persons, person_relations and company_contacts (no database)."""

from __future__ import annotations

import pytest

from loaders.contract import CONTRACT, RejectReason
from loaders.validation import check_key_person_identities, validate_rows
from loaders.writers import STATEMENTS, statement_rows

pytestmark = pytest.mark.unit


def test_key_persons_reuse_known_persons_and_create_named_ones() -> None:
    rows = [
        (2, {"company_id": "C1", "person_id": "P1", "role": "Director"}),
        (3, {"company_id": "C1", "person_id": "K1", "person_name": "王芳", "role": "supervisor"}),
        (4, {"company_id": "C2", "person_id": "K1", "role": "legal_representative"}),
        (5, {"company_id": "C2", "person_id": "K2", "role": "executive"}),
        (6, {"company_id": "C2", "person_id": "K3", "role": "chairman"}),
        (
            7,
            {
                "company_id": "C2",
                "person_id": "P1",
                "role": "director",
                "since": "2024-01-01",
                "until": "2023-01-01",
            },
        ),
    ]
    result = validate_rows(CONTRACT["key_persons"], rows)
    created = check_key_person_identities(result, {"P1"})
    assert created == {"K1"}
    assert [(r["person_id"], r["role"]) for r in result.records] == [
        ("P1", "director"),
        ("K1", "supervisor"),
        ("K1", "legal_representative"),
    ]
    assert sorted((r.row, r.reason) for r in result.rejects) == [
        (5, RejectReason.UNKNOWN_REFERENCE),
        (6, RejectReason.INVALID_ENUM),
        (7, RejectReason.OUT_OF_RANGE),
    ]


def test_a_person_is_not_their_own_relative() -> None:
    rows = [
        (2, {"person_id": "P1", "related_person_id": "P2", "relation": "spouse"}),
        (3, {"person_id": "P1", "related_person_id": "P1", "relation": "sibling"}),
        (4, {"person_id": "P2", "related_person_id": "P3", "relation": "cousin"}),
    ]
    result = validate_rows(CONTRACT["person_relations"], rows)
    assert [r["related_person_id"] for r in result.records] == ["P2"]
    assert [(r.row, r.reason) for r in result.rejects] == [
        (3, RejectReason.SELF_REFERENCE),
        (4, RejectReason.INVALID_ENUM),
    ]


def test_contacts_are_written_in_their_normal_form_and_meaningless_ones_rejected() -> None:
    rows = [
        (2, {"company_id": "C1", "kind": "phone", "value": "+86 (755) 2688-0000"}),
        (3, {"company_id": "C2", "kind": "phone", "value": "0755-26880000"}),
        (4, {"company_id": "C2", "kind": "office_address", "value": "深圳市南山区科技园路1号"}),
        (
            5,
            {
                "company_id": "C3",
                "kind": "registered_address",
                "value": "广东深圳南山区科技园路１号",
            },
        ),
        (6, {"company_id": "C3", "kind": "phone", "value": "123"}),
        (7, {"company_id": "C3", "kind": "fax", "value": "0755-26880001"}),
    ]
    result = validate_rows(CONTRACT["company_contacts"], rows)
    assert [(r.row, r.reason) for r in result.rejects] == [
        (6, RejectReason.INVALID_CONTACT),
        (7, RejectReason.INVALID_ENUM),
    ]
    [statement] = STATEMENTS["company_contacts"]
    written = list(statement_rows(statement, result.records))
    keys = [w["contact_key"] for w in written]
    assert keys[0] == keys[1] == "phone|075526880000"
    assert keys[2] == keys[3] == "address|深圳南山区科技园路1号"
    assert written[0]["value"] == "+86 (755) 2688-0000"  # kept as written

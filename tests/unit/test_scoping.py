"""The one scoping rule (graph.scoping) and opaque ids (core.ids), without a database."""

from __future__ import annotations

from core.formatting import Language
from core.ids import opaque_id
from graph.branches import BranchScope, BranchTree
from graph.scoping import Anonymiser, hidden_company_name, is_visible

TREE = BranchTree.from_parents({"HO": None, "BJ": "HO", "BJ-01": "BJ", "BJ-02": "BJ", "SH": "HO"})


def anonymiser(home: str, language: Language = "zh") -> Anonymiser:
    anon = Anonymiser(BranchScope.for_home_branch(TREE, home), language=language)
    anon.learn("C1", name="北京甲有限公司", is_customer=True, branch_id="BJ-01")
    anon.learn("C2", name="北京乙有限公司", is_customer=True, branch_id="BJ-02")
    anon.learn("C3", name="上海丙有限公司", is_customer=True, branch_id="SH")
    anon.learn("N1", name="某供应商", is_customer=False, branch_id=None)
    return anon


def test_subtree_decides_and_non_customers_stay_visible() -> None:
    sub = anonymiser("BJ-01")
    assert [sub.visible(c) for c in ("C1", "C2", "C3", "N1", "P9")] == [
        True,
        False,
        False,
        True,
        True,
    ]
    branch = anonymiser("BJ")
    assert [branch.visible(c) for c in ("C1", "C2", "C3")] == [True, True, False]
    head = anonymiser("HO")
    assert all(head.visible(c) for c in ("C1", "C2", "C3", "N1"))
    # A company booked at a branch is scoped even when not flagged a customer.
    scope = BranchScope.for_home_branch(TREE, "BJ-01")
    assert not is_visible(scope, is_customer=False, branch_id="SH")
    # An unknown home branch sees no booked company at all (fails closed).
    closed = BranchScope.for_home_branch(TREE, "NOPE")
    assert not is_visible(closed, is_customer=True, branch_id="BJ-01")
    assert is_visible(closed, is_customer=False, branch_id=None)


def test_placeholder_has_no_id_name_or_amount_and_a_local_key() -> None:
    anon = anonymiser("BJ-01")
    ref = anon.ref("C3")
    assert (ref.id, ref.name, ref.visible) == (None, "另一分支机构的客户", False)
    assert anon.amount("C3", 100) is None
    assert anon.amount("C1", 100) == 100
    # Keys: stable within one response, numbered by first mention, never the id.
    assert anon.keys(["C3", "C1", "C2", "C3"]) == ["hidden-1", "C1", "hidden-2", "hidden-1"]
    assert anon.id("C2") is None
    assert anon.name("C1") == "北京甲有限公司"


def test_scrub_removes_hidden_names_and_ids_from_free_text() -> None:
    anon = anonymiser("BJ-01", "en")
    text = "strongest tie: 上海丙有限公司 (C3); guaranteed by 北京乙有限公司 for 北京甲有限公司"
    scrubbed = anon.scrub(text)
    assert scrubbed is not None
    assert "上海丙" not in scrubbed
    assert "C3" not in scrubbed
    assert "北京乙" not in scrubbed
    assert "北京甲有限公司" in scrubbed
    assert scrubbed.count(hidden_company_name("en")) == 3


def test_opaque_ids_are_stable_keyed_and_name_no_member() -> None:
    a = opaque_id("GC", "instance-1", "C0000001\x1fC0000002")
    assert a == opaque_id("GC", "instance-1", "C0000001\x1fC0000002")
    assert a != opaque_id("GC", "instance-2", "C0000001\x1fC0000002")
    assert "C0000001" not in a
    assert "0000001" not in a.removeprefix("GC-")

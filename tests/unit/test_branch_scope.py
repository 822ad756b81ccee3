from __future__ import annotations

import pytest

from core.errors import InputValidationError
from graph.branches import BranchScope, BranchTree, scope_predicate

# head office → two branches → sub-branches
PARENTS: dict[str, str | None] = {
    "HO": None,
    "BJ": "HO",
    "BJ-01": "BJ",
    "BJ-02": "BJ",
    "SH": "HO",
    "SH-01": "SH",
}
CUSTOMERS = {"c-bj01": "BJ-01", "c-bj02": "BJ-02", "c-bj": "BJ", "c-sh01": "SH-01", "c-none": None}


@pytest.fixture
def tree() -> BranchTree:
    return BranchTree.from_parents(PARENTS)


def visible(scope: BranchScope) -> set[str]:
    return {c for c, branch in CUSTOMERS.items() if scope.allows(branch)}


def test_sub_branch_user_cannot_see_sibling_customer(tree: BranchTree) -> None:
    scope = BranchScope.for_home_branch(tree, "BJ-01")
    assert visible(scope) == {"c-bj01"}
    assert not scope.allows("BJ-02")


def test_branch_user_sees_own_subtree_only(tree: BranchTree) -> None:
    scope = BranchScope.for_home_branch(tree, "BJ")
    assert visible(scope) == {"c-bj", "c-bj01", "c-bj02"}


def test_head_office_sees_all(tree: BranchTree) -> None:
    scope = BranchScope.for_home_branch(tree, "HO")
    assert scope.is_unrestricted
    assert visible(scope) == set(CUSTOMERS)
    assert scope.parameters() == {"scope_all": True, "scope_branch_ids": []}


def test_unknown_home_branch_sees_nothing(tree: BranchTree) -> None:
    scope = BranchScope.for_home_branch(tree, "GZ")
    assert visible(scope) == set()
    assert scope.parameters() == {"scope_all": False, "scope_branch_ids": []}


def test_parameters_list_the_subtree(tree: BranchTree) -> None:
    assert BranchScope.for_home_branch(tree, "SH").parameters() == {
        "scope_all": False,
        "scope_branch_ids": ["SH", "SH-01"],
    }


def test_tree_helpers(tree: BranchTree) -> None:
    assert tree.roots == ("HO",)
    assert tree.ancestors("BJ-01") == ("BJ", "HO")
    assert tree.subtree("nope") == frozenset()


def test_cycle_is_rejected() -> None:
    with pytest.raises(InputValidationError, match="cycle"):
        BranchTree.from_parents({"A": "B", "B": "A"})


def test_unknown_parent_is_rejected() -> None:
    with pytest.raises(InputValidationError, match="unknown parent"):
        BranchTree.from_parents({"A": None, "B": "X"})


def test_scope_predicate_refuses_non_identifiers() -> None:
    assert scope_predicate("cust") == "($scope_all OR cust.branch_id IN $scope_branch_ids)"
    with pytest.raises(ValueError, match="identifier"):
        scope_predicate("c) OR true //")

from __future__ import annotations

from typing import LiteralString

from graph.branches import Branch, BranchScope, read_branch_tree, scope_predicate, upsert_branches
from graph.database import Database

BRANCHES = [
    Branch("HO", "总行", None),
    Branch("BJ", "北京分行", "HO"),
    Branch("BJ-01", "北京海淀支行", "BJ"),
    Branch("BJ-02", "北京朝阳支行", "BJ"),
    Branch("SH", "上海分行", "HO"),
]

SCOPED_CUSTOMERS: LiteralString = (
    "MATCH (c:Company) WHERE " + scope_predicate("c") + " RETURN c.company_id AS id ORDER BY id"
)


def test_scope_filters_cypher_by_branch_subtree(clean_db: Database) -> None:
    upsert_branches(clean_db, BRANCHES)
    upsert_branches(clean_db, BRANCHES)  # idempotent
    clean_db.write_rows(
        "UNWIND $rows AS row MERGE (c:Company {company_id: row.id}) SET c.branch_id = row.branch",
        [
            {"id": "C-BJ01", "branch": "BJ-01"},
            {"id": "C-BJ02", "branch": "BJ-02"},
            {"id": "C-SH", "branch": "SH"},
        ],
    )
    tree = read_branch_tree(clean_db)
    assert tree.parents == {b.branch_id: b.parent_branch_id for b in BRANCHES}

    def visible(home: str) -> list[str]:
        scope = BranchScope.for_home_branch(tree, home)
        return [r["id"] for r in clean_db.read(SCOPED_CUSTOMERS, scope.parameters())]

    assert visible("BJ-01") == ["C-BJ01"]
    assert visible("BJ") == ["C-BJ01", "C-BJ02"]
    assert visible("HO") == ["C-BJ01", "C-BJ02", "C-SH"]
    assert clean_db.read("MATCH ()-[r:CHILD_OF]->() RETURN count(r) AS n") == [{"n": 4}]


def test_a_moved_branch_leaves_its_old_parents_subtree(clean_db: Database) -> None:
    upsert_branches(clean_db, BRANCHES)
    clean_db.write_rows(
        "UNWIND $rows AS row MERGE (c:Company {company_id: row.id}) SET c.branch_id = row.branch",
        [{"id": "C-BJ02", "branch": "BJ-02"}],
    )
    # 朝阳支行 moves from Beijing to Shanghai.
    upsert_branches(clean_db, [Branch("BJ-02", "北京朝阳支行", "SH")])
    tree = read_branch_tree(clean_db)
    assert tree.parents["BJ-02"] == "SH"

    def visible(home: str) -> list[str]:
        scope = BranchScope.for_home_branch(read_branch_tree(clean_db), home)
        return [r["id"] for r in clean_db.read(SCOPED_CUSTOMERS, scope.parameters())]

    assert visible("BJ") == []
    assert visible("SH") == ["C-BJ02"]
    assert clean_db.read(
        "MATCH (:Branch {branch_id: 'BJ-02'})-[r:CHILD_OF]->() RETURN count(r) AS n"
    ) == [{"n": 1}]
    # And back: Shanghai's staff lose it again.
    upsert_branches(clean_db, [Branch("BJ-02", "北京朝阳支行", "BJ")])
    assert visible("SH") == []
    assert visible("BJ") == ["C-BJ02"]
    assert clean_db.read("MATCH ()-[r:CHILD_OF]->() RETURN count(r) AS n") == [{"n": 4}]

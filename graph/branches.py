"""The branch tree and branch scoping: who may see which customers.

Branches form a tree, head office → branch → sub-branch. A user sees the
customers booked in their home branch's subtree; a user whose home branch is the
root (head office) sees all. Every endpoint that returns customers scopes its
Cypher with :func:`scope_predicate` and :meth:`BranchScope.parameters`, so the
rule lives in one place.

Examples
--------
>>> tree = BranchTree.from_parents({"HO": None, "BJ": "HO", "BJ01": "BJ", "SH": "HO"})
>>> sorted(tree.subtree("BJ"))
['BJ', 'BJ01']
>>> scope = BranchScope.for_home_branch(tree, "BJ01")
>>> scope.allows("BJ01"), scope.allows("BJ"), scope.allows("SH")
(True, False, False)
>>> BranchScope.for_home_branch(tree, "HO").allows("SH")
True
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, LiteralString

from core.errors import InputValidationError

from .database import Database


@dataclass(frozen=True)
class Branch:
    """One node of the branch tree."""

    branch_id: str
    name: str
    parent_branch_id: str | None


@dataclass(frozen=True)
class BranchTree:
    """An immutable branch hierarchy built from parent links."""

    parents: Mapping[str, str | None]
    children: Mapping[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def from_parents(cls, parents: Mapping[str, str | None]) -> BranchTree:
        """Build a tree from ``{branch_id: parent_branch_id or None}``.

        Raises
        ------
        InputValidationError
            When a parent is unknown or the links form a cycle.
        """
        children: dict[str, list[str]] = defaultdict(list)
        for branch_id, parent in parents.items():
            if parent is not None:
                if parent not in parents:
                    raise InputValidationError(
                        f"branch {branch_id} names unknown parent {parent}",
                        details={"branch_id": branch_id, "parent_branch_id": parent},
                    )
                children[parent].append(branch_id)
        tree = cls(dict(parents), {k: tuple(sorted(v)) for k, v in children.items()})
        for branch_id in parents:
            tree._path_to_root(branch_id)  # raises on cycles
        return tree

    def _path_to_root(self, branch_id: str) -> list[str]:
        path = [branch_id]
        seen = {branch_id}
        parent = self.parents.get(branch_id)
        while parent is not None:
            if parent in seen:
                raise InputValidationError(
                    f"branch hierarchy has a cycle through {parent}",
                    details={"branch_id": parent},
                )
            path.append(parent)
            seen.add(parent)
            parent = self.parents.get(parent)
        return path

    def __contains__(self, branch_id: object) -> bool:
        return branch_id in self.parents

    @property
    def roots(self) -> tuple[str, ...]:
        """Branches without a parent: head offices."""
        return tuple(sorted(b for b, p in self.parents.items() if p is None))

    def is_head_office(self, branch_id: str) -> bool:
        """True for a root of the tree."""
        return branch_id in self.parents and self.parents[branch_id] is None

    def subtree(self, branch_id: str) -> frozenset[str]:
        """The branch and all its descendants (empty for an unknown branch)."""
        if branch_id not in self.parents:
            return frozenset()
        found: set[str] = set()
        stack = [branch_id]
        while stack:
            current = stack.pop()
            found.add(current)
            stack.extend(self.children.get(current, ()))
        return frozenset(found)

    def ancestors(self, branch_id: str) -> tuple[str, ...]:
        """Parents from the nearest up to the root."""
        return tuple(self._path_to_root(branch_id)[1:]) if branch_id in self.parents else ()


@dataclass(frozen=True)
class BranchScope:
    """The set of branches whose customers one user may see.

    ``branch_ids is None`` means unrestricted (head office). An empty set means
    nothing is visible, which is what an unknown home branch gets: failing closed.
    """

    home_branch_id: str
    branch_ids: frozenset[str] | None

    @classmethod
    def for_home_branch(cls, tree: BranchTree, home_branch_id: str) -> BranchScope:
        """Scope for a user based at ``home_branch_id``."""
        if tree.is_head_office(home_branch_id):
            return cls(home_branch_id, None)
        return cls(home_branch_id, tree.subtree(home_branch_id))

    @property
    def is_unrestricted(self) -> bool:
        return self.branch_ids is None

    def allows(self, branch_id: str | None) -> bool:
        """Whether a customer booked at ``branch_id`` is visible.

        Records with no booking branch are visible to head office only.
        """
        if self.branch_ids is None:
            return True
        return branch_id is not None and branch_id in self.branch_ids

    def parameters(self) -> dict[str, Any]:
        """Query parameters that :func:`scope_predicate` refers to."""
        return {
            "scope_all": self.branch_ids is None,
            "scope_branch_ids": sorted(self.branch_ids or ()),
        }


_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def scope_predicate(alias: LiteralString) -> LiteralString:
    """A Cypher boolean expression restricting ``alias`` to the caller's branches.

    Use it in a ``WHERE`` clause and pass :meth:`BranchScope.parameters`.

    Examples
    --------
    >>> scope_predicate("c")
    '($scope_all OR c.branch_id IN $scope_branch_ids)'
    """
    if not _IDENTIFIER.match(alias):
        raise ValueError(f"not a Cypher identifier: {alias!r}")
    return "($scope_all OR " + alias + ".branch_id IN $scope_branch_ids)"


READ_BRANCHES: Final[LiteralString] = (
    "MATCH (b:Branch) "
    "OPTIONAL MATCH (b)-[:CHILD_OF]->(p:Branch) "
    "RETURN b.branch_id AS branch_id, b.name AS name, p.branch_id AS parent_branch_id "
    "ORDER BY branch_id"
)

#: Appended to every write that changes API users or branches, in the same statement:
#: the API's cache of keys and the branch tree (:mod:`graph.auth_cache`) reads this
#: version on each request, so the change takes effect on the next one.
NEW_AUTH_VERSION: Final[LiteralString] = (
    "MERGE (auth:CorpgraphMeta {key: 'auth'}) SET auth.auth_version = randomUUID()"
)

UPSERT_BRANCHES: Final[LiteralString] = (
    "UNWIND $rows AS row "
    "MERGE (b:Branch {branch_id: row.branch_id}) "
    "SET b.name = row.name, b.parent_branch_id = row.parent_branch_id "
    # A moved branch leaves its old parent: a second CHILD_OF would keep it in the old
    # parent's subtree, visible to that branch's staff.
    "FOREACH (old IN [(b)-[link:CHILD_OF]->(p:Branch) "
    "WHERE p.branch_id <> coalesce(row.parent_branch_id, '') | link] | DELETE old) "
    "FOREACH (parent_id IN CASE WHEN row.parent_branch_id IS NULL THEN [] "
    "ELSE [row.parent_branch_id] END | "
    "MERGE (p:Branch {branch_id: parent_id}) "
    "MERGE (b)-[:CHILD_OF]->(p)) "
    "WITH count(*) AS written " + NEW_AUTH_VERSION
)


def write_new_auth_version(db: Database) -> None:
    """Write a new auth version on its own: after branches or users were written by a
    path that bypasses the statements above (the bulk importer writes the store's files)."""
    db.write(NEW_AUTH_VERSION)


def read_branches(db: Database) -> list[Branch]:
    """All branches stored in Neo4j."""
    return [
        Branch(str(r["branch_id"]), str(r["name"] or ""), r["parent_branch_id"])
        for r in db.read(READ_BRANCHES)
    ]


READ_RELATIONSHIP_MANAGERS: Final[LiteralString] = (
    "MATCH (m:RelationshipManager) "
    "RETURN m.rm_id AS rm_id, m.name AS name, m.branch_id AS branch_id ORDER BY rm_id"
)


@dataclass(frozen=True)
class RelationshipManager:
    """A relationship manager (客户经理) and the branch they work at."""

    rm_id: str
    name: str
    branch_id: str | None


def read_relationship_managers(db: Database) -> list[RelationshipManager]:
    """Every relationship manager stored in Neo4j."""
    return [
        RelationshipManager(str(r["rm_id"]), str(r["name"] or ""), r["branch_id"])
        for r in db.read(READ_RELATIONSHIP_MANAGERS)
    ]


def read_branch_tree(db: Database) -> BranchTree:
    """The branch tree stored in Neo4j."""
    return BranchTree.from_parents({b.branch_id: b.parent_branch_id for b in read_branches(db)})


def upsert_branches(db: Database, branches: list[Branch]) -> None:
    """Idempotently write branches and their parent links.

    The tree is validated first, so a bad hierarchy writes nothing.
    """
    existing = {b.branch_id: b.parent_branch_id for b in read_branches(db)}
    existing.update({b.branch_id: b.parent_branch_id for b in branches})
    BranchTree.from_parents(existing)
    db.write_rows(
        UPSERT_BRANCHES,
        (
            {"branch_id": b.branch_id, "name": b.name, "parent_branch_id": b.parent_branch_id}
            for b in branches
        ),
    )

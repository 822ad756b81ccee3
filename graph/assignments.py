"""Reassigning an opportunity (Citi's two-way distribution): to an RM or a product specialist.

A manager hands an opportunity to another RM of their branches (the owner changes)
or to a product specialist (a corpgraph user of their branches, who works it with
the owner RM), and back: handing it to an RM clears the specialist. Every change
appends ``{kind, from, to, by, at, reason}`` to the opportunity's ``assignments``
history, which is its audit trail, and bumps its version: a reassignment names the
version it read (``If-Match``) and is refused (412) when another change came first,
like any other change of an opportunity (:func:`graph.opportunities.update_opportunity`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Final, Literal, LiteralString

from core.codes import Role
from core.errors import InputValidationError, OwnershipError, PreconditionFailedError

from .branches import BranchScope, scope_predicate
from .database import Database
from .opportunities import READ_RM, Editor, get_opportunity, may_change, require_applied

logger = logging.getLogger(__name__)

AssigneeKind = Literal["rm", "product_specialist"]

READ_SPECIALIST: Final[LiteralString] = (
    "MATCH (u:ApiUser {user_id: $user_id}) WHERE u.revoked_at IS NULL "
    "RETURN u.branch_id AS branch_id, u.name AS name"
)
#: Optimistic like ``UPDATE_OPPORTUNITY``: the node's write lock first, then the version.
REASSIGN: Final[LiteralString] = (
    "MATCH (o:Opportunity {opportunity_id: $id}) WHERE "
    + scope_predicate("o")
    + " SET o._lock = true "
    "WITH o, coalesce(o.version, 1) = $expected_version AS fresh "
    "FOREACH (_ IN CASE WHEN fresh THEN [1] ELSE [] END | "
    "SET o.owner_rm_id = $owner_rm_id, o.specialist_id = $specialist_id, "
    "o.assignments = coalesce(o.assignments, []) + [$entry], o.updated_at = datetime($at), "
    "o.version = coalesce(o.version, 1) + 1) "
    "REMOVE o._lock "
    "RETURN fresh AS applied, o.version AS version"
)


def reassign(
    db: Database,
    scope: BranchScope,
    opportunity_id: str,
    *,
    kind: AssigneeKind,
    assignee_id: str,
    reason: str | None,
    editor: Editor,
    expected_version: int,
) -> dict[str, Any]:
    """Hand an opportunity in ``scope`` to an RM or a product specialist of ``scope``.

    Raises
    ------
    NotFoundError
        The opportunity is absent or outside ``scope`` (404).
    OwnershipError
        The editor is no manager of the owner's branch (nor an admin) (403).
    PreconditionFailedError
        ``expected_version`` is not the stored version (412).
    InputValidationError
        The assignee is no RM or active user of the editor's branches, or already
        holds the opportunity (422).
    """
    current = get_opportunity(db, scope, opportunity_id)
    owner = current["owner_rm_id"]
    owner_row = db.read_one(READ_RM, {"rm_id": owner}) if owner else None
    owner_branch = (owner_row or {}).get("branch_id") or current["branch_id"]
    if editor.role not in (Role.MANAGER, Role.ADMIN) or not may_change(
        editor, scope, owner, owner_branch
    ):
        raise OwnershipError(
            "only a manager of the owner's branch or an admin reassigns an opportunity",
            details={"id": opportunity_id},
        )
    if current["version"] != expected_version:
        raise PreconditionFailedError(
            "the opportunity changed since you read it; reload it and try again",
            details={"id": opportunity_id, "version": current["version"]},
        )
    specialist = current.get("specialist_id")
    if kind == "rm":
        row = db.read_one(READ_RM, {"rm_id": assignee_id})
        if row is None or not scope.allows(row["branch_id"]):
            raise InputValidationError(
                "the assignee is not a relationship manager within your branches",
                details={"assignee_id": assignee_id},
            )
        if assignee_id == owner and specialist is None:
            raise InputValidationError("the opportunity is already with this RM")
        before, new_owner, new_specialist = specialist or owner, assignee_id, None
    else:
        row = db.read_one(READ_SPECIALIST, {"user_id": assignee_id})
        if row is None or not scope.allows(row["branch_id"]):
            raise InputValidationError(
                "the assignee is not an active user within your branches",
                details={"assignee_id": assignee_id},
            )
        if assignee_id == specialist:
            raise InputValidationError("the opportunity is already with this specialist")
        before, new_owner, new_specialist = specialist or owner, owner, assignee_id
    at = datetime.now(UTC).isoformat()
    entry = json.dumps(
        {
            "kind": kind,
            "from": before,
            "to": assignee_id,
            "by": editor.user_id,
            "at": at,
            "reason": reason,
        },
        ensure_ascii=False,
    )
    rows = db.write_returning(
        REASSIGN,
        {
            **scope.parameters(),
            "id": opportunity_id,
            "expected_version": expected_version,
            "owner_rm_id": new_owner,
            "specialist_id": new_specialist,
            "entry": entry,
            "at": at,
        },
    )
    require_applied(rows, opportunity_id)
    logger.info(
        "opportunity %s reassigned from %s to %s %s by %s",
        opportunity_id,
        before,
        kind,
        assignee_id,
        editor.user_id,
    )
    return get_opportunity(db, scope, opportunity_id)

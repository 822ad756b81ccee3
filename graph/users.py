"""API users and their keys, stored in Neo4j as ``:ApiUser`` nodes.

A key looks like ``cg_<prefix>_<secret>``. Only the prefix (to find the user) and
the SHA-256 of the whole key are stored, never the key. A salted slow hash
(argon2, bcrypt) protects *guessable* passwords; these keys carry 256 random bits,
so a fast hash is as safe and keeps every request cheap.

Examples
--------
>>> key = generate_api_key()
>>> parsed = parse_api_key(key.key)
>>> parsed == key.prefix, verify_key(key.key, key.key_hash)
(True, True)
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, LiteralString

from core.codes import Role
from core.errors import AuthenticationError, InputValidationError, NotFoundError

from .branches import NEW_AUTH_VERSION, read_branch_tree
from .database import Database


@dataclass(frozen=True)
class ApiUser:
    """A user as the API sees it; never carries the key or its hash."""

    user_id: str
    name: str
    role: Role
    branch_id: str
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None
    #: The relationship manager this user is (an RM's own opportunities are theirs to change).
    rm_id: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewApiKey:
    """A freshly generated key: shown once, then only its hash is kept."""

    key: str
    prefix: str
    key_hash: str


_KEY_PATTERN: Final = re.compile(r"^cg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


def hash_key(key: str) -> str:
    """SHA-256 of the whole key, hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_api_key() -> NewApiKey:
    """A new random key with 256 bits of secret."""
    prefix = secrets.token_hex(6)
    key = f"cg_{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key=key, prefix=prefix, key_hash=hash_key(key))


def parse_api_key(key: str) -> str | None:
    """The lookup prefix of a well-formed key, else ``None``."""
    match = _KEY_PATTERN.match(key.strip())
    return match.group(1) if match else None


def verify_key(key: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented key with a stored hash."""
    return hmac.compare_digest(hash_key(key.strip()), stored_hash)


CREATE_USER: Final[LiteralString] = (
    "CREATE (u:ApiUser {user_id: $user_id, name: $name, role: $role, branch_id: $branch_id, "
    "key_prefix: $key_prefix, key_hash: $key_hash, created_at: $created_at, rm_id: $rm_id}) "
    "WITH u " + NEW_AUTH_VERSION
)
FIND_USER_BY_PREFIX: Final[LiteralString] = (
    "MATCH (u:ApiUser {key_prefix: $key_prefix}) "
    "RETURN u.user_id AS user_id, u.name AS name, u.role AS role, u.branch_id AS branch_id, "
    "u.key_prefix AS key_prefix, u.key_hash AS key_hash, u.created_at AS created_at, "
    "u.revoked_at AS revoked_at, u.rm_id AS rm_id"
)
READ_RM_BRANCH: Final[LiteralString] = (
    "MATCH (m:RelationshipManager {rm_id: $rm_id}) RETURN m.branch_id AS branch_id"
)
LIST_USERS: Final[LiteralString] = (
    "MATCH (u:ApiUser) "
    "RETURN u.user_id AS user_id, u.name AS name, u.role AS role, u.branch_id AS branch_id, "
    "u.key_prefix AS key_prefix, u.created_at AS created_at, u.revoked_at AS revoked_at, "
    "u.rm_id AS rm_id ORDER BY u.created_at, u.user_id"
)
REVOKE_USER: Final[LiteralString] = (
    "MATCH (u:ApiUser) WHERE u.user_id = $ref OR u.key_prefix = $ref "
    "SET u.revoked_at = coalesce(u.revoked_at, $now) "
    "WITH u " + NEW_AUTH_VERSION + " "
    "RETURN u.user_id AS user_id, u.name AS name, u.role AS role, u.branch_id AS branch_id, "
    "u.key_prefix AS key_prefix, u.created_at AS created_at, u.revoked_at AS revoked_at, "
    "u.rm_id AS rm_id"
)


def _to_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    native = value.to_native()  # neo4j.time.DateTime
    if not isinstance(native, datetime):
        raise TypeError(f"expected a datetime, got {type(native).__name__}")
    return native


def _user_from_record(row: dict[str, Any]) -> ApiUser:
    created = _to_datetime(row["created_at"])
    if created is None:
        raise TypeError("ApiUser without created_at")
    return ApiUser(
        user_id=str(row["user_id"]),
        name=str(row["name"]),
        role=Role(row["role"]),
        branch_id=str(row["branch_id"]),
        key_prefix=str(row["key_prefix"]),
        created_at=created,
        revoked_at=_to_datetime(row["revoked_at"]),
        rm_id=str(row["rm_id"]) if row.get("rm_id") is not None else None,
    )


@dataclass(frozen=True)
class StoredCredential:
    """A user and the hash of its key, as stored: what authentication compares with."""

    user: ApiUser
    key_hash: str

    def admits(self, key: str) -> ApiUser:
        """The user when ``key`` matches and is not revoked.

        Raises
        ------
        AuthenticationError
            Wrong or revoked key (one message for both).
        """
        if not verify_key(key, self.key_hash) or not self.user.active:
            raise AuthenticationError("invalid or revoked API key")
        return self.user


def key_prefix_of(key: str | None) -> str:
    """The lookup prefix of a presented key.

    Raises
    ------
    AuthenticationError
        Missing or malformed key.
    """
    if not key:
        raise AuthenticationError("an API key is required")
    prefix = parse_api_key(key)
    if prefix is None:
        raise AuthenticationError("invalid or revoked API key")
    return prefix


class UserStore:
    """Create, list, revoke and authenticate API users."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self, name: str, role: Role | str, branch_id: str, *, rm_id: str | None = None
    ) -> tuple[ApiUser, str]:
        """Create a user and return it with its key (the only time the key exists).

        ``rm_id`` links the user to the relationship manager they are, so that the
        opportunities that RM owns are theirs to change.

        Raises
        ------
        InputValidationError
            Unknown role, empty name, a branch that is not in the branch tree, or an
            ``rm_id`` that is not a relationship manager of the branch's subtree.
        """
        try:
            role = Role(role)
        except ValueError as error:
            raise InputValidationError(
                f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}"
            ) from error
        if not name.strip():
            raise InputValidationError("user name must not be empty")
        tree = read_branch_tree(self.db)
        if branch_id not in tree:
            known = ", ".join(sorted(tree.parents)[:20]) or "none loaded yet"
            raise InputValidationError(
                f"unknown branch {branch_id!r}; load branches first (known: {known})",
                details={"branch_id": branch_id},
            )
        if rm_id is not None:
            row = self.db.read_one(READ_RM_BRANCH, {"rm_id": rm_id})
            if row is None or row["branch_id"] not in tree.subtree(branch_id):
                raise InputValidationError(
                    f"{rm_id!r} is not a relationship manager of branch {branch_id}'s subtree",
                    details={"rm_id": rm_id, "branch_id": branch_id},
                )
        new_key = generate_api_key()
        user = ApiUser(
            user_id=f"u-{uuid.uuid4().hex[:12]}",
            name=name.strip(),
            role=role,
            branch_id=branch_id,
            key_prefix=new_key.prefix,
            created_at=datetime.now(UTC),
            revoked_at=None,
            rm_id=rm_id,
        )
        self.db.write(
            CREATE_USER,
            {
                "user_id": user.user_id,
                "name": user.name,
                "role": user.role.value,
                "branch_id": user.branch_id,
                "key_prefix": user.key_prefix,
                "key_hash": new_key.key_hash,
                "created_at": user.created_at,
                "rm_id": user.rm_id,
            },
        )
        return user, new_key.key

    def list(self) -> list[ApiUser]:
        """Every user, active and revoked."""
        return [_user_from_record(r) for r in self.db.read(LIST_USERS)]

    def revoke(self, user_ref: str) -> ApiUser:
        """Revoke a user by user id or key prefix. Revoking twice keeps the first time."""
        rows = self.db.write_returning(REVOKE_USER, {"ref": user_ref, "now": datetime.now(UTC)})
        if not rows:
            raise NotFoundError(f"no user with id or key prefix {user_ref!r}")
        return _user_from_record(rows[0])

    def authenticate(self, key: str | None) -> ApiUser:
        """Return the active user owning ``key``.

        Raises
        ------
        AuthenticationError
            Missing, malformed, unknown or revoked key. The message does not say
            which, so it cannot be used to probe for valid prefixes.
        """
        prefix = key_prefix_of(key)
        credential = self.credential(prefix)
        if credential is None or key is None:
            raise AuthenticationError("invalid or revoked API key")
        return credential.admits(key)

    def credential(self, key_prefix: str) -> StoredCredential | None:
        """The stored user and key hash of ``key_prefix``, revoked or not; ``None`` if none."""
        row = self.db.read_one(FIND_USER_BY_PREFIX, {"key_prefix": key_prefix})
        if row is None:
            return None
        return StoredCredential(_user_from_record(row), str(row["key_hash"]))

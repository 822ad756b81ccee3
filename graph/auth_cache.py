"""What every request reads before its own work, cached: API keys and the branch tree.

Authentication used to cost two Neo4j reads per request (the key, then the whole
branch tree, 4.9 ms on the medium bank). Both change rarely, and every write that
changes them leaves a mark in the graph: a load writes a new data version
(:func:`graph.load_writes.new_data_version`), and creating or revoking a user or
writing branches writes a new *auth version* (:data:`NEW_AUTH_VERSION`, in the
same statement as the change). So each request reads just those versions (one
index seek on ``CorpgraphMeta.key``) and uses the cached key and tree while they
are unchanged. A revoked key, a new user or a moved branch therefore take effect on
the very next request, in every API worker process. With ``enabled=False`` nothing
is cached.

Examples
--------
>>> tree = BranchTree.from_parents({"HO": None})
>>> cache = AuthCache(
...     read_version=lambda db: ("i", "v1", "a1"), read_tree=lambda db: tree,
...     read_credential=lambda db, prefix: None)
>>> cache.branch_tree(None) is tree
True
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final, LiteralString

from core.errors import AuthenticationError

from .branches import BranchTree, read_branch_tree
from .users import ApiUser, StoredCredential, UserStore, key_prefix_of

#: ``(instance id, data version, auth version)``: the cache is valid while it is unchanged.
AuthVersion = tuple[str, str, str]
VersionReader = Callable[[Any], AuthVersion]
TreeReader = Callable[[Any], BranchTree]
CredentialReader = Callable[[Any, str], StoredCredential | None]

READ_AUTH_VERSION: Final[LiteralString] = (
    "OPTIONAL MATCH (m:CorpgraphMeta {key: 'instance'}) "
    "OPTIONAL MATCH (a:CorpgraphMeta {key: 'auth'}) "
    "RETURN m.instance_id AS instance_id, m.data_version AS data_version, "
    "a.auth_version AS auth_version"
)


def read_auth_version(db: Any) -> AuthVersion:
    """The versions the cached keys and branch tree depend on (``"None"`` when unset)."""
    row = db.read_one(READ_AUTH_VERSION) or {}
    return str(row.get("instance_id")), str(row.get("data_version")), str(row.get("auth_version"))


def _read_credential(db: Any, key_prefix: str) -> StoredCredential | None:
    return UserStore(db).credential(key_prefix)


class AuthCache:
    """API-key lookups and the branch tree, cached while the auth version is unchanged.

    Thread-safe: request handlers run in a thread pool. ``db`` is the
    :class:`~graph.database.Database` (any object the readers accept).
    """

    def __init__(
        self,
        *,
        enabled: bool = True,
        read_version: VersionReader = read_auth_version,
        read_tree: TreeReader = read_branch_tree,
        read_credential: CredentialReader = _read_credential,
    ) -> None:
        self.enabled = enabled
        self._read_version = read_version
        self._read_tree = read_tree
        self._read_credential = read_credential
        self._lock = threading.Lock()
        self._version: AuthVersion | None = None
        self._tree: BranchTree | None = None
        self._credentials: dict[str, StoredCredential] = {}

    def _check_version(self, db: Any) -> None:
        """Forget everything when the versions changed (read on every call, under the lock)."""
        version = self._read_version(db)
        if version != self._version:
            self._tree = None
            self._credentials.clear()
            self._version = version

    def caller(self, db: Any, key: str | None) -> tuple[ApiUser, BranchTree]:
        """The active user owning ``key`` and the branch tree: one version read when cached.

        Raises
        ------
        AuthenticationError
            Missing, malformed, unknown or revoked key (one message for all but missing).
        """
        prefix = key_prefix_of(key)
        presented = str(key)
        if not self.enabled:
            credential = self._read_credential(db, prefix)
            tree = self._read_tree(db)
        else:
            with self._lock:
                self._check_version(db)
                credential = self._credentials.get(prefix)
                if credential is None:
                    # Unknown prefixes are not remembered: a key created a moment ago works.
                    credential = self._read_credential(db, prefix)
                    if credential is not None:
                        self._credentials[prefix] = credential
                if self._tree is None:
                    self._tree = self._read_tree(db)
                tree = self._tree
        if credential is None:
            raise AuthenticationError("invalid or revoked API key")
        return credential.admits(presented), tree

    def authenticate(self, db: Any, key: str | None) -> ApiUser:
        """The active user owning ``key`` (see :meth:`caller`)."""
        return self.caller(db, key)[0]

    def branch_tree(self, db: Any) -> BranchTree:
        """The branch tree of the current versions."""
        if not self.enabled:
            return self._read_tree(db)
        with self._lock:
            self._check_version(db)
            if self._tree is None:
                self._tree = self._read_tree(db)
            return self._tree

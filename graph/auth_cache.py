"""What every request reads before its own work, cached: API keys and the branch tree.

Authentication used to cost two Neo4j reads per request (the key, then the whole
branch tree). Both change rarely: the branch tree only with a load, which writes a
new data version; a key only when it is created or revoked. So both are cached
per data version, and re-checked every ``ttl_s`` seconds (the data version with
one small read, each key with its own). A revoked key therefore stops working
within ``ttl_s`` seconds (``Settings.api_auth_cache_ttl_s``); with ``ttl_s = 0``
nothing is cached.

Examples
--------
>>> tree = BranchTree.from_parents({"HO": None})
>>> cache = AuthCache(
...     10, read_version=lambda db: ("i", "v1"), read_tree=lambda db: tree,
...     read_credential=lambda db, prefix: None, clock=lambda: 0.0)
>>> cache.branch_tree(None) is tree
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import AuthenticationError

from .branches import BranchTree, read_branch_tree
from .schema import read_data_version
from .users import ApiUser, StoredCredential, UserStore, key_prefix_of

VersionReader = Callable[[Any], tuple[str, str]]
TreeReader = Callable[[Any], BranchTree]
CredentialReader = Callable[[Any, str], StoredCredential | None]


def _read_credential(db: Any, key_prefix: str) -> StoredCredential | None:
    return UserStore(db).credential(key_prefix)


@dataclass(frozen=True)
class _Cached:
    credential: StoredCredential
    read_at: float


class AuthCache:
    """API-key lookups and the branch tree, cached per data version for ``ttl_s`` seconds.

    Thread-safe: request handlers run in a thread pool. ``db`` is the
    :class:`~graph.database.Database` (any object the readers accept).
    """

    def __init__(
        self,
        ttl_s: float,
        *,
        read_version: VersionReader = read_data_version,
        read_tree: TreeReader = read_branch_tree,
        read_credential: CredentialReader = _read_credential,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._read_version = read_version
        self._read_tree = read_tree
        self._read_credential = read_credential
        self._clock = clock
        self._lock = threading.Lock()
        self._version: tuple[str, str] | None = None
        self._version_read_at = 0.0
        self._tree: BranchTree | None = None
        self._credentials: dict[str, _Cached] = {}

    def _fresh(self, read_at: float, now: float) -> bool:
        return now - read_at < self.ttl_s

    def _check_version(self, db: Any, now: float) -> None:
        """Forget everything when the data version changed (checked every ``ttl_s``)."""
        if self._version is not None and self._fresh(self._version_read_at, now):
            return
        version = self._read_version(db)
        if version != self._version:
            self._tree = None
            self._credentials.clear()
        self._version = version
        self._version_read_at = now

    def branch_tree(self, db: Any) -> BranchTree:
        """The branch tree of the current data version."""
        if self.ttl_s <= 0:
            return self._read_tree(db)
        with self._lock:
            self._check_version(db, self._clock())
            if self._tree is None:
                self._tree = self._read_tree(db)
            return self._tree

    def authenticate(self, db: Any, key: str | None) -> ApiUser:
        """The active user owning ``key``.

        Raises
        ------
        AuthenticationError
            Missing, malformed, unknown or revoked key (one message for all but missing).
        """
        prefix = key_prefix_of(key)
        presented = str(key)
        credential: StoredCredential | None
        if self.ttl_s <= 0:
            credential = self._read_credential(db, prefix)
        else:
            with self._lock:
                now = self._clock()
                self._check_version(db, now)
                cached = self._credentials.get(prefix)
                if cached is not None and self._fresh(cached.read_at, now):
                    credential = cached.credential
                else:
                    # Unknown prefixes are not remembered: a key created a moment ago works.
                    credential = self._read_credential(db, prefix)
                    if credential is not None:
                        self._credentials[prefix] = _Cached(credential, now)
        if credential is None:
            raise AuthenticationError("invalid or revoked API key")
        return credential.admits(presented)

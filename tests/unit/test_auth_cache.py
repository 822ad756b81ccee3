"""The cache of API keys and the branch tree: revocation within the TTL, loads retire it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.codes import Role
from core.errors import AuthenticationError
from graph.auth_cache import AuthCache
from graph.branches import BranchTree
from graph.users import ApiUser, StoredCredential, generate_api_key

pytestmark = pytest.mark.unit


class FakeStore:
    """Stands in for Neo4j: counts reads, lets a test revoke and reload."""

    def __init__(self) -> None:
        self.new = generate_api_key()
        self.revoked_at: datetime | None = None
        self.version = ("instance", "v1")
        self.tree = BranchTree.from_parents({"HO": None, "BJ": "HO"})
        self.reads = {"version": 0, "tree": 0, "credential": 0}
        self.now = 0.0

    def read_version(self, db: object) -> tuple[str, str]:
        self.reads["version"] += 1
        return self.version

    def read_tree(self, db: object) -> BranchTree:
        self.reads["tree"] += 1
        return self.tree

    def read_credential(self, db: object, prefix: str) -> StoredCredential | None:
        self.reads["credential"] += 1
        if prefix != self.new.prefix:
            return None
        user = ApiUser("u-1", "王经理", Role.RM, "BJ", prefix, datetime.now(UTC), self.revoked_at)
        return StoredCredential(user, self.new.key_hash)

    def cache(self, ttl_s: float) -> AuthCache:
        return AuthCache(
            ttl_s,
            read_version=self.read_version,
            read_tree=self.read_tree,
            read_credential=self.read_credential,
            clock=lambda: self.now,
        )


def test_a_revoked_key_stops_working_within_the_ttl() -> None:
    store = FakeStore()
    cache = store.cache(ttl_s=30)
    assert cache.authenticate(None, store.new.key).user_id == "u-1"
    store.revoked_at = datetime.now(UTC)
    store.now = 29.9
    assert cache.authenticate(None, store.new.key).user_id == "u-1"  # still cached
    store.now = 30.0
    with pytest.raises(AuthenticationError):
        cache.authenticate(None, store.new.key)


def test_requests_within_the_ttl_read_nothing() -> None:
    store = FakeStore()
    cache = store.cache(ttl_s=30)
    for second in range(29):
        store.now = float(second)
        cache.authenticate(None, store.new.key)
        cache.branch_tree(None)
    assert store.reads == {"version": 1, "tree": 1, "credential": 1}


def test_a_load_retires_the_tree_and_the_keys() -> None:
    store = FakeStore()
    cache = store.cache(ttl_s=30)
    assert "SH" not in cache.branch_tree(None)
    store.now = 20.0
    cache.authenticate(None, store.new.key)  # read at 20 s: fresh until 50 s
    store.tree = BranchTree.from_parents({"HO": None, "BJ": "HO", "SH": "HO"})
    store.version = ("instance", "v2")
    store.now = 31.0  # the data version (read at 0 s) is due: it changed
    assert "SH" in cache.branch_tree(None)
    cache.authenticate(None, store.new.key)
    assert store.reads["credential"] == 2


def test_unknown_and_wrong_keys_are_refused_and_not_remembered() -> None:
    store = FakeStore()
    cache = store.cache(ttl_s=30)
    other = generate_api_key()
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            cache.authenticate(None, other.key)
    assert store.reads["credential"] == 2
    forged = store.new.key[:-1] + ("A" if store.new.key[-1] != "A" else "B")
    with pytest.raises(AuthenticationError):
        cache.authenticate(None, forged)
    with pytest.raises(AuthenticationError):
        cache.authenticate(None, None)


def test_ttl_zero_reads_every_time() -> None:
    store = FakeStore()
    cache = store.cache(ttl_s=0)
    for _ in range(3):
        cache.authenticate(None, store.new.key)
        cache.branch_tree(None)
    assert store.reads == {"version": 0, "tree": 3, "credential": 3}

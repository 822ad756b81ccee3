"""The cache of API keys and the branch tree: valid while the graph's versions are unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.codes import Role
from core.errors import AuthenticationError
from graph.auth_cache import AuthCache, AuthVersion
from graph.branches import BranchTree
from graph.users import ApiUser, StoredCredential, generate_api_key

pytestmark = pytest.mark.unit


class FakeStore:
    """Stands in for Neo4j: counts reads, lets a test revoke, move branches and reload."""

    def __init__(self) -> None:
        self.new = generate_api_key()
        self.revoked_at: datetime | None = None
        self.version: AuthVersion = ("instance", "v1", "a1")
        self.tree = BranchTree.from_parents({"HO": None, "BJ": "HO"})
        self.reads = {"version": 0, "tree": 0, "credential": 0}

    def read_version(self, db: object) -> AuthVersion:
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

    def cache(self, *, enabled: bool = True) -> AuthCache:
        return AuthCache(
            enabled=enabled,
            read_version=self.read_version,
            read_tree=self.read_tree,
            read_credential=self.read_credential,
        )


def test_a_revocation_takes_effect_on_the_next_request() -> None:
    store = FakeStore()
    cache = store.cache()
    assert cache.authenticate(None, store.new.key).user_id == "u-1"
    assert cache.authenticate(None, store.new.key).user_id == "u-1"  # cached
    store.revoked_at = datetime.now(UTC)
    store.version = ("instance", "v1", "a2")  # what the revoking statement writes
    with pytest.raises(AuthenticationError):
        cache.authenticate(None, store.new.key)


def test_unchanged_versions_cost_one_small_read_per_request() -> None:
    store = FakeStore()
    cache = store.cache()
    for _ in range(20):
        user, tree = cache.caller(None, store.new.key)
        assert user.user_id == "u-1"
        assert "BJ" in tree
    assert store.reads == {"version": 20, "tree": 1, "credential": 1}


def test_a_load_or_a_branch_write_retires_the_tree_and_the_keys() -> None:
    store = FakeStore()
    cache = store.cache()
    assert "SH" not in cache.caller(None, store.new.key)[1]
    store.tree = BranchTree.from_parents({"HO": None, "BJ": "HO", "SH": "HO"})
    assert "SH" not in cache.branch_tree(None)  # versions unchanged: the cached tree
    store.version = ("instance", "v2", "a1")  # a load
    assert "SH" in cache.caller(None, store.new.key)[1]
    assert store.reads["credential"] == 2
    store.tree = BranchTree.from_parents({"HO": None, "BJ": "HO", "SH": "BJ"})
    store.version = ("instance", "v2", "a2")  # a branch write
    assert cache.branch_tree(None).subtree("BJ") == {"BJ", "SH"}
    assert store.reads["tree"] == 3


def test_unknown_and_wrong_keys_are_refused_and_not_remembered() -> None:
    store = FakeStore()
    cache = store.cache()
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


def test_disabled_reads_every_time() -> None:
    store = FakeStore()
    cache = store.cache(enabled=False)
    for _ in range(3):
        cache.caller(None, store.new.key)
    assert store.reads == {"version": 0, "tree": 3, "credential": 3}

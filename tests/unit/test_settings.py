from __future__ import annotations

import pytest

from core.settings import Settings


def test_neo4j_names_are_unprefixed_and_others_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://db:7687")
    monkeypatch.setenv("NEO4J_USER", "alice")
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret")
    monkeypatch.setenv("NEO4J_DATABASE", "bank")
    monkeypatch.setenv("CORPGRAPH_API_PORT", "9100")
    monkeypatch.setenv("CORPGRAPH_WRITE_BATCH_SIZE", "20000")
    s = Settings(_env_file=None)
    assert (s.neo4j_uri, s.neo4j_user, s.neo4j_database) == ("bolt://db:7687", "alice", "bank")
    assert s.api_port == 9100
    assert s.write_batch_size == 20000
    assert not s.uses_local_server


def test_password_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret")
    s = Settings(_env_file=None)
    assert s.neo4j_password is not None
    assert "s3cret" not in repr(s)
    assert s.neo4j_password.get_secret_value() == "s3cret"


def test_blank_uri_means_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "")
    assert Settings(_env_file=None).uses_local_server


def test_batch_size_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPGRAPH_WRITE_BATCH_SIZE", "100")
    with pytest.raises(ValueError, match="write_batch_size"):
        Settings(_env_file=None)

from __future__ import annotations

from graph.users import generate_api_key, hash_key, parse_api_key, verify_key


def test_keys_are_unique_and_verifiable() -> None:
    first, second = generate_api_key(), generate_api_key()
    assert first.key != second.key
    assert first.prefix != second.prefix
    assert verify_key(first.key, first.key_hash)
    assert not verify_key(second.key, first.key_hash)


def test_hash_is_not_the_key() -> None:
    key = generate_api_key()
    assert key.key not in key.key_hash
    assert key.key_hash == hash_key(key.key)
    assert len(key.key_hash) == 64


def test_tampered_key_fails() -> None:
    key = generate_api_key()
    tampered = key.key[:-1] + ("A" if key.key[-1] != "A" else "B")
    assert parse_api_key(tampered) == key.prefix
    assert not verify_key(tampered, key.key_hash)


def test_malformed_keys_have_no_prefix() -> None:
    for bad in ["", "Bearer x", "cg_short_x", "cg_zzzzzzzzzzzz_" + "a" * 43]:
        assert parse_api_key(bad) is None

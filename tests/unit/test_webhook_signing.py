"""Webhook signatures, payloads and back-off (pure, no network)."""

from __future__ import annotations

import hashlib
import hmac
import json

from services.webhooks import backoff_s, payload, sign_body, verify_signature


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = payload("EV-1|http://x", {"id": "EV-1", "type": "dormancy", "名称": "华信"})
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert sign_body(b"secret", body) == f"sha256={expected}"
    assert verify_signature(b"secret", body, f"sha256={expected}")


def test_tampering_or_a_wrong_key_fails() -> None:
    body = payload("d", {"id": "EV-1"})
    header = sign_body(b"secret", body)
    assert not verify_signature(b"other", body, header)
    assert not verify_signature(b"secret", body + b" ", header)
    assert not verify_signature(b"secret", body, None)
    assert not verify_signature(b"secret", body, "sha256=00")


def test_payload_is_stable_utf8_json() -> None:
    body = payload("d", {"b": 1, "a": "华"})
    assert body == payload("d", {"a": "华", "b": 1})
    assert json.loads(body.decode("utf-8")) == {"delivery_id": "d", "event": {"a": "华", "b": 1}}


def test_backoff_doubles_and_is_capped() -> None:
    delays = [backoff_s(n, 2.0, 60.0) for n in range(1, 8)]
    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff_s(0, 2.0, 60.0) == 2.0

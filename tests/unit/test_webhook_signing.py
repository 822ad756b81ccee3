"""Standard Webhooks signatures, payloads, replay protection and back-off (pure, no network)."""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from core.settings import Settings
from services.webhooks import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    backoff_s,
    message_id,
    payload,
    signed_headers,
)

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
EVENT = {"id": "EV-1", "type": "dormancy", "customer": {"name": "华信"}, "created_at": None}


def test_a_delivery_verifies_with_the_standardwebhooks_library() -> None:
    body = payload(EVENT)
    headers = signed_headers(SECRET, message_id("EV-1"), body, datetime.now(UTC))
    assert headers[ID_HEADER] == "msg_EV-1"
    assert headers[SIGNATURE_HEADER].startswith("v1,")
    verified = Webhook(SECRET).verify(body, headers)
    assert verified["data"]["customer"]["name"] == "华信"
    assert verified["type"] == "event.created"


def test_tampering_or_a_wrong_secret_fails() -> None:
    body = payload(EVENT)
    headers = signed_headers(SECRET, "msg_EV-1", body, datetime.now(UTC))
    other = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body.replace(b"EV-1", b"EV-2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body, {**headers, ID_HEADER: "msg_EV-2"})


def test_a_replay_older_than_the_tolerance_is_rejected() -> None:
    body = payload(EVENT)
    captured = signed_headers(SECRET, "msg_EV-1", body, datetime.now(UTC) - timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(SECRET).verify(body, captured)
    # Moving the captured timestamp to now breaks the signature instead.
    fresh = {**captured, TIMESTAMP_HEADER: str(math.floor(datetime.now(UTC).timestamp()))}
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(SECRET).verify(body, fresh)


def test_payload_is_stable_utf8_json_in_the_standard_envelope() -> None:
    body = payload({"b": 1, "a": "华", "created_at": "2026-01-01T00:00:00+00:00"})
    assert body == payload({"a": "华", "b": 1, "created_at": "2026-01-01T00:00:00+00:00"})
    assert json.loads(body.decode("utf-8")) == {
        "type": "event.created",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "data": {"a": "华", "b": 1, "created_at": "2026-01-01T00:00:00+00:00"},
    }


def test_backoff_doubles_and_is_capped() -> None:
    delays = [backoff_s(n, 2.0, 60.0) for n in range(1, 8)]
    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff_s(0, 2.0, 60.0) == 2.0


@pytest.mark.parametrize(
    "secret",
    [
        "test-webhook-secret",
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"short").decode(),
        base64.b64encode(bytes(32)).decode(),
    ],
)
def test_the_secret_must_be_a_standard_webhooks_secret(secret: str) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, webhook_secret=secret)


def test_a_standard_secret_is_accepted() -> None:
    settings = Settings(_env_file=None, webhook_secret=SECRET)
    assert settings.webhook_secret is not None

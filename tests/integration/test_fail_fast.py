"""With Neo4j down, authenticated requests answer 503 at once (the mechanism; no timing).

"Down" is a Bolt address where nothing listens, as after ``neo4j stop``: the
shared test server keeps running for the other tests. The p99 latency is
measured by ``bench/neo4j_down_latency.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from core.settings import Settings
from graph.database import Database
from graph.users import generate_api_key

from .conftest import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def down_client(settings: Settings) -> Iterator[TestClient]:
    down = settings.model_copy(
        update={
            "neo4j_uri": f"bolt://127.0.0.1:{free_port()}",
            "neo4j_password": SecretStr("unused"),
        }
    )
    with TestClient(create_app(down)) as client:
        yield client


def test_the_api_driver_waits_briefly_and_does_not_retry(
    down_client: TestClient, settings: Settings
) -> None:
    driver = down_client.app.state.database.driver  # type: ignore[attr-defined]
    config = driver._default_workspace_config
    assert config.connection_acquisition_timeout == settings.api_neo4j_acquisition_timeout_s
    assert config.max_transaction_retry_time == settings.api_neo4j_max_retry_time_s
    assert driver._pool.pool_config.connection_timeout <= settings.api_neo4j_acquisition_timeout_s
    assert settings.api_neo4j_acquisition_timeout_s <= 2


def test_neo4j_down_sets_the_readiness_flag_and_every_request_gets_503(
    down_client: TestClient,
) -> None:
    availability = down_client.app.state.availability  # type: ignore[attr-defined]
    assert availability.ready
    headers = {"X-API-Key": generate_api_key().key}
    first = down_client.get("/api/v1/me", headers=headers)
    assert first.status_code == 503, first.text
    assert first.headers["content-type"].startswith("application/problem+json")
    assert not availability.ready
    # Refused by the flag without touching the driver until the recheck interval ends.
    assert not availability.admit()
    for path in ("/api/v1/customers", "/api/v1/events", "/api/v1/groups"):
        response = down_client.get(path, headers=headers)
        assert response.status_code == 503, (path, response.text)
    ready = down_client.get("/api/v1/ready")
    assert ready.status_code == 503
    # A missing key is still a 401: it needs no database.
    assert down_client.get("/api/v1/me").status_code == 401


def test_the_flag_clears_when_neo4j_answers(settings: Settings, database: Database) -> None:
    with TestClient(create_app(settings)) as client:
        availability = client.app.state.availability  # type: ignore[attr-defined]
        availability.mark_down()
        assert not availability.ready
        ready = client.get("/api/v1/ready")  # readiness probes Neo4j whatever the flag says
        assert ready.status_code == 200, ready.text
        assert availability.ready

"""There is no Docker engine here, so the compose file is checked against the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import Settings, env_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_neo4j_is_526_with_gds_and_apoc(compose: dict[str, Any]) -> None:
    neo4j = compose["services"]["neo4j"]
    assert re.fullmatch(r"neo4j:5\.26(\.\d+)?", neo4j["image"])
    plugins = yaml.safe_load(neo4j["environment"]["NEO4J_PLUGINS"])
    assert set(plugins) == {"graph-data-science", "apoc"}
    assert "healthcheck" in neo4j
    assert "NEO4J_PASSWORD" in neo4j["environment"]["NEO4J_AUTH"]


def test_neo4j_data_is_on_a_named_volume(compose: dict[str, Any]) -> None:
    mounts = compose["services"]["neo4j"]["volumes"]
    named = [m.split(":")[0] for m in mounts if m.endswith(":/data")]
    assert named
    assert named[0] in compose["volumes"]


def test_api_is_built_here_and_waits_for_healthy_neo4j(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert (ROOT / api["build"]["context"] / api["build"]["dockerfile"]).is_file()
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"


def test_api_environment_uses_only_known_settings(compose: dict[str, Any]) -> None:
    env = compose["services"]["api"]["environment"]
    known = env_names()
    unknown = set(env) - set(known)
    assert not unknown, f"compose sets variables Settings does not read: {unknown}"
    for required in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        assert required in env


def test_ports_agree_with_settings(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = compose["services"]["api"]
    env = {k: str(v) for k, v in api["environment"].items()}
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace("${NEO4J_PASSWORD:?set NEO4J_PASSWORD}", "x"))
    settings = Settings(_env_file=None)  # what the container's process reads
    assert settings.api_host == "0.0.0.0"  # noqa: S104 - inside a container
    assert f":{settings.api_port}:{settings.api_port}" in " ".join(api["ports"])
    bolt_port = int(env["NEO4J_URI"].rsplit(":", 1)[1])
    neo4j_ports = " ".join(compose["services"]["neo4j"]["ports"])
    assert f":{bolt_port}" in neo4j_ports
    assert env["NEO4J_URI"].startswith("bolt://neo4j:")

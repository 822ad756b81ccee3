"""The API contract in ``/openapi.json``: typed answers, declared errors, bounded inputs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from api import examples
from api.app import create_app
from api.schemas import Customer360, NetworkOut, ProspectDetail
from core.pagination import MAX_PAGE_SIZE, Page
from core.settings import Settings

pytestmark = pytest.mark.unit

DECLARED_ERRORS = {"400", "401", "403", "404", "422", "503"}
PROBLEM_REF = "#/components/schemas/Problem"
#: Operations that need no API key (so they declare no 401/403).
PUBLIC = {("get", "/api/v1/health"), ("get", "/api/v1/ready")}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(Settings(_env_file=None)).openapi()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def success(op: dict[str, Any]) -> dict[str, Any]:
    codes = [c for c in op["responses"] if c.startswith("2")]
    assert len(codes) == 1, codes
    response: dict[str, Any] = op["responses"][codes[0]]
    return response


def test_every_operation_states_its_answer_schema(spec: dict[str, Any]) -> None:
    untyped = []
    json_operations = 0
    for method, path, op in operations(spec):
        content = success(op).get("content", {})
        if not content:
            untyped.append(f"{method} {path}: no content")
        for media_type, body in content.items():
            schema = body.get("schema") or {}
            if not schema:
                untyped.append(f"{method} {path}: {media_type} without a schema")
            if media_type == "application/json":
                json_operations += 1
                # A model, a list of models or a page: never a bare object of anything.
                if schema.get("type") == "object" and "properties" not in schema:
                    untyped.append(f"{method} {path}: untyped object")
    assert not untyped, untyped
    assert json_operations >= 35


def test_every_authenticated_operation_declares_its_problems(spec: dict[str, Any]) -> None:
    assert "Problem" in spec["components"]["schemas"]
    missing = []
    for method, path, op in operations(spec):
        if (method, path) in PUBLIC:
            continue
        for code in sorted(DECLARED_ERRORS):
            declared = op["responses"].get(code)
            if declared is None:
                missing.append(f"{method} {path}: {code}")
                continue
            schema = declared["content"]["application/problem+json"]["schema"]
            if schema != {"$ref": PROBLEM_REF}:
                missing.append(f"{method} {path}: {code} is not a problem")
    assert not missing, missing


#: Counts a page may carry beside the envelope: items the caller's scope kept off the page.
PAGE_COUNTS = {"outside_scope"}


def test_every_list_is_one_page_envelope_with_one_bound(spec: dict[str, Any]) -> None:
    pages = 0
    for _method, path, op in operations(spec):
        names = {p["name"] for p in op.get("parameters", [])}
        if "offset" not in names:  # a map's ``limit`` is neighbours per node, not a page
            continue
        limits = [p for p in op["parameters"] if p["name"] == "limit"]
        pages += 1
        assert limits[0]["schema"]["maximum"] == MAX_PAGE_SIZE, path
        ref = success(op)["content"]["application/json"]["schema"]["$ref"]
        page = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        # The one envelope (with the compute run of computed lists); a page may add counts
        # of what scope kept off it (Page subclasses).
        assert set(page["properties"]) - PAGE_COUNTS == {
            "items",
            "total",
            "limit",
            "offset",
            "run_id",
            "computed_at",
        }, path
    assert pages >= 9


def test_every_numeric_parameter_is_bounded(spec: dict[str, Any]) -> None:
    unbounded = []
    for method, path, op in operations(spec):
        for parameter in op.get("parameters", []):
            schema = parameter["schema"]
            variants = schema.get("anyOf", [schema])
            for variant in variants:
                if variant.get("type") in {"integer", "number"} and (
                    "maximum" not in variant and "exclusiveMaximum" not in variant
                ):
                    unbounded.append(f"{method} {path} {parameter['name']}")
    assert not unbounded, unbounded


def test_main_operations_have_examples(spec: dict[str, Any]) -> None:
    for path in (
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/network",
        "/api/v1/prospects",
        "/api/v1/prospects/{prospect_id}",
        "/api/v1/events",
        "/api/v1/opportunities",
        "/api/v1/groups",
    ):
        body = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert body.get("example"), path


@pytest.mark.parametrize(
    ("example", "model"),
    [
        (examples.CUSTOMER_360_EXAMPLE, Customer360),
        (examples.NETWORK_EXAMPLE, NetworkOut),
        (examples.PROSPECT_EXAMPLE, ProspectDetail),
    ],
)
def test_examples_match_their_models(example: dict[str, Any], model: type[BaseModel]) -> None:
    dumped = model.model_validate(example).model_dump(
        mode="json", by_alias=True, exclude_unset=True
    )
    assert dumped == example


def test_page_examples_match_the_page_model() -> None:
    for example in (
        examples.CUSTOMERS_PAGE_EXAMPLE,
        examples.PROSPECTS_PAGE_EXAMPLE,
        examples.EVENTS_PAGE_EXAMPLE,
        examples.OPPORTUNITIES_PAGE_EXAMPLE,
        examples.GROUPS_PAGE_EXAMPLE,
    ):
        page = Page[dict[str, Any]].model_validate(example)
        assert page.total >= len(page.items) == 1

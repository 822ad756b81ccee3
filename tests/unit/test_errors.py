from __future__ import annotations

from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired

from core.errors import (
    CorpgraphError,
    DatabaseAuthError,
    DatabaseUnavailableError,
    InputValidationError,
    NotFoundError,
)
from graph.database import translate_driver_error


def test_every_domain_error_has_the_one_root() -> None:
    for cls in (DatabaseAuthError, DatabaseUnavailableError, InputValidationError, NotFoundError):
        assert issubclass(cls, CorpgraphError)


def test_connection_failures_become_unavailable() -> None:
    assert type(translate_driver_error(ServiceUnavailable("x"))) is DatabaseUnavailableError
    assert type(translate_driver_error(SessionExpired("x"))) is DatabaseUnavailableError
    assert translate_driver_error(ServiceUnavailable("x")).http_status == 503


def test_auth_failure_is_a_configuration_problem() -> None:
    assert isinstance(translate_driver_error(AuthError("x")), DatabaseAuthError)


def test_messages_carry_no_driver_text() -> None:
    error = translate_driver_error(ServiceUnavailable("secret host 10.1.2.3"))
    assert "10.1.2.3" not in error.message

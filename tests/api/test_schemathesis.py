"""Property-based run of schemathesis against /openapi.json: generated requests (valid, and
invalid by the schema) with a valid national key must get no 500, and every response must match the
documented status codes, media types and schemas. Bounded examples per operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.api.conftest import api_settings, make_users

from lifeledger.api.app import create_app
from lifeledger.demo import load_demo
from lifeledger.ledger import Ledger

EXAMPLES_PER_OPERATION = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def key(database_url: str) -> str:
    return make_users(api_settings(database_url))["everyone"]


@pytest.fixture
def api_schema(database_url: str, key: str) -> Iterator[Any]:
    """The app on a ledger holding the demo data; schemathesis runs its lifespan."""
    settings_ = api_settings(database_url, read_wait_seconds=1)
    ledger = Ledger(settings_)
    load_demo(ledger)
    ledger.close()
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings_))
    try:
        yield schema
    finally:
        shutdown_lifespans()


def run_operation(operation: Any, key: str) -> None:
    """Generated requests for one operation, each answer checked."""

    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)

    run()


@pytest.mark.slow
def test_no_server_errors_and_responses_match_the_schema(api_schema: Any, key: str) -> None:
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        try:
            run_operation(operation, key)
        except Exception as error:  # every operation runs; all failures are reported together
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)

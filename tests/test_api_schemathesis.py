"""Schemathesis against the API's own OpenAPI document (/api/v1/openapi.json), through the
Flask app (WSGI): every operation, with valid tokens of several roles (a clerk, a head, a lead,
a store integration). No answer may be a 5xx, and every answer must match the document (status,
media type, headers, body). Examples are bounded so a database takes about a minute."""

import contextvars
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tracker.api import service as api
from tracker.ledger import events
from tracker.ledger.service import NewEvent

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ("sales.clerk", "finance.head", "finance.lead")
EXAMPLES = 10  # per operation; with 4 tokens, about a minute a database


@pytest.fixture
def tokens(session, people, store, now):
    """A token per role and an integration token, and a few events to find."""
    for i in range(3):
        new = NewEvent(store=store, type="vehicle_delivered", occurred_at=now - timedelta(days=i),
                       reference=f"D-{i}", source="api", external_id=f"S-{i}")  # fmt: skip
        events.record_external(session, new, by=None, now=now)
    found = {}
    for role in ROLES:
        _t, found[role] = api.create_token(
            session, people[role], name=role, expires_days=None, integration=False, now=now
        )
    _t, found["dms"] = api.create_token(
        session, people["sales.clerk"], name="dms", expires_days=None, integration=True, now=now
    )
    session.commit()
    return [{"Authorization": f"Bearer {secret}"} for secret in found.values()]


def test_every_operation_keeps_to_the_document_for_every_role(app, tokens):
    # Each operation's cases drawn by hypothesis from the schemathesis strategy (rather than
    # `schema.parametrize()`, whose lazy fixture loader needs a pytest attribute gone in 9.2).
    def isolated(environ, start_response):
        # Each request in an empty context (its own app context and database session), as in
        # production and as the suite's client does, though the test holds a context open.
        return contextvars.Context().run(app, environ, start_response)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            for headers in tokens:
                case.call_and_validate(headers=headers, checks=CHECKS)

        check()

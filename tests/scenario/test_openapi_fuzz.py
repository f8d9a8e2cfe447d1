"""schemathesis over the served OpenAPI document: no 5xx, no answer that breaks its own schema.

The examples are generated from `/api/v1/openapi.json` as the running service serves it (a
real port, real SQLite), a few per operation so that `make test` stays quick; raise
`CENTINELA_FUZZ_EXAMPLES` for a longer hunt. Webhook requests are signed with the test
secret, so their bodies reach the message validation instead of stopping at the 401.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet

from adapters.webhook.signing import signed_headers
from bot.web.openapi import openapi_document
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, settings_for
from tests.scenario.service_thread import ServiceThread

EXAMPLES = int(os.environ.get("CENTINELA_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Built at collection time from the same function the service serves it with; the fixture
# checks that the running service serves exactly this document. (schemathesis's lazy
# `from_fixture` loader does not run on pytest 9.2: it writes a node attribute pytest removed.)
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    with ServiceThread(settings_for(tmp, workers=1)) as base_url:
        served = requests.get(f"{base_url}/api/v1/openapi.json", timeout=30)
        assert served.status_code == 200 and served.json() == openapi_document()
        yield base_url


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_answers_match_the_document(case: schemathesis.Case[Any], service: str) -> None:
    if case.operation.path == "/webhooks/generic":
        body = _raw(case.body)
        headers = signed_headers(WEBHOOK_SECRET, body)
        response = requests.post(f"{service}/webhooks/generic", data=body, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)
        return
    case.call_and_validate(
        base_url=service, headers={"Authorization": f"Bearer {API_TOKEN}"}, checks=CHECKS, timeout=30
    )


def _raw(body: object) -> bytes:
    """The bytes to sign: generated bodies may be absent or already raw."""
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body, ensure_ascii=False).encode()

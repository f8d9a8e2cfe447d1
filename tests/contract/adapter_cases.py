"""What the adapter contract suite needs to know of each registered adapter.

One `AdapterCase` per registry entry that takes messages in: how to configure it, recorded
payloads (as the platform delivers them) that must translate into canonical messages, payloads
that must be skipped (not customer messages), and, for adapters with routes, how to sign a
request and which route to post it to. A new adapter adds its case here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.webhook.signing import signed_headers
from tests.contract.community_cases import COMMUNITY_CASES

SignFn = Callable[[bytes], dict[str, str]]

WEBHOOK_TEST_SECRET = "contract-webhook-secret"


@dataclass(frozen=True)
class AdapterCase:
    """One adapter under the contract: config, payloads that are messages, payloads that are not."""

    name: str
    config: dict[str, Any]
    messages: list[tuple[Any, dict[str, str]]]
    skipped: list[tuple[Any, dict[str, str]]] = field(default_factory=list)
    route: str | None = None
    sign: SignFn | None = None
    body_of: Callable[[Any], bytes] = lambda payload: json.dumps(payload).encode()


_MESSAGE = {
    "id": "c1",
    "channel": "twitter",
    "created_at": "2026-05-20T09:15:00Z",
    "author": {"handle": "@ana", "followers": 12},
    "text": "¿cómo reinicio el router?",
}

CASES: dict[str, AdapterCase] = {
    "webhook": AdapterCase(
        name="webhook",
        config={"secrets": [WEBHOOK_TEST_SECRET]},
        messages=[
            (_MESSAGE, {}),
            ({"messages": [_MESSAGE, {**_MESSAGE, "id": "c2", "channel": "forum"}]}, {}),
        ],
        route="/webhooks/generic",
        sign=lambda body: signed_headers(WEBHOOK_TEST_SECRET, body),
    ),
}

# The Discourse and e-mail adapters' cases, kept beside their fixtures.
CASES.update({n: AdapterCase(name=n, **spec) for n, spec in COMMUNITY_CASES.items()})

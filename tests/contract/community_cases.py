"""Contract cases of the Discourse and e-mail adapters, as plain data any contract suite can use.

Per adapter: its test config, recorded payloads that are customer messages, payloads that are
not (counted skips), and for routes, the path and how to sign a body. Main's
`tests/contract/adapter_cases.py` can take them as they are:
`CASES.update({n: AdapterCase(name=n, **spec) for n, spec in COMMUNITY_CASES.items()})`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakes.discourse_api import API_KEY, OFFICIAL, ROBOT, WEBHOOK_SECRET, sign
from tests.paths import TEST_DATA

_DELIVERIES = [
    json.loads(line)
    for line in (TEST_DATA / "webhooks" / "discourse" / "deliveries.jsonl").read_text().splitlines()
]
_MAILS: list[Path] = sorted((TEST_DATA / "email").glob("*.eml"))
_AUTOMATED = {"vacation.eml", "bounce.eml"}


# deliveries.jsonl: a new topic's first post, a retry of it, and another question are messages;
# the topic event (its first post brings the body), the edit, the staff reply, our robot's
# answer, a ping, a user event and a private message are not.
_MESSAGE_LINES = (1, 2, 4)


def _deliveries(messages: bool) -> list[tuple[Any, dict[str, str]]]:
    chosen = [d for n, d in enumerate(_DELIVERIES) if (n in _MESSAGE_LINES) == messages]
    return [(d["body"], d["headers"]) for d in chosen]


def _mail(path: Path) -> tuple[Any, dict[str, str]]:
    return {"raw": path.read_bytes().decode("utf-8", "surrogateescape")}, {}


COMMUNITY_CASES: dict[str, dict[str, Any]] = {
    "discourse": {
        "config": {
            "base_url": "http://discourse.invalid",
            "webhook_secret": WEBHOOK_SECRET,
            "api_key": API_KEY,
            "robot_username": ROBOT,
            "official_username": OFFICIAL,
        },
        "messages": _deliveries(messages=True),
        "skipped": [
            *_deliveries(messages=False),
            ({"badge": {"id": 1}}, {"X-Discourse-Event": "badge_granted"}),
        ],
        "route": "/webhooks/discourse",
        "sign": lambda body: {
            "Content-Type": "application/json",
            "X-Discourse-Event": "post_created",
            "X-Discourse-Event-Signature": sign(body),
        },
    },
    "email": {
        "config": {
            "address": "soporte@aurora.example",
            "imap_host": "127.0.0.1",
            "imap_user": "u",
            "imap_password": "p",
            "smtp_host": "127.0.0.1",
        },
        "messages": [_mail(p) for p in _MAILS if p.name not in _AUTOMATED],
        "skipped": [*(_mail(p) for p in _MAILS if p.name in _AUTOMATED), ({"something": "else"}, {})],
    },
}

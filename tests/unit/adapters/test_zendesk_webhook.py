"""Zendesk's webhook signature: base64(HMAC-SHA256(secret, timestamp + body)), fresh timestamps only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.webhook.signing import SignatureError
from adapters.zendesk.webhook import verify_zendesk
from tests.fakes.zendesk_api import sign_webhook

NOW = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


def test_a_signed_fresh_request_verifies() -> None:
    raw, headers = sign_webhook("s3cret", {"external_id": "C-1001"}, timestamp="2026-05-20T09:00:00Z")
    stamp, signature = (
        headers["X-Zendesk-Webhook-Signature-Timestamp"],
        headers["X-Zendesk-Webhook-Signature"],
    )
    verify_zendesk("s3cret", stamp, signature, raw, now=NOW + timedelta(seconds=30), max_skew_s=300)


@pytest.mark.parametrize(
    ("secret", "tamper", "later_s", "reason"),
    [
        ("other", False, 0, "does not match"),
        ("s3cret", True, 0, "does not match"),
        ("s3cret", False, 3600, "away from the server clock"),
    ],
)
def test_wrong_secret_altered_body_or_old_timestamp_fail(
    secret: str, tamper: bool, later_s: int, reason: str
) -> None:
    raw, headers = sign_webhook("s3cret", {"external_id": "C-1001"}, timestamp="2026-05-20T09:00:00Z")
    body = raw.replace(b"1001", b"1002") if tamper else raw
    with pytest.raises(SignatureError, match=reason):
        verify_zendesk(
            secret,
            headers["X-Zendesk-Webhook-Signature-Timestamp"],
            headers["X-Zendesk-Webhook-Signature"],
            body,
            now=NOW + timedelta(seconds=later_s),
            max_skew_s=300,
        )


@pytest.mark.parametrize(
    ("stamp", "signature"), [(None, "x"), ("2026-05-20T09:00:00Z", "%%%"), ("t" * 300, "x")]
)
def test_missing_or_malformed_headers_fail(stamp: str | None, signature: str) -> None:
    with pytest.raises(SignatureError):
        verify_zendesk("s3cret", stamp, signature, b"{}", now=NOW, max_skew_s=300)

"""Zendesk's webhook signature: base64(HMAC-SHA256(signing secret, timestamp + raw body)).

Zendesk sends it in `X-Zendesk-Webhook-Signature`, the timestamp (ISO 8601) in
`X-Zendesk-Webhook-Signature-Timestamp`. The HMAC is compared in constant time first, then the
timestamp must be within `max_skew_s` of the clock, so a captured request cannot be replayed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime

from adapters.webhook.signing import SignatureError

MAX_HEADER = 256


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_zendesk(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, *, now: datetime, max_skew_s: int
) -> None:
    """Raise `SignatureError` unless Zendesk signed this body recently."""
    if not timestamp or not signature or len(timestamp) > MAX_HEADER or len(signature) > MAX_HEADER:
        raise SignatureError("missing X-Zendesk-Webhook-Signature or its timestamp")
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("X-Zendesk-Webhook-Signature is not base64") from None
    expected = base64.b64decode(zendesk_signature(secret, timestamp, body))
    if not hmac.compare_digest(given, expected):
        raise SignatureError("signature does not match")
    try:
        at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError("X-Zendesk-Webhook-Signature-Timestamp is not ISO 8601") from None
    if at.tzinfo is None or abs((now - at).total_seconds()) > max_skew_s:
        raise SignatureError(f"timestamp is more than {max_skew_s} s away from the server clock")

"""HMAC request signing for the generic webhook (the payment-webhook scheme of FORMATS.md).

`sha256=` + hex(HMAC-SHA256(secret, "{timestamp}.{raw body}")), with the timestamp within a
window of the receiver's clock so a captured request cannot be replayed later.

Order of checks: the headers' shapes first (bounded lengths, so nothing an attacker sends can
overflow the arithmetic: a 309-digit timestamp once raised `OverflowError`, a 500 that needed
no secret), then the HMAC in constant time, and only then the clock arithmetic.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence

# Unix seconds: up to 12 digits is beyond the year 33,000 and far inside float's range.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")


class SignatureError(ValueError):
    """The request is not provably from the holder of the secret; answer 401."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str | Sequence[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float,
    max_skew_s: int,
) -> None:
    """Raise `SignatureError` unless the signature is valid and the timestamp is fresh.

    `secret` may be several secrets (the new and the old one while a rotation is under way):
    a signature made with any of them verifies, and every one is compared, so the time taken
    does not tell which one matched.
    """
    if not timestamp or not signature:
        raise SignatureError("missing X-Centinela-Timestamp or X-Centinela-Signature header")
    if _TIMESTAMP.fullmatch(timestamp) is None:
        raise SignatureError("X-Centinela-Timestamp must be Unix seconds")
    given = signature.strip()
    if _SIGNATURE.fullmatch(given) is None:
        raise SignatureError("X-Centinela-Signature must be sha256= and 64 hex digits")
    candidates = [secret] if isinstance(secret, str) else list(secret)
    expected = given.lower().encode()
    matches = [hmac.compare_digest(sign(s, timestamp, body).encode(), expected) for s in candidates]
    if not any(matches):
        raise SignatureError("signature does not match")
    if abs(now - int(timestamp)) > max_skew_s:
        raise SignatureError(f"timestamp is more than {max_skew_s} s away from the server clock")


def verify_headers(
    secret: str | Sequence[str], headers: Mapping[str, str], body: bytes, *, max_skew_s: int
) -> None:
    """`verify` with the request's own headers, against the wall clock."""
    verify(
        secret,
        headers.get("X-Centinela-Timestamp"),
        headers.get("X-Centinela-Signature"),
        body,
        now=time.time(),
        max_skew_s=max_skew_s,
    )


def signed_headers(secret: str, body: bytes, *, at: int | None = None) -> dict[str, str]:
    """The headers a client sends with `body` (at `at`, Unix seconds, default now)."""
    stamp = str(int(time.time()) if at is None else at)
    return {
        "X-Centinela-Timestamp": stamp,
        "X-Centinela-Signature": sign(secret, stamp, body),
        "Content-Type": "application/json",
    }

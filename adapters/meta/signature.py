"""Meta's webhook signature: `X-Hub-Signature-256: sha256=` + hex HMAC-SHA256(app secret, raw body).

Checked on the exact bytes received, before any parsing, and compared in constant time.
Meta signs no timestamp; replays of a captured body are harmless because every message id is
deduplicated by the intake.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def valid(app_secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(app_secret, body), header.strip())

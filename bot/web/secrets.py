"""Local secrets for a service started without any: generated once, kept under the data dir.

A newcomer's `make run` must work with no accounts, yet an open API or an unsigned webhook is
never acceptable, even locally. So a missing API token or webhook secret is generated, written
with owner-only permissions, and the log says where to find it.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from bot.config import Settings


def local_secrets(settings: Settings) -> tuple[str, str]:
    """(api_token, webhook_secret): configured values, else the generated ones."""
    path = settings.data_dir / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for name in ("api_token", "webhook_secret"):
        if name not in stored:
            stored[name] = secrets.token_urlsafe(32)
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(stored, handle)
    api_tokens, webhook_secrets = accepted_secrets(settings, stored)
    return api_tokens[0], webhook_secrets[0]


def accepted_secrets(settings: Settings, stored: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """(API tokens, webhook secrets) that are accepted; the first of each is the current one.

    `CENTINELA_API_TOKEN` and `CENTINELA_WEBHOOK_SECRET` may hold several comma-separated
    values while a secret is rotated: the new one first, then the old one until every client
    has switched, then the old one is removed. Without a configured value, the generated one.
    """
    if stored is None:
        local_secrets(settings)  # makes sure the generated ones exist
        stored = json.loads(secrets_path(settings).read_text(encoding="utf-8"))
    return (
        _values(settings.api_token) or [stored["api_token"]],
        _values(settings.webhook_secret) or [stored["webhook_secret"]],
    )


def _values(secret: SecretStr | None) -> list[str]:
    if secret is None:
        return []
    return [part.strip() for part in secret.get_secret_value().split(",") if part.strip()]


def secrets_path(settings: Settings) -> Path:
    return settings.data_dir / "secrets.json"

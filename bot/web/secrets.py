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
    api = settings.api_token.get_secret_value() if settings.api_token else stored["api_token"]
    hook = settings.webhook_secret.get_secret_value() if settings.webhook_secret else stored["webhook_secret"]
    return api, hook


def secrets_path(settings: Settings) -> Path:
    return settings.data_dir / "secrets.json"

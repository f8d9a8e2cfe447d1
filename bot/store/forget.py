"""Blank a stored message body's personal fields (text, author, raw payload) for an erasure.

Why in the hot path too: a message stays in the intake's dedupe record, and a poison message in
its dead letter, long after its case was scrubbed; an erasure request must reach both. Bodies
that do not parse are replaced whole: nobody can tell what personal data they hold.
"""

from __future__ import annotations

import json
from typing import Any


def forgotten(body: str | bytes, placeholder: str) -> str:
    """The body (a message or a dead letter holding one) with its personal fields blanked."""
    try:
        data = json.loads(body)
    except ValueError:
        return json.dumps({"unreadable": placeholder})
    if not isinstance(data, dict):
        return json.dumps({"unreadable": placeholder})
    if isinstance(data.get("message"), dict) or data.get("unreadable"):  # a dead letter
        if isinstance(data.get("message"), dict):
            data["message"] = _message(data["message"], placeholder)
        if data.get("unreadable"):
            data["unreadable"] = placeholder
        return json.dumps(data, ensure_ascii=False)
    if "channel" not in data:  # a letter's metadata only: no message in it
        return json.dumps(data, ensure_ascii=False)
    return json.dumps(_message(data, placeholder), ensure_ascii=False)


def _message(data: dict[str, Any], placeholder: str) -> dict[str, Any]:
    given = data.get("author")
    author: dict[str, Any] = given if isinstance(given, dict) else {}
    blank_author = {**author, "handle": placeholder, "name": placeholder}
    return {**data, "text": placeholder, "author": blank_author, "raw": None}

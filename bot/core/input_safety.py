"""Bounded JSON decoding for everything that comes from outside: no 500 on a hostile body.

Why its own module: the webhook, the REST API and the war-room's edited texts all take JSON
from people and programs we do not control, and Python's JSON stack fails on some of it in
ways that are not `ValueError`: a body nested ~1,000 levels raises `RecursionError` in
`json.loads`, a lone surrogate (`"\\ud800"`, legal JSON, not legal UTF-8) decodes fine but
breaks every later encode (pydantic's `model_dump_json`, SQLite, Redis), and pydantic's own
JSON parser refuses documents nested more than about 200 levels, so a message stored with a
deep unknown field could be accepted and then never load again. `BadInput` carries the
message and the JSON path of the field, so callers answer 400 with `field`.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Deep enough for any real payload (Meta's webhooks nest about 8 levels), far below
# pydantic-core's JSON recursion limit (~200) and Python's (~1,000).
MAX_JSON_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")  # in a decoded str, only a lone one is left


class BadInput(ValueError):
    """Input we refuse with 400; `field` is the JSON path of the culprit, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.message = message
        self.field = field


def loads_bounded(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads`, then the depth and surrogate checks; every failure is a `BadInput`."""
    try:
        data = json.loads(body)
    except RecursionError as exc:  # the C decoder guards its recursion: a clean error, no crash
        raise BadInput(f"JSON nested deeper than {max_depth} levels", None) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"body is not valid JSON: {exc}", None) from exc
    check_value(data, max_depth=max_depth)
    return data


def check_value(data: Any, *, max_depth: int = MAX_JSON_DEPTH, prefix: str = "") -> None:
    """Raise `BadInput` for a container nested beyond `max_depth` or a lone surrogate.

    Iterative (an explicit stack), so the check itself can never hit the recursion limit.
    Keys are checked as well as values: a surrogate in a key breaks encoding the same way.
    """
    stack: list[tuple[Any, str, int]] = [(data, prefix, 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                raise BadInput("text holds a lone surrogate (not valid Unicode)", path or None)
        elif isinstance(value, dict):
            if depth >= max_depth:
                raise BadInput(f"JSON nested deeper than {max_depth} levels", path or None)
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not _encodable(key):
                    raise BadInput("a key holds a lone surrogate (not valid Unicode)", path or None)
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            if depth >= max_depth:
                raise BadInput(f"JSON nested deeper than {max_depth} levels", path or None)
            stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def may_hold_lone_surrogates(raw: bytes) -> bool:
    """Whether decoding `raw` can give a lone surrogate: only a `\\uD800`-`\\uDFFF` escape can (a
    UTF-8 decoder refuses surrogate bytes), so most bodies skip the walk in `repaired`."""
    return b"\\ud" in raw or b"\\uD" in raw


def repaired(data: Any) -> Any:
    """`data` with every lone surrogate, in keys and values, replaced by U+FFFD.

    For what a platform's API answers (a page of mentions, a ticket): refusing it as `BadInput`
    would refuse the same page at every poll and stall the channel behind one broken character
    (a text cut inside a surrogate pair), so the text is kept with a replacement character.
    """
    if isinstance(data, str):
        return data if _encodable(data) else _SURROGATE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {repaired(key): repaired(value) for key, value in data.items()}
    if isinstance(data, list):
        return [repaired(item) for item in data]
    return data

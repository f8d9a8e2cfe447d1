"""IANA time zones named by people: in settings, campaign files, business hours, queries.

Why one check: each of those names a zone, and a mistyped one ("Europe/Madird") must fail the
same way everywhere, at definition, with a message a person can act on, not as a KeyError from
deep inside `zoneinfo` at the first timed job.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_zone(name: str) -> str:
    """`name` when it is a time zone this machine knows; a readable ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Madrid") from exc
    return name

"""Names for people in short-lived keys: a digest, never the handle itself.

The hot path's counters and reservations (reply caps, self-identification limits, campaign
segments) need a stable name per person, but a raw handle there would outlive an erasure for
as long as the key lives and would show in any dump of the hot path. A truncated SHA-256 is
stable across replicas and restarts and carries no handle; 64 bits keep collisions out of
reach for the people one deployment sees.
"""

from __future__ import annotations

import hashlib


def identity_digest(identity: str) -> str:
    """A short, stable name for `identity` that does not contain it."""
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def person_digest(channel: str, handle: str) -> str:
    """A person on one channel, whatever the case of their handle."""
    return identity_digest(f"{channel}:{handle.casefold()}")


def author_digest(channel: str, handle: str) -> str:
    """A message's author as an identity record names them: with or without a leading @ (the
    platforms differ, a linked identity is stored without it), so the intake's per-author index
    and an erasure by identity meet on the same name."""
    return person_digest(channel, handle.strip().lstrip("@"))

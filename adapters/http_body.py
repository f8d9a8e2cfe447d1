"""Reading a webhook body with a cap: shared by every adapter that mounts a route.

A single `read()` may return only part of a body that arrives in chunks, and reading it all
before checking its size lets a sender fill memory; this reads chunk by chunk and stops at the cap.
"""

from __future__ import annotations

from aiohttp import web


async def read_capped(request: web.Request, max_bytes: int) -> bytes | None:
    """The body, or None as soon as it exceeds `max_bytes` (chunked uploads included)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)

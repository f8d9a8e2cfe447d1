"""One builder at a time per KB cache folder, across processes.

Replicas that share a cache volume, or a restart that overlaps the old process, would otherwise
each embed the knowledge base and fit its classifier at once: the same minutes of CPU twice, and
the last writer's files win anyway. With an advisory lock (`flock`) on a file in the folder, the
second builder waits, then finds the first one's cache and loads it. The lock is a courtesy, not
a guarantee the cache depends on (its files are written atomically): where it cannot be taken
(a read-only folder, a file system without locks, a holder that never lets go) the build goes on
without it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

WAIT_S = 600.0  # a large KB embeds in minutes on a small machine; past this, build anyway
POLL_S = 0.05


@contextlib.contextmanager
def exclusive(cache_dir: Path | None, name: str) -> Iterator[None]:
    """Hold `cache_dir`'s `name` lock for the block (nothing to hold without a cache folder)."""
    handle = _open(cache_dir, name) if cache_dir is not None else None
    if handle is None:
        yield
        return
    with handle:
        _acquire(handle, cache_dir, name)
        yield  # closing the file releases the lock


def _open(cache_dir: Path, name: str) -> IO[bytes] | None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        return (cache_dir / f".{name}.lock").open("ab")
    except OSError as exc:
        log.info("kb cache: building without a lock", extra={"path": str(cache_dir), "error": str(exc)})
        return None


def _acquire(handle: IO[bytes], cache_dir: Path | None, name: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                log.warning(
                    "kb cache: %s lock held too long, building anyway", name, extra={"path": str(cache_dir)}
                )
                return
            time.sleep(POLL_S)  # this runs in a worker thread (the KB builds off the event loop)
        except OSError as exc:  # no lock support here
            log.info("kb cache: no %s lock (%s)", name, exc, extra={"path": str(cache_dir)})
            return

"""Editable copies of the small KB that start from the run's warm cache.

Tests that change articles (reloads, corrupt files, deleted folders) need a folder of their own,
and a new folder has a new, empty cache: embedding the KB and fitting its classifier again costs
seconds per test. The cache records article paths relative to the KB and each article's content
hash, so a copy of the warm cache serves a copy of the KB exactly as it would the original: what
the test then edits is re-embedded, the rest is reused, as on a real deployment.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.config import Settings
from bot.engine.extensions import build_extensions, kb_cache_dir_for
from tests.paths import KB_SMALL

_warm_lock = threading.Lock()
_warmed: set[Path] = set()


def copy_small_kb(target: Path, settings: Settings) -> Path:
    """KB_SMALL copied to `target`, with its cache (as `settings` would build it) copied beside."""
    shutil.copytree(KB_SMALL, target)
    warm = _warm_cache(settings)
    shutil.copytree(warm, kb_cache_dir_for(settings, target), dirs_exist_ok=True)
    return target


def _warm_cache(settings: Settings) -> Path:
    """The small KB's own cache folder, built on first use by this process."""
    folder = kb_cache_dir_for(settings, KB_SMALL)
    with _warm_lock:
        if folder not in _warmed:
            # A fixture may be running inside the test's event loop: build in a thread of its own.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, _build(settings)).result()
            _warmed.add(folder)
    return folder


async def _build(settings: Settings) -> None:
    kb = build_extensions(settings, KB_SMALL).kb
    assert kb is not None
    await kb.knowledge_base()
    await kb.wait_until_trained()

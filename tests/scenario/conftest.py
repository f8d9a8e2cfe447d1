"""Scenario fixtures: one copy of the small KB and its index cache for the platform scenarios.

Building the KB's index and topic classifier is the slow part of starting a service with a KB;
the platform scenarios only need it to answer a question, so they share one cache.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine.extensions import build_extensions, kb_brands
from bot.engine.runtime import Extensions
from bot.pipeline.spike_watch import SpikeAnalyser, SpikeWatcher
from bot.pipeline.spikes import SpikeDetector
from bot.warroom.thread_context import CrisisThreadWatcher
from retrieval.kb_decision import KbAnalyser
from tests.paths import KB_SMALL


@pytest.fixture(scope="session")
def shared_kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small KB's folder and an index cache kept for the whole session."""
    root = tmp_path_factory.mktemp("social-kb")
    shutil.copytree(KB_SMALL, root / "kb")
    return root / "kb", root / "cache"


def kb_extensions(settings: Settings, shared_kb: tuple[Path, Path] | None) -> Extensions:
    """What `build_extensions` makes, with the KB's cache shared between tests."""
    if shared_kb is None:
        return build_extensions(settings, None)
    kb_dir, cache = shared_kb
    return Extensions(
        analysers=[KbAnalyser(kb_dir, cache_dir=cache), SpikeAnalyser(SpikeDetector())],
        watchers=[SpikeWatcher(), CrisisThreadWatcher()],
        brands=sorted(kb_brands(kb_dir)),
    )

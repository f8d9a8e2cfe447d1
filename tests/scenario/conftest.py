"""Scenario fixtures: one copy of the small KB for the platform scenarios.

The platform scenarios need the KB only so that a question gets an automatic answer; the
session shares one copy of the folder, and each service builds its extensions as `serve` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine.extensions import build_extensions
from bot.engine.runtime import Extensions
from tests.conftest import settings_for
from tests.kb_copies import copy_small_kb


@pytest.fixture(scope="session")
def shared_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small KB's folder, copied once for the session (the scenarios never change it), with
    the run's warm cache beside it."""
    root = tmp_path_factory.mktemp("social-kb")
    return copy_small_kb(root / "kb", settings_for(root))


def kb_extensions(settings: Settings, kb_dir: Path | None) -> Extensions:
    """The service's extensions, with the KB when `kb_dir` is given."""
    return build_extensions(settings, kb_dir)

"""Scenario fixtures: one copy of the small KB for the platform scenarios.

The platform scenarios need the KB only so that a question gets an automatic answer; the
session shares one copy of the folder, and each service builds its extensions as `serve` does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.engine.extensions import build_extensions
from bot.engine.runtime import Extensions
from tests.paths import KB_SMALL


@pytest.fixture(scope="session")
def shared_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small KB's folder, copied once for the session (the scenarios never change it)."""
    root = tmp_path_factory.mktemp("social-kb")
    shutil.copytree(KB_SMALL, root / "kb")
    return root / "kb"


def kb_extensions(settings: Settings, kb_dir: Path | None) -> Extensions:
    """The service's extensions, with the KB when `kb_dir` is given."""
    return build_extensions(settings, kb_dir)

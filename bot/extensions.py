"""Which optional parts plug into the pipeline, built from the settings."""

from __future__ import annotations

from pathlib import Path

from bot.config import SAMPLES_DIR, Settings
from bot.runtime import Extensions


def default_kb_dir() -> Path:
    return SAMPLES_DIR / "kb"


def build_extensions(settings: Settings, kb_dir: Path | None) -> Extensions:
    """KB retrieval and spike detection, when configured."""
    return Extensions()

"""Shared fixtures for the retrieval tests: the small test KB, a copy to edit, real embedders."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from retrieval.embedders import HashingEmbedder, UsemEmbedder, Vectors

KB_SMALL = Path(__file__).resolve().parents[2] / "data" / "kb_small"


class CountingEmbedder(HashingEmbedder):
    """A real hashing embedder that records every text it is asked to embed."""

    def __init__(self, *, name: str = "hashing") -> None:
        super().__init__(dim=64)
        self.name = name
        self.calls: list[list[str]] = []

    @property
    def texts(self) -> list[str]:
        return [text for call in self.calls for text in call]

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        return super().embed(texts)


@pytest.fixture(scope="session")
def usem() -> UsemEmbedder:
    """The real default embedder, loaded once per test session (about a second)."""
    return UsemEmbedder()


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A private copy of the small KB that a test may edit."""
    target = tmp_path / "kb"
    shutil.copytree(KB_SMALL, target)
    return target


@pytest.fixture
def kb_small() -> Path:
    """The read-only small KB under tests/data (es, en and pt, sub-folders, one Spanish-only topic)."""
    return KB_SMALL


@pytest.fixture
def counting() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture
def counting_cls() -> type[CountingEmbedder]:
    return CountingEmbedder

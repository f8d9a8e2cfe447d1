"""Shared fixtures for the retrieval tests: the small test KB, a copy to edit, real embedders, the KB step."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.context import MessageContext
from bot.core.models import Author, Channel, InboundMessage
from bot.pipeline.analysers import TextAnalyser
from bot.reading.text_reading import TextReader
from retrieval.embedders import HashingEmbedder, UsemEmbedder, Vectors
from retrieval.kb_decision import KbAnalyser
from tests.paths import KB_SMALL


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


@pytest.fixture(scope="session")
def kb_small_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index cache for the small KB per test run: built by the first test, loaded by the rest."""
    return tmp_path_factory.mktemp("kb-small-cache")


@pytest.fixture
def analyser(usem: UsemEmbedder, kb_small_cache: Path) -> KbAnalyser:
    return KbAnalyser(KB_SMALL, cache_dir=kb_small_cache, embedder=usem)


_TEXT = TextAnalyser(TextReader.for_languages(("es", "en", "pt"), "es"))


def context(text: str, *, channel: Channel = "twitter", handle: str = "@ana") -> MessageContext:
    """A message after the language and signal analysers, as the KB step receives it."""
    message = InboundMessage(
        id="m1",
        channel=channel,
        created_at=datetime(2026, 5, 20, 9, 0, tzinfo=UTC),
        author=Author(handle=handle, followers=10),
        text=text,
    )
    ctx = MessageContext(message=message, now=message.created_at)
    _TEXT.analyse_now(ctx)
    return ctx

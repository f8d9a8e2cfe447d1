"""Shared fixtures for the KB answer tests: the small test KB and the real default embedder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.analysers import TextAnalyser
from bot.context import MessageContext
from bot.models import Author, Channel, InboundMessage
from bot.text_reading import TextReader
from responders.kb_decision import KbAnalyser
from retrieval.embedders import UsemEmbedder

KB_SMALL = Path(__file__).resolve().parents[2] / "data" / "kb_small"


@pytest.fixture(scope="session")
def usem() -> UsemEmbedder:
    """The real default embedder, loaded once per session."""
    return UsemEmbedder()


@pytest.fixture
def analyser(usem: UsemEmbedder, tmp_path: Path) -> KbAnalyser:
    return KbAnalyser(KB_SMALL, cache_dir=tmp_path / "cache", embedder=usem)


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

"""`serve --kb` on a folder whose every article is rejected: the service says so at start-up."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.engine.extensions import build_extensions
from bot.web.app import create_app
from tests.conftest import settings_for
from tests.scenario.warroom_rig import ClientFactory


async def test_a_kb_with_no_usable_article_is_a_loud_warning(
    aiohttp_client: ClientFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "broken.md").write_text("no front matter at all\n", encoding="utf-8")
    settings = settings_for(tmp_path)
    caplog.set_level(logging.WARNING, logger="bot.web.app")
    client = await aiohttp_client(create_app(settings, extensions=build_extensions(settings, folder)))
    async with client.get("/healthz") as response:
        assert response.status == 200  # it still serves: cases, crises and agents need no KB
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.web.app"]
    assert any("broken.md" in w for w in warnings)
    assert any("no article could be loaded (1 rejected)" in w for w in warnings)

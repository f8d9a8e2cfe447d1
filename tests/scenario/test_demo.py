"""`serve --demo` twice on the same data: the second run is decided again and the summary is true."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.cli.demo import run_demo
from bot.web.app import STORE, create_app
from tests.conftest import settings_for

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


async def test_each_run_is_decided_and_summarised_truthfully(
    aiohttp_server: ServerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(tmp_path)
    server = await aiohttp_server(create_app(settings))
    base_url = str(server.make_url("")).rstrip("/")

    first = await run_demo(settings, base_url, run="r1")
    assert first.sent == 30 and len(first.accepted) == 30 and first.already_known == []
    assert set(first.decided) == set(first.accepted)
    assert "summary: 30 sent, 30 accepted, 0 already known; 30/30 accepted decided" in capsys.readouterr().err

    second = await run_demo(settings, base_url, run="r2")  # a second `make run`: fresh ids
    assert len(second.accepted) == 30 and set(second.decided).isdisjoint(first.decided)
    assert len(await server.app[STORE].list_decisions(limit=1000)) == 60
    capsys.readouterr()

    again = await run_demo(settings, base_url, run="r1")  # the same ids: said, not pretended
    assert again.accepted == [] and len(again.already_known) == 30 and again.decided == {}
    err = capsys.readouterr().err
    assert "summary: 30 sent, 0 accepted, 30 already known; 0/0 accepted decided" in err


def test_replies_keep_pointing_at_their_parent() -> None:
    from bot.cli.demo import fresh_ids
    from tests.conftest import make_message

    parent, child = make_message("p"), make_message("c", in_reply_to="p")
    outside = make_message("o", in_reply_to="elsewhere")
    renamed = fresh_ids([parent, child, outside], "x")
    assert [m.id for m in renamed] == ["p-x", "c-x", "o-x"]
    assert [m.in_reply_to for m in renamed] == [None, "p-x", "elsewhere"]

"""The whole service on a real port in a background thread, for clients that block (requests).

schemathesis calls the API with `requests`, which must not run inside the test's event loop;
the service gets its own loop in a thread, and the test talks to it over TCP as a user would.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from aiohttp import web

from bot.config import Settings
from bot.engine.runtime import Extensions
from bot.web.app import create_app

START_TIMEOUT_S = 60.0


class ServiceThread:
    """`with ServiceThread(settings) as base_url: ...`: serves until the block ends."""

    def __init__(self, settings: Settings, extensions: Extensions | None = None) -> None:
        self._settings = settings
        self._extensions = extensions
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="service-under-test", daemon=True)
        self.base_url = ""

    def __enter__(self) -> str:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError(f"service did not start within {START_TIMEOUT_S} s")
        if self._error is not None:
            raise RuntimeError("service failed to start") from self._error
        return self.base_url

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_TIMEOUT_S)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(create_app(self._settings, extensions=self._extensions), handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            self.base_url = f"http://{host}:{port}"
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

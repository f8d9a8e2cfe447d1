"""The records database of a scenario: embedded SQLite, or a fresh PostgreSQL schema dropped after."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sql_fixtures import drop_schema_now, postgres_reachable, postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.sqlite3'}"
        return
    asyncio.run(postgres_reachable())
    schema = f"centinela_cases_{uuid.uuid4().hex[:10]}"
    try:
        yield postgres_url(schema)
    finally:
        drop_schema_now(schema)

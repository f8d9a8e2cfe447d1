"""The embedded executor reuses a statement shape's compiled SQL, IN lists included."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.sql import Select

from bot.store.sql.embedded import EmbeddedExecutor, SqliteFile

_META = MetaData()
_ITEMS = Table("items", _META, Column("kind", String), Column("id", String, primary_key=True))


async def _executor(tmp_path: Path) -> EmbeddedExecutor:
    executor = EmbeddedExecutor(SqliteFile(tmp_path / "items.db"))
    await executor.open()
    await executor.file.run(lambda c: c.execute("CREATE TABLE items (kind TEXT, id TEXT PRIMARY KEY)"))
    return executor


async def test_in_lists_of_one_shape_share_its_compiled_sql_and_keep_their_own_values(
    tmp_path: Path,
) -> None:
    executor = await _executor(tmp_path)
    try:
        rows = [{"kind": kind, "id": f"{kind}-{n}"} for kind in ("case", "alert") for n in range(5)]
        await executor.batch([(insert(_ITEMS), rows)])
        shapes_before = len(executor._shapes)

        def wanted(kind: str, ids: list[str]) -> Select[tuple[str]]:
            return select(_ITEMS.c.id).where(_ITEMS.c.kind == kind, _ITEMS.c.id.in_(ids))

        three = await executor.fetch(wanted("case", ["case-0", "case-3", "alert-1"]))
        one = await executor.fetch(wanted("alert", ["alert-1"]))
        four = await executor.fetch(wanted("alert", ["alert-0", "alert-2", "alert-4", "case-1"]))

        assert sorted(r[0] for r in three) == ["case-0", "case-3"]
        assert [r[0] for r in one] == ["alert-1"]
        assert sorted(r[0] for r in four) == ["alert-0", "alert-2", "alert-4"]
        assert len(executor._shapes) == shapes_before + 1  # one compile for the three statements
    finally:
        await executor.close()


async def test_caller_parameters_lie_over_an_expanded_in_list(tmp_path: Path) -> None:
    executor = await _executor(tmp_path)
    try:
        rows = [{"kind": "case", "id": "c1"}, {"kind": "alert", "id": "a1"}]
        await executor.batch([(insert(_ITEMS), rows)])
        stmt = select(_ITEMS.c.id).where(_ITEMS.c.kind == bindparam("k"), _ITEMS.c.id.in_(["c1", "a1"]))
        assert [r[0] for r in await executor.fetch(stmt, {"k": "alert"})] == ["a1"]
        assert [r[0] for r in await executor.fetch(stmt, {"k": "case"})] == ["c1"]
    finally:
        await executor.close()

from __future__ import annotations

from sqlalchemy import column, select, table

from bot.store.sql.in_lists import SIZES, InLookup

items = table("items", column("id"))


def lookup() -> InLookup:
    return InLookup(lambda ids: select(items.c.id).where(items.c.id.in_(ids)))


def test_every_value_is_asked_once_in_padded_chunks() -> None:
    values = [f"v{i}" for i in range(1201)] + ["v0"]  # a repeat is asked once
    chunks = list(lookup().chunks(values, {"kind": "echo"}))
    assert [len(p) - 1 for _s, p in chunks] == [500, 500, 500]  # 201 left: padded to 500
    asked = [v for _s, p in chunks for k, v in p.items() if k != "kind"]
    assert set(asked) == set(values) and len(set(asked)) == 1201
    assert all(p["kind"] == "echo" for _s, p in chunks)
    assert chunks[-1][1]["in499"] == "v1200"  # the padding repeats the last value


def test_a_statement_is_built_once_per_size() -> None:
    shared = lookup()
    first = [s for s, _p in shared.chunks(["a", "b"])]
    again = [s for s, _p in shared.chunks(["c", "d", "e"])]
    assert first == again  # both padded to 8: the same statement object, its SQL compiled once
    sizes = {len(p) for n in (1, 5, 40, 300) for _s, p in shared.chunks([str(i) for i in range(n)])}
    assert sizes == set(SIZES)
    assert list(shared.chunks([])) == []

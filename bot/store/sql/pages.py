"""Filtered, keyset-paginated list queries.

Why keyset and not OFFSET: a page is an index range scan that costs the same on page 1 and page
1,000, and a row written while someone pages cannot shift the pages they have not read yet. The
cursor is the (sort value, id) of the last row served, opaque to clients; one extra row is
fetched to know whether another page exists, so `next` is None exactly on the last page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.sql.elements import ColumnClause

from bot.store.records import MAX_PAGE, Filters, Page, RecordFilter, decode_cursor, encode_cursor
from bot.store.sql.schema import audit, decisions, outbox, records
from bot.store.sql.statements import RECORD_COLUMNS

if TYPE_CHECKING:
    from bot.store.sql.executor import SqlExecutor


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Listing:
    """How one table is listed: its sort key (time, tie-breaker) and the filters it takes."""

    columns: Sequence[Any]
    sort: tuple[Any, Any]
    filters: dict[str, Any]


DECISIONS = Listing(
    (decisions.c.decided_at, decisions.c.key, decisions.c.body),
    (decisions.c.decided_at, decisions.c.key),
    {"action": decisions.c.action, "channel": decisions.c.channel},
)
OUTBOX = Listing(
    (outbox.c.created_at, outbox.c.key, outbox.c.body),
    (outbox.c.created_at, outbox.c.key),
    {"status": outbox.c.status, "channel": outbox.c.channel, "message_key": outbox.c.message_key},
)
AUDIT = Listing(
    (audit.c.at, audit.c.id, audit.c.body),
    (audit.c.id, audit.c.id),
    {"kind": audit.c.kind, "subject": audit.c.subject, "actor": audit.c.actor},
)


def clamp(limit: int) -> int:
    return max(1, min(MAX_PAGE, limit))


def _keyset(sort: tuple[Any, Any], position: list[Any]) -> ColumnElement[bool]:
    first, second = sort
    if first is second:
        return first < position[1]  # type: ignore[no-any-return]
    return tuple_(first, second) < tuple_(*position)


async def run_page(
    executor: SqlExecutor,
    stmt: Select[Any],
    sort: tuple[Any, Any],
    cursor: str | None,
    limit: int,
    build: Callable[[Sequence[Any]], T],
    position_of: Callable[[Sequence[Any]], list[Any]],
) -> Page[T]:
    limit = clamp(limit)
    if cursor:
        stmt = stmt.where(_keyset(sort, decode_cursor(cursor, 2)))
    first, second = sort
    order: list[ColumnClause[Any]] = [first.desc()] if first is second else [first.desc(), second.desc()]
    rows = await executor.fetch(stmt.order_by(*order).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(position_of(rows[-1])) if more and rows else None
    return Page([build(row) for row in rows], nxt)


async def collect(query: Callable[..., Awaitable[Page[T]]], filters: Filters, limit: int) -> list[T]:
    """Up to `limit` items, following cursors past the page cap (the `list_*` calls callers
    use with big limits must not be cut at one page)."""
    items: list[T] = []
    cursor: str | None = None
    while len(items) < limit:
        page = await query(filters, cursor=cursor, limit=min(MAX_PAGE, limit - len(items)))
        items += page.items
        if page.next is None:
            break
        cursor = page.next
    return items


def listing_query(listing: Listing, filters: Filters) -> Select[Any]:
    stmt = select(*listing.columns)
    for name, value in filters.values.items():
        column = listing.filters.get(name)
        if column is None:
            raise ValueError(f"unknown filter {name!r}")
        stmt = stmt.where(column == value)
    time_column = listing.columns[0]
    if filters.since is not None:
        stmt = stmt.where(time_column >= filters.since.timestamp())
    if filters.until is not None:
        stmt = stmt.where(time_column < filters.until.timestamp())
    return stmt


def records_query(where: RecordFilter) -> Select[Any]:
    stmt = select(*RECORD_COLUMNS).where(records.c.kind == where.kind)
    for column, value in (
        (records.c.status, where.status),
        (records.c.customer, where.customer),
        (records.c.channel, where.channel),
        (records.c.key, where.key),
        (records.c.priority, where.priority),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if where.since is not None:
        stmt = stmt.where(records.c.created_at >= where.since.timestamp())
    if where.until is not None:
        stmt = stmt.where(records.c.created_at < where.until.timestamp())
    return stmt

"""The look-up keys of customers written before those keys existed, written once at start-up.

Why a backfill: self-identification finds a customer by one key look-up (a digest of their
e-mail or contract number, `RecordKind.CUSTOMER_KEY`), and those keys are written when a
customer is imported or changed. A customer an earlier release wrote has none, so they could
never identify themselves. Every replica runs this at start-up: it pages through all customers
(keyset pages, no cap) and inserts only the keys that are absent, so two replicas at once, or
a second run, write nothing twice and never overwrite a key the current release wrote.
"""

from __future__ import annotations

import logging

from bot.core.customers import Customer
from bot.core.records import RecordKind
from bot.engine.customers import lookup_keys
from bot.store.records import RecordFilter, RecordStore, RecordWrite

log = logging.getLogger(__name__)

PAGE = 500


async def index_lookup_keys(store: RecordStore, *, page_size: int = PAGE) -> int:
    """Insert every missing look-up key of every live customer; how many were missing."""
    written = 0
    cursor: str | None = None
    while True:
        where = RecordFilter(kind=RecordKind.CUSTOMER)
        page = await store.query_records(where, cursor=cursor, limit=page_size)
        wanted = {
            key: customer.id
            for customer in (Customer.from_record(r.id, r.version, r.data) for r in page.items)
            if not customer.erased  # an erased customer's keys are gone on purpose
            for key in lookup_keys(customer)
        }
        present = await store.get_records(RecordKind.CUSTOMER_KEY, list(wanted))
        missing = [
            RecordWrite(RecordKind.CUSTOMER_KEY, key, {"customer_id": owner}, only_if_absent=True)
            for key, owner in wanted.items()
            if key not in present
        ]
        if missing:
            await store.put_records(missing)
            written += len(missing)
            await _drop_erased(store, missing)
        if page.next is None:
            break
        cursor = page.next
    if written:
        log.info("customer look-up keys backfilled", extra={"keys": written})
    return written


async def _drop_erased(store: RecordStore, written: list[RecordWrite]) -> None:
    """A customer erased between the page read and the insert loses the keys just written."""
    owners = {str(w.data["customer_id"]) for w in written}
    now = await store.get_records(RecordKind.CUSTOMER, sorted(owners))
    erased = {cid for cid, r in now.items() if r.data.get("erased")}
    for write in written:
        if write.data["customer_id"] in erased:
            await store.delete_record(RecordKind.CUSTOMER_KEY, write.record_id)

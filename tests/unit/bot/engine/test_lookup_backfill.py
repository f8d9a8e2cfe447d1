"""The start-up backfill of look-up keys: a customer an earlier release wrote (no keys) can
identify themselves afterwards, on every records backend; a second run, or two replicas at
once, change nothing; an erased customer gets no keys back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.core.context import MessageContext
from bot.core.customers import Customer
from bot.core.records import RecordKind
from bot.core.self_id import SelfIdClaim, SelfIdSettings, lookup_key
from bot.engine.lookup_backfill import index_lookup_keys
from bot.engine.self_id import SelfIdentification
from bot.store.records import RecordStore
from bot.store.split import SplitStore
from bot.store.sql.embedded import SqliteFile
from bot.store.sqlite import SqliteHotPath
from tests.conftest import make_message

T0 = datetime(2026, 5, 21, 10, tzinfo=UTC)


async def _legacy(records: RecordStore, customer_id: str, **fields: str | bool) -> None:
    """A customer row as the release before the look-up keys wrote it: the record alone."""
    customer = Customer.model_validate({"id": customer_id, **fields})
    data = customer.record_data()
    assert await records.cas_record(RecordKind.CUSTOMER, customer_id, expected_version=0, data=data)


async def _claim(records: RecordStore, tmp_path: Path, claim: SelfIdClaim) -> str | None:
    """Who receives the code when a WhatsApp user writes `claim` (None: not recognised)."""
    hot = SqliteHotPath(SqliteFile(tmp_path / "hot.sqlite3"))
    await hot.open()
    try:
        flow = SelfIdentification(SplitStore(hot, records), SelfIdSettings(), can_mail=True)
        message = make_message(
            f"w-{claim.value}", claim.value, channel="whatsapp", handle="346001", created_at=T0
        )
        result = await flow.handle(MessageContext(message=message, now=T0, language="es"), claim)
        return result.mail.recipient if result.mail is not None else None
    finally:
        await hot.close()


async def test_a_customer_from_an_earlier_release_can_identify_after_the_backfill(
    records: RecordStore, tmp_path: Path
) -> None:
    await _legacy(records, "K-7", email="old@example.com", contract_number="CT-123456")
    by_contract = SelfIdClaim(kind="contract", value="CT123456")
    assert await _claim(records, tmp_path, by_contract) is None  # no key: not recognised

    assert await index_lookup_keys(records) == 2
    assert await _claim(records, tmp_path, by_contract) == "old@example.com"
    by_email = SelfIdClaim(kind="email", value="old@example.com")
    assert await _claim(records, tmp_path / "second", by_email) == "old@example.com"


async def test_the_backfill_pages_through_every_customer_and_a_second_run_changes_nothing(
    records: RecordStore,
) -> None:
    for n in range(23):
        await _legacy(records, f"K-{n}", contract_number=f"CT-{100000 + n}")
    await _legacy(records, "K-gone", email="gone@example.com", erased=True)
    await _legacy(records, "K-none", name="No Data")

    # Two replicas at once, pages smaller than the customers: every key once, none lost.
    first, second = await asyncio.gather(
        index_lookup_keys(records, page_size=5), index_lookup_keys(records, page_size=7)
    )
    assert first + second >= 23
    assert await records.count_records(RecordKind.CUSTOMER_KEY) == 23
    for n in range(23):
        key = await records.get_record(RecordKind.CUSTOMER_KEY, lookup_key("contract", f"CT{100000 + n}"))
        assert key is not None and key.data["customer_id"] == f"K-{n}"
    assert await records.get_record(RecordKind.CUSTOMER_KEY, lookup_key("email", "gone@example.com")) is None

    before = {r.id: r.version for r in await records.list_records(RecordKind.CUSTOMER_KEY, limit=100)}
    assert await index_lookup_keys(records, page_size=5) == 0
    after = {r.id: r.version for r in await records.list_records(RecordKind.CUSTOMER_KEY, limit=100)}
    assert after == before

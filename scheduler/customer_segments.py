"""Segment members from the customer records: the `SegmentSource` the service runs with.

Why from the customer records: they are what the company knows about each person (imported
from a CSV, the API or the CRM) and they list each person's linked identities. The customer's
`segments` entries are their tags; entries written `region:Madrid`, `plan:fibra-600` or
`community:nautico` give the region, the plan and the communities a segment may choose by, so a
CSV import needs no extra columns. The language is the customer's preferred one.

Only identities on private channels are reached (a segment campaign never writes a public
post at someone), only live customers (not erased, not merged into another), and each identity
carries its last private message time (`contacts.py`), so the window check can be made.
Followers are not customer records: a segment for followers only reaches no one from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.core.channels import capabilities
from bot.core.customers import Customer
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.store.scan import iter_records
from scheduler.campaign_file import CampaignSegment
from scheduler.contacts import last_messages
from scheduler.segments import Recipient, matches

ATTRIBUTES = ("region", "plan", "community")


def attributes(customer: Customer) -> tuple[frozenset[str], dict[str, list[str]]]:
    """The customer's plain tags, and the `name:value` entries by name."""
    tags: set[str] = set()
    named: dict[str, list[str]] = {name: [] for name in ATTRIBUTES}
    for entry in customer.segments:
        name, sep, value = entry.partition(":")
        if sep and name.strip().casefold() in named and value.strip():
            named[name.strip().casefold()].append(value.strip())
        else:
            tags.add(entry.strip())
    return frozenset(tags), named


def recipients_of(customer: Customer, channel: str, default_lang: str) -> list[Recipient]:
    """The customer's identities on `channel`, as segment candidates (window time not yet set)."""
    tags, named = attributes(customer)
    return [
        Recipient(
            channel=channel,
            handle=identity.handle,
            lang=customer.preferred_language or default_lang,
            kind="customer",
            tags=tags,
            region=named["region"][0] if named["region"] else None,
            plan=named["plan"][0] if named["plan"] else None,
            communities=frozenset(named["community"]),
        )
        for identity in customer.identities
        if identity.channel == channel
    ]


class CustomerSegmentSource:
    """Every live customer with an identity on the channel whose attributes match the segment."""

    def __init__(self, store: Store, *, default_lang: str = "es") -> None:
        self._store = store
        self._default_lang = default_lang

    async def members(self, segment: CampaignSegment, channel: str) -> Sequence[Recipient]:
        if capabilities(channel).public or segment.audience == "followers":
            return []
        chosen: list[Recipient] = []
        async for record in iter_records(self._store.records, RecordFilter(RecordKind.CUSTOMER)):
            customer = Customer.from_record(record.id, record.version, record.data)
            if customer.erased or customer.merged_into is not None:
                continue
            chosen += [p for p in recipients_of(customer, channel, self._default_lang) if matches(segment, p)]
        last = await last_messages(self._store, [p.digest for p in chosen])
        return [replace(p, last_message_at=last.get(p.digest)) for p in chosen]

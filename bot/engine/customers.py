"""Customers and their identities: import, link, unlink, merge, and look-up for the cases.

Why identity records beside the customer: a message carries a channel and a handle, so finding
its customer must be one key look-up (`identity/<channel>:<handle>`), and linking must refuse an
identity that already belongs to someone else. A linked identity brings its open case along, so
the customer's next message on any channel joins that case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.core.cases import customer_identity
from bot.core.customers import Customer, Identity
from bot.core.models import Record
from bot.core.records import RecordKind
from bot.core.self_id import lookup_key
from bot.engine.versioned import load_versioned, save_versioned
from bot.store.records import RecordStore

ATTEMPTS = 16
LinkOutcome = Literal["changed", "unchanged", "not_found", "refused"]


@dataclass(frozen=True, slots=True)
class CustomerChange:
    outcome: LinkOutcome
    message: str
    customer: Customer | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("changed", "unchanged")


async def load_customer(store: RecordStore, customer_id: str) -> Customer | None:
    return await load_versioned(store, RecordKind.CUSTOMER, customer_id, Customer)


async def save_customer(store: RecordStore, customer: Customer) -> Customer | None:
    """Compare-and-set on the version `customer` was read at (0: a new customer)."""
    return await save_versioned(store, RecordKind.CUSTOMER, customer)


async def customer_of(store: RecordStore, channel: str, handle: str) -> Customer | None:
    """The customer an identity is linked to (following merges), or None."""
    link = await store.get_record(RecordKind.IDENTITY, Identity(channel=channel, handle=handle).id)
    return await customer_linked(store, link)


async def customer_linked(store: RecordStore, link: Record | None) -> Customer | None:
    """The customer an identity's link record points at (following merges), or None."""
    return await resolve_customer(store, str(link.data["customer_id"])) if link else None


async def resolve_customer(store: RecordStore, first: str) -> Customer | None:
    """The customer `first` is, or was merged into; None when absent or erased."""
    customer_id: str | None = first
    for _ in range(8):  # merged customers point at the one they went into
        if customer_id is None:
            return None
        customer = await load_customer(store, customer_id)
        if customer is None or customer.erased:
            return None
        if customer.merged_into is None:
            return customer
        customer_id = customer.merged_into
    return None


def lookup_keys(customer: Customer) -> list[str]:
    """The look-up record ids of the customer's e-mail and contract number (digests)."""
    keys = [lookup_key("email", customer.email)] if customer.email else []
    return keys + ([lookup_key("contract", customer.contract_number)] if customer.contract_number else [])


class CustomerBook:
    """Every change to customers and identities, for the CLI import and the API alike."""

    def __init__(self, store: RecordStore) -> None:
        self._store = store

    async def upsert(self, incoming: Customer) -> CustomerChange:
        """Create or update a customer (fields given win; identities are added, then linked)."""
        for _ in range(ATTEMPTS):
            current = await load_customer(self._store, incoming.id)
            if current is not None and (current.erased or current.merged_into):
                return CustomerChange("refused", f"customer {incoming.id} was erased or merged")
            base = current or Customer(id=incoming.id)
            given = incoming.model_dump(
                exclude_unset=True, exclude={"id", "version", "identities", "erased", "merged_into"}
            )
            updated = base.model_copy(update=given)
            saved = await save_customer(self._store, updated)
            if saved is not None:
                break
        else:
            return CustomerChange("refused", f"customer {incoming.id} is changing too often")
        for key in lookup_keys(saved):  # self-identification finds the customer by either
            await self._store.put_record(RecordKind.CUSTOMER_KEY, key, {"customer_id": incoming.id})
        for identity in incoming.identities:
            linked = await self.link(incoming.id, identity)
            if not linked.ok:
                return linked
        return CustomerChange(
            "changed", f"customer {incoming.id} saved", await load_customer(self._store, incoming.id)
        )

    async def resolve(self, customer_id: str) -> Customer | None:
        return await resolve_customer(self._store, customer_id)

    async def link(self, customer_id: str, identity: Identity) -> CustomerChange:
        customer = await load_customer(self._store, customer_id)
        if customer is None or customer.erased or customer.merged_into:
            return CustomerChange("not_found", f"no customer {customer_id}")
        claimed = await self._store.put_record(
            RecordKind.IDENTITY, identity.id, {"customer_id": customer_id}, only_if_absent=True
        )
        if not claimed:
            owner = await self._store.get_record(RecordKind.IDENTITY, identity.id)
            if owner is not None and owner.data.get("customer_id") != customer_id:
                return CustomerChange("refused", f"{identity.channel} identity is linked to another customer")
        await self._carry_open_case(customer_id, identity)
        changed = await self._edit(customer_id, lambda c: _with_identity(c, identity))
        return CustomerChange("changed", f"identity linked to customer {customer_id}", changed)

    async def unlink(self, customer_id: str, identity: Identity) -> CustomerChange:
        owner = await self._store.get_record(RecordKind.IDENTITY, identity.id)
        if owner is None or owner.data.get("customer_id") != customer_id:
            return CustomerChange("not_found", f"that identity is not linked to customer {customer_id}")
        await self._store.delete_record(RecordKind.IDENTITY, identity.id)
        changed = await self._edit(
            customer_id,
            lambda c: c.model_copy(update={"identities": [i for i in c.identities if i.id != identity.id]}),
        )
        return CustomerChange("changed", f"identity unlinked from customer {customer_id}", changed)

    async def merge(self, source_id: str, target_id: str) -> CustomerChange:
        """`source` goes into `target`: every identity, the fields target lacks, the open case."""
        if source_id == target_id:
            return CustomerChange("refused", "a customer cannot be merged into itself")
        source = await load_customer(self._store, source_id)
        target = await load_customer(self._store, target_id)
        if source is None or target is None or source.erased or target.erased or target.merged_into:
            return CustomerChange("not_found", "both customers must exist (and not be erased)")
        if source.merged_into == target_id:
            return CustomerChange("unchanged", f"customer {source_id} is already in {target_id}", target)
        for identity in source.identities:
            await self._store.put_record(RecordKind.IDENTITY, identity.id, {"customer_id": target_id})
        pointer = await self._store.get_record(RecordKind.CASE_IDENTITY, customer_identity(source_id))
        if pointer is not None:
            await self._store.put_record(
                RecordKind.CASE_IDENTITY, customer_identity(target_id), pointer.data, only_if_absent=True
            )

        def absorb(into: Customer) -> Customer:
            missing = {k: v for k, v in _details(source).items() if v and getattr(into, k) is None}
            for identity in source.identities:
                into = _with_identity(into, identity)
            return into.model_copy(update=missing)

        merged = await self._edit(target_id, absorb)
        await self._edit(
            source_id, lambda c: c.model_copy(update={"merged_into": target_id, "identities": []})
        )
        return CustomerChange("changed", f"customer {source_id} merged into {target_id}", merged)

    async def _carry_open_case(self, customer_id: str, identity: Identity) -> None:
        """The identity's case becomes the customer's, unless the customer already has one."""
        pointer = await self._store.get_record(RecordKind.CASE_IDENTITY, identity.id)
        if pointer is not None:
            await self._store.put_record(
                RecordKind.CASE_IDENTITY, customer_identity(customer_id), pointer.data, only_if_absent=True
            )

    async def _edit(self, customer_id: str, change: Callable[[Customer], Customer]) -> Customer | None:
        for _ in range(ATTEMPTS):
            current = await load_customer(self._store, customer_id)
            if current is None:
                return None
            saved = await save_customer(self._store, change(current))
            if saved is not None:
                return saved
        return None


def _with_identity(customer: Customer, identity: Identity) -> Customer:
    if any(i.id == identity.id for i in customer.identities):
        return customer
    return customer.model_copy(update={"identities": [*customer.identities, identity]})


def _details(customer: Customer) -> dict[str, object]:
    return customer.model_dump(include={"name", "contract_number", "email", "phone", "preferred_language"})

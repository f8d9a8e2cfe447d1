"""The code flow through the effect applier, on the SQLite and the Redis hot path, on a clock we
move: one code mail per claim whatever the redeliveries, wrong answers counted once and then a
lockout, an expired code refused, unknown data answered without saying so, no address routed to
a person, the per-identity limit, and a customer known only to the CRM (the Zendesk fake)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.zendesk.client import ZendeskCrm
from adapters.zendesk.config import ZendeskConfig
from bot.config import GuardSettings
from bot.core.context import MessageContext
from bot.core.customers import Customer
from bot.core.effects import IdentifyCustomer
from bot.core.models import Decision, OutboxItem
from bot.core.records import RecordKind
from bot.core.self_id import SelfIdClaim, SelfIdSettings
from bot.engine.customers import CustomerBook, customer_of, load_customer
from bot.engine.effects import EffectApplier
from bot.engine.self_id import SelfIdentification
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import Outcome
from bot.store.base import Store
from responders.templates import render
from tests.conftest import make_message
from tests.fakes.zendesk_api import EMAIL, TOKEN, FakeZendesk

T0 = datetime(2026, 5, 21, 10, tzinfo=UTC)
PHONE = "34600111222"
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class Flow:
    """One customer's conversation on WhatsApp, each message applied as the worker would."""

    def __init__(self, store: Store, crm: ZendeskCrm | None = None, **settings: float) -> None:
        self.store = store
        flow = SelfIdentification(store, SelfIdSettings(**settings), can_mail=True, crm=crm)
        self.applier = EffectApplier(store, ReplyGuard(store, GuardSettings()), self_id=flow)

    async def say(self, msg_id: str, claim: SelfIdClaim, *, at: datetime = T0, lang: str = "es") -> str:
        message = make_message(msg_id, claim.value, channel="whatsapp", handle=PHONE, created_at=at)
        ctx = MessageContext(message=message, now=at, language=lang)
        decision = Decision(message_key=message.key, action="monitor", reason="r", rule="self-identification")
        await self.applier.apply(Outcome(ctx, decision, [IdentifyCustomer(claim)]))
        reply = await self.store.get_outbox(f"self_id:{message.key}:robot")
        assert reply is not None
        return reply.text

    async def mails(self) -> list[OutboxItem]:
        return [i for i in await self.store.list_outbox(limit=100) if i.channel == "email"]

    async def code(self, claim_id: str = "w1") -> str:
        """The code the mail for the claim `claim_id` carries."""
        mail = await self.store.get_outbox(f"self_id_code:whatsapp:{claim_id}")
        assert mail is not None
        return next(word.strip(".") for word in mail.text.split() if word.strip(".").isdigit())


def contract(value: str = "CT-778899") -> SelfIdClaim:
    return SelfIdClaim(kind="contract", value=value.replace("-", ""))


def code(value: str) -> SelfIdClaim:
    return SelfIdClaim(kind="code", value=value)


async def ana(store: Store, **fields: str | None) -> None:
    given = {"email": "ana@example.com", "contract_number": "CT-778899", "preferred_language": "pt", **fields}
    saved = await CustomerBook(store.records).upsert(Customer.model_validate({"id": "K-1", **given}))
    assert saved.ok


async def test_a_claim_mails_one_code_whatever_the_redeliveries_and_only_its_hash_is_kept(
    store: Store,
) -> None:
    await ana(store)
    flow = Flow(store)
    first = await flow.say("w1", contract())
    again = await flow.say("w1", contract())  # the worker died before its ack: the same message
    assert first == again and "a***@example.com" in first and "15 minutos" in first
    assert "ana@example.com" not in first and "778899" not in first
    [mail] = await flow.mails()
    assert mail.recipient == "ana@example.com" and mail.idempotency_key == "self_id_code:whatsapp:w1"
    assert "código de verificação" in mail.text  # the mail in her preferred language
    sent = await flow.code()
    challenge = await store.get_record(RecordKind.SELF_ID_CHALLENGE, f"whatsapp:{PHONE}")
    assert challenge is not None and sent not in str(challenge.data)  # a salted hash only

    # Lost between the challenge and the mail: the redelivered claim derives the same code.
    redo = SelfIdentification(store, SelfIdSettings(), can_mail=True)
    message = make_message("w1", "CT778899", channel="whatsapp", handle=PHONE, created_at=T0)
    rebuilt = await redo.handle(MessageContext(message=message, now=T0, language="es"), contract())
    assert rebuilt.mail is not None and sent in rebuilt.mail.text

    confirmed = await flow.say("w2", code(sent), at=T0 + timedelta(minutes=5))
    assert confirmed == render("self_id_confirmed", "es")
    linked = await customer_of(store.records, "whatsapp", PHONE)
    assert linked is not None and linked.id == "K-1"
    audit = await store.list_audit(kind="customer_self_identified")
    assert [e.subject for e in audit] == ["K-1"]


async def test_wrong_codes_count_once_each_then_lock_the_identity_out(store: Store) -> None:
    await ana(store)
    flow = Flow(store, max_attempts=3, lockout_s=1800)
    await flow.say("w1", contract(), lang="en")
    right = await flow.code()
    wrong = "000000" if right != "000000" else "111111"
    at = T0 + timedelta(minutes=1)
    assert await flow.say("w2", code(wrong), at=at) == render("self_id_wrong", "en", left="2")
    assert await flow.say("w2", code(wrong), at=at) == render("self_id_wrong", "en", left="2")  # redelivered
    assert await flow.say("w3", code(wrong), at=at) == render("self_id_wrong", "en", left="1")
    locked = await flow.say("w4", code(wrong), at=at)
    assert locked == render("self_id_locked", "en", minutes="30")
    assert await flow.say("w5", code(right), at=at) == render("self_id_locked", "en", minutes="30")
    assert await flow.say("w6", contract(), at=at, lang="en") == render("self_id_locked", "en", minutes="30")
    assert await customer_of(store.records, "whatsapp", PHONE) is None
    assert len(await flow.mails()) == 1  # no new code while locked out
    # After the lockout a new claim gets a new code, and that one works.
    later = T0 + timedelta(minutes=40)
    await flow.say("w7", contract(), at=later, lang="en")
    assert len(await flow.mails()) == 2
    confirmed = await flow.say("w8", code(await flow.code("w7")), at=later + timedelta(minutes=1))
    assert confirmed == render("self_id_confirmed", "en")


async def test_an_expired_code_is_refused_and_links_nothing(store: Store) -> None:
    await ana(store)
    flow = Flow(store, code_ttl_s=900)
    await flow.say("w1", contract(), lang="pt")
    late = await flow.say("w2", code(await flow.code()), at=T0 + timedelta(minutes=16))
    assert late == render("self_id_expired", "pt")
    assert await customer_of(store.records, "whatsapp", PHONE) is None


async def test_unknown_data_is_answered_without_saying_whether_a_customer_exists(store: Store) -> None:
    await ana(store)
    flow = Flow(store)
    unknown = await flow.say("w1", contract("CT-000001"))
    assert unknown == render("self_id_unknown", "es")
    by_mail = await flow.say("w2", SelfIdClaim(kind="email", value="nadie@example.com"))
    assert by_mail == unknown and await flow.mails() == []
    assert await store.get_record(RecordKind.AGENT_QUEUE, "whatsapp:w1") is None  # no hand-off


async def test_no_address_on_file_is_said_and_a_person_takes_over(store: Store) -> None:
    await ana(store, email=None)
    flow = Flow(store)
    assert await flow.say("w1", contract()) == render("self_id_no_address", "es")
    assert await flow.mails() == []
    entry = await store.get_record(RecordKind.AGENT_QUEUE, "whatsapp:w1")
    assert entry is not None
    assert "no e-mail on file" in str(entry.data)


async def test_codes_per_identity_are_limited_within_the_window(store: Store) -> None:
    await ana(store)
    flow = Flow(store, codes_per_identity=2, window_s=3600)
    for n in (1, 2):
        assert "a***@example.com" in await flow.say(f"w{n}", contract())
    assert await flow.say("w3", contract()) == render("self_id_rate_limited", "es")
    assert len(await flow.mails()) == 2


async def test_a_customer_known_only_to_the_crm_is_created_locally_then_gets_the_code(
    store: Store, aiohttp_server: ServerFactory
) -> None:
    fake = FakeZendesk()
    fake.users.append(
        {
            "id": 9001,
            "name": "Bea Lima",
            "email": "bea@example.com",
            "external_id": "K-77",
            "locale": "pt-BR",
            "active": True,
            "user_fields": {"contract_number": "CT445566"},
        }
    )
    server = await aiohttp_server(fake.app())
    config = ZendeskConfig(base_url=str(server.make_url("")), email=EMAIL, api_token=SecretStr(TOKEN))
    crm = ZendeskCrm(config)
    try:
        flow = Flow(store, crm=crm)
        told = await flow.say("w1", contract("CT-445566"), lang="pt")
        assert "b***@example.com" in told
        local = await load_customer(store.records, "K-77")
        assert local is not None and local.source == "crm" and local.preferred_language == "pt"
        assert ("GET", "/api/v2/users/search.json") in fake.calls
        # Known locally now: the next claim (by e-mail) needs no CRM call.
        calls = len(fake.calls)
        await flow.say("w2", SelfIdClaim(kind="email", value="bea@example.com"), lang="pt")
        assert len(fake.calls) == calls
        assert await crm.find_customer(external_id="K-77") is not None
        assert await crm.find_customer(email="nobody@example.com") is None
    finally:
        await crm.close()


@pytest.mark.parametrize("text", ["CT-778899", "mi contrato es CT778899", "ana@example.com"])
def test_claims_are_found_in_the_text(text: str) -> None:
    from bot.core.self_id import find_claim

    claim = find_claim(text, SelfIdSettings().contract())
    assert claim is not None and claim.value in ("CT778899", "ana@example.com")


async def test_a_long_private_message_with_an_address_is_decided_as_usual(store: Store) -> None:
    from bot.pipeline.self_id import SelfIdAnalyser

    analyser = SelfIdAnalyser(store.records, SelfIdSettings().contract())
    mail = (
        "Buenos días, llevo tres días sin conexión en casa y nadie me da una solución. "
        "Ya he reiniciado el router varias veces. Un saludo, Ana Pérez, ana@example.com"
    )
    short = make_message("e2", "Mi correo es ana@example.com", channel="email", handle="ana@example.com")
    for message, claimed in (
        (make_message("e1", mail, channel="email", handle="ana@example.com"), False),
        (short, True),
    ):
        ctx = MessageContext(message=message, now=T0)
        await analyser.analyse(ctx)
        assert (ctx.self_id is not None) is claimed

"""The pipeline decides what goes with an automatic reply; the engine applies it as given.

Echo fingerprints and the agent-queue entry for a held answer used to be decided inside the
effect applier; these tests pin the decisions where they now live and check that the applier
writes exactly what the effect says (and nothing when the effect says nothing).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import GuardSettings
from bot.core.context import AuthorProfile, MessageContext
from bot.core.effects import Reply, SaveRecord
from bot.core.models import Action, Decision
from bot.core.records import RecordKind
from bot.engine.effects import EffectApplier
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import Outcome
from bot.pipeline.reply_policy import explicit_effects
from bot.reading.normalise import echo_fingerprint
from bot.store.base import Store
from tests.conftest import make_message

NOW = datetime(2026, 5, 21, 10, tzinfo=UTC)
TEXT = "Respuesta automática: reinicia el router desde la app y espera dos minutos"


def context(msg_id: str = "m1", *, author: AuthorProfile | None = None) -> MessageContext:
    return MessageContext(
        message=make_message(msg_id, created_at=NOW), now=NOW, author=author or AuthorProfile()
    )


def decided(ctx: MessageContext, action: Action = "answer") -> Decision:
    return Decision(message_key=ctx.message.key, action=action, reason="r", rule="x")


def test_an_automatic_answer_carries_its_echo_and_the_agent_queue_entry_for_when_it_is_held() -> None:
    ctx = context()
    notice = SaveRecord(RecordKind.ALERT, "a1", {"kind": "crisis"})
    reply, kept = explicit_effects(ctx, decided(ctx), [Reply(account="robot", text=TEXT), notice])
    assert kept is notice  # only replies change
    assert isinstance(reply, Reply) and reply.text == TEXT
    assert reply.echo is not None and reply.echo == echo_fingerprint(TEXT)
    assert reply.if_held is not None and reply.if_held.kind == RecordKind.AGENT_QUEUE
    assert reply.if_held.record_id == ctx.message.key
    assert reply.if_held.data["reason"] == "automatic reply held"


def test_no_agent_queue_entry_for_our_own_accounts_bots_other_actions_or_approved_replies() -> None:
    own, bot = context(author=AuthorProfile(own_account=True)), context(author=AuthorProfile(bot=True))
    plain = context()
    cases = [
        (own, decided(own), True),
        (bot, decided(bot), True),
        (plain, decided(plain, "crisis"), True),
        (plain, decided(plain), False),  # approved by a person: no guard holds it
    ]
    for ctx, decision, automatic in cases:
        (reply,) = explicit_effects(ctx, decision, [Reply(account="robot", text=TEXT, automatic=automatic)])
        assert isinstance(reply, Reply) and reply.if_held is None
        assert reply.echo is not None  # every reply we publish may come back as a quote


async def apply(store: Store, ctx: MessageContext, reply: Reply) -> Decision:
    applier = EffectApplier(store, ReplyGuard(store, GuardSettings()))
    return await applier.apply(Outcome(ctx, decided(ctx), [reply]))


async def test_the_applier_writes_the_held_entry_it_is_given_with_the_guards_reason(store: Store) -> None:
    ctx = context("m1")
    ctx.echo = True  # a quote of one of our posts: the guards hold the reply
    (reply,) = explicit_effects(ctx, decided(ctx), [Reply(account="robot", text=TEXT)])
    assert isinstance(reply, Reply)
    decision = await apply(store, ctx, reply)
    assert decision.suppressed is not None
    entry = await store.get_record(RecordKind.AGENT_QUEUE, ctx.message.key)
    assert entry is not None and entry.data["reason"] == f"automatic reply held: {decision.suppressed}"
    bare = context("m2")  # the same held reply without an entry: the engine adds none of its own
    bare.echo = True
    assert (await apply(store, bare, Reply(account="robot", text=TEXT))).suppressed is not None
    assert await store.get_record(RecordKind.AGENT_QUEUE, bare.message.key) is None


async def test_the_applier_remembers_the_echo_it_is_given_and_none_otherwise(store: Store) -> None:
    ctx = context("m1")
    (reply,) = explicit_effects(ctx, decided(ctx), [Reply(account="robot", text=TEXT)])
    assert isinstance(reply, Reply) and reply.echo is not None
    await apply(store, ctx, reply)
    echo = await store.get_record(RecordKind.ECHO, reply.echo)
    assert echo is not None and echo.data == {"outbox": f"reply:{ctx.message.key}:robot"}
    other = "Otra respuesta distinta sobre la factura de este mes y cómo descargarla"
    await apply(store, context("m2"), Reply(account="robot", text=other))
    fingerprint = echo_fingerprint(other)
    assert fingerprint is not None and await store.get_record(RecordKind.ECHO, fingerprint) is None

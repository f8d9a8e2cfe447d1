"""Replies to and mentions of a crisis are attached to its alert, once, within the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.models import InboundMessage
from bot.engine.effects import EffectApplier
from bot.engine.extensions import build_extensions
from bot.engine.runtime import build_pipeline
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import event_clock
from bot.store.base import Store
from tests.conftest import make_message, settings_for

T0 = datetime(2026, 5, 26, 11, 30, tzinfo=UTC)


async def _run(store: Store, tmp_path: Path, messages: list[InboundMessage]) -> None:
    settings = settings_for(tmp_path)
    extensions = build_extensions(settings, None)
    pipeline = build_pipeline(settings, store, clock=event_clock, extensions=extensions)
    applier = EffectApplier(store, ReplyGuard(store, settings.guards))
    for message in messages:
        await applier.apply(await pipeline.process(message))


async def test_replies_and_mentions_join_the_crisis_alert(store: Store, tmp_path: Path) -> None:
    crisis = make_message(
        "c1",
        "Two weeks without internet and @AuroraTel ignores me. Worst company ever, avoid them.",
        handle="@bigvoice",
        followers=2_100_000,
        verified=True,
        created_at=T0,
    )
    mention = make_message(
        "r1", "@bigvoice same here, no service for days", handle="@fan1", created_at=T0 + timedelta(minutes=1)
    )
    reply = make_message("r2", "lol", handle="@fan2", in_reply_to="c1", created_at=T0 + timedelta(minutes=2))
    late = make_message("r3", "@bigvoice old news", handle="@fan3", created_at=T0 + timedelta(hours=3))
    unrelated = make_message(
        "r4", "¿cómo reinicio el router?", handle="@fan4", created_at=T0 + timedelta(minutes=3)
    )

    await _run(store, tmp_path, [crisis, mention, reply, late, unrelated, mention])

    alert = await store.get_record("alert", "crisis:twitter:c1")
    assert alert is not None
    related = alert.data["related_messages"]
    assert [m["key"] for m in related] == ["twitter:r1", "twitter:r2"]  # once, in the window
    assert {m["action"] for m in related} <= {"case", "monitor", "agent", "answer"}
    alerts = await store.list_records("alert")
    assert [a.id for a in alerts] == ["crisis:twitter:c1"]  # the pile-on raised nothing new

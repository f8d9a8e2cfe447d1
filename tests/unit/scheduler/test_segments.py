"""Segment campaigns: private messages to the people chosen, never to opted-out ones, only
within the channel's messaging window, each person once, in their language."""

from __future__ import annotations

import textwrap
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.digests import person_digest
from bot.core.records import RecordKind
from bot.store.base import Store
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_runner import CampaignRunner
from scheduler.opt_out import is_opt_out
from scheduler.segments import Recipient, StaticSegmentSource
from tests.unit.scheduler.campaign_rig import Clock, utc

SEGMENT_CAMPAIGN = textwrap.dedent(
    """
    id: nautico
    name: Club náutico
    window: {start: 2026-05-20, end: 2026-05-22, timezone: Europe/Madrid}
    channels: [whatsapp]
    segment: {tags: [nautico], regions: [Madrid]}
    steps:
      - at: "start 11:00"
        text: {es: "Socios del club: fibra al 50%.", en: "Club members: fibre at 50% off."}
    """
)
STEP = utc("2026-05-20T09:00:00")  # 11:00 in Madrid


def person(handle: str, lang: str = "es", *, hours_ago: float = 2, **extra: object) -> Recipient:
    values: dict[str, object] = {"tags": frozenset({"nautico"}), "region": "Madrid", **extra}
    return Recipient(
        channel="whatsapp",
        handle=handle,
        lang=lang,
        last_message_at=STEP - timedelta(hours=hours_ago),
        **values,  # type: ignore[arg-type]
    )


PEOPLE = [
    person("+34600000001"),
    person("+34600000002", "en"),
    person("+34600000003", "pt"),  # no Portuguese text: gets the step's first language
    person("+34600000004"),  # opted out
    person("+34600000005", hours_ago=30),  # last wrote 30 h ago: WhatsApp's 24 h window is closed
    person("+34600000006", region="Barcelona"),  # not in the segment
    person("+34600000007", tags=frozenset()),  # not in the segment
]


@pytest.mark.parametrize(
    "text",
    [
        "BAJA",
        "¡Baja!",
        "stop",
        "Unsubscribe.",
        "sair",
        "Não quero mais mensagens",
        "¡¡ Baja !! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! ! !",
        unicodedata.normalize("NFD", "no quiero recibir más mensajes"),
    ],
)
def test_opt_out_keywords_in_each_language(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "quiero la baja de mi contrato",
        "don't stop the music",
        "hola",
        "stop " * 40,
        "no quiero recibir mas mensajes " + "por favor, " * 30,
    ],
)
def test_ordinary_messages_are_not_opt_outs(text: str) -> None:
    assert not is_opt_out(text)


async def test_segment_messages_skip_opt_outs_and_closed_windows(store: Store, tmp_path: Path) -> None:
    clock = Clock(STEP - timedelta(minutes=1))
    book = CampaignBook(store, clock=clock, segments=True)
    runner = CampaignRunner(store, book, clock=clock, segments=StaticSegmentSource(PEOPLE))
    assert (await book.define(SEGMENT_CAMPAIGN, actor="marta", source="test")).ok
    assert (await book.act("nautico", "approve", actor="jefa")).ok
    opted = {"status": "opted_out", "channel": "whatsapp"}
    await store.put_record(RecordKind.OPT_OUT, person_digest("whatsapp", "+34600000004"), opted)

    assert (await runner.sweep()).enqueued == []
    clock.now = STEP
    report = await runner.sweep()
    items = [await store.get_outbox(key) for key in report.enqueued]
    sent = {str(i.recipient): i for i in items if i is not None}
    assert sorted(sent) == ["+34600000001", "+34600000002", "+34600000003"]
    assert sent["+34600000002"].text == "Club members: fibre at 50% off."
    assert sent["+34600000003"].text == "Socios del club: fibra al 50%."
    assert all("+346" not in key for key in report.enqueued)  # keys hold digests, not phone numbers
    payload = sent["+34600000001"].payload
    assert payload is not None and payload["customer_message_at"] == "2026-05-20T07:00:00+00:00"
    audit = await store.list_audit(kind="campaign_segment_step")
    assert sorted((e.detail["sent"], e.detail["opted_out"], e.detail["outside_window"]) for e in audit) == [
        (1, 0, 0),
        (2, 1, 1),
    ]
    clock.now = STEP + timedelta(minutes=5)
    assert (await runner.sweep()).enqueued == []  # each person once
    record = await book.get("nautico")
    assert record is not None and record.data["status"] == "done"


async def test_without_a_source_segment_campaigns_are_refused(store: Store) -> None:
    refused = await CampaignBook(store).define(SEGMENT_CAMPAIGN, actor="marta", source="test")
    assert not refused.ok and "none is configured" in refused.message

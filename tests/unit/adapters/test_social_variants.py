"""Documented Meta and X payload shapes, one fixture line each, through `replay --adapter`'s path.

The fixtures (`tests/data/webhooks/<platform>/documented_variants.jsonl`) are ours, written from
the platforms' reference pages: visitor posts and photo comments on a Page, Messenger quick
replies, stickers, shared links, postbacks and the handover protocol's `standby`; Instagram live
comments, story replies, shares and reels; every WhatsApp message type, statuses, value-level
errors and template updates; an X page with a long post, HTML entities, a retweet, a quote, our
own reply, partial errors, a page without `includes` and an empty page. Each customer message
must come out once with its text, author and thread; everything else is counted by reason.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.cli.replay_adapter import adapter_for_replay, read_lines, translate_lines
from bot.config import load_settings
from bot.core.models import InboundMessage
from tests.paths import TEST_DATA

PAGE_POST = "101000000000001_777"
LONG_POST = (  # `note_tweet.text`: `text` stops at 280 characters
    "@AuroraTel Llevo una semana esperando al técnico y nadie aparece. Os lo cuento entero porque "
    "ya no sé qué hacer: el lunes me dijisteis que vendría el martes, el martes que el miércoles, el "
    "miércoles que el jueves y hoy viernes sigo sin fibra y pagando la cuota entera. Quiero una "
    "solución hoy."
)
# id -> (channel, text, handle, name, in_reply_to)
DM = "5500000000011"
EXPECTED: dict[str, dict[str, tuple[str, str, str, str | None, str | None]]] = {
    "facebook": {
        "101000000000001_900": (
            "facebook", "Llevo tres días sin internet en Sevilla y nadie me contesta",
            "6100000000011", "Rocío Vega", None,
        ),
        "777_2001": ("facebook", "A mí me pasa lo mismo desde ayer", "6100000000013", "Marta", "777_1001"),
        "777_2002": ("facebook", "[image]", "6100000000014", "Luis", PAGE_POST),
        "777_2004": ("facebook", "Is there an outage in Bilbao?", "", None, PAGE_POST),
        "1090000000000018": (
            "facebook", "Pésimo servicio técnico, tres semanas sin línea", "6100000000018", "Gorka", None,
        ),
        "m_QR1": ("messenger", "Fibra", "7100000000011", None, None),
        "m_RP1": ("messenger", "Sigue sin funcionar", "7100000000011", None, "m_OUT9"),
        "m_ST1": ("messenger", "[sticker]", "7100000000011", None, None),
        "m_FB1": ("messenger", "[link] Caída de red en Sevilla", "7100000000011", None, None),
        "m_LOC1": ("messenger", "[location]", "7100000000011", None, None),
    },
    "instagram": {
        "17900000000000077": (
            "instagram", "¿Cuándo llega la fibra a Cádiz?", "@nuria.live", "nuria.live", "18000000000000077",
        ),
        "17900000000000078": ("instagram", "Yo también, sin línea", "@teo_b", "teo_b", "17900000000000001"),
        "aWdfSTORY1": ("instagram_dm", "No me deja pagar la factura", DM, None, "18000000000000099"),
        "aWdfSHARE1": ("instagram_dm", "[share]", "5500000000011", None, None),
        "aWdfREEL1": ("instagram_dm", "[reel] Mi router parpadea", "5500000000011", None, None),
        "aWdfMENT1": ("instagram_dm", "[story mention]", "5500000000011", None, None),
        "aWdfUNS1": ("instagram_dm", "[unsupported message]", "5500000000011", None, None),
    },
    "whatsapp": {
        "wamid.V01": ("whatsapp", "Se me ha cortado la línea", "34600222333", "Nerea", "wamid.OUT01"),
        "wamid.V02": ("whatsapp", "[image]", "34600444555", "Tomás", None),
        "wamid.V03": ("whatsapp", "[document] factura_mayo.pdf", "34600444555", "Tomás", None),
        "wamid.V04": ("whatsapp", "[video] Así parpadea", "34600444555", "Tomás", None),
        "wamid.V05": ("whatsapp", "[audio]", "34600444555", "Tomás", None),
        "wamid.V06": ("whatsapp", "[sticker]", "34600444555", "Tomás", None),
        "wamid.V07": ("whatsapp", "Hablar con agente", "34600222333", "Nerea", None),
        "wamid.V08": ("whatsapp", "Fibra 1 Gb — 40 €/mes", "34600222333", "Nerea", None),
        "wamid.V09": ("whatsapp", "[form reply]", "34600222333", "Nerea", None),
        "wamid.V10": ("whatsapp", "Sí, quiero la oferta", "34600222333", "Nerea", None),
        "wamid.V11": ("whatsapp", "[location] Casa, Calle Mayor 1, Madrid", "34600222333", "Nerea", None),
        "wamid.V12": ("whatsapp", "[contacts] Ana Gil", "34600222333", "Nerea", None),
        "wamid.V13": ("whatsapp", "[order] Quiero dos routers", "34600222333", "Nerea", None),
        "wamid.V14": ("whatsapp", "[unsupported message]", "34600222333", "Nerea", None),
        # a username hides the number: the business-scoped user id is the sender
        "wamid.V19": (
            "whatsapp", "Oculto mi número, ¿podéis ayudarme?", "ES.1502576394655843", "Irene", None,
        ),
    },
    "x": {
        "1795400000000000001": ("twitter", LONG_POST, "@rocio_v", "Rocío Vega", None),
        "1795400000000000002": (
            "twitter", "@AuroraTel price & speed << promised >:(", "@sam_k", "Sam K", None,
        ),
        "1795400000000000004": (
            "twitter", "Esto es lo que prometen 🙄 @AuroraTel https://t.co/q1", "@critic", "Crítico",
            "1795300000000000000",
        ),
        "1795400000000000006": (
            "twitter", "@AuroraTel sigo igual", "@rocio_v", "Rocío Vega", "1795400000000000005",
        ),
        "2057387420021686279": ("twitter", "@AuroraTel sin includes", "4009", None, None),
    },
}  # fmt: skip
SKIPPED = {
    "facebook": {
        "feed_status_add_without_text": 1, "feed_comment_remove": 1, "feed_comment_hide": 1,
        "feed_reaction_add": 1, "own_page": 1, "mention": 1, "rating_without_text": 1, "postback": 1,
        "referral": 1, "message_edit": 1, "pass_thread_control": 1, "echo": 1, "reaction": 1, "standby": 2,
    },
    "instagram": {"mentions": 1, "story_insights": 1, "deleted": 1, "read": 1, "postback": 1, "echo": 1},
    "whatsapp": {
        "reaction": 1, "system": 1, "request_welcome": 1, "call_permission_reply": 1, "malformed": 1,
        "status": 4, "error": 1, "message_template_status_update": 1,
    },
    "x": {"api_error": 1, "retweet": 1, "own_account": 1, "empty_page": 1},
}  # fmt: skip


def replayed(platform: str) -> tuple[dict[str, InboundMessage], Counter[str]]:
    adapter = adapter_for_replay(load_settings(), platform)
    lines = read_lines(TEST_DATA / "webhooks" / platform / "documented_variants.jsonl")
    messages, skipped = translate_lines(adapter, lines)
    assert len({m.id for m in messages}) == len(messages)  # each customer message exactly once
    return {m.id: m for m in messages}, skipped


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_each_documented_variant_becomes_its_message_or_its_skip(platform: str) -> None:
    messages, skipped = replayed(platform)
    got = {i: (m.channel, m.text, m.author.handle, m.author.name, m.in_reply_to) for i, m in messages.items()}
    assert got == EXPECTED[platform]
    assert dict(skipped) == SKIPPED[platform]
    assert all(m.created_at.tzinfo is not None and m.created_at.year == 2026 for m in messages.values())


def test_meta_times_as_strings_seconds_and_milliseconds_agree() -> None:
    facebook, _ = replayed("facebook")
    assert facebook["777_2001"].created_at.isoformat() == "2026-05-21T09:00:10+00:00"  # "1779354010"
    assert facebook["m_QR1"].created_at.isoformat() == "2026-05-21T09:00:30+00:00"  # milliseconds
    whatsapp, _ = replayed("whatsapp")
    assert whatsapp["wamid.V02"].created_at.isoformat() == "2026-05-21T09:00:01+00:00"  # an int


def test_x_long_post_metrics_and_language() -> None:
    messages, _ = replayed("x")
    long_post = messages["1795400000000000001"]
    assert (long_post.author.followers, long_post.author.verified) == (15200, True)  # verified_type
    assert (messages["1795400000000000004"].author.followers, messages["1795400000000000004"].language) == (
        310000,
        "es",
    )
    assert messages["2057387420021686279"].created_at.year == 2026  # no created_at: from the snowflake


def test_x_edit_is_the_original_message_not_a_new_one() -> None:
    """`edited.jsonl` (ours): a mention then, a page later, its edit; an edit whose original was
    never seen (a reply); a page holding an edit and its original, newest first as X pages."""
    adapter = adapter_for_replay(load_settings(), "x")
    messages, skipped = translate_lines(adapter, read_lines(TEST_DATA / "webhooks" / "x" / "edited.jsonl"))
    got = {m.id: (m.text, m.author.handle, m.in_reply_to, m.created_at.minute) for m in messages}
    assert got == {
        # the edit came later: a duplicate of the question already taken in, whose words stay
        "1795500000000000100": ("@AuroraTel no me llega la factura de mayo", "@ines_r", None, 0),
        # only the edit was seen: the original's id (the thread), the edit's words and time
        "1795500000000000200": (
            "@AuroraTel sigo sin línea en Teruel (editado: desde el lunes)", "@pablo_m",
            "1795400000000000099", 5,
        ),
        "1795500000000000300": (
            "@AuroraTel ¿hay avería en Huesca? Sin fibra desde las 9", "@ines_r", None, 12,
        ),
    }  # fmt: skip
    assert dict(skipped) == {"duplicate": 2}
    edit = next(m for m in messages if m.id == "1795500000000000200")
    assert edit.raw is not None and edit.raw["tweet"]["id"] == "1795500000000000207"  # kept for audit

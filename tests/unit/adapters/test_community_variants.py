"""Documented Discourse and e-mail shapes: the customer's own words out, everything else counted.

Discourse (`tests/data/webhooks/discourse/documented_variants.jsonl`, ours): a new topic sent as
`topic_created` (skipped: it awaits its post) and then `post_created`, a reply quoting the first
post in `raw`, a reply with only `cooked` HTML quoting another, a staff whisper, a small action,
an admin, our robot, a private message, deletions, recoveries, an edit, a ping and a like.
Mail: Outlook's reply header in Spanish, Portuguese and French, attachments without text, a
message without `Date` or `Message-ID` in windows-1252 quoted-printable with RFC 2047 headers,
and `Precedence: bulk` mail.
"""

from __future__ import annotations

import json

import pytest

from adapters.email.body import new_text
from adapters.email.translate import read_mail
from bot.cli.replay_adapter import adapter_for_replay, read_lines, translate_lines
from bot.config import load_settings
from tests.paths import TEST_DATA

OWN = {"soporte@aurora.example"}


def test_discourse_variants_give_each_post_once_with_its_own_words() -> None:
    adapter = adapter_for_replay(load_settings(), "discourse")
    lines = read_lines(TEST_DATA / "webhooks" / "discourse" / "documented_variants.jsonl")
    messages, skipped = translate_lines(adapter, lines)
    got = {m.id: (m.text, m.author.handle, m.author.customer_id, m.in_reply_to) for m in messages}
    assert got == {
        # topic_created came first with the title alone and waits; its post_created is the message
        "t51-p1": (
            "Sin señal en el decodificador\n\nDesde ayer el decodificador dice «sin señal». ¿Qué hago?",
            "berta", "151", None,
        ),
        "t51-p2": ("A mí también, en Valencia. ¿Hay avería?", "carlos", "152", "t51-p1"),  # [quote] cut
        "t51-p3": ("Y en Castellón & Sagunto.", "dani", "153", "t51-p2"),  # <aside class="quote"> cut
    }  # fmt: skip
    assert dict(skipped) == {
        "topic_created_awaits_post": 1, "staff_post": 2, "not_a_regular_post": 1, "own_post": 1,
        "private_message": 1, "post_destroyed": 1, "post_recovered": 1, "topic_destroyed": 1,
        "post_edited": 1, "ping": 1, "unsupported_event:like_created": 1,
    }  # fmt: skip


def test_a_new_topic_is_its_first_post_with_the_body_whichever_event_comes_first() -> None:
    adapter = adapter_for_replay(load_settings(), "discourse")
    lines = read_lines(TEST_DATA / "webhooks" / "discourse" / "documented_variants.jsonl")[:2]
    for ordered in (lines, lines[::-1]):
        messages, skipped = translate_lines(adapter, ordered)
        assert [m.text.count("¿Qué hago?") for m in messages] == [1]
        assert skipped == {"topic_created_awaits_post": 1}


def test_a_recorders_extra_keys_beside_headers_and_body_are_tolerated() -> None:
    adapter = adapter_for_replay(load_settings(), "discourse")
    line = json.loads(read_lines(TEST_DATA / "webhooks" / "discourse" / "documented_variants.jsonl")[2])
    line |= {"received_at": "2026-05-21T10:00:01Z", "remote": "203.0.113.7"}
    messages, skipped = translate_lines(adapter, [json.dumps(line)])
    assert [m.id for m in messages] == ["t51-p2"] and not skipped


def mail(headers: str, body: str) -> str:
    return f"{headers.strip()}\nMIME-Version: 1.0\n\n{body}"


@pytest.mark.parametrize(
    "history",
    [
        "De: Soporte <soporte@aurora.example>\nEnviado el: lunes, 1 de junio de 2026 9:00\nPara: Ana",
        "De: Suporte <soporte@aurora.example>\nEnviada em: segunda-feira, 1 de junho de 2026 09:00",
        "De : Support <soporte@aurora.example>\nEnvoyé : lundi 1 juin 2026 09:00\nÀ : Bob",
        "From: Soporte <soporte@aurora.example>\nDate: Monday, June 1, 2026 9:00 AM\nTo: Bob",
    ],
)
def test_outlook_reply_headers_in_our_customers_languages_are_cut(history: str) -> None:
    assert new_text(f"Sigue sin llegarme la factura.\n\n{history}\n\nHola, te la reenviamos.") == (
        "Sigue sin llegarme la factura."
    )


def test_a_mail_of_attachments_only_still_says_what_was_sent() -> None:
    raw = mail(
        "From: Ana <ana@example.com>\nTo: soporte@aurora.example\nSubject: RE: factura\n"
        "Message-ID: <att-1@example.com>\nDate: Tue, 02 Jun 2026 10:00:00 +0200\n"
        "Content-Type: multipart/mixed; boundary=XX",
        "--XX\nContent-Type: application/pdf; name=factura.pdf\n"
        "Content-Disposition: attachment; filename=factura.pdf\nContent-Transfer-Encoding: base64\n\n"
        "JVBERi0xLjQK\n--XX--\n",
    )
    (message,) = read_mail({"raw": raw}, OWN).translation.messages
    assert message.text == "[attachment] factura.pdf" and message.raw is not None
    assert message.raw["body_from"] == "attachments"


def test_an_empty_plain_alternative_gives_way_to_the_html_one() -> None:
    raw = mail(
        "From: Ana <ana@example.com>\nSubject: Re: wifi\nMessage-ID: <alt-1@example.com>\n"
        "Content-Type: multipart/alternative; boundary=YY",
        "--YY\nContent-Type: text/plain; charset=utf-8\n\n\n--YY\n"
        "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        '<div>Sigue sin ir la wifi</div><div class=3D"gmail_quote">El lun escribi=C3=B3: hola</div>\n'
        "--YY--\n",
    )
    (message,) = read_mail({"raw": raw}, OWN).translation.messages
    assert message.text == "Sigue sin ir la wifi" and message.raw is not None
    assert message.raw["body_from"] == "html"


def test_missing_date_and_message_id_with_encoded_headers_and_windows_1252() -> None:
    raw = mail(
        "Received: from mx.example.com by mx.aurora.example; Tue, 2 Jun 2026 10:05:00 +0200\n"
        "From: =?iso-8859-1?q?Jos=E9_P=E9rez?= <jose@example.com>\n"
        "Subject: =?utf-8?b?wr9Dw7NtbyByZWluaWNpbyBlbCByb3V0ZXI/?=\n"
        "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable",
        "La luz parpadea y pago 30=80 al mes.\n",
    )
    first = read_mail({"raw": raw}, OWN).translation.messages[0]
    again = read_mail({"raw": raw}, OWN).translation.messages[0]
    assert first.author.name == "José Pérez"
    assert first.text == "¿Cómo reinicio el router?\n\nLa luz parpadea y pago 30€ al mes."
    assert first.created_at.isoformat() == "2026-06-02T08:05:00+00:00"  # our server's Received time
    assert first.id == again.id and first.id.startswith("sha256-")  # stable without a Message-ID


@pytest.mark.parametrize(
    ("headers", "outcome"),
    [
        ("Precedence: bulk\nIn-Reply-To: <ours-1@aurora.example>", "auto_reply"),  # a vacation note
        ("Precedence: junk\nReferences: <ours-1@aurora.example>", "auto_reply"),
        ("Precedence: bulk", "precedence_bulk"),  # a newsletter: kept, flagged, never answered
    ],
)
def test_bulk_precedence_answers_are_auto_replies_and_newsletters_are_flagged(
    headers: str, outcome: str
) -> None:
    raw = mail(
        f"From: Ana <ana@example.com>\nSubject: Re: factura\nMessage-ID: <b-1@example.com>\n{headers}",
        "Estaré fuera hasta el lunes.\n",
    )
    translation = read_mail({"raw": raw}, OWN).translation
    if outcome == "auto_reply":
        assert translation.skipped == {"auto_reply": 1} and translation.messages == []
    else:
        (message,) = translation.messages
        assert message.author.is_bot and message.raw is not None and message.raw["automated"] == outcome

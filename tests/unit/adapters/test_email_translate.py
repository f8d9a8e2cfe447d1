"""Mail in, canonical message out: MIME decoding, quote stripping, automated mail, privacy."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from adapters.email.body import new_text
from adapters.email.headers import header
from adapters.email.translate import mask_address, read_mail
from tests.paths import TEST_DATA

MAILS = TEST_DATA / "email"
OWN = {"soporte@aurora.example"}


def read(name: str) -> bytes:
    return (MAILS / name).read_bytes()


def test_question_becomes_a_private_email_message_without_the_address() -> None:
    reading = read_mail(read("question.eml"), OWN)
    (message,) = reading.translation.messages
    assert (message.id, message.channel, message.in_reply_to) == ("q-0001@mail.example.com", "email", None)
    # The subject is already in the body, so it is not repeated in front of it.
    assert message.text == (
        "Hola, desde ayer la wifi se corta cada rato.\n¿Cómo reinicio el router?\n\nGracias,"
    )
    assert "Calle Mayor" not in message.text  # the signature after "--" is cut
    assert message.author.handle == mask_address("ana.garcia@example.com").lower()
    assert message.author.handle.startswith("a***@example.com#") and not message.author.is_bot
    assert "ana.garcia" not in message.model_dump_json()  # nowhere in what the pipeline keeps
    assert message.created_at.isoformat() == "2026-05-19T07:15:00+00:00"
    assert not message.is_public
    assert reading.reply_to is not None and reading.reply_to.address == "ana.garcia@example.com"
    assert reading.reply_to.references == ["q-0001@mail.example.com"]


def test_reply_keeps_only_the_new_text_and_threads_on_the_root() -> None:
    reading = read_mail(read("reply_quoted.eml"), OWN)
    (message,) = reading.translation.messages
    assert message.text == "Lo he reiniciado y sigue igual, la luz roja no se apaga."
    assert message.in_reply_to == "q-0001@mail.example.com"  # the conversation's root
    assert reading.reply_to is not None
    assert reading.reply_to.references == [
        "q-0001@mail.example.com",
        "answer-1@aurora.example",
        "q-0007@mail.example.com",
    ]


def test_html_only_mail_is_converted_and_its_quote_dropped() -> None:
    (message,) = read_mail(read("html_only.eml"), OWN).translation.messages
    assert message.text == "Internet lenta\n\nOlá,\n\na internet está muito lenta. Como reinicio o roteador?"
    assert message.raw is not None and message.raw["body_from"] == "html"
    assert message.language == "pt"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "latin1.eml",
            "Configuración del módem\n\nBuenos días, ¿cómo cambio la contraseña del wifi? "
            "Tengo el módem nuevo.",
        ),
        ("cp1252.eml", "Factura de 30 euros\n\nNo entiendo el “cargo extra” de 30€ en mi factura – ¿qué es?"),
    ],
)
def test_non_utf8_charsets_are_decoded(name: str, expected: str) -> None:
    (message,) = read_mail(read(name), OWN).translation.messages
    assert message.text == expected


def test_latin1_display_name_is_decoded() -> None:
    (message,) = read_mail(read("latin1.eml"), OWN).translation.messages
    assert message.author.name == "José Peña"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("vacation.eml", "auto_reply"), ("bounce.eml", "delivery_report")],
)
def test_auto_replies_and_bounces_are_skipped(name: str, reason: str) -> None:
    reading = read_mail(read(name), OWN)
    assert reading.translation.messages == [] and reading.translation.skipped == {reason: 1}
    assert reading.reply_to is None


def test_mailing_list_mail_is_kept_but_flagged_as_automated() -> None:
    (message,) = read_mail(read("mailing_list.eml"), OWN).translation.messages
    assert message.author.is_bot and message.raw is not None and message.raw["automated"] == "precedence_list"


def mail(headers: str, body: str = "Hola, ¿cómo reinicio el router?") -> bytes:
    base = (
        "From: Ana <ana@example.com>\r\nTo: soporte@aurora.example\r\nSubject: Hola\r\nMessage-ID: <x@y>\r\n"
    )
    return (base + headers + "\r\n" + body + "\r\n").encode()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-generated\r\n", "auto_generated"),
        ("X-Autorespond: yes\r\n", "auto_reply"),
        ("Precedence: auto_reply\r\n", "auto_reply"),
        ("X-Auto-Response-Suppress: DR, OOF, AutoReply, All\r\n", "auto_reply"),
        ("Return-Path: <>\r\n", "auto_generated"),
        (
            "Content-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n",
            "delivery_report",
        ),
    ],
)
def test_every_automatic_mark_is_honoured(headers: str, reason: str) -> None:
    assert read_mail(mail(headers), OWN).translation.skipped == {reason: 1}


def test_auto_submitted_no_is_a_person() -> None:
    assert len(read_mail(mail("Auto-Submitted: no\r\n"), OWN).translation.messages) == 1


@pytest.mark.parametrize(
    ("sender", "outcome"),
    [
        ("soporte@aurora.example", "own_message"),
        ("postmaster@example.com", "auto_generated"),
        ("mailer-daemon@example.com", "auto_generated"),
        ("no-reply@reclamos.example", "noreply_sender"),
        ("noreply+abc@example.com", "noreply_sender"),
    ],
)
def test_machine_and_own_senders(sender: str, outcome: str) -> None:
    raw = mail("").replace(b"Ana <ana@example.com>", sender.encode())
    reading = read_mail(raw, OWN)
    if outcome == "noreply_sender":
        (message,) = reading.translation.messages
        assert message.author.is_bot and message.raw is not None and message.raw["automated"] == outcome
    else:
        assert reading.translation.skipped == {outcome: 1}


def test_replay_line_form_and_garbage() -> None:
    text = read("question.eml").decode()
    assert len(read_mail({"raw": text}, OWN).translation.messages) == 1
    assert read_mail({"nothing": 1}, OWN).translation.skipped == {"not_a_mail": 1}
    assert read_mail(b"not a mail at all", OWN).translation.skipped == {"no_sender": 1}
    assert read_mail(read("question.eml"), OWN, max_bytes=100).translation.skipped == {"too_large": 1}


def test_attachments_are_metadata_only() -> None:
    raw = (
        b"From: a@example.com\r\nTo: soporte@aurora.example\r\nSubject: cargo\r\nMessage-ID: <att@x>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nAdjunto la factura.\r\n--M\r\n"
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=factura.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--M--\r\n"
    )
    (message,) = read_mail(raw, OWN).translation.messages
    assert message.text == "cargo\n\nAdjunto la factura."
    assert message.raw is not None
    assert message.raw["attachments"] == [
        {"filename": "factura.pdf", "content_type": "application/pdf", "size": 9}
    ]


@pytest.mark.parametrize(
    "history",
    [
        "On Tue, 19 May 2026 at 09:20, Soporte <soporte@aurora.example> wrote:\n> old",
        "On Tue, 19 May 2026 at 09:20, Soporte Aurora\n<soporte@aurora.example> wrote:\n> old",
        "Em ter., 19 de mai. de 2026 às 09:20, Suporte escreveu:\n> antigo",
        "-----Original Message-----\nFrom: Soporte\nSent: Tuesday\nold",
        "________________________________\nDe: Soporte\nEnviado: martes\nold",
        "From: Soporte Aurora <soporte@aurora.example>\nSent: Tuesday, May 19, 2026 9:20 AM\nold",
    ],
)
def test_quoted_history_forms_are_cut(history: str) -> None:
    assert new_text(f"Sigue sin funcionar.\n\n{history}") == "Sigue sin funcionar."


def test_every_fixture_mail_translates_without_error() -> None:
    for path in sorted(Path(MAILS).glob("*.eml")):
        reading = read_mail(path.read_bytes(), OWN)
        assert len(reading.translation.messages) + sum(reading.translation.skipped.values()) == 1, path.name


def test_replay_string_form_keeps_8bit_charsets_exact() -> None:
    raw = read("cp1252.eml")
    as_line = {"raw": raw.decode("utf-8", "surrogateescape")}  # what a recorder writes to JSON
    (from_line,) = read_mail(as_line, OWN).translation.messages
    (from_bytes,) = read_mail(raw, OWN).translation.messages
    assert from_line.text == from_bytes.text and "30€" in from_line.text


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        # the standard library's header parser raises IndexError on these: read raw instead
        (b"From: Ana Garcia <ana.garcia@", "no_sender"),
        (b"From: <", "no_sender"),
    ],
)
def test_a_sender_the_parser_cannot_read_is_a_counted_skip_never_an_error(line: bytes, outcome: str) -> None:
    raw = mail("").replace(b"From: Ana <ana@example.com>", line)
    reading = read_mail(raw, OWN)
    assert reading.translation.skipped == {outcome: 1}


def test_an_unreadable_reply_to_falls_back_to_the_sender() -> None:
    reading = read_mail(mail("Reply-To: Ana <ana.garcia@\r\n"), OWN)
    assert reading.reply_to is not None and reading.reply_to.address == "ana@example.com"


def test_a_header_read_raw_is_text_that_encodes() -> None:
    """The raw fallback sees 8-bit bytes as the parser's surrogates: UTF-8 is decoded, the rest
    replaced, so no later step (the pseudonym's hash, JSON) fails to encode it."""
    msg = BytesParser(policy=policy.default).parsebytes(b"From: Jos\xc3\xa9 \xff <\r\n\r\nhola\r\n")
    assert header(msg, "From") == "Jos\u00e9 \ufffd <"
    assert header(msg, "Subject") == ""

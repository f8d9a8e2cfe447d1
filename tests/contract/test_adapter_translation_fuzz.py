"""Hypothesis over every adapter's inbound translation: recorded payloads, mutated.

Why mutate recordings instead of generating JSON from nothing: random JSON is rejected at the
first key, while a real payload with one field removed, retyped or replaced reaches the deep
branches of a translator, where an unguarded `payload["entry"][0]["changes"]` once lived. The
contract (`Adapter.translate`): never raise, whatever arrives; what comes out is a valid
canonical message, and what is not a message is a counted skip.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli.replay_adapter import adapter_for_replay
from bot.config import load_settings
from bot.core.models import InboundMessage
from tests.paths import TEST_DATA

RECORDED = TEST_DATA / "webhooks"
# Adapter name -> the folder of its recorded deliveries (Meta's three products share one adapter).
FOLDERS = {
    "x": "x",
    "facebook": "facebook",
    "instagram": "instagram",
    "whatsapp": "whatsapp",
    "meta": "facebook",
    "discourse": "discourse",
}

# `make chaos` raises the budget (CENTINELA_FUZZ_EXAMPLES, shared with the OpenAPI fuzz test).
EXAMPLES = 20 * int(os.environ.get("CENTINELA_FUZZ_EXAMPLES", "5"))
# Platform bodies are RFC 8259 JSON: no NaN or infinities.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def recordings(name: str) -> list[tuple[Any, dict[str, str]]]:
    """(payload, headers) pairs; Discourse lines carry their headers beside the body."""
    pairs = []
    for path in sorted((RECORDED / FOLDERS[name]).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            value = json.loads(line)
            if isinstance(value, dict) and set(value) == {"headers", "body"}:
                pairs.append((value["body"], dict(value["headers"])))
            else:
                pairs.append((value, {}))
    return pairs


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any, *, delete: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replace(value[head], rest, new, delete=delete)
    return copy


@st.composite
def mutated(draw: st.DrawFn, payload: Any) -> Any:
    """The payload with one to three of its values replaced by arbitrary JSON or removed."""
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(payload)))
        delete = bool(path) and draw(st.booleans())
        payload = _replace(payload, path, None if delete else draw(JSON), delete=delete)
    return payload


@pytest.mark.parametrize("name", sorted(FOLDERS))
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_translation_never_raises_on_a_mutated_recording(name: str, data: st.DataObject) -> None:
    adapter = adapter_for_replay(load_settings(), name)
    original, headers = data.draw(st.sampled_from(recordings(name)))
    payload = data.draw(mutated(original))
    translation = adapter.translate(payload, headers)
    for message in translation.messages:
        assert InboundMessage.model_validate_json(message.model_dump_json()) == message
    assert all(count > 0 for count in translation.skipped.values())


MAILS = sorted((TEST_DATA / "email").glob("*.eml"))
# Pieces that put a mail's structure in question: header syntax, encoded words, MIME
# boundaries and encodings, NULs and 8-bit bytes where only ASCII belongs.
MAIL_PIECES = [
    b"\r\n",
    b"\n",
    b": ",
    b"<",
    b">",
    b"\x00",
    b"\xff\xfe",
    b"=?utf-8?B?",
    b"=?iso-8859-1?Q?",
    b"?=",
    b"--",
    b"=\r\n",
    b"Content-Type: multipart/mixed; boundary=",
    b'charset="bogus-charset"',
    b"Content-Disposition: attachment; filename=",
]
# Whole header lines, put at the start of a line (a header or a MIME part's).
MAIL_LINES = [
    b"From: \r\n",
    b"From: Ana <ana@\r\n",
    b"From: <\r\n",
    b"From: Jos\xc3\xa9 \xff <\r\n",
    b"Reply-To: Ana <ana@\r\n",
    b"Message-ID: <\r\n",
    b"In-Reply-To: <<<>>>\r\n",
    b"Date: Mon, 99 Foo 2026 25:61:00 +9999\r\n",
    b"Content-Language: \xff\r\n",
    b'Content-Type: text/plain; charset="utf\x00-8"\r\n',
    b'Content-Type: multipart/alternative; boundary="\x00"\r\n',
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
]


@st.composite
def mutated_mail(draw: st.DrawFn) -> Any:
    """A recorded mail with header lines or pieces inserted, spans deleted, bytes changed or its end cut,
    as bytes (the poller's form) or as a replay line."""
    raw = bytearray(draw(st.sampled_from(MAILS)).read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        edit = draw(st.sampled_from(["line", "insert", "delete", "byte", "cut"]))
        if edit == "line":
            start = raw.find(b"\n", at) + 1  # the next line's start (0: before the first)
            raw[start:start] = draw(st.sampled_from(MAIL_LINES))
        elif edit == "insert":
            raw[at:at] = draw(st.sampled_from(MAIL_PIECES))
        elif edit == "delete":
            del raw[at : at + draw(st.integers(min_value=1, max_value=40))]
        elif edit == "byte" and raw:
            raw[min(at, len(raw) - 1)] = draw(st.integers(min_value=0, max_value=255))
        else:
            del raw[at:]
    if draw(st.booleans()):
        return bytes(raw)
    return {"raw": bytes(raw).decode("utf-8", "surrogateescape")}  # what a recorder writes


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=mutated_mail())
def test_mail_translation_never_raises_on_a_mutated_recording(payload: Any) -> None:
    """A mail the standard library cannot fully parse is a message or a counted skip: before,
    a broken `From` raised, and the IMAP poller retried that one mail forever."""
    translation = adapter_for_replay(load_settings(), "email").translate(payload, {})
    for message in translation.messages:
        assert InboundMessage.model_validate_json(message.model_dump_json()) == message
    assert len(translation.messages) + sum(translation.skipped.values()) == 1

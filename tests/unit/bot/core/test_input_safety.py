"""Repairing what a platform's API answers: lone surrogates out, everything else as it was."""

from __future__ import annotations

import json

from bot.core.input_safety import may_hold_lone_surrogates, repaired


def test_lone_surrogates_in_keys_and_values_become_one_replacement_character_each() -> None:
    raw = b'{"data": [{"text": "hola \\ud83d", "k\\udc00": 1, "ok": "\\ud83d\\ude00", "n": null}]}'
    assert may_hold_lone_surrogates(raw)
    fixed = repaired(json.loads(raw))
    assert fixed == {"data": [{"text": "hola \ufffd", "k\ufffd": 1, "ok": "\U0001f600", "n": None}]}
    json.dumps(fixed, ensure_ascii=False).encode("utf-8")  # encodes now


def test_a_body_without_a_surrogate_escape_is_not_walked() -> None:
    assert not may_hold_lone_surrogates('{"text": "😀 ok \\u00e9"}'.encode())

"""Handles, accents and echo fingerprints: what the loop's fast paths must keep exactly."""

from __future__ import annotations

import re
import unicodedata

import pytest

from bot.reading.normalise import drop_handles, echo_fingerprint, strip_accents

# The pattern as first written: an `@` not after a word character, then the handle.
LOOKBEHIND_FIRST = re.compile(r"(?<!\w)@\w+")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@ana hola", "  hola"),
        ("hola @ana", "hola  "),
        ("ana@example.com", "ana@example.com"),  # an address, not a handle
        ("é@z _@q 9@w", "é@z _@q 9@w"),  # after a word character (accented, _, digit)
        ("(@ana) -@bo", "( ) - "),
        ("@@ana a@@b", "@  a@ "),
        ("@ alone", "@ alone"),
    ],
)
def test_handles_are_dropped_only_after_a_non_word_character(text: str, expected: str) -> None:
    assert drop_handles(text) == expected == LOOKBEHIND_FIRST.sub(" ", text)


@pytest.mark.parametrize("text", ["plain ascii, RT: 100% @x", "caída não ação", "ﬁ ² Ａ", "naïve café"])
def test_strip_accents_is_the_decomposition_without_combining_marks(text: str) -> None:
    for form in ("NFD", "NFKD"):
        decomposed = unicodedata.normalize(form, text)
        kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        assert strip_accents(text, form) == kept


def test_echo_fingerprint_ignores_handles_links_case_and_accents() -> None:
    ours = echo_fingerprint("La conexión vuelve a funcionar en toda la zona")
    quoted = echo_fingerprint("RT @marca: la CONEXION vuelve a funcionar en toda la zona https://t.co/x")
    assert ours is not None and ours == quoted
    assert echo_fingerprint("a@b.com vuelve a funcionar hoy") != echo_fingerprint("vuelve a funcionar hoy")

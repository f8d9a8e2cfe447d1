"""The dashboard's texts: every language has every text; the language is picked as promised."""

from __future__ import annotations

import pytest

from bot.web.dashboard_texts import LANGUAGES, TEXTS, pick_language


def test_every_language_has_every_text() -> None:
    keys = set(TEXTS["en"])
    for lang in LANGUAGES:
        assert set(TEXTS[lang]) == keys, lang
        assert all(value.strip() for value in TEXTS[lang].values()), lang


@pytest.mark.parametrize(
    ("asked", "cookie", "header", "expected"),
    [
        ("pt", "es", "en", "pt"),
        (None, "es", "en-US,en;q=0.9", "es"),
        (None, None, "fr-FR,es;q=0.8,en;q=0.9", "en"),
        (None, None, "es-MX,es;q=0.9", "es"),
        (None, None, "pt-BR", "pt"),
        (None, None, "de, fr;q=0.5", "en"),
        (None, None, "es;q=0, en;q=0.1", "en"),
        ("xx", "yy", "", "en"),
    ],
)
def test_language_from_query_cookie_then_browser(
    asked: str | None, cookie: str | None, header: str, expected: str
) -> None:
    assert pick_language(asked, cookie, header) == expected

"""Composition of the automatic answer: label, handle, link intact within the channel limit."""

from __future__ import annotations

from bot.core.models import ArticleCandidate
from responders.kb_reply import compose_answer, reply_length, shorten
from responders.templates import ROBOT_LABEL

URL = "https://ayuda.ondanet.example/es/router-reset-" + "x" * 60
LONG = "Reiniciar el router soluciona muchos cortes puntuales y bajadas de velocidad. " * 6


def article(**overrides: str) -> ArticleCandidate:
    values = {
        "article_id": "kb-router-reset-es",
        "lang": "es",
        "title": "Cómo reiniciar tu router de fibra",
        "url": URL,
        "summary": LONG,
    }
    values.update(overrides)
    return ArticleCandidate(**values)


def test_twitter_reply_fits_280_with_label_handle_and_link_intact() -> None:
    text = compose_answer(article(), language="es", channel="twitter", handle="@ana_lopez")
    assert reply_length(text, "twitter") <= 280
    assert text.startswith(f"[{ROBOT_LABEL['es']}] @ana_lopez ")
    assert text.endswith(URL)
    assert "Cómo reiniciar tu router de fibra" in text
    assert "…" in text  # the summary gave way


def test_urls_count_as_23_on_twitter_only() -> None:
    assert reply_length(f"a {URL}", "twitter") == 2 + 23
    assert reply_length(f"a {URL}", "email") == 2 + len(URL)


def test_roomier_channels_keep_the_whole_summary() -> None:
    short = "Reiniciar el router soluciona muchos cortes."
    text = compose_answer(article(summary=short), language="es", channel="email", handle="ana@example.com")
    assert short in text
    assert "ana@example.com" not in text  # no @mention in private channels


def test_other_language_article_is_linked_and_named() -> None:
    text = compose_answer(article(), language="pt", channel="twitter", handle="@joao")
    assert text.startswith(f"[{ROBOT_LABEL['pt']}] @joao ")
    assert "espanhol" in text
    assert URL in text
    assert "Reiniciar el router" not in text  # no Spanish summary in a Portuguese reply


def test_a_title_longer_than_the_limit_is_the_only_other_thing_cut() -> None:
    text = compose_answer(article(title="T" * 400), language="en", channel="twitter", handle="@ann")
    assert reply_length(text, "twitter") <= 280
    assert text.startswith(f"[{ROBOT_LABEL['en']}] @ann ") and text.endswith(URL)


def test_shorten_cuts_at_a_word_with_an_ellipsis() -> None:
    assert shorten("uno dos tres cuatro", 12) == "uno dos…"
    assert shorten("corto", 12) == "corto"

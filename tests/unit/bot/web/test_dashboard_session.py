"""The dashboard's signed session cookie: valid for its holder's token, until it expires."""

from __future__ import annotations

from bot.web.dashboard_session import new_session, session_valid, token_matches

NOW = 1_800_000_000.0


def test_a_session_is_valid_for_the_token_that_made_it_until_it_expires() -> None:
    value = new_session("tok-new", 3600, now=NOW)
    assert session_valid(value, ["tok-new"], now=NOW + 10)
    assert session_valid(value, ["tok-other", "tok-new"], now=NOW + 10)  # during a rotation
    assert not session_valid(value, ["tok-new"], now=NOW + 3601)


def test_rotating_the_token_out_ends_its_sessions() -> None:
    value = new_session("tok-old", 3600, now=NOW)
    assert not session_valid(value, ["tok-new"], now=NOW + 1)


def test_altered_or_garbage_cookies_are_refused() -> None:
    value = new_session("tok", 3600, now=NOW)
    expires, _, signature = value.partition(".")
    assert not session_valid(f"{int(expires) + 9999}.{signature}", ["tok"], now=NOW)
    for junk in ("", "abc", "123", ".", "x.y", None):
        assert not session_valid(junk, ["tok"], now=NOW)


def test_tokens_compare_exactly() -> None:
    assert token_matches("a", ["b", "a"])
    assert not token_matches("", ["", "a"])
    assert not token_matches("a ", ["a"])

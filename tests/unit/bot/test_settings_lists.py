"""List settings from the environment: JSON as before, or a comma-separated list as people type it."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        ("CENTINELA_LANGUAGES", "es", "languages", ["es"]),
        ("CENTINELA_LANGUAGES", "es, EN ,pt", "languages", ["es", "en", "pt"]),
        ("CENTINELA_LANGUAGES", '["es", "pt"]', "languages", ["es", "pt"]),
        ("CENTINELA_OWN_ACCOUNTS", "@Foo", "own_accounts", ["@Foo"]),
        ("CENTINELA_OWN_ACCOUNTS", "@Foo,@Foo_ES", "own_accounts", ["@Foo", "@Foo_ES"]),
        ("CENTINELA_BOT_ACCOUNTS", "@spam1,@spam2", "bot_accounts", ["@spam1", "@spam2"]),
        ("CENTINELA_BOT_ACCOUNTS", "", "bot_accounts", []),
    ],
)
def test_top_level_lists(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, attribute: str, expected: list[str]
) -> None:
    monkeypatch.setenv(name, value)
    assert getattr(load_settings(), attribute) == expected


def test_nested_lists_of_the_war_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CENTINELA_SLACK__APPROVERS", "U01,U02")
    monkeypatch.setenv("CENTINELA_SLACK__ONCALL_ROTATION", '["U03", "U04"]')
    monkeypatch.setenv("CENTINELA_SLACK__ESCALATION_MINUTES", "5, 15")
    slack = load_settings().slack
    assert slack.approvers == ["U01", "U02"]
    assert slack.oncall_rotation == ["U03", "U04"]
    assert slack.escalation_minutes == [5.0, 15.0]


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("CENTINELA_LANGUAGES", '["es", "en"', "CENTINELA_LANGUAGES is not valid JSON"),
        ("CENTINELA_LANGUAGES", "es,english", "ISO 639-1"),
        ("CENTINELA_GUARDS", "{author_reply_cap: 5", "CENTINELA_GUARDS is not valid JSON"),
        ("CENTINELA_LOG_FORMAT", "xml", "log_format"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert words in str(error.value)

"""Slack settings: optional as a whole, complete when given, from the environment."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_slack_is_off_by_default() -> None:
    assert not load_settings().slack.enabled


def test_slack_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CENTINELA_SLACK__BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("CENTINELA_SLACK__SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("CENTINELA_SLACK__CHANNEL", "C1")
    monkeypatch.setenv("CENTINELA_SLACK__APPROVERS", '["U1", "U2"]')
    slack = load_settings().slack
    assert slack.enabled and slack.approvers == ["U1", "U2"] and slack.escalation_minutes == [10, 20, 30]
    assert "xoxb-1" not in repr(slack)


@pytest.mark.parametrize(
    ("slack", "words"),
    [
        ({"bot_token": "xoxb-1"}, "both bot_token and signing_secret"),
        ({"bot_token": "xoxb-1", "signing_secret": "s"}, "channel is required"),
        ({"escalation_minutes": [10, 5]}, "increasing"),
    ],
)
def test_incomplete_slack_settings_fail_fast(slack: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_settings(slack=slack)

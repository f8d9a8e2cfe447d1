"""The `discourse:` and `email:` settings sections: from the environment, validated, secrets hidden."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.engine.adapters import adapter_configs, build_adapters


def test_sections_come_from_environment_variables_and_enable_their_adapters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "CENTINELA_DISCOURSE__BASE_URL": "https://comunidad.example.com/",
        "CENTINELA_DISCOURSE__WEBHOOK_SECRET": "whsec-123",
        "CENTINELA_DISCOURSE__API_KEY": "key-456",
        "CENTINELA_DISCOURSE__ROBOT_USERNAME": "aurora-bot",
        "CENTINELA_DISCOURSE__OFFICIAL_USERNAME": "aurora",
        "CENTINELA_DISCOURSE__CATEGORIES": "[5, 7]",
        "CENTINELA_EMAIL__ADDRESS": "Soporte@Aurora.example",
        "CENTINELA_EMAIL__IMAP_HOST": "imap.aurora.example",
        "CENTINELA_EMAIL__IMAP_USER": "soporte",
        "CENTINELA_EMAIL__IMAP_PASSWORD": "imap-secret-789",
        "CENTINELA_EMAIL__SMTP_HOST": "smtp.aurora.example",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.discourse is not None and settings.discourse.base_url == "https://comunidad.example.com"
    assert settings.discourse.categories == [5, 7]
    assert settings.email is not None and settings.email.address == "soporte@aurora.example"
    dumped = repr(settings)
    assert all(secret not in dumped for secret in ("whsec-123", "key-456", "imap-secret-789"))
    names = [a.name for a in build_adapters(adapter_configs(settings, webhook_secrets=["x"]))]
    assert {"discourse", "email"} <= set(names)


def test_without_sections_the_adapters_stay_off() -> None:
    settings = load_settings()
    assert settings.discourse is None and settings.email is None
    names = [a.name for a in build_adapters(adapter_configs(settings, webhook_secrets=["x"]))]
    assert "discourse" not in names and "email" not in names


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"discourse": {"base_url": "comunidad.example.com", "webhook_secret": "s", "api_key": "k",
                        "robot_username": "b", "official_username": "o"}}, "discourse.base_url"),
        ({"email": {"address": "not-an-address", "imap_host": "h", "imap_user": "u",
                    "imap_password": "p", "smtp_host": "s"}}, "email.address"),
    ],
)  # fmt: skip
def test_a_bad_section_stops_start_up_naming_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        load_settings(**overrides)

"""Settings: environment first, then the YAML file; a bad value fails with a readable error."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_yaml_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "centinela.yaml"
    config.write_text(
        "port: 9000\nlanguages: [es, pt]\ndefault_language: pt\nguards:\n  author_reply_cap: 5\n"
    )
    monkeypatch.setenv("CENTINELA_CONFIG", str(config))
    monkeypatch.setenv("CENTINELA_PORT", "9100")
    settings = load_settings()
    assert settings.port == 9100  # the environment wins over the file
    assert settings.languages == ["es", "pt"] and settings.default_language == "pt"
    assert settings.guards.author_reply_cap == 5


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"CENTINELA_PORT": "eighty"}, "port"),
        ({"CENTINELA_LANGUAGES": '["es", "english"]'}, "ISO 639-1"),
        ({"CENTINELA_DEFAULT_LANGUAGE": "fr"}, "default_language"),
        ({"CENTINELA_DEDUPE_WINDOW_DAYS": "1"}, "dedupe_window_days"),
    ],
)
def test_bad_values_fail_fast_and_say_which(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], words: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert words in str(error.value)


def test_unreadable_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("port: [unclosed\n")
    monkeypatch.setenv("CENTINELA_CONFIG", str(bad))
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_settings()

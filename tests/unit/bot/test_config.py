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


# --- CENTINELA_DATABASE_URL (issue 9) -----------------------------------------------------------


def test_database_url_defaults_to_the_one_embedded_sqlite_file(tmp_path: Path) -> None:
    from bot.config import load_settings

    settings = load_settings(data_dir=tmp_path)
    target = settings.database_target
    assert target.backend == "embedded" and target.path == tmp_path / "centinela.sqlite3"
    assert target.path == settings.sqlite_path  # hot path and records share the one file


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@db/x",
        "not a url at all",
        "sqlite://",
        "postgresql:///nohost",
        "postgresql://h/db?schema=a;b",
    ],
)
def test_a_bad_database_url_is_one_readable_line(url: str) -> None:
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as caught:
        load_settings(database_url=url)
    message = str(caught.value)
    assert "database_url" in message and "\n" not in message


def test_postgres_urls_become_asyncpg_and_hide_the_password() -> None:
    from bot.store.sql.url import parse_database_url

    target = parse_database_url("postgres://app:s3cret@db.internal:5432/centinela?schema=tenant_1")
    assert target.backend == "postgresql" and target.schema == "tenant_1"
    assert target.url.drivername == "postgresql+asyncpg" and "schema" not in target.url.query
    assert "s3cret" not in target.safe


async def test_an_unreachable_database_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    from bot.config import load_settings
    from bot.store.base import StoreUnavailable
    from bot.store.factory import build_store

    settings = load_settings(data_dir=tmp_path, database_url="postgresql://app:s3cret@127.0.0.1:1/centinela")
    store = build_store(settings)
    with pytest.raises(StoreUnavailable) as caught:
        await store.open()
    message = str(caught.value)
    assert message.startswith("cannot open the records database at postgresql+asyncpg://app:***@127.0.0.1:1")
    assert "s3cret" not in message and "\n" not in message


def test_the_kb_cache_defaults_to_the_data_directory_and_can_be_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.engine.extensions import kb_cache_dir_for

    kb = tmp_path / "kb"
    monkeypatch.delenv("CENTINELA_KB_CACHE_DIR", raising=False)
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "data"))
    default = load_settings()
    assert default.kb_cache == tmp_path / "data" / "kb-cache"
    monkeypatch.setenv("CENTINELA_KB_CACHE_DIR", str(tmp_path / "shared-cache"))
    moved = load_settings()
    assert kb_cache_dir_for(moved, kb).parent == tmp_path / "shared-cache"
    assert kb_cache_dir_for(moved, kb).name == kb_cache_dir_for(default, kb).name  # one folder per KB
    assert kb_cache_dir_for(moved, kb) != kb_cache_dir_for(moved, tmp_path / "other-kb")

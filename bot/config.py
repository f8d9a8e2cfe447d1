"""One settings model for the whole service: environment variables first, then an optional YAML file.

Secrets (tokens, webhook secret, Redis URL with a password) come from the environment; the rest
can live in a YAML file named by `CENTINELA_CONFIG`. Everything is validated at start-up so a bad
value stops the service with a readable message instead of failing on the first message.
"""

from __future__ import annotations

import itertools
import os
import socket
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from adapters.crm.http_connector import HttpCrmConfig
from adapters.discourse.config import DiscourseConfig
from adapters.email.config import EmailConfig
from adapters.meta.config import MetaConfig
from adapters.x.config import XConfig
from adapters.zendesk.config import ZendeskConfig
from bot.core.self_id import SelfIdSettings
from bot.core.sla import SlaSettings
from bot.core.zones import known_zone
from bot.reading.cpus import default_reading_helpers
from bot.settings_sources import CommaListEnvSource
from bot.store.sql.url import DatabaseTarget, parse_database_url, sqlite_url

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_RULES = PACKAGE_DIR / "pipeline" / "rules.yaml"
SAMPLES_DIR = PACKAGE_DIR / "samples"


def replica_name() -> str:
    """This process among the replicas sharing a store: host and pid.

    Consumer names must differ between processes: with `worker-0` in every replica, each one
    re-claimed the other's in-flight batch as its own, acks were ignored as stale and messages
    reached the dead letters after five hand-outs. A restarted process gets a new name; what its
    previous life left claimed comes back through the visibility timeout. `CENTINELA_INSTANCE`
    overrides it (a stable name per container).
    """
    return f"{socket.gethostname()}-{os.getpid()}"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


class GuardSettings(BaseModel):
    """Limits on automatic replies, so that a bug or a backlog cannot embarrass the brand."""

    thread_reply_interval_s: float = Field(
        3600, gt=0, description="one automatic reply per thread per interval"
    )
    author_reply_cap: int = Field(3, ge=1, description="automatic replies per author per hour")
    max_message_age_s: float = Field(6 * 3600, gt=0, description="no automatic reply to older messages")


class CaseSettings(BaseModel):
    """Cases and the CRM (`CENTINELA_CASES__*`). Setting `http` or `zendesk` turns the CRM sync on."""

    reopen_days: float = Field(7.0, ge=0, description="a new complaint this soon after the solution reopens")
    crm_sync_interval_s: float = Field(5.0, gt=0, description="how often pending cases are synced")
    crm_max_attempts: int = Field(8, ge=1, description="failed syncs before the CRM dead letter")
    crm_backoff_s: float = Field(2.0, gt=0, description="first retry delay; doubles up to 10 minutes")
    http: HttpCrmConfig | None = Field(None, description="generic HTTP connector: url, secret")
    zendesk: ZendeskConfig | None = Field(None, description="Zendesk Support: base_url, email, api_token")
    sla: SlaSettings = Field(default_factory=SlaSettings)

    @model_validator(mode="after")
    def _one_crm(self) -> CaseSettings:
        if self.http is not None and self.zendesk is not None:
            raise ValueError("configure one CRM: cases.http or cases.zendesk, not both")
        return self


class SlackSettings(BaseModel):
    """The Slack war-room. Without a bot token and signing secret the service runs without Slack
    (drafts are then approved through the REST API and the CLI) instead of failing.

    Environment variables: `CENTINELA_SLACK__BOT_TOKEN`, `CENTINELA_SLACK__SIGNING_SECRET`, ...
    """

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    channel: str = Field("", description="war-room channel id (C...) where alerts are posted")
    approvers: list[str] = Field(default_factory=list, description="Slack user ids allowed to approve")
    approver_usergroup: str | None = Field(None, description="user group id (S...) whose members approve")
    api_base_url: str = Field("https://slack.com/api/", description="Slack Web API root (tests: a fake)")
    escalation_minutes: list[float] = Field(
        default_factory=lambda: [10.0, 20.0, 30.0],
        min_length=1,
        max_length=3,
        description="minutes without acknowledgement before paging: on-call, secondary, @channel",
    )
    oncall_rotation: list[str] = Field(
        default_factory=list, description="Slack user ids taking turns as on-call (primary, then next)"
    )
    oncall_shift_days: float = Field(7.0, gt=0, description="length of one on-call shift")
    oncall_rotation_start: datetime = Field(
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC), description="when the first person's shift began"
    )
    escalation_tick_s: float = Field(15.0, gt=0, description="how often unacknowledged alerts are checked")
    results_poll_s: float = Field(0.5, gt=0, description="how often approved replies are checked")
    approvers_cache_s: float = Field(300.0, ge=0, description="how long a user group's members are cached")

    @field_validator("escalation_minutes")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(value)) or value[0] <= 0:
            raise ValueError("escalation_minutes must be positive and increasing")
        return value

    @model_validator(mode="after")
    def _complete(self) -> SlackSettings:
        if (self.bot_token is None) != (self.signing_secret is None):
            raise ValueError("set both bot_token and signing_secret, or neither")
        if self.enabled and not self.channel:
            raise ValueError("channel is required when Slack is configured")
        return self

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None and self.signing_secret is not None


class SchedulerSettings(BaseModel):
    """The scheduler (campaigns): its leader lease, how often it looks, how late a post may be."""

    lease_s: float = Field(15.0, gt=0, description="leader lease; another replica takes over when it lapses")
    sweep_s: float = Field(15.0, gt=0, description="how often the leader looks for due campaign posts")
    grace_s: float = Field(
        3600.0, ge=0, description="a post found due later than this is skipped and reported"
    )
    folder_poll_s: float = Field(30.0, gt=0, description="how often the campaigns folder is read")
    outage_channels: list[str] = Field(
        default_factory=lambda: ["twitter", "facebook"], description="where outage notices are posted"
    )
    outage_update_minutes: float = Field(
        30.0, gt=0, description="an update of each open outage every N minutes"
    )
    daily_zones: dict[str, str] = Field(
        default_factory=lambda: {"Europe/Madrid": "es"},
        description="incident of the day: time zone -> language of its draft",
    )
    daily_at: time = Field(
        time(18, 0), description="local time after which the incident of the day is drafted"
    )
    daily_channel: str = Field("twitter", description="where an approved incident of the day is posted")

    @field_validator("daily_zones")
    @classmethod
    def _known_zones(cls, value: dict[str, str]) -> dict[str, str]:
        for zone in value:
            known_zone(zone)
        return value


class DashboardSettings(BaseModel):
    """The dashboard (`/dashboard`, `/api/v1/stats/...`) and its daily digest (issue 18)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field("UTC", description="IANA zone of the 30-day view's days and the digest's time")
    sla_minutes: float = Field(
        60.0, gt=0, description="an agent-queue entry or an alert open longer than this is an SLA breach"
    )
    session_hours: float = Field(12.0, gt=0, description="how long a dashboard login lasts")
    live_interval_s: float = Field(2.0, gt=0, le=60, description="how often the live view is pushed")
    digest_time: str | None = Field(
        None, description="local HH:MM at which the daily digest goes to the Slack war-room (unset: none)"
    )
    digest_language: Literal["es", "en", "pt"] = Field("es", description="language of the daily digest")

    @field_validator("digest_time")
    @classmethod
    def _clock_time(cls, value: str | None) -> str | None:
        if value is None:
            return None
        hours, sep, minutes = value.partition(":")
        if not (sep and hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"digest_time must be HH:MM (24 h), not {value!r}")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


class Settings(BaseSettings):
    """Centinela's configuration. Environment variables are `CENTINELA_<FIELD>` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="CENTINELA_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Path("var")
    kb_cache_dir: Path | None = Field(
        None,
        description="where the KB's vectors, index and fitted classifier are kept between starts "
        "(default: the data directory's kb-cache/); replicas, or every run of a test suite, may share one",
    )
    redis_url: str | None = None
    database_url: str | None = Field(
        None,
        description="records database: sqlite:///PATH (default: the data directory's centinela.sqlite3, "
        "shared with the hot path) or postgresql://USER@HOST/DB",
    )
    instance: str = Field(
        default_factory=replica_name,
        min_length=1,
        max_length=120,
        description="this replica's name, prefixing its queue consumers: replicas sharing one Redis "
        "must differ (default `replica_name()`: host name and process id)",
    )
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    api_token: SecretStr | None = Field(
        None, description="bearer token(s) of /api/v1; during a rotation 'new,old': both are accepted"
    )
    webhook_secret: SecretStr | None = Field(
        None, description="HMAC secret(s) of /webhooks/generic; during a rotation 'new,old': both verify"
    )
    webhook_max_bytes: int = Field(1024 * 1024, gt=0)
    webhook_max_skew_s: int = Field(300, gt=0)
    webhook_read_timeout_s: float = Field(
        10.0, gt=0, description="a webhook body must arrive within this, else 408 (stalled uploads)"
    )
    max_concurrent_intake: int = Field(
        64, ge=1, description="webhook requests handled at once; more get 503 with Retry-After"
    )
    max_queue_depth: int = Field(
        50_000, ge=1, description="backpressure: deeper than this, intake answers 503 with Retry-After"
    )
    intake_retry_after_s: int = Field(5, ge=1, description="Retry-After of intake's 503s")
    readyz_stall_s: float = Field(
        120.0, gt=0, description="/readyz is 503 when the oldest claimable message waited longer"
    )
    languages: list[str] = Field(default_factory=lambda: ["es", "en", "pt"], min_length=1)
    default_language: str = "es"
    rules_file: Path = DEFAULT_RULES
    own_accounts: list[str] = Field(
        default_factory=lambda: [
            "@AuroraTel",
            "@AuroraTel_ES",
            "@AuroraTel_MX",
            "@AuroraTel_BR",
            "@AuroraTel_Ayuda",
        ]
    )
    bot_accounts: list[str] = Field(default_factory=list, description="known bots, never replied to")
    influencer_followers: int = Field(50_000, ge=1)
    workers: int = Field(
        2,
        ge=0,
        le=64,
        description="consumers deciding messages; 0: an intake-only replica that accepts and stores "
        "(a web tier in front of worker replicas, or an intake load test)",
    )
    batch_size: int = Field(64, ge=1, le=1000)
    replicas_per_host: int = Field(
        1,
        ge=1,
        le=64,
        description="replicas of this service sharing this machine's CPUs: sizes the default of "
        "reading_processes to this replica's share",
    )
    reading_processes: int = Field(
        default_factory=default_reading_helpers,
        ge=0,
        le=32,
        description="helper processes reading (and, with the KB on, embedding) texts ahead of the "
        "workers (0: read inline); default: this replica's share of the usable CPUs (affinity and "
        "cgroup quota, divided by replicas_per_host) minus one, at most 4, at least 1 while the "
        "share is a CPU",
    )
    max_attempts: int = Field(5, ge=1)
    visibility_timeout_s: float = Field(30.0, gt=0)
    dedupe_window_days: float = Field(7.0, ge=7.0, description="WhatsApp retries for up to 7 days")
    guards: GuardSettings = Field(default_factory=GuardSettings)
    publisher_max_attempts: int = Field(6, ge=1)
    publisher_lease_s: float = Field(
        60.0, gt=0, description="a send's lease; an attempt unrecorded when it lapses goes to review"
    )
    kb_poll_s: float = Field(30.0, gt=0, description="how often the KB folder is checked for changes")
    learned_models: bool = Field(True, description="use the learned sentiment/complaint/action models")
    learned_dir: Path | None = Field(None, description="folder with manifest.json; unset: the shipped models")
    recording_path: Path | None = Field(None, description="JSONL file the recording adapter writes")
    slack: SlackSettings = Field(default_factory=SlackSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    campaigns_dir: Path | None = Field(None, description="watched folder of campaign YAML files (drafts)")
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    self_id: SelfIdSettings = Field(default_factory=SelfIdSettings)
    log_format: Literal["text", "json"] = Field(
        "text", description="text: one readable line per event; json: one JSON object per line"
    )
    x: XConfig | None = Field(None, description="X (API v2) adapter: CENTINELA_X__BEARER_TOKEN, ...")
    meta: MetaConfig | None = Field(None, description="Meta adapter: CENTINELA_META__APP_SECRET, ...")
    discourse: DiscourseConfig | None = Field(
        None, description="Discourse adapter: CENTINELA_DISCOURSE__API_KEY, ..."
    )
    email: EmailConfig | None = Field(None, description="E-mail adapter: CENTINELA_EMAIL__IMAP_HOST, ...")

    @field_validator("languages")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        bad = [code for code in value if len(code) != 2 or not code.isalpha()]
        if bad:
            raise ValueError(f"languages must be ISO 639-1 codes, got {bad}")
        return [code.lower() for code in value]

    @model_validator(mode="after")
    def _helpers_for_this_replica(self) -> Settings:
        # Set explicitly (argument, environment, file): kept. Else sized to this replica's share.
        if "reading_processes" not in self.model_fields_set and self.replicas_per_host > 1:
            self.reading_processes = default_reading_helpers(self.replicas_per_host)
        return self

    @field_validator("rules_file")
    @classmethod
    def _rules_exist(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"no such rules file: {value}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            parse_database_url(value)  # raises DatabaseUrlError, a ValueError: one readable line
            return value.strip()
        return None

    @property
    def database_target(self) -> DatabaseTarget:
        """Where records live: the configured URL, else the embedded SQLite file."""
        return parse_database_url(self.database_url or sqlite_url(self.sqlite_path))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, CommaListEnvSource(settings_cls), _YamlFileSource(settings_cls)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "centinela.sqlite3"

    @property
    def kb_cache(self) -> Path:
        """The KB cache's root; each KB folder gets a sub-folder of its own (see `build_extensions`)."""
        return self.kb_cache_dir or self.data_dir / "kb-cache"

    @property
    def recording_file(self) -> Path:
        return self.recording_path or self.data_dir / "published.jsonl"


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads the YAML file named by `CENTINELA_CONFIG`, if any."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("CENTINELA_CONFIG")
        if not path:
            return {}
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping of settings")
        return loaded


def load_settings(**overrides: Any) -> Settings:
    """Build and validate the settings, turning pydantic's errors into one readable message."""
    try:
        settings = Settings(**overrides)
    except SettingsError as exc:  # an environment value that cannot be decoded at all
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise ConfigError(f"invalid configuration: {exc}{cause}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from exc
    if settings.default_language not in settings.languages:
        raise ConfigError(
            f"default_language {settings.default_language!r} is not one of languages {settings.languages}"
        )
    return settings

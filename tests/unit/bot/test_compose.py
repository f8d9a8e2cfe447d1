"""The one composition root: the settings say which parts exist, and nothing is added later.

The Slack war-room client comes from the adapter registry like every platform (enabled by its
settings section), the war-room attaches to it and its `/slack/events` route is offered like a
webhook's, outside the intake's admission gate; a replay's handed-in edge replaces the platforms.
"""

from __future__ import annotations

from pathlib import Path

from adapters.recording.adapter import RecordingAdapter, RecordingConfig
from adapters.slack.adapter import SlackAdapter
from bot.compose import compose
from bot.engine.extensions import build_extensions
from bot.store.sqlite import SqliteStore
from tests.conftest import settings_for

SLACK = {"bot_token": "xoxb-test", "signing_secret": "s3cret", "channel": "C1"}


async def _sink(_messages: object) -> list[bool]:
    return []


def test_slack_is_built_by_the_registry_when_configured_and_its_route_skips_the_intake_gate(
    tmp_path: Path,
) -> None:
    service = compose(settings_for(tmp_path, slack=SLACK))
    (slack,) = [a for a in service.edge if isinstance(a, SlackAdapter)]
    assert service.warroom.slack_enabled and service.warroom.adapter is slack
    (route,) = slack.routes(_sink)
    assert (route.method, route.path, route.intake) == ("POST", "/slack/events", False)
    webhook = next(a for a in service.edge if a.name == "webhook")
    assert all(r.intake for r in webhook.routes(_sink))  # customer messages stay gated
    assert [type(w).__name__ for w in service.warroom.watchers()] == ["WarRoomAnnouncer"]
    assert "slack" in service.build_runtime().adapters  # the publisher reaches Slack by channel


def test_without_slack_credentials_there_is_no_slack_adapter_and_no_announcer(tmp_path: Path) -> None:
    service = compose(settings_for(tmp_path, slack={"channel": "C1"}))  # no token, no secret
    assert not any(isinstance(a, SlackAdapter) for a in service.edge)
    assert not service.warroom.slack_enabled and service.warroom.watchers() == []
    assert service.api_tokens  # the API is served without Slack too


def test_a_handed_in_edge_replaces_the_platforms_and_the_kb_is_reached_by_name(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, slack=SLACK)
    recording = RecordingAdapter(RecordingConfig(path=tmp_path / "out.jsonl"))
    extensions = build_extensions(settings, None)
    service = compose(
        settings, store=SqliteStore(tmp_path / "s.sqlite3"), extensions=extensions, edge=[recording]
    )
    assert service.edge == [recording] and not service.warroom.slack_enabled
    assert service.api_tokens == [] and not (tmp_path / "var" / "secrets.json").exists()
    assert service.kb is None and extensions.kb is None
    assert service.build_runtime().adapters == {"*": recording}


async def test_the_crm_and_the_sla_check_are_built_by_compose_not_by_the_web_app(tmp_path: Path) -> None:
    local = compose(settings_for(tmp_path))
    assert local.crm is None  # no CRM configured: cases stay local, nothing mounted
    http = {"url": "http://crm.invalid/hooks", "secret": "s"}
    service = compose(settings_for(tmp_path, cases={"http": http, "crm_sync_interval_s": 7}))
    assert service.crm is not None
    assert [path for path, _ in service.crm.routes] == ["/webhooks/crm"]
    assert (service.crm.job.name, service.crm.job.interval_s) == ("crm-sync", 7)
    # The CRM and SLA figures count on the registry `/metrics` serves.
    names = {m.name for m in service.metrics.registry.collect()}
    assert {"centinela_crm_sync", "centinela_sla_alerts"} <= names
    await service.crm.connector.close()

"""What the war-room adds to the service, built once by the composition root (`bot/compose.py`).

Without Slack credentials only the approval service and the result watcher exist (drafts are
listed and approved through the REST API and the CLI); with them the registry builds the Slack
adapter, and the war-room attaches its renderer and the bolt app (served at `/slack/events` as
the adapter's route) and adds the announcer watcher; the escalation ticks run on the
scheduler's leader (`scheduler/service.py`), so several replicas page once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from adapters.slack.adapter import SlackAdapter
from bot.config import Settings
from bot.pipeline.pipeline import Watcher
from bot.store.base import Store
from bot.warroom.announce import WarRoomAnnouncer
from bot.warroom.approval import ApprovalService
from bot.warroom.approvers import Approvers
from bot.warroom.case_buttons import war_room_cases
from bot.warroom.digest import DailyDigest
from bot.warroom.render import WarRoomRenderer
from bot.warroom.results import ResultWatcher
from scheduler.service import campaign_book, outage_desk


class WarRoom:
    """The war-room's parts and their background tasks."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        slack_adapter: SlackAdapter | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings.slack
        self.settings_dashboard = settings.dashboard
        self.approvals = ApprovalService(store, wake=wake)
        self.results = ResultWatcher(store, self.approvals.log)
        self.adapter = slack_adapter
        self.digest: DailyDigest | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        slack = self.settings
        if slack_adapter is None or slack.signing_secret is None:
            return
        # Bolt is loaded here, with Slack configured: a service without it (or a replay) never pays for it.
        from bot.warroom.slack_app import WarRoomHandlers, build_slack_app
        from bot.warroom.slack_guard import slack_events_handler
        from scheduler.slack_campaign import CampaignSlack

        client = slack_adapter.client
        renderer = WarRoomRenderer(store, self.approvals.log, channel=slack.channel)
        approvers = Approvers(
            slack.approvers,
            usergroup=slack.approver_usergroup,
            client=client,
            cache_s=slack.approvers_cache_s,
        )
        outages = outage_desk(settings, store)  # `/centinela outage ...` (scheduler/)
        campaigns = CampaignSlack(  # `/centinela campaign` and the Approve button (scheduler/)
            campaign_book(settings, store), approvers, self.approvals, channel=slack.channel
        )
        handlers = WarRoomHandlers(
            self.approvals,
            approvers,
            store,
            channel=slack.channel,
            outages=outages,
            campaigns=campaigns,
            cases=war_room_cases(settings, store, self.approvals.log),
        )
        secret = slack.signing_secret.get_secret_value()
        self.bolt = build_slack_app(client, secret, handlers)
        events = slack_events_handler(self.bolt, secret)
        slack_adapter.attach(render=renderer.render, on_posted=renderer.posted, events=events)
        if settings.dashboard.digest_time is not None:  # the daily digest (issue 18)
            self.digest = DailyDigest(store, settings.dashboard, channel=slack.channel)

    @property
    def slack_enabled(self) -> bool:
        return self.adapter is not None

    def watchers(self) -> list[Watcher]:
        return [WarRoomAnnouncer()] if self.slack_enabled else []

    async def start(self) -> None:
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(
                self.results.run(self._stop, self.settings.results_poll_s), name="warroom-results"
            )
        ]
        if self.digest is not None:
            self._tasks.append(asyncio.create_task(self.digest.run(self._stop), name="warroom-digest"))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

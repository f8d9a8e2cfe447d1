"""The route table of the HTTP API: every path, its parameters, body and answers, by model.

`bot/openapi.py` builds the OpenAPI document from this table; a test checks that the table
and the application's router list the same routes, and schemathesis checks the answers of the
running service against the models named here. Adding a route without a row fails that test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from bot.core.cases import CASE_STATUSES, PRIORITIES
from bot.core.customers import Customer
from bot.core.drafts import DRAFT_STATUSES
from bot.core.models import ACTIONS, AuditEvent, DeadLetter, Decision, InboundMessage, Record
from bot.engine.crm_queue import SYNC_STATES
from bot.store.stats import DIMENSIONS, SPANS
from bot.web import api_case_models as cm
from bot.web import api_models as m
from bot.web import stats_models as sm
from bot.web.api_corrections import CorrectionAnswer, CorrectionBody
from scheduler import api_models as sched
from scheduler.campaign_book import CAMPAIGN_STATUSES

Answer = type[BaseModel] | Literal["text", "html", "json", "events", "css", "js"] | None
Auth = Literal["bearer", "signature", "session", "none"]
RECORD_KINDS = ("agent-queue", "cases", "alerts", "drafts", "incidents", "crm-sync")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    where: Literal["path", "query", "header"]
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    method: Literal["get", "post", "put"]
    path: str
    summary: str
    tag: str
    responses: Mapping[int, Answer]
    body: tuple[type[BaseModel], ...] = ()
    params: tuple[Param, ...] = ()
    auth: Auth = "bearer"
    body_required: bool = False
    description: str = ""


LIMIT = Param(
    "limit", "query", "page size, 1 to 1000 (default 100)", {"type": "integer", "minimum": 1, "maximum": 1000}
)
CURSOR = Param("cursor", "query", "the `next` of the previous page")
_TIME = {"type": "string", "format": "date-time"}
SINCE = Param("since", "query", "only from this time on (ISO 8601)", _TIME)
UNTIL = Param("until", "query", "only before this time (ISO 8601)", _TIME)
CHANNEL = Param("channel", "query", "only this channel")
# Lists filter in the records database (indexed columns), then paginate: never cut.
PAGE = (LIMIT, CURSOR)
RECORD_PAGE = (SINCE, UNTIL, *PAGE)
KEY = Param("key", "path", "message key, CHANNEL:ID", required=True)
ID = Param("id", "path", "record id (as the list shows it)", required=True)
SIGNATURE = (
    Param("X-Centinela-Timestamp", "header", "Unix seconds when the request was signed", required=True),
    Param(
        "X-Centinela-Signature",
        "header",
        'sha256= + hex HMAC-SHA256 over "{timestamp}.{raw body}" with the webhook secret',
        required=True,
    ),
)
E = m.ErrorBody
ACTOR = Param("actor", "query", "who does it (audited; default api)")
CUSTOMER_CHANGE: Mapping[int, Answer] = {
    200: cm.CustomerChangeAnswer,
    400: E,
    404: cm.CustomerChangeAnswer,
    409: cm.CustomerChangeAnswer,
}


def _records(kind: str) -> Route:
    known = {"drafts": DRAFT_STATUSES, "cases": CASE_STATUSES, "crm-sync": SYNC_STATES}.get(kind)
    statuses = list(known) if known else None
    status = Param(
        "status",
        "query",
        "only records in this status" + (f" ({', '.join(statuses)})" if statuses else ""),
        {"type": "string", "enum": statuses} if statuses else {"type": "string"},
    )
    return Route(
        "get",
        f"/api/v1/{kind}",
        f"List {kind.replace('-', ' ')}",
        "records",
        {200: m.Page[Record], 400: E},
        params=(
            status,
            CHANNEL,
            Param("customer", "query", "only this customer"),
            Param("key", "query", "only records about this message key"),
            *_priority(kind),
            *RECORD_PAGE,
        ),
    )


def _priority(kind: str) -> tuple[Param, ...]:
    """Only cases carry a priority the list filters on (`records.priority`, indexed)."""
    if kind != "cases":
        return ()
    enum = {"type": "string", "enum": list(PRIORITIES)}
    return (Param("priority", "query", f"only cases of this priority ({', '.join(PRIORITIES)})", enum),)


def _stats(
    name: str, model: type[BaseModel], summary: str, span: str, *, prefix: str = "/api/v1/stats"
) -> Route:
    """One `/api/v1/stats/...` view (`bot/web/stats_api.py`): the dashboard's figures; the
    dashboard reads the same under `/dashboard/stats/...` with its session cookie."""
    params = (
        Param("span", "query", f"hour (by minute), day (by 15 min), month (30 local days); default {span}",
              {"type": "string", "enum": list(SPANS)}),
        Param("by", "query", "group volume by this dimension (default channel)",
              {"type": "string", "enum": list(DIMENSIONS)}),
        CHANNEL,
        Param("language", "query", "only this language (es, en, pt)"),
        Param("region", "query", "only messages naming this region"),
        Param("topic", "query", "only this topic"),
        Param("tz", "query", "IANA time zone of the days (default the configured one)"),
        Param("until", "query", "end of the span (ISO 8601; default now)", _TIME),
    )  # fmt: skip
    if prefix == "/api/v1/stats":
        return Route("get", f"{prefix}/{name}", summary, "stats", {200: model, 400: E}, params=params)
    return Route("get", f"{prefix}/{name}", summary, "dashboard", {200: model, 400: E, 401: E}, params=params,
                 auth="session")  # fmt: skip


STATS_VIEWS = (
    ("volume", sm.VolumeOut, "Decisions over time by channel, language, topic, region...", "day"),
    ("topics", sm.TopicsOut, "Top and rising topics against the previous span, campaign echoes", "day"),
    ("now", sm.NowOut, "The last hour, open alerts and incidents, queue, SLA, kill switch", "hour"),
    ("quality", sm.QualityOut, "Automatic-answer rate, actions, war-room drafts by outcome", "day"),
    ("people", sm.PeopleOut, "Top authors by reach, repeat complainers, advocates", "month"),
)
NOT_LIVE = ("span", "by")  # the live stream is always the last hour by channel
DASHBOARD_ROUTES = (
    Route(
        "get",
        "/dashboard",
        "The dashboard (the sign-in form without a session)",
        "dashboard",
        {200: "html"},
        params=(
            Param("lang", "query", "es, en or pt (kept in a cookie)"),
            Param("login", "query", "failed: show that the last sign-in was refused"),
        ),
        auth="none",
    ),
    Route(
        "post",
        "/dashboard/login",
        "Sign in with the API token (form field `token`): a session cookie",
        "dashboard",
        {303: None},
        auth="none",
        description="A form post (application/x-www-form-urlencoded, field `token`). Redirects to "
        "/dashboard with the session cookie, or to /dashboard?login=failed without it.",
    ),
    Route(
        "post",
        "/dashboard/logout",
        "Sign out (the session cookie is removed)",
        "dashboard",
        {303: None},
        auth="none",
    ),
    Route(
        "get",
        "/dashboard/static/dashboard.js",
        "The dashboard's script",
        "dashboard",
        {200: "js"},
        auth="none",
    ),
    Route(
        "get",
        "/dashboard/static/dashboard.css",
        "The dashboard's style sheet",
        "dashboard",
        {200: "css"},
        auth="none",
    ),
    Route(
        "get",
        "/dashboard/events",
        "Server-sent events: `now` every few seconds, `alert` per new alert",
        "dashboard",
        {200: "events", 400: E, 401: E},
        auth="session",
        params=tuple(p for p in _stats("now", sm.NowOut, "", "hour").params if p.name not in NOT_LIVE),
    ),
    Route(
        "get",
        "/dashboard/kill-switch",
        "Whether automatic publishing is paused",
        "dashboard",
        {200: m.KillSwitchState, 401: E},
        auth="session",
    ),
    Route(
        "put",
        "/dashboard/kill-switch",
        "Pause or resume automatic publishing (audited as `dashboard`)",
        "dashboard",
        {200: m.KillSwitchState, 400: E, 401: E, 403: E},
        body=(m.KillSwitchChange,),
        body_required=True,
        auth="session",
        params=(Param("X-Centinela-Dashboard", "header", "1: from the dashboard's script", required=True),),
    ),
    *(_stats(n, model, summary, span, prefix="/dashboard/stats") for n, model, summary, span in STATS_VIEWS),
)


STATS_ROUTES = tuple(_stats(n, model, summary, span) for n, model, summary, span in STATS_VIEWS)

ROUTES: tuple[Route, ...] = (
    Route("get", "/healthz", "Liveness: the process answers", "service", {200: m.Health}, auth="none"),
    Route(
        "get",
        "/readyz",
        "Readiness: every backend (hot path, records) answers and the queue moves",
        "service",
        {200: m.Health, 503: E},
        auth="none",
    ),
    Route(
        "get",
        "/metrics",
        "Prometheus metrics (docs/operating.md explains each)",
        "service",
        {200: "text"},
        auth="none",
    ),
    Route(
        "post",
        "/webhooks/generic",
        "Signed messages in; acknowledged once durably stored",
        "webhooks",
        {202: m.WebhookAnswer, 200: m.WebhookAnswer, 400: E, 401: E, 413: E},
        body=(InboundMessage, m.WebhookBatch),
        params=SIGNATURE,
        auth="signature",
        body_required=True,
        description='One message object, or {"messages": [...]} with up to 500. During a secret '
        "rotation, signatures made with either configured secret verify.",
    ),
    Route("get", "/api/v1/openapi.json", "This document", "documentation", {200: "json"}, auth="none"),
    Route("get", "/api/v1/docs", "This document as a web page", "documentation", {200: "html"}, auth="none"),
    Route(
        "get",
        "/api/v1/messages/{key}",
        "A message and its decision",
        "messages",
        {200: m.MessageWithDecision, 404: E},
        params=(KEY,),
    ),
    Route(
        "get",
        "/api/v1/decisions",
        "Decisions, newest first",
        "messages",
        {200: m.Page[Decision], 400: E},
        params=(
            Param("action", "query", "only this action", {"type": "string", "enum": list(ACTIONS)}),
            CHANNEL,
            *RECORD_PAGE,
        ),
    ),
    Route(
        "post",
        "/api/v1/decisions/{key}/correction",
        "Mark a decision wrong with the right action (audited; counted on the Quality view)",
        "messages",
        {200: CorrectionAnswer, 400: E, 404: CorrectionAnswer, 409: CorrectionAnswer},
        body=(CorrectionBody,),
        params=(KEY,),
        body_required=True,
    ),
    *(_records(kind) for kind in RECORD_KINDS),
    Route(
        "get",
        "/api/v1/sla",
        "Time to first response and to resolution (p50, p90, business seconds)",
        "cases",
        {200: cm.SlaAnswer, 400: E},
        params=(SINCE,),
    ),
    Route("get", "/api/v1/cases/{id}", "One case", "cases", {200: cm.CaseAnswer, 404: E}, params=(ID,)),
    Route(
        "post",
        "/api/v1/cases/{id}/status",
        "Move a case along open → pending → solved → closed (a solved case tells its customer once)",
        "cases",
        {200: cm.CaseChangeAnswer, 400: E, 404: cm.CaseChangeAnswer, 409: cm.CaseChangeAnswer},
        body=(cm.CaseStatusBody,),
        params=(ID,),
        body_required=True,
    ),
    Route(
        "post",
        "/api/v1/cases/{id}/notes",
        "Add a staff note to a case",
        "cases",
        {200: cm.CaseChangeAnswer, 400: E, 404: cm.CaseChangeAnswer},
        body=(cm.CaseNoteBody,),
        params=(ID,),
        body_required=True,
    ),
    Route(
        "get",
        "/api/v1/customers/{id}",
        "One customer",
        "customers",
        {200: cm.CustomerAnswer, 404: E},
        params=(ID,),
    ),
    Route(
        "put",
        "/api/v1/customers/{id}",
        "Create or update a customer (fields given win; identities are added and linked)",
        "customers",
        {200: cm.CustomerChangeAnswer, 400: E, 409: cm.CustomerChangeAnswer},
        body=(Customer,),
        params=(ID,),
        body_required=True,
    ),
    *(
        Route(
            "post",
            f"/api/v1/customers/{{id}}/{path}",
            summary,
            "customers",
            {
                200: cm.CustomerChangeAnswer,
                400: E,
                404: cm.CustomerChangeAnswer,
                409: cm.CustomerChangeAnswer,
            },
            body=(body,),
            params=(ID,),
            body_required=True,
        )
        for path, summary, body in (
            ("identities", "Link a social identity (channel + handle) to the customer", cm.IdentityBody),
            ("identities/unlink", "Unlink a social identity from the customer", cm.IdentityBody),
            ("merge", "Merge this customer into another, keeping every identity", cm.MergeBody),
        )
    ),
    Route(
        "post",
        "/api/v1/customers/{id}/erase",
        "Erase the customer's personal data (record, identities, cases, replies), audited",
        "customers",
        {200: cm.ErasureAnswer, 400: E, 404: E},
        body=(cm.EraseBody,),
        params=(ID,),
    ),
    Route(
        "get",
        "/api/v1/drafts/{id}",
        "One war-room draft",
        "war-room",
        {200: m.DraftAnswer, 404: E},
        params=(ID,),
    ),
    Route(
        "post",
        "/api/v1/drafts/{id}/approve",
        "Publish the draft (or an edited text) as the official account, once",
        "war-room",
        {200: m.ActionAnswer, 400: E, 404: m.ActionAnswer, 409: m.ActionAnswer},
        body=(m.ApproveBody,),
        params=(ID,),
    ),
    Route(
        "post",
        "/api/v1/drafts/{id}/reject",
        "Reject the draft; nothing is published",
        "war-room",
        {200: m.ActionAnswer, 400: E, 404: m.ActionAnswer, 409: m.ActionAnswer},
        body=(m.RejectBody,),
        params=(ID,),
        body_required=True,
    ),
    Route(
        "post",
        "/api/v1/alerts/{id}/ack",
        "Acknowledge an alert: someone is on it, the escalation stops",
        "war-room",
        {200: m.ActionAnswer, 400: E, 404: m.ActionAnswer, 409: m.ActionAnswer},
        body=(m.AckBody,),
        params=(ID,),
    ),
    Route(
        "get",
        "/api/v1/dead-letters",
        "Messages that failed too often",
        "operations",
        {200: m.Page[DeadLetter], 400: E},
        params=PAGE,
    ),
    Route(
        "post",
        "/api/v1/dead-letters/{key}/requeue",
        "Put a dead letter back in the queue",
        "operations",
        {200: m.Requeued, 404: E},
        params=(KEY,),
    ),
    Route(
        "get",
        "/api/v1/outbox",
        "What is being, or was, published",
        "operations",
        {200: m.OutboxPage, 400: E},
        params=(
            Param(
                "status",
                "query",
                "only this status",
                {"type": "string", "enum": ["pending", "published", "failed", "needs_review", "cancelled"]},
            ),
            CHANNEL,
            Param("message_key", "query", "only items answering this message"),
            *RECORD_PAGE,
        ),
    ),
    Route(
        "get",
        "/api/v1/kill-switch",
        "Whether automatic publishing is paused",
        "operations",
        {200: m.KillSwitchState},
    ),
    Route(
        "put",
        "/api/v1/kill-switch",
        "Pause or resume automatic publishing (audited)",
        "operations",
        {200: m.KillSwitchState, 400: E, 413: E},
        body=(m.KillSwitchChange,),
        body_required=True,
    ),
    Route(
        "get",
        "/api/v1/audit",
        "Who did what, newest first",
        "operations",
        {200: m.Page[AuditEvent], 400: E},
        params=(
            Param("kind", "query", "only this kind of event"),
            Param("subject", "query", "only events about this subject"),
            Param("actor", "query", "only events by this actor"),
            *RECORD_PAGE,
        ),
    ),
    # --- campaigns (scheduler/web_api.py) ----------------------------------------------
    Route(
        "get",
        "/api/v1/campaigns",
        "Campaigns, newest first",
        "campaigns",
        {200: sched.CampaignPage, 400: E},
        params=(
            Param("status", "query", "only this status", {"type": "string", "enum": list(CAMPAIGN_STATUSES)}),
            *PAGE,
        ),
    ),
    Route(
        "post",
        "/api/v1/campaigns",
        "Define a campaign (or update its draft); every problem is listed, naming step, channel, language",
        "campaigns",
        {201: sched.CampaignAnswer, 200: sched.CampaignAnswer, 400: sched.CampaignProblems, 409: E, 413: E},
        body=(sched.CampaignBody,),
        params=(ACTOR,),
        body_required=True,
        description="The body is the campaign file's content as JSON (FORMATS.md). A new or changed "
        "campaign is a draft (201); an edited approved campaign goes back to draft.",
    ),
    Route(
        "post",
        "/api/v1/campaigns/preview",
        "Every post of a campaign with its local and UTC time, without storing or posting anything",
        "campaigns",
        {200: sched.CampaignPreview, 400: E, 413: E},
        body=(sched.CampaignBody,),
        body_required=True,
    ),
    Route(
        "get",
        "/api/v1/campaigns/{id}",
        "One campaign: status, history and every post's state",
        "campaigns",
        {200: sched.CampaignDetail, 404: E},
        params=(ID,),
    ),
    *(
        Route(
            "post",
            f"/api/v1/campaigns/{{id}}/{action}",
            f"{action.capitalize()} the campaign (audited; 409 when its status does not allow it)",
            "campaigns",
            {200: sched.CampaignAnswer, 400: E, 404: sched.CampaignAnswer, 409: sched.CampaignAnswer},
            body=(sched.CampaignActionBody,),
            params=(ID, ACTOR),
        )
        for action in ("approve", "pause", "resume", "cancel")
    ),
    Route(
        "post",
        "/api/v1/outages",
        "Declare an outage: its notice is posted at once, matching complaints get the incident reply",
        "campaigns",
        {201: sched.OutageAnswer, 400: E, 409: sched.OutageAnswer, 413: E},
        body=(sched.OutageStart,),
        body_required=True,
        description="Updates follow every `CENTINELA_SCHEDULER__OUTAGE_UPDATE_MINUTES` until resolved "
        "(missed ones coalesce into one).",
    ),
    Route(
        "post",
        "/api/v1/outages/{id}/resolve",
        "Resolve an outage: the resolution is posted and each complainer told once",
        "campaigns",
        {200: sched.OutageAnswer, 400: E, 404: sched.OutageAnswer, 409: sched.OutageAnswer},
        body=(sched.CampaignActionBody,),
        params=(ID,),
    ),
    Route(
        "post",
        "/api/v1/kb/reload",
        "Reload the knowledge base now (only when the service runs with one)",
        "operations",
        {200: m.KbReloaded, 404: E, 500: E},
    ),
    *STATS_ROUTES,
    *DASHBOARD_ROUTES,
)

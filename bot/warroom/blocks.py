"""Block Kit for the war-room: the alert message, and the Edit and Reject modals.

Pure functions of the records, so the Slack message can be re-rendered from the store at any
time (the adapter renders it when the post or update is actually sent, never from a stale copy).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from bot.core.alerts import Alert
from bot.core.cases import ACTIVE
from bot.core.channels import capabilities
from bot.core.drafts import Draft
from bot.warroom.state import WarRoomState

Block = dict[str, Any]

APPROVE = "warroom_approve"
EDIT = "warroom_edit"
REJECT = "warroom_reject"
ACKNOWLEDGE = "warroom_ack"
DECLARE_OUTAGE = "warroom_declare_outage"
OPEN_CASE = "warroom_open_case"
SOLVE_CASE = "warroom_solve_case"
EDIT_VIEW = "warroom_edit_view"
REJECT_VIEW = "warroom_reject_view"
TEXT_BLOCK, TEXT_INPUT = "draft_text", "text"
REASON_BLOCK, REASON_INPUT = "reject_reason", "reason"

SECTION_LIMIT = 2900
DRAFT_TITLE = ":newspaper: Incident of the day"
TITLES = {
    "crisis": ":rotating_light: Possible crisis",
    "spike": ":chart_with_upwards_trend: Negative spike",
    "sla": ":stopwatch: SLA",
}
STATUS_LINE = {
    "pending": ":hourglass: Draft waiting for approval",
    "approved": ":outbox_tray: Approved, publishing as the official account",
    "published": ":white_check_mark: Published",
    "failed": ":x: Publishing failed",
    "needs_review": ":warning: Publication outcome unknown: check the post by hand",
    "rejected": ":no_entry_sign: Rejected: nothing published",
}


def alert_message(
    alert_id: str,
    alert: Alert,
    draft: Draft | None,
    state: WarRoomState | None,
    case: tuple[str, str] | None = None,
) -> tuple[str, list[Block]]:
    """The fallback text and the blocks of one alert as it stands now; `case` is the (id,
    status) of the case the alert is about, if any."""
    kind = alert.kind
    title = TITLES.get(kind, ":bar_chart: Trend (not a crisis)")
    topic = alert.topic
    text = f"{title}: {topic}" if topic else f"{title} from {alert.author or 'someone'}"
    blocks: list[Block] = [{"type": "header", "text": _plain(text[:150])}]
    if kind == "crisis":
        blocks += _crisis_blocks(alert)
    elif kind == "sla":
        blocks += _sla_blocks(alert)
    else:
        blocks += _spike_blocks(alert)
    if draft is not None:
        blocks += _draft_blocks(draft)
    if case is not None:
        blocks.append({"type": "context", "elements": [_md(f"*Case* `{case[0]}` · {case[1]}")]})
    blocks += _actions(alert_id, kind, draft, state, case, outage=_offers_outage(alert))
    history = _history(state)
    if history:
        blocks.append({"type": "context", "elements": [_md(history)]})
    return text, blocks


def draft_message(draft: Draft, state: WarRoomState | None) -> tuple[str, list[Block]]:
    """A draft that answers no alert (the incident of the day's post): its text, and Approve,
    Edit and Reject while it waits; nothing to acknowledge, so no Acknowledge button."""
    text = f"{DRAFT_TITLE}: {draft.channel} post for approval"
    blocks: list[Block] = [{"type": "header", "text": _plain(text[:150])}, *_draft_blocks(draft)]
    blocks += _action_row(_draft_buttons(draft))
    history = _history(state)
    if history:
        blocks.append({"type": "context", "elements": [_md(history)]})
    return text, blocks


def _crisis_blocks(alert: Alert) -> list[Block]:
    link = message_link(alert.channel or "", alert.author or "", alert.message_id or "")
    quote = "\n".join("> " + line for line in (alert.text or "").splitlines()) or "> (no text)"
    where = f"<{link}|Open on {alert.channel}>" if link else f"{alert.channel} · {alert.message_id}"
    followers = alert.followers
    reach = f"{followers:,} followers" if isinstance(followers, int) else "reach unknown"
    if alert.verified:
        reach += ", verified"
    risks = ", ".join(alert.risks) or "none"
    related = [f"<{a['url']}|{a['title'] or a['id']}>" for a in alert.related_articles]
    if alert.incident_id:
        related.insert(0, f"incident `{alert.incident_id}`")
    thread = alert.related_messages
    if thread:
        actions = ", ".join(f"{n} {a}" for a, n in sorted(Counter(m.get("action") for m in thread).items()))
        related.insert(0, f"{len(thread)} replies and mentions since ({actions})")
    return [
        {"type": "section", "text": _md(_cut(f"{quote}\n{where}"))},
        {
            "type": "section",
            "fields": [
                _md(f"*Author*\n{alert.author or 'unknown'} ({reach})"),
                _md(f"*Why flagged*\n{_cut(alert.why or '', 600)}"),
                _md(f"*Risks*\n{risks}"),
                _md(f"*Language*\n{alert.language or '?'}"),
            ],
        },
        {
            "type": "context",
            "elements": [_md(_cut("*Related:* " + (" · ".join(related) or "nothing found"), 1900))],
        },
    ]


def _spike_blocks(alert: Alert) -> list[Block]:
    points = " · ".join(f"{_clock(str(t))} {n}" for t, n in alert.curve[-12:]) or "no data"
    baseline, share = alert.baseline_per_window, alert.negative_share
    related = ", ".join(alert.message_keys[:8]) or "none"
    return [
        {
            "type": "section",
            "fields": [
                _md(f"*Messages in window*\n{alert.count} (baseline {baseline:.1f})"),
                _md(f"*Negative share*\n{share:.0%}"),
                _md(f"*Since*\n{_clock(alert.first_message_at or '')} UTC"),
                _md(f"*Status*\n{alert.status}"),
            ],
        },
        {
            "type": "section",
            "text": _md(_cut(f"*Curve (per minute)*\n{points}\n*Related messages*\n{related}")),
        },
    ]


def _sla_blocks(alert: Alert) -> list[Block]:
    return [
        {
            "type": "section",
            "fields": [
                _md(f"*Case*\n`{alert.case_id or '?'}`"),
                _md(f"*Due*\n{_clock(alert.due or '')} UTC"),
                _md(f"*Priority*\n{alert.priority or '?'}"),
                _md(f"*Channel*\n{alert.channel or '?'}"),
            ],
        }
    ]


def _draft_blocks(draft: Draft) -> list[Block]:
    shown = draft.final_text or draft.text
    label = "Published reply" if draft.status == "published" else "Drafted reply"
    lines = [f"*{label}* ({draft.source or 'draft'}, {draft.language or '?'})", _cut(shown, 2000)]
    status = STATUS_LINE.get(draft.status, draft.status)
    if draft.decided_by:
        status += f" · decided by {actor_label(draft.decided_by)}"
    if draft.reason:
        status += f": {draft.reason}"
    if draft.result and draft.status in ("failed", "needs_review"):
        status += f" ({_cut(draft.result, 300)})"
    return [
        {"type": "divider"},
        {"type": "section", "text": _md("\n".join(lines))},
        {"type": "context", "elements": [_md(status)]},
    ]


def _offers_outage(alert: Alert) -> bool:
    """A negative spike with a region or a topic may be declared an outage, once."""
    return alert.kind == "spike" and not alert.outage_id and bool(alert.topic)


def _actions(
    alert_id: str,
    kind: str,
    draft: Draft | None,
    state: WarRoomState | None,
    case: tuple[str, str] | None,
    *,
    outage: bool = False,
) -> list[Block]:
    buttons = _draft_buttons(draft)
    if outage:  # the spike's suggestion: post the outage notice and reply to its complaints
        buttons.append(_button("Declare outage", DECLARE_OUTAGE, alert_id))
    if kind == "crisis" and case is None:  # a person's message: it may become a case
        buttons.append(_button("Open case", OPEN_CASE, alert_id))
    if case is not None and case[1] in ACTIVE:
        buttons.append(_button("Solve", SOLVE_CASE, alert_id))
    if state is None or state.status == "open":
        buttons.append(_button("Acknowledge", ACKNOWLEDGE, alert_id))
    return _action_row(buttons)


def _draft_buttons(draft: Draft | None) -> list[Block]:
    if draft is None or draft.status != "pending":
        return []
    return [
        _button("Approve", APPROVE, draft.id, "primary"),
        _button("Edit", EDIT, draft.id),
        _button("Reject", REJECT, draft.id, "danger"),
    ]


def _action_row(buttons: list[Block]) -> list[Block]:
    return [{"type": "actions", "block_id": "warroom_actions", "elements": buttons}] if buttons else []


def _history(state: WarRoomState | None) -> str:
    if state is None or not state.events:
        return ""
    lines = [f"{_clock(e.at)} UTC · {actor_label(e.actor)} {e.action}" for e in state.events[-8:]]
    return _cut("\n".join(lines), 1900)


def edit_modal(draft: Draft) -> Block:
    return {
        "type": "modal",
        "callback_id": EDIT_VIEW,
        "private_metadata": draft.id,
        "title": _plain("Edit the reply"),
        "submit": _plain("Publish"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "label": _plain(f"Reply as the official account ({draft.language or '?'})"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": TEXT_INPUT,
                    "multiline": True,
                    "initial_value": draft.text,
                },
            }
        ],
    }


def reject_modal(draft: Draft) -> Block:
    return {
        "type": "modal",
        "callback_id": REJECT_VIEW,
        "private_metadata": draft.id,
        "title": _plain("Reject the draft"),
        "submit": _plain("Reject"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": _plain("Why? (nothing will be published)"),
                "element": {"type": "plain_text_input", "action_id": REASON_INPUT, "multiline": True},
            }
        ],
    }


def message_link(channel: str, handle: str, message_id: str) -> str | None:
    """A link staff can open; only platforms with public permalinks built from ids get one."""
    return capabilities(channel).link(handle, message_id)


def actor_label(actor: str) -> str:
    """`slack:U123` becomes a Slack mention; API and CLI actors are named as such."""
    via, _, who = actor.partition(":")
    if via == "slack" and who:
        return f"<@{who}>"
    return f"{who} ({via})" if who else actor


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": _plain(text), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text}


def _md(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _cut(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clock(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%H:%M")
    except ValueError:
        return iso

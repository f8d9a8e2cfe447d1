"""Effects: what a decision asks the engine to do, as plain data.

Responders and watchers return effects; the engine's effect applier gives each an idempotency key
and writes it through the store; the outbox publisher delivers replies through the channel's
adapter. Effects are data, not calls, which is what makes a redelivered message harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.cases import Case
from bot.core.models import AccountKind, Channel
from bot.core.self_id import SelfIdClaim


@dataclass(frozen=True, slots=True)
class Reply:
    """Publish `text` on the message's own channel, threaded to it, as `account`.

    `automatic` replies (robot account, no human approval) pass the embarrassment guards and
    the kill switch; human-approved ones do not.
    """

    account: AccountKind
    text: str
    automatic: bool = True
    purpose: str = "reply"
    # Decided by the pipeline (`bot/pipeline/reply_policy.py`), applied as given by the engine:
    # the fingerprint to remember once the reply is queued (a quote of it is then our own echo),
    # and the record to keep instead when a guard holds the reply (the guard's reason is
    # appended to its `reason`), so a held answer still reaches a person.
    echo: str | None = None
    if_held: SaveRecord | None = None


@dataclass(frozen=True, slots=True)
class Notify:
    """Publish to a staff channel (Slack war-room, agent queue channel), keyed by `key`."""

    key: str
    channel: Channel
    text: str
    target: str | None = None
    payload: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SaveRecord:
    """Keep a versioned record (case, alert, draft, agent-queue entry).

    With `only_if_absent` a redelivery cannot overwrite what staff already changed.
    """

    kind: str
    record_id: str
    data: dict[str, Any] = field(default_factory=dict)
    only_if_absent: bool = True


@dataclass(frozen=True, slots=True)
class AppendToRecord:
    """Add `item` to the list `field` of an existing record (compare-and-set, no duplicates).

    `item["key"]` identifies the item, so a redelivered message is not attached twice. A record
    that does not exist (yet) is left alone: context is a nicety, never a reason to fail.
    `await_record`: an earlier message's effects create it, and with several workers or replicas
    they may still be on their way, so it is waited for a moment first.
    """

    kind: str
    record_id: str
    field: str
    item: dict[str, Any]
    max_items: int = 200
    await_record: bool = False


@dataclass(frozen=True, slots=True)
class MergeIntoRecord:
    """Set `fields` on an existing record (compare-and-set); with `only_missing`, never overwrite.

    Used to link what is already stored to something learnt later, e.g. the first complaints of
    an outage to the incident opened a few messages after them.
    """

    kind: str
    record_id: str
    fields: dict[str, Any]
    only_missing: bool = True
    await_record: bool = False  # as for `AppendToRecord`


@dataclass(frozen=True, slots=True)
class OpenCase:
    """Open a case for the message, or join the author's open one (reopen a recent one).

    Which of the three happens depends on the stored cases, so the engine decides it (`bot/engine/
    cases.py`) and then queues the acknowledgement that matches; `case.id` is empty until then.
    """

    case: Case
    ack_public: bool = False


@dataclass(frozen=True, slots=True)
class LinkCaseToIncident:
    """The case opened for (or joined by) `message_key` belongs to `incident_id`.

    The first complaints of an outage come before the spike that reveals it; their cases are
    linked afterwards, found through the message, since a case's reference is a counter.
    """

    message_key: str
    incident_id: str


@dataclass(frozen=True, slots=True)
class IdentifyCustomer:
    """The author offers `claim` in a private message: start or answer a code challenge.

    What happens depends on stored customers, codes and limits, so the engine decides it
    (`bot/engine/self_id.py`) and queues the code mail and the reply that match.
    """

    claim: SelfIdClaim


Effect = (
    Reply
    | Notify
    | SaveRecord
    | AppendToRecord
    | MergeIntoRecord
    | OpenCase
    | LinkCaseToIncident
    | IdentifyCustomer
)

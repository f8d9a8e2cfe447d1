"""What the war-room's listeners read from a Slack payload, read once and checked.

Why: bolt checks a request's signature, not its shape. A correctly signed payload without
`user`, with `actions` empty or a `value` that is an object (a Slack change, or someone holding
the signing secret) made the listeners raise `KeyError`/`TypeError` on `body["user"]["id"]`: a
500, or worse a 200 whose approval silently died after `ack()`. Every field a listener needs is
read here, before it acknowledges, and a field that is missing or of the wrong type raises one
`SlackPayloadError` naming it; the bolt app's error handler (`slack_guard.py`) answers it 400.
A field that is merely absent where Slack may omit it (a channel, an empty modal input) is not
an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Body = dict[str, Any]


class SlackPayloadError(ValueError):
    """A signed Slack payload lacks a field the war-room reads, or has it of the wrong type."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"Slack payload field {field!r} {problem}")
        self.field = field


@dataclass(frozen=True, slots=True)
class Click:
    """A button press: who pressed, the button's value, and where to answer them."""

    user: str
    value: str
    channel: str | None
    message_ts: str | None


@dataclass(frozen=True, slots=True)
class Submission:
    """A modal submitted: who submitted it and the id the modal was opened for. A modal is in
    no channel (`channel` is None): its answers go to the war-room's."""

    user: str
    metadata: str
    channel: str | None = None


def click(body: Body) -> Click:
    """A `block_actions` payload's first action, as the war-room's buttons send it."""
    action = first_action(body)
    return Click(
        user=user_id(body),
        value=_text(action, "value", "actions[0].value"),
        channel=_optional(body, "channel", "id") or _optional(body, "container", "channel_id"),
        message_ts=_optional(body, "message", "ts") or _optional(body, "container", "message_ts"),
    )


def submission(body: Body, view: Body) -> Submission:
    """A `view_submission` of one of our modals, which all carry an id in `private_metadata`."""
    return Submission(user=user_id(body), metadata=_text(view, "private_metadata", "view.private_metadata"))


def user_id(body: Body) -> str:
    """The interacting user (`user.id`): who is allowed, audited and answered."""
    user = body.get("user")
    if not isinstance(user, Mapping):
        raise SlackPayloadError("user", "must be an object with an id" if user is not None else "is missing")
    return _text(user, "id", "user.id")


def command_user(command: Body) -> str:
    """A slash command's `user_id`: a pause or a resume is always somebody's."""
    return _text(command, "user_id", "user_id")


def trigger_id(body: Body) -> str:
    """The `trigger_id` a modal is opened with."""
    return _text(body, "trigger_id", "trigger_id")


def first_action(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`actions[0]`, the action bolt's matchers and our buttons read."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise SlackPayloadError("actions", "must be a non-empty list")
    action = actions[0]
    if not isinstance(action, Mapping):
        raise SlackPayloadError("actions[0]", "must be an object")
    return action


def view_input(view: Body, block_id: str, action_id: str) -> str:
    """What was typed into a modal input; an input left empty (or omitted) is an empty text."""
    node: Any = view
    where = "view"
    for key in ("state", "values", block_id, action_id):
        node = node.get(key)
        where = f"{where}.{key}"
        if node is None:
            return ""
        if not isinstance(node, Mapping):
            raise SlackPayloadError(where, "must be an object")
    value = node.get("value")
    if value is not None and not isinstance(value, str):
        raise SlackPayloadError(f"{where}.value", "must be a string")
    return value or ""


def check_envelope(body: object) -> None:
    """What bolt's own matchers read before any listener runs (`type`, `actions[*].action_id`,
    `view.callback_id`, `command`): of the wrong type, they raise inside bolt, a 500."""
    if not isinstance(body, Mapping):
        raise SlackPayloadError("payload", "must be a JSON object")
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        raise SlackPayloadError("type", "must be a string")
    if "command" in body:
        _text(body, "command", "command")
    if kind == "block_actions":
        first_action(body)
        for index, action in enumerate(body["actions"]):
            if not isinstance(action, Mapping):
                raise SlackPayloadError(f"actions[{index}]", "must be an object")
            _text(action, "action_id", f"actions[{index}].action_id")
            if action.get("block_id") is not None:
                _text(action, "block_id", f"actions[{index}].block_id")
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, Mapping):
            raise SlackPayloadError("view", "must be an object")
        _text(view, "callback_id", "view.callback_id")


def payload_kind(body: object) -> str:
    """A name for logs: the interaction type, `command:/x` for a slash command, or `unknown`."""
    if not isinstance(body, Mapping):
        return "unknown"
    if isinstance(body.get("command"), str):
        return f"command:{body['command']}"
    kind = body.get("type")
    return kind if isinstance(kind, str) else "unknown"


def _text(node: Mapping[str, Any], key: str, where: str) -> str:
    value = node.get(key)
    if value is None:
        raise SlackPayloadError(where, "is missing")
    if not isinstance(value, str):
        raise SlackPayloadError(where, "must be a string")
    if not value:
        raise SlackPayloadError(where, "is empty")
    return value


def _optional(body: Mapping[str, Any], key: str, inner: str) -> str | None:
    """`body[key][inner]` when both are there as Slack sends them, else None."""
    node = body.get(key)
    value = node.get(inner) if isinstance(node, Mapping) else None
    return value if isinstance(value, str) and value else None

"""The war-room's readers of Slack payloads: what Slack sends is read, anything else is one
`SlackPayloadError` naming the field (the end-to-end answers are in
tests/scenario/test_slack_payload_shapes.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.warroom import payload
from bot.warroom.payload import SlackPayloadError

CLICK: dict[str, Any] = {
    "type": "block_actions",
    "user": {"id": "U1"},
    "actions": [{"action_id": "warroom_approve", "value": "twitter:c1"}],
    "container": {"channel_id": "C1", "message_ts": "1.2"},
}


def test_a_click_reads_user_value_and_where_it_was() -> None:
    assert payload.click(CLICK) == payload.Click(
        user="U1", value="twitter:c1", channel="C1", message_ts="1.2"
    )


def test_the_channel_object_wins_over_the_container_and_absent_places_are_none() -> None:
    body = {**CLICK, "channel": {"id": "C2"}, "message": {"ts": "3.4"}}
    assert (payload.click(body).channel, payload.click(body).message_ts) == ("C2", "3.4")
    bare = {k: v for k, v in CLICK.items() if k != "container"}
    assert (payload.click(bare).channel, payload.click(bare).message_ts) == (None, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"user": None}, "user"),
        ({"user": "U1"}, "user"),
        ({"user": {"id": 1}}, "user.id"),
        ({"actions": []}, "actions"),
        ({"actions": ["x"]}, "actions[0]"),
        ({"actions": [{"action_id": "a", "value": {"x": 1}}]}, "actions[0].value"),
    ],
)
def test_a_click_of_the_wrong_shape_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(SlackPayloadError) as raised:
        payload.click({**CLICK, **change})
    assert raised.value.field == field and field in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_modal_input_left_empty_is_empty_text_but_a_retyped_one_is_an_error() -> None:
    assert payload.view_input({"state": {"values": {}}}, "b", "a") == ""
    assert payload.view_input({"state": {"values": {"b": {"a": {"value": None}}}}}, "b", "a") == ""
    assert payload.view_input({"state": {"values": {"b": {"a": {"value": "hi"}}}}}, "b", "a") == "hi"
    with pytest.raises(SlackPayloadError, match=re.escape("view.state.values.b.a.value")):
        payload.view_input({"state": {"values": {"b": {"a": {"value": 5}}}}}, "b", "a")
    with pytest.raises(SlackPayloadError, match=re.escape("view.state")):
        payload.view_input({"state": "values"}, "b", "a")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "payload"),
        ({"type": 5}, "type"),
        ({"command": 5}, "command"),
        ({"type": "block_actions", "actions": [{"action_id": "a"}, {"value": "v"}]}, "actions[1].action_id"),
        ({"type": "view_submission", "view": "callback_id"}, "view"),
        ({"type": "view_submission", "view": {"callback_id": 3}}, "view.callback_id"),
    ],
)
def test_the_envelope_bolt_matches_on_is_checked(body: object, field: str) -> None:
    with pytest.raises(SlackPayloadError) as raised:
        payload.check_envelope(body)
    assert raised.value.field == field


def test_a_well_formed_envelope_and_an_unknown_type_pass() -> None:
    payload.check_envelope(CLICK)
    payload.check_envelope({"type": "event_callback", "event": {"type": "app_mention"}})
    payload.check_envelope({"command": "/centinela", "user_id": "U1"})


def test_the_kind_for_logs() -> None:
    assert payload.payload_kind(CLICK) == "block_actions"
    assert payload.payload_kind({"command": "/centinela"}) == "command:/centinela"
    assert payload.payload_kind(["x"]) == payload.payload_kind({"type": 1}) == "unknown"

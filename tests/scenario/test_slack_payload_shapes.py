"""Correctly signed Slack requests whose payload has the wrong shape: a 400 with a JSON body
naming the problem, never a 500, and nothing approved, published or paused on their account.

Slack itself sends these shapes only if it changes or someone holds the signing secret, but the
listeners used to read `body["user"]["id"]` and `actions[0]["value"]` blindly: a payload without
them was a 500 (bolt's matchers and the modal handlers read before `ack()`) or a 200 whose work
silently died in the background (after `ack()`). Every request here is signed with the test
secret, so it gets past bolt's signature check and reaches the matchers and listeners.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.pipeline.guards import kill_switch_on
from bot.warroom import blocks
from scheduler.campaign_announce import CAMPAIGN_APPROVE
from scheduler.slack_campaign import CAMPAIGN_VIEW, YAML_BLOCK, YAML_INPUT
from tests.conftest import eventually
from tests.fakes.slack_api import block_action, interaction_body, signed_headers, view_submission
from tests.scenario.warroom_rig import APPROVER, ClientFactory, ServerFactory, WarRoomRig, start_rig

DRAFT = "twitter:c1"
Payload = dict[str, Any]
Mutation = Callable[[Payload], object]


@pytest.fixture
async def rig(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> WarRoomRig:
    rig = await start_rig(aiohttp_client, aiohttp_server, tmp_path)
    await rig.raise_crisis("c1")
    return rig


def approve_payload() -> Payload:
    return block_action(blocks.APPROVE, DRAFT, user=APPROVER)


def edit_payload(text: str = "Lo sentimos, ya lo revisamos.") -> Payload:
    values = {blocks.TEXT_BLOCK: {blocks.TEXT_INPUT: text}}
    return view_submission(blocks.EDIT_VIEW, DRAFT, values, user=APPROVER)


def _parent(payload: Payload, path: str) -> tuple[Any, str | int]:
    """The container of a dotted path (`actions.0.value`) and the key of its last step."""
    *parents, last = path.split(".")
    node: Any = payload
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node, int(last) if isinstance(node, list) else last


def _set(path: str, value: object) -> Mutation:
    def mutate(payload: Payload) -> object:
        node, key = _parent(payload, path)
        node[key] = value
        return payload

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(payload: Payload) -> object:
        node, key = _parent(payload, path)
        del node[key]
        return payload

    return mutate


BLOCK_ACTION_SHAPES: dict[str, tuple[str, Callable[[], Payload], Mutation]] = {
    # id: (what the error must name, the valid payload, what is wrong with it)
    "no user": ("user", approve_payload, _drop("user")),
    "user is a string": ("user", approve_payload, _set("user", APPROVER)),
    "user without id": ("user.id", approve_payload, _drop("user.id")),
    "user id is a number": ("user.id", approve_payload, _set("user.id", 5)),
    "user id is null": ("user.id", approve_payload, _set("user.id", None)),
    "user id is a list": ("user.id", approve_payload, _set("user.id", [APPROVER])),
    "user id is empty": ("user.id", approve_payload, _set("user.id", "")),
    "actions empty": ("actions", approve_payload, _set("actions", [])),
    "actions an object": ("actions", approve_payload, _set("actions", {"0": {"value": DRAFT}})),
    "actions a string": ("actions", approve_payload, _set("actions", "warroom_approve")),
    "actions null": ("actions", approve_payload, _set("actions", None)),
    "action a string": ("actions[0]", approve_payload, _set("actions.0", blocks.APPROVE)),
    "action without action_id": ("actions[0].action_id", approve_payload, _drop("actions.0.action_id")),
    "action_id a number": ("actions[0].action_id", approve_payload, _set("actions.0.action_id", 7)),
    "action without value": ("actions[0].value", approve_payload, _drop("actions.0.value")),
    "value an object": ("actions[0].value", approve_payload, _set("actions.0.value", {"id": DRAFT})),
    "value a number": ("actions[0].value", approve_payload, _set("actions.0.value", 7)),
    "value a list": ("actions[0].value", approve_payload, _set("actions.0.value", [DRAFT])),
    "type a number": ("type", approve_payload, _set("type", 5)),
    "campaign approve without user": (
        "user",
        lambda: block_action(CAMPAIGN_APPROVE, "cmp-1:abc", user=APPROVER),
        _drop("user"),
    ),
    "campaign approve value an object": (
        "actions[0].value",
        lambda: block_action(CAMPAIGN_APPROVE, "cmp-1:abc", user=APPROVER),
        _set("actions.0.value", {"campaign": "cmp-1"}),
    ),
    "edit button without trigger_id": (
        "trigger_id",
        lambda: block_action(blocks.EDIT, DRAFT, user=APPROVER),
        _drop("trigger_id"),
    ),
    "edit button trigger_id a number": (
        "trigger_id",
        lambda: block_action(blocks.EDIT, DRAFT, user=APPROVER),
        _set("trigger_id", 12),
    ),
    "edit modal without private_metadata": ("private_metadata", edit_payload, _drop("view.private_metadata")),
    "edit modal private_metadata an object": (
        "private_metadata",
        edit_payload,
        _set("view.private_metadata", {"draft": DRAFT}),
    ),
    "edit modal view a string": ("view", edit_payload, _set("view", "callback_id")),
    "edit modal view a list": ("view", edit_payload, _set("view", [blocks.EDIT_VIEW])),
    "edit modal callback_id a number": ("callback_id", edit_payload, _set("view.callback_id", 3)),
    "edit modal without user": ("user", edit_payload, _drop("user")),
    "edit modal state a string": ("state", edit_payload, _set("view.state", "values")),
    "edit modal values a list": ("state.values", edit_payload, _set("view.state.values", [])),
    "edit modal block a string": (
        blocks.TEXT_BLOCK,
        edit_payload,
        _set(f"view.state.values.{blocks.TEXT_BLOCK}", "text"),
    ),
    "edit modal input a list": (
        blocks.TEXT_INPUT,
        edit_payload,
        _set(f"view.state.values.{blocks.TEXT_BLOCK}.{blocks.TEXT_INPUT}", ["text"]),
    ),
    "edit modal typed value a number": (
        "value",
        edit_payload,
        _set(f"view.state.values.{blocks.TEXT_BLOCK}.{blocks.TEXT_INPUT}.value", 5),
    ),
    "campaign modal without user": (
        "user",
        lambda: view_submission(CAMPAIGN_VIEW, "", {YAML_BLOCK: {YAML_INPUT: "id: x"}}, user=APPROVER),
        _drop("user"),
    ),
}


async def answer(rig: WarRoomRig, body: bytes) -> tuple[int, Any]:
    """Status and JSON body (None when the body is not JSON) of a correctly signed request."""
    async with rig.client.post("/slack/events", data=body, headers=signed_headers(body)) as response:
        raw = await response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, None


async def nothing_happened(rig: WarRoomRig) -> None:
    """No approval, publication, pause or war-room action came of the request."""
    assert (await rig.draft(DRAFT)).status == "pending"
    assert [item for item in rig.published if item.account == "official"] == []
    assert not await kill_switch_on(rig.store)
    assert await rig.store.list_audit(kind="warroom") == []
    assert rig.slack.calls_to("views.open") == [] and rig.slack.calls_to("chat.postEphemeral") == []


def _refused(status: int, body: Any, named: str) -> None:
    assert 400 <= status < 500, (status, body)
    assert isinstance(body, dict) and isinstance(body.get("error"), str), body
    assert named in body["error"], body


@pytest.mark.parametrize("case", list(BLOCK_ACTION_SHAPES), ids=list(BLOCK_ACTION_SHAPES))
async def test_a_signed_interaction_of_the_wrong_shape_is_a_4xx_naming_it(
    rig: WarRoomRig, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    named, valid, mutate = BLOCK_ACTION_SHAPES[case]
    payload = mutate(copy.deepcopy(valid()))  # the fakes share their `team` object
    with caplog.at_level(logging.WARNING):
        status, body = await answer(rig, interaction_body(payload))  # type: ignore[arg-type]
    _refused(status, body, named)
    await nothing_happened(rig)
    kept = [r for r in caplog.records if r.name.startswith("bot.warroom") and named in r.getMessage()]
    assert kept, "the refusal is logged with what was wrong"


SLASH_SHAPES: dict[str, tuple[str, dict[str, str]]] = {
    "pause without user_id": ("user_id", {"text": "pause"}),
    "pause with an empty user_id": ("user_id", {"text": "pause", "user_id": ""}),
}


@pytest.mark.parametrize("case", list(SLASH_SHAPES), ids=list(SLASH_SHAPES))
async def test_a_signed_slash_command_of_the_wrong_shape_is_a_4xx(rig: WarRoomRig, case: str) -> None:
    named, fields = SLASH_SHAPES[case]
    form = {"team_id": "T0CENTI", "channel_id": "C0WARROOM", "command": "/centinela", **fields}
    status, body = await answer(rig, urlencode(form).encode())
    _refused(status, body, named)
    await nothing_happened(rig)


RAW_PAYLOADS: dict[str, str] = {
    "not JSON": "{not json",
    "a JSON list": json.dumps([approve_payload()]),
    "a JSON string": json.dumps("block_actions"),
    "a JSON number": "42",
    "JSON null": "null",
    "nested beyond reason": "[" * 100_000 + "]" * 100_000,
    "an object nested beyond reason": '{"type": "block_actions", "actions": '
    + "[" * 50_000
    + "]" * 50_000
    + "}",
}


@pytest.mark.parametrize("case", list(RAW_PAYLOADS), ids=list(RAW_PAYLOADS))
async def test_a_signed_payload_field_that_is_not_a_json_object_is_a_400(rig: WarRoomRig, case: str) -> None:
    status, body = await answer(rig, urlencode({"payload": RAW_PAYLOADS[case]}).encode())
    assert status == 400 and isinstance(body, dict) and "error" in body, (status, body)
    await nothing_happened(rig)


async def test_a_bad_signature_on_a_bad_shape_is_still_bolts_401(rig: WarRoomRig) -> None:
    body = interaction_body(_drop("user")(approve_payload()))  # type: ignore[arg-type]
    headers = signed_headers(body, secret="not-the-secret")
    assert await rig.events(body, headers) == 401
    await nothing_happened(rig)


EVENTS_API_SHAPES: dict[str, dict[str, Any]] = {
    # JSON bodies (the Events API): bolt reads `event.type` of every one to build its arguments.
    "event a string": {"type": "event_callback", "team_id": "T0CENTI", "event": "type"},
    "view without type": {"type": "view_submission", "view": {"callback_id": blocks.EDIT_VIEW}},
    "workflow step edit without its step": {"type": "workflow_step_edit", "callback_id": "x"},
}


@pytest.mark.parametrize("case", list(EVENTS_API_SHAPES), ids=list(EVENTS_API_SHAPES))
async def test_a_signed_json_body_bolt_cannot_read_is_a_400(rig: WarRoomRig, case: str) -> None:
    body = json.dumps(EVENTS_API_SHAPES[case]).encode()
    headers = {**signed_headers(body), "Content-Type": "application/json"}
    async with rig.client.post("/slack/events", data=body, headers=headers) as response:
        assert response.status == 400, await response.text()
        assert "error" in await response.json()
    await nothing_happened(rig)


async def test_a_timestamp_header_that_is_not_a_number_is_refused_not_a_500(rig: WarRoomRig) -> None:
    body = interaction_body(approve_payload())
    headers = {**signed_headers(body), "X-Slack-Request-Timestamp": "soon"}
    assert await rig.events(body, headers) == 401
    await nothing_happened(rig)


async def test_a_bug_of_ours_after_a_well_formed_click_is_logged_with_its_traceback_not_a_400(
    rig: WarRoomRig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The shape checks must not hide our own errors as the sender's."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the approval service")

    monkeypatch.setattr(rig.warroom.approvals, "approve", broken)
    status, _ = await answer(rig, interaction_body(approve_payload()))
    assert status != 400

    async def logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]

    [record] = await eventually(logged)
    assert record.name == "bot.warroom.slack_guard" and "block_actions" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    assert (await rig.draft(DRAFT)).status == "pending"


async def test_the_well_formed_payloads_of_the_same_tests_still_work(rig: WarRoomRig) -> None:
    """The control: the payloads mutated above, unmutated, are answered and acted on."""
    status, _ = await answer(rig, interaction_body(edit_payload("Lo sentimos, ya lo revisamos.")))
    assert status == 200
    draft = await rig.draft(DRAFT)
    assert draft.status in ("approved", "published") and draft.final_text == "Lo sentimos, ya lo revisamos."


# The fuzz: a valid Approve click or Edit submission with one value deleted or retyped, anywhere.


def _paths(node: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


FUZZED: list[Callable[[], Payload]] = [approve_payload, edit_payload]
# Like the other fuzzers: a few dozen in `make test`, `CENTINELA_FUZZ_EXAMPLES=60` for a longer hunt.
FUZZ_EXAMPLES = 10 * int(os.environ.get("CENTINELA_FUZZ_EXAMPLES", "5"))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Payload, str]:
    """A valid payload with the value at one path deleted or replaced by any JSON value."""
    payload = copy.deepcopy(draw(st.sampled_from(FUZZED))())  # the fakes share their `team` object
    path = draw(st.sampled_from(_paths(payload)))
    node: Any = payload
    for key in path[:-1]:
        node = node[key]
    if draw(st.booleans()):
        del node[path[-1]]
        return payload, f"deleted {path}"
    value = draw(JSON_VALUES)
    node[path[-1]] = value
    return payload, f"{path} = {value!r}"


async def _settled_status(rig: WarRoomRig) -> str:
    """The draft's status once an earlier example's click has done its work: a listener acts
    after it acknowledged (a 200 comes first), and an approved draft turns `published` in the
    background, so the status is read again until it holds still and is not `approved`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    seen: list[str] = []
    while loop.time() < deadline:
        seen = [*seen[-2:], str((await rig.draft(DRAFT)).status)]
        if len(seen) == 3 and len(set(seen)) == 1 and seen[0] != "approved":
            break
        await asyncio.sleep(0.03)
    return seen[-1]


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutated())
async def test_fuzz_a_retyped_or_missing_field_never_gets_a_5xx(
    rig: WarRoomRig, case: tuple[Payload, str], caplog: pytest.LogCaptureFixture
) -> None:
    """The rig is shared by the examples: a mutation that left the payload valid may approve the
    draft (once); one answered 4xx must have changed nothing, and none may raise in our code."""
    payload, change = case
    before = await _settled_status(rig)
    status, body = await answer(rig, interaction_body(payload))
    assert status < 500, (status, body, change)
    if status >= 400:
        assert isinstance(body, dict) and isinstance(body.get("error"), str), (body, change)
        assert (await rig.draft(DRAFT)).status == before, change
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == [], change

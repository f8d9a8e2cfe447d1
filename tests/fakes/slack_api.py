"""A protocol-faithful Slack for tests: the Web API methods Centinela calls, and what Slack sends.

`FakeSlack.app()` serves `/api/{method}` the way slack.com does for the real
`slack_sdk.AsyncWebClient` (pointed here with `base_url`): `{"ok": true, ...}`, `{"ok": false,
"error": ...}`, HTTP 429 with `Retry-After` and `"error": "ratelimited"`, 5xx, or a connection
dropped after the request arrived. Every call is recorded. It also serves the `response_url`
that slash commands answer through.

The payload builders produce what Slack POSTs to `/slack/events` (`block_actions`,
`view_submission`, slash commands, form-encoded and signed with `v0=HMAC-SHA256`), written from
the shapes in the bolt-python and java-slack-sdk test payloads.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"
TEAM = {"id": "T0CENTI", "domain": "centinela-test"}


@dataclass(slots=True)
class SlackCall:
    method: str
    args: dict[str, Any]
    at: float


@dataclass(slots=True)
class Failure:
    """How the next call of a method fails: an HTTP status and Slack error, or a dropped connection."""

    error: str = "ratelimited"
    status: int = 200
    retry_after: int | None = None
    drop: bool = False


@dataclass
class FakeSlack:
    """The Web API as the SDK sees it, with scripted failures."""

    token: str = BOT_TOKEN
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[SlackCall] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    _failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    files: list[dict[str, Any]] = field(default_factory=list)  # completed uploads, with their bytes
    pending_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    upload_base: str = ""  # where upload URLs point: the fake's own address, from its first call

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{token}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        return app

    def fail_next(self, method: str, failure: Failure, times: int = 1) -> None:
        self._failures[method].extend([failure] * times)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        self.upload_base = self.upload_base or str(request.url.origin())
        args = await _arguments(request)
        self.calls.append(SlackCall(method, args, time.monotonic()))
        if self._failures[method]:
            failure = self._failures[method].popleft()
            if failure.drop:
                assert request.transport is not None
                request.transport.close()  # the request arrived; the answer never will
                return web.Response()
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=headers
            )
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            error = "not_authed" if "Authorization" not in request.headers else "invalid_auth"
            return web.json_response({"ok": False, "error": error})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        return web.json_response(handler(args))

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM['domain']}.slack.com/",
            "team": "Centinela Test",
            "user": "centinela",
            "team_id": TEAM["id"],
            "user_id": "U0CENTINELA",
            "bot_id": "B0CENTINELA",
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = f"{1_780_000_000 + next(self._ts)}.000100"
        message = {"type": "message", "user": "U0CENTINELA", "ts": ts, **_message_fields(args)}
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel")), str(args.get("ts")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key].update(_message_fields(args))
        return {"ok": True, "channel": key[0], "ts": key[1], "text": args.get("text", "")}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": f"{1_780_000_000 + next(self._ts)}.000200"}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = _json_arg(args.get("view"))
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", "team_id": TEAM["id"], **view}}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup") or "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ts):08d}"
        self.pending_files[file_id] = {"filename": args.get("filename"), "length": int(args.get("length", 0))}
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.upload_base}/upload/{file_id}"}

    async def _upload(self, request: web.Request) -> web.Response:
        """files.slack.com's upload URL: the raw bytes, answered `OK - <length>`."""
        file_id = request.match_info["file_id"]
        if file_id not in self.pending_files:
            return web.Response(status=404, text="unknown upload")
        data = await request.read()
        self.pending_files[file_id]["content"] = data
        return web.Response(text=f"OK - {len(data)}")

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = _json_arg(args.get("files"))
        done = []
        for f in files:
            pending = self.pending_files.get(f["id"])
            if pending is None or "content" not in pending:
                return {"ok": False, "error": "file_not_found"}
            shared = {**pending, "id": f["id"], "title": f.get("title"), "channel": args.get("channel_id"),
                      "initial_comment": args.get("initial_comment")}  # fmt: skip
            self.files.append(shared)
            done.append({"id": f["id"], "title": f.get("title")})
        return {"ok": True, "files": done}

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")


async def _arguments(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return args


def _json_arg(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _message_fields(args: dict[str, Any]) -> dict[str, Any]:
    fields = {"text": args.get("text", "")}
    if args.get("blocks"):
        fields["blocks"] = _json_arg(args["blocks"])
    if args.get("thread_ts"):
        fields["thread_ts"] = args["thread_ts"]
    return fields


# --- what Slack POSTs to the app --------------------------------------------------------------


def signed_headers(body: bytes, *, secret: str = SIGNING_SECRET, at: int | None = None) -> dict[str, str]:
    """Slack's request signature: `v0=` + HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    stamp = str(int(time.time()) if at is None else at)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def interaction_body(payload: dict[str, Any]) -> bytes:
    """Interactive payloads arrive form-encoded, as one `payload` field holding JSON."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def block_action(
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str = "C0WARROOM",
    message_ts: str = "1780000001.000100",
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0CENTINELA",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{int(time.time())}.1234.{action_id}",
        "team": TEAM,
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "war-room"},
        "message": {"type": "message", "ts": message_ts, "user": "U0CENTINELA", "text": "alert"},
        "response_url": "https://hooks.slack.com/actions/T0CENTI/1/unused",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "warroom_actions",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission(
    callback_id: str, private_metadata: str, values: dict[str, dict[str, str]], *, user: str
) -> dict[str, Any]:
    """`values` is {block_id: {action_id: typed text}}."""
    state = {
        block: {action: {"type": "plain_text_input", "value": text} for action, text in inputs.items()}
        for block, inputs in values.items()
    }
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0CENTINELA",
        "token": "legacy-verification-token",
        "trigger_id": f"{int(time.time())}.5678.view",
        "view": {
            "id": "V0EDIT",
            "team_id": TEAM["id"],
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state},
            "hash": "1780000000.abcdef",
            "title": {"type": "plain_text", "text": "Centinela"},
            "previous_view_id": None,
            "root_view_id": "V0EDIT",
            "app_id": "A0CENTINELA",
            "external_id": "",
            "app_installed_team_id": TEAM["id"],
            "bot_id": "B0CENTINELA",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def slash_command_body(text: str, *, user: str, response_url: str, channel: str = "C0WARROOM") -> bytes:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM["id"],
            "team_domain": TEAM["domain"],
            "channel_id": channel,
            "channel_name": "war-room",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/centinela",
            "text": text,
            "api_app_id": "A0CENTINELA",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{int(time.time())}.9999.cmd",
        }
    ).encode()

"""`POST /slack/events`: a signed payload of the wrong shape gets 400 with a JSON body naming the
field, logged with the payload's type; an unsigned one gets bolt's own 401; a bug stays a bug.

Why the shape is checked here, before `async_dispatch`, and only once the signature is known to
be good: bolt builds every listener's, middleware's and error handler's arguments (`action` is
`body["actions"][0]`, `view` is `body["view"]`, ...) from the payload before any of our code
runs, so a payload it cannot read raised inside bolt (its error handler included), a 500. The
signature is checked with slack_sdk's `SignatureVerifier`, the one bolt itself uses, so an
unsigned request never learns what was wrong with its body: bolt answers it 401 as before.

What a listener reads for itself (`user.id`, a button's `value`) it reads before `ack()` through
`payload.py`; its `SlackPayloadError` reaches bolt's global error handler (`on_error`), which
may still choose the answer then. Anything else is ours: logged with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request import payload_utils
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.warroom.payload import SlackPayloadError, check_envelope, payload_kind

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.Response]]

# bolt's readers of a payload, which it calls on every request to build listener arguments.
_BOLT_READERS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


def check_readable(body: object) -> None:
    """Our named checks of the envelope, then bolt's own readers, so that whatever else bolt
    could not read is refused here too, instead of raising inside its dispatch."""
    check_envelope(body)
    for read in _BOLT_READERS:
        try:
            read(body)  # type: ignore[arg-type]
        except (LookupError, TypeError, AttributeError) as exc:
            raise SlackPayloadError("payload", f"cannot be read as a Slack payload ({exc!r})") from exc


def slack_events_handler(app: AsyncApp, signing_secret: str) -> Handler:
    """The aiohttp view for `POST /slack/events`: bolt's own request translation, both ways."""
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.Response:
        try:
            translated = await to_bolt_request(request)
        except (TypeError, ValueError, LookupError, AttributeError, RecursionError):
            # bolt reads the team and channel out of the body before it checks the signature:
            # a body of the wrong shape raised there, a 500 for anyone who could reach the URL
            # (and `json.loads` of a payload nested thousands deep raises RecursionError).
            return web.json_response({"error": "not a Slack request this service can read"}, status=400)
        signed = _signed(verifier, translated.raw_body, request)
        if signed is None:  # bolt's own check raises on it, a 500: refuse it as bolt refuses forgeries
            return web.json_response({"error": "invalid request: unreadable signature headers"}, status=401)
        if signed:
            try:
                check_readable(translated.body)
            except SlackPayloadError as exc:
                return await to_aiohttp_response(refusal(exc, translated.body))
        response = await app.async_dispatch(translated)
        return await to_aiohttp_response(response)

    return handle


def _signed(verifier: SignatureVerifier, body: str, request: web.Request) -> bool | None:
    """Whether the request is signed with our secret; None when its timestamp is no number."""
    try:
        return verifier.is_valid_request(body, dict(request.headers))
    except ValueError:
        return None


def refusal(error: SlackPayloadError, body: object) -> BoltResponse:
    """The 400 for a signed payload of the wrong shape, logged with its type (never the payload
    itself, which holds people's names and messages)."""
    log.warning("refused a signed Slack %s payload: %s", payload_kind(body), error)
    return BoltResponse(status=400, body={"error": str(error), "field": error.field})


async def on_error(error: Exception, body: object, response: BoltResponse | None) -> BoltResponse | None:
    """bolt's global error handler (`app.error`), for its middleware, matchers and listeners.

    A `SlackPayloadError` (a listener's field, read before `ack()`) answers 400. Anything else
    is logged with its traceback and left as bolt answers it, so a bug stays visible. `response`
    is None once the listener has acknowledged: Slack already has its answer."""
    if isinstance(error, SlackPayloadError):
        answer = refusal(error, body)
        return answer if response is not None else None
    log.error("the war-room failed on a Slack %s payload", payload_kind(body), exc_info=error)
    return None


def guard(app: AsyncApp) -> None:
    """Install the error handler on the war-room's bolt app."""
    app.error(on_error)

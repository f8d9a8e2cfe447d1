"""Raw RFC 5322 mail to a canonical message, pure: used by the poller and `replay --adapter email`.

Privacy: e-mail is a private channel, and the customer's address is personal data. It never
enters the pipeline: the author's handle is a masked pseudonym (`a***@example.com#1f2e3d4c`,
stable per address so per-author limits still work), the war-room, cases, decisions and the
audit log only ever see that. The real address travels beside the message, in a `ReplyTo`
the poller keeps in the adapter's own cursor store for `send`.

Identity is the Message-ID (without angle brackets); the thread is the first id in
`References` (else `In-Reply-To`), the conversation's root, so a reply to our reply stays in
the same thread for the one-automatic-reply-per-thread guard.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any

from adapters.base import Translation
from adapters.email.automated import automated_reason, sender, skip_reason
from adapters.email.body import attachments, body_text
from adapters.email.headers import first_address, header, headers
from bot.core.models import Author, InboundMessage

MAX_ID = 256
_PARSER = BytesParser(policy=policy.default)


@dataclass(frozen=True, slots=True)
class ReplyTo:
    """What a threaded reply needs, kept out of the pipeline (the address is private)."""

    address: str
    subject: str
    message_id: str
    references: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "subject": self.subject,
            "message_id": self.message_id,
            "references": self.references,
        }


@dataclass(slots=True)
class MailReading:
    translation: Translation
    reply_to: ReplyTo | None = None


def mask_address(address: str) -> str:
    """A readable pseudonym: first letter, the domain, and a short hash of the whole address."""
    local, _, domain = address.lower().partition("@")
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:8]
    return f"{local[:1]}***@{domain}#{digest}"


def raw_bytes(payload: Any) -> bytes | None:
    if isinstance(payload, dict):
        payload = payload.get("raw")
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogateescape")
    return None


def _ids(value: object) -> list[str]:
    return [part.strip("<>") for part in str(value or "").split() if part.strip("<>")]


def read_mail(payload: Any, own: set[str], *, max_bytes: int = 10 * 1024 * 1024) -> MailReading:
    """Translate one mail; what is not a customer message is a counted skip, never an exception."""
    result = Translation()
    raw = raw_bytes(payload)
    if raw is None:
        result.skip("not_a_mail")
        return MailReading(result)
    if len(raw) > max_bytes:
        result.skip("too_large")
        return MailReading(result)
    msg = _PARSER.parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    address = sender(msg)
    reason = skip_reason(msg, own, address)
    if reason is not None:
        result.skip(reason)
        return MailReading(result)
    if not address:
        result.skip("no_sender")
        return MailReading(result)
    message_id = (_ids(header(msg, "Message-ID")) or [""])[0]
    if not message_id or len(message_id) > MAX_ID:
        message_id = "sha256-" + hashlib.sha256(raw).hexdigest()  # stable across re-fetches
    references = _ids(header(msg, "References"))
    parent = _ids(header(msg, "In-Reply-To"))
    subject = header(msg, "Subject").strip()
    text, source = body_text(msg)
    files = attachments(msg)
    if not text.strip() and files:
        text, source = attachment_stand_in(files), "attachments"
    is_reply = subject.lower().startswith(("re:", "aw:", "fw:", "fwd:", "rv:", "res:"))
    if subject and not is_reply and subject not in text:
        text = f"{subject}\n\n{text}".strip()
    automated = automated_reason(msg, address)
    name = first_address(msg, "From")[0] or None
    message = InboundMessage(
        id=message_id,
        channel="email",
        created_at=_date(msg),
        author=Author(handle=mask_address(address), name=name, is_bot=automated is not None),
        text=text[:40_000],
        in_reply_to=(references or parent)[0] if references or parent else None,
        language=_language(msg),
        raw={
            "message_id": message_id,
            "subject": subject,
            "in_reply_to": parent[0] if parent else None,
            "references": references,
            "body_from": source,
            "attachments": files,
            "automated": automated,
        },
    )
    result.messages.append(message)
    to = first_address(msg, "Reply-To")[1] or address
    return MailReading(result, ReplyTo(to, subject, message_id, [*references, message_id][-20:]))


def attachment_stand_in(files: list[dict[str, Any]]) -> str:
    """A mail of attachments only still says that the customer wrote, and what they sent."""
    names = ", ".join(str(f["filename"]) for f in files if f.get("filename"))
    return f"[attachment] {names}" if names else "[attachment]"


def _date(msg: EmailMessage) -> datetime:
    """`Date`, else when our server received it (the newest `Received` line's date), else now."""
    received = [line.rpartition(";")[2] for line in headers(msg, "Received")]
    for value in (header(msg, "Date"), *received[:1]):
        try:
            parsed = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _language(msg: EmailMessage) -> str | None:
    value = header(msg, "Content-Language").strip().lower()[:2]
    return value if len(value) == 2 and value.isalpha() else None

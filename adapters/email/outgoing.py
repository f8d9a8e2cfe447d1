"""The reply as a mail: threaded, from our address, and marked automatic when it is.

`In-Reply-To` and `References` make the customer's client file it under their mail. Automatic
replies carry `Auto-Submitted: auto-replied` (RFC 3834), so compliant auto-responders never
answer them, and `X-Auto-Response-Suppress: All`, which Exchange and Outlook honour; replies a
person approved are a person's mail and carry neither. The Message-ID comes from the outbox
item's idempotency key, so a retried delivery is the same mail to the customer's client.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from adapters.email.config import EmailConfig
from bot.core.models import OutboxItem

REPLY_PREFIXES = ("re:", "aw:", "rv:", "res:")


def new_message(config: EmailConfig, item: OutboxItem, subject: str) -> EmailMessage:
    """A mail of our own to an address on file (a one-time code): nobody's thread to join."""
    msg = _addressed(config, item, str(item.recipient))
    msg["Subject"] = subject
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(item.text)
    return msg


def _addressed(config: EmailConfig, item: OutboxItem, to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((config.display_name, config.address)) if config.display_name else config.address
    msg["To"] = to
    domain = config.address.rsplit("@", 1)[1]
    msg["Message-ID"] = f"<{hashlib.sha256(item.idempotency_key.encode()).hexdigest()[:32]}@{domain}>"
    msg["Date"] = formatdate(usegmt=True)
    return msg


def reply_message(config: EmailConfig, item: OutboxItem, reply_to: dict[str, Any]) -> EmailMessage:
    msg = _addressed(config, item, str(reply_to["address"]))
    subject = str(reply_to.get("subject") or "").strip()
    msg["Subject"] = subject if subject.lower().startswith(REPLY_PREFIXES) else f"Re: {subject}".strip()
    msg["In-Reply-To"] = f"<{reply_to['message_id']}>"
    msg["References"] = " ".join(f"<{ref}>" for ref in reply_to.get("references") or [reply_to["message_id"]])
    if item.account == "robot":
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(item.text)
    return msg

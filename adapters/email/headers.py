"""Header values of a parsed mail that never raise, whatever the sender wrote.

Why: with `email.policy.default` the standard library parses a structured header (From,
Reply-To, Message-ID, Date...) when it is read, and on some malformed values its parser raises
(`IndexError`, `AttributeError` on a group, `HeaderParseError`) instead of recording a defect.
One such header made the whole mail unreadable, and since the IMAP poller moves its cursor only
past a mail it has read, the mailbox stalled on it, retried at every reconnect. A header that
will not parse is read as its raw text instead (unfolded), and an address list that will not
parse as no address. 8-bit bytes in a header (no RFC 2047 encoding) are read as UTF-8.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import getaddresses

from bot.core.input_safety import repaired


def header(msg: EmailMessage, name: str) -> str:
    """The header's text ('' when absent); its raw text when the parser fails on it."""
    try:
        value = msg.get(name)
    except Exception:
        value = raw_header(msg, name)
    return "" if value is None else _text(str(value))


def headers(msg: EmailMessage, name: str) -> list[str]:
    """Every occurrence of the header (`Received` lines), raw text for those that fail to parse."""
    try:
        return [_text(str(value)) for value in msg.get_all(name) or []]
    except Exception:
        return [value for key, value in _raw_items(msg) if key.lower() == name.lower()]


def raw_header(msg: EmailMessage, name: str) -> str | None:
    """The first occurrence's value as the sender wrote it, unfolded (None when absent)."""
    for key, value in _raw_items(msg):
        if key.lower() == name.lower():
            return value
    return None


def first_address(msg: EmailMessage, name: str) -> tuple[str, str]:
    """(display name, address) of the header's first address; ('', '') when none can be read."""
    try:
        pairs = getaddresses([header(msg, name)])
    except Exception:
        return "", ""
    return pairs[0] if pairs else ("", "")


def _raw_items(msg: EmailMessage) -> list[tuple[str, str]]:
    # `raw_items` hands back the values as stored, before the policy's header parser sees them.
    return [(str(key), _text(" ".join(str(value).split()))) for key, value in msg.raw_items()]


def _text(value: str) -> str:
    """`value` as text that encodes: 8-bit bytes in a header arrive as lone surrogates (the
    parser's `surrogateescape`), which no later step could encode; they are decoded as UTF-8
    where they are, and any other lone surrogate is replaced (`bot.core.input_safety.repaired`)."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return str(repaired(value))

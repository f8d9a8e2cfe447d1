"""What the customer wrote in one mail: the new text only, attachments as metadata.

Mail carries its whole history: quoted replies, "On ... wrote:" headers, Outlook's reply block,
signatures, "Sent from my phone". Left in, they make the pipeline read the previous answer (ours,
often) as the customer's words, so they are cut before reading. Plain text is preferred; an
HTML-only mail is converted (quoted blocks dropped there too). Charsets come from the MIME
headers through the stdlib `email` package (`policy.default`), with a replacement character for
bytes a sender mislabelled rather than a crash.
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message
from typing import Any

from adapters.html_text import html_to_text

_REPLY_HEADER = re.compile(
    r"^\s*(on\b.+\bwrote|el\b.+\bescribi[oó]|em\b.+\bescreveu|le\b.+\ba [ée]crit|am\b.+\bschrieb.*)\s*:\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|mensaje original|mensagem original|forwarded message|"
    r"mensaje reenviado|mensagem encaminhada)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|de|von)\s*:\*?\s+\S", re.IGNORECASE)
# The line after Outlook's "From:" in its reply header, in the languages of our customers.
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(sent|enviad[oa](\s+(el|em))?|envoy[ée]|date|fecha|data|gesendet|to|para|[àa]|an|cc|"
    r"subject|asunto|assunto|objet|betreff)\s*\*?:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(-- ?|—)$")
_MOBILE = re.compile(
    r"^\s*(sent from my|enviado desde mi|enviado do meu|enviado de mi|get outlook for|"
    r"obtener outlook para)\b",
    re.IGNORECASE,
)


def new_text(plain: str) -> str:
    """`plain` without quoted history and signature."""
    lines = plain.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _SEPARATOR.match(line) or _SIGNATURE.match(line.rstrip()) or _MOBILE.match(line):
            break
        if _REPLY_HEADER.match(line) or _REPLY_HEADER.match(f"{line} {following}"):
            break  # "On <date>, <name> wrote:" (sometimes wrapped onto two lines)
        if _OUTLOOK_FROM.match(line) and _OUTLOOK_NEXT.match(following):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    text = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def part_text(part: Message) -> str:
    """Decoded text of one part; a wrong or unknown charset degrades, never raises."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def body_text(msg: EmailMessage) -> tuple[str, str]:
    """(the customer's new text, which part it came from: plain | html | none)."""
    try:
        return _preferred_body(msg)
    except Exception:  # the stdlib's MIME walk raises on some malformed structures
        return _first_readable_part(msg)


def _preferred_body(msg: EmailMessage) -> tuple[str, str]:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", "none"
    if body.get_content_type() == "text/plain":
        plain = new_text(part_text(body))
        html = msg.get_body(preferencelist=("html",))
        if plain or html is None:
            return plain, "plain"
        body = html  # an empty plain alternative beside the HTML one: the HTML is the mail
    return new_text(html_to_text(part_text(body))), "html"


def _first_readable_part(msg: EmailMessage) -> tuple[str, str]:
    """The first text part that can be read, part by part: one broken part (a NUL in a
    parameter, a bad boundary) loses that part, not the customer's words in the others."""
    for part in msg.walk():
        try:
            kind = part.get_content_type()
            if kind not in ("text/plain", "text/html") or part.get_content_disposition() == "attachment":
                continue
            text = part_text(part)
        except Exception:
            continue
        if kind == "text/plain" and (plain := new_text(text)):
            return plain, "plain"
        if kind == "text/html" and (html := new_text(html_to_text(text))):
            return html, "html"
    return "", "none"


def attachments(msg: EmailMessage) -> list[dict[str, Any]]:
    """Name, type and size of each attachment: kept for people, never read or stored."""
    try:
        parts = list(msg.iter_attachments())
    except Exception:  # a malformed structure: no attachment list rather than no mail
        return []
    found: list[dict[str, Any]] = []
    for part in parts:
        try:
            payload = part.get_payload(decode=True)
            found.append(
                {
                    "filename": part.get_filename() or "",
                    "content_type": part.get_content_type(),
                    "size": len(payload) if isinstance(payload, bytes) else 0,
                }
            )
        except Exception:
            found.append({"filename": "", "content_type": "application/octet-stream", "size": 0})
    return found

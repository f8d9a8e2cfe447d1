"""Which mail a robot must never answer, and why: the half of loop prevention that listens.

Two auto-responders answering each other forever is the classic e-mail disaster. RFC 3834 says
how automatic mail identifies itself (`Auto-Submitted`), and real systems add their own marks
(`Precedence`, `X-Autoreply`, Microsoft's `X-Auto-Response-Suppress` on out-of-office notes,
null return paths on bounces). Two outcomes:

- `skip_reason`: not a customer message at all (delivery reports, auto-replies, machine
  notifications, our own mail): counted and dropped at translation.
- `automated_reason`: written for many or by a machine, but possibly worth seeing (a mailing
  list, a newsletter, a no-reply notification from a complaint portal; a `Precedence: bulk`
  mail that answers another, as vacation programs mark theirs, is an auto-reply instead):
  kept, with the author flagged as a bot so the pipeline only monitors it and the guards
  refuse any automatic reply.

The other half is ours: every automatic reply says `Auto-Submitted: auto-replied`.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

from adapters.email.headers import first_address, header

NOREPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|notifications?|bounces?)([+\-.].*)?$"
)
DAEMON = re.compile(r"^(mailer[-_]?daemon|postmaster|mail[-_]?daemon)$")
AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|respuesta autom[aá]tica|"
    r"fuera de la oficina|resposta autom[aá]tica|fora do escrit[oó]rio|abwesenheitsnotiz|"
    r"r[ée]ponse automatique|absence)\b",
    re.IGNORECASE,
)


def sender(msg: EmailMessage) -> str:
    """The From address, lower case ('' when missing or unreadable)."""
    return first_address(msg, "From")[1].strip().lower()


def skip_reason(msg: EmailMessage, own: set[str], address: str) -> str | None:
    """`address` is `sender(msg)`, read once by the caller (header parsing is the costly part)."""
    if msg.get_content_type() == "multipart/report":
        return "delivery_report"  # DSN bounces and read receipts (RFC 3464 / 8098)
    if address in own:
        return "own_message"
    local = address.split("@", 1)[0]
    if DAEMON.match(local):
        return "auto_generated"
    auto = header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return "auto_reply" if auto.startswith("auto-replied") else "auto_generated"
    if header(msg, "X-Autoreply") or header(msg, "X-Autorespond") or header(msg, "X-Autoresponder"):
        return "auto_reply"
    precedence = header(msg, "Precedence").strip().lower()
    if precedence == "auto_reply":
        return "auto_reply"
    if precedence in ("bulk", "junk") and (header(msg, "In-Reply-To") or header(msg, "References")):
        return "auto_reply"  # a bulk-marked answer to a mail: what vacation programs send
    suppress = header(msg, "X-Auto-Response-Suppress").lower()
    if AUTO_SUBJECT.match(header(msg, "Subject")) or ("oof" in suppress and "all" in suppress):
        return "auto_reply"
    if header(msg, "Return-Path").strip() == "<>":
        return "auto_generated"  # the null sender: a bounce or another machine's notice
    return None


def automated_reason(msg: EmailMessage, address: str) -> str | None:
    precedence = header(msg, "Precedence").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        return f"precedence_{precedence}"
    if header(msg, "List-Id") or header(msg, "List-Unsubscribe") or header(msg, "List-Post"):
        return "mailing_list"
    if NOREPLY.match(address.split("@", 1)[0]):
        return "noreply_sender"
    return None

"""Real mail servers for the e-mail tests: a throw-away Dovecot (IMAP) and an aiosmtpd (SMTP).

Dovecot runs from a generated config under the test's tmp dir: 127.0.0.1 on an ephemeral port,
maildir storage, one user in a passwd-file, no TLS, its own base/state dirs and log. Mail is
delivered the way a mail server would put it in the box, by IMAP APPEND. aiosmtpd records every
envelope the adapter sends and can be told to defer (4xx) or refuse (5xx) the next one.
`scripts/ensure-dovecot.sh` (run by `make test`) installs Dovecot; without it these fail, never skip.
"""

from __future__ import annotations

import asyncio
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

DOVECOT = os.environ.get("CENTINELA_DOVECOT", "/usr/sbin/dovecot")
USER, PASSWORD = "soporte", "imap-test-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    host: str
    port: int
    root: Path

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Deliver one mail (IMAP APPEND), as a mail server would."""
        with imaplib.IMAP4(self.host, self.port, timeout=10) as imap:
            imap.login(USER, PASSWORD)
            status, detail = imap.append(mailbox, "", None, raw)
            assert status == "OK", detail

    async def deliver(self, raw: bytes) -> None:
        await asyncio.to_thread(self.append, raw)

    def uids(self) -> list[int]:
        with imaplib.IMAP4(self.host, self.port, timeout=10) as imap:
            imap.login(USER, PASSWORD)
            imap.select("INBOX", readonly=True)
            _, data = imap.uid("SEARCH", "ALL")
            return [int(x) for x in data[0].split()]


def _accounts() -> tuple[str, str, int, int]:
    """Internal/login users and the mail owner: Debian's dovecot users when we are root."""
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", owner.pw_uid, owner.pw_gid
    me = pwd.getpwuid(os.geteuid()).pw_name
    return me, me, os.geteuid(), os.getegid()


def _config(root: Path, port: int) -> str:
    internal, login, uid, gid = _accounts()
    group = grp.getgrgid(gid).gr_name
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
login_trusted_networks = 127.0.0.1/8
first_valid_uid = {uid}
first_valid_gid = {gid}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not os.access(DOVECOT, os.X_OK):
        pytest.fail(f"{DOVECOT} not found: run scripts/ensure-dovecot.sh (make test does)", pytrace=False)
    # Not pytest's tmp dir: that is private to us (0700), and Dovecot's own processes run as
    # its unprivileged users when we are root; they must reach the passwd file and the maildir.
    root = Path(tempfile.mkdtemp(prefix="centinela-dovecot-"))
    port = free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    _, _, uid, gid = _accounts()
    os.chown(root / "mail", uid, gid)
    os.chmod(root, 0o755)
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, process, root)
        yield Dovecot("127.0.0.1", port, root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
        if not os.environ.get("CENTINELA_KEEP_DOVECOT"):
            shutil.rmtree(root, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot exited ({process.returncode}): {err} {log}", pytrace=False)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)  # polling a starting server's port, not waiting out a test
    pytest.fail("dovecot did not answer within 20 s", pytrace=False)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpRecorder:
    """aiosmtpd handler: keeps every mail; `answers` scripts the next DATA replies."""

    received: list[Received] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.answers:
            return self.answers.pop(0)
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: SmtpRecorder


def email_section(dovecot: Dovecot, smtp: SmtpServer, address: str, **extra: Any) -> dict[str, Any]:
    """The service's `email:` settings for these two servers (plain IMAP and SMTP on loopback)."""
    return {
        "address": address,
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_ssl": False,
        "imap_user": USER,
        "imap_password": PASSWORD,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_security": "none",
        **extra,
    }


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    recorder = SmtpRecorder()
    port = free_port()
    controller: Any = Controller(recorder, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    try:
        yield SmtpServer("127.0.0.1", port, recorder)
    finally:
        await asyncio.to_thread(controller.stop)

"""The `email:` settings section. Passwords come from the environment
(`CENTINELA_EMAIL__IMAP_PASSWORD`, `CENTINELA_EMAIL__SMTP_PASSWORD`) as `SecretStr`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator


class EmailConfig(BaseModel):
    """One support mailbox: where its mail is read (IMAP) and how replies leave (SMTP).

    `address` is the mailbox's public address: replies come from it, and mail from it (or from
    `own_addresses`) is ours and never decided on. `start_from: new` ignores what is already in
    the mailbox the first time the service sees it (a full inbox is not a backlog to answer);
    `all` reads it too. After that, the UID cursor decides.
    """

    address: str = Field(description="the support address replies come from")
    display_name: str = Field("", description="name shown beside the address")
    own_addresses: list[str] = Field(default_factory=list, description="our other addresses and aliases")
    imap_host: str
    imap_port: int = Field(993, ge=1, le=65535)
    imap_ssl: bool = True
    imap_user: str
    imap_password: SecretStr
    mailbox: str = "INBOX"
    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    idle: bool = Field(True, description="use IMAP IDLE when the server offers it")
    poll_s: float = Field(60.0, gt=0, description="check interval without IDLE")
    idle_timeout_s: float = Field(25 * 60.0, gt=0, description="re-issue IDLE before servers drop it")
    start_from: Literal["new", "all"] = "new"
    fetch_batch: int = Field(50, ge=1, le=1000)
    max_message_bytes: int = Field(10 * 1024 * 1024, gt=0, description="larger mails are skipped")
    timeout_s: float = Field(30.0, gt=0)
    enabled: bool = True

    @field_validator("address")
    @classmethod
    def _an_address(cls, value: str) -> str:
        if "@" not in value or value.startswith("@") or value.endswith("@"):
            raise ValueError("address must be an e-mail address")
        return value.strip().lower()

    @property
    def own(self) -> set[str]:
        return {self.address, *(a.strip().lower() for a in self.own_addresses)}

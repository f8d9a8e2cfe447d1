"""Customers identifying themselves in a private message: what is recognised, and what is kept.

Why a code and not the number alone: a contract number or an e-mail address is not a secret
(it is printed on invoices, quoted in threads), so whoever writes it must also prove they read
the mail sent to the address on file. The code is kept only as a salted hash with an expiry and
an attempt count, under the identity that asked for it; the texts that recognise the data also
mask it, so a number written on a public channel never reaches a log or a stored reply.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, Field, field_validator

ClaimKind = Literal["email", "contract", "code"]

EMAIL: Final = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A contract reference as companies print them: letters, an optional dash, digits (CT-778899).
DEFAULT_CONTRACT: Final = r"\b[A-Z]{2,4}-?\d{5,12}\b"
CODE: Final = re.compile(r"^\D{0,24}(\d{6})\D{0,24}$")
MASK: Final = "***"


class SelfIdClaim(BaseModel):
    """What a private message offers: an e-mail, a contract number, or the code sent before."""

    kind: ClaimKind
    value: str


def find_claim(text: str, contract: re.Pattern[str]) -> SelfIdClaim | None:
    """The first e-mail or contract number in `text`, or None (the code is recognised apart)."""
    if (email := EMAIL.search(text)) is not None:
        return SelfIdClaim(kind="email", value=email.group(0).lower())
    if (number := contract.search(text)) is not None:
        return SelfIdClaim(kind="contract", value=normal_contract(number.group(0)))
    return None


def find_code(text: str) -> str | None:
    """A short message that is a 6-digit code ("123456", "el código es 123456")."""
    found = CODE.match(text.strip())
    return found.group(1) if found else None


def normal_contract(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


def lookup_key(kind: Literal["email", "contract"], value: str) -> str:
    """A customer's look-up record id: a digest, so the index holds no personal data itself."""
    normal = value.strip().lower() if kind == "email" else normal_contract(value)
    return hashlib.sha256(f"{kind}:{normal}".encode()).hexdigest()[:32]


def mask_email(address: str) -> str:
    """j***@ejemplo.com: enough for the customer to recognise the address, not to learn it."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}{MASK}@{domain}" if domain else MASK


def mask_personal(text: str, contract: re.Pattern[str]) -> str:
    """`text` with every e-mail address and contract number masked (for logs and stored copies)."""
    return contract.sub(MASK, EMAIL.sub(lambda m: mask_email(m.group(0)), text))


def code_digest(code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def one_time_code(secret: bytes, message_key: str, customer_id: str) -> str:
    """The code for one claim: derived from the claim, so a redelivered claim mails the same code."""
    digest = hmac.new(secret, f"{message_key}\x00{customer_id}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


class Challenge(BaseModel):
    """A code waiting for its identity's answer (record id: the identity id)."""

    customer_id: str
    code_hash: str
    salt: str
    message_key: str = Field(description="the claim that asked for it: a redelivery starts nothing new")
    expires_at: datetime
    wrong: list[str] = Field(default_factory=list, description="message keys of wrong answers")
    locked_until: datetime | None = None
    confirmed_by: str | None = None
    language: str = Field("", description="the claim's language: the answer to a bare code uses it")

    def matches(self, code: str) -> bool:
        return hmac.compare_digest(self.code_hash, code_digest(code, self.salt))

    def data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class SelfIdSettings(BaseModel):
    """`self_id:` (`CENTINELA_SELF_ID__*`): customers confirming who they are by private message.

    On by default and inert until customers with an e-mail on file exist and the `email:`
    adapter can send the code; without an address on file the customer is told so and a person
    takes over.
    """

    enabled: bool = True
    code_ttl_s: float = Field(15 * 60.0, gt=0, description="how long a code can be answered")
    max_attempts: int = Field(3, ge=1, description="wrong answers before the identity is locked out")
    lockout_s: float = Field(30 * 60.0, gt=0, description="how long a locked-out identity waits")
    window_s: float = Field(3600.0, gt=0, description="the window the two code limits count in")
    codes_per_identity: int = Field(3, ge=1, description="codes one channel identity may ask for per window")
    codes_per_customer: int = Field(5, ge=1, description="codes mailed to one customer per window")
    contract_pattern: str = Field(DEFAULT_CONTRACT, description="regex of a contract number")

    @field_validator("contract_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex {value!r}: {exc}") from exc
        return value

    def contract(self) -> re.Pattern[str]:
        return re.compile(self.contract_pattern)

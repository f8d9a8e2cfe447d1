"""The `x:` settings section: which accounts to listen on and to answer from, and their tokens.

Environment variables (secrets never go in the YAML file): `CENTINELA_X__BEARER_TOKEN` (the
app's bearer token, read-only: it polls the mentions), `CENTINELA_X__ROBOT__USER_ID`,
`CENTINELA_X__ROBOT__HANDLE`, `CENTINELA_X__ROBOT__TOKEN` (an OAuth 2.0 user access token of the
robot account with `tweet.read tweet.write users.read`), and the same under `OFFICIAL__`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator


class XAccount(BaseModel):
    """One of our X accounts: listened on (its mentions), and answered from when it has a token."""

    user_id: str = Field(pattern=r"^[0-9]{1,20}$")
    handle: str = Field(min_length=2, description="@handle, used to recognise our own tweets")
    token: SecretStr | None = Field(None, description="OAuth 2.0 user access token to post as it")

    @field_validator("handle")
    @classmethod
    def _at(cls, value: str) -> str:
        return value if value.startswith("@") else "@" + value


class XConfig(BaseModel):
    """Polling and posting on X (API v2)."""

    bearer_token: SecretStr
    robot: XAccount
    official: XAccount | None = None
    base_url: str = "https://api.x.com"
    poll_interval_s: float = Field(60.0, gt=0, description="between two polls of the mentions")
    max_results: int = Field(100, ge=5, le=100, description="mentions per page")
    max_pages: int = Field(10, ge=1, description="pages read per poll before the next account")
    timeout_s: float = Field(10.0, gt=0)
    enabled: bool = True

    def accounts(self) -> list[XAccount]:
        return [a for a in (self.robot, self.official) if a is not None]

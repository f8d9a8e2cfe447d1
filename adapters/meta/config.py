"""The `meta:` settings section: one Meta app, its webhook, a Page, an Instagram account, WhatsApp.

Environment variables for the secrets: `CENTINELA_META__APP_SECRET` (signs every webhook),
`CENTINELA_META__VERIFY_TOKEN` (the string typed into the app's webhook settings),
`CENTINELA_META__PAGE_TOKEN` (a Page access token: comments, Messenger and Instagram replies)
and `CENTINELA_META__WHATSAPP_TOKEN` (a system-user token with `whatsapp_business_messaging`).
Ids may live in the YAML file. Meta has one identity per Page, Instagram account and number,
so robot and official replies both come from it; automatic ones say so in their text.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator


class MetaConfig(BaseModel):
    """Graph webhooks in, Graph API replies out."""

    app_secret: SecretStr
    verify_token: SecretStr
    page_id: str | None = Field(None, description="Facebook Page id (its own comments are skipped)")
    page_token: SecretStr | None = None
    instagram_id: str | None = Field(None, description="Instagram professional account id")
    whatsapp_phone_number_id: str | None = None
    whatsapp_token: SecretStr | None = None
    base_url: str = "https://graph.facebook.com"
    graph_version: str = Field("v21.0", pattern=r"^v[0-9]+\.[0-9]+$")
    webhook_path: str = "/webhooks/meta"
    max_bytes: int = Field(1_048_576, gt=0)
    timeout_s: float = Field(10.0, gt=0)
    rate_limit_wait_s: float = Field(
        60.0, gt=0, description="wait after a Graph rate-limit error that names no time"
    )
    enabled: bool = True

    @model_validator(mode="after")
    def _pairs(self) -> MetaConfig:
        if self.page_token is not None and not self.page_id:
            raise ValueError("page_token needs page_id")
        if self.whatsapp_token is not None and not self.whatsapp_phone_number_id:
            raise ValueError("whatsapp_token needs whatsapp_phone_number_id")
        return self

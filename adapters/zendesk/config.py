"""Zendesk Support settings (`CENTINELA_CRM__ZENDESK__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ZendeskConfig(BaseModel):
    base_url: str = Field(description="https://<subdomain>.zendesk.com")
    email: str = Field(description="the agent the API token belongs to")
    api_token: SecretStr
    webhook_secret: SecretStr | None = Field(
        None, description="the signing secret of the Zendesk webhook that reports status changes"
    )
    channel_field_id: int | None = Field(None, description="ticket custom field for the channel")
    link_field_id: int | None = Field(None, description="ticket custom field for the conversation link")
    contract_field: str | None = Field(
        "contract_number", description="key of the user field holding the contract number (customer look-up)"
    )
    timeout_s: float = Field(15.0, gt=0)

"""Whether a message is public comes from the channels' table, however it is asked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from bot.core.channels import CAPABILITIES, PUBLIC_CHANNELS, capabilities
from bot.core.context import MessageContext
from bot.core.models import Channel
from tests.conftest import make_message


def test_public_channels_are_the_tables_public_rows() -> None:
    for channel in (*get_args(Channel), *CAPABILITIES, "carrier-pigeon"):
        assert (channel in PUBLIC_CHANNELS) is capabilities(channel).public, channel


def test_message_and_context_agree_with_the_table() -> None:
    at = datetime(2026, 5, 20, tzinfo=UTC)
    for channel in get_args(Channel):
        message = make_message(channel=channel)
        ctx = MessageContext(message=message, now=at)
        assert message.is_public is ctx.public is capabilities(channel).public, channel

"""The `discourse:` settings section. Secrets come from the environment
(`CENTINELA_DISCOURSE__WEBHOOK_SECRET`, `CENTINELA_DISCOURSE__API_KEY`), never from the YAML file
in a repository, and are `SecretStr` so they never reach a log line."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator


class DiscourseConfig(BaseModel):
    """One Discourse site: where it is, how it signs webhooks, who the replies come from.

    Discourse is self-hosted, so there is no default site: `base_url` is the forum's root
    (tests point it at a fake). `robot_username` posts the automatic answers and
    `official_username` the replies a person approved; both must be users the API key may post
    as (an "All users" key, or one key per user is not supported).

    `topics_from_topic_events` exists because a new topic fires two webhooks, `topic_created`
    (the title) and its first post's `post_created` (title and body), as separate jobs in no
    guaranteed order, under one message id: whichever reaches the intake first is decided, the
    other is a duplicate. With Post Events on (the documented set-up) the topic event is skipped,
    so the decision always reads the body; a site that sends only Topic Events turns it on and
    is decided on titles.
    """

    base_url: str = Field(description="forum root, e.g. https://comunidad.example.com")
    webhook_secret: SecretStr = Field(description="the secret typed into the webhook's settings")
    api_key: SecretStr = Field(description="an admin API key allowed to post as both users")
    robot_username: str = Field(min_length=1, description="user of the automatic answers")
    official_username: str = Field(min_length=1, description="user of the approved replies")
    categories: list[int] = Field(
        default_factory=list, description="category ids to listen to; empty means every category"
    )
    skip_if_answered: bool = Field(
        True, description="no automatic answer in a topic with an accepted solution or a staff reply"
    )
    skip_staff_posts: bool = Field(True, description="posts by staff are our people talking, not questions")
    topics_from_topic_events: bool = Field(
        False,
        description=(
            "decide a new topic on its `topic_created` (title only); for sites sending Topic Events"
            " but not Post Events. Off: `topic_created` is skipped (`topic_created_awaits_post`)"
            " because the first post's `post_created` brings title and body"
        ),
    )
    max_bytes: int = Field(1_048_576, gt=0, description="webhook body cap (413 above)")
    timeout_s: float = Field(15.0, gt=0, description="per API request")
    enabled: bool = True

    @field_validator("base_url")
    @classmethod
    def _http_root(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

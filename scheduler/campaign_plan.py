"""Every post a campaign will make, with its local and UTC time, or why it cannot make it.

One entry per step, channel and language (FORMATS.md). The same expansion serves `preview`
(shown to people before approval), definition time (a file with any problem is refused, so a
text over a channel's limit is caught when the campaign is defined, not when it would post) and
the scheduler (which keys each entry `campaign:{id}:step:{n}:{utc}:{channel}:{lang}`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.channels import CAPABILITIES, capabilities
from scheduler.campaign_file import CampaignDefinition, CampaignStep, FileProblem, parse_campaign
from scheduler.step_times import StepTime, StepTimeError, local_instant, step_date

DEFAULT_LANGUAGES = ("es", "en", "pt")


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """One post of one step on one channel in one language."""

    n: int
    at: StepTime
    channel: str
    lang: str
    text: str
    length: int
    limit: int

    def key(self, campaign_id: str) -> str:
        """The outbox idempotency key: the same post, whoever enqueues it and however often."""
        return f"campaign:{campaign_id}:step:{self.n}:{self.at.utc_text}:{self.channel}:{self.lang}"

    def preview(self) -> dict[str, object]:
        return {
            "n": self.n,
            "at_local": self.at.local.isoformat(),
            "at_utc": self.at.utc_text,
            "channel": self.channel,
            "lang": self.lang,
            "text": self.text,
            "length": self.length,
            "limit": self.limit,
        }


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """A file's campaign id, its posts in order, and its problems (none: it may be defined)."""

    campaign_id: str | None
    definition: CampaignDefinition | None
    posts: list[PlannedPost]
    errors: list[FileProblem]

    @property
    def ok(self) -> bool:
        return self.definition is not None and not self.errors

    def preview(self) -> dict[str, object]:
        """The `campaigns preview --json` object, exactly as FORMATS.md defines it."""
        return {
            "campaign": self.campaign_id,
            "steps": [post.preview() for post in self.posts],
            "errors": [problem.model_dump() for problem in self.errors],
        }

    def due_posts(self, until: datetime) -> list[PlannedPost]:
        return [post for post in self.posts if post.at.utc <= until]


def plan_text(text: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> CampaignPlan:
    """Parse a campaign file's text and expand it."""
    definition, problems, campaign_id = parse_campaign(text)
    if definition is None:
        return CampaignPlan(campaign_id, None, [], problems)
    return plan_definition(definition, languages)


def plan_definition(
    definition: CampaignDefinition, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> CampaignPlan:
    errors = _channel_problems(definition)
    posts: list[PlannedPost] = []
    known = [c for c in definition.channels if c in CAPABILITIES]
    for n, step in enumerate(definition.steps, start=1):
        at, problem = _step_time(definition, step, n)
        if problem is not None:
            errors.append(problem)
        for channel in known:
            for lang, text in step.texts(channel).items():
                if lang not in languages:
                    errors.append(_unknown_language(n, channel, lang, languages))
                    continue
                row = capabilities(channel)
                length = row.length(text)
                if length > row.max_length:
                    errors.append(_too_long(n, channel, lang, length, row.max_length))
                if not text.strip():
                    errors.append(FileProblem(step=n, channel=channel, lang=lang, error="empty text"))
                if at is not None:
                    posts.append(PlannedPost(n, at, channel, lang, text, length, row.max_length))
        errors.extend(_stray_channel_texts(definition, step, n))
    return CampaignPlan(definition.id, definition, posts, errors)


def _step_time(
    definition: CampaignDefinition, step: CampaignStep, n: int
) -> tuple[StepTime | None, FileProblem | None]:
    window = definition.window
    try:
        day, wall = step_date(step.at, window.start, window.end)
        if not window.start <= day <= window.end:
            raise StepTimeError(
                f"step outside the window: {step.at!r} is {day}, the window is {window.start} to {window.end}"
            )
        return local_instant(day, wall, window.zone), None
    except StepTimeError as exc:
        return None, FileProblem(step=n, error=str(exc))


def _channel_problems(definition: CampaignDefinition) -> list[FileProblem]:
    """Unknown channels, and channels that cannot carry this kind of campaign."""
    problems = []
    for channel in definition.channels:
        if channel not in CAPABILITIES:
            known = ", ".join(CAPABILITIES)
            problems.append(
                FileProblem(channel=channel, error=f"unknown channel {channel!r} (one of {known})")
            )
        elif definition.segment is None and not capabilities(channel).public:
            problems.append(
                FileProblem(
                    channel=channel,
                    error=f"{channel} has no public posts: reach its people with a segment (private)",
                )
            )
        elif definition.segment is not None and capabilities(channel).public:
            problems.append(
                FileProblem(
                    channel=channel,
                    error=f"{channel} is public: a segment is reached by private message only",
                )
            )
    return problems


def _stray_channel_texts(definition: CampaignDefinition, step: CampaignStep, n: int) -> list[FileProblem]:
    return [
        FileProblem(step=n, channel=channel, error=f"channel_text for {channel!r}, which is not in channels")
        for channel in step.channel_text
        if channel not in definition.channels
    ]


def _unknown_language(n: int, channel: str, lang: str, languages: Sequence[str]) -> FileProblem:
    return FileProblem(
        step=n,
        channel=channel,
        lang=lang,
        error=f"unknown language {lang!r} (one of {', '.join(languages)})",
    )


def _too_long(n: int, channel: str, lang: str, length: int, limit: int) -> FileProblem:
    return FileProblem(
        step=n,
        channel=channel,
        lang=lang,
        error=f"text is {length} characters as {channel} counts them, over its limit of {limit}",
    )

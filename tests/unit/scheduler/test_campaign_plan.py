"""Campaign files: steps at the right local and UTC times (DST included), every error kind."""

from __future__ import annotations

import textwrap

import pytest

from scheduler.campaign_plan import CampaignPlan, plan_text
from tests.paths import SAMPLES

SAMPLE = SAMPLES / "campaigns" / "mayo-50.yaml"


def campaign(body: str) -> CampaignPlan:
    return plan_text(textwrap.dedent(body))


def test_the_sample_expands_to_one_entry_per_step_channel_and_language() -> None:
    plan = plan_text(SAMPLE.read_text(encoding="utf-8"))
    assert plan.ok
    preview = plan.preview()
    assert preview["campaign"] == "mayo-50" and preview["errors"] == []
    steps = preview["steps"]
    assert isinstance(steps, list) and len(steps) == 3 * 2 * 3
    first = steps[0]
    assert first == {
        "n": 1,
        "at_local": "2026-05-20T09:00:00+02:00",
        "at_utc": "2026-05-20T07:00:00Z",
        "channel": "twitter",
        "lang": "es",
        "text": first["text"],
        "length": len(first["text"]) - len("https://ondanet.example/mayo50") + 23,
        "limit": 280,
    }
    assert [s["at_utc"] for s in steps[::6]] == [
        "2026-05-20T07:00:00Z",
        "2026-05-25T08:00:00Z",
        "2026-05-30T07:00:00Z",
    ]


def test_local_times_follow_the_dst_change_of_late_march() -> None:
    plan = campaign(
        """
        id: dst-march
        name: DST
        window: {start: 2026-03-28, end: 2026-03-30, timezone: Europe/Madrid}
        channels: [twitter]
        steps:
          - {at: "start 09:00", text: {es: uno}}
          - {at: "start+1d 09:00", text: {es: dos}}
          - {at: "end 09:00", text: {es: tres}}
        """
    )
    assert plan.ok, plan.errors
    assert [(p.at.local.isoformat(), p.at.utc_text) for p in plan.posts] == [
        ("2026-03-28T09:00:00+01:00", "2026-03-28T08:00:00Z"),
        ("2026-03-29T09:00:00+02:00", "2026-03-29T07:00:00Z"),
        ("2026-03-30T09:00:00+02:00", "2026-03-30T07:00:00Z"),
    ]


def test_a_skipped_wall_time_is_refused_and_a_repeated_one_is_its_first_occurrence() -> None:
    plan = campaign(
        """
        id: dst-edges
        name: DST edges
        window: {start: 2026-03-29, end: 2026-10-25, timezone: Europe/Madrid}
        channels: [twitter]
        steps:
          - {at: "start 02:30", text: {es: hueco}}
          - {at: "end 02:30", text: {es: doble}}
          - {at: "end 03:30", text: {es: invierno}}
        """
    )
    assert [(e.step, e.error.split(":")[0]) for e in plan.errors] == [(1, "bad time")]
    assert "does not exist in Europe/Madrid" in plan.errors[0].error
    assert [(p.n, p.at.utc_text) for p in plan.posts] == [
        (2, "2026-10-25T00:30:00Z"),  # 02:30 summer time, the first of the two
        (3, "2026-10-25T02:30:00Z"),  # 03:30 winter time (UTC+1)
    ]


@pytest.mark.parametrize(
    ("step_line", "where", "message"),
    [
        (
            '{at: "start 09:00", text: {es: "' + "a" * 281 + '"}}',
            (1, "twitter", "es"),
            "over its limit of 280",
        ),
        ('{at: "start 09:00", text: {fr: "bonjour"}}', (1, "twitter", "fr"), "unknown language 'fr'"),
        ('{at: "end+1d 09:00", text: {es: tarde}}', (1, None, None), "step outside the window"),
        ('{at: "start-2d 09:00", text: {es: pronto}}', (1, None, None), "step outside the window"),
        ('{at: "mañana 09:00", text: {es: x}}', (1, None, None), "bad time"),
        ('{at: "start 25:00", text: {es: x}}', (1, None, None), "bad time"),
        ('{at: "start 09:00", text: {es: "   "}}', (1, "twitter", "es"), "empty text"),
    ],
)
def test_each_step_problem_names_its_step_channel_and_language(
    step_line: str, where: tuple[int | None, str | None, str | None], message: str
) -> None:
    plan = campaign(
        f"""
        id: bad-step
        name: Bad
        window: {{start: 2026-05-20, end: 2026-05-30, timezone: Europe/Madrid}}
        channels: [twitter]
        steps:
          - {step_line}
        """
    )
    assert not plan.ok
    assert [(e.step, e.channel, e.lang) for e in plan.errors] == [where]
    assert message in plan.errors[0].error


def test_links_count_as_the_channel_weighs_them() -> None:
    """270 characters plus a 40-character link is 293 on X (23 per link): over; on Facebook: fine."""
    text = "a" * 269 + " https://ondanet.example/" + "x" * 15
    plan = campaign(
        f"""
        id: links
        name: Links
        window: {{start: 2026-05-20, end: 2026-05-30, timezone: Europe/Madrid}}
        channels: [twitter, facebook]
        steps:
          - {{at: "start 09:00", text: {{es: "{text}"}}}}
        """
    )
    assert [(e.channel, e.error) for e in plan.errors] == [
        ("twitter", "text is 293 characters as twitter counts them, over its limit of 280")
    ]
    assert [(p.channel, p.length) for p in plan.posts] == [("twitter", 293), ("facebook", len(text))]


def test_a_shorter_text_for_one_channel_replaces_the_common_one() -> None:
    plan = campaign(
        """
        id: per-channel
        name: Per channel
        window: {start: 2026-05-20, end: 2026-05-30, timezone: Europe/Madrid}
        channels: [twitter, facebook]
        steps:
          - at: "start 09:00"
            text: {es: largo, en: long}
            channel_text: {twitter: {es: corto}}
        """
    )
    assert plan.ok
    assert [(p.channel, p.lang, p.text) for p in plan.posts] == [
        ("twitter", "es", "corto"),
        ("twitter", "en", "long"),
        ("facebook", "es", "largo"),
        ("facebook", "en", "long"),
    ]


@pytest.mark.parametrize(
    ("channels", "segment", "channel", "message"),
    [
        ("[twitter, tiktok]", "", "tiktok", "unknown channel 'tiktok'"),
        ("[whatsapp]", "", "whatsapp", "has no public posts"),
        ("[twitter]", "segment: {regions: [Madrid]}", "twitter", "private message only"),
    ],
)
def test_channel_problems_name_the_channel(channels: str, segment: str, channel: str, message: str) -> None:
    plan = campaign(
        f"""
        id: channels
        name: Channels
        window: {{start: 2026-05-20, end: 2026-05-30, timezone: Europe/Madrid}}
        channels: {channels}
        {segment}
        steps:
          - {{at: "start 09:00", text: {{es: hola}}}}
        """
    )
    assert [(e.step, e.channel, e.lang) for e in plan.errors] == [(None, channel, None)]
    assert message in plan.errors[0].error


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id: [unclosed", "not valid YAML at line 1"),
        ("- a list", "one YAML mapping"),
        ("id: x\nname: y", "window: Field required"),
        (
            "id: tz\nname: t\nwindow: {start: 2026-05-20, end: 2026-05-30, timezone: Mars/Olympus}\n"
            "channels: [twitter]\nsteps: [{at: 'start 09:00', text: {es: a}}]",
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            "id: rev\nname: r\nwindow: {start: 2026-05-30, end: 2026-05-20, timezone: Europe/Madrid}\n"
            "channels: [twitter]\nsteps: [{at: 'start 09:00', text: {es: a}}]",
            "ends (2026-05-20) before it starts",
        ),
        (
            "id: Bad Id\nname: r\nwindow: {start: 2026-05-20, end: 2026-05-30, timezone: Europe/Madrid}\n"
            "channels: [twitter]\nsteps: [{at: 'start 09:00', text: {es: a}}]",
            "id: String should match pattern",
        ),
    ],
)
def test_shape_problems_are_listed_not_raised(body: str, message: str) -> None:
    plan = plan_text(body)
    assert not plan.ok and plan.posts == []
    assert any(message in e.error for e in plan.errors), plan.errors


def test_a_shape_problem_inside_a_step_names_the_step() -> None:
    plan = plan_text(
        "id: s\nname: s\nwindow: {start: 2026-05-20, end: 2026-05-30, timezone: Europe/Madrid}\n"
        "channels: [twitter]\nsteps: [{at: 'start 09:00', text: {es: a}}, {at: 'end 09:00'}]"
    )
    assert [(e.step, e.error) for e in plan.errors] == [(2, "steps.1.text: Field required")]

"""Spike detection on event time, with synthetic traffic written here (no shared data needed)."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.alerts import SpikeAlert
from bot.pipeline.spikes import SpikeConfig, SpikeDetector, onset_index, poisson_tail
from bot.reading.topics import topic_keys
from tests.paths import TEST_DATA

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BACKGROUND_KEYS = [
    ["topic:billing"],
    ["topic:tv"],
    ["kb:router-reset"],
    ["topic:mobile-signal", "region:dallas", "topic:mobile-signal|region:dallas"],
    ["topic:no-internet", "region:denver", "topic:no-internet|region:denver"],
    [],
    [],
    ["hashtag:#ondanet"],
]


@dataclass(frozen=True)
class Event:
    at: datetime
    key: str
    keys: tuple[str, ...]
    negative: bool


def outage(
    region: str, start: datetime, n: int, *, every_s: float = 15, negative: bool = True
) -> list[Event]:
    keys = ("topic:no-internet", f"region:{region}", f"topic:no-internet|region:{region}")
    return [
        Event(start + timedelta(seconds=i * every_s), f"{region}-{start:%H%M}-{i}", keys, negative)
        for i in range(n)
    ]


def background(start: datetime, minutes: int, *, seed: int = 1, per_min: float = 2.0) -> list[Event]:
    """Mixed-topic traffic whose rate swings slowly between 0 and 2*per_min a minute, plus noise."""
    rnd = random.Random(seed)
    events: list[Event] = []
    t = 0.0
    while t < minutes * 60:
        rate = per_min * (1 + math.sin(t / 1800)) / 60 + 1e-3
        t += rnd.expovariate(rate)
        keys = tuple(rnd.choice(BACKGROUND_KEYS))
        events.append(
            Event(start + timedelta(seconds=t), f"bg{seed}-{len(events)}", keys, rnd.random() < 0.4)
        )
    return [e for e in events if e.at < start + timedelta(minutes=minutes)]


def feed(det: SpikeDetector, events: Iterable[Event], *, sort: bool = True) -> list[SpikeAlert]:
    out: list[SpikeAlert] = []
    for e in sorted(events, key=lambda e: e.at) if sort else events:
        out += det.observe(at=e.at, message_key=e.key, keys=e.keys, negative=e.negative)
    return out


def new(alerts: list[SpikeAlert]) -> list[SpikeAlert]:
    return [a for a in alerts if not a.is_update]


def test_poisson_tail_matches_direct_sum() -> None:
    def direct(n: int, mean: float) -> float:
        return 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(n))

    for n, mean in [(2, 1.0), (5, 0.5), (6, 0.5), (12, 2.7), (40, 10.0)]:
        assert poisson_tail(n, mean) == pytest.approx(direct(n, mean), rel=1e-6)
    assert poisson_tail(3, 5.0) == 1.0  # at or below the mean: never significant, so not computed
    assert poisson_tail(0, 1.0) == 1.0


def test_onset_skips_a_stray_message_before_the_burst() -> None:
    times = [0.0, 200.0, 210.0, 215.0, 222.0, 230.0, 236.0]
    assert onset_index(times, now=240.0, rate_per_s=0.5 / 300) == 1


def test_spike_alerts_once_then_updates() -> None:
    det = SpikeDetector()
    burst_start = T0 + timedelta(minutes=60)
    burst = outage("madrid", burst_start, 60)
    alerts = feed(det, [*background(T0, 90), *burst])
    opened = new(alerts)
    assert len(opened) == 1
    alert = opened[0]
    assert alert.kind == "spike"
    assert alert.topic == "topic:no-internet|region:madrid"
    assert alert.first_message_at == burst_start
    assert alert.at - burst_start <= timedelta(minutes=2)
    assert alert.negative_share == 1.0
    assert set(alert.keys) >= {"topic:no-internet|region:madrid"}
    updates = [a for a in alerts if a.is_update]
    assert updates and {a.alert_id for a in updates} == {alert.alert_id}
    (current,) = det.active()
    assert current.alert_id == alert.alert_id
    assert current.count == 60
    assert sum(c for _, c in current.curve) == 60
    # Updates are rate-limited: nowhere near one per message.
    assert len(updates) < 10


def test_incident_for_links_burst_messages_and_not_other_regions() -> None:
    det = SpikeDetector()
    burst_start = T0 + timedelta(minutes=60)
    alerts = feed(det, [*background(T0, 60), *outage("madrid", burst_start, 20)])
    alert_id = new(alerts)[0].alert_id
    at = burst_start + timedelta(minutes=6)
    assert (
        det.incident_for(["topic:no-internet", "region:madrid", "topic:no-internet|region:madrid"], at)
        == alert_id
    )
    # A complaint that names no region joins the outage through the folded-in broader key...
    assert det.incident_for(["topic:no-internet"], at) == alert_id
    # ...but one from Dallas, or about the bill, does not.
    assert (
        det.incident_for(["topic:no-internet", "region:dallas", "topic:no-internet|region:dallas"], at)
        is None
    )
    assert det.incident_for(["topic:billing"], at) is None
    # After the quiet period there is no incident to join any more.
    assert det.incident_for(["topic:no-internet|region:madrid"], at + timedelta(hours=2)) is None


def test_calm_noise_does_not_alert() -> None:
    for seed in range(3):
        det = SpikeDetector()
        assert feed(det, background(T0, 180, seed=seed, per_min=3.0)) == []


def test_empty_baseline_does_not_alert_on_two_messages() -> None:
    det = SpikeDetector()
    events = [*background(T0, 60), *outage("sevilla", T0 + timedelta(minutes=61), 2)]
    assert feed(det, events) == []


def test_positive_spike_is_a_trend_and_no_incident() -> None:
    det = SpikeDetector()
    start = T0 + timedelta(minutes=60)
    campaign = [
        Event(start + timedelta(seconds=20 * i), f"c{i}", ("topic:promo", "hashtag:#ondanetmayo50"), False)
        for i in range(30)
    ]
    alerts = feed(det, [*background(T0, 100), *campaign])
    opened = new(alerts)
    assert len(opened) == 1
    assert opened[0].kind == "trend"
    assert {"topic:promo", "hashtag:#ondanetmayo50"} <= set(alerts[-1].keys)
    assert det.incident_for(["topic:promo"], start + timedelta(minutes=5)) is None


def test_outage_reported_calmly_is_still_an_incident() -> None:
    # Case messages written matter-of-factly are "neutral": an outage is an incident regardless.
    det = SpikeDetector()
    burst = outage("madrid", T0 + timedelta(minutes=60), 20, negative=False)
    assert [a.kind for a in new(feed(det, [*background(T0, 80), *burst]))] == ["spike"]


def test_a_few_early_complaints_do_not_make_a_campaign_an_incident() -> None:
    det = SpikeDetector()
    start = T0 + timedelta(minutes=60)
    keys = ("hashtag:#ondanetmayo50",)
    # 3 of the first 6 are negative (sarcasm, a billing gripe): still a trend, and 30% stays a trend.
    campaign = [
        Event(start + timedelta(seconds=15 * i), f"c{i}", keys, i in {0, 2, 4, 9, 13, 19}) for i in range(20)
    ]
    alerts = feed(det, [*background(T0, 90), *campaign])
    assert {a.kind for a in alerts} == {"trend"}


def test_trend_turning_negative_is_escalated_in_an_update() -> None:
    det = SpikeDetector()
    start = T0 + timedelta(minutes=60)
    keys = ("hashtag:#ondanetmayo50",)
    praise = [Event(start + timedelta(seconds=10 * i), f"p{i}", keys, False) for i in range(8)]
    backlash = [Event(start + timedelta(seconds=100 + 10 * i), f"n{i}", keys, True) for i in range(30)]
    alerts = feed(det, [*background(T0, 60), *praise, *backlash])
    assert new(alerts)[0].kind == "trend"
    assert len({a.alert_id for a in alerts}) == 1
    assert alerts[-1].kind == "spike"


def test_two_regions_give_two_alerts() -> None:
    det = SpikeDetector()
    madrid = outage("madrid", T0 + timedelta(minutes=60), 40)
    barcelona = outage("barcelona", T0 + timedelta(minutes=64), 40)
    alerts = feed(det, [*background(T0, 90), *madrid, *barcelona])
    topics = sorted(a.topic for a in new(alerts))
    assert topics == ["topic:no-internet|region:barcelona", "topic:no-internet|region:madrid"]
    at = T0 + timedelta(minutes=70)
    ids = {a.topic: a.alert_id for a in new(alerts)}
    bcn = ["topic:no-internet", "region:barcelona", "topic:no-internet|region:barcelona"]
    assert det.incident_for(bcn, at) == ids["topic:no-internet|region:barcelona"]


def test_quiet_period_ends_a_spike_and_a_later_burst_is_new() -> None:
    det = SpikeDetector()
    first = outage("madrid", T0 + timedelta(minutes=60), 30)
    second = outage("madrid", T0 + timedelta(minutes=130), 60, every_s=5)
    alerts = feed(det, [*background(T0, 170), *first, *second])
    opened = new(alerts)
    assert len(opened) == 2
    assert opened[0].alert_id != opened[1].alert_id
    ended = [a for a in alerts if a.ended_at is not None]
    assert ended and ended[0].alert_id == opened[0].alert_id
    assert ended[0].at < opened[1].at


def test_no_second_alert_while_a_long_spike_lasts() -> None:
    det = SpikeDetector()
    # Two hours of complaints every 20 s: one spike, however long it lasts.
    long_outage = outage("madrid", T0 + timedelta(minutes=60), 360, every_s=20)
    alerts = feed(det, [*background(T0, 190), *long_outage])
    assert len(new(alerts)) == 1


def test_event_time_only_arrival_order_is_irrelevant() -> None:
    events = [*background(T0, 90, seed=5), *outage("madrid", T0 + timedelta(minutes=60), 40)]
    in_order = feed(SpikeDetector(), events)
    rnd = random.Random(3)
    # Arrival order jittered by up to 20 s (what a real queue does); created_at unchanged.
    jittered = sorted(events, key=lambda e: e.at + timedelta(seconds=rnd.uniform(0, 20)))
    shuffled = feed(SpikeDetector(), jittered, sort=False)

    def summary(alerts: list[SpikeAlert]) -> list[tuple[str, str, datetime]]:
        return [(a.topic, a.kind, a.first_message_at) for a in new(alerts)]

    assert summary(in_order) == summary(shuffled)
    assert abs(new(in_order)[0].at - new(shuffled)[0].at) <= timedelta(seconds=30)
    # Replaying the same traffic a year later (or at any speed) changes nothing but the dates.
    later = [Event(e.at + timedelta(days=365), e.key, e.keys, e.negative) for e in events]
    replayed = new(feed(SpikeDetector(), later))
    assert [a.first_message_at - timedelta(days=365) for a in replayed] == [
        a.first_message_at for a in new(in_order)
    ]


def test_redelivered_messages_count_once() -> None:
    det = SpikeDetector()
    feed(det, background(T0, 60))
    burst = outage("madrid", T0 + timedelta(minutes=61), 3)
    assert feed(det, burst * 5) == []


def test_memory_stays_bounded_with_many_keys() -> None:
    det = SpikeDetector(SpikeConfig(max_keys=200))
    events = [
        Event(T0 + timedelta(seconds=i), f"m{i}", (f"hashtag:#spam{i}", "topic:billing"), False)
        for i in range(5000)
    ]
    feed(det, events)
    assert len(det._counters) <= 201


def test_small_burst_file_through_topic_keys() -> None:
    rows = [
        json.loads(line) for line in (TEST_DATA / "bursts" / "madrid_small.jsonl").read_text().splitlines()
    ]
    det = SpikeDetector()
    alerts: list[SpikeAlert] = []
    for row in rows:
        at = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
        negative = row["expect"]["sentiment"] == "negative"
        alerts += det.observe(at=at, message_key=row["id"], keys=topic_keys(row["text"]), negative=negative)
    opened = new(alerts)
    first_burst = min(
        datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")) for r in rows if r["burst"]
    )
    assert [(a.kind, a.topic) for a in opened] == [("spike", "topic:no-internet|region:madrid")]
    assert opened[0].first_message_at == first_burst
    assert opened[0].at - first_burst < timedelta(minutes=5)


def _replay_shared(bursts: Path, name: str) -> list[SpikeAlert]:
    det = SpikeDetector()
    alerts: list[SpikeAlert] = []
    for line in (bursts / f"{name}.jsonl").read_text().splitlines():
        row = json.loads(line)
        at = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
        negative = row["expect"]["sentiment"] == "negative"
        alerts += det.observe(at=at, message_key=row["id"], keys=topic_keys(row["text"]), negative=negative)
    return new(alerts)


def test_shared_burst_scenarios(shared_dir: Path) -> None:
    bursts = shared_dir / "eval" / "bursts"
    outage_alerts = _replay_shared(bursts, "outage_madrid")
    assert [(a.kind, a.topic) for a in outage_alerts] == [("spike", "topic:no-internet|region:madrid")]
    assert outage_alerts[0].at <= datetime(2026, 5, 21, 10, 5, tzinfo=UTC)
    assert all(a.kind != "spike" for a in _replay_shared(bursts, "influencer"))
    calm = _replay_shared(bursts, "calm_day")
    assert all(a.kind == "trend" for a in calm)

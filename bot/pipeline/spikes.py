"""Volume spikes per topic key, on event time.

Why event time: the clock is the messages' own `created_at`, never the wall clock, so a replay at
any speed (or a backlog drained after an outage of our own) raises exactly the same alerts.

Why velocity, not totals: a key alerts when the last `window_s` holds far more messages than its
rate over the preceding `baseline_s` predicts (a Poisson tail test). A floor on the expected count
keeps an empty baseline from alerting on two messages, and the expected count is also scaled with
the rest of the traffic so a busy hour does not look like a spike on every key.

Why one alert per spike: the war-room must see one outage, not ninety complaints or five keys
(`topic:no-internet`, `region:madrid`, `#sininternet`...). Keys whose recent messages are mostly an
active alert's messages are folded into it; the alert is named by the most specific key that
carries most of the messages (`topic:no-internet|region:madrid`). It ends after `cooldown_s`
without an elevated window, and only then can the same keys raise a new one.
"""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from bot.core.alerts import SpikeAlert, SpikeKind
from bot.core.models import as_utc


class SpikeConfig(BaseModel):
    """Detector knobs. Defaults are tuned for social customer-care traffic of a mid-size operator."""

    model_config = ConfigDict(frozen=True)

    window_s: float = Field(default=300, gt=0, description="recent window compared with the baseline")
    baseline_s: float = Field(default=3 * 3600, gt=0, description="history before the window")
    warmup_s: float = Field(
        default=600, ge=0, description="history needed before any alert: a cold start knows no rates"
    )
    min_count: int = Field(default=5, ge=2, description="never alert on fewer messages in the window")
    alpha: float = Field(default=1e-4, gt=0, lt=1, description="Poisson tail p-value to open a spike")
    min_ratio: float = Field(default=2.0, ge=1, description="window must hold this many times the expected")
    floor_per_window: float = Field(default=0.5, gt=0, description="lowest expected count per window")
    end_alpha: float = Field(default=0.01, gt=0, lt=1, description="window still elevated below this p")
    cooldown_s: float = Field(default=1200, gt=0, description="quiet time after which a spike is over")
    negative_share: float = Field(
        default=0.5, ge=0, le=1, description="negatives' share (lower bound) for kind=spike"
    )
    incident_topics: frozenset[str] = Field(
        default=frozenset({"no-internet", "mobile-signal"}),
        description="topics whose spikes are incidents whatever the tone: calm outage reports are neutral",
    )
    overlap_share: float = Field(default=0.5, gt=0, le=1, description="same messages -> same spike")
    dominant_share: float = Field(default=0.6, gt=0, le=1, description="a sub-key this dominant names it")
    update_every_messages: int = Field(default=20, ge=1)
    update_every_s: float = Field(default=300, gt=0, description="update at least this often if it grows")
    update_min_s: float = Field(default=60, ge=0, description="but never more often than this")
    max_message_keys: int = Field(default=200, ge=0, description="message keys carried by an alert")
    curve_minutes: int = Field(default=240, ge=1, description="per-minute points carried by an alert")
    max_keys: int = Field(default=5000, ge=10, description="counters kept; least recently used go first")
    max_keys_per_message: int = Field(default=32, ge=1)
    max_events_per_key: int = Field(default=50_000, ge=100, description="hard cap per counter")
    dedupe_messages: int = Field(default=10_000, ge=0, description="recent message keys ignored if seen")


@dataclass(slots=True)
class _Counter:
    """Events of one key: the recent window (with message ids) and the baseline (times only)."""

    window: deque[tuple[float, str, bool]] = field(default_factory=deque)
    baseline: deque[float] = field(default_factory=deque)
    alert_id: str | None = None

    def add(self, t: float, msg: str, negative: bool, window_start: float) -> None:
        if t < window_start:  # late enough to be history already
            bisect.insort(self.baseline, t)
        elif not self.window or t >= self.window[-1][0]:
            self.window.append((t, msg, negative))
        else:  # late message: keep the window sorted
            self.window.insert(bisect.bisect_right(self.window, t, key=lambda e: e[0]), (t, msg, negative))

    def prune(self, window_start: float, baseline_start: float, cap: int) -> None:
        while self.window and self.window[0][0] < window_start:
            self.baseline.append(self.window.popleft()[0])
        while self.baseline and (self.baseline[0] < baseline_start or len(self.baseline) > cap):
            self.baseline.popleft()


@dataclass(slots=True)
class _Alert:
    alert_id: str
    kind: SpikeKind
    topic: str
    keys: set[str]
    first_t: float
    baseline: float
    count: int = 0
    negatives: int = 0
    message_keys: list[str] = field(default_factory=list)
    recent: dict[str, float] = field(default_factory=dict)
    curve: dict[int, int] = field(default_factory=dict)
    last_hot: float = 0.0
    opened_t: float = 0.0
    emitted_count: int = 0
    emitted_t: float = 0.0

    @property
    def topic_part(self) -> str | None:
        return _part(self.topic, "topic")

    @property
    def region(self) -> str | None:
        return _part(self.topic, "region")


def _part(key: str, name: str) -> str | None:
    for piece in key.split("|"):
        kind, _, value = piece.partition(":")
        if kind == name:
            return value
    return None


def _parents(key: str) -> list[str]:
    pieces = key.split("|")
    return pieces if len(pieces) > 1 else []


def _specificity(key: str) -> tuple[int, int]:
    """Region-qualified topics first, then hashtags (a campaign's own name), topics, KB topics."""
    kind = key.partition(":")[0]
    return (key.count("|"), {"hashtag": 3, "topic": 2, "region": 1}.get(kind, 0))


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def poisson_tail(n: int, mean: float) -> float:
    """P(X >= n) for X ~ Poisson(mean), accurate where it matters: in the far upper tail.

    Without scipy: the first term in log space, then the series, whose ratio mean/k < 1 there.
    Counts at or below the mean are never significant, so they simply return 1.
    """
    if n <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if n <= mean:
        return 1.0
    first = math.exp(-mean + n * math.log(mean) - math.lgamma(n + 1))
    term, total, k = 1.0, 1.0, n
    while term > 1e-12 * total and k < n + 10_000:
        k += 1
        term *= mean / k
        total += term
    return min(1.0, first * total)


def onset_index(times: Sequence[float], now: float, rate_per_s: float, min_span_s: float = 60.0) -> int:
    """Index of the burst's first message: the start of the most surprising suffix of `times`.

    A stray message minutes before the burst adds one count but a lot of expected volume, so it
    is left out; a slow first minute of a real burst is kept. Runs only when a spike opens.
    """
    best, best_p = 0, math.inf
    for i, t in enumerate(times):
        p = poisson_tail(len(times) - i, rate_per_s * max(now - t, min_span_s))
        if p < best_p:
            best, best_p = i, p
    return best


class SpikeDetector:
    """Feed every message once with its topic keys; get new spikes and their updates back.

    Not thread-safe and deliberately synchronous: one `observe` costs microseconds, so callers
    in the event loop use it directly and there is nothing to await.
    """

    def __init__(self, config: SpikeConfig | None = None) -> None:
        self.config = config or SpikeConfig()
        self._counters: OrderedDict[str, _Counter] = OrderedDict()
        self._children: dict[str, set[str]] = {}
        self._alerts: dict[str, _Alert] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._total = _Counter()
        self._now = -math.inf
        self._start = math.inf
        self._observed = 0

    # -- public API ------------------------------------------------------------------------------

    def observe(
        self, *, at: datetime, message_key: str, keys: Sequence[str], negative: bool
    ) -> list[SpikeAlert]:
        """Count one message; return the alerts (new or updated) it causes, usually none."""
        cfg = self.config
        if message_key in self._seen:  # redelivered by the queue: counting twice would fake volume
            return []
        self._remember(message_key)
        t = as_utc(at).timestamp()
        self._start = min(self._start, t)
        self._now = now = max(self._now, t)
        window_start = now - cfg.window_s
        if t < window_start - cfg.baseline_s:
            return []
        unique = list(dict.fromkeys(keys))[: cfg.max_keys_per_message]
        self._total.add(t, message_key, negative, window_start)
        self._total.prune(window_start, window_start - cfg.baseline_s, cfg.max_events_per_key * 4)
        for key in unique:
            self._counter(key).add(t, message_key, negative, window_start)
        out: list[SpikeAlert] = []
        self._expire(now, out)
        self._link(t, message_key, unique, negative, out)
        self._detect(now, unique, out)
        self._observed += 1
        if self._observed % 1000 == 0:
            self._sweep(now)
        return out

    def active(self) -> list[SpikeAlert]:
        """Spikes not yet over at the latest event time seen, newest first."""
        live = [a for a in self._alerts.values() if self._now - a.last_hot < self.config.cooldown_s]
        return [self._snapshot(a, self._now, is_update=True) for a in sorted(live, key=lambda a: -a.first_t)]

    def incident_for(self, keys: Sequence[str], at: datetime) -> str | None:
        """The active negative spike a message with these keys belongs to, if any.

        Lets the case responder attach the 1,000th "no internet in Madrid" to one incident. The
        alert named exactly by one of the keys wins over one that merely absorbed a broader key.
        """
        t = as_utc(at).timestamp()
        keyset = set(keys)
        topics, regions = self._parts(keyset)
        best: tuple[int, float, str] | None = None
        for a in self._alerts.values():
            if a.kind != "spike" or t - a.last_hot >= self.config.cooldown_s or t < a.first_t - 60:
                continue
            if self._links(a, keyset, topics, regions):
                rank = (1 if a.topic in keyset else 0, a.first_t, a.alert_id)
                best = rank if best is None or rank > best else best
        return best[2] if best else None

    # -- counting --------------------------------------------------------------------------------

    def _remember(self, message_key: str) -> None:
        if self.config.dedupe_messages:
            self._seen[message_key] = None
            if len(self._seen) > self.config.dedupe_messages:
                self._seen.popitem(last=False)

    def _counter(self, key: str) -> _Counter:
        counter = self._counters.get(key)
        if counter is None:
            self._evict(self.config.max_keys - 1)
            counter = self._counters[key] = _Counter()
            for parent in _parents(key):
                self._children.setdefault(parent, set()).add(key)
        else:
            self._counters.move_to_end(key)
        cfg = self.config
        start = self._now - cfg.window_s
        counter.prune(start, start - cfg.baseline_s, cfg.max_events_per_key)
        return counter

    def _expected(self, counter: _Counter, now: float) -> float:
        """Messages expected in the window: the max of the floor, the key's own past rate, and
        its past share of all traffic applied to the rest of the current window."""
        cfg = self.config
        window_start = now - cfg.window_s
        history = min(cfg.baseline_s, window_start - self._start)
        if history < max(cfg.warmup_s, 1.0):
            return math.inf
        # Upper confidence bound of the rate, not the point estimate: a short or sparse history
        # must not make an ordinary count look surprising (0 seen in 10 min is not "rate 0").
        seen = len(counter.baseline)
        by_time = (seen + 1 + 2 * math.sqrt(seen + 1)) * cfg.window_s / history
        total = len(self._total.baseline)
        by_share = 0.0
        if total >= 20:
            share = min(len(counter.baseline) / total, 0.9)
            others = max(len(self._total.window) - len(counter.window), 0)
            by_share = share * others / (1.0 - share)
        return max(cfg.floor_per_window, by_time, by_share)

    def _sweep(self, now: float) -> None:
        """Drop counters with nothing left in the window or the baseline."""
        cfg = self.config
        start = now - cfg.window_s
        claimed = {k for a in self._alerts.values() for k in a.keys}
        for key in list(self._counters):
            c = self._counters[key]
            c.prune(start, start - cfg.baseline_s, cfg.max_events_per_key)
            if not c.window and not c.baseline and key not in claimed:
                self._drop(key)
        self._evict(cfg.max_keys)

    def _evict(self, keep: int) -> None:
        """Least recently used counters go first; those feeding a live spike are kept."""
        for _ in range(len(self._counters) - keep):
            key, counter = next(iter(self._counters.items()))
            if counter.alert_id in self._alerts:
                self._counters.move_to_end(key)
            else:
                self._drop(key)

    def _drop(self, key: str) -> None:
        del self._counters[key]
        for parent in _parents(key):
            self._children.get(parent, set()).discard(key)

    # -- alerts ----------------------------------------------------------------------------------

    @staticmethod
    def _parts(keyset: Iterable[str]) -> tuple[set[str], set[str]]:
        topics = {v for k in keyset if "|" not in k and (v := _part(k, "topic")) is not None}
        regions = {v for k in keyset if "|" not in k and (v := _part(k, "region")) is not None}
        return topics, regions

    @staticmethod
    def _links(a: _Alert, keyset: set[str], topics: set[str], regions: set[str]) -> bool:
        """A message joins a spike through its exact key, or through a folded-in broader key
        unless it names another region or topic (Dallas is not part of the Madrid outage)."""
        if a.topic in keyset:
            return True
        if not a.keys & keyset:
            return False
        if a.region and regions and a.region not in regions:
            return False
        return not (a.topic_part and topics and a.topic_part not in topics)

    def _link(self, t: float, msg: str, keys: list[str], negative: bool, out: list[SpikeAlert]) -> None:
        cfg = self.config
        keyset = set(keys)
        topics, regions = self._parts(keyset)
        for a in self._alerts.values():
            if not self._links(a, keyset, topics, regions):
                continue
            self._add_member(a, t, msg, negative)
            upgrade = a.kind == "trend" and self._negative(a)
            if upgrade:
                a.kind = "spike"  # a campaign turning sour is escalated, never the other way round
            grown, waited = a.count - a.emitted_count, t - a.emitted_t
            due = grown >= cfg.update_every_messages and waited >= cfg.update_min_s
            due = due or waited >= cfg.update_every_s
            if upgrade or due:
                out.append(self._emit(a, self._now, is_update=True))

    def _add_member(self, a: _Alert, t: float, msg: str, negative: bool) -> None:
        if msg in a.recent:
            return
        a.count += 1
        a.negatives += negative
        a.recent[msg] = t
        if len(a.message_keys) < self.config.max_message_keys:
            a.message_keys.append(msg)
        minute = int(t // 60)
        a.curve[minute] = a.curve.get(minute, 0) + 1
        if len(a.curve) > 2 * self.config.curve_minutes:  # a days-long spike keeps its recent curve
            a.curve = dict(sorted(a.curve.items())[-self.config.curve_minutes :])
        if len(a.recent) > 4 * self.config.max_message_keys + 1000:
            horizon = self._now - 2 * self.config.window_s
            a.recent = {m: mt for m, mt in a.recent.items() if mt >= horizon}

    @staticmethod
    def _share(a: _Alert) -> float:
        return a.negatives / a.count if a.count else 0.0

    def _negative(self, a: _Alert) -> bool:
        """Incident or campaign echo? Judged on the Wilson lower bound (z=1) of the negative share,
        so that 3 complaints among the first 6 campaign posts do not page anyone."""
        if a.topic_part in self.config.incident_topics:
            return True
        if not a.count:
            return False
        n, p = a.count, a.negatives / a.count
        lower = (p + 1 / (2 * n) - math.sqrt(p * (1 - p) / n + 1 / (4 * n * n))) / (1 + 1 / n)
        return lower >= self.config.negative_share

    def _expire(self, now: float, out: list[SpikeAlert]) -> None:
        cfg = self.config
        for a in list(self._alerts.values()):
            counter = self._counters.get(a.topic)
            if counter is not None:
                counter.prune(now - cfg.window_s, now - cfg.window_s - cfg.baseline_s, cfg.max_events_per_key)
                if poisson_tail(len(counter.window), a.baseline) < cfg.end_alpha:
                    a.last_hot = now
            if now - a.last_hot >= cfg.cooldown_s:
                out.append(
                    self._emit(a, now, is_update=True).model_copy(update={"ended_at": _dt(a.last_hot)})
                )
                del self._alerts[a.alert_id]
                for key in a.keys:
                    c = self._counters.get(key)
                    if c is not None and c.alert_id == a.alert_id:
                        c.alert_id = None

    def _detect(self, now: float, keys: list[str], out: list[SpikeAlert]) -> None:
        cfg = self.config
        crossing: list[tuple[str, _Counter, float]] = []
        for key in keys:
            counter = self._counters[key]
            if counter.alert_id in self._alerts or len(counter.window) < cfg.min_count:
                continue
            expected = self._expected(counter, now)
            n = len(counter.window)
            if n >= cfg.min_ratio * expected and poisson_tail(n, expected) < cfg.alpha:
                crossing.append((key, counter, expected))
        crossing.sort(key=lambda c: _specificity(c[0]), reverse=True)
        for key, counter, expected in crossing:
            host = self._overlapping(counter)
            if host is not None:
                self._fold(host, key, counter, now, out)
            else:
                out.append(self._open(key, counter, expected, now))

    def _overlapping(self, counter: _Counter) -> _Alert | None:
        msgs = [m for _, m, _ in counter.window]
        for a in self._alerts.values():
            if sum(m in a.recent for m in msgs) >= self.config.overlap_share * len(msgs):
                return a
        return None

    def _fold(self, a: _Alert, key: str, counter: _Counter, now: float, out: list[SpikeAlert]) -> None:
        """Same messages, same spike: remember the key; rename the spike if the key is more specific
        (a region, a campaign hashtag) and still carries most of its messages."""
        a.keys.add(key)
        counter.alert_id = a.alert_id
        current = self._counters.get(a.topic)
        current_n = len(current.window) if current is not None else 0
        more_specific = _specificity(key) > _specificity(a.topic)
        if more_specific and len(counter.window) >= self.config.dominant_share * current_n:
            a.topic = key
            out.append(self._emit(a, now, is_update=True))

    def _open(self, key: str, counter: _Counter, expected: float, now: float) -> SpikeAlert:
        cfg = self.config
        topic, size = key, 0
        for child in sorted(self._children.get(key, ())):  # name it by the dominant region, if one
            n = len(self._counters[child].window) if child in self._counters else 0
            if n >= cfg.dominant_share * len(counter.window) and n > size:
                topic, size = child, n
        events = list(counter.window)
        first_t = events[onset_index([e[0] for e in events], now, expected / cfg.window_s)][0]
        alert_id = f"spike:{topic}@{_dt(first_t):%Y%m%dT%H%M%SZ}"
        a = _Alert(alert_id=alert_id, kind="trend", topic=topic, keys={key, topic}, first_t=first_t,
                   baseline=expected, last_hot=now, opened_t=now)  # fmt: skip
        members = events if topic == key else [*events, *self._counters[topic].window]
        for t, msg, negative in sorted(members):
            if t >= first_t:
                self._add_member(a, t, msg, negative)
        if self._negative(a):
            a.kind = "spike"
        for k in a.keys:
            self._counters[k].alert_id = alert_id
        self._alerts[alert_id] = a
        return self._emit(a, now, is_update=False)

    def _emit(self, a: _Alert, now: float, *, is_update: bool) -> SpikeAlert:
        a.emitted_count = a.count
        a.emitted_t = now
        return self._snapshot(a, now, is_update=is_update)

    def _snapshot(self, a: _Alert, now: float, *, is_update: bool) -> SpikeAlert:
        last = max(a.curve) if a.curve else int(now // 60)
        first = max(min(a.curve, default=last), last - self.config.curve_minutes + 1)
        curve = [(_dt(m * 60.0), a.curve.get(m, 0)) for m in range(first, last + 1)]
        return SpikeAlert(
            alert_id=a.alert_id,
            kind=a.kind,
            topic=a.topic,
            at=_dt(now),
            first_message_at=_dt(a.first_t),
            count=a.count,
            baseline_per_window=round(a.baseline, 4),
            negative_share=round(self._share(a), 4),
            message_keys=list(a.message_keys),
            curve=curve,
            is_update=is_update,
            keys=sorted(a.keys),
            opened_at=_dt(a.opened_t),
        )

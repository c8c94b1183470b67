"""The YouTube quota arithmetic: the Pacific-time quota day, and how often the
remaining budget lets each query be polled. Pure functions; the clock is passed in."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# YouTube resets every project's quota at midnight Pacific time; the zone, not a fixed
# offset, so that the 23-hour and 25-hour days of daylight saving come out right.
PACIFIC = ZoneInfo("America/Los_Angeles")

# "All day" in capacity statements: a nominal day, so the advice does not wobble on the two
# daylight-saving days.
DAY_SECONDS = 86_400


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        # astimezone() would silently read a naive time as the server's local time.
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")


def pacific_day(now: datetime) -> date:
    """The quota day `now` falls in."""
    _require_aware(now)
    return now.astimezone(PACIFIC).date()


def _midnight(day: date) -> datetime:
    # Midnight always exists in America/Los_Angeles (the clocks change at 02:00).
    return datetime.combine(day, time(0), tzinfo=PACIFIC).astimezone(UTC)


def day_start(now: datetime) -> datetime:
    """The last quota reset at or before `now` (aware, UTC): count today's spending from here."""
    return _midnight(pacific_day(now))


def next_reset(now: datetime) -> datetime:
    """The next quota reset strictly after `now`: midnight Pacific, aware, UTC."""
    return _midnight(pacific_day(now) + timedelta(days=1))


def humanise(seconds: float) -> str:
    """A duration in the units a person reads: "0.5 s", "10 s", "4 min 48 s", "14 min",
    "1 h 26 min". Two units at most; rounded half up."""
    if seconds < 0 or math.isnan(seconds):
        raise ValueError(f"a duration cannot be {seconds}")

    def half_up(value: float) -> int:
        return math.floor(value + 0.5)

    if seconds < 9.95 and half_up(seconds * 10) % 10:
        return f"{half_up(seconds * 10) / 10:.1f} s"
    whole = half_up(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 600:
        # Under ten minutes the seconds still matter to whoever tunes the interval.
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    minutes = half_up(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _count(amount: int, one: str, many: str) -> str:
    return f"{amount:,} {one if amount == 1 else many}"


def _spread(span: float, polls: int) -> float:
    """The shortest interval at which polls at 0, i, 2i, ... before `span` number at most
    `polls` (> 0)."""
    interval = span / polls
    # span / (span / polls) can round to a hair above polls, and ceil() then counts one poll
    # too many; nudge the interval up until it cannot.
    while math.ceil(span / interval) > polls:
        interval = math.nextafter(interval, math.inf)
    return interval


@dataclass(frozen=True, slots=True)
class Pacing:
    """How often to poll each query now, and why, in numbers and in a sentence.

    When `paused` (no usable key, or too little quota left to poll every query once) no query
    may be polled before `resume_at`, the next reset; `interval_seconds` is then the time until
    it, so a caller that simply waits one interval from now lands on the reset. Use
    `next_poll_at()` rather than adding the interval to the last poll by hand.
    """

    computed_at: datetime
    interval_seconds: float  # per query: max(wanted, what today's remaining budget allows)
    paused: bool
    usable_keys: int
    sentence: str

    @property
    def resume_at(self) -> datetime:
        """The next quota reset (aware, UTC)."""
        return next_reset(self.computed_at)

    def next_poll_at(self, *, last_poll: datetime | None) -> datetime:
        """When a query last polled at `last_poll` (None: never) may poll next."""
        if self.paused:
            return self.resume_at
        if last_poll is None:
            return self.computed_at
        return last_poll + timedelta(seconds=self.interval_seconds)


def units_left(*, spent_units: Sequence[int], budget_per_key: int) -> list[int]:
    """What each key can still spend today (an overspent key has nothing left)."""
    return [max(0, budget_per_key - spent) for spent in spent_units]


def polls_affordable(*, spent_units: Sequence[int], budget_per_key: int, cost_per_poll: int) -> int:
    """Whole polls the keys can still pay for before the reset. Each poll is paid by one key, so
    a key's leftover below `cost_per_poll` buys nothing."""
    left = units_left(spent_units=spent_units, budget_per_key=budget_per_key)
    return sum(units // cost_per_poll for units in left)


def full_day_interval(*, usable_keys: int, queries: int, polls_per_key: int) -> float | None:
    """The interval per query that fresh budgets keep all day, `polls_per_key` the whole polls
    a key's daily budget pays for; None: not even once a day."""
    polls = usable_keys * polls_per_key // queries if queries else 0
    return _spread(DAY_SECONDS, polls) if polls else None


def keys_needed(*, queries: int, wanted: float, polls_per_key: int) -> int:
    """Keys a poll of every query every `wanted` seconds needs for a whole fresh day."""
    if queries == 0:
        return 0
    # The tolerance keeps 86400 / 0.1 = 864000.0000000001 from asking for a poll too many.
    polls_per_query = math.ceil(DAY_SECONDS / wanted - 1e-9)
    return math.ceil(polls_per_query * queries / polls_per_key)


def plan(
    *,
    now: datetime,
    usable_keys: int,
    spent_units: Sequence[int],
    queries: int,
    wanted_interval: float,
    budget_per_key: int,
    cost_per_poll: int,
) -> Pacing:
    """Pace polling so that today's remaining budget lasts until the next Pacific reset.

    `spent_units` holds what each usable key has already spent today (one entry per key): see
    `polls_affordable()`. Recomputing after keys are added or after the reset shortens the
    interval again.
    """
    _require_aware(now)
    if usable_keys < 0 or queries < 0:
        raise ValueError("usable_keys and queries cannot be negative")
    if len(spent_units) != usable_keys:
        raise ValueError(
            f"spent_units needs one entry per usable key: {len(spent_units)} for {usable_keys}"
        )
    if not wanted_interval > 0:
        raise ValueError(f"wanted_interval must be positive, got {wanted_interval}")
    if cost_per_poll < 1 or budget_per_key < cost_per_poll:
        raise ValueError(
            f"a key's budget ({budget_per_key} units) must pay for at least one poll "
            f"({cost_per_poll} units): check the quota settings"
        )

    seconds_to_reset = (next_reset(now) - now).total_seconds()
    affordable = polls_affordable(
        spent_units=spent_units, budget_per_key=budget_per_key, cost_per_poll=cost_per_poll
    )
    # Every query gets the same interval, so only whole rounds of all queries count.
    polls_per_query = affordable // queries if queries else 0
    paused = queries > 0 and polls_per_query == 0
    if queries == 0:
        interval = wanted_interval
    elif paused:
        interval = seconds_to_reset
    else:
        interval = max(wanted_interval, _spread(seconds_to_reset, polls_per_query))

    fresh = budget_per_key // cost_per_poll  # the polls a key pays for on a fresh day
    sentence = _sentence(
        usable_keys=usable_keys,
        queries=queries,
        wanted=wanted_interval,
        keys_needed=keys_needed(queries=queries, wanted=wanted_interval, polls_per_key=fresh),
        full_day_interval=full_day_interval(
            usable_keys=usable_keys, queries=queries, polls_per_key=fresh
        ),
        interval=interval,
        paused=paused,
        polls_affordable=affordable,
        seconds_to_reset=seconds_to_reset,
    )
    return Pacing(
        computed_at=now,
        interval_seconds=interval,
        paused=paused,
        usable_keys=usable_keys,
        sentence=sentence,
    )


def _sentence(
    *,
    usable_keys: int,
    queries: int,
    wanted: float,
    keys_needed: int,
    full_day_interval: float | None,
    interval: float,
    paused: bool,
    polls_affordable: int,
    seconds_to_reset: float,
) -> str:
    keys = _count(usable_keys, "key", "keys")
    if queries == 0:
        return f"with {keys} and no queries there is nothing to poll"
    need = f"a {humanise(wanted)} interval needs {_count(keys_needed, 'key', 'keys')}"
    reset_in = humanise(seconds_to_reset)
    if usable_keys == 0:
        return (
            f"with no usable key nothing is polled until a key is added or the quota resets "
            f"in {reset_in}; {need}"
        )
    with_what = f"with {keys} and {_count(queries, 'query', 'queries')}"
    if full_day_interval is None:
        capacity = f"{with_what} the daily quota cannot poll every query even once"
    else:
        capacity = f"{with_what} a poll every {humanise(full_day_interval)} keeps the quota all day"
    sentence = f"{capacity}; {need}"
    if paused and polls_affordable == 0:
        return f"{sentence}; today's quota is spent, polling resumes at the reset in {reset_in}"
    if paused:
        return (
            f"{sentence}; today's remaining quota ({_count(polls_affordable, 'poll', 'polls')}) "
            f"cannot poll all {queries:,} queries once, polling resumes at the reset in {reset_in}"
        )
    if interval > wanted and (
        full_day_interval is None or humanise(interval) != humanise(full_day_interval)
    ):
        # Only when today differs from the full-day figure: keys spent early or added late.
        sentence += (
            f"; today's remaining quota allows a poll every {humanise(interval)} "
            f"until the reset in {reset_in}"
        )
    return sentence

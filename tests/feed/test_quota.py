from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feed import quota
from feed.quota import PACIFIC

# 2026-11-28 is in Pacific Standard Time (UTC-8): midnight Pacific is 08:00 UTC.
MIDNIGHT_PST = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
NOON_PST = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
BUDGET = 10_000  # a key's daily units (YOUTUBE_DAILY_QUOTA)
COST = 100  # one search page (YOUTUBE_SEARCH_COST)


def plan(**overrides: object) -> quota.Pacing:
    arguments: dict[str, object] = {
        "now": MIDNIGHT_PST,
        "usable_keys": 1,
        "spent_units": [0],
        "queries": 1,
        "wanted_interval": 10,
        "budget_per_key": BUDGET,
        "cost_per_poll": COST,
    }
    arguments.update(overrides)
    return quota.plan(**arguments)  # type: ignore[arg-type]


def units_left(spent_units: list[int]) -> int:
    return sum(quota.units_left(spent_units=spent_units, budget_per_key=BUDGET))


def polls_affordable(spent_units: list[int]) -> int:
    return quota.polls_affordable(
        spent_units=spent_units, budget_per_key=BUDGET, cost_per_poll=COST
    )


def keys_needed(*, queries: int = 1, wanted: float = 10) -> int:
    return quota.keys_needed(queries=queries, wanted=wanted, polls_per_key=BUDGET // COST)


def full_day_interval(*, queries: int = 1) -> float | None:
    return quota.full_day_interval(usable_keys=1, queries=queries, polls_per_key=BUDGET // COST)


def test_it_puts_the_last_microsecond_before_midnight_in_the_old_day() -> None:
    now = MIDNIGHT_PST - timedelta(microseconds=1)
    assert quota.pacific_day(now) == date(2026, 11, 27)
    assert quota.next_reset(now) == MIDNIGHT_PST
    assert quota.day_start(now) == MIDNIGHT_PST - timedelta(days=1)


def test_it_starts_a_new_day_exactly_at_pacific_midnight() -> None:
    assert quota.pacific_day(MIDNIGHT_PST) == date(2026, 11, 28)
    assert quota.day_start(MIDNIGHT_PST) == MIDNIGHT_PST
    assert quota.next_reset(MIDNIGHT_PST) == MIDNIGHT_PST + timedelta(days=1)


def test_it_reads_the_day_in_pacific_time_not_utc() -> None:
    # 03:00 UTC on the 29th is still the evening of the 28th in Los Angeles.
    now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    assert quota.pacific_day(now) == date(2026, 11, 28)
    assert quota.next_reset(now) == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def test_it_returns_the_reset_in_utc() -> None:
    reset = quota.next_reset(NOON_PST)
    assert reset.utcoffset() == timedelta(0)
    assert reset.astimezone(PACIFIC).hour == 0


def test_it_makes_the_spring_forward_day_23_hours_long() -> None:
    start = datetime(2026, 3, 8, 8, 0, tzinfo=UTC)  # 2026-03-08 00:00 PST
    assert quota.pacific_day(start) == date(2026, 3, 8)
    reset = quota.next_reset(start)
    assert reset == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)  # 2026-03-09 00:00 PDT
    assert reset - start == timedelta(hours=23)


def test_it_makes_the_fall_back_day_25_hours_long() -> None:
    start = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 2026-11-01 00:00 PDT
    assert quota.pacific_day(start) == date(2026, 11, 1)
    reset = quota.next_reset(start)
    assert reset == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # 2026-11-02 00:00 PST
    assert reset - start == timedelta(hours=25)


def test_it_spreads_a_fresh_budget_over_the_short_spring_day() -> None:
    now = datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    pacing = plan(now=now)
    assert (quota.next_reset(now) - now).total_seconds() == 23 * 3600
    assert pacing.interval_seconds == 23 * 3600 / 100


def test_it_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        quota.next_reset(datetime(2026, 11, 28, 12, 0))


def test_it_says_what_one_key_and_one_query_allow() -> None:
    pacing = plan()
    assert pacing.sentence == (
        "with 1 key and 1 query a poll every 14 min keeps the quota all day; "
        "a 10 s interval needs 87 keys"
    )
    assert pacing.interval_seconds == 864
    assert full_day_interval() == 864
    assert keys_needed() == 87
    assert polls_affordable([0]) == 100
    assert units_left([0]) == 10_000
    assert pacing.interval_seconds > 10  # stretched from the wanted 10 s
    assert not pacing.paused


def test_it_uses_plural_forms() -> None:
    pacing = plan(usable_keys=3, spent_units=[0, 0, 0], queries=2, wanted_interval=600)
    # 300 polls a day for 2 queries: 150 each, one every 576 s.
    # 144 polls a day for each of 2 queries at 10 min: 288 polls, 100 per key.
    assert pacing.sentence == (
        "with 3 keys and 2 queries a poll every 9 min 36 s keeps the quota all day; "
        "a 10 min interval needs 3 keys"
    )


def test_it_keeps_a_wanted_interval_that_is_already_affordable() -> None:
    pacing = plan(usable_keys=2, spent_units=[0, 0], wanted_interval=3600)
    assert pacing.interval_seconds == 3600  # not stretched
    assert keys_needed(wanted=3600) == 1
    assert pacing.sentence.endswith("a 1 h interval needs 1 key")


def test_it_shrinks_the_interval_when_keys_are_added_mid_day() -> None:
    one_key = plan(now=NOON_PST, spent_units=[5_000])
    two_keys = plan(now=NOON_PST, usable_keys=2, spent_units=[5_000, 0])
    assert one_key.interval_seconds == 43_200 / 50
    assert two_keys.interval_seconds == 43_200 / 150
    assert "with 2 keys and 1 query a poll every 7 min 12 s keeps the quota all day" in (
        two_keys.sentence
    )


def test_it_shrinks_the_interval_again_after_the_reset() -> None:
    evening = plan(now=MIDNIGHT_PST - timedelta(hours=2), spent_units=[9_800])
    next_morning = plan(now=MIDNIGHT_PST, spent_units=[0])
    assert evening.interval_seconds == 3600  # 2 polls for the last 2 hours
    assert next_morning.interval_seconds == 864


def test_it_stretches_the_interval_when_the_budget_is_nearly_spent() -> None:
    pacing = plan(now=NOON_PST, spent_units=[9_700])
    assert polls_affordable([9_700]) == 3
    assert pacing.interval_seconds == 43_200 / 3  # stretched from the wanted 10 s
    assert pacing.sentence.endswith(
        "; today's remaining quota allows a poll every 4 h until the reset in 12 h"
    )


def test_it_ignores_a_leftover_too_small_for_one_poll() -> None:
    pacing = plan(now=NOON_PST, usable_keys=2, spent_units=[9_950, 9_950])
    # 100 units are left in all, but no single key can pay for a 100-unit search.
    assert units_left([9_950, 9_950]) == 100
    assert polls_affordable([9_950, 9_950]) == 0
    assert pacing.paused


def test_it_pauses_until_the_reset_when_the_budget_is_spent() -> None:
    pacing = plan(now=NOON_PST, spent_units=[10_000])
    assert pacing.paused
    assert pacing.interval_seconds == 43_200
    assert pacing.resume_at == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    assert pacing.next_poll_at(last_poll=NOON_PST - timedelta(hours=11)) == pacing.resume_at
    assert pacing.sentence.endswith(
        "; today's quota is spent, polling resumes at the reset in 12 h"
    )


def test_it_counts_an_overspent_key_as_empty() -> None:
    pacing = plan(now=NOON_PST, usable_keys=2, spent_units=[10_400, 9_000])
    assert units_left([10_400, 9_000]) == 1_000
    assert polls_affordable([10_400, 9_000]) == 10
    assert pacing.interval_seconds == 43_200 / 10


def test_it_pauses_with_no_usable_key() -> None:
    pacing = plan(now=NOON_PST, usable_keys=0, spent_units=[])
    assert pacing.paused
    assert pacing.interval_seconds == (quota.next_reset(NOON_PST) - NOON_PST).total_seconds()
    assert pacing.interval_seconds == 43_200
    assert pacing.next_poll_at(last_poll=None) == pacing.resume_at
    assert pacing.sentence == (
        "with no usable key nothing is polled until a key is added or the quota resets in 12 h; "
        "a 10 s interval needs 87 keys"
    )


def test_it_pauses_when_the_quota_cannot_cover_every_query_once() -> None:
    pacing = plan(now=NOON_PST, queries=150)
    assert pacing.paused
    assert full_day_interval(queries=150) is None
    assert pacing.sentence == (
        "with 1 key and 150 queries the daily quota cannot poll every query even once; "
        "a 10 s interval needs 12,960 keys; today's remaining quota (100 polls) cannot poll "
        "all 150 queries once, polling resumes at the reset in 12 h"
    )


def test_it_has_nothing_to_poll_without_queries() -> None:
    pacing = plan(queries=0)
    assert not pacing.paused
    assert keys_needed(queries=0) == 0
    assert pacing.sentence == "with 1 key and no queries there is nothing to poll"


def test_it_schedules_the_next_poll_one_interval_after_the_last() -> None:
    pacing = plan()
    assert pacing.next_poll_at(last_poll=None) == MIDNIGHT_PST
    last = MIDNIGHT_PST - timedelta(minutes=5)
    assert pacing.next_poll_at(last_poll=last) == last + timedelta(seconds=864)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"usable_keys": 2, "spent_units": [0]}, "one entry per usable key"),
        ({"wanted_interval": 0}, "wanted_interval must be positive"),
        ({"budget_per_key": 50}, "must pay for at least one poll"),
        ({"now": datetime(2026, 11, 28, 12, 0)}, "timezone-aware"),
    ],
)
def test_it_rejects_inconsistent_arguments(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(**overrides)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "0.5 s"),
        (10, "10 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),
        (90, "1 min 30 s"),
        (288, "4 min 48 s"),
        (864, "14 min"),
        (3599, "1 h"),
        (5184, "1 h 26 min"),
        (25 * 3600, "25 h"),
    ],
)
def test_it_humanises_durations(seconds: float, text: str) -> None:
    assert quota.humanise(seconds) == text


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@st.composite
def budgets(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    cost = draw(st.integers(min_value=1, max_value=500))
    budget = draw(st.integers(min_value=cost, max_value=20_000))
    spent = draw(st.lists(st.integers(min_value=0, max_value=budget + 1_000), max_size=12))
    return cost, budget, spent


@given(
    now=instants,
    budget=budgets(),
    queries=st.integers(min_value=0, max_value=40),
    wanted=st.floats(min_value=0.1, max_value=200_000),
)
def test_it_never_plans_to_spend_more_than_is_left_before_the_reset(
    now: datetime, budget: tuple[int, int, list[int]], queries: int, wanted: float
) -> None:
    cost, budget_per_key, spent = budget
    pacing = quota.plan(
        now=now,
        usable_keys=len(spent),
        spent_units=spent,
        queries=queries,
        wanted_interval=wanted,
        budget_per_key=budget_per_key,
        cost_per_poll=cost,
    )
    affordable = quota.polls_affordable(
        spent_units=spent, budget_per_key=budget_per_key, cost_per_poll=cost
    )
    assert affordable * cost <= sum(
        quota.units_left(spent_units=spent, budget_per_key=budget_per_key)
    )
    if pacing.paused:
        assert pacing.next_poll_at(last_poll=now) == quota.next_reset(now)
    else:
        assert pacing.interval_seconds >= wanted
        # Every query polled now and then once per interval until the reset.
        seconds_to_reset = (quota.next_reset(now) - now).total_seconds()
        polls_before_reset = queries * math.ceil(seconds_to_reset / pacing.interval_seconds)
        assert polls_before_reset <= affordable


@given(now=instants)
def test_it_always_resets_at_the_next_pacific_midnight(now: datetime) -> None:
    reset = quota.next_reset(now)
    local = reset.astimezone(PACIFIC)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    assert local.date() == quota.pacific_day(now) + timedelta(days=1)
    assert timedelta(0) < reset - now <= timedelta(hours=25)

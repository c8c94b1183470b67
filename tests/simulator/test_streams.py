"""The video streams: arrivals, bursts and ids, as pure functions of seed and time."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import ManualClock, Simulator, SimulatorConfig
from tests.fixtures.simulator import (
    SIMULATOR_CONFIG,
    SIMULATOR_START,
    ids,
    newest_first,
    rfc3339,
    walk,
    with_config,
)

ONE_SECOND = timedelta(seconds=1)


@with_config(rate_per_minute=1, burst_every_minutes=30, burst_size=120, burst_spread_seconds=3)
def test_it_publishes_bursts_bigger_than_a_page_within_seconds(youtube, simulator):
    published = simulator.published("football")
    per_second = Counter(moment for _, moment in published)
    # A burst's first second may hold only a few of its videos: start the window before it.
    start = min(moment for moment, n in per_second.items() if n > 5) - ONE_SECOND
    end = start + 4 * ONE_SECOND
    burst = [(i, t) for i, t in published if start <= t <= end]

    pages = walk(youtube, publishedAfter=rfc3339(start), publishedBefore=rfc3339(end))

    assert len(burst) >= 120
    assert len(pages) >= 3
    assert ids(pages) == newest_first(burst)


def test_it_gives_the_same_stream_for_the_same_seed():
    def first_page(seed: int) -> bytes:
        config = dataclasses.replace(SIMULATOR_CONFIG, seed=seed)
        simulator = Simulator(config, clock=ManualClock(SIMULATOR_START))
        return simulator.handle("/youtube/v3/search?part=snippet&q=football&key=k").body

    assert first_page(1) == first_page(1)
    assert first_page(1) != first_page(2)


def test_it_publishes_a_year_at_the_configured_rate_without_storing_it():
    config = SimulatorConfig(rate_per_minute=6, burst_every_minutes=60, burst_size=60)
    simulator = Simulator(
        dataclasses.replace(config, history_hours=24 * 365), clock=ManualClock(SIMULATOR_START)
    )

    count = simulator.count_published("football")
    first = simulator.handle("/youtube/v3/search?part=snippet&q=football&maxResults=50&key=k")

    assert abs(count - 365 * 24 * (6 * 60 + 60)) <= 61
    assert len(json.loads(first.body)["items"]) == 50


def test_each_query_can_have_its_own_rate():
    config = SimulatorConfig(
        queries=("busy", "quiet"), query_rates=(0.5, 0.01), burst_size=0, history_hours=24
    )
    simulator = Simulator(config, clock=ManualClock(SIMULATOR_START))
    assert simulator.count_published("busy") == pytest.approx(720, abs=1)
    assert simulator.count_published("quiet") == pytest.approx(14, abs=1)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    rate=st.floats(0.2, 120),
    burst_size=st.integers(0, 200),
    points=st.lists(st.integers(-7300, 60), min_size=3, max_size=3),
)
def test_it_splits_any_window_without_losing_or_doubling_videos(seed, rate, burst_size, points):
    config = SimulatorConfig(
        seed=seed, rate_per_minute=rate, burst_size=burst_size, burst_every_minutes=7
    )
    simulator = Simulator(
        dataclasses.replace(config, history_hours=2), clock=ManualClock(SIMULATOR_START)
    )
    low, middle, high = (SIMULATOR_START + timedelta(seconds=s) for s in sorted(points))

    whole = simulator.published("football", since=low, until=high)
    left = simulator.published("football", since=low, until=middle)
    right = simulator.published("football", since=middle + ONE_SECOND, until=high)

    assert whole == left + right
    assert len(whole) == simulator.count_published("football", since=low, until=high)
    assert [t for _, t in whole] == sorted(t for _, t in whole)
    assert all(low <= t <= min(high, SIMULATOR_START) for _, t in whole)
    for video_id, moment in whole[:3]:
        assert simulator.video(video_id).published_at == moment

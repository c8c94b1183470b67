"""What a simulated video is: the shares of Shorts, hidden counts and durations over many."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator import ManualClock, Simulator, SimulatorConfig
from tests.fixtures.simulator import SIMULATOR_START


@pytest.fixture(scope="module")
def day_of_videos() -> list:
    simulator = Simulator(
        SimulatorConfig(seed=21, history_hours=24), clock=ManualClock(SIMULATOR_START)
    )
    return [simulator.video(video_id) for video_id, _ in simulator.published("football")]


def test_it_hides_about_one_view_count_in_a_hundred(day_of_videos):
    hidden = sum(video.views_hidden for video in day_of_videos) / len(day_of_videos)

    assert len(day_of_videos) > 9000
    assert hidden == pytest.approx(0.01, abs=0.004)


def test_it_gives_shorts_at_most_three_minutes_and_everything_else_more(day_of_videos):
    finished = [v for v in day_of_videos if v.live_broadcast_content == "none"]
    shorts = [v for v in finished if v.is_short]

    assert all(1 <= v.duration_seconds <= 180 for v in shorts)
    assert all("#shorts" in v.title for v in shorts)
    assert all(v.duration_seconds > 180 for v in finished if "#shorts" not in v.title)
    assert all(v.duration == "P0D" for v in day_of_videos if v.live_broadcast_content != "none")
    assert 0.15 < len(shorts) / len(finished) < 0.3  # two title templates in nine
    assert max(v.duration_seconds for v in finished) > 2 * 3600


def test_it_counts_views_from_zero_for_a_premiere_still_to_come(day_of_videos):
    upcoming = next(v for v in day_of_videos if v.live_broadcast_content == "upcoming")
    regular = next(v for v in day_of_videos if v.live_broadcast_content == "none")
    a_week = timedelta(days=7)

    simulator = Simulator(
        SimulatorConfig(seed=21, history_hours=24), clock=ManualClock(SIMULATOR_START)
    )

    assert simulator.view_count(upcoming.id) == 0
    assert simulator.view_count(regular.id, at=SIMULATOR_START + a_week) > (
        simulator.view_count(regular.id)
    )
    assert simulator.view_count(regular.id, at=regular.published_at - timedelta(seconds=1)) is None

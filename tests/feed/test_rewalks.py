"""The re-walk schedule: which tier is due, what it catches, what it costs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feed import rewalks
from tests.fixtures.clock import NOW

TIERS = rewalks.parse("1h:20m,4h:1h,12h:3h")
H = timedelta(hours=1)


def test_it_parses_tiers_shallowest_first():
    assert rewalks.parse("12h:3h, 1h:20m,2d:12h") == [
        rewalks.Tier(reach=H, every=timedelta(minutes=20)),
        rewalks.Tier(reach=12 * H, every=3 * H),
        rewalks.Tier(reach=48 * H, every=12 * H),
    ]
    assert rewalks.parse("") == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("4h", "not reach:every"),
        ("4x:1h", "not a duration"),
        ("1h:2h", "reach must be longer than the wait"),
        ("1h:0s", "reach must be longer than the wait"),
        ("1h:5m,60m:10m", "same reach"),
    ],
)
def test_it_refuses_a_schedule_that_makes_no_sense(text, says):
    with pytest.raises(ValueError, match=says):
        rewalks.parse(text)


def test_the_deepest_due_tier_runs_and_covers_the_shallower_ones():
    assert rewalks.due(TIERS, rewalked={}, now=NOW) == TIERS[-1]
    done = rewalks.walked(TIERS, rewalked={}, reach=12 * H, now=NOW)
    assert set(done) == {"3600", "14400", "43200"}
    assert rewalks.due(TIERS, rewalked=done, now=NOW + timedelta(minutes=19)) is None
    assert rewalks.due(TIERS, rewalked=done, now=NOW + timedelta(minutes=20)) == TIERS[0]
    assert rewalks.due(TIERS, rewalked=done, now=NOW + H) == TIERS[1]
    # A shallow walk leaves the deeper tiers' clocks alone.
    shallow = rewalks.walked(TIERS, rewalked=done, reach=H, now=NOW + 3 * H)
    assert shallow["43200"] == done["43200"]
    assert rewalks.due(TIERS, rewalked=shallow, now=NOW + 3 * H) == TIERS[-1]


def test_it_says_which_lag_the_tiers_surely_catch():
    # 12 h back every 3 h, polled every 20 min: 12 h - 3 h - 20 min.
    assert rewalks.caught_lag(TIERS, interval=1200) == timedelta(hours=8, minutes=40)
    # Polls further apart than a tier's wait: the interval rules.
    assert rewalks.caught_lag(TIERS, interval=4 * 3600) == 4 * H
    assert rewalks.caught_lag([], interval=60) == timedelta(0)


def test_a_quiet_query_re_walks_for_one_page_and_a_busy_one_pays_per_page():
    quiet = rewalks.pages_per_day(TIERS, videos_per_hour=0.5, interval=1200, overlap=600)
    assert quiet == 72  # one page a poll, re-walks included
    busy = rewalks.pages_per_day(TIERS, videos_per_hour=30, interval=1200, overlap=600)
    # 8 walks of 12 h (360 videos: 8 pages), 16 of 4 h (3 pages), 48 of 1 h (1 page).
    assert busy == 8 * 8 + 16 * 3 + 48 * 1


def test_it_says_what_the_re_walks_catch_and_what_the_keys_cannot_pay(settings, add_videos):
    from feed import services
    from tests.fixtures.videos import FakeSnippet

    settings.YOUTUBE_API_KEYS = ["one-key-for-the-advice"]
    settings.DEMO_MODE = False
    settings.YOUTUBE_QUERIES = ["football"]
    settings.FETCH_INTERVAL_SECONDS = 60
    settings.YOUTUBE_DAILY_QUOTA = 10_000
    settings.FETCH_REWALKS = "1h:20m,4h:1h,12h:3h"
    # 30 videos an hour over the last day.
    add_videos(
        *[FakeSnippet(published_at=NOW - timedelta(minutes=2 * i)) for i in range(720)],
        query="football",
    )
    lines = services.coverage(now=NOW)
    assert len(lines) == 3, lines
    assert lines[0].startswith("with a poll every ") and "re-walks catch videos" in lines[0]
    assert lines[1].startswith("at that pace the re-walks cost, in keys' daily units: 'football'")
    # 1,440 polls a day at 60 s, and their re-walks: far more than one key pays for.
    assert "late with a poll every 1 min needs 17 keys" in lines[2]
    assert "1 usable; in keys: 'football' (30.0 videos/h)" in lines[2]
    settings.FETCH_REWALKS = ""
    assert services.coverage(now=NOW) == [
        "re-walks are off (FETCH_REWALKS is empty): a video that YouTube's search shows more "
        "than 10 min late is never stored"
    ]

"""When to ask YouTube again about a stored video, and how many checks a round may make.

A check is one videos.list call for up to 50 ids (1 unit). It tells whether each video is still
listed (deleted, private and rejected videos are simply left out: they become tombstones, and
come back if YouTube lists them again) and refreshes duration and view count, which also gives
a video whose details a poll could not fetch its details later.

Young videos change most (counts grow fastest, removals come early), so a video is checked
again after a quarter of its age: from every 10 minutes in its first hour to every 6 hours from
its first day to its second (a removal shows within 6 hours while the video is under two days
old), then a quarter of its age up to once a week. In its first month that is 37 checks,
under one unit per video. Checks spend their own share of each key's day
(YOUTUBE_CHECK_PERCENT), paced evenly over the quota day, never the polls' units.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

SHORTEST = timedelta(minutes=10)
YOUNG = timedelta(days=2)
YOUNG_LONGEST = timedelta(hours=6)
LONGEST = timedelta(days=7)
# A round runs every minute; this many calls (2,500 videos) at most keeps it short.
CALLS_PER_ROUND = 50
ROUND_SECONDS = 60


def interval(age: timedelta) -> timedelta:
    """The time until the next check of a video this old."""
    quarter = age / 4
    if age < YOUNG:
        return min(max(quarter, SHORTEST), YOUNG_LONGEST)
    return min(max(quarter, YOUNG_LONGEST), LONGEST)


def next_check(*, published_at: datetime, now: datetime) -> datetime:
    return now + interval(max(timedelta(0), now - published_at))


def calls_this_round(
    *, budget: int, spent: int, cost: int, day_start: datetime, day_end: datetime, now: datetime
) -> int:
    """videos.list calls a round may make now. The checks' `budget` for the quota day (over all
    usable keys) fills evenly from `day_start` to `day_end`; a round spends what has filled up
    and is not `spent` yet, so the share lasts until the reset and never runs over it. Units a
    quiet hour leaves are there for a busier one."""
    elapsed = (now - day_start + timedelta(seconds=ROUND_SECONDS)) / (day_end - day_start)
    filled = math.floor(budget * min(1.0, max(0.0, elapsed)))
    return max(0, min(CALLS_PER_ROUND, (filled - spent) // cost))

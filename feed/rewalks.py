"""Re-walks of the recent past: how a poll catches the videos YouTube's search shows late.

YouTube's search index lags behind publishing: most videos are searchable within minutes, some
only hours later, and they arrive with their publish time, older than what a poll has already
covered. So, on a schedule that thins out with age, a poll walks further back than what it has:
a tier (reach, every) means "at least every `every`, walk everything published in the last
`reach`". A video searchable `lag` after it was published is then caught by a tier whose
`reach - every - interval >= lag` (`interval`: the time between two polls of the query): some
walk of that tier runs after it became searchable and before it is older than the reach.

A poll makes at most one re-walk, that of the deepest tier due, which covers the shallower
ones. What it costs follows from what the query itself shows: a walk of `reach` costs one search
page per 50 videos published in it, so a quiet query re-walks a day for one page, and a busy one
pays for every page (feed.quota paces polls by what they really cost).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

PAGE_SIZE = 50
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+)([smhd])")


@dataclass(frozen=True, slots=True)
class Tier:
    reach: timedelta
    every: timedelta

    @property
    def name(self) -> str:
        """Its key in SearchQuery.rewalked: the reach in whole seconds."""
        return str(int(self.reach.total_seconds()))


def parse_duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 45s, 20m, 4h or 2d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def parse(text: str) -> list[Tier]:
    """ "1h:20m,4h:1h,12h:3h" -> tiers by reach, shallowest first. Raises ValueError, saying
    why, on anything else (a tier must reach further than it waits, or it catches nothing)."""
    tiers = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        reach, sep, every = part.partition(":")
        if not sep:
            raise ValueError(f"{part!r} is not reach:every, e.g. 4h:1h")
        tier = Tier(reach=parse_duration(reach), every=parse_duration(every))
        if tier.every <= timedelta(0) or tier.reach <= tier.every:
            raise ValueError(f"{part!r}: the reach must be longer than the wait (and above 0)")
        tiers.append(tier)
    reaches = [t.reach for t in tiers]
    if len(set(reaches)) != len(reaches):
        raise ValueError(f"{text!r}: two tiers with the same reach")
    return sorted(tiers, key=lambda t: t.reach)


def configured() -> list[Tier]:
    return parse(settings.FETCH_REWALKS)


def due(tiers: Sequence[Tier], *, rewalked: dict[str, str], now: datetime) -> Tier | None:
    """The deepest tier whose last walk is `every` or more ago (or never ran)."""
    for tier in reversed(tiers):
        last = rewalked.get(tier.name)
        if last is None or now - datetime.fromisoformat(last) >= tier.every:
            return tier
    return None


def walked(
    tiers: Sequence[Tier], *, rewalked: dict[str, str], reach: timedelta, now: datetime
) -> dict[str, str]:
    """`rewalked` after a walk at `now` back `reach` from now: it ran every tier it covers."""
    done = {t.name: now.isoformat() for t in tiers if t.reach <= reach}
    return {**rewalked, **done}


def caught_lag(tiers: Sequence[Tier], *, interval: float) -> timedelta:
    """The longest search-index lag the tiers surely catch at this poll interval (seconds)."""
    step = timedelta(seconds=interval)
    return max((t.reach - max(t.every, step) - step for t in tiers), default=timedelta(0))


def pages_per_day(
    tiers: Sequence[Tier], *, videos_per_hour: float, interval: float, overlap: float
) -> float:
    """Search pages one query spends in a day at this poll interval and publishing rate: each
    poll walks the time since the last one (plus the overlap), or a tier's reach when one is
    due. An estimate for capacity advice, not a ledger."""
    polls = 86400 / interval
    used = 0.0  # polls that made a deeper tier's walk, which stands in for the shallower ones
    pages = 0.0
    for tier in reversed(tiers):
        runs = max(0.0, min(polls, 86400 / max(tier.every.total_seconds(), interval)) - used)
        pages += runs * walk_pages(videos_per_hour * tier.reach.total_seconds() / 3600)
        used += runs
    pages += max(0.0, polls - used) * walk_pages(videos_per_hour * (interval + overlap) / 3600)
    return pages


def walk_pages(videos: float) -> int:
    """Search pages a walk over this many videos takes: an empty walk still costs one."""
    return max(1, math.ceil(videos / PAGE_SIZE))

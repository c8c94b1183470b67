"""Time for the simulator: the real clock, or a ManualClock that a test or a benchmark drives."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} is naive: pass an aware datetime, e.g. tzinfo=UTC")
    return moment.astimezone(UTC)


def to_second(moment: datetime) -> int:
    """The whole second `moment` falls in: publish times have second resolution."""
    return math.floor(as_utc(moment).timestamp())


def from_second(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


class ManualClock:
    """A clock that moves only when told, so a test or a benchmark can drive a virtual day."""

    def __init__(self, now: datetime) -> None:
        self._now = as_utc(now)

    def __call__(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> datetime:
        self._now = as_utc(now)
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

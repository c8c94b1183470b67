"""When search.list and videos.list show each video: its index lag, and its removal and
restoration. A pure function of (seed, video) under the config, unless a test scripted it with
set_index_lag(), remove() or restore()."""

from __future__ import annotations

import bisect
import functools
import itertools
import math

from simulator.config import HOUR, SimulatorConfig, query_key
from simulator.hashing import uniforms
from simulator.streams import Row, VideoKey

# Six numbers in [0, 1) per video, from one hash: lag bucket, lag in the bucket, removed or not,
# removal delay, restored or not, restoration delay.
_Draw = tuple[float, ...]


class Visibility:
    def __init__(self, config: SimulatorConfig) -> None:
        self._salts = [f"{config.seed}:{query_key(q)}" for q in config.queries]
        buckets = config.index_lag
        self._cumulative = list(itertools.accumulate(share for share, _, _ in buckets))
        self._lag_ranges = [(low, high) for _, low, high in buckets]
        # No video waits longer than this: older rows skip the lag altogether.
        self._max_lag = math.ceil(max((high for _, high in self._lag_ranges), default=0))
        self._removal_share = config.removal_share
        self._removal_after = tuple(hours * HOUR for hours in config.removal_after_hours)
        self._restore_share = config.restore_share
        self._restore_after = tuple(hours * HOUR for hours in config.restore_after_hours)
        # No video goes before this age: younger rows skip the removal draw.
        self._removal_min = math.floor(self._removal_after[0])
        # Scripted by a test. Events are (second, order, removed), sorted: the last one at or
        # before a moment decides; before the first, the video follows its own schedule.
        self._lags: dict[VideoKey, int] = {}
        self._events: dict[VideoKey, list[tuple[int, int, bool]]] = {}
        self._order = itertools.count()

    # -- the index lag ---------------------------------------------------------------------

    def index_lag(self, row: Row, draw: _Draw | None = None) -> int:
        """Whole seconds from publishing until search.list shows the video."""
        scripted = self._lags.get(row[1:])
        if scripted is not None:
            return scripted
        if not self._lag_ranges:
            return 0
        pick, position, *_ = draw or self._draw(row)
        # Normalised by the total, so shares that add up to 1 within rounding still cover [0, 1).
        bucket = bisect.bisect_right(self._cumulative, pick * self._cumulative[-1])
        low, high = self._lag_ranges[min(bucket, len(self._lag_ranges) - 1)]
        return math.floor(low + position * (high - low))

    def set_index_lag(self, row: Row, *, seconds: int) -> None:
        self._lags[row[1:]] = seconds
        self._max_lag = max(self._max_lag, seconds)

    # -- removals --------------------------------------------------------------------------

    def removed(self, row: Row, *, at: int, draw: _Draw | None = None) -> bool:
        """Whether the video is deleted or private at second `at`."""
        events = self._events.get(row[1:])
        if events:
            last = bisect.bisect_right(events, (at, math.inf, True))
            if last:
                return events[last - 1][2]
        age = at - row[0]
        if not self._removal_share or age < self._removal_min:
            return False
        _, _, removal, removal_delay, restore, restore_delay = draw or self._draw(row)
        if removal >= self._removal_share:
            return False
        removed_after = math.floor(_between(self._removal_after, removal_delay))
        if age < removed_after:
            return False
        if restore >= self._restore_share:
            return True
        back_after = max(1, math.floor(_between(self._restore_after, restore_delay)))
        return age < removed_after + back_after

    def script(self, row: Row, *, at: int, removed: bool) -> None:
        """From second `at` on the video is removed (or back), until the next scripted change."""
        key = row[1:]
        # Replaced, not changed in place: a request thread may be reading the old list.
        self._events[key] = sorted([*self._events.get(key, []), (at, next(self._order), removed)])

    # -- what each method shows ------------------------------------------------------------

    def in_search(self, row: Row, *, at: int) -> bool:
        """Whether search.list at second `at` shows this video."""
        second = row[0]
        if second > at:
            return False
        draw = None
        if at - second < self._max_lag:
            draw = self._draw(row)
            if second + self.index_lag(row, draw) > at:
                return False
        return not self.removed(row, at=at, draw=draw)

    def listed(self, row: Row, *, at: int) -> bool:
        """Whether videos.list at second `at` returns this video: no index lag there."""
        return row[0] <= at and not self.removed(row, at=at)

    def _draw(self, row: Row) -> _Draw:
        _, query_index, kind, n = row
        return _draw(self._salts[query_index], kind, n)


# Cached: each page of a walk checks again the rows of the pages before it.
@functools.lru_cache(maxsize=1 << 14)
def _draw(salt: str, kind: int, n: int) -> _Draw:
    return uniforms(f"{salt}:{kind}:{n}:visibility", count=6)


def _between(bounds: tuple[float, ...], position: float) -> float:
    low, high = bounds
    return low + position * (high - low)

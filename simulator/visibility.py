"""When search.list shows each video: its index lag, a pure function of (seed, video), unless a
test scripted it with set_index_lag()."""

from __future__ import annotations

import bisect
import itertools
import math

from simulator.config import SimulatorConfig, query_key
from simulator.hashing import uniforms
from simulator.streams import Row, VideoKey


class Visibility:
    def __init__(self, config: SimulatorConfig) -> None:
        self._salts = [f"{config.seed}:{query_key(q)}" for q in config.queries]
        buckets = config.index_lag
        self._cumulative = list(itertools.accumulate(share for share, _, _ in buckets))
        self._ranges = [(low, high) for _, low, high in buckets]
        self._lags: dict[VideoKey, int] = {}  # scripted by a test
        # No video waits longer than this: older rows skip the hash altogether.
        self._max_lag = math.ceil(max((high for _, high in self._ranges), default=0))

    def index_lag(self, row: Row) -> int:
        """Whole seconds from publishing until search.list shows the video."""
        key = row[1:]
        scripted = self._lags.get(key)
        if scripted is not None:
            return scripted
        if not self._ranges:
            return 0
        pick, position, *_ = self._draw(row)
        # Normalised by the total, so shares that add up to 1 within rounding still cover [0, 1).
        bucket = bisect.bisect_right(self._cumulative, pick * self._cumulative[-1])
        low, high = self._ranges[min(bucket, len(self._ranges) - 1)]
        return math.floor(low + position * (high - low))

    def set_index_lag(self, row: Row, *, seconds: int) -> None:
        self._lags[row[1:]] = seconds
        self._max_lag = max(self._max_lag, seconds)

    def in_search(self, row: Row, *, at: int) -> bool:
        """Whether search.list at second `at` shows this video (published by then)."""
        second = row[0]
        if at - second >= self._max_lag:
            return second <= at
        return second + self.index_lag(row) <= at

    def _draw(self, row: Row) -> tuple[float, ...]:
        _, query_index, kind, n = row
        return uniforms(f"{self._salts[query_index]}:{kind}:{n}:visibility", count=6)

"""The video streams: when video n of a query is published, and its id, derived from n alone.

Each query has a steady stream and, if configured, a burst stream. A video is a row
(second, query index, stream kind, n): nothing is stored, so a virtual year costs nothing and
"what was published in [a, b]" is a bisect. An id is a keyed permutation of (query index, kind, n)
and decodes back without a table; it encodes the query's position in the list, so keep the order
of the configured queries fixed to keep ids stable.
"""

from __future__ import annotations

import base64
import bisect
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from simulator.config import SimulatorConfig, query_key
from simulator.hashing import b64, digest, hash_int

STEADY, BURST = 0, 1

# (published second, query index, stream kind, n): newest first sorts by the second, then the rest.
Row = tuple[int, int, int, int]
# (query index, stream kind, n): a video whatever its publish time.
VideoKey = tuple[int, int, int]


class Arrivals(Protocol):
    def second(self, n: int) -> int: ...

    def upper_bound(self, second: int) -> int: ...


@dataclass(frozen=True)
class Steady:
    """Video n lands at a seeded moment inside its own slot of 60/rate seconds: monotone in n,
    about `rate` a minute, and two may share a second."""

    salt: str
    slot_ms: int

    def second(self, n: int) -> int:
        return (n * self.slot_ms + hash_int(f"{self.salt}:{n}") % self.slot_ms) // 1000

    def upper_bound(self, second: int) -> int:
        # Slot starts only grow, so from this index on every video lands after `second`.
        return (second + 1) * 1000 // self.slot_ms + 1


@dataclass(frozen=True)
class Bursts:
    """Burst j (at j * period + phase) holds videos j*size .. j*size+size-1, spread over a few
    seconds: a burst bigger than a page lands between two polls."""

    salt: str
    period_ms: int
    phase_ms: int
    size: int
    spread_ms: int

    def second(self, n: int) -> int:
        burst, i = divmod(n, self.size)
        step = self.spread_ms // self.size
        jitter = hash_int(f"{self.salt}:{n}") % step if step else 0
        start = burst * self.period_ms + self.phase_ms
        return (start + i * self.spread_ms // self.size + jitter) // 1000

    def upper_bound(self, second: int) -> int:
        return ((second + 1) * 1000 // self.period_ms + 1) * self.size


@dataclass(frozen=True)
class Stream:
    query_index: int
    kind: int
    arrivals: Arrivals


# A stream and the index range [first, end) of its videos inside some window.
Range = tuple[Stream, int, int]


def build(config: SimulatorConfig) -> list[Stream]:
    streams: list[Stream] = []
    for index, query in enumerate(config.queries):
        salt = f"{config.seed}:{query_key(query)}"
        slot_ms = max(1, round(60_000 / config.rate(index)))
        streams.append(Stream(index, STEADY, Steady(salt=f"{salt}:steady", slot_ms=slot_ms)))
        if config.bursts_on:
            period_ms = round(config.burst_every_minutes * 60_000)
            spread_ms = round(config.burst_spread_seconds * 1000)
            bursts = Bursts(
                salt=f"{salt}:burst",
                period_ms=period_ms,
                phase_ms=hash_int(f"{salt}:phase") % (period_ms - spread_ms),
                size=config.burst_size,
                spread_ms=spread_ms,
            )
            streams.append(Stream(index, BURST, bursts))
    return streams


def ranges(streams: list[Stream], *, low: int, high: int) -> list[Range]:
    """Per stream, the index range [first, end) of videos published in [low, high]."""
    if low > high:
        return []
    found = []
    for stream in streams:
        first = count_through(stream.arrivals, second=low - 1)
        end = count_through(stream.arrivals, second=high)
        if end > first:
            found.append((stream, first, end))
    return found


def total(found: list[Range]) -> int:
    return sum(end - first for _, first, end in found)


def newest_first(found: list[Range]) -> Iterator[Row]:
    """Rows newest first, built lazily: a page deep in a walk touches only the rows before it,
    never the whole history."""
    feeds = (_stream_newest_first(stream, first=first, end=end) for stream, first, end in found)
    return heapq.merge(*feeds, reverse=True)


def _stream_newest_first(stream: Stream, *, first: int, end: int) -> Iterator[Row]:
    for n in range(end - 1, first - 1, -1):
        yield stream.arrivals.second(n), stream.query_index, stream.kind, n


def count_through(arrivals: Arrivals, *, second: int) -> int:
    """How many videos of the stream land at or before `second`: a bisect, no list is built."""
    if second < 0:
        return 0
    indices = range(arrivals.upper_bound(second))
    return bisect.bisect_right(indices, second, key=arrivals.second)


# -- ids -------------------------------------------------------------------------------------


def video_id(key: VideoKey, *, seed: int) -> str:
    query_index, kind, n = key
    packed = (query_index << 56) | (kind << 55) | n
    return b64(_permute(packed, seed=seed).to_bytes(8, "big"))


def decode_id(video_id: str, *, seed: int) -> VideoKey | None:
    """The (query index, kind, n) an id stands for, or None for what no permutation makes.
    Any 11-character id decodes: one made up lands on a query or a time that does not exist."""
    try:
        raw = base64.urlsafe_b64decode(video_id + "=")
    except ValueError:
        return None
    if len(video_id) != 11 or len(raw) != 8 or b64(raw) != video_id:
        return None
    packed = _permute(int.from_bytes(raw, "big"), seed=seed, inverse=True)
    return packed >> 56, (packed >> 55) & 1, packed & ((1 << 55) - 1)


def _permute(value: int, *, seed: int, inverse: bool = False) -> int:
    """A keyed, invertible shuffle of 64-bit integers (a 4-round Feistel network): ids look
    random, yet decode back to (query, stream, n) without any table."""
    left, right = value >> 32, value & 0xFFFFFFFF
    rounds = range(3, -1, -1) if inverse else range(4)
    for r in rounds:
        if inverse:
            left, right = right ^ _round(seed=seed, r=r, half=left), left
        else:
            left, right = right, left ^ _round(seed=seed, r=r, half=right)
    return (left << 32) | right


def _round(*, seed: int, r: int, half: int) -> int:
    return int.from_bytes(digest(f"{seed}:id:{r}:{half}", size=4), "big")

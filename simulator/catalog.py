"""Every video of the simulated world, derived on demand: which exist in a window, and what
each one is."""

from __future__ import annotations

import math
import random
from datetime import datetime

from simulator import content, streams
from simulator.clock import as_utc, from_second, to_second
from simulator.config import SimulatorConfig, query_key
from simulator.content import Video
from simulator.streams import Range, Row, Stream
from simulator.visibility import Visibility


class Catalog:
    def __init__(self, config: SimulatorConfig, *, origin_second: int) -> None:
        self.config = config
        self.origin_second = origin_second  # nothing is published before it
        self._query_index = {query_key(q): i for i, q in enumerate(config.queries)}
        self._streams = streams.build(config)
        self._channels = content.channel_pool(config.seed)
        self.visibility = Visibility(config)

    def streams_for_query(self, query: str) -> list[Stream]:
        index = self._query_index.get(query_key(query))
        if index is None:
            raise KeyError(f"{query!r} is not a simulated query; configured: {self.config.queries}")
        return [s for s in self._streams if s.query_index == index]

    def streams_for_search(self, *, q: str | None, kind: str | None) -> list[Stream]:
        """Unknown queries match nothing, as YouTube answers a query nobody has uploaded for;
        no `q` matches every query."""
        if kind and "video" not in kind.split(","):
            return []  # only videos are simulated: channels and playlists match nothing
        if not q or not q.strip():
            return list(self._streams)
        index = self._query_index.get(query_key(q))
        return [s for s in self._streams if s.query_index == index]

    def window(
        self, *, since: datetime | None, until: datetime | None, high: int
    ) -> tuple[int, int]:
        """Inclusive [low, high] in whole seconds, inside [origin, high]."""
        if until is not None:
            high = min(high, to_second(until))
        low = self.origin_second
        if since is not None:
            low = max(low, math.ceil(as_utc(since).timestamp()))
        return low, high

    def ranges(self, found: list[Stream], *, low: int, high: int) -> list[Range]:
        return streams.ranges(found, low=low, high=high)

    def video_id(self, row: Row) -> str:
        return streams.video_id(row[1:], seed=self.config.seed)

    def find(self, video_id: str, *, through: int) -> Row | None:
        """The row of the video with this id if it is published by second `through`."""
        key = streams.decode_id(video_id, seed=self.config.seed)
        if key is None:
            return None
        query_index, kind, n = key
        stream = next(
            (s for s in self._streams if (s.query_index, s.kind) == (query_index, kind)), None
        )
        if stream is None:
            return None
        second = stream.arrivals.second(n)
        if not self.origin_second <= second <= through:
            return None
        return second, query_index, kind, n

    def video(self, row: Row) -> Video:
        second, query_index, kind, n = row
        query = self.config.queries[query_index]
        rng = random.Random(f"{self.config.seed}:{query_key(query)}:{kind}:{n}")
        return content.describe(
            rng,
            video_id=self.video_id(row),
            query=query,
            published_at=from_second(second),
            channel=rng.choice(self._channels),
            hidden_views_share=self.config.hidden_views_share,
        )

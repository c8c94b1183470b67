"""The Simulator: a deterministic YouTube that answers search.list and videos.list, charges
quota, injects faults, and tells tests and benchmarks the truth about its videos."""

from __future__ import annotations

import itertools
import math
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from simulator import content, faults, params, search, server, shapes, streams, videos
from simulator.catalog import Catalog
from simulator.clock import as_utc, from_second, to_second, utc_now
from simulator.config import SimulatorConfig
from simulator.content import Video
from simulator.hashing import b64, digest
from simulator.quota import Quota, pacific_day
from simulator.shapes import Answer

# Made-up ids decode to a stream video centuries away: a test scripts only real ones.
_FAR_FUTURE = to_second(datetime(9999, 12, 31, tzinfo=UTC))


@dataclass
class SimulatorStats:
    """Counters for tests and benchmarks. Keys appear in full: never print these as they are."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (key, method); "" = none
    units: Counter[tuple[str, date]] = field(default_factory=Counter)  # (key, Pacific day)
    calls_after_quota_exceeded: Counter[str] = field(default_factory=Counter)  # same day only
    faults: Counter[str] = field(default_factory=Counter)  # kind -> times produced

    def calls_for(self, key: str, *, method: str | None = None) -> int:
        return sum(n for (k, m), n in self.calls.items() if k == key and method in (None, m))

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_calls_after_quota_exceeded(self) -> int:
        return sum(self.calls_after_quota_exceeded.values())


class Simulator:
    """A deterministic YouTube: same seed, same clock readings, same answers."""

    def __init__(
        self, config: SimulatorConfig | None = None, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.config = config or SimulatorConfig()
        self.clock = clock
        self.started_at = as_utc(self.config.start or clock())
        self.origin = self.started_at - timedelta(hours=self.config.history_hours)
        self.stats = SimulatorStats()
        self.catalog = Catalog(self.config, origin_second=math.ceil(self.origin.timestamp()))
        self._lock = threading.Lock()
        self._faults = faults.Faults(seed=self.config.seed, produced=self.stats.faults)
        self._quota = Quota(units=self.stats.units)
        self._responses = itertools.count()

    def now(self) -> datetime:
        return as_utc(self.clock())

    # -- the truth about the stream, for tests and benchmarks ------------------------------

    def published(
        self, query: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """(id, published_at) of every video of `query` out by `until` (default now), oldest
        first. For checking that a fetcher missed nothing; a day is ~10k tuples."""
        found = self._ranges(query, since=since, until=until)
        rows = list(streams.newest_first(found))
        return [(self.catalog.video_id(row), from_second(row[0])) for row in reversed(rows)]

    def count_published(
        self, query: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> int:
        return streams.total(self._ranges(query, since=since, until=until))

    def searchable(
        self,
        query: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        at: datetime | None = None,
    ) -> list[tuple[str, datetime]]:
        """(id, published_at) of every video of `query` published in [since, until] that
        search.list shows at `at` (default now), oldest first: published() less what the index
        does not show yet."""
        at_second = to_second(at or self.now())
        low, high = self.catalog.window(since=since, until=until, high=at_second)
        found = self.catalog.ranges(self.catalog.streams_for_query(query), low=low, high=high)
        shown = self.catalog.visibility.in_search
        rows = [row for row in streams.newest_first(found) if shown(row, at=at_second)]
        return [(self.catalog.video_id(row), from_second(row[0])) for row in reversed(rows)]

    def video(self, video_id: str) -> Video | None:
        """The video with this id if it is out by now, else None. A removed video is returned
        too (videos.list leaves it out: see is_removed)."""
        row = self.catalog.find(video_id, through=to_second(self.now()))
        return None if row is None else self.catalog.video(row)

    def searchable_at(self, video_id: str) -> datetime | None:
        """When search.list starts showing the video: its publish time plus its index lag
        (a removal hides it whatever this says: see is_removed). None if no video with this id
        is out by now."""
        row = self.catalog.find(video_id, through=to_second(self.now()))
        if row is None:
            return None
        return from_second(row[0] + self.catalog.visibility.index_lag(row))

    def view_count(self, video_id: str, *, at: datetime | None = None) -> int | None:
        """The video's true view count at `at` (default now), hidden by its owner or not; it
        grows for days. None if no video with this id is out by then."""
        at = at or self.now()
        row = self.catalog.find(video_id, through=to_second(at))
        return None if row is None else content.view_count(self.catalog.video(row), at=at)

    def is_removed(self, video_id: str, *, at: datetime | None = None) -> bool:
        """Whether the video is deleted or private at `at` (default now): then neither
        search.list nor videos.list shows it. False before it is published."""
        row, at_second = self._row_of(video_id), to_second(at or self.now())
        return row[0] <= at_second and self.catalog.visibility.removed(row, at=at_second)

    # -- scripting the stream, for tests ---------------------------------------------------

    def remove(self, video_id: str, *, at: datetime | None = None) -> None:
        """Delete the video (or make it private) from `at` (default now) on: search.list and
        videos.list leave it out until a restore(). Scripted changes override the configured
        removals from their moment on."""
        row = self._row_of(video_id)
        with self._lock:
            self.catalog.visibility.script(row, at=to_second(at or self.now()), removed=True)

    def restore(self, video_id: str, *, at: datetime | None = None) -> None:
        """Bring the video back from `at` (default now) on, removed or not before."""
        row = self._row_of(video_id)
        with self._lock:
            self.catalog.visibility.script(row, at=to_second(at or self.now()), removed=False)

    def set_index_lag(self, video_id: str, lag: timedelta) -> None:
        """Search shows this video `lag` after it was published (whole seconds, rounded up),
        whatever the configured distribution says; videos.list is not affected."""
        if lag < timedelta(0):
            raise ValueError(f"an index lag cannot be negative, got {lag}")
        row = self._row_of(video_id)
        with self._lock:
            self.catalog.visibility.set_index_lag(row, seconds=math.ceil(lag.total_seconds()))

    # -- faults and quota ------------------------------------------------------------------

    def inject(
        self, kind: str, *, times: int = 1, method: str | None = None, key: str | None = None
    ) -> None:
        """Make the next `times` matching requests fail with `kind` (see INJECTABLE_KINDS).

        `method` is "search.list" or "videos.list"; `key` limits it to one API key. Note that
        httplib2 silently retries a dropped connection once: inject connectionDrop twice for the
        client to see it."""
        self._faults.inject(kind, times=times, method=method, key=key)

    def pending_faults(self) -> int:
        """How many injected faults no request has met yet."""
        return self._faults.pending()

    def clear_faults(self) -> None:
        """Forget the injected faults no request has met yet."""
        self._faults.clear()

    def units_used(self, key: str, *, day: date | None = None) -> int:
        return self.stats.units[(key, day or pacific_day(self.now()))]

    def told_quota_exceeded(self, key: str, *, day: date | None = None) -> bool:
        """Whether this simulator answered `key` quotaExceeded (or dailyLimitExceeded) on the
        Pacific `day` (default today): a well-behaved client makes no call on it that day."""
        with self._lock:
            return self._quota.told_exceeded(key, day=day or pacific_day(self.now()))

    # -- HTTP ------------------------------------------------------------------------------

    def handle(self, target: str) -> Answer:
        """Answer one GET of `target` (path and query string). No sockets: the HTTP layer and
        in-process benchmarks both call this."""
        url = urlsplit(target)
        method = params.ROUTES.get(url.path.rstrip("/"))
        if method is None:
            return shapes.error_answer(shapes.ERRORS["notFound"])
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        key = query.get("key") or None
        now = self.now()
        with self._lock:
            self._record_call(key=key, method=method, now=now)
            fault = self._faults.next(
                method=method, key=key, rate=self.config.fault_rate, kinds=self.config.fault_kinds
            )
            refusal = self._refuse(fault=fault, key=key, method=method, now=now)
        if refusal is not None:
            return refusal
        truncate = fault == "truncatedPage"
        try:
            if method == params.SEARCH:
                body = search.answer(
                    query,
                    catalog=self.catalog,
                    config=self.config,
                    now_second=to_second(now),
                    truncate=truncate,
                    etag=self._etag,
                )
            else:
                body = videos.answer(
                    query, catalog=self.catalog, now=now, truncate=truncate, etag=self._etag
                )
        except params.ApiError as error:
            return error.answer
        payload = shapes.encode(body)
        if fault == "malformedJson":
            payload = payload[: len(payload) // 2]
        delay = self.config.slow_seconds if fault == "slow" else 0.0
        return Answer(status=200, body=payload, delay_seconds=delay)

    def make_server(self, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        return server.make_server(self, host=host, port=port)

    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
        """Serve in a background thread; yields the URL to use as the client's api_endpoint."""
        return server.serve(self, host=host, port=port)

    # -- internals -------------------------------------------------------------------------

    def _row_of(self, video_id: str) -> streams.Row:
        """The row of any video of this simulator's streams, published or still to come."""
        row = self.catalog.find(video_id, through=_FAR_FUTURE)
        if row is None:
            raise KeyError(f"{video_id!r} is not a video of this simulator")
        return row

    def _ranges(
        self, query: str, *, since: datetime | None, until: datetime | None
    ) -> list[streams.Range]:
        low, high = self.catalog.window(since=since, until=until, high=to_second(self.now()))
        return self.catalog.ranges(self.catalog.streams_for_query(query), low=low, high=high)

    def _record_call(self, *, key: str | None, method: str, now: datetime) -> None:
        self.stats.calls[(key or "", method)] += 1
        if key and self._quota.told_exceeded(key, day=pacific_day(now)):
            self.stats.calls_after_quota_exceeded[key] += 1

    def _refuse(
        self, *, fault: str | None, key: str | None, method: str, now: datetime
    ) -> Answer | None:
        if fault == "connectionDrop":
            return Answer(status=0, body=None)
        if fault is not None and fault not in faults.ANSWER_CHANGING:
            if fault in faults.KEY_SPENDING and key:
                self._quota.spend(key, now=now)
            return shapes.error_answer(shapes.ERRORS[fault])
        error = self._quota.admit(key, method=method, now=now, config=self.config)
        return None if error is None else shapes.error_answer(shapes.ERRORS[error])

    def _etag(self) -> str:
        # Like YouTube's, a search's ETag changes on every call: it is no use for caching.
        return b64(digest(f"{self.config.seed}:etag:{next(self._responses)}", size=20))[:27]

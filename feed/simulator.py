"""The built-in YouTube stand-in: search.list and videos.list of the Data API v3 over HTTP.

Demo mode, tests and benchmarks point the real google-api-python-client at it with
`client_options={"api_endpoint": url}`. It answers with the real response and error shapes,
charges quota per key per Pacific day, and injects faults on request. Standard library only and
nothing from Django, so it runs in-process anywhere.

The video stream is a pure function of (seed, query, time): video n of a query is derived from n,
never stored, so a virtual year costs nothing and "what was published in [a, b]" is a bisect.
An id also encodes its query's position in the list: keep the order fixed to keep ids stable.

Unknown queries (a `q` not in the configured list) match nothing: the answer is an empty page,
as YouTube answers a query nobody has uploaded for. A request without `q` matches every query.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import heapq
import itertools
import json
import logging
import math
import random
import re
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from feed import simulator_shapes as shapes

logger = logging.getLogger("feed.simulator")

PACIFIC = ZoneInfo("America/Los_Angeles")
SEARCH = "search.list"
VIDEOS = "videos.list"
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 5

# Faults a random fault rate draws from. quotaExceeded and dailyLimitExceeded spend the key that
# asked until the next Pacific midnight, as a real exhausted key stays exhausted.
FAULT_KINDS = (
    "backendError",
    "internalError",
    "tooManyRequests",
    "rateLimitExceeded",
    "slow",
    "malformedJson",
    "truncatedPage",
    "connectionDrop",
    "dailyLimitExceeded",
    "quotaExceeded",
)
# inject() also takes these, so a test can script any documented error on the next call.
INJECTABLE_KINDS = (
    *FAULT_KINDS,
    "invalidPageToken",
    "keyInvalid",
    "keyInvalidOld",
    "accessNotConfigured",
    "missingKey",
)
_KEY_SPENDING_FAULTS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_ANSWER_CHANGING_FAULTS = frozenset({"slow", "malformedJson", "truncatedPage"})
_ROUTES = {"/youtube/v3/search": SEARCH, "/youtube/v3/videos": VIDEOS}
_SEARCH_PARTS = frozenset({"id", "snippet"})
_VIDEO_PARTS = frozenset({"id", "snippet", "contentDetails", "statistics"})
_STEADY, _BURST = 0, 1


def utc_now() -> datetime:
    return datetime.now(UTC)


def pacific_day(moment: datetime) -> date:
    """The quota day `moment` falls in: quota resets at midnight America/Los_Angeles."""
    return moment.astimezone(PACIFIC).date()


def next_quota_reset(moment: datetime) -> datetime:
    """The next Pacific midnight after `moment`, in UTC (23 or 25 hours away on DST days)."""
    midnight = datetime.combine(pacific_day(moment) + timedelta(days=1), wall_time(), PACIFIC)
    return midnight.astimezone(UTC)


def fingerprint(key: str) -> str:
    """A stable name for an API key that reveals nothing of it: use it in logs and reports."""
    # The same formula as feed.youtube.fingerprint, so log lines on both sides line up.
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:8]


_KEY_IN_URL = re.compile(r"(?<=[?&]key=)[^&\s\"']+")


def redact(text: str) -> str:
    """Replace every `key=...` in a URL or log line with the key's fingerprint."""
    return _KEY_IN_URL.sub(lambda match: fingerprint(match.group()), text)


class ManualClock:
    """A clock that moves only when told, so a test or a benchmark can drive a virtual day."""

    def __init__(self, now: datetime) -> None:
        self._now = _as_utc(now)

    def __call__(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> datetime:
        self._now = _as_utc(now)
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


@dataclass(frozen=True)
class SimulatorConfig:
    seed: int = 0
    queries: tuple[str, ...] = ("football",)
    rate_per_minute: float = 6.0  # steady videos per minute, per query
    burst_every_minutes: float = 60.0  # 0 turns bursts off
    burst_size: int = 60  # more than a 50-result page on purpose
    burst_spread_seconds: float = 5.0
    history_hours: float = 24.0  # videos already out when the simulator starts
    start: datetime | None = None  # default: the clock's now when the Simulator is built
    daily_quota: int = 10_000
    search_cost: int = 100
    videos_cost: int = 1
    invalid_keys: frozenset[str] = frozenset()  # plus any key starting with "invalid"
    disabled_keys: frozenset[str] = frozenset()  # accessNotConfigured
    key_invalid_form: Literal["new", "old"] = "new"  # API_KEY_INVALID details, or keyInvalid
    fault_rate: float = 0.0  # probability that a request gets a random fault
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 2.0
    max_walk_results: int = 500  # YouTube stops handing out page tokens at about 500 results
    region_code: str = "IN"

    def __post_init__(self) -> None:
        # Accept lists and sets from callers; a frozen dataclass still wants hashable fields.
        queries = tuple(" ".join(query.split()) for query in self.queries)
        object.__setattr__(self, "queries", queries)
        object.__setattr__(self, "invalid_keys", frozenset(self.invalid_keys))
        object.__setattr__(self, "disabled_keys", frozenset(self.disabled_keys))
        object.__setattr__(self, "fault_kinds", tuple(self.fault_kinds))
        _validate(self)


def _validate(config: SimulatorConfig) -> None:
    names = [_query_key(query) for query in config.queries]
    if not names or "" in names or len(set(names)) != len(names):
        raise ValueError(f"queries must be distinct and non-empty, got {config.queries!r}")
    if len(names) > 256:
        raise ValueError("at most 256 queries: the query index is 8 bits of each video id")
    if config.rate_per_minute <= 0:
        raise ValueError("rate_per_minute must be above 0 (use a small rate for a quiet stream)")
    if config.burst_every_minutes < 0 or config.burst_size < 0:
        raise ValueError("burst_every_minutes and burst_size must be 0 (off) or positive")
    if _bursts_on(config) and config.burst_spread_seconds >= config.burst_every_minutes * 60:
        raise ValueError("burst_spread_seconds must be shorter than burst_every_minutes")
    if not 0 <= config.fault_rate <= 1:
        raise ValueError(f"fault_rate is a probability in [0, 1], got {config.fault_rate}")
    unknown = sorted(set(config.fault_kinds) - set(INJECTABLE_KINDS))
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; choose from {INJECTABLE_KINDS}")
    if config.start is not None:
        _as_utc(config.start)


def _bursts_on(config: SimulatorConfig) -> bool:
    return config.burst_every_minutes > 0 and config.burst_size > 0


@dataclass(frozen=True)
class Video:
    """One simulated video. Text is plain; the API sends title and description HTML-escaped."""

    id: str
    query: str
    published_at: datetime
    title: str
    description: str
    channel_id: str
    channel_title: str
    live_broadcast_content: Literal["none", "live", "upcoming"]
    duration: str  # ISO 8601, "P0D" while live or upcoming
    definition: Literal["hd", "sd"]
    caption: bool
    licensed_content: bool
    popularity: int  # views grow as popularity * sqrt(age in minutes)
    likes_per_mille: int | None  # None: the owner hides likes
    comments_per_mille: int | None  # None: comments are off


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


@dataclass(frozen=True)
class Answer:
    """What the HTTP layer sends: a status and a body, or nothing at all (a dropped connection)."""

    status: int
    body: bytes | None
    delay_seconds: float = 0.0


class _ApiError(Exception):
    """A 4xx about the request's parameters, raised where the parameter is read."""

    def __init__(self, shape: tuple[int, dict[str, Any]]) -> None:
        super().__init__(shape[0])
        self.answer = _error_answer(shape)


@dataclass
class _QueuedFault:
    kind: str
    remaining: int
    method: str | None
    key: str | None


class Simulator:
    """A deterministic YouTube: same seed, same clock readings, same answers."""

    def __init__(
        self, config: SimulatorConfig | None = None, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.config = config or SimulatorConfig()
        self.clock = clock
        self.started_at = _as_utc(self.config.start or clock())
        history = timedelta(hours=self.config.history_hours)
        self.origin = self.started_at - history
        self.stats = SimulatorStats()
        self._origin_second = math.ceil(self.origin.timestamp())
        self._query_index = {_query_key(q): i for i, q in enumerate(self.config.queries)}
        self._streams = _build_streams(self.config)
        self._channels = _channel_pool(self.config.seed)
        self._lock = threading.Lock()
        self._fault_rng = random.Random(f"{self.config.seed}:faults")
        self._queued: list[_QueuedFault] = []
        self._told_exceeded: set[tuple[str, date]] = set()
        self._responses = itertools.count()

    # -- the stream ------------------------------------------------------------------------

    def now(self) -> datetime:
        return _as_utc(self.clock())

    def published(
        self, query: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """(id, published_at) of every video of `query` out by `until` (default now), oldest
        first. For checking that a fetcher missed nothing; a day is ~10k tuples."""
        low, high = self._window(since=since, until=until)
        ranges = self._ranges(self._streams_for_query(query), low=low, high=high)
        rows = list(_newest_first(ranges))
        return [(self._video_id(row), _from_second(row[0])) for row in reversed(rows)]

    def count_published(
        self, query: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> int:
        low, high = self._window(since=since, until=until)
        return _total(self._ranges(self._streams_for_query(query), low=low, high=high))

    def video(self, video_id: str) -> Video | None:
        """The video with this id if it is out by now, else None (as videos.list omits it)."""
        return self._find(video_id, now_second=math.floor(self.now().timestamp()))

    # -- faults and quota ------------------------------------------------------------------

    def inject(
        self, kind: str, *, times: int = 1, method: str | None = None, key: str | None = None
    ) -> None:
        """Make the next `times` matching requests fail with `kind` (see INJECTABLE_KINDS).

        `method` is "search.list" or "videos.list"; `key` limits it to one API key. Note that
        httplib2 silently retries a dropped connection once: inject connectionDrop twice for the
        client to see it."""
        if kind not in INJECTABLE_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {INJECTABLE_KINDS}")
        if method not in (None, SEARCH, VIDEOS):
            raise ValueError(f"method must be {SEARCH!r} or {VIDEOS!r}, got {method!r}")
        with self._lock:
            self._queued.append(_QueuedFault(kind=kind, remaining=times, method=method, key=key))

    def units_used(self, key: str, *, day: date | None = None) -> int:
        return self.stats.units[(key, day or pacific_day(self.now()))]

    # -- HTTP ------------------------------------------------------------------------------

    def handle(self, target: str) -> Answer:
        """Answer one GET of `target` (path and query string). No sockets: the HTTP layer and
        in-process benchmarks both call this."""
        url = urlsplit(target)
        method = _ROUTES.get(url.path.rstrip("/"))
        if method is None:
            return _error_answer(shapes.ERRORS["notFound"])
        params = {name: values[-1] for name, values in parse_qs(url.query).items()}
        key = params.get("key") or None
        now = self.now()
        with self._lock:
            self._record_call(key=key, method=method, now=now)
            fault = self._next_fault(method=method, key=key)
            refusal = self._refuse(fault=fault, key=key, method=method, now=now)
        if refusal is not None:
            return refusal
        try:
            if method == SEARCH:
                body = self._search(params, now=now, truncate=fault == "truncatedPage")
            else:
                body = self._videos(params, now=now, truncate=fault == "truncatedPage")
        except _ApiError as error:
            return error.answer
        payload = _json(body)
        if fault == "malformedJson":
            payload = payload[: len(payload) // 2]
        delay = self.config.slow_seconds if fault == "slow" else 0.0
        return Answer(status=200, body=payload, delay_seconds=delay)

    def make_server(self, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        handler = type("SimulatorHandler", (_Handler,), {"simulator": self})
        return _Server((host, port), handler)

    @contextmanager
    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve in a background thread; yields the URL to use as the client's api_endpoint."""
        server = self.make_server(host=host, port=port)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            name="youtube-simulator",
            daemon=True,
        )
        thread.start()
        try:
            yield server_url(server)
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    # -- requests: bookkeeping (called with the lock held) ---------------------------------

    def _record_call(self, *, key: str | None, method: str, now: datetime) -> None:
        self.stats.calls[(key or "", method)] += 1
        if key and (key, pacific_day(now)) in self._told_exceeded:
            self.stats.calls_after_quota_exceeded[key] += 1

    def _next_fault(self, *, method: str, key: str | None) -> str | None:
        for queued in self._queued:
            if queued.method in (None, method) and queued.key in (None, key):
                queued.remaining -= 1
                if queued.remaining <= 0:
                    self._queued.remove(queued)
                self.stats.faults[queued.kind] += 1
                return queued.kind
        # Draw only when a rate is set, so scripted runs never consume the random sequence.
        if self.config.fault_rate and self._fault_rng.random() < self.config.fault_rate:
            kind = self._fault_rng.choice(self.config.fault_kinds)
            self.stats.faults[kind] += 1
            return kind
        return None

    def _refuse(
        self, *, fault: str | None, key: str | None, method: str, now: datetime
    ) -> Answer | None:
        if fault == "connectionDrop":
            return Answer(status=0, body=None)
        if fault is not None and fault not in _ANSWER_CHANGING_FAULTS:
            if fault in _KEY_SPENDING_FAULTS and key:
                self._told_exceeded.add((key, pacific_day(now)))
            return _error_answer(shapes.ERRORS[fault])
        if key is None:
            return _error_answer(shapes.ERRORS["missingKey"])
        if key in self.config.invalid_keys or key.startswith("invalid"):
            form = "keyInvalid" if self.config.key_invalid_form == "new" else "keyInvalidOld"
            return _error_answer(shapes.ERRORS[form])
        if key in self.config.disabled_keys:
            return _error_answer(shapes.ERRORS["accessNotConfigured"])
        day = pacific_day(now)
        spent = self.stats.units[(key, day)] >= self.config.daily_quota
        if spent or (key, day) in self._told_exceeded:
            self._told_exceeded.add((key, day))
            return _error_answer(shapes.ERRORS["quotaExceeded"])
        # Charged before the parameters are checked: invalid requests cost quota too.
        cost = self.config.search_cost if method == SEARCH else self.config.videos_cost
        self.stats.units[(key, day)] += cost
        return None

    # -- search.list -----------------------------------------------------------------------

    def _search(self, params: dict[str, str], *, now: datetime, truncate: bool) -> dict[str, Any]:
        parts = _parts(params.get("part"), allowed=_SEARCH_PARTS)
        page_size = _page_size(params.get("maxResults"))
        after = _timestamp(params, name="publishedAfter")
        before = _timestamp(params, name="publishedBefore")
        now_second = math.floor(now.timestamp())
        offset, snapshot = self._read_page_token(params.get("pageToken"), now_second=now_second)

        low, high = self._window(since=after, until=before, now_second=snapshot)
        streams = self._streams_for_search(q=params.get("q"), kind=params.get("type"))
        ranges = self._ranges(streams, low=low, high=high)
        total = _total(ranges)
        reachable = min(total, self.config.max_walk_results)
        stop = min(offset + page_size, reachable)
        rows = list(itertools.islice(_newest_first(ranges), offset, stop))
        if truncate and rows:
            rows = rows[: len(rows) // 2]  # a short page that still says "there is more"
            more = True
        else:
            more = page_size > 0 and offset + len(rows) < reachable

        response: dict[str, Any] = {"kind": "youtube#searchListResponse", "etag": self._etag()}
        if more:
            response["nextPageToken"] = self._page_token(offset + len(rows), snapshot=snapshot)
        if offset > 0:
            previous = max(0, offset - page_size)
            response["prevPageToken"] = self._page_token(previous, snapshot=snapshot)
        response["regionCode"] = params.get("regionCode") or self.config.region_code
        response["pageInfo"] = {"totalResults": min(total, 1_000_000), "resultsPerPage": page_size}
        response["items"] = [
            _search_item(self._make_video(row), with_snippet="snippet" in parts) for row in rows
        ]
        return response

    def _page_token(self, offset: int, *, snapshot: int) -> str:
        # Offset plus the walk's "now", so later pages of one walk see the same list.
        payload = struct.pack(">IQ", offset, snapshot)
        return _b64(payload + self._token_mac(payload))

    def _read_page_token(self, token: str | None, *, now_second: int) -> tuple[int, int]:
        if not token:
            return 0, now_second
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            raw = b""
        payload, mac = raw[:12], raw[12:]
        if len(raw) != 16 or mac != self._token_mac(payload):
            raise _ApiError(shapes.ERRORS["invalidPageToken"])
        offset, snapshot = struct.unpack(">IQ", payload)
        if offset > self.config.max_walk_results:
            raise _ApiError(shapes.ERRORS["invalidPageToken"])
        return offset, min(snapshot, now_second)

    def _token_mac(self, payload: bytes) -> bytes:
        key = f"page-token:{self.config.seed}".encode()[:64]
        return hashlib.blake2b(payload, key=key, digest_size=4).digest()

    def _etag(self) -> str:
        # Like YouTube's, a search's ETag changes on every call: it is no use for caching.
        return _b64(_digest(f"{self.config.seed}:etag:{next(self._responses)}", size=20))[:27]

    # -- videos.list -----------------------------------------------------------------------

    def _videos(self, params: dict[str, str], *, now: datetime, truncate: bool) -> dict[str, Any]:
        parts = _parts(params.get("part"), allowed=_VIDEO_PARTS)
        ids = list(dict.fromkeys(i.strip() for i in params.get("id", "").split(",") if i.strip()))
        if not ids:
            raise _ApiError(
                shapes.parameter_error(
                    reason="missingRequiredParameter",
                    message="No filter selected. Expected one of: myRating, id, chart",
                    location="parameters.",
                    domain="youtube.parameter",
                )
            )
        if len(ids) > MAX_PAGE_SIZE:
            raise _ApiError(
                shapes.parameter_error(
                    reason="invalidFilters",
                    message="The request specifies an invalid filter parameter.",
                    location="id",
                    domain="youtube.parameter",
                )
            )
        now_second = math.floor(now.timestamp())
        videos = [v for v in (self._find(i, now_second=now_second) for i in ids) if v]
        if truncate:
            videos = videos[: len(videos) // 2]
        items = [_video_item(video, parts=parts, now=now) for video in videos]
        return {
            "kind": "youtube#videoListResponse",
            "etag": self._etag(),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }

    # -- the stream: windows, ranges, ids --------------------------------------------------

    def _window(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        now_second: int | None = None,
    ) -> tuple[int, int]:
        """Inclusive [low, high] in whole seconds: publish times have second resolution."""
        high = math.floor(self.now().timestamp()) if now_second is None else now_second
        if until is not None:
            high = min(high, math.floor(_as_utc(until).timestamp()))
        low = self._origin_second
        if since is not None:
            low = max(low, math.ceil(_as_utc(since).timestamp()))
        return low, high

    def _streams_for_query(self, query: str) -> list[_Stream]:
        index = self._query_index.get(_query_key(query))
        if index is None:
            raise KeyError(f"{query!r} is not a simulated query; configured: {self.config.queries}")
        return [s for s in self._streams if s.query_index == index]

    def _streams_for_search(self, *, q: str | None, kind: str | None) -> list[_Stream]:
        if kind and "video" not in kind.split(","):
            return []  # only videos are simulated: channels and playlists match nothing
        if not q or not q.strip():
            return list(self._streams)
        index = self._query_index.get(_query_key(q))
        return [s for s in self._streams if s.query_index == index]

    def _ranges(
        self, streams: list[_Stream], *, low: int, high: int
    ) -> list[tuple[_Stream, int, int]]:
        """Per stream, the index range [first, end) of videos published in [low, high]."""
        if low > high:
            return []
        ranges = []
        for stream in streams:
            first = _count_through(stream.arrivals, second=low - 1)
            end = _count_through(stream.arrivals, second=high)
            if end > first:
                ranges.append((stream, first, end))
        return ranges

    def _video_id(self, row: tuple[int, int, int, int]) -> str:
        _, query_index, kind, n = row
        packed = (query_index << 56) | (kind << 55) | n
        return _b64(_permute(packed, seed=self.config.seed).to_bytes(8, "big"))

    def _find(self, video_id: str, *, now_second: int) -> Video | None:
        # Ids are a keyed permutation of (query, stream, n), so any id decodes; a made-up one
        # decodes to a query that does not exist or a time far in the future.
        try:
            raw = base64.urlsafe_b64decode(video_id + "=")
        except ValueError:
            return None
        if len(video_id) != 11 or len(raw) != 8 or _b64(raw) != video_id:
            return None
        packed = _permute(int.from_bytes(raw, "big"), seed=self.config.seed, inverse=True)
        query_index, kind, n = packed >> 56, (packed >> 55) & 1, packed & ((1 << 55) - 1)
        stream = next(
            (s for s in self._streams if (s.query_index, s.kind) == (query_index, kind)), None
        )
        if stream is None:
            return None
        second = stream.arrivals.second(n)
        if not self._origin_second <= second <= now_second:
            return None
        return self._make_video((second, query_index, kind, n))

    def _make_video(self, row: tuple[int, int, int, int]) -> Video:
        second, query_index, kind, n = row
        query = self.config.queries[query_index]
        rng = random.Random(f"{self.config.seed}:{_query_key(query)}:{kind}:{n}")
        return _describe(
            rng,
            video_id=self._video_id(row),
            query=query,
            published_at=_from_second(second),
            channel=rng.choice(self._channels),
        )


# -- arrivals: when video n of a stream is published ------------------------------------------


class _Arrivals(Protocol):
    def second(self, n: int) -> int: ...

    def upper_bound(self, second: int) -> int: ...


@dataclass(frozen=True)
class _Steady:
    """Video n lands at a seeded moment inside its own slot of 60/rate seconds: monotone in n,
    about `rate` a minute, and two may share a second."""

    salt: str
    slot_ms: int

    def second(self, n: int) -> int:
        return (n * self.slot_ms + _hash_int(f"{self.salt}:{n}") % self.slot_ms) // 1000

    def upper_bound(self, second: int) -> int:
        # Slot starts only grow, so from this index on every video lands after `second`.
        return (second + 1) * 1000 // self.slot_ms + 1


@dataclass(frozen=True)
class _Bursts:
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
        jitter = _hash_int(f"{self.salt}:{n}") % step if step else 0
        start = burst * self.period_ms + self.phase_ms
        return (start + i * self.spread_ms // self.size + jitter) // 1000

    def upper_bound(self, second: int) -> int:
        return ((second + 1) * 1000 // self.period_ms + 1) * self.size


@dataclass(frozen=True)
class _Stream:
    query_index: int
    kind: int
    arrivals: _Arrivals


def _build_streams(config: SimulatorConfig) -> list[_Stream]:
    streams: list[_Stream] = []
    for index, query in enumerate(config.queries):
        salt = f"{config.seed}:{_query_key(query)}"
        slot_ms = max(1, round(60_000 / config.rate_per_minute))
        streams.append(_Stream(index, _STEADY, _Steady(salt=f"{salt}:steady", slot_ms=slot_ms)))
        if _bursts_on(config):
            period_ms = round(config.burst_every_minutes * 60_000)
            spread_ms = round(config.burst_spread_seconds * 1000)
            bursts = _Bursts(
                salt=f"{salt}:burst",
                period_ms=period_ms,
                phase_ms=_hash_int(f"{salt}:phase") % (period_ms - spread_ms),
                size=config.burst_size,
                spread_ms=spread_ms,
            )
            streams.append(_Stream(index, _BURST, bursts))
    return streams


def _total(ranges: list[tuple[_Stream, int, int]]) -> int:
    return sum(end - first for _, first, end in ranges)


def _newest_first(ranges: list[tuple[_Stream, int, int]]) -> Iterator[tuple[int, int, int, int]]:
    """Rows (second, query index, stream kind, n), newest first, built lazily: a page deep in a
    walk touches only the rows before it, never the whole history."""
    feeds = (_stream_newest_first(stream, first=first, end=end) for stream, first, end in ranges)
    return heapq.merge(*feeds, reverse=True)


def _stream_newest_first(
    stream: _Stream, *, first: int, end: int
) -> Iterator[tuple[int, int, int, int]]:
    for n in range(end - 1, first - 1, -1):
        yield stream.arrivals.second(n), stream.query_index, stream.kind, n


def _count_through(arrivals: _Arrivals, *, second: int) -> int:
    """How many videos of the stream land at or before `second`: a bisect, no list is built."""
    if second < 0:
        return 0
    indices = range(arrivals.upper_bound(second))
    return bisect.bisect_right(indices, second, key=arrivals.second)


# -- video content ---------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split(", "))


_TEAMS = _words(
    "Arsenal, Barça, Mumbai City, Kerala Blasters, Real Madrid, Bayern, Inter Miami, "
    "Bengaluru FC, Liverpool, Mohun Bagan, PSG, Flamengo, Ajax, Celtic, Napoli, Al Nassr"
)
_ADJECTIVES = _words(
    "insane, unbelievable, crazy, epic, classic, last-minute, brilliant, rare, funniest, "
    "ultimate, underrated, wild"
)
_NOUNS = _words(
    "highlights, goals, skills, saves, moments, fails, tactics, analysis, training, reactions, "
    "interview, vlog, tutorial, compilation, podcast, drills"
)
_TAGS = _words(
    "4K, HD, Full Match, ⚽, 🔥, Hindi, मैच हाइलाइट्स, Café talk, Q&A, Part 2, "
    "ft. Rohit's crew, <LIVE>"
)
# Raw text: quotes, apostrophes, & and < > are escaped on the way out, as YouTube does.
_TITLES = (
    "{Q} {noun}: {team} vs {team2} | {Adj} {tag}",
    "Top {number} {adj} {q} {noun} of {year}",
    "{team}'s {adj} {q} {noun} – {tag}",
    '"{Adj}" {q} {noun} & more',
    "How to get better at {q}? {Adj} {noun} for beginners",
    "{Q} & {noun}: what nobody tells you",
    "{q} {noun} #shorts",
    "{Adj} {q} {noun} ({tag})",
)
_LIVE_TITLES = (
    "LIVE: {team} vs {team2} | {Q} {noun}",
    "🔴 {Q} live stream – {team}'s {adj} {noun}",
)
_UPCOMING_TITLES = (
    "Premiere: {Q} {noun} – {team}'s {adj} season",
    "Starting soon: {team} vs {team2} {q} watch-along",
)
_DESCRIPTIONS = (
    "",
    '{Adj} {q} {noun} from {team} vs {team2}. Subscribe for more "daily" videos & turn on '
    "notifications!",
    "Everything about {q}: {noun}, {noun2} and {tag}. Timestamps below 👇 0:00 intro 1:23 {noun2} "
    "4:56 what's next for {team}",
    "We break down {team}'s {q} {noun}. What's your take? Comment below.",
    "{Q} {noun} | {team} | {team2} | {tag} | #{hashtag} #{noun}",
)
_CHANNEL_FIRST = _words(
    "Chai &, Goal, Pitch, Kick Off, Sunday League, Desi, Ultra, Tactics, Café, Mr. Volley's, "
    "Stadium, Derby"
)
_CHANNEL_SECOND = _words(
    "Cricket, Zone, Side, TV, Official, HD, 24x7, Corner, Talks, Room, Highlights, Fútbol"
)


def _channel_pool(seed: int) -> list[tuple[str, str]]:
    rng = random.Random(f"{seed}:channels")
    names = [f"{first} {second}" for first in _CHANNEL_FIRST for second in _CHANNEL_SECOND]
    return [
        ("UC" + _b64(_digest(f"{seed}:channel:{name}", size=17))[:22], name)
        for name in rng.sample(names, 40)
    ]


def _describe(
    rng: random.Random,
    *,
    video_id: str,
    query: str,
    published_at: datetime,
    channel: tuple[str, str],
) -> Video:
    live = rng.choices(("none", "live", "upcoming"), weights=(90, 6, 4))[0]
    team, team2 = rng.sample(_TEAMS, 2)
    adjective = rng.choice(_ADJECTIVES)
    noun, noun2 = rng.sample(_NOUNS, 2)
    words = {
        "q": query,
        "Q": rng.choice((query, query.title(), query.upper())),
        "adj": adjective,
        "Adj": adjective.capitalize(),
        "noun": noun,
        "noun2": noun2,
        "team": team,
        "team2": team2,
        "tag": rng.choice(_TAGS),
        "number": rng.choice((5, 10, 20, 50)),
        "year": published_at.year,
        "hashtag": query.replace(" ", ""),
    }
    templates = {"none": _TITLES, "live": _LIVE_TITLES, "upcoming": _UPCOMING_TITLES}[live]
    return Video(
        id=video_id,
        query=query,
        published_at=published_at,
        title=rng.choice(templates).format(**words),
        description=rng.choice(_DESCRIPTIONS).format(**words),
        channel_id=channel[0],
        channel_title=channel[1],
        live_broadcast_content=live,
        duration="P0D" if live != "none" else _iso_duration(_duration_seconds(rng)),
        definition="hd" if rng.random() < 0.85 else "sd",
        caption=rng.random() < 0.3,
        licensed_content=rng.random() < 0.6,
        popularity=int(rng.lognormvariate(4, 2)) + 1,
        likes_per_mille=None if rng.random() < 0.03 else rng.randint(5, 80),
        comments_per_mille=None if rng.random() < 0.04 else rng.randint(1, 10),
    )


def _duration_seconds(rng: random.Random) -> int:
    kind = rng.choices(("short", "regular", "long"), weights=(25, 60, 15))[0]
    low, high = {"short": (15, 59), "regular": (60, 20 * 60), "long": (20 * 60, 3 * 3600)}[kind]
    return rng.randint(low, high)


def _iso_duration(seconds: int) -> str:
    if seconds == 0:
        return "P0D"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n]
    return "PT" + "".join(parts)


def _statistics(video: Video, *, now: datetime) -> dict[str, str]:
    if video.live_broadcast_content == "upcoming":
        views = 0
    else:
        age_minutes = max(0, int((now - video.published_at).total_seconds()) // 60)
        views = video.popularity * math.isqrt(age_minutes + 1)
    statistics = {"viewCount": str(views)}
    if video.likes_per_mille is not None:
        statistics["likeCount"] = str(views * video.likes_per_mille // 1000)
    statistics["favoriteCount"] = "0"
    if video.comments_per_mille is not None:
        statistics["commentCount"] = str(views * video.comments_per_mille // 1000)
    return statistics


# -- JSON shapes -----------------------------------------------------------------------------


def _escape(text: str) -> str:
    """HTML-escape as YouTube does (&#39;, not Python's &#x27;)."""
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(raw, entity)
    return text.replace("'", "&#39;")


def _thumbnails(video: Video) -> dict[str, dict[str, Any]]:
    suffix = "_live" if video.live_broadcast_content != "none" else ""
    base = f"https://i.ytimg.com/vi/{video.id}"
    return {
        "default": {"url": f"{base}/default{suffix}.jpg", "width": 120, "height": 90},
        "medium": {"url": f"{base}/mqdefault{suffix}.jpg", "width": 320, "height": 180},
        "high": {"url": f"{base}/hqdefault{suffix}.jpg", "width": 480, "height": 360},
    }


def _search_item(video: Video, *, with_snippet: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "youtube#searchResult",
        "etag": _b64(_digest(f"search:{video.id}", size=20))[:27],
        "id": {"kind": "youtube#video", "videoId": video.id},
    }
    if with_snippet:
        # Search snippets cut long descriptions; cut the plain text so no entity is split.
        description = video.description
        if len(description) > 160:
            description = description[:157].rstrip() + "..."
        published = _rfc3339(video.published_at)
        item["snippet"] = {
            "publishedAt": published,
            "channelId": video.channel_id,
            "title": _escape(video.title),
            "description": _escape(description),
            "thumbnails": _thumbnails(video),
            "channelTitle": _escape(video.channel_title),
            "liveBroadcastContent": video.live_broadcast_content,
            "publishTime": published,
        }
    return item


def _video_item(video: Video, *, parts: set[str], now: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "youtube#video",
        "etag": _b64(_digest(f"video:{video.id}", size=20))[:27],
        "id": video.id,
    }
    if "snippet" in parts:
        item["snippet"] = {
            "publishedAt": _rfc3339(video.published_at),
            "channelId": video.channel_id,
            "title": _escape(video.title),
            "description": _escape(video.description),
            "thumbnails": _thumbnails(video),
            "channelTitle": _escape(video.channel_title),
            "categoryId": "17",
            "liveBroadcastContent": video.live_broadcast_content,
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {
            "duration": video.duration,
            "dimension": "2d",
            "definition": video.definition,
            "caption": "true" if video.caption else "false",
            "licensedContent": video.licensed_content,
            "projection": "rectangular",
        }
    if "statistics" in parts:
        item["statistics"] = _statistics(video, now=now)
    return item


def _json(body: dict[str, Any]) -> bytes:
    # UTF-8 as Google sends it, not \u escapes: the client must cope with real bytes.
    return json.dumps(body, ensure_ascii=False).encode()


def _error_answer(shape: tuple[int, dict[str, Any]]) -> Answer:
    status, body = shape
    return Answer(status=status, body=_json(body))


# -- request parameters ----------------------------------------------------------------------


def _parts(value: str | None, *, allowed: frozenset[str]) -> set[str]:
    if not value:
        raise _ApiError(
            shapes.parameter_error(
                reason="required", message="Required parameter: part", location="part"
            )
        )
    parts = {part.strip() for part in value.split(",") if part.strip()}
    unknown = sorted(parts - allowed)
    if unknown:
        raise _ApiError(
            shapes.parameter_error(
                reason="unknownPart",
                message=f"'{unknown[0]}'",
                location="part",
                domain="youtube.part",
            )
        )
    return parts


def _page_size(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PAGE_SIZE
    size = int(value) if value.isdigit() else -1
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise _ApiError(
            shapes.parameter_error(
                reason="invalid",
                message=f"Invalid value '{value}'. Values must be within the range: [0, 50]",
                location="maxResults",
            )
        )
    return size


def _timestamp(params: dict[str, str], *, name: str) -> datetime | None:
    value = params.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        field_name = re.sub(r"([A-Z])", r"_\1", name).lower()
        raise _ApiError(
            shapes.parameter_error(
                reason="invalid",
                message=f"Invalid value at '{field_name}' "
                f"(type.googleapis.com/google.protobuf.Timestamp), Field '{name}', "
                "Invalid time format: Failed to parse input",
                location=name,
            )
        )
    return moment


# -- small helpers ---------------------------------------------------------------------------


def _query_key(query: str) -> str:
    return " ".join(query.casefold().split())


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} is naive: pass an aware datetime, e.g. tzinfo=UTC")
    return moment.astimezone(UTC)


def _from_second(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(text: str, *, size: int) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def _hash_int(text: str) -> int:
    return int.from_bytes(_digest(text, size=8), "big")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


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
    return int.from_bytes(_digest(f"{seed}:id:{r}:{half}", size=4), "big")


# -- HTTP ------------------------------------------------------------------------------------


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-answer (a timeout during a slow fault) is not news.
        logger.debug("connection error while answering", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    simulator: Simulator
    server_version = "youtube-simulator"
    sys_version = ""

    def do_GET(self) -> None:
        answer = self.simulator.handle(self.path)
        if answer.delay_seconds:
            time.sleep(answer.delay_seconds)
        if answer.body is None:
            self.close_connection = True  # hang up without a status line
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line carries ?key=...: log only its fingerprint.
        logger.debug("%s %s", self.address_string(), redact(format % args))

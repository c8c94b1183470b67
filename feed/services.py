"""Polling YouTube for one query: walk the result pages, rotate keys, upsert, record the run.

What a query has fetched is its walk state (SearchQuery.covered_until and .gaps): every video
published up to `covered_until` is stored, except inside the gaps. A poll walks, newest first:
1. the top window, from `covered_until - overlap` to now (the overlap catches videos YouTube's
   search shows late), then
2. each gap, newest first, with publishedBefore,
within a page cap. The state is saved with every page, in the same transaction as the page's
videos: a walk cut short by the cap, an error or a crash leaves the unwalked part as a gap that
later polls fill, so no video is lost and none is stored twice (upserts are by YouTube id).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum

from feed import clock as feed_clock
from feed import keys, quota, store, youtube
from feed.clock import Clock
from feed.models import FetchRun, SearchQuery, Video

logger = logging.getLogger(__name__)

ONE_SECOND = timedelta(seconds=1)
# YouTube stops handing out page tokens after about 500 results of one walk. A walk that listed
# at least this many and got no token may have been cut off rather than have reached the end of
# its window, so what lies below its oldest video stays a gap (one search to find out, if not).
WALK_RESULT_LIMIT = 450


class NoUsableKey(Exception):
    """Nothing can be fetched until a key is added, fixed, or its quota resets."""


@dataclass
class Window:
    after: datetime
    before: datetime | None  # None: the top window, up to now
    newest: datetime | None = None
    oldest: datetime | None = None

    def as_gap(self) -> dict[str, str]:
        assert self.before is not None
        return {"after": self.after.isoformat(), "before": self.before.isoformat()}


@dataclass
class Poll:
    """One poll of one query: the state of its walk and the FetchRun it records."""

    query: SearchQuery
    run: FetchRun
    clock: Clock
    endpoint: str
    num_retries: int
    after_page: Callable[[], None]
    gaps: list[Window] = field(default_factory=list)  # open gaps, newest first
    prints: set[str] = field(default_factory=set)  # fingerprints of the keys that were charged
    stored: set[str] = field(default_factory=set)  # YouTube ids this poll stored

    # -- calls --------------------------------------------------------------------------------

    def call(self, method: Callable[..., Any], *, cost: int, **kwargs: Any) -> Any:
        """Call YouTube with the best usable key, moving on to the next at once when a key is
        spent or rejected."""
        while True:
            key = self.next_key(cost=cost)
            try:
                result = method(
                    key=key, endpoint=self.endpoint, num_retries=self.num_retries, **kwargs
                )
            except youtube.QuotaExceeded as e:
                keys.mark_exhausted(key, now=self.clock(), reason=e.reason, message=str(e))
                logger.warning("%s: quota spent, rotating to the next key", e.key_fingerprint)
                continue
            except youtube.KeyRejected as e:
                keys.disable(key, now=self.clock(), reason=e.reason, message=str(e))
                logger.error("%s", e)
                continue
            except (youtube.RequestRejected, youtube.InvalidPageToken):
                self.spend(key, cost)  # invalid requests cost quota too
                raise
            self.spend(key, cost)
            return result

    def next_key(self, *, cost: int) -> str:
        now = self.clock()
        usable = keys.usable(now=now, units=cost)
        if usable:
            return usable[0]
        raise NoUsableKey(no_key_message(now=now, cost=cost))

    def spend(self, key: str, cost: int) -> None:
        keys.charge(key, units=cost, now=self.clock())
        self.run.units += cost
        self.prints.add(youtube.fingerprint(key))

    # -- the walk -----------------------------------------------------------------------------

    def walk(self, window: Window, *, pages_left: int) -> int:
        """Walk one window newest first, saving the walk state with every page; returns the
        pages used."""
        top = window.before is None
        others = [gap for gap in self.gaps if gap is not window]
        token: str | None = None
        restarted = False
        used = 0
        listed = 0  # results of this walk since its last (re)start
        while used < pages_left:
            try:
                page = self.call(
                    youtube.search_page,
                    cost=settings.YOUTUBE_SEARCH_COST,
                    query=self.query.text,
                    published_after=window.after,
                    published_before=window.before,
                    page_token=token,
                )
            except youtube.InvalidPageToken:
                if restarted:
                    raise
                token, restarted = None, True  # YouTube forgot the token: walk again from the top
                listed = 0
                continue
            used += 1
            listed += len(page.items)
            self.run.pages += 1
            ids = [item.youtube_id for item in page.items]
            # Linked by an earlier poll, that is: not by this one (a restarted walk sees its
            # own pages again, and they prove nothing about what is below them).
            linked = already_linked(self.query, ids) - self.stored
            for item in page.items:
                window.newest = max(window.newest or item.published_at, item.published_at)
                window.oldest = min(window.oldest or item.published_at, item.published_at)
            # In the top window, a page of videos this query already has reaches what earlier
            # walks covered: everything older is stored or listed as a gap.
            cut_off = page.next_page_token is None and listed >= WALK_RESULT_LIMIT
            ended = page.next_page_token is None and not cut_off
            done = ended or (top and bool(ids) and linked >= set(ids))
            rest = None if done else remaining(window)
            covered = self.query.covered_until
            if top and window.newest is not None:
                covered = max(covered or window.newest, window.newest)
            gaps = sorted(others + ([rest] if rest else []), key=lambda g: g.before, reverse=True)
            with transaction.atomic():
                upserted = store.upsert_videos(page.items, query=self.query, now=self.clock())
                self.save_state(covered_until=covered, gaps=gaps)
            self.stored.update(ids)
            self.run.new_videos += len(upserted.new_ids)
            self.run.updated_videos += len(upserted.updated_ids)
            self.enrich(upserted.new_ids)
            self.after_page()
            if done or cut_off:
                # Cut off: what lies below is now a gap, walked with publishedBefore.
                return used
            token = page.next_page_token
        return used

    def save_state(self, *, covered_until: datetime | None, gaps: list[Window]) -> None:
        self.query.covered_until = covered_until
        self.query.gaps = [gap.as_gap() for gap in gaps]
        self.gaps = gaps
        SearchQuery.objects.filter(pk=self.query.pk).update(
            covered_until=covered_until, gaps=self.query.gaps
        )

    def enrich(self, youtube_ids: list[str]) -> None:
        """Duration and views of new videos, 50 ids a call (1 unit each). Best effort: a video
        without them is still a video, so a failure here is recorded, not raised."""
        for start in range(0, len(youtube_ids), youtube.MAX_RESULTS):
            batch = youtube_ids[start : start + youtube.MAX_RESULTS]
            try:
                details = self.call(
                    youtube.fetch_details, cost=settings.YOUTUBE_VIDEOS_COST, ids=batch
                )
            except youtube.YouTubeError as e:
                self.note(e.reason, f"details not fetched: {e}")
                return
            store.set_details(details)

    def note(self, reason: str, message: str) -> None:
        self.run.error_reason = self.run.error_reason or reason
        self.run.error = f"{self.run.error}\n{message}".strip()


def remaining(window: Window) -> Window | None:
    """What is left of `window` below the oldest video seen so far (that second included, as
    its videos may straddle two pages)."""
    if window.oldest is None:
        return None
    before = window.oldest + ONE_SECOND
    if window.before is not None and before >= window.before:
        # No progress (a page of one second's videos): step past that second.
        before = window.oldest
    return Window(after=window.after, before=before)


def already_linked(query: SearchQuery, youtube_ids: list[str]) -> set[str]:
    links = Video.queries.through.objects.filter(
        searchquery=query, video__youtube_id__in=youtube_ids
    )
    return set(links.values_list("video__youtube_id", flat=True))


def load_gaps(query: SearchQuery) -> list[Window]:
    return [
        Window(
            after=datetime.fromisoformat(gap["after"]), before=datetime.fromisoformat(gap["before"])
        )
        for gap in query.gaps
    ]


def fetch_query(
    query: SearchQuery,
    *,
    clock: Clock = feed_clock.now,
    endpoint: str | None = None,
    max_pages: int | None = None,
    num_retries: int | None = None,
    after_page: Callable[[], None] | None = None,
) -> FetchRun:
    """One poll of `query` (see the module docstring). Never raises a YouTube error: every
    outcome, failures included, is in the returned FetchRun. `after_page` is called after each
    page is stored (the worker renews its lease on the query there)."""
    now = clock()
    run = FetchRun.objects.create(query=query, started_at=now)
    poll = Poll(
        query=query,
        run=run,
        clock=clock,
        endpoint=endpoint or settings.YOUTUBE_API_ENDPOINT,
        num_retries=settings.YOUTUBE_NUM_RETRIES if num_retries is None else num_retries,
        gaps=load_gaps(query),
        after_page=after_page or (lambda: None),
    )
    start = query.covered_until or now - timedelta(hours=settings.FETCH_INITIAL_LOOKBACK_HOURS)
    top = Window(after=start - timedelta(seconds=settings.FETCH_OVERLAP_SECONDS), before=None)
    pages_left = max_pages or settings.FETCH_MAX_PAGES
    try:
        pages_left -= poll.walk(top, pages_left=pages_left)
        # Then the gaps, newest first, including those the walks of this poll leave (a walk cut
        # off by YouTube's result limit goes on as a new gap below it).
        walked: list[Window] = []
        while pages_left > 0:
            window = next((g for g in poll.gaps if not any(g is w for w in walked)), None)
            if window is None:
                break
            walked.append(window)
            pages_left -= poll.walk(window, pages_left=pages_left)
    except NoUsableKey as e:
        poll.note("noUsableKey", str(e))
    except youtube.YouTubeError as e:
        poll.note(e.reason, str(e))
        logger.warning("poll of %r stopped: %s", query.text, e)
    run.finished_at = clock()
    run.key_fingerprints = ",".join(sorted(poll.prints))
    run.save()
    SearchQuery.objects.filter(pk=query.pk).update(last_polled_at=now)
    query.last_polled_at = now
    return run


def no_key_message(*, now: datetime, cost: int) -> str:
    statuses = keys.statuses(now=now)
    if not statuses:
        return "no API key is configured: set YOUTUBE_API_KEYS (comma-separated)"
    parts = []
    for status in statuses:
        if status.state == "exhausted" and status.exhausted_until:
            until = status.exhausted_until.astimezone(quota.PACIFIC).strftime("%H:%M PT")
            parts.append(f"{status.fingerprint} has spent its quota until {until}")
        elif status.state == "disabled":
            parts.append(f"{status.fingerprint} is disabled: {status.message or status.reason}")
        else:
            left = max(0, status.budget - status.units_today)
            parts.append(f"{status.fingerprint} has {left} units left today, a call needs {cost}")
    return "no usable API key: " + "; ".join(parts)


def sync_configured_queries() -> None:
    """Queries named in YOUTUBE_QUERIES exist (an admin's pause is kept)."""
    existing = set(SearchQuery.objects.values_list("text", flat=True))
    SearchQuery.objects.bulk_create(
        [SearchQuery(text=text) for text in settings.YOUTUBE_QUERIES if text not in existing],
        ignore_conflicts=True,
    )


def pacing(*, now: datetime) -> quota.Pacing:
    """How often each active query may be polled now so that the quota lasts the day."""
    usable = keys.usable(now=now)
    spent = keys.spent_today([youtube.fingerprint(k) for k in usable], now=now)
    return quota.plan(
        now=now,
        usable_keys=len(usable),
        spent_units=[spent.get(youtube.fingerprint(k), 0) for k in usable],
        queries=max(1, SearchQuery.objects.filter(active=True).count()),
        wanted_interval=settings.FETCH_INTERVAL_SECONDS,
        budget_per_key=settings.YOUTUBE_DAILY_QUOTA,
        cost_per_poll=poll_cost(now=now),
    )


def poll_cost(*, now: datetime) -> int:
    """What a poll costs, to pace by: the mean of the last day's polls that spent anything, and
    never less than one search page and one details call. A burst bigger than a page, or the
    overlap walking back into one, takes another page: pacing every poll at one page spent a
    simulated day's quota hours before the reset (bench/quota_day.py)."""
    least = settings.YOUTUBE_SEARCH_COST + settings.YOUTUBE_VIDEOS_COST
    recent = FetchRun.objects.filter(
        started_at__gt=now - timedelta(days=1), started_at__lte=now, units__gt=0
    )
    totals = recent.aggregate(units=Sum("units"), polls=Count("pk"))
    if not totals["polls"]:
        return least
    mean = math.ceil(totals["units"] / totals["polls"])
    return min(settings.YOUTUBE_DAILY_QUOTA, max(least, mean))


def due_polls(*, now: datetime, horizon: float = 60) -> list[tuple[SearchQuery, float]]:
    """The polls to start within the next `horizon` seconds, as (query, delay in seconds).

    Huey's scheduler fires at most once a minute; this spreads a minute's polls of each query
    over the minute, at the paced interval.
    """
    sync_configured_queries()
    plan = pacing(now=now)
    due = []
    for query in SearchQuery.objects.filter(active=True):
        at = max(now, plan.next_poll_at(last_poll=query.last_polled_at))
        while (delay := (at - now).total_seconds()) < horizon:
            due.append((query, delay))
            at += timedelta(seconds=plan.interval_seconds)
    return due

"""Polling YouTube for one query: walk the result pages, rotate keys, upsert, record the run.

What a query has fetched is its walk state (SearchQuery.covered_until and .gaps): every video
published up to `covered_until` is stored, except inside the gaps. A poll walks, newest first:
1. the top window, from `covered_until - overlap` to now, or further back when a re-walk is due
   (feed/rewalks.py: YouTube's search shows many videos minutes to hours late), then
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
from django.db import DatabaseError, transaction
from django.db.models import Count, Sum

from feed import checks, keys, quota, reasons, rewalks, store, youtube
from feed import clock as feed_clock
from feed.clock import Clock
from feed.models import ApiKeyState, FetchRun, SearchQuery, Video

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
class Caller:
    """Calls YouTube with the best usable key, moving on to the next at once when a key is spent
    or rejected, and charges each call to its key's ledger (a check's to the checks' share)."""

    clock: Clock
    endpoint: str
    num_retries: int
    check: bool = False
    units: int = 0
    prints: set[str] = field(default_factory=set)  # fingerprints of the keys that were charged

    def call(self, method: Callable[..., Any], *, cost: int, **kwargs: Any) -> Any:
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
        usable = keys.usable(now=now, units=cost, check=self.check)
        if usable:
            return usable[0]
        raise NoUsableKey(no_key_message(now=now, cost=cost, check=self.check))

    def spend(self, key: str, cost: int) -> None:
        # Counted before the ledger's write: YouTube charged the call even if that write fails
        # (a full disk), and the run then records what the ledger could not.
        self.units += cost
        self.prints.add(youtube.fingerprint(key))
        keys.charge(key, units=cost, now=self.clock(), check=self.check)


@dataclass
class Poll:
    """One poll of one query: the state of its walk and the FetchRun it records."""

    query: SearchQuery
    run: FetchRun
    caller: Caller
    after_page: Callable[[], None]
    gaps: list[Window] = field(default_factory=list)  # open gaps, newest first
    # The top walk does not stop at known videos above `floor` (a re-walk's reach), and counts
    # the new videos it finds below `regular_after` (where a poll without re-walk would start).
    floor: datetime | None = None
    regular_after: datetime | None = None
    rewalk: rewalks.Tier | None = None
    top_reach: timedelta | None = None  # how far back from now the top walk goes
    stored: set[str] = field(default_factory=set)  # YouTube ids this poll stored

    def call(self, method: Callable[..., Any], *, cost: int, **kwargs: Any) -> Any:
        try:
            return self.caller.call(method, cost=cost, **kwargs)
        finally:
            self.run.units = self.caller.units

    def clock(self) -> datetime:
        return self.caller.clock()

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
            # YouTube ends a walk at about WALK_RESULT_LIMIT results even when more match: the
            # walk is cut off there, not at the end of what matches.
            cut_off = page.next_page_token is None and listed >= WALK_RESULT_LIMIT
            ended = page.next_page_token is None and not cut_off
            below_floor = self.floor is None or (
                window.oldest is not None and window.oldest < self.floor
            )
            # In the top window, a page of videos this query already has reaches what earlier
            # walks covered: everything older is stored or listed as a gap. Not above the
            # re-walk's floor: late videos hide between known ones.
            done = ended or (top and bool(ids) and linked >= set(ids) and below_floor)
            rest = None if done else remaining(window)
            covered = self.query.covered_until
            if top and window.newest is not None:
                covered = max(covered or window.newest, window.newest)
            gaps = sorted(others + ([rest] if rest else []), key=lambda g: g.before, reverse=True)
            with transaction.atomic():
                upserted = store.upsert_videos(page.items, query=self.query, now=self.clock())
                self.save_state(covered_until=covered, gaps=gaps, rewalked=top)
            self.stored.update(ids)
            self.run.new_videos += len(upserted.new_ids)
            self.run.updated_videos += len(upserted.updated_ids)
            if self.regular_after is not None:
                new = set(upserted.new_ids)
                self.run.late_videos += sum(
                    1
                    for item in page.items
                    if item.youtube_id in new and item.published_at < self.regular_after
                )
            self.enrich(upserted.new_ids)
            self.after_page()
            if done or cut_off:
                # Cut off: what lies below is now a gap, walked with publishedBefore.
                return used
            token = page.next_page_token
        return used

    def save_state(
        self, *, covered_until: datetime | None, gaps: list[Window], rewalked: bool = False
    ) -> None:
        """Save the walk state. `rewalked`: a page of the top walk is stored, so a due re-walk
        has run (what it did not reach is a gap now, walked by later polls)."""
        self.query.covered_until = covered_until
        self.query.gaps = [gap.as_gap() for gap in gaps]
        self.gaps = gaps
        fields: dict[str, Any] = {"covered_until": covered_until, "gaps": self.query.gaps}
        if rewalked and self.top_reach is not None:
            # Every tier the top walk reaches back over has run (a first poll's lookback, or a
            # poll after a long pause, covers them as a re-walk would).
            self.query.rewalked = rewalks.walked(
                rewalks.configured(),
                rewalked=self.query.rewalked,
                reach=self.top_reach,
                now=self.run.started_at,
            )
            fields["rewalked"] = self.query.rewalked
            self.top_reach = None
            if self.rewalk is not None:
                self.run.rewalk_seconds = int(self.rewalk.reach.total_seconds())
        SearchQuery.objects.filter(pk=self.query.pk).update(**fields)

    def enrich(self, youtube_ids: list[str]) -> None:
        """Duration and views of new videos, 50 ids a call (1 unit each). Best effort: a video
        without them is still a video, so a failure here is recorded, not raised, and the
        videos stay due for a check (feed/checks.py), which fetches them later."""
        for start in range(0, len(youtube_ids), youtube.MAX_RESULTS):
            batch = youtube_ids[start : start + youtube.MAX_RESULTS]
            try:
                details = self.call(
                    youtube.fetch_details, cost=settings.YOUTUBE_VIDEOS_COST, ids=batch
                )
            except youtube.YouTubeError as e:
                self.note(e.reason, f"details not fetched: {e}")
                return
            store.record_details(details, asked=batch, now=self.clock())

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
    outcome, failures included, is in the returned FetchRun. Any other error (our database's:
    a full disk) is recorded in the run as well, then raised. `after_page` is called after each
    page is stored (the worker renews its lease on the query there)."""
    now = clock()
    run = FetchRun.objects.create(query=query, started_at=now)
    poll = Poll(
        query=query,
        run=run,
        caller=Caller(
            clock=clock,
            endpoint=endpoint or settings.YOUTUBE_API_ENDPOINT,
            num_retries=settings.YOUTUBE_NUM_RETRIES if num_retries is None else num_retries,
        ),
        gaps=load_gaps(query),
        after_page=after_page or (lambda: None),
    )
    start = query.covered_until or now - timedelta(hours=settings.FETCH_INITIAL_LOOKBACK_HOURS)
    regular_after = start - timedelta(seconds=settings.FETCH_OVERLAP_SECONDS)
    top = Window(after=regular_after, before=None)
    tier = rewalks.due(rewalks.configured(), rewalked=query.rewalked, now=now)
    if tier is not None and now - tier.reach < regular_after:
        # The regular window reaches less far back than the tier: walk back to its reach.
        poll.rewalk = tier
        poll.floor = now - poll.rewalk.reach
        poll.regular_after = regular_after
        top.after = poll.floor
    poll.top_reach = now - top.after
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
        poll.note(reasons.NO_USABLE_KEY, str(e))
    except youtube.YouTubeError as e:
        poll.note(e.reason, str(e))
        logger.warning("poll of %r stopped: %s", query.text, e)
    except Exception as e:
        # Not YouTube's: our side failed, e.g. a write on a full disk ("database or disk is
        # full"). The run says why and what it spent, then the error goes on to the log. What
        # the poll stored is kept, its walk state with it, and its new videos are due for a
        # check at once (check_due_at), which fetches the details the poll did not.
        poll.note(
            reasons.DATABASE_ERROR if isinstance(e, DatabaseError) else reasons.INTERNAL_ERROR,
            repr(e),
        )
        try:
            finish_run(poll, now=now)
        except DatabaseError as unrecorded:
            logger.error(
                "poll of %r failed (%r) and could not be recorded (%r): run %d, %d pages, "
                "%d units on %s",
                query.text,
                e,
                unrecorded,
                run.pk,
                run.pages,
                run.units,
                run.key_fingerprints or "no key",
            )
        raise
    finish_run(poll, now=now)
    return run


def finish_run(poll: Poll, *, now: datetime) -> None:
    run = poll.run
    run.finished_at = poll.clock()
    run.key_fingerprints = ",".join(sorted(poll.caller.prints))
    run.save()
    SearchQuery.objects.filter(pk=poll.query.pk).update(last_polled_at=now)
    poll.query.last_polled_at = now


@dataclass
class CheckRound:
    """What one round of checks did (feed/checks.py)."""

    checked: int = 0
    removed: int = 0  # videos YouTube no longer lists, newly tombstoned
    restored: int = 0  # tombstoned videos it lists again
    calls: int = 0
    more_due: bool = False  # videos due now were left for the next rounds
    error: str = ""


def check_videos(*, clock: Clock = feed_clock.now, endpoint: str | None = None) -> CheckRound:
    """One round of checks: the most overdue videos, 50 ids a videos.list call, as many calls
    as the checks' share of the quota allows now (feed.checks.calls_this_round)."""
    now = clock()
    result = CheckRound()
    calls = checks_allowed(now=now)
    due = Video.objects.filter(check_due_at__lte=now).order_by("check_due_at")
    rows = list(due.values_list("youtube_id", "removed_at")[: calls * youtube.MAX_RESULTS + 1])
    result.more_due = len(rows) > calls * youtube.MAX_RESULTS
    rows = rows[: calls * youtube.MAX_RESULTS]
    caller = Caller(
        clock=clock,
        endpoint=endpoint or settings.YOUTUBE_API_ENDPOINT,
        num_retries=settings.YOUTUBE_NUM_RETRIES,
        check=True,
    )
    for start in range(0, len(rows), youtube.MAX_RESULTS):
        batch = rows[start : start + youtube.MAX_RESULTS]
        ids = [youtube_id for youtube_id, _ in batch]
        try:
            details = caller.call(youtube.fetch_details, cost=settings.YOUTUBE_VIDEOS_COST, ids=ids)
        except (NoUsableKey, youtube.YouTubeError) as e:
            # The rest stay due: the next round takes them first.
            result.error = str(e)
            result.more_due = True
            break
        store.record_details(details, asked=ids, now=clock())
        result.calls += 1
        result.checked += len(ids)
        result.removed += sum(1 for i, removed in batch if removed is None and i not in details)
        result.restored += sum(1 for i, removed in batch if removed is not None and i in details)
    return result


def checks_allowed(*, now: datetime) -> int:
    """videos.list calls the checks may make now, over every key usable for them."""
    statuses = [s for s in keys.statuses(now=now) if s.state == "ok"]
    return checks.calls_this_round(
        budget=sum(min(keys.check_budget(), s.budget) for s in statuses),
        spent=sum(s.check_units_today for s in statuses),
        cost=settings.YOUTUBE_VIDEOS_COST,
        day_start=quota.day_start(now),
        day_end=quota.next_reset(now),
        now=now,
    )


def no_key_message(*, now: datetime, cost: int, check: bool = False) -> str:
    statuses = keys.statuses(now=now)
    if not statuses:
        return "no API key is configured: set YOUTUBE_API_KEYS (comma-separated)"
    parts = []
    for status in statuses:
        if status.state != ApiKeyState.State.OK:
            parts.append(f"{status.fingerprint} is {status.words}")
        elif check:
            left = max(
                0,
                min(
                    keys.check_budget() - status.check_units_today,
                    status.budget - status.units_today,
                ),
            )
            parts.append(
                f"{status.fingerprint} has {left} units left today for checks, a call needs {cost}"
            )
        else:
            left = max(0, status.budget - status.units_today - status.check_reserve)
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
    usable = [s for s in keys.statuses(now=now) if s.state == ApiKeyState.State.OK]
    return quota.plan(
        now=now,
        usable_keys=len(usable),
        # What each spent on polls: its checks have their own share.
        spent_units=[s.units_today - s.check_units_today for s in usable],
        queries=max(1, SearchQuery.objects.filter(active=True).count()),
        wanted_interval=settings.FETCH_INTERVAL_SECONDS,
        budget_per_key=poll_budget(),
        cost_per_poll=poll_cost(now=now),
    )


def poll_budget() -> int:
    """A key's daily units for polls: the checks' share is theirs (feed/checks.py)."""
    return settings.YOUTUBE_DAILY_QUOTA - keys.check_budget()


def coverage(*, now: datetime, plan: quota.Pacing | None = None) -> list[str]:
    """What the re-walks catch at today's pacing (`plan`, default: pacing(now)) and, when the
    keys cannot pay for them at the wanted interval, what would: capacity advice in sentences,
    from estimates (rewalks.pages_per_day), not a ledger."""
    tiers = rewalks.configured()
    if not tiers:
        return [
            "re-walks are off (FETCH_REWALKS is empty): a video that YouTube's search shows "
            f"more than {quota.humanise(settings.FETCH_OVERLAP_SECONDS)} late is never stored"
        ]
    plan = plan or pacing(now=now)
    per_key = poll_budget() / settings.YOUTUBE_SEARCH_COST
    rates = videos_per_hour(now=now)
    overlap = settings.FETCH_OVERLAP_SECONDS

    def keys_for(interval: float, *, with_rewalks: bool = True) -> dict[str, float]:
        walks = tiers if with_rewalks else []
        return {
            text: rewalks.pages_per_day(
                walks, videos_per_hour=rate, interval=interval, overlap=overlap
            )
            / per_key
            for text, rate in rates.items()
        }

    def each(needs: dict[str, float]) -> str:
        ranked = sorted(needs.items(), key=lambda item: -item[1])
        return ", ".join(
            f"{text!r} ({rates[text]:.1f} videos/h) {need:.2f}" for text, need in ranked
        )

    lines = []
    if not plan.paused:
        interval = plan.interval_seconds
        caught = rewalks.caught_lag(tiers, interval=interval)
        lines.append(
            f"with a poll every {quota.humanise(interval)}, re-walks catch videos "
            f"that YouTube's search shows up to {quota.humanise(caught.total_seconds())} late"
        )
        plain = keys_for(interval, with_rewalks=False)
        extra = {text: need - plain[text] for text, need in keys_for(interval).items()}
        lines.append(f"at that pace the re-walks cost, in keys' daily units: {each(extra)}")
    wanted = settings.FETCH_INTERVAL_SECONDS
    needs = keys_for(wanted)
    if sum(needs.values()) > plan.usable_keys:
        caught = rewalks.caught_lag(tiers, interval=wanted)
        lines.append(
            f"catching videos up to {quota.humanise(caught.total_seconds())} late with a poll "
            f"every {quota.humanise(wanted)} needs {math.ceil(sum(needs.values()))} keys, "
            f"{plan.usable_keys} usable; in keys: {each(needs)}"
        )
    return lines


def videos_per_hour(*, now: datetime) -> dict[str, float]:
    """Each active query's videos published in the last day, per hour (one GROUP BY)."""
    links = Video.queries.through.objects.filter(
        searchquery__active=True, video__published_at__gt=now - timedelta(days=1)
    )
    counts = dict(
        links.values("searchquery__text")
        .annotate(n=Count("pk"))
        .values_list("searchquery__text", "n")
    )
    texts = SearchQuery.objects.filter(active=True).values_list("text", flat=True)
    return {text: counts.get(text, 0) / 24 for text in texts}


def poll_cost(*, now: datetime) -> int:
    """What a poll costs, to pace by: the mean of the last day's polls that spent anything, and
    never less than one search page and one details call. A burst bigger than a page, or the
    overlap walking back into one, takes another page (bench/results/analysis.md)."""
    least = settings.YOUTUBE_SEARCH_COST + settings.YOUTUBE_VIDEOS_COST
    recent = FetchRun.objects.filter(
        started_at__gt=now - timedelta(days=1), started_at__lte=now, units__gt=0
    )
    totals = recent.aggregate(units=Sum("units"), polls=Count("pk"))
    if not totals["polls"]:
        return least
    mean = math.ceil(totals["units"] / totals["polls"])
    return min(settings.YOUTUBE_DAILY_QUOTA, max(least, mean))


def due_polls(
    *, now: datetime, horizon: float = 60, plan: quota.Pacing | None = None
) -> list[tuple[SearchQuery, float]]:
    """The polls to start within the next `horizon` seconds, as (query, delay in seconds), at
    `plan`'s interval (default: pacing(now)).

    Huey's scheduler fires at most once a minute; this spreads a minute's polls of each query
    over the minute, at the paced interval.
    """
    sync_configured_queries()
    plan = plan or pacing(now=now)
    due = []
    for query in SearchQuery.objects.filter(active=True):
        at = max(now, plan.next_poll_at(last_poll=query.last_polled_at))
        while (delay := (at - now).total_seconds()) < horizon:
            due.append((query, delay))
            at += timedelta(seconds=plan.interval_seconds)
    return due


def polled_recently(query: SearchQuery, *, now: datetime, interval: float) -> bool:
    """Whether the query was polled within half the paced `interval`: a poll scheduled twice
    (a restart with a flushed queue) then finds one is enough."""
    last = query.last_polled_at
    return last is not None and (now - last).total_seconds() < interval / 2

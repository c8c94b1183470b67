"""A virtual quota day: 24 hours of the YouTube simulator, polled by the project's own code.

Not a test: it prints markdown tables and asserts nothing. Usage (3 to 4 minutes, most of
it scenario (c)'s 25,920 calls; `--skip-original` leaves it out):
    DEBUG=1 .venv/bin/python bench/quota_day.py [--rate 0.5] [--burst-every 240] [--seed 1]

`--as-youtube-behaves` runs the other day instead (about 3 minutes): YouTube as it really
behaves, with the simulator's realistic search-index lag (60% of videos searchable within 3 min,
25% in 3-30 min, 12% in 30 min-3 h, 3% in 3-6 h), removals (2%, some coming back) and growing
view counts, on three queries of very different rates (30, 6 and 0.5 videos an hour), with the
worker's checks running every minute; for 1 key and 3 keys, and against today's fixed 10-minute
overlap without re-walks or checks (FETCH_REWALKS empty, YOUTUBE_CHECK_PERCENT 0).

A ManualClock, shared by the simulator and the poll code, walks one Pacific day minute by minute.
Each minute asks `services.due_polls()` what to start within the minute, as the Huey scheduler
does (feed/tasks.py), and runs each due poll at its own second through `services.fetch_query()`.
Scenarios: 1 key and 3 keys on three queries, and the original project's strategy (a 5-result
search per query every 10 s, no paging, one key) on the same simulated day. It all runs against a
throwaway SQLite database in a temporary directory; the fake keys are printed as fingerprints only.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from simulator import Simulator, SimulatorConfig

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("football", "cricket", "cooking")
KEYS = ("bench-key-1", "bench-key-2", "bench-key-3")  # fake: the simulator accepts any key
PACIFIC = ZoneInfo("America/Los_Angeles")
DAY = datetime(2026, 11, 28, tzinfo=PACIFIC)  # a Pacific midnight: a whole quota day follows
BUDGET = 10_000  # units per key per day, in the settings and in the simulator alike
# After midnight the run goes on only until every query has polled once more, at most this long.
TAIL = timedelta(hours=6)
ORIGINAL_EVERY = timedelta(seconds=10)
ORIGINAL_PAGE = 5


def configure_django(directory: str) -> None:
    """Point Django at a throwaway database before anything reads the settings."""
    # Assigned, not defaulted: whatever DATABASE_URL the shell has, this run never touches it.
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/quota_day.sqlite3"
    os.environ["HUEY_SQLITE_PATH"] = f"{directory}/huey.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    os.environ["YOUTUBE_API_KEYS"] = ",".join(KEYS)
    os.environ["YOUTUBE_QUERIES"] = ",".join(QUERIES)
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # this process only
    # The poll code warns each time a key is spent; the table is the output.
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@dataclass
class Outcome:
    """What one scenario did: its polls, what it stored when, and what the simulator saw."""

    name: str
    keys: list[str]
    interval: float | None  # the quota-implied poll interval per query, s; None: not paced
    polls: int = 0  # before midnight, as every count here
    searches: int = 0
    skipped: int = 0  # polls the worker's double-schedule guard dropped
    last_poll: datetime | None = None
    first_refusal: datetime | None = None  # the first poll that found no key able to pay
    gaps_at_midnight: int = 0
    stored_at: dict[str, datetime] = field(default_factory=dict)  # id -> virtual time stored
    polled_after_midnight: set[str] = field(default_factory=set)
    units: dict[str, int] = field(default_factory=dict)  # key -> units the simulator charged
    calls_after_exceeded: int = 0
    published: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    seconds: float = 0.0


# -- the project's own poller ----------------------------------------------------------------


def run_project(
    name: str, *, keys: list[str], config: SimulatorConfig, start: datetime, end: datetime
) -> Outcome:
    from django.test import override_settings

    from feed import quota, services
    from feed.models import SearchQuery, Video
    from simulator import ManualClock, Simulator

    reset_database()
    clock = ManualClock(start)
    simulator = Simulator(config, clock=clock)
    began = time.perf_counter()
    with simulator.serve() as url, override_settings(**fetch_settings(url, keys=keys)):
        services.sync_configured_queries()
        # As if yesterday had been polled to its end: today's first poll walks from midnight
        # (less the overlap) instead of spending today's budget on a 24 h backfill.
        SearchQuery.objects.update(covered_until=start)
        # The project's pacing for a fresh day: every key usable, nothing spent.
        interval = quota.full_day_interval(
            usable_keys=len(keys),
            queries=SearchQuery.objects.filter(active=True).count(),
            polls_per_key=services.poll_budget() // services.poll_cost(now=start),
        )
        outcome = Outcome(name=name, keys=keys, interval=interval)
        last_pk = 0
        minute = start
        while minute < end or (
            len(outcome.polled_after_midnight) < len(QUERIES) and minute < end + TAIL
        ):
            if minute == end:
                outcome.gaps_at_midnight = sum(len(q.gaps) for q in SearchQuery.objects.all())
            clock.set(minute)
            for query, delay in sorted(services.due_polls(now=minute), key=lambda due: due[1]):
                at = minute + timedelta(seconds=delay)
                if at >= end and query.text in outcome.polled_after_midnight:
                    continue
                clock.set(at)
                if not worker_would_poll(query.pk, now=at):
                    outcome.skipped += 1
                    continue
                run = services.fetch_query(SearchQuery.objects.get(pk=query.pk), clock=clock)
                if at >= end:
                    outcome.polled_after_midnight.add(query.text)
                else:
                    outcome.polls += 1
                    outcome.searches += run.pages
                    if run.pages:
                        outcome.last_poll = at
                    if run.error_reason == "noUsableKey":
                        outcome.first_refusal = outcome.first_refusal or at
                # Video.first_seen_at follows the wall clock; the poll's virtual time is `at`.
                for pk, youtube_id in Video.objects.filter(pk__gt=last_pk).values_list(
                    "pk", "youtube_id"
                ):
                    outcome.stored_at.setdefault(youtube_id, at)
                    last_pk = max(last_pk, pk)
            minute += timedelta(minutes=1)
    finish(outcome, simulator=simulator, start=start, end=end, began=began)
    return outcome


def worker_would_poll(query_id: int, *, now: datetime) -> bool:
    """The guard at the top of feed.tasks.poll, on the virtual clock."""
    from feed import services
    from feed.models import SearchQuery

    query = SearchQuery.objects.filter(pk=query_id, active=True).first()
    if query is None:
        return False
    interval = services.pacing(now=now).interval_seconds
    return not services.polled_recently(query, now=now, interval=interval)


def fetch_settings(url: str, *, keys: list[str]) -> dict[str, object]:
    return {
        "YOUTUBE_API_KEYS": keys,
        "YOUTUBE_QUERIES": list(QUERIES),
        "DEMO_MODE": False,
        "YOUTUBE_API_ENDPOINT": url,
        "YOUTUBE_DAILY_QUOTA": BUDGET,
        "YOUTUBE_NUM_RETRIES": 0,  # no faults are injected: a retry would only wait
    }


# -- the original project's strategy ---------------------------------------------------------


def run_original(
    name: str, *, key: str, config: SimulatorConfig, start: datetime, end: datetime
) -> Outcome:
    """Every 10 s one 5-result search per query, publishedAfter frozen at the start, no paging,
    no enrichment, one key, and no notion of quota: it keeps calling after quotaExceeded."""
    from feed import store, youtube
    from feed.models import SearchQuery
    from simulator import ManualClock, Simulator

    reset_database()
    clock = ManualClock(start)
    simulator = Simulator(config, clock=clock)
    outcome = Outcome(name=name, keys=[key], interval=None)
    queries = {text: SearchQuery.objects.get_or_create(text=text)[0] for text in QUERIES}
    began = time.perf_counter()
    with simulator.serve() as url:
        tick = start
        while tick <= end:  # the tick at midnight is its first poll of the next day
            clock.set(tick)
            for text, query in queries.items():
                if tick < end:
                    outcome.polls += 1
                try:
                    page = youtube.search_page(
                        key=key,
                        query=text,
                        published_after=start,
                        page_token=None,
                        endpoint=url,
                        max_results=ORIGINAL_PAGE,
                        num_retries=0,
                    )
                except youtube.QuotaExceeded:
                    outcome.first_refusal = outcome.first_refusal or tick
                    continue
                if tick < end:
                    outcome.searches += 1
                    outcome.last_poll = tick
                for youtube_id in store.upsert_videos(page.items, query=query).new_ids:
                    outcome.stored_at[youtube_id] = tick
            tick += ORIGINAL_EVERY
    finish(outcome, simulator=simulator, start=start, end=end, began=began)
    return outcome


# -- measuring -------------------------------------------------------------------------------


def reset_database() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def finish(
    outcome: Outcome, *, simulator: Simulator, start: datetime, end: datetime, began: float
) -> None:
    from feed import quota

    day = quota.pacific_day(start)
    outcome.units = {key: simulator.stats.units[(key, day)] for key in outcome.keys}
    outcome.calls_after_exceeded = simulator.stats.total_calls_after_quota_exceeded
    # Publish times are whole seconds and `until` is inclusive: the day is [start, end - 1 s].
    last_second = end - timedelta(seconds=1)
    outcome.published = {
        text: simulator.published(text, since=start, until=last_second) for text in QUERIES
    }
    outcome.seconds = time.perf_counter() - began


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Measured:
    published: int
    by_midnight: int
    after_midnight: int  # stored by the first poll after midnight: the day's last interval
    lost: int  # never stored
    lags: list[float]  # minutes, every stored video of the day


def measure(outcome: Outcome, *, end: datetime) -> Measured:
    lags: list[float] = []
    published = by_midnight = after_midnight = 0
    for videos in outcome.published.values():
        for youtube_id, published_at in videos:
            published += 1
            stored = outcome.stored_at.get(youtube_id)
            if stored is None:
                continue
            lags.append((stored - published_at).total_seconds() / 60)
            if stored < end:
                by_midnight += 1
            else:
                after_midnight += 1
    lost = published - by_midnight - after_midnight
    return Measured(published, by_midnight, after_midnight, lost, lags)


# -- the report ------------------------------------------------------------------------------


def in_minutes(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds / 60:.1f}"


def print_table(outcomes: list[Outcome], *, end: datetime) -> None:
    print(
        "| scenario | polls | searches answered | captured by midnight | missing at midnight "
        "(last interval / lost) | lag median (min) | lag p95 (min) | quota interval (min) "
        "| half (min) | median / half | max units per key (budget) | calls after quotaExceeded |"
    )
    print("|---|" + "---:|" * 11)
    for outcome in outcomes:
        m = measure(outcome, end=end)
        share = 100 * m.by_midnight / m.published if m.published else 0.0
        median = statistics.median(m.lags) if m.lags else None
        p95 = percentile(m.lags, 0.95) if m.lags else None
        half = outcome.interval / 2 if outcome.interval else None
        ratio = f"{median * 60 / half:.2f}" if median is not None and half else "n/a"
        print(
            f"| {outcome.name} | {outcome.polls:,} | {outcome.searches:,} "
            f"| {m.by_midnight:,} / {m.published:,} ({share:.1f}%) "
            f"| {m.after_midnight + m.lost:,} ({m.after_midnight:,} / {m.lost:,}) "
            f"| {'n/a' if median is None else f'{median:.1f}'} "
            f"| {'n/a' if p95 is None else f'{p95:.1f}'} "
            f"| {in_minutes(outcome.interval)} | {in_minutes(half)} | {ratio} "
            f"| {max(outcome.units.values()):,} ({BUDGET:,}) "
            f"| {outcome.calls_after_exceeded:,} |"
        )


def print_notes(outcomes: list[Outcome], *, end: datetime) -> None:
    from feed import quota
    from feed.youtube import fingerprint

    print()
    for outcome in outcomes:
        spent = ", ".join(f"{fingerprint(k)} {units:,}" for k, units in outcome.units.items())
        notes = [f"units {spent}"]
        if outcome.interval is not None and outcome.polls:
            # The quota interval above prices a poll at one page and one details call; this
            # one at what the day's polls really cost.
            cost = math.ceil(sum(outcome.units.values()) / outcome.polls)
            real = quota.full_day_interval(
                usable_keys=len(outcome.keys), queries=len(QUERIES), polls_per_key=BUDGET // cost
            )
            lags = measure(outcome, end=end).lags
            ratio = statistics.median(lags) * 60 / (real / 2) if real and lags else None
            notes.append(
                f"a poll cost {cost} units on average ({outcome.searches / outcome.polls:.2f} "
                f"search pages): at that price the quota allows a poll every {in_minutes(real)} "
                f"min per query, and the median lag is {ratio:.2f}x half of that"
                if ratio is not None
                else f"a poll cost {cost} units on average"
            )
        if outcome.interval is None:
            stored = len(measure(outcome, end=end).lags)
            notes.append(
                f"one {ORIGINAL_PAGE}-result search per query every "
                f"{ORIGINAL_EVERY.total_seconds():g} s, publishedAfter frozen at midnight; its "
                f"lag is over the {stored} videos it stored"
            )
        if outcome.last_poll:
            last = outcome.last_poll.astimezone(PACIFIC)
            notes.append(f"last answered poll before midnight at {last:%H:%M} PT")
        if outcome.first_refusal:
            what = (
                "quotaExceeded" if outcome.interval is None else "a poll found no key able to pay"
            )
            notes.append(f"first {what} at {outcome.first_refusal.astimezone(PACIFIC):%H:%M} PT")
        if outcome.skipped:
            notes.append(f"{outcome.skipped} polls dropped by the worker's guard")
        if outcome.gaps_at_midnight:
            notes.append(f"{outcome.gaps_at_midnight} walk gaps open at midnight")
        notes.append(f"ran in {outcome.seconds:.0f} s")
        print(f"- {outcome.name}: " + "; ".join(notes))


def print_header(config: SimulatorConfig) -> None:
    from django.conf import settings

    print(f"# Quota day: {DAY:%Y-%m-%d} 00:00-24:00 America/Los_Angeles\n")
    print(
        f"- environment: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    bursts = ""
    if config.burst_every_minutes and config.burst_size:
        bursts = (
            f" plus a burst of {config.burst_size} in {config.burst_spread_seconds:g} s every "
            f"{config.burst_every_minutes:g} min"
        )
    print(
        f"- load per query: {config.rate_per_minute:g} videos/min{bursts}; queries "
        f"{', '.join(QUERIES)}; simulator seed {config.seed}, no faults, no index lag, no removals"
    )
    print(
        f"- quota: {BUDGET:,} units per key per Pacific day; search.list "
        f"{settings.YOUTUBE_SEARCH_COST}, videos.list {settings.YOUTUBE_VIDEOS_COST}; "
        f"FETCH_MAX_PAGES {settings.FETCH_MAX_PAGES}, FETCH_OVERLAP_SECONDS "
        f"{settings.FETCH_OVERLAP_SECONDS}; quota interval: the project's pacing "
        "(full_day_interval) for the scenario's keys"
    )
    print(
        "- start: every query's covered_until is midnight, as if yesterday had been polled to "
        f"its end, so the first poll walks today and not a {settings.FETCH_INITIAL_LOOKBACK_HOURS}"
        " h backfill (FETCH_INITIAL_LOOKBACK_HOURS) on today's budget; the simulator has 1 h of "
        "history, for the first poll's overlap"
    )
    print(
        "- captured: videos published during the day and stored by midnight. The run goes on "
        "until each query's first poll after midnight (next day's quota): what that stores is "
        "'last interval', what it still lacks is 'lost'. Lag: the virtual time of the poll that "
        "stored a video minus its publish time, over every stored video of the day; all other "
        "counts are before midnight\n"
    )


# -- YouTube as it really behaves: index lag, removals, growing counts -------------------------

BEHAVING_RATES = (30 / 60, 6 / 60, 0.5 / 60)  # videos a minute: a busy query and two quiet ones
SETTLED = timedelta(hours=4)  # searchable this long before the end: it must have been stored
REMOVED_FOR = timedelta(hours=6)  # removed this long before the end: it must have left
AGED = timedelta(hours=12)  # published this long before the end: its views must be fresh


@dataclass
class Behaved:
    name: str
    keys: list[str]
    settled: int = 0  # videos of the day searchable >= SETTLED before the end, still up
    stored: int = 0  # of those
    late_found: int = 0  # videos re-walks found (FetchRun.late_videos)
    lags: list[float] = field(default_factory=list)  # minutes, searchable -> stored
    removed: int = 0  # stored videos removed >= REMOVED_FOR before the end, still removed
    still_listed: int = 0  # of those, still listed at the end
    aged: int = 0  # stored videos >= AGED old, up, with a view count on YouTube
    fresh_views: int = 0  # of those, stored views within 2x of the true count
    units: dict[str, int] = field(default_factory=dict)
    check_units: int = 0
    said: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_behaving(
    name: str,
    *,
    keys: list[str],
    config: SimulatorConfig,
    start: datetime,
    end: datetime,
    rewalks: bool,
) -> Behaved:
    from django.test import override_settings

    from feed import clock as feed_clock
    from feed import quota, services
    from feed.models import FetchRun, QuotaUsage, SearchQuery, Video
    from simulator import ManualClock, Simulator

    reset_database()
    clock = ManualClock(start)
    simulator = Simulator(config, clock=clock)
    began = time.perf_counter()
    # Today's fixed overlap: no re-walks, no checks.
    extra = {} if rewalks else {"FETCH_REWALKS": "", "YOUTUBE_CHECK_PERCENT": 0}
    with simulator.serve() as url, feed_clock.use(clock):
        override = override_settings(**fetch_settings(url, keys=keys), **extra)
        override.enable()
        services.sync_configured_queries()
        SearchQuery.objects.update(covered_until=start, created_at=start - timedelta(days=1))
        outcome = Behaved(name=name, keys=keys)
        minute = start
        while minute < end:
            clock.set(minute)
            if minute == end - timedelta(hours=6):
                # What the status page and fetch_videos say, in the evening (18:00 PT).
                outcome.said = [services.pacing(now=minute).sentence]
                outcome.said += services.coverage(now=minute)
            for query, delay in sorted(services.due_polls(now=minute), key=lambda due: due[1]):
                clock.set(minute + timedelta(seconds=delay))
                if worker_would_poll(query.pk, now=clock()):
                    services.fetch_query(SearchQuery.objects.get(pk=query.pk), clock=clock)
            if rewalks:
                clock.set(minute + timedelta(seconds=59))
                services.check_videos(clock=clock)  # the worker's round, once a minute
            minute += timedelta(minutes=1)
        clock.set(end)
        stored = {
            v.youtube_id: v
            for v in Video.objects.only(
                "youtube_id", "first_seen_at", "removed_at", "view_count", "published_at"
            )
        }
        for text in QUERIES:
            for youtube_id, published_at in simulator.published(text, since=start, until=end):
                up = not simulator.is_removed(youtube_id, at=end)
                seen = simulator.searchable_at(youtube_id)
                video = stored.get(youtube_id)
                if up and seen is not None and seen <= end - SETTLED:
                    outcome.settled += 1
                    if video is not None:
                        outcome.stored += 1
                        lag = (video.first_seen_at - seen).total_seconds() / 60
                        outcome.lags.append(max(0.0, lag))
                if video is None:
                    continue
                if simulator.is_removed(youtube_id, at=end - REMOVED_FOR) and not up:
                    outcome.removed += 1
                    outcome.still_listed += video.removed_at is None
                true_views = simulator.view_count(youtube_id, at=end)
                if up and published_at <= end - AGED and true_views and video.view_count:
                    outcome.aged += 1
                    outcome.fresh_views += true_views / 2 <= video.view_count <= true_views * 2
        outcome.late_found = sum(FetchRun.objects.values_list("late_videos", flat=True))
        day = quota.pacific_day(start)
        outcome.units = {key: simulator.stats.units[(key, day)] for key in keys}
        outcome.check_units = sum(
            QuotaUsage.objects.filter(day=day).values_list("check_units", flat=True)
        )
        override.disable()
    outcome.seconds = time.perf_counter() - began
    return outcome


def print_behaving(outcomes: list[Behaved]) -> None:
    print(
        "| scenario | searchable >= 4 h before the end: stored / all (lost) | found late by "
        "re-walks | lag searchable -> stored, median / p95 (min) | removed >= 6 h and still "
        "listed | views >= 12 h old within 2x | max units per key (budget) | of them on checks |"
    )
    print("|---|" + "---:|" * 7)
    for o in outcomes:
        median = statistics.median(o.lags) if o.lags else float("nan")
        p95 = percentile(o.lags, 0.95) if o.lags else float("nan")
        fresh = 100 * o.fresh_views / o.aged if o.aged else float("nan")
        print(
            f"| {o.name} | {o.stored:,} / {o.settled:,} ({o.settled - o.stored:,}) "
            f"| {o.late_found:,} | {median:.1f} / {p95:.1f} "
            f"| {o.still_listed:,} of {o.removed:,} "
            f"| {fresh:.1f}% ({o.fresh_views:,} of {o.aged:,}) "
            f"| {max(o.units.values()):,} ({BUDGET:,}) | {o.check_units:,} |"
        )
    print()
    for o in outcomes:
        print(f"- {o.name} (ran in {o.seconds:.0f} s) said at 18:00 PT:")
        for line in o.said:
            print(f"  - {line}")


def main_behaving(args: argparse.Namespace) -> None:
    from feed import quota
    from simulator import SimulatorConfig

    start = DAY.astimezone(UTC)
    end = quota.next_reset(start)
    config = SimulatorConfig(
        seed=args.seed,
        queries=QUERIES,
        query_rates=BEHAVING_RATES,
        burst_every_minutes=0,
        history_hours=1,
        start=start,
        daily_quota=BUDGET,
    )
    rates = ", ".join(f"{q} {r * 60:g}/h" for q, r in zip(QUERIES, BEHAVING_RATES, strict=True))
    print(f"# YouTube as it behaves: {DAY:%Y-%m-%d} 00:00-24:00 America/Los_Angeles\n")
    print(
        f"- environment: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs; "
        f"queries {rates}; simulator seed {args.seed}: its default index lag, removals "
        f"({config.removal_share:.0%} of videos, 1-48 h after publishing, "
        f"{config.restore_share:.0%} of them back 1-24 h later) and view counts"
    )
    print(
        "- searchable: when the simulator's search first shows a video; 'stored / all' counts "
        "the day's videos searchable at least 4 h before midnight and not removed at midnight; "
        "lag is first stored minus searchable; removed: stored videos removed at least 6 h "
        "before midnight and still removed then; views: stored videos published at least 12 h "
        "before midnight, still up, whose stored count is within half to twice the true one\n"
    )
    day = {"config": config, "start": start, "end": end}
    outcomes = [
        run_behaving("(a) project, 1 key", keys=list(KEYS[:1]), rewalks=True, **day),
        run_behaving("(b) project, 3 keys", keys=list(KEYS), rewalks=True, **day),
        run_behaving("(c) fixed 10 min overlap, 3 keys", keys=list(KEYS), rewalks=False, **day),
    ]
    print_behaving(outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=0.5, help="steady videos a minute, per query")
    parser.add_argument("--burst-every", type=float, default=240, help="minutes; 0: no bursts")
    parser.add_argument("--burst-size", type=int, default=60, help="videos per burst")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--skip-original", action="store_true", help="leave out scenario (c), the slow one"
    )
    parser.add_argument(
        "--as-youtube-behaves",
        action="store_true",
        help="the day with index lag, removals and growing counts instead (see above)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="quota_day-") as directory:
        configure_django(directory)
        if args.as_youtube_behaves:
            main_behaving(args)
            return
        from feed import quota
        from simulator import NO_LAG, SimulatorConfig

        start = DAY.astimezone(UTC)
        end = quota.next_reset(start)
        config = SimulatorConfig(
            seed=args.seed,
            queries=QUERIES,
            rate_per_minute=args.rate,
            burst_every_minutes=args.burst_every,
            burst_size=args.burst_size,
            history_hours=1,
            start=start,
            daily_quota=BUDGET,
            # The day as measured so far: search shows each video as it is published, and none
            # is removed. With the realistic index lag and removals the figures would no longer
            # compare with earlier runs.
            index_lag=NO_LAG,
            removal_share=0,
        )
        print_header(config)
        day = {"config": config, "start": start, "end": end}
        outcomes = [
            run_project("(a) project, 1 key", keys=list(KEYS[:1]), **day),
            run_project("(b) project, 3 keys", keys=list(KEYS), **day),
        ]
        if not args.skip_original:
            outcomes.append(run_original("(c) original, 1 key", key=KEYS[0], **day))
        print_table(outcomes, end=end)
        print_notes(outcomes, end=end)


if __name__ == "__main__":
    main()

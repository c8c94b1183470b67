"""What the status page shows: per query, per key, and videos stored per hour. A constant
number of queries whatever the number of queries, keys or videos, computed at most once every
STATUS_CACHE_SECONDS by all the processes that share the "status" cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count, OuterRef, Q, Subquery, Sum

from dashboard import display
from feed import discovery, keys, reasons, services
from feed.models import FetchRun, SearchQuery, Video

# Overdue checks counted at most: a bound on what one view of the page reads.
SAMPLE_AT_MOST = 50_000
# A check this late is overdue (a round runs every minute).
OVERDUE_AFTER = timedelta(minutes=5)

# The cached figures are kept this long by the cache itself (wall time), so a copy to show while
# they are computed again is there; whether they are fresh is decided by the product's clock.
KEEP_SECONDS = 300
# A computation that died (its process killed) stops holding the others off after this long.
COMPUTING_SECONDS = 30
# Shared by processes of different releases during a deploy (Redis): a new one must not read a
# Page pickled by the old code. Bump the number when Page, or a dataclass it holds, changes.
CACHE_KEY = "status-page.1"
COMPUTING_KEY = "status-page.computing"


def since(moment: datetime | None, *, now: datetime) -> str:
    """ "8 s ago" under a minute (polls run every few seconds), else as on the cards."""
    if moment is None:
        return ""
    seconds = (now - moment).total_seconds()
    return f"{max(0, int(seconds))} s ago" if seconds < 60 else display.ago(moment, now=now)


def late_per_query(*, now: datetime) -> dict[int, int]:
    """Videos that re-walks found in the last day, per query id (one GROUP BY)."""
    rows = (
        FetchRun.objects.filter(started_at__gt=now - timedelta(days=1), late_videos__gt=0)
        .values("query_id")
        .annotate(late=Sum("late_videos"))
    )
    return {row["query_id"]: row["late"] for row in rows}


@dataclass(frozen=True, slots=True)
class QueryRow:
    text: str
    active: bool
    last_polled_at: datetime | None
    newest_published_at: datetime | None
    stored_hour: int
    stored_day: int
    last_run: FetchRun | None
    last_error: FetchRun | None
    polled_ago: str
    newest_ago: str
    error_ago: str
    delays: discovery.Delays | None = None  # first stored minus published, over the last day
    late_day: int = 0  # videos re-walks found in the last day

    @property
    def error_words(self) -> str:
        return reasons.plain(self.last_error.error_reason) if self.last_error else ""


def query_rows(*, now: datetime) -> list[QueryRow]:
    """Every search query with its last poll, newest video and last error (three queries)."""
    runs = FetchRun.objects.filter(query=OuterRef("pk")).order_by("-started_at")
    queries = list(
        SearchQuery.objects.annotate(
            # Walks the sort-key index down and probes the link table: stops at the first hit.
            newest=Subquery(
                Video.objects.filter(queries=OuterRef("pk"))
                .order_by("-sort_key")
                .values("published_at")[:1]
            ),
            last_run_id=Subquery(runs.values("pk")[:1]),
            last_error_id=Subquery(runs.exclude(error="").values("pk")[:1]),
        )
    )
    run_ids = {q.last_run_id for q in queries} | {q.last_error_id for q in queries}
    by_id = FetchRun.objects.in_bulk([pk for pk in run_ids if pk is not None])
    counts = stored_per_query(now=now)
    delays = discovery.delays(now=now)
    late = late_per_query(now=now)
    return [
        QueryRow(
            text=q.text,
            active=q.active,
            last_polled_at=q.last_polled_at,
            newest_published_at=q.newest,
            stored_hour=counts.get(q.pk, (0, 0))[0],
            stored_day=counts.get(q.pk, (0, 0))[1],
            last_run=by_id.get(q.last_run_id),
            last_error=by_id.get(q.last_error_id),
            polled_ago=since(q.last_polled_at, now=now),
            newest_ago=since(q.newest, now=now),
            error_ago=since(
                by_id[q.last_error_id].started_at if q.last_error_id in by_id else None, now=now
            ),
            delays=delays.get(q.pk),
            late_day=late.get(q.pk, 0),
        )
        for q in queries
    ]


def stored_per_query(*, now: datetime) -> dict[int, tuple[int, int]]:
    """Videos first stored in the last hour and day, per query id (one GROUP BY)."""
    links = Video.queries.through.objects.filter(video__first_seen_at__gt=now - timedelta(days=1))
    rows = links.values("searchquery_id").annotate(
        hour=Count("pk", filter=Q(video__first_seen_at__gt=now - timedelta(hours=1))),
        day=Count("pk"),
    )
    return {row["searchquery_id"]: (row["hour"], row["day"]) for row in rows}


def stored_totals(*, now: datetime) -> tuple[int, int]:
    """All videos first stored in the last hour and the last day (one query)."""
    totals = Video.objects.filter(first_seen_at__gt=now - timedelta(days=1)).aggregate(
        hour=Count("pk", filter=Q(first_seen_at__gt=now - timedelta(hours=1))), day=Count("pk")
    )
    return totals["hour"], totals["day"]


@dataclass(frozen=True, slots=True)
class Bar:
    hour: datetime  # the start of the hour, UTC
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    peak: int
    total: int
    width: int
    height: int
    labels: list[str]  # "18:00", ... "now": every 6 hours, spread evenly under the bars


def hourly_chart(*, now: datetime, hours: int = 24, width: int = 720, height: int = 140) -> Chart:
    """Videos stored per hour over the last `hours` hours (the current one included), laid out
    as SVG bars. A count per hour, each a range of the first-seen index: at a million videos
    stored in a day that took 0.4 s where grouping by TruncHour took 30 s on SQLite (a Python
    function per row) and one statement of 24 filtered counts took 10 s."""
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    slots = [first + timedelta(hours=i) for i in range(hours)]
    stored = Video.objects.filter
    counts = {
        hour: stored(first_seen_at__gte=hour, first_seen_at__lt=hour + timedelta(hours=1)).count()
        for hour in slots
    }
    peak = max((counts.get(h, 0) for h in slots), default=0)
    top = 4
    plot = height - top
    step = width / hours
    bars = []
    for i, hour in enumerate(slots):
        count = counts.get(hour, 0)
        bar_height = round(plot * count / peak, 1) if peak else 0
        bars.append(
            Bar(
                hour=hour,
                count=count,
                x=round(i * step + 1, 1),
                y=round(top + plot - bar_height, 1),
                width=round(step - 2, 1),
                height=bar_height,
            )
        )
    labels = [f"{hour:%H}:00" for hour in slots[:: hours // 4]][:4] + ["now"]
    return Chart(
        bars=bars,
        peak=peak,
        total=sum(b.count for b in bars),
        width=width,
        height=height,
        labels=labels,
    )


@dataclass(frozen=True, slots=True)
class KeyRow:
    fingerprint: str
    state: str
    label: str  # KeyStatus.words
    detail: str
    units_today: int
    budget: int
    check_units_today: int


def key_rows(*, statuses: list[keys.KeyStatus]) -> list[KeyRow]:
    rows = []
    for status in statuses:
        detail = ""
        if status.state == "exhausted":
            detail = reasons.plain(status.reason)
        elif status.state == "disabled":
            detail = status.message
        rows.append(
            KeyRow(
                fingerprint=status.fingerprint,
                state=status.state,
                label=status.words,
                detail=detail,
                units_today=status.units_today,
                budget=status.budget,
                check_units_today=status.check_units_today,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class Checks:
    """The re-checks of stored videos (feed/checks.py) as of now."""

    overdue: int  # due more than OVERDUE_AFTER ago, counted up to SAMPLE_AT_MOST
    overdue_capped: bool
    removed_day: int  # tombstoned in the last day
    units_today: int  # over every configured key
    budget: int  # the checks' share of every configured key's day


def check_summary(*, now: datetime, statuses: list[keys.KeyStatus]) -> Checks:
    overdue = Video.objects.filter(check_due_at__lt=now - OVERDUE_AFTER).order_by()
    count = overdue[: SAMPLE_AT_MOST + 1].count()
    return Checks(
        overdue=min(count, SAMPLE_AT_MOST),
        overdue_capped=count > SAMPLE_AT_MOST,
        removed_day=Video.objects.filter(removed_at__gt=now - timedelta(days=1)).count(),
        units_today=sum(s.check_units_today for s in statuses),
        budget=keys.check_budget() * len(statuses),
    )


@dataclass(frozen=True, slots=True)
class Page:
    """Everything the status page shows, as of `computed_at`."""

    computed_at: datetime
    stored_hour: int
    stored_day: int
    queries: list[QueryRow]
    keys: list[KeyRow]
    checks: Checks
    pacing: str
    coverage: list[str]
    chart: Chart


def compute(*, now: datetime) -> Page:
    hour, day = stored_totals(now=now)
    plan = services.pacing(now=now)
    statuses = keys.statuses(now=now)
    return Page(
        computed_at=now,
        stored_hour=hour,
        stored_day=day,
        queries=query_rows(now=now),
        keys=key_rows(statuses=statuses),
        checks=check_summary(now=now, statuses=statuses),
        pacing=sentence(plan.sentence),
        coverage=[sentence(line) for line in services.coverage(now=now, plan=plan)],
        chart=hourly_chart(now=now),
    )


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def page(*, now: datetime) -> Page:
    """The page as computed at most STATUS_CACHE_SECONDS before `now` (0: now). One request at a
    time computes it (over every process, where the cache is Redis); the others meanwhile show
    the previous figures, so a flood of views costs one computation every few seconds."""
    seconds = settings.STATUS_CACHE_SECONDS
    if not seconds:
        return compute(now=now)
    cache = caches["status"]
    cached: Page | None = cache.get(CACHE_KEY)
    if cached is not None and timedelta(0) <= now - cached.computed_at < timedelta(seconds=seconds):
        return cached
    computing = cache.add(COMPUTING_KEY, True, timeout=COMPUTING_SECONDS)
    if not computing and cached is not None:
        return cached
    try:
        fresh = compute(now=now)
        cache.set(CACHE_KEY, fresh, timeout=max(KEEP_SECONDS, 2 * seconds))
    finally:
        if computing:
            cache.delete(COMPUTING_KEY)
    return fresh

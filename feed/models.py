from __future__ import annotations

import secrets
from datetime import UTC
from typing import TypedDict

from django.db import connection, models

from feed import clock

# sort_key = publish second * SLOTS_PER_SECOND + slot. The slot breaks ties between videos
# published in the same second, in the order they were first stored. 10**6 slots keep the key
# below 2**53 (safe as a JSON number in every client) until the year 2255.
SLOTS_PER_SECOND = 1_000_000

# YouTube's search filters: under 4 minutes, 4-20 minutes, over 20 minutes.
SHORT_BELOW_SECONDS = 4 * 60
LONG_ABOVE_SECONDS = 20 * 60
# A Short lasts at most 3 minutes (shared/youtube/README.md); the API has no field saying a video
# is one, so a video is a Short when it is that short or its title or description says #shorts.
SHORTS_MAX_SECONDS = 3 * 60
SHORTS_TAG = "#shorts"


class Thumbnails(TypedDict):
    default: str
    medium: str
    high: str


class VideoDict(TypedDict):
    id: str
    url: str
    title: str
    description: str
    published_at: str
    channel_id: str
    channel_title: str
    thumbnails: Thumbnails
    live: str
    queries: list[str]
    duration_seconds: int | None
    view_count: int | None


class SearchQuery(models.Model):
    """A search the fetcher runs against YouTube, e.g. "football".

    Its walk state says what is already fetched: every video published up to `covered_until`,
    except in the `gaps` (windows a walk could not finish: a page cap, an error, a crash), which
    later polls fill from the newest end down. See feed/services.py.
    """

    text = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True, help_text="Paused queries are not polled.")
    created_at = models.DateTimeField(default=clock.now, editable=False)
    covered_until = models.DateTimeField(null=True, blank=True, editable=False)
    gaps = models.JSONField(default=list, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When each re-walk of the recent past last ran, by its reach in seconds ({"3600": iso time}):
    # YouTube's search index shows many videos late (feed/rewalks.py).
    rewalked = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["text"]
        verbose_name_plural = "search queries"

    def __str__(self) -> str:
        return self.text


class ApiKeyState(models.Model):
    """What YouTube last said about a key. Keys themselves live only in the environment:
    this row knows a key by its fingerprint (feed.youtube.fingerprint)."""

    class State(models.TextChoices):
        OK = "ok"
        EXHAUSTED = "exhausted"
        DISABLED = "disabled"

    fingerprint = models.CharField(max_length=32, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OK)
    exhausted_until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    # A disabled key stays disabled until the configured key set changes (or an admin resets it).
    disabled_config = models.CharField(max_length=64, blank=True)
    changed_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["fingerprint"]
        verbose_name = "API key state"

    def __str__(self) -> str:
        return self.fingerprint


class QuotaUsage(models.Model):
    """Units a key spent in one Pacific day (the day YouTube's quota resets on)."""

    fingerprint = models.CharField(max_length=32)
    day = models.DateField()
    units = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    # The part of `units` spent re-checking stored videos (feed/checks.py), which has its own
    # share of the budget (YOUTUBE_CHECK_PERCENT).
    check_units = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fingerprint", "day"], name="quota_usage_key_day")
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint} {self.day}: {self.units}"


class FetchRun(models.Model):
    """One poll of one query: what it fetched, what it spent, what went wrong."""

    query = models.ForeignKey(SearchQuery, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    key_fingerprints = models.CharField(max_length=200, blank=True)
    pages = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    new_videos = models.PositiveIntegerField(default=0)
    updated_videos = models.PositiveIntegerField(default=0)
    # The re-walk this poll made (how far back from now it walked), and the new videos it found
    # below the ordinary poll's window: videos YouTube's search showed late.
    rewalk_seconds = models.PositiveIntegerField(null=True, blank=True)
    late_videos = models.PositiveIntegerField(default=0)
    error_reason = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["query", "-started_at"], name="fetchrun_query_started")]

    def __str__(self) -> str:
        return f"{self.query} at {self.started_at:%Y-%m-%d %H:%M:%S}"


class Length(models.IntegerChoices):
    """A video's duration bucket. UNKNOWN: no duration yet (the details call has not answered
    or failed, or a live stream or premiere, whose length YouTube gives as 0 until it ends)."""

    UNKNOWN = 0
    SHORT = 1  # under 4 minutes
    MEDIUM = 2  # 4 to 20 minutes
    LONG = 3  # over 20 minutes


def classify(
    *, duration_seconds: int | None, live: str, title: str, description: str
) -> tuple[int, bool]:
    """(Length, is Short) of a video."""
    known = live == "none" and bool(duration_seconds)
    if not known:
        length = Length.UNKNOWN
    elif duration_seconds < SHORT_BELOW_SECONDS:
        length = Length.SHORT
    elif duration_seconds <= LONG_ABOVE_SECONDS:
        length = Length.MEDIUM
    else:
        length = Length.LONG
    tagged = SHORTS_TAG in title.casefold() or SHORTS_TAG in description.casefold()
    return int(length), (known and duration_seconds <= SHORTS_MAX_SECONDS) or tagged


# classify() in SQL. Migration 0010 keeps its own frozen copy: migrations never import app code.
CLASSIFY_SQL = f"""
UPDATE feed_video SET
  length = CASE
    WHEN live <> 'none' OR duration_seconds IS NULL OR duration_seconds = 0 THEN {Length.UNKNOWN:d}
    WHEN duration_seconds < {SHORT_BELOW_SECONDS} THEN {Length.SHORT:d}
    WHEN duration_seconds <= {LONG_ABOVE_SECONDS} THEN {Length.MEDIUM:d}
    ELSE {Length.LONG:d} END,
  is_short = CASE
    WHEN live = 'none' AND duration_seconds > 0 AND duration_seconds <= {SHORTS_MAX_SECONDS}
      THEN true
    WHEN lower(title) LIKE %s OR lower(description) LIKE %s THEN true
    ELSE false END
"""


def classify_all() -> None:
    """classify() every stored video in one statement: after a bulk write that bypasses
    feed.store (seed_videos)."""
    tagged = f"%{SHORTS_TAG}%"
    with connection.cursor() as cursor:
        cursor.execute(CLASSIFY_SQL, [tagged, tagged])


# The duration filter's buckets: each holds the videos of unknown length too, so that no bucket
# hides a video whose length is not known yet (feed.filters).
DURATION_BUCKETS = {
    "short": (Length.UNKNOWN, Length.SHORT),
    "medium": (Length.UNKNOWN, Length.MEDIUM),
    "long": (Length.UNKNOWN, Length.LONG),
}


def bucket_sql(name: str) -> str:
    """The SQL condition of a duration bucket, with its numbers inline: the partial index of
    the bucket (Meta.indexes) serves a query only when its WHERE holds the very same term."""
    return f"length IN ({', '.join(str(int(v)) for v in DURATION_BUCKETS[name])})"


# Sort by views: the index's expression, and the same text in queries (feed.pagination), so that
# both engines see the query's ORDER BY as the index's.
VIEWS_SQL = "COALESCE(feed_video.view_count, -1)"
VIEWS_SQL_EXPRESSION = models.Func(
    models.F("view_count"),
    models.Value(-1),
    function="COALESCE",
    output_field=models.BigIntegerField(),
)


def sort_key_index(*, name: str, where: models.Q) -> models.Index:
    """A partial index of sort keys: a page of a filter walks only the videos it keeps, in feed
    order, and stops after a page."""
    return models.Index(fields=["sort_key"], name=name, condition=where)


class Video(models.Model):
    class Live(models.TextChoices):
        NONE = "none"
        LIVE = "live"
        UPCOMING = "upcoming"

    youtube_id = models.CharField(max_length=32, unique=True)
    # Unique, immutable and indexed: the feed's order and the API's sync_token. On SQLite it is
    # also the rowid of the full-text index, so a search walks the index already in feed order.
    sort_key = models.BigIntegerField(unique=True, editable=False)
    published_at = models.DateTimeField(editable=False)
    title = models.TextField()
    description = models.TextField(blank=True)
    channel_id = models.CharField(max_length=64)
    channel_title = models.CharField(max_length=300, blank=True)
    thumbnails = models.JSONField(default=dict)
    live = models.CharField(max_length=10, choices=Live.choices, default=Live.NONE)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    view_count = models.BigIntegerField(null=True, blank=True)
    # Derived from the four above by classify() wherever they are written (feed.store), so that
    # the duration and Shorts filters are one indexed column each: see Meta.indexes.
    length = models.PositiveSmallIntegerField(
        choices=Length.choices, default=Length.UNKNOWN, db_default=Length.UNKNOWN, editable=False
    )
    # db_default: SQLite then adds the column in place instead of rebuilding the table (which
    # would drop the full-text index's triggers, migration 0002).
    is_short = models.BooleanField(default=False, db_default=False, editable=False)
    # When this product first stored the video (its discovery delay is this minus published_at),
    # and last refreshed it: both from feed.clock, so a simulated day stores virtual times.
    first_seen_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)
    # A tombstone: YouTube no longer lists the video (deleted, made private, rejected). It is
    # hidden everywhere but kept, so that it can come back (feed/checks.py).
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The last videos.list answer about it, and when to ask again (young videos more often).
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    check_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    queries = models.ManyToManyField(SearchQuery, related_name="videos", blank=True)

    class Meta:
        ordering = ["-sort_key"]
        indexes = [
            # Keyset pages within one channel / one live state walk these in order.
            models.Index(fields=["channel_id", "sort_key"], name="video_channel_sort"),
            models.Index(fields=["live", "sort_key"], name="video_live_sort"),
            # The status page counts and charts videos by when they were stored.
            models.Index(fields=["first_seen_at"], name="video_first_seen"),
            # The Atom and JSON feeds read the 1,000 videos stored last (ties: newest
            # published first) from this, in order, without touching the rows.
            models.Index(fields=["first_seen_at", "sort_key"], name="video_first_seen_sort"),
            # feed.checks picks the videos due for a check, most overdue first.
            models.Index(fields=["check_due_at"], name="video_check_due"),
            # The status page counts the day's removals (a few among a million rows). Partial:
            # an index holding the NULLs too made SQLite answer the feed's `removed_at IS NULL`
            # through it, sorting every video instead of walking the sort-key index.
            models.Index(
                fields=["removed_at"],
                name="video_removed",
                condition=models.Q(removed_at__isnull=False),
            ),
            # The duration and Shorts filters: one partial index of sort keys per filter value
            # (a plain (length, sort_key) index cannot serve `length IN (0, 3)` in sort-key
            # order).
            *(
                sort_key_index(
                    name=f"video_{name}_sort", where=models.Q(length__in=[int(v) for v in values])
                )
                for name, values in DURATION_BUCKETS.items()
            ),
            sort_key_index(name="video_shorts_sort", where=models.Q(is_short=True)),
            sort_key_index(name="video_not_shorts_sort", where=models.Q(is_short=False)),
            # Only Shorts of 4 minutes or more (or of no known length yet): Shorts by duration are
            # all under 4 minutes, so these are the few that say #shorts. Without it, "only
            # Shorts" over 20 minutes walked every long video to find none (1 s at 1M).
            sort_key_index(
                name="video_tagged_shorts_sort",
                where=models.Q(is_short=True) & ~models.Q(length=Length.SHORT),
            ),
            # "Most viewed": a hidden or unknown count sorts as -1, below every known one.
            models.Index(VIEWS_SQL_EXPRESSION, models.F("sort_key"), name="video_views_sort"),
            # ... and a channel's page sorted by views (its "Popular" tab), which walking the
            # index above would answer by reading past every other channel's videos.
            models.Index(
                models.F("channel_id"),
                VIEWS_SQL_EXPRESSION,
                models.F("sort_key"),
                name="video_channel_views",
            ),
            # ... and one live state sorted by views: upcoming videos have no count yet, so
            # they sit at the very end of video_views_sort (-1): 120 ms to reach them at 1M.
            models.Index(
                models.F("live"),
                VIEWS_SQL_EXPRESSION,
                models.F("sort_key"),
                name="video_live_views",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def listed(cls) -> models.QuerySet[Video]:
        """The videos the API, the grid and search show: every stored one but the removed."""
        return cls.objects.filter(removed_at=None)

    @property
    def url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_id}"

    def to_dict(self, *, queries: list[str]) -> VideoDict:
        thumbs = self.thumbnails or {}
        return {
            "id": self.youtube_id,
            "url": self.url,
            "title": self.title,
            "description": self.description,
            "published_at": self.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channel_id": self.channel_id,
            "channel_title": self.channel_title,
            "thumbnails": {
                "default": thumbs.get("default", ""),
                "medium": thumbs.get("medium", ""),
                "high": thumbs.get("high", ""),
            },
            "live": self.live,
            "queries": queries,
            "duration_seconds": self.duration_seconds,
            "view_count": self.view_count,
        }


class Change(models.Model):
    """One change a reader of the feed sees, in the order it was stored: the change log behind
    GET /api/v1/youtube/changes (and, later, webhooks: one row per change, a stable id).

    The id is the position in the log. Rows are written in the transaction of the video write,
    and on PostgreSQL under feed.store.CHANGE_LOCK, so ids become visible in order: a reader
    that has seen id N never sees a smaller one appear later (see feed/store.py).
    """

    class Kind(models.TextChoices):
        STORED = "stored"  # newly stored
        REMOVED = "removed"  # became a tombstone
        RESTORED = "restored"  # a tombstone YouTube lists again
        EDITED = "edited"  # its title or description changed

    id = models.BigAutoField(primary_key=True)
    # Indexed with the id below, not alone.
    video = models.ForeignKey(
        Video, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            # A video's changes after a position: a page of changes for a filter that keeps few
            # videos reads it once per video (feed.changes), on PostgreSQL from the index alone
            # (a channel at 1M: 2.0 ms, 3.0-3.5 ms on video_id alone). It serves the foreign key
            # too. (SQLite's index on video_id held the id already: its rowid.)
            models.Index(fields=["video", "id"], name="change_video_id"),
        ]

    def __str__(self) -> str:
        return f"{self.id}: {self.kind} {self.video_id}"


def query_texts(videos: list[Video]) -> dict[int, list[str]]:
    """The texts of the queries that found each video, by video pk, in one query."""
    texts: dict[int, list[str]] = {v.pk: [] for v in videos}
    if not texts:
        return texts
    # Plain SQL: every page of the feed runs this, and through the ORM it took 330 us a page
    # instead of 41.
    links = Video.queries.through._meta.db_table
    queries = SearchQuery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT link.video_id, q.text FROM {links} link"
            f" JOIN {queries} q ON q.id = link.searchquery_id"
            f" WHERE link.video_id IN ({', '.join(['%s'] * len(texts))}) ORDER BY q.text",
            list(texts),
        )
        for video_id, text in cursor.fetchall():
            texts[video_id].append(text)
    return texts


def new_salt() -> str:
    """A webhook secret's salt (see feed.webhooks.secret): 32 random bytes, in hex."""
    return secrets.token_hex(32)


class Webhook(models.Model):
    """A subscription: every change of the log (Change) that its filters keep is POSTed to its
    URL, signed, in the log's order (feed/webhooks.py).

    The signing secret is never stored: it is derived from `salt` and SECRET_KEY when signing
    (feed.webhooks.secret), so this row, a database dump or a backup holds nothing that signs.
    """

    url = models.URLField(
        max_length=2000, help_text="http(s) only; the receiver of the signed POSTs."
    )
    filters = models.CharField(
        max_length=1000,
        blank=True,
        help_text="The list's filters as its query string, e.g. q=tea+how&channel=UC... "
        "(q, channel, query, live, published_after, published_before). Empty: every change.",
    )
    active = models.BooleanField(
        default=True,
        help_text="Inactive subscriptions are not delivered to; their changes wait for them.",
    )
    # The position (Change id) of the last change delivered, or skipped as not matching: the
    # next delivery is the first matching change after it.
    position = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The change log position delivered up to. Empty when adding: the current end "
        "of the log (only changes from now on); 0: from the first change.",
    )
    salt = models.CharField(max_length=64, default=new_salt, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The current failure streak: since when, how many attempts, when to try again.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False)
    retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One attempt to POST one change to one subscription, and what came of it."""

    # Its own index would repeat the first column of delivery_webhook_newest.
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    change_id = models.BigIntegerField()
    message_id = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    ok = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        # The admin shows a subscription's newest attempts; pruning keeps the newest few.
        indexes = [models.Index(fields=["webhook", "-id"], name="delivery_webhook_newest")]

    def __str__(self) -> str:
        return f"{self.message_id} attempt {self.attempt}"

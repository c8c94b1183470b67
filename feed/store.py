"""Writing videos: bulk upsert by YouTube id, sort keys allocated once, enrichment in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db import connection, transaction

from feed import checks, clock
from feed.models import SLOTS_PER_SECOND, Change, SearchQuery, Video, classify

# One SQL statement per this many distinct publish seconds (two parameters each).
SECONDS_PER_LOOKUP = 1000
# pg_advisory_xact_lock key of sort-key allocation (any constant unique to this purpose).
SORT_KEY_LOCK = 0x5EED_50F7
# pg_advisory_xact_lock key of writing the change log (see record_changes).
CHANGE_LOCK = 0x5EED_C4A6
# Written on every re-poll; everything else about a video is fixed once it is stored.
# length and is_short follow from title, description, live and duration (models.classify): every
# write of one of those writes them too.
REFRESHED_FIELDS = [
    "title",
    "description",
    "channel_title",
    "thumbnails",
    "live",
    "updated_at",
    "length",
    "is_short",
]
# Written by every videos.list answer about a video.
CHECKED_FIELDS = [
    "duration_seconds",
    "view_count",
    "removed_at",
    "checked_at",
    "check_due_at",
    "length",
    "is_short",
]


class Snippet(Protocol):
    """What a search result tells about a video (feed.youtube.VideoSnippet fits)."""

    youtube_id: str
    published_at: datetime
    title: str
    description: str
    channel_id: str
    channel_title: str
    thumbnails: Mapping[str, str]
    live: str


class Details(Protocol):
    duration_seconds: int | None
    view_count: int | None


@dataclass(frozen=True, slots=True)
class Upserted:
    new_ids: list[str]
    updated_ids: list[str]


def upsert_videos(
    snippets: Iterable[Snippet], *, query: SearchQuery | None = None, now: datetime | None = None
) -> Upserted:
    """Insert new videos and refresh known ones, in one transaction, in a constant number of
    statements whatever the batch size (up to SECONDS_PER_LOOKUP distinct seconds per lookup).
    A video already stored keeps its sort key, publish time and first_seen_at, so a re-poll never
    moves it. `now` (default: feed.clock) is when they were seen.
    """
    now = now or clock.now()
    by_id = {s.youtube_id: s for s in snippets}
    if not by_id:
        return Upserted(new_ids=[], updated_ids=[])
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two workers storing videos of the same second would read the same highest key
            # and insert the same next one: allocation and insert take turns, until commit.
            # (SQLite's IMMEDIATE transactions already serialize writers.)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SORT_KEY_LOCK])
        # What a reader sees of the known ones, to tell an edit from a mere re-poll, and their
        # stored duration: length and Shorts mark follow from it and from what search says now
        # (a stream that ended, a title that gained #shorts).
        stored = list(
            Video.objects.filter(youtube_id__in=list(by_id)).values_list(
                "youtube_id", "title", "description", "removed_at", "duration_seconds"
            )
        )
        seen = {row[0]: (row[1], row[2], row[3] is not None) for row in stored}
        durations = {row[0]: row[4] for row in stored}
        known = set(seen)
        # YouTube lists newest first; allocating oldest first keeps its order within a second.
        keys = allocate_sort_keys([s.published_at for s in reversed(list(by_id.values()))])
        rows = [
            Video(
                **classified(s, duration_seconds=durations.get(s.youtube_id)),
                youtube_id=s.youtube_id,
                sort_key=key,
                published_at=s.published_at,
                title=s.title,
                description=s.description,
                channel_id=s.channel_id,
                channel_title=s.channel_title,
                thumbnails=dict(s.thumbnails),
                live=s.live,
                first_seen_at=now,
                updated_at=now,
                check_due_at=now,  # new: due for its details at once (the poll fetches them)
            )
            for s, key in zip(reversed(list(by_id.values())), keys, strict=True)
        ]
        # Known rows get a fresh (unused, never stored) key in the INSERT that the conflict
        # clause then leaves untouched: sort_key is not among the fields it updates.
        Video.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["youtube_id"],
            update_fields=REFRESHED_FIELDS,
        )
        # bulk_create reads back the primary key of inserted and of updated rows alike.
        if query is not None:
            link_query([row.pk for row in rows], query=query)
        changes = []
        for row in rows:
            before = seen.get(row.youtube_id)
            if before is None:
                changes.append((row.pk, Change.Kind.STORED))
            # A tombstone's new title is no news: its restoring shows the video as it is then.
            elif not before[2] and before[:2] != (row.title, row.description):
                changes.append((row.pk, Change.Kind.EDITED))
        if known:
            # Search lists a video we hold as removed: it may be back. videos.list decides (the
            # search index can lag behind a removal too), at the next check, now.
            Video.objects.filter(youtube_id__in=known, removed_at__isnull=False).update(
                check_due_at=now
            )
        # Last: a writer of the log waits for no row lock after taking its turn (a check holding
        # this row's lock while waiting for the turn would otherwise deadlock with it).
        record_changes(changes, now=now)
    return Upserted(
        new_ids=[i for i in by_id if i not in known],
        updated_ids=[i for i in by_id if i in known],
    )


def classified(snippet: Snippet, *, duration_seconds: int | None) -> dict[str, int | bool]:
    length, is_short = classify(
        duration_seconds=duration_seconds,
        live=snippet.live,
        title=snippet.title,
        description=snippet.description,
    )
    return {"length": length, "is_short": is_short}


def allocate_sort_keys(published: Sequence[datetime]) -> list[int]:
    """One unused sort key per publish time, in the given order: the next free slot of its
    second, so ties are broken by the order of storing."""
    seconds = [int(moment.timestamp()) for moment in published]
    next_slot = dict.fromkeys(seconds, 0)
    distinct = list(next_slot)
    for start in range(0, len(distinct), SECONDS_PER_LOOKUP):
        chunk = distinct[start : start + SECONDS_PER_LOOKUP]
        for second, taken in zip(chunk, highest_keys(chunk), strict=True):
            if taken is not None:
                next_slot[second] = taken - second * SLOTS_PER_SECOND + 1
    keys = []
    for second in seconds:
        slot = next_slot[second]
        if slot >= SLOTS_PER_SECOND:
            raise OverflowError(f"more than {SLOTS_PER_SECOND} videos published in one second")
        next_slot[second] = slot + 1
        keys.append(second * SLOTS_PER_SECOND + slot)
    return keys


def highest_keys(seconds: Sequence[int]) -> list[int | None]:
    """The highest stored sort key within each of these seconds (None where there is none)."""
    # One index probe per second, driven from the list of seconds. (An OR of ranges with bound
    # parameters made SQLite's planner scan the whole index: bench/results/analysis.md.)
    rows = ", ".join(["(%s, %s)"] * len(seconds))
    params = [k for s in seconds for k in (s * SLOTS_PER_SECOND, (s + 1) * SLOTS_PER_SECOND)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH seconds(low, high) AS (VALUES {rows}) "
            "SELECT (SELECT MAX(sort_key) FROM feed_video"
            " WHERE sort_key >= low AND sort_key < high) FROM seconds",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def link_query(video_pks: Sequence[int], *, query: SearchQuery) -> None:
    """Record that `query` found these (stored) videos."""
    through = Video.queries.through
    through.objects.bulk_create(
        [through(video_id=pk, searchquery_id=query.pk) for pk in video_pks],
        ignore_conflicts=True,
    )


def record_details(details: Mapping[str, Details], *, asked: Sequence[str], now: datetime) -> int:
    """Store what one videos.list call said about the `asked` ids (a few statements, one
    transaction): duration and view count of those it returned, and, for those it left out,
    that YouTube no longer lists them (a tombstone: removed_at). A removed video it returns
    again is restored; both are changes in the log, new counts are not. Each gets its next
    check (feed.checks.next_check). Returns how many rows were written."""
    with transaction.atomic():
        # Locked (PostgreSQL) so that two checks of one video cannot both log its removal;
        # in primary-key order, so that two checks never wait for each other in a circle; "no
        # key", as the UPDATE below would, so that rows referring to them can still be written.
        videos = list(
            Video.objects.filter(youtube_id__in=list(asked))
            .only(
                "pk",
                "youtube_id",
                "published_at",
                "duration_seconds",
                "view_count",
                "removed_at",
                "live",
                "title",
                "description",
            )
            .order_by("pk")
            .select_for_update(no_key=True)
        )
        changes = []
        for video in videos:
            found = details.get(video.youtube_id)
            if found is None:
                if video.removed_at is None:
                    changes.append((video.pk, Change.Kind.REMOVED))
                video.removed_at = video.removed_at or now
            else:
                if video.removed_at is not None:
                    changes.append((video.pk, Change.Kind.RESTORED))
                video.duration_seconds = found.duration_seconds
                video.view_count = found.view_count
                video.removed_at = None
            video.length, video.is_short = classify(
                duration_seconds=video.duration_seconds,
                live=video.live,
                title=video.title,
                description=video.description,
            )
            video.checked_at = now
            video.check_due_at = checks.next_check(published_at=video.published_at, now=now)
        written = Video.objects.bulk_update(videos, CHECKED_FIELDS)
        record_changes(changes, now=now)
    return written


def record_changes(changes: Sequence[tuple[int, str]], *, now: datetime) -> None:
    """Append (video pk, Change.Kind) rows to the change log, in order, in the caller's
    transaction (one statement).

    On PostgreSQL, ids come from a sequence when a row is inserted but become visible when its
    transaction commits: two writers could commit ids 7 and 8 in the order 8, 7, and a reader
    that read up to 8 in between would never see 7. So writers take turns from here until
    their commit (a transaction-level advisory lock, which PostgreSQL releases only after the
    commit is visible): ids are then visible in the order they are allocated. It is taken after
    the videos' rows are written, so it is held for as short a time as the caller's transaction
    allows. SQLite's IMMEDIATE transactions already serialize writers.
    """
    if not changes:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_LOCK])
    Change.objects.bulk_create([Change(video_id=pk, kind=kind, at=now) for pk, kind in changes])

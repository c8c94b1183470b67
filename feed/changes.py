"""Reading the change log (feed.models.Change; written by feed/store.py) in its order."""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Max, QuerySet

from feed.models import Change, Video


def latest() -> int:
    """The position of the newest change visible now (0: none yet)."""
    return Change.objects.aggregate(latest=Max("id"))["latest"] or 0


# How Django joins a video to its changes, and the same join with the log first: SQLite's
# CROSS JOIN keeps the tables in the order written.
JOIN = 'FROM "feed_video" INNER JOIN "feed_change" ON'
LOG_FIRST = 'FROM "feed_change" CROSS JOIN "feed_video" ON'


def fetch_page(videos: QuerySet[Video], *, since: int, limit: int, walk: bool) -> list[Video]:
    """The changes after position `since` of the `videos`, oldest first, at most `limit`: one
    Video per change (a video changed twice comes twice), its position in `change_id`.

    `walk`: read the log from `since` in order (its primary key) and check each change's video
    against the filters, stopping after `limit`. Without it the database may start from the
    videos (their filter's index) and sort their changes: right when the filters keep few
    videos. SQLite, having no statistics here, starts from a filter's index whenever one
    exists (`live=none`: 96% of the videos, their every change sorted), so a walk is imposed
    on it; PostgreSQL's planner chooses from its statistics.
    """
    qs = (
        videos.filter(changes__id__gt=since)
        .annotate(change_id=F("changes__id"))
        .order_by("changes__id")[:limit]
    )
    if not walk or connection.vendor != "sqlite":
        return list(qs)
    sql, params = qs.query.sql_with_params()
    if JOIN not in sql:
        raise AssertionError(f"the changes page's join is not the expected one: {sql}")
    return list(Video.objects.raw(sql.replace(JOIN, LOG_FIRST, 1), params))

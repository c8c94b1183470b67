"""The grid's Atom and JSON Feed 1.1 twins: the same filters as a grid URL, the videos the
product stored most recently first (Atom through django.contrib.syndication)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, rfc3339_date
from django.utils.html import escape, linebreaks
from django.utils.http import http_date
from django.views.decorators.http import condition, require_safe

from dashboard.filters import GridFilter
from dashboard.views import canonical_params
from feed import api, clock
from feed.filters import Filtered
from feed.models import Video

# Entries in a feed (the README says so).
FEED_SIZE = 50
# Where the entries come from (both read through indexes, in order, and stop early):
# - the CANDIDATES newest matching videos by publish time: the grid's own walk, for any filter
#   and search;
# - without a search, also the matches among the RECENT videos stored last.
# So without a search the feed is exact whenever the RECENT videos stored last hold FEED_SIZE
# matches; otherwise, and for a search, a video stored late (its publish time older than
# videos already stored) is listed as long as fewer than CANDIDATES matching videos were
# published after it. Sorting every match by when it was stored instead reads all of them:
# 235 ms for `q=football` at 100k videos on SQLite. A search checks no RECENT videos: each
# costs a probe of the full-text index (25-40 us at 100k; 1,000 of them, 30 ms). 200, not
# 500: asked for 500, PostgreSQL's planner gathered every match of `tea` into a bitmap (16,773
# rows at 100k) for `q=tea ho&query=football` instead of walking the sort-key index.
CANDIDATES = 200
RECENT = 1000
# Newest stored first; videos stored together, newest published first.
STORED_ORDER = ("-first_seen_at", "-sort_key")
# What no feed shows: not read.
UNUSED = ("duration_seconds", "view_count", "removed_at", "checked_at", "check_due_at")
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_RSS = "http://search.yahoo.com/mrss/"


@dataclass(frozen=True, slots=True)
class Selection:
    """What one feed request lists: its filters (a canonical query string) and entries."""

    query: str
    search: str
    entries: list[Video]

    @property
    def updated(self) -> datetime | None:
        """The latest time an entry was written (stored or refreshed): the Last-Modified."""
        return max((v.updated_at for v in self.entries), default=None)

    def etag(self, kind: str) -> str:
        digest = hashlib.sha256(f"{kind}?{self.query}\n".encode())
        for video in self.entries:
            digest.update(f"{video.youtube_id} {video.updated_at.isoformat()}\n".encode())
        return digest.hexdigest()[:32]

    def url(self, name: str) -> str:
        path = reverse(name)
        return f"{path}?{self.query}" if self.query else path


def feed_query(data: QueryDict) -> str:
    """The canonical query string of a feed (as the grid links it): its filters only."""
    return urlencode([(name, value) for name, value in canonical_params(data) if name != "sort"])


def select(request: HttpRequest) -> Selection | HttpResponse:
    """The feed's entries, or the 400 a grid URL with these values gets, as the API's JSON
    error body. Computed once per request (the ETag, Last-Modified and the body all need it)."""
    cached = getattr(request, "_feed_selection", None)
    if cached is None:
        cached = request._feed_selection = _select(request)  # type: ignore[attr-defined]
    return cached


def _select(request: HttpRequest) -> Selection | HttpResponse:
    if refusal := api.too_many_fields(request):  # as the API: our 400 body
        return refusal
    data = request.GET
    filterset = GridFilter(data, queryset=Video.listed(), now=clock.now())
    if not filterset.is_valid():
        return api.invalid(filterset)
    if message := filterset.sort_error():  # a feed ignores the sort, but not a wrong one
        return api.error("sort", message)
    cleaned = filterset.form.cleaned_data
    after, before = cleaned.get("published_after"), cleaned.get("published_before")
    if after is not None and before is not None and after > before:
        return api.error("published_before", "must not be before published_after")
    return Selection(
        query=feed_query(data),
        search=(cleaned.get("q") or "").strip(),
        entries=newest_stored(filterset.filtered),
    )


def newest_stored(filtered: Filtered) -> list[Video]:
    """The FEED_SIZE most recently stored matches, from the candidates CANDIDATES describes.

    Plans on SQLite (read at 100k videos; 1-5 ms each):
    newest published, `q=football`: the grid's walk, then at most 200 ids sorted
        SEARCH v USING INTEGER PRIMARY KEY (rowid=?)
        LIST SUBQUERY 1
          SCAN feed_video_fts VIRTUAL TABLE INDEX 192:M2        (the index in rowid order)
          SEARCH feed_video USING INDEX ..._feed_video_2 (sort_key=?)
        USE TEMP B-TREE FOR ORDER BY
    stored last, `query=football` (recently_stored): 1,000 index entries, each row checked
        CO-ROUTINE recent
          SCAN feed_video USING COVERING INDEX video_first_seen_sort
        SCAN recent
        SEARCH feed_video USING INTEGER PRIMARY KEY (rowid=?)
        CORRELATED SCALAR SUBQUERY 2 ...                          (the filter, per row)
        USE TEMP B-TREE FOR ORDER BY
    then the entries themselves, by primary key. PostgreSQL plans the same walks (EXPLAIN
    ANALYZE at 100k: 0.5, 1.9 and 0.2 ms for the unfiltered feed)."""
    inner = filtered.qs.extra(order_by=[f"-{filtered.column}"]).values_list("pk")[:CANDIDATES]
    sql, params = inner.query.sql_with_params()
    # The outer table has its own alias: the inner query's raw SQL (search.apply) names
    # feed_video, which must stay the inner one.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v.id FROM feed_video v WHERE v.id IN ({sql})"
            " ORDER BY v.first_seen_at DESC, v.sort_key DESC LIMIT %s",
            [*params, FEED_SIZE],
        )
        ids = {row[0] for row in cursor.fetchall()}
    if not filtered.terms:
        ids.update(recently_stored(filtered.qs))
    # At most twice FEED_SIZE ids: the database picks the entries, only they are read whole.
    entries = Video.objects.filter(pk__in=ids).order_by(*STORED_ORDER)[:FEED_SIZE]
    return list(entries.defer(*UNUSED))


def recently_stored(qs: QuerySet[Video]) -> list[int]:
    """The ids of the matches (`qs`: filters, no search) among the RECENT videos stored last,
    newest stored first, at most FEED_SIZE."""
    recent = Video.objects.order_by(*STORED_ORDER).values("pk")[:RECENT]
    matches = qs.filter(pk__in=recent).order_by(*STORED_ORDER).values_list("pk", flat=True)
    if connection.vendor != "sqlite":
        return list(matches[:FEED_SIZE])
    # SQLite (no statistics) takes an equality on an indexed column for selective and starts
    # from it: for `live=none` it read every regular video to test each against the 1,000
    # (48 ms at 100k videos). A CROSS JOIN makes it start from the 1,000, as PostgreSQL does:
    #   SCAN recent / SEARCH feed_video USING INTEGER PRIMARY KEY (rowid=?) / USE TEMP B-TREE
    sql, params = qs.order_by().values_list("pk").query.sql_with_params()
    table = 'FROM "feed_video" WHERE '
    if sql.count(table) != 1:  # not the shape this was written for: correct, maybe slower
        return list(matches[:FEED_SIZE])
    recent_sql = (
        "FROM (SELECT id FROM feed_video ORDER BY first_seen_at DESC, sort_key DESC LIMIT %s)"
        ' AS recent CROSS JOIN "feed_video" ON "feed_video"."id" = recent.id WHERE '
    )
    head, tail = sql.split(table)
    before = head.count("%s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"{head}{recent_sql}{tail}"
            ' ORDER BY "feed_video"."first_seen_at" DESC, "feed_video"."sort_key" DESC LIMIT %s',
            [*params[:before], RECENT, *params[before:], FEED_SIZE],
        )
        return [row[0] for row in cursor.fetchall()]


def title(selection: Selection) -> str:
    return f"Videos matching “{selection.search}”" if selection.search else "Newest videos"


def subtitle(selection: Selection) -> str:
    filters = selection.query.replace("&", ", ") if selection.query else "none"
    return (
        f"The {FEED_SIZE} videos stored most recently that match the filters ({filters}), "
        "newest stored first."
    )


def thumbnail(video: Video) -> str:
    thumbs = video.thumbnails or {}
    return thumbs.get("high") or thumbs.get("medium") or thumbs.get("default") or ""


def channel_url(video: Video) -> str:
    return f"https://www.youtube.com/channel/{video.channel_id}"


def author(video: Video) -> str:
    return video.channel_title or video.channel_id


# -- Conditional GET: ETag and Last-Modified from the entries ------------------------------------


def etag_for(kind: str) -> Any:
    def etag(request: HttpRequest) -> str | None:
        selection = select(request)
        return selection.etag(kind) if isinstance(selection, Selection) else None

    return etag


def last_modified(request: HttpRequest) -> datetime | None:
    selection = select(request)
    return selection.updated if isinstance(selection, Selection) else None


# -- Atom ----------------------------------------------------------------------------------------


class VideoAtom(Atom1Feed):
    """Atom with each video's thumbnail as media:thumbnail (as YouTube's own feeds carry it)."""

    def root_attributes(self) -> dict[str, str]:
        return {**super().root_attributes(), "xmlns:media": MEDIA_RSS}

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("thumbnail"):
            handler.addQuickElement("media:thumbnail", "", {"url": item["thumbnail"]})

    def latest_post_date(self) -> datetime:
        # Django's answer for an empty feed is the machine's clock: ours goes through feed.clock.
        return super().latest_post_date() if self.items else self.feed["empty_updated"]


class AtomFeed(Feed):
    feed_type = VideoAtom

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        selection = select(request)
        if not isinstance(selection, Selection):
            return selection
        # Feed.__call__, but the document written to a string, then to the response at once:
        # Django's writes each of its ~2,000 XML pieces to the response (a third of the time).
        feedgen = self.get_feed(selection, request)
        response = HttpResponse(feedgen.writeString("utf-8"), content_type=feedgen.content_type)
        # Its Last-Modified also moves when an entry is refreshed (Feed's: the newest date).
        if selection.updated is not None:
            response["Last-Modified"] = http_date(selection.updated.timestamp())
        return response

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Selection:
        selection = select(request)
        assert isinstance(selection, Selection)
        return selection

    def title(self, obj: Selection) -> str:
        return f"{title(obj)} · Video feed"

    def subtitle(self, obj: Selection) -> str:
        return subtitle(obj)

    def link(self, obj: Selection) -> str:
        return obj.url("dashboard-grid")

    def feed_url(self, obj: Selection) -> str:
        return obj.url("feed-atom")

    def feed_extra_kwargs(self, obj: Selection) -> dict[str, Any]:
        return {"empty_updated": clock.now()}

    def items(self, obj: Selection) -> list[Video]:
        return obj.entries

    def item_title(self, item: Video) -> str:
        return item.title

    def item_link(self, item: Video) -> str:
        return item.url

    def item_description(self, item: Video) -> str:
        # Atom's summary is HTML here: the thumbnail (readers show it), then the description.
        image = thumbnail(item)
        picture = f'<p><a href="{escape(item.url)}"><img src="{escape(image)}" alt=""></a></p>'
        return (picture if image else "") + linebreaks(escape(item.description))

    def item_author_name(self, item: Video) -> str:
        return author(item)

    def item_author_link(self, item: Video) -> str:
        return channel_url(item)

    def item_pubdate(self, item: Video) -> datetime:
        return item.published_at

    def item_updateddate(self, item: Video) -> datetime:
        # When this feed stored it: the time the entries are ordered by (README).
        return item.first_seen_at

    def item_extra_kwargs(self, item: Video) -> dict[str, Any]:
        return {"thumbnail": thumbnail(item)}


atom = require_safe(
    condition(etag_func=etag_for("atom"), last_modified_func=last_modified)(AtomFeed())
)


# -- JSON Feed 1.1 --------------------------------------------------------------------------------


@require_safe
@condition(etag_func=etag_for("json"), last_modified_func=last_modified)
def json_feed(request: HttpRequest) -> HttpResponse:
    selection = select(request)
    if not isinstance(selection, Selection):
        return selection
    document = {
        "version": JSON_FEED_VERSION,
        "title": f"{title(selection)} · Video feed",
        "description": subtitle(selection),
        "home_page_url": request.build_absolute_uri(selection.url("dashboard-grid")),
        "feed_url": request.build_absolute_uri(selection.url("feed-json")),
        "language": "en",
        "items": [json_item(video) for video in selection.entries],
    }
    # <, > and & only occur inside JSON strings: escaped there, no text of a search or a title
    # reads as markup to anything that sniffs the body (as Django's json_script does).
    body = json.dumps(document).replace("<", "\\u003c").replace(">", "\\u003e")
    body = body.replace("&", "\\u0026")
    return HttpResponse(body, content_type="application/feed+json; charset=utf-8")


def json_item(video: Video) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": video.url,
        "url": video.url,
        "title": video.title,
        "content_text": video.description,
        "date_published": rfc3339_date(video.published_at),
        # When this feed stored it: the time the entries are ordered by (README).
        "date_modified": rfc3339_date(video.first_seen_at),
        "authors": [{"name": author(video), "url": channel_url(video)}],
    }
    if image := thumbnail(video):
        item["image"] = image
    return item

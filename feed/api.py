"""JSON views under /api/v1/ (their OpenAPI document: feed/openapi.py) and the health check."""

from __future__ import annotations

from typing import TypedDict

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from feed import changes as change_log
from feed import pagination, search
from feed.filters import ChangeFilter, Filtered, VideoFilter
from feed.models import Video, VideoDict, query_texts
from feed.openapi import document as openapi_document

# The parameters VideoFilter reads: a request with none of them needs no FilterSet.
FILTERS = frozenset(VideoFilter.base_filters)


def error(param: str | None, message: str, status: int = 400) -> JsonResponse:
    """The API's error body; `param` is None when no parameter is at fault (a 429, a 500)."""
    return JsonResponse({"error": {"param": param, "message": message}}, status=status)


def server_error(request: HttpRequest) -> JsonResponse:
    # No detail: the traceback is in the log, and nothing about the server belongs in a body.
    return error(None, "internal error: it is logged; try again in a moment", status=500)


def too_many_fields(request: HttpRequest) -> JsonResponse | None:
    """Our 400 when the query string holds more parameters than Django parses (its own refusal
    is an HTML page), or None. Parsed here, before anything else reads it."""
    try:
        request.GET  # noqa: B018
    except TooManyFieldsSent:
        return error(
            "query_string",
            f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters are accepted",
        )
    return None


def invalid(filterset: VideoFilter) -> JsonResponse:
    """The 400 naming the first parameter the filters refuse."""
    param, messages = next(iter(filterset.errors.items()))
    return error(param, " ".join(messages))


class ChangeDict(VideoDict):
    removed: bool


@require_safe
def videos(request: HttpRequest) -> JsonResponse:
    if refusal := too_many_fields(request):
        return refusal
    try:
        sort = pagination.parse_sort(request.GET.get("sort"))
        cursor = pagination.parse_token(request.GET.get("sync_token"), sort=sort)
        limit = pagination.parse_limit(request.GET.get("limit"))
    except pagination.BadParameter as e:
        return error(e.param, e.message)

    # Read before the page: a change committed in between is then in the feed after this
    # position (and maybe in the page too: a client upserts by id), never in neither.
    changes_since = change_log.latest()
    # to_dict reads none of them: five datetime conversions fewer per row.
    qs = Video.listed().defer(
        "first_seen_at", "updated_at", "removed_at", "checked_at", "check_due_at"
    )
    if sort == "relevance" and "q" not in request.GET:
        return error("sort", "relevance ranks a search: give words to search for in q")
    if FILTERS.isdisjoint(request.GET.keys()):
        # The plain feed, most reads: building and validating a FilterSet would cost more
        # than the query itself.
        filtered = Filtered(qs=qs, column=search.order_column(searching=False), terms=[])
    else:
        filterset = VideoFilter(request.GET, queryset=qs, sort=sort)
        if not filterset.is_valid():
            return invalid(filterset)
        if message := filterset.sort_error():
            return error("sort", message)
        filtered = filterset.filtered

    page = pagination.fetch_page(
        filtered.qs,
        cursor=cursor,
        limit=limit,
        column=filtered.column,
        sort=sort,
        terms=filtered.terms,
        rank_all=filtered.rank_all,
    )
    texts = query_texts(page.items)
    return JsonResponse(
        {
            "videos": [video.to_dict(queries=texts[video.pk]) for video in page.items],
            "sync_token": page.next_token,
            "changes_since": changes_since,
        }
    )


class RemovedDict(TypedDict):
    id: str
    removed: bool


@require_safe
def changes(request: HttpRequest) -> JsonResponse:
    """The change log after `since`, oldest first: each changed video as it is now."""
    if refusal := too_many_fields(request):
        return refusal
    try:
        since = pagination.parse_since(request.GET.get("since"))
        limit = pagination.parse_limit(request.GET.get("limit"))
    except pagination.BadParameter as e:
        return error(e.param, e.message)

    # Every video, the removed too: a removal is a change.
    qs = Video.objects.defer("first_seen_at", "updated_at", "checked_at", "check_due_at")
    walk = True
    if not FILTERS.isdisjoint(request.GET.keys()):
        filterset = ChangeFilter(request.GET, queryset=qs)
        if not filterset.is_valid():
            return invalid(filterset)
        qs, walk = filterset.filtered.qs, not filterset.filtered.few
    rows = change_log.fetch_page(qs, since=since, limit=limit, walk=walk)
    texts = query_texts([video for video in rows if video.removed_at is None])
    entries: list[ChangeDict | RemovedDict] = [
        {"id": video.youtube_id, "removed": True}
        if video.removed_at is not None
        else {**video.to_dict(queries=texts[video.pk]), "removed": False}
        for video in rows
    ]
    return JsonResponse({"changes": entries, "since": rows[-1].change_id if rows else since})


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "detail": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_safe
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document())

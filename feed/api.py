"""JSON views under /api/v1/, the OpenAPI document, and the health check."""

from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from feed import changes as change_log
from feed import pagination, search
from feed.filters import DURATION_CHOICES, SHORTS_CHOICES, ChangeFilter, VideoFilter
from feed.models import Video, VideoDict, query_texts

# The parameters VideoFilter reads: a request with none of them needs no FilterSet.
FILTERS = frozenset(VideoFilter.base_filters)


def error(param: str | None, message: str, status: int = 400) -> JsonResponse:
    """The API's error body; `param` is None when no parameter is at fault (a 429, a 500)."""
    return JsonResponse({"error": {"param": param, "message": message}}, status=status)


def server_error(request: HttpRequest) -> JsonResponse:
    # No detail: the traceback is in the log, and nothing about the server belongs in a body.
    return error(None, "internal error: it is logged; try again in a moment", status=500)


class ChangeDict(VideoDict):
    removed: bool


@require_safe
def videos(request: HttpRequest) -> JsonResponse:
    try:
        request.GET  # noqa: B018 -- parsed here so that a refusal is our 400, not Django's HTML one
    except TooManyFieldsSent:
        return error(
            "query_string",
            f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters are accepted",
        )
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
    terms: list[str] = []
    rank_all = False
    if sort == "relevance" and "q" not in request.GET:
        return error("sort", "relevance ranks a search: give words to search for in q")
    if FILTERS.isdisjoint(request.GET.keys()):
        # The plain feed, most reads: building and validating a FilterSet would cost more
        # than the query itself.
        column = search.order_column(searching=False)
    else:
        filterset = VideoFilter(request.GET, queryset=qs, sort=sort)
        if not filterset.is_valid():
            param, messages = next(iter(filterset.errors.items()))
            return error(param, " ".join(messages))
        if message := filterset.sort_error():
            return error("sort", message)
        qs, column, terms = filterset.qs, filterset.order_column, filterset.terms
        rank_all = filterset.rank_all

    page = pagination.fetch_page(
        qs, cursor=cursor, limit=limit, column=column, sort=sort, terms=terms, rank_all=rank_all
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
    try:
        request.GET  # noqa: B018 -- parsed here so that a refusal is our 400 (see videos())
    except TooManyFieldsSent:
        return error(
            "query_string",
            f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} parameters are accepted",
        )
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
            param, messages = next(iter(filterset.errors.items()))
            return error(param, " ".join(messages))
        qs, walk = filterset.qs, not filterset.few
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


NO_NUL = "^[^\\u0000]*$"
# What the date filters accept: a date-time, a bare date (its midnight, UTC), or nothing (an
# empty form field, as the dashboard's filter form sends it: no filter).
MOMENT = {
    "type": "string",
    "anyOf": [{"format": "date-time"}, {"format": "date"}, {"maxLength": 0}],
}


def openapi_document() -> dict[str, Any]:
    def param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            "description": description,
        }

    filters = [
        param(
            "q",
            {"type": "string", "maxLength": settings.SEARCH_MAX_LENGTH},
            "Search title and description. Every word must match, in any order, case- and "
            "accent-insensitively; a word may be the start of a longer one. Any text is "
            "treated as plain words; text without letters or digits applies no search. At "
            f"most {settings.SEARCH_MAX_WORDS} different words (a word that is the start of "
            "another, or the same once accents are ignored, is not counted again).",
        ),
        # No NUL: the database cannot store one, so Django's form field refuses it (a 400).
        param(
            "channel",
            {"type": "string", "maxLength": 64, "pattern": NO_NUL},
            "A YouTube channel id.",
        ),
        param(
            "query",
            {"type": "string", "maxLength": 200, "pattern": NO_NUL},
            "Only videos found by this configured search query.",
        ),
        param(
            "live",
            # "": an empty form field (the dashboard's filter form sends one): no filter.
            {"type": "string", "enum": [c.value for c in Video.Live] + [""]},
            "Only regular videos, live broadcasts or upcoming ones; empty: all.",
        ),
        param(
            "duration",
            {"type": "string", "enum": [value for value, _ in DURATION_CHOICES] + [""]},
            "short: under 4 minutes; medium: 4 to 20 minutes; long: over 20 minutes; empty: "
            "all. A video whose duration is not known yet (a live stream or premiere, or "
            "one YouTube has not given details of) is in every bucket.",
        ),
        param(
            "shorts",
            {"type": "string", "enum": [value for value, _ in SHORTS_CHOICES] + [""]},
            "exclude: no Shorts; only: only Shorts; empty: all. A Short lasts at most 3 "
            "minutes or says #shorts in its title or description; a video whose duration "
            "is not known yet counts as one only if it says so.",
        ),
        param(
            "published_after",
            MOMENT,
            "ISO 8601; videos published at or after this time.",
        ),
        param(
            "published_before",
            MOMENT,
            "ISO 8601; videos published at or before this time.",
        ),
    ]
    limit = param(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_LIMIT},
        f"Entries per page (default {settings.API_DEFAULT_LIMIT}).",
    )
    errors = {
        "400": {
            "description": "A parameter has an invalid value.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
        "429": {
            "description": "Too many requests from this client; Retry-After says when to "
            "try again (settings RATE_LIMIT_*).",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
        "500": {
            "description": "An internal error (logged).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    }
    video_list = {
        "parameters": [
            *filters,
            param(
                "sync_token",
                {
                    "anyOf": [
                        {"type": "integer", "minimum": 0, "maximum": pagination.MAX_TOKEN},
                        {"type": "string", "pattern": "^" + pagination.VIEWS_TOKEN.pattern + "$"},
                        {
                            "type": "string",
                            "pattern": "^" + pagination.RELEVANCE_TOKEN.pattern + "$",
                        },
                    ]
                },
                "The sync_token of the previous response: the next page (older videos, newer "
                "ones with sort=oldest, less viewed ones with sort=views). Absent or 0: the "
                "first page. Sorted by views it is a string, views_sortkey; by relevance, "
                "topkey_shown.",
            ),
            param(
                "sort",
                {"type": "string", "enum": [*pagination.SORTS, ""]},
                "newest (the default) or oldest first; views: most viewed first (a hidden or "
                "unknown count last), ties newest first; relevance (only with q): best match "
                f"first among the newest {search.RELEVANCE_CANDIDATES} matches (bm25 on SQLite, "
                "ts_rank on PostgreSQL; a title match counts more). A page sorted by views is "
                "exact for counts that do not change between requests; a video whose count "
                "grows past the last one read is not shown on that walk.",
            ),
            limit,
        ],
        "responses": {
            "200": {
                "description": "A page of videos, newest first.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}},
            },
            **errors,
        },
    }
    change_list = {
        "parameters": [
            *filters,
            param(
                "since",
                {"type": "integer", "minimum": 0, "maximum": pagination.MAX_TOKEN},
                "The since of the previous response (or a list response's changes_since): the "
                "changes after it. Absent or 0: from the first change.",
            ),
            limit,
        ],
        "responses": {
            "200": {
                "description": "The next changes, in the order they were stored.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Changes"}}
                },
            },
            **errors,
        },
    }
    nullable_int = {"type": ["integer", "null"]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "YouTube video feed",
            "version": "1.0.0",
            "description": "The newest videos for the configured YouTube searches.",
        },
        "paths": {
            "/api/v1/youtube/videos": {
                "get": {
                    "operationId": "listVideos",
                    "summary": "Stored videos, newest first; search and filters.",
                    **video_list,
                }
            },
            "/api/v1/youtube/video/": {
                "get": {
                    "operationId": "searchVideos",
                    "summary": "The original project's search path: the same as listVideos.",
                    **video_list,
                }
            },
            "/api/v1/youtube/changes": {
                "get": {
                    "operationId": "listChanges",
                    "summary": "Every change (a video stored, removed, restored, or its title "
                    "or description changed; not view counts), in the order it was stored; the "
                    "same filters as listVideos.",
                    **change_list,
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the database answers.",
                    "responses": {
                        "200": {
                            "description": "Healthy.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["status"],
                                        "properties": {"status": {"const": "ok"}},
                                    }
                                }
                            },
                        },
                        "503": {"description": "The database does not answer."},
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Page": {
                    "type": "object",
                    "required": ["videos", "sync_token", "changes_since"],
                    "properties": {
                        "videos": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Video"},
                        },
                        "sync_token": {
                            "type": ["integer", "string", "null"],
                            "description": "Pass as sync_token (with the same sort and filters) "
                            "for the next page; null when there is nothing further. A string "
                            "when sorted by views.",
                        },
                        "changes_since": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Pass as since to /api/v1/youtube/changes to follow "
                            "every change from before this page was read (some may be in the "
                            "page too: upsert by id).",
                        },
                    },
                },
                "Changes": {
                    "type": "object",
                    "required": ["changes", "since"],
                    "properties": {
                        "changes": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Change"},
                        },
                        "since": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Pass as since for the next changes; the same as "
                            "asked when there are none yet.",
                        },
                    },
                },
                "Change": {
                    "description": "A changed video as it is now: the video with removed "
                    "false, or only its id with removed true.",
                    "oneOf": [
                        {
                            "allOf": [
                                {"$ref": "#/components/schemas/Video"},
                                {
                                    "type": "object",
                                    "required": ["removed"],
                                    "properties": {"removed": {"const": False}},
                                },
                            ]
                        },
                        {
                            "type": "object",
                            "required": ["id", "removed"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string"},
                                "removed": {"const": True},
                            },
                        },
                    ],
                },
                "Video": {
                    "type": "object",
                    "required": list(VideoDict.__annotations__),
                    "properties": {
                        "id": {"type": "string", "description": "The YouTube video id."},
                        "url": {"type": "string", "format": "uri"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "published_at": {"type": "string", "format": "date-time"},
                        "channel_id": {"type": "string"},
                        "channel_title": {"type": "string"},
                        "thumbnails": {
                            "type": "object",
                            "required": ["default", "medium", "high"],
                            "properties": {
                                size: {"type": "string"} for size in ("default", "medium", "high")
                            },
                        },
                        "live": {"type": "string", "enum": [c.value for c in Video.Live]},
                        "queries": {"type": "array", "items": {"type": "string"}},
                        "duration_seconds": nullable_int,
                        "view_count": nullable_int,
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["param", "message"],
                            "properties": {
                                "param": {
                                    "type": ["string", "null"],
                                    "description": "The parameter at fault; null when none is "
                                    "(429 Too Many Requests, 500).",
                                },
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
            }
        },
    }

"""The OpenAPI 3.1 document of the JSON API (feed/api.py), served at /api/v1/openapi.json and
read as a page at /api (dashboard.views.api_page)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from feed import pagination, search
from feed.filters import DURATION_CHOICES, SHORTS_CHOICES
from feed.models import Video, VideoDict

NO_NUL = "^[^\\u0000]*$"
# What the date filters accept: a date-time, a bare date (its midnight, UTC), or nothing (an
# empty form field, as the dashboard's filter form sends it: no filter).
MOMENT = {
    "type": "string",
    "anyOf": [{"format": "date-time"}, {"format": "date"}, {"maxLength": 0}],
}


def json_of(schema: str) -> dict[str, Any]:
    """A response body: JSON of one of the document's schemas."""
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def document() -> dict[str, Any]:
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
            "content": json_of("Error"),
        },
        "429": {
            "description": "Too many requests from this client; Retry-After says when to "
            "try again (settings RATE_LIMIT_*).",
            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
            "content": json_of("Error"),
        },
        "500": {
            "description": "An internal error (logged).",
            "content": json_of("Error"),
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
                "content": json_of("Page"),
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
                "content": json_of("Changes"),
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

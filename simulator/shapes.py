"""The JSON the simulator sends: YouTube Data API v3 error bodies, search and video items.

Error bodies are copied from the documented shapes (shared/youtube/*.json at the time of writing)
so that the product does not need those files at run time. Shapes marked "plausible" are not in
that set; they follow the same front end's conventions (code, message, errors[], status).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator import content
from simulator.content import Video
from simulator.hashing import b64, digest

_QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
_DAILY_LIMIT_MESSAGE = (
    "Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT). "
    "You may monitor your quota usage and adjust limits in the API Console."
)
_KEY_INVALID_MESSAGE = "API key not valid. Please pass a valid API key."
_ACCESS_NOT_CONFIGURED_MESSAGE = (
    "YouTube Data API v3 has not been used in project 123456789 before or it is disabled. "
    "Enable it by visiting the API Console, then retry."
)
_MISSING_KEY_MESSAGE = "The request is missing a valid API key."
_PAGE_TOKEN_MESSAGE = "The request specifies an invalid page token."
_BACKEND_MESSAGE = "The service is currently unavailable."
_INTERNAL_MESSAGE = "Internal error encountered."
_RESOURCE_EXHAUSTED_MESSAGE = "Resource has been exhausted (e.g. check quota)."

# name -> (HTTP status, body). Treat as read-only: the simulator serialises them, never edits them.
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "quotaExceeded": (
        403,
        {
            "error": {
                "code": 403,
                "message": _QUOTA_MESSAGE,
                "errors": [
                    {
                        "message": _QUOTA_MESSAGE,
                        "domain": "youtube.quota",
                        "reason": "quotaExceeded",
                    }
                ],
            }
        },
    ),
    "dailyLimitExceeded": (
        403,
        {
            "error": {
                "errors": [
                    {
                        "domain": "usageLimits",
                        "reason": "dailyLimitExceeded",
                        "message": _DAILY_LIMIT_MESSAGE,
                    }
                ],
                "code": 403,
                "message": _DAILY_LIMIT_MESSAGE,
            }
        },
    ),
    "rateLimitExceeded": (
        403,
        {
            "error": {
                "code": 403,
                "message": "The request cannot be completed because you have exceeded the "
                "rate limit.",
                "errors": [
                    {
                        "message": "Rate Limit Exceeded",
                        "domain": "usageLimits",
                        "reason": "rateLimitExceeded",
                    }
                ],
            }
        },
    ),
    # Plausible: the front end's generic 429 with the rate-limit reason the client retries on.
    "tooManyRequests": (
        429,
        {
            "error": {
                "code": 429,
                "message": _RESOURCE_EXHAUSTED_MESSAGE,
                "errors": [
                    {
                        "message": _RESOURCE_EXHAUSTED_MESSAGE,
                        "domain": "global",
                        "reason": "rateLimitExceeded",
                    }
                ],
                "status": "RESOURCE_EXHAUSTED",
            }
        },
    ),
    "keyInvalid": (
        400,
        {
            "error": {
                "code": 400,
                "message": _KEY_INVALID_MESSAGE,
                "errors": [
                    {
                        "message": _KEY_INVALID_MESSAGE,
                        "domain": "global",
                        "reason": "badRequest",
                    }
                ],
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "youtube.googleapis.com"},
                    }
                ],
            }
        },
    ),
    "keyInvalidOld": (
        400,
        {
            "error": {
                "errors": [
                    {"domain": "usageLimits", "reason": "keyInvalid", "message": "Bad Request"}
                ],
                "code": 400,
                "message": "Bad Request",
            }
        },
    ),
    "accessNotConfigured": (
        403,
        {
            "error": {
                "code": 403,
                "message": _ACCESS_NOT_CONFIGURED_MESSAGE,
                "errors": [
                    {
                        "message": "Access Not Configured. YouTube Data API has not been used "
                        "in project 123456789 before or it is disabled.",
                        "domain": "usageLimits",
                        "reason": "accessNotConfigured",
                    }
                ],
                "status": "PERMISSION_DENIED",
            }
        },
    ),
    # Plausible: what Google's front end answers when no key and no OAuth token is sent.
    "missingKey": (
        403,
        {
            "error": {
                "code": 403,
                "message": _MISSING_KEY_MESSAGE,
                "errors": [
                    {
                        "message": _MISSING_KEY_MESSAGE,
                        "domain": "global",
                        "reason": "forbidden",
                    }
                ],
                "status": "PERMISSION_DENIED",
            }
        },
    ),
    "invalidPageToken": (
        400,
        {
            "error": {
                "code": 400,
                "message": _PAGE_TOKEN_MESSAGE,
                "errors": [
                    {
                        "message": _PAGE_TOKEN_MESSAGE,
                        "domain": "youtube.parameter",
                        "reason": "invalidPageToken",
                        "location": "pageToken",
                        "locationType": "parameter",
                    }
                ],
            }
        },
    ),
    "backendError": (
        503,
        {
            "error": {
                "code": 503,
                "message": _BACKEND_MESSAGE,
                "errors": [
                    {"message": _BACKEND_MESSAGE, "domain": "global", "reason": "backendError"}
                ],
                "status": "UNAVAILABLE",
            }
        },
    ),
    # Plausible: a 500 from the same front end.
    "internalError": (
        500,
        {
            "error": {
                "code": 500,
                "message": _INTERNAL_MESSAGE,
                "errors": [
                    {"message": _INTERNAL_MESSAGE, "domain": "global", "reason": "backendError"}
                ],
                "status": "INTERNAL",
            }
        },
    ),
    # Plausible: an unknown path.
    "notFound": (
        404,
        {
            "error": {
                "code": 404,
                "message": "Not Found",
                "errors": [{"message": "Not Found", "domain": "global", "reason": "notFound"}],
                "status": "NOT_FOUND",
            }
        },
    ),
}


def parameter_error(
    *, reason: str, message: str, location: str, domain: str = "global"
) -> tuple[int, dict[str, Any]]:
    """A 400 about one request parameter (plausible shape: the front end's INVALID_ARGUMENT)."""
    return (
        400,
        {
            "error": {
                "code": 400,
                "message": message,
                "errors": [
                    {
                        "message": message,
                        "domain": domain,
                        "reason": reason,
                        "location": location,
                        "locationType": "parameter",
                    }
                ],
                "status": "INVALID_ARGUMENT",
            }
        },
    )


@dataclass(frozen=True)
class Answer:
    """What the HTTP layer sends: a status and a body, or nothing at all (a dropped connection)."""

    status: int
    body: bytes | None
    delay_seconds: float = 0.0


def encode(body: dict[str, Any]) -> bytes:
    # UTF-8 as Google sends it, not \u escapes: the client must cope with real bytes.
    return json.dumps(body, ensure_ascii=False).encode()


def error_answer(shape: tuple[int, dict[str, Any]]) -> Answer:
    status, body = shape
    return Answer(status=status, body=encode(body))


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def escape(text: str) -> str:
    """HTML-escape as YouTube does (&#39;, not Python's &#x27;)."""
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(raw, entity)
    return text.replace("'", "&#39;")


def thumbnails(video: Video) -> dict[str, dict[str, Any]]:
    suffix = "_live" if video.live_broadcast_content != "none" else ""
    base = f"https://i.ytimg.com/vi/{video.id}"
    return {
        "default": {"url": f"{base}/default{suffix}.jpg", "width": 120, "height": 90},
        "medium": {"url": f"{base}/mqdefault{suffix}.jpg", "width": 320, "height": 180},
        "high": {"url": f"{base}/hqdefault{suffix}.jpg", "width": 480, "height": 360},
    }


def search_item(video: Video, *, with_snippet: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "youtube#searchResult",
        "etag": b64(digest(f"search:{video.id}", size=20))[:27],
        "id": {"kind": "youtube#video", "videoId": video.id},
    }
    if with_snippet:
        # Search snippets cut long descriptions; cut the plain text so no entity is split.
        description = video.description
        if len(description) > 160:
            description = description[:157].rstrip() + "..."
        published = rfc3339(video.published_at)
        item["snippet"] = {
            "publishedAt": published,
            "channelId": video.channel_id,
            "title": escape(video.title),
            "description": escape(description),
            "thumbnails": thumbnails(video),
            "channelTitle": escape(video.channel_title),
            "liveBroadcastContent": video.live_broadcast_content,
            "publishTime": published,
        }
    return item


def video_item(video: Video, *, parts: set[str], now: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "youtube#video",
        "etag": b64(digest(f"video:{video.id}", size=20))[:27],
        "id": video.id,
    }
    if "snippet" in parts:
        item["snippet"] = {
            "publishedAt": rfc3339(video.published_at),
            "channelId": video.channel_id,
            "title": escape(video.title),
            "description": escape(video.description),
            "thumbnails": thumbnails(video),
            "channelTitle": escape(video.channel_title),
            "categoryId": "17",
            "liveBroadcastContent": video.live_broadcast_content,
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {
            "duration": video.duration,
            "dimension": "2d",
            "definition": video.definition,
            "caption": "true" if video.caption else "false",
            "licensedContent": video.licensed_content,
            "projection": "rectangular",
        }
    if "statistics" in parts:
        item["statistics"] = statistics(video, now=now)
    return item


def statistics(video: Video, *, now: datetime) -> dict[str, str]:
    views = content.view_count(video, at=now)
    counts = {} if video.views_hidden else {"viewCount": str(views)}
    if video.likes_per_mille is not None:
        counts["likeCount"] = str(views * video.likes_per_mille // 1000)
    counts["favoriteCount"] = "0"
    if video.comments_per_mille is not None:
        counts["commentCount"] = str(views * video.comments_per_mille // 1000)
    return counts

"""The YouTube Data API v3 boundary: the only module that imports googleapiclient.

It turns responses into small frozen dataclasses, turns every failure (HttpError, transport
errors, malformed bodies) into a `YouTubeError` subclass, and keeps API keys out of every
exception and log line.
"""

from __future__ import annotations

import hashlib
import html
import http.client
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypedDict

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from feed import reasons

logger = logging.getLogger(__name__)

# search.list and videos.list both cap a page at 50 items.
MAX_RESULTS = 50
THUMBNAIL_SIZES = ("default", "medium", "high")


# ---------------------------------------------------------------------------------------------
# Keeping keys out of text


# The client puts the key in the query string (`...&key=AIza...&alt=json`); `%3D` and `%26`
# cover a URL that was quoted once more. The value stops at characters a key never contains.
_KEY_IN_TEXT = re.compile(r"(key(?:=|%3D))(?:(?!%26)[^&\s\"'<>#,;])+", re.IGNORECASE)


def redact(text: str) -> str:
    """Replace every `key=<value>` in text with `key=REDACTED`."""
    return _KEY_IN_TEXT.sub(r"\1REDACTED", text)


def fingerprint(key: str) -> str:
    """A short, stable, non-reversible name for a key, safe to log, show and store."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:8]


def _redact_arg(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float):
        # Left as they are so that %d and %.2f placeholders still format.
        return value
    text = str(value)
    cleaned = redact(text)
    return cleaned if cleaned != text else value


class KeyRedactingFilter(logging.Filter):
    """Rewrite `key=<anything>` to `key=REDACTED` in a record's message, args and traceback.

    The client logs the full request URL, key included: at WARNING before each retry and at
    DEBUG for every request. Attached to a logger, this filter sees only records logged on that
    logger itself (not on its children); attached to a handler, it sees everything the handler
    emits.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        else:
            record.msg = _redact_arg(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {name: _redact_arg(value) for name, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            # Formatters reuse a cached exc_text, so caching the redacted text here wins.
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Every logger googleapiclient logs on: a filter on a parent logger never sees its children.
_CLIENT_LOGGERS = (
    "googleapiclient",
    "googleapiclient._helpers",
    "googleapiclient.discovery",
    "googleapiclient.discovery_cache",
    "googleapiclient.http",
    "googleapiclient.model",
)


def install_log_redaction() -> None:
    """Attach a `KeyRedactingFilter` to the client's loggers, their handlers and the root
    handlers. Idempotent: call it again after the logging configuration changes."""
    targets: list[logging.Filterer] = []
    for name in _CLIENT_LOGGERS:
        client_logger = logging.getLogger(name)
        targets.append(client_logger)
        targets.extend(client_logger.handlers)
    targets.extend(logging.getLogger().handlers)
    for target in targets:
        if not any(isinstance(existing, KeyRedactingFilter) for existing in target.filters):
            target.addFilter(KeyRedactingFilter())


# At import, not in AppConfig.ready(): this is the only module that imports the client, so the
# client's loggers are filtered before it can log anything, whoever calls it.
install_log_redaction()


# ---------------------------------------------------------------------------------------------
# Errors


class YouTubeError(Exception):
    """A YouTube call failed. `reason` is YouTube's reason string (`quotaExceeded`) or ours
    (`timeout`); `status` is the HTTP status, None when no response arrived. The message is
    plain words with the fix, and never contains an API key."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        status: int | None = None,
        key_fingerprint: str | None = None,
    ) -> None:
        message = redact(message)
        if key_fingerprint:
            message = f"{key_fingerprint}: {message}"
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.status = status
        self.key_fingerprint = key_fingerprint

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(reason={self.reason!r}, status={self.status!r}, "
            f"message={self.message!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat Exception's default pickling (a task queue may pickle).
        return (_rebuild_error, (type(self), self.message, self.reason, self.status))


def _rebuild_error(
    cls: type[YouTubeError], message: str, reason: str, status: int | None
) -> YouTubeError:
    return cls(message, reason=reason, status=status)


class QuotaExceeded(YouTubeError):
    """The key's daily quota is spent: it is usable again after midnight Pacific time."""


class KeyRejected(YouTubeError):
    """YouTube refuses this key (invalid, expired, restricted, API disabled): it stays unusable
    until someone changes the configuration."""


class InvalidPageToken(YouTubeError):
    """The page token is no longer accepted: restart the walk without it."""


class TransientError(YouTubeError):
    """Still failing after the client's own retries (5xx, 429, rate limit, timeout, connection
    error, malformed body): try again later with the same key."""


class RequestRejected(YouTubeError):
    """YouTube rejected the request itself (a bad parameter, 404): neither retrying nor another
    key will help; the calling code or its input needs fixing."""


def _malformed(what: str, *, status: int | None, key_fingerprint: str) -> TransientError:
    return TransientError(
        f"{what}: try again later; if it persists, check the endpoint",
        reason=reasons.MALFORMED,
        status=status,
        key_fingerprint=key_fingerprint,
    )


class _ErrorEntry(TypedDict, total=False):
    reason: str
    message: str
    domain: str


class _ErrorBody(TypedDict, total=False):
    code: int
    message: str
    errors: list[_ErrorEntry]
    details: list[_ErrorEntry]


def _parse_error_body(content: bytes) -> _ErrorBody | None:
    try:
        data = json.loads(content)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        return None
    if isinstance(data, list) and data:  # the batch form wraps the error in a list
        data = data[0]
    if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
        return None
    return data["error"]


def _reasons(error: _ErrorBody) -> list[str]:
    found: list[str] = []
    for field in ("details", "errors"):
        entries = error.get(field)
        if isinstance(entries, list):
            found += [
                entry["reason"]
                for entry in entries
                if isinstance(entry, dict) and isinstance(entry.get("reason"), str)
            ]
    return found


def _classify(
    *, status: int, content: bytes, num_retries: int, key_fingerprint: str
) -> YouTubeError:
    """Map a non-2xx response to our exception, by YouTube's reason strings and then status."""
    fp = key_fingerprint
    error = _parse_error_body(content)
    given = _reasons(error) if error is not None else []
    # The client retries exactly these before raising (http._should_retry_response).
    retried = status >= 500 or status == 429 or any(r in reasons.RATE for r in given)
    after = f" after {num_retries} retries" if retried and num_retries else ""
    if error is None:
        return _malformed(
            f"YouTube answered HTTP {status} with a body that is not a JSON error{after}",
            status=status,
            key_fingerprint=fp,
        )
    for reason in given:
        if reason in reasons.QUOTA:
            return QuotaExceeded(
                f"the key's daily quota is spent ({reason}): it is usable again after midnight "
                "Pacific time; keys from other Google Cloud projects add quota",
                reason=reason,
                status=status,
                key_fingerprint=fp,
            )
    for reason in given:
        if reason in reasons.PAGE_TOKEN:
            return InvalidPageToken(
                f"YouTube no longer accepts the page token ({reason}): restart without it",
                reason=reason,
                status=status,
                key_fingerprint=fp,
            )
    for reason in given:
        if reason in reasons.KEY_PROBLEMS:
            problem, fix = reasons.KEY_PROBLEMS[reason]
            return KeyRejected(
                f"{problem} ({reason}): {fix}", reason=reason, status=status, key_fingerprint=fp
            )
    first = given[0] if given else f"http{status}"
    if retried:
        reason = next((r for r in given if r in reasons.RATE), first)
        return TransientError(
            f"YouTube answered HTTP {status} ({reason}){after}: a passing problem, try again later",
            reason=reason,
            status=status,
            key_fingerprint=fp,
        )
    if status == 401:
        return KeyRejected(
            f"YouTube did not accept the API key ({first}): check YOUTUBE_API_KEYS",
            reason=first,
            status=status,
            key_fingerprint=fp,
        )
    said = error.get("message")
    detail = f": {said[:200]}" if isinstance(said, str) and said else ""
    return RequestRejected(
        f"YouTube rejected the request (HTTP {status}, {first}){detail}; another key will not "
        "help: fix the request",
        reason=first,
        status=status,
        key_fingerprint=fp,
    )


# OSError covers TimeoutError (socket.timeout), ConnectionError and ssl.SSLError; the client
# retries some of them and re-raises the last, and raises the rest at once.
_TRANSPORT_ERRORS = (OSError, httplib2.HttpLib2Error, http.client.HTTPException)


def _transport_error(
    exc: BaseException, *, endpoint: str, timeout: float, key_fingerprint: str
) -> TransientError:
    if isinstance(exc, TimeoutError):
        reason, what = "timeout", f"did not answer within {timeout:g} s"
    elif isinstance(exc, ConnectionError):
        reason, what = "connectionError", "refused or dropped the connection"
    elif isinstance(exc, httplib2.ServerNotFoundError):
        reason, what = "serverNotFound", "could not be found"
    else:
        reason, what = "transportError", "failed in transit"
    # The exception text can carry the request URL; it is redacted by YouTubeError and cut short.
    said = str(exc)[:200]
    return TransientError(
        f"YouTube at {endpoint} {what} ({type(exc).__name__}: {said}): check the network and "
        "the endpoint; try again later",
        reason=reason,
        status=None,
        key_fingerprint=key_fingerprint,
    )


# ---------------------------------------------------------------------------------------------
# Calls


class Transport(Protocol):
    """What the client needs from an HTTP object: httplib2.Http or a test double."""

    def request(
        self, uri: str, method: str = ..., body: Any = ..., headers: Any = ..., **kwargs: Any
    ) -> tuple[Any, bytes]: ...


def _client(*, key: str, endpoint: str, timeout: float, http: Transport | None) -> Any:
    # Built per call, not cached: building from the bundled discovery document takes ~2 ms
    # (bench/results/analysis.md), while a cached client would share one httplib2.Http, which
    # is not thread-safe, between worker threads.
    return build(
        "youtube",
        "v3",
        developerKey=key,
        cache_discovery=False,
        static_discovery=True,
        client_options={"api_endpoint": endpoint},
        http=http if http is not None else httplib2.Http(timeout=timeout),
    )


@dataclass(frozen=True, slots=True)
class _Connection:
    """One call's way to YouTube: the key, where, how long to wait, how often to retry."""

    key: str
    endpoint: str
    timeout: float
    num_retries: int
    http: Transport | None

    def client(self) -> Any:
        return _client(key=self.key, endpoint=self.endpoint, timeout=self.timeout, http=self.http)

    def execute(self, request: Any) -> dict[str, Any]:
        """YouTube's answer to `request`, a JSON object; anything else raises a YouTubeError."""
        error: YouTubeError | None = None
        try:
            body = request.execute(num_retries=self.num_retries)
        except HttpError as exc:
            error = _classify(
                status=exc.status_code,
                content=exc.content,
                num_retries=self.num_retries,
                key_fingerprint=fingerprint(self.key),
            )
        except _TRANSPORT_ERRORS as exc:
            error = _transport_error(
                exc,
                endpoint=self.endpoint,
                timeout=self.timeout,
                key_fingerprint=fingerprint(self.key),
            )
        except ValueError:  # a body that is not UTF-8; non-JSON bodies come back as str, below
            body = None
        if error is not None:
            # Raised here, outside the except block, so that the client's exception (its text
            # carries the request URL, key included) is neither __cause__ nor __context__ of ours.
            raise error
        if not isinstance(body, dict):
            raise self.malformed("with a body that is not a JSON object", status=None)
        return body

    def malformed(self, what: str, *, status: int | None = 200) -> TransientError:
        return _malformed(
            f"YouTube answered {what}", status=status, key_fingerprint=fingerprint(self.key)
        )


@dataclass(frozen=True, slots=True)
class VideoSnippet:
    youtube_id: str
    published_at: datetime  # aware, UTC
    title: str  # title, description and channel_title are HTML-unescaped exactly once
    description: str
    channel_id: str
    channel_title: str
    thumbnails: dict[str, str]  # size ("default", "medium", "high") -> URL, sizes present only
    live: str  # liveBroadcastContent: "none", "live" or "upcoming"


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: list[VideoSnippet]
    next_page_token: str | None


@dataclass(frozen=True, slots=True)
class VideoDetails:
    duration_seconds: int | None
    view_count: int | None


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("published_after must be timezone-aware")
    # Whole seconds, rounded down: a second early only re-fetches videos the upsert already has.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _text(value: object) -> str:
    # YouTube escapes snippet text for HTML; unescape once here, templates escape on output.
    return html.unescape(value) if isinstance(value, str) else ""


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _thumbnails(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    found = {}
    for size in THUMBNAIL_SIZES:
        entry = value.get(size)
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            found[size] = entry["url"]
    return found


def _parse_search_item(item: object) -> VideoSnippet | None:
    if not isinstance(item, dict):
        return None
    ident = item.get("id")
    if not isinstance(ident, dict) or ident.get("kind") != "youtube#video":
        return None  # a channel or playlist result
    video_id = ident.get("videoId")
    snippet = item.get("snippet")
    snippet = snippet if isinstance(snippet, dict) else {}
    # publishTime is not in the client's schema; it only stands in when publishedAt is missing.
    published_at = _parse_time(snippet.get("publishedAt") or snippet.get("publishTime"))
    if not isinstance(video_id, str) or not video_id or published_at is None:
        logger.warning("Skipped a search result without a video id or publish time: %r", ident)
        return None
    return VideoSnippet(
        youtube_id=video_id,
        published_at=published_at,
        title=_text(snippet.get("title")),
        description=_text(snippet.get("description")),
        channel_id=_string(snippet.get("channelId")),
        channel_title=_text(snippet.get("channelTitle")),
        thumbnails=_thumbnails(snippet.get("thumbnails")),
        live=_string(snippet.get("liveBroadcastContent")) or "none",
    )


def search_page(
    *,
    key: str,
    query: str,
    published_after: datetime | None,
    page_token: str | None,
    endpoint: str,
    published_before: datetime | None = None,
    max_results: int = MAX_RESULTS,
    num_retries: int = 3,
    timeout: float = 10,
    http: Transport | None = None,
) -> SearchPage:
    """One page of `search.list`, newest first (100 quota units).

    `http` replaces the transport (tests pass an HttpMockSequence); `timeout` applies only to
    the default httplib2.Http. Raises a `YouTubeError` subclass on failure.
    """
    if not 1 <= max_results <= MAX_RESULTS:
        raise ValueError(f"max_results must be 1..{MAX_RESULTS}, got {max_results}")
    conn = _Connection(
        key=key, endpoint=endpoint, timeout=timeout, num_retries=num_retries, http=http
    )
    request = (
        conn.client()
        .search()
        .list(
            part="snippet",
            type="video",
            order="date",
            maxResults=max_results,
            q=query,
            publishedAfter=_rfc3339(published_after) if published_after is not None else None,
            publishedBefore=_rfc3339(published_before) if published_before is not None else None,
            pageToken=page_token or None,
        )
    )
    body = conn.execute(request)
    items, token = body.get("items", []), body.get("nextPageToken")
    if not isinstance(items, list) or not (token is None or isinstance(token, str)):
        raise conn.malformed("a search with an unexpected shape (items or nextPageToken)")
    snippets = [snippet for item in items if (snippet := _parse_search_item(item)) is not None]
    return SearchPage(items=snippets, next_page_token=token or None)


_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)(?:[.,]\d+)?S)?)?"
)
_UNIT_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


def parse_duration(value: object) -> int | None:
    """ISO 8601 duration -> whole seconds: `PT1H2M3S` -> 3723, `P1DT2H` -> 93600, `P0D` (a live
    stream) -> 0. None for anything else, including years and months (no fixed length)."""
    if not isinstance(value, str):
        return None
    match = _DURATION.fullmatch(value)
    if match is None or value.endswith("T"):
        return None
    parts = {unit: int(amount) for unit, amount in match.groupdict().items() if amount}
    if not parts:
        return None  # a bare "P"
    return sum(_UNIT_SECONDS[unit] * amount for unit, amount in parts.items())


def _parse_count(value: object) -> int | None:
    # Counts arrive as decimal strings; a hidden count is simply absent.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def fetch_details(
    *,
    key: str,
    ids: list[str],
    endpoint: str,
    num_retries: int = 3,
    timeout: float = 10,
    http: Transport | None = None,
) -> dict[str, VideoDetails]:
    """Duration and view count for up to 50 video ids, by one `videos.list` (1 quota unit).

    Ids YouTube does not return (deleted, private) are absent from the result. No ids, no call.
    """
    if len(ids) > MAX_RESULTS:
        raise ValueError(
            f"fetch_details takes at most {MAX_RESULTS} ids per call, got {len(ids)}: "
            "batch them by 50"
        )
    if not ids:
        return {}
    # No maxResults: the API documents it as unsupported together with `id`, and an id lookup
    # returns every id it finds (at most 50) anyway.
    conn = _Connection(
        key=key, endpoint=endpoint, timeout=timeout, num_retries=num_retries, http=http
    )
    body = conn.execute(
        conn.client().videos().list(part="contentDetails,statistics", id=",".join(ids))
    )
    if not isinstance(items := body.get("items", []), list):
        raise conn.malformed("a videos lookup with an unexpected shape (items)")
    details: dict[str, VideoDetails] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        content = item.get("contentDetails")
        statistics = item.get("statistics")
        details[item["id"]] = VideoDetails(
            duration_seconds=parse_duration(content.get("duration"))
            if isinstance(content, dict)
            else None,
            view_count=_parse_count(statistics.get("viewCount"))
            if isinstance(statistics, dict)
            else None,
        )
    return details

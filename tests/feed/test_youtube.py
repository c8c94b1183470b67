from __future__ import annotations

import errno
import json
import logging
import pickle
import socket
import sys
import traceback
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httplib2
import pytest
from googleapiclient.http import HttpMockSequence

from feed import youtube
from feed.youtube import (
    InvalidPageToken,
    KeyRejected,
    QuotaExceeded,
    RequestRejected,
    SearchPage,
    TransientError,
    VideoDetails,
    YouTubeError,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "youtube"
# Shaped like a real key, so that a leak would look like one (split: no key-shaped string in
# the source tree).
KEY = "AIza" + "SyD-test_Key0123456789abcdefghijklm"
ENDPOINT = "http://youtube.test"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def reply(status: int, body: bytes | str | dict[str, Any]) -> tuple[dict[str, str], bytes]:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return {"status": str(status)}, body


def search(http: Any, **overrides: Any) -> SearchPage:
    """A search page through `http` (None: a real httplib2 transport), with overrides."""
    arguments: dict[str, Any] = {
        "key": KEY,
        "query": "tea",
        "published_after": None,
        "page_token": None,
        "endpoint": ENDPOINT,
        "num_retries": 0,
        "http": http,
    }
    arguments.update(overrides)
    return youtube.search_page(**arguments)


def details(http: Any, ids: list[str], **overrides: Any) -> dict[str, VideoDetails]:
    arguments: dict[str, Any] = {
        "key": KEY,
        "ids": ids,
        "endpoint": ENDPOINT,
        "num_retries": 0,
        "http": http,
    }
    arguments.update(overrides)
    return youtube.fetch_details(**arguments)


def search_body(*items: dict[str, Any], next_page_token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "youtube#searchListResponse", "items": list(items)}
    if next_page_token:
        body["nextPageToken"] = next_page_token
    return body


def video_item(video_id: str = "vid00000001", **snippet: Any) -> dict[str, Any]:
    fields = {"publishedAt": "2026-11-28T15:59:01Z", "channelId": "UC1", "title": "t"}
    fields.update(snippet)
    return {
        "kind": "youtube#searchResult",
        "id": {"kind": "youtube#video", "videoId": video_id},
        "snippet": {name: value for name, value in fields.items() if value is not None},
    }


def query_of(http: HttpMockSequence, call: int = 0) -> dict[str, list[str]]:
    return parse_qs(urlsplit(http.request_sequence[call][0]).query)


def assert_no_key(exc: BaseException) -> None:
    shown = "".join(traceback.format_exception(exc))
    assert KEY not in str(exc)
    assert KEY not in repr(exc)
    assert KEY not in shown
    # Not chained: a logger or error tracker walking the chain finds no client exception.
    assert exc.__cause__ is None
    assert exc.__context__ is None


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's backoff sleeps instead of sleeping."""
    slept: list[float] = []
    monkeypatch.setattr("googleapiclient.http.time.sleep", slept.append)
    return slept


# --- search.list ------------------------------------------------------------------------------


def test_it_reads_a_search_page() -> None:
    page = search(HttpMockSequence([reply(200, fixture("search_list_page.json"))]))

    assert page.next_page_token == "CAIQAA"
    assert [item.youtube_id for item in page.items] == ["Tq7mK2pL9xA", "a1B2c3D4e5F"]
    first, second = page.items
    assert first.published_at == datetime(2026, 11, 28, 15, 59, 1, tzinfo=UTC)
    assert first.published_at.utcoffset() == timedelta(0)
    assert first.title == "How to make tea? | Masala chai & cricket talk with Rohit's fans"
    assert first.description == (
        'Full match highlights and a tea recipe. Subscribe for more "daily" videos...'
    )
    assert first.channel_id == "UCq-Fj5jknLsUf-MWSy4_brA"
    assert first.channel_title == "Chai & Cricket"
    assert first.thumbnails == {
        "default": "https://i.ytimg.com/vi/Tq7mK2pL9xA/default.jpg",
        "medium": "https://i.ytimg.com/vi/Tq7mK2pL9xA/mqdefault.jpg",
        "high": "https://i.ytimg.com/vi/Tq7mK2pL9xA/hqdefault.jpg",
    }
    assert first.live == "none"
    assert second.live == "live"
    assert second.description == ""


def test_it_sends_the_documented_search_parameters() -> None:
    http = HttpMockSequence([reply(200, fixture("search_list_last_page.json"))])
    india = timezone(timedelta(hours=5, minutes=30))

    search(
        http,
        query="tea & how",
        published_after=datetime(2026, 11, 28, 21, 29, 1, 999_999, tzinfo=india),
        page_token="CAIQAA",
        max_results=25,
    )

    url = urlsplit(http.request_sequence[0][0])
    assert (url.scheme, url.netloc, url.path) == ("http", "youtube.test", "/youtube/v3/search")
    assert query_of(http) == {
        "part": ["snippet"],
        "type": ["video"],
        "order": ["date"],
        "maxResults": ["25"],
        "q": ["tea & how"],
        "publishedAfter": ["2026-11-28T15:59:01Z"],
        "pageToken": ["CAIQAA"],
        "key": [KEY],
        "alt": ["json"],
    }


def test_it_leaves_out_published_after_and_page_token_when_absent() -> None:
    http = HttpMockSequence([reply(200, fixture("search_list_last_page.json"))])
    search(http)
    assert "publishedAfter" not in query_of(http)
    assert "pageToken" not in query_of(http)
    assert query_of(http)["maxResults"] == ["50"]


def test_it_refuses_a_naive_published_after() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        search(HttpMockSequence([]), published_after=datetime(2026, 11, 28, 15, 59))


def test_it_refuses_more_than_50_results_a_page() -> None:
    with pytest.raises(ValueError, match="max_results"):
        search(HttpMockSequence([]), max_results=51)


def test_it_reads_the_last_page() -> None:
    page = search(HttpMockSequence([reply(200, fixture("search_list_last_page.json"))]))
    assert page == SearchPage(items=[], next_page_token=None)


def test_it_unescapes_html_exactly_once() -> None:
    item = video_item(
        title="Tom &amp;amp; Jerry &#39;s",
        description="&lt;b&gt; &quot;bold&quot;",
        channelTitle="A &amp; B",
    )
    (snippet,) = search(HttpMockSequence([reply(200, search_body(item))])).items
    assert snippet.title == "Tom &amp; Jerry 's"
    assert snippet.description == '<b> "bold"'
    assert snippet.channel_title == "A & B"


def test_it_skips_results_that_are_not_videos() -> None:
    channel = {
        "kind": "youtube#searchResult",
        "id": {"kind": "youtube#channel", "channelId": "UC1"},
        "snippet": {"publishedAt": "2026-11-28T15:59:01Z", "title": "A channel"},
    }
    page = search(HttpMockSequence([reply(200, search_body(channel, video_item("v1")))]))
    assert [item.youtube_id for item in page.items] == ["v1"]


def test_it_fills_in_missing_optional_fields() -> None:
    bare = video_item(
        "bare",
        title=None,
        channelId=None,
        publishedAt="2026-11-28T15:59:01.250Z",
    )
    (snippet,) = search(HttpMockSequence([reply(200, search_body(bare))])).items
    assert snippet.published_at == datetime(2026, 11, 28, 15, 59, 1, 250_000, tzinfo=UTC)
    assert (snippet.title, snippet.description, snippet.channel_id, snippet.channel_title) == (
        "",
        "",
        "",
        "",
    )
    assert snippet.thumbnails == {}
    assert snippet.live == "none"


def test_it_keeps_only_the_thumbnail_sizes_present() -> None:
    item = video_item(
        thumbnails={"high": {"url": "https://i.ytimg.com/h.jpg"}, "maxres": {"url": "m"}}
    )
    (snippet,) = search(HttpMockSequence([reply(200, search_body(item))])).items
    assert snippet.thumbnails == {"high": "https://i.ytimg.com/h.jpg"}


def test_it_falls_back_to_publish_time_only_without_published_at() -> None:
    item = video_item(publishedAt=None, publishTime="2026-11-28T10:00:00Z")
    (snippet,) = search(HttpMockSequence([reply(200, search_body(item))])).items
    assert snippet.published_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_it_skips_a_result_without_an_id_or_a_publish_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    no_time = video_item("no-time", publishedAt=None)
    bad_time = video_item("bad-time", publishedAt="yesterday")
    no_id = video_item()
    del no_id["id"]["videoId"]
    body = search_body(no_time, bad_time, no_id, video_item("good"))

    page = search(HttpMockSequence([reply(200, body)]))

    assert [item.youtube_id for item in page.items] == ["good"]
    assert len([r for r in caplog.records if r.name == "feed.youtube"]) == 3


# --- videos.list ------------------------------------------------------------------------------


def test_it_fetches_durations_and_view_counts() -> None:
    http = HttpMockSequence([reply(200, fixture("videos_list.json"))])

    found = details(http, ["Tq7mK2pL9xA", "gone0000000"])

    # The deleted or private video is simply absent.
    assert found == {"Tq7mK2pL9xA": VideoDetails(duration_seconds=253, view_count=15234)}
    assert urlsplit(http.request_sequence[0][0]).path == "/youtube/v3/videos"
    assert query_of(http) == {
        "part": ["contentDetails,statistics"],
        "id": ["Tq7mK2pL9xA,gone0000000"],
        "key": [KEY],
        "alt": ["json"],
    }


def test_it_reports_missing_details_as_none() -> None:
    body = {
        "items": [
            {"id": "nothing"},
            {"id": "hidden", "contentDetails": {"duration": "PT1M"}, "statistics": {}},
            {"id": "odd", "contentDetails": {"duration": "P1Y"}, "statistics": {"viewCount": "x"}},
        ]
    }
    assert details(HttpMockSequence([reply(200, body)]), ["nothing", "hidden", "odd"]) == {
        "nothing": VideoDetails(duration_seconds=None, view_count=None),
        "hidden": VideoDetails(duration_seconds=60, view_count=None),
        "odd": VideoDetails(duration_seconds=None, view_count=None),
    }


def test_it_does_not_call_youtube_without_ids() -> None:
    http = HttpMockSequence([])
    assert details(http, []) == {}
    assert http.request_sequence == []


def test_it_refuses_more_than_50_ids() -> None:
    with pytest.raises(ValueError, match="at most 50 ids"):
        details(HttpMockSequence([]), [f"id{n}" for n in range(51)])


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H2M3S", 3723),
        ("P1DT2H", 93_600),
        ("PT0S", 0),
        ("P0D", 0),
        ("PT4M13S", 253),
        ("PT15M", 900),
        ("PT10H", 36_000),
        ("P1W", 604_800),
        ("PT1.5S", 1),
        ("", None),
        ("P", None),
        ("PT", None),
        ("P1DT", None),
        ("1H", None),
        ("P1Y", None),
        ("PT-1S", None),
        (None, None),
    ],
)
def test_it_parses_iso_8601_durations(text: str | None, seconds: int | None) -> None:
    assert youtube.parse_duration(text) == seconds


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "error_class", "reason"),
    [
        ("error_quota_exceeded.json", 403, QuotaExceeded, "quotaExceeded"),
        ("error_daily_limit_exceeded.json", 403, QuotaExceeded, "dailyLimitExceeded"),
        ("error_key_invalid.json", 400, KeyRejected, "API_KEY_INVALID"),
        ("error_key_invalid_old.json", 400, KeyRejected, "keyInvalid"),
        ("error_access_not_configured.json", 403, KeyRejected, "accessNotConfigured"),
        ("error_invalid_page_token.json", 400, InvalidPageToken, "invalidPageToken"),
        ("error_rate_limit_exceeded.json", 403, TransientError, "rateLimitExceeded"),
        ("error_backend.json", 503, TransientError, "backendError"),
    ],
)
def test_it_classifies_youtube_errors(
    name: str, status: int, error_class: type[YouTubeError], reason: str
) -> None:
    http = HttpMockSequence([reply(status, fixture(name))])

    with pytest.raises(error_class) as raised:
        search(http)

    assert type(raised.value) is error_class
    assert raised.value.reason == reason
    assert raised.value.status == status
    assert raised.value.key_fingerprint == youtube.fingerprint(KEY)
    assert_no_key(raised.value)


def test_it_classifies_errors_from_the_videos_lookup_too() -> None:
    http = HttpMockSequence([reply(403, fixture("error_quota_exceeded.json"))])
    with pytest.raises(QuotaExceeded) as raised:
        details(http, ["a"])
    assert_no_key(raised.value)


def test_it_tells_a_person_how_to_fix_a_rejected_key() -> None:
    messages = {}
    cases = [("error_key_invalid.json", 400), ("error_access_not_configured.json", 403)]
    for name, status in cases:
        with pytest.raises(KeyRejected) as raised:
            search(HttpMockSequence([reply(status, fixture(name))]))
        messages[name] = str(raised.value)

    assert "the API key was rejected as invalid" in messages["error_key_invalid.json"]
    assert "check YOUTUBE_API_KEYS" in messages["error_key_invalid.json"]
    assert (
        "YouTube Data API v3 is not enabled for this key's Google Cloud project"
        in messages["error_access_not_configured.json"]
    )
    assert "enable it in the console" in messages["error_access_not_configured.json"]


def test_it_rejects_a_key_blocked_by_its_restrictions() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Requests to this API youtube method are blocked.",
            "errors": [{"message": "...", "domain": "global", "reason": "forbidden"}],
            "details": [{"reason": "API_KEY_SERVICE_BLOCKED", "domain": "googleapis.com"}],
        }
    }
    with pytest.raises(KeyRejected) as raised:
        search(HttpMockSequence([reply(403, body)]))
    assert raised.value.reason == "API_KEY_SERVICE_BLOCKED"
    assert "restrictions" in str(raised.value)


def test_it_does_not_blame_the_key_for_a_bad_parameter() -> None:
    body = {
        "error": {
            "code": 400,
            "message": "Invalid value for publishedAfter.",
            "errors": [{"reason": "invalidParameter", "domain": "youtube.parameter"}],
        }
    }
    with pytest.raises(RequestRejected) as raised:
        search(HttpMockSequence([reply(400, body)]))
    assert raised.value.reason == "invalidParameter"
    assert "Invalid value for publishedAfter" in str(raised.value)


def test_it_does_not_retry_a_spent_quota(no_backoff: list[float]) -> None:
    http = HttpMockSequence([reply(403, fixture("error_quota_exceeded.json"))])
    with pytest.raises(QuotaExceeded):
        search(http, num_retries=3)
    assert len(http.request_sequence) == 1
    assert no_backoff == []


def test_it_retries_a_503_without_logging_the_key(
    no_backoff: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    http = HttpMockSequence(
        [
            reply(503, fixture("error_backend.json")),
            reply(503, fixture("error_backend.json")),
            reply(200, fixture("search_list_page.json")),
        ]
    )

    page = search(http, num_retries=3)

    assert len(page.items) == 2
    assert len(no_backoff) == 2
    retries = [r for r in caplog.records if r.name == "googleapiclient.http"]
    assert len(retries) == 2
    # The retry warnings did carry the URL; the filter cut the key out of it.
    assert all("key=REDACTED" in r.getMessage() for r in retries)
    assert KEY not in caplog.text
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_it_gives_up_on_a_503_after_the_retries(
    no_backoff: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    http = HttpMockSequence([reply(503, fixture("error_backend.json"))] * 4)

    with pytest.raises(TransientError) as raised:
        search(http, num_retries=3)

    assert len(http.request_sequence) == 4
    assert raised.value.status == 503
    assert "after 3 retries" in str(raised.value)
    assert_no_key(raised.value)
    assert KEY not in caplog.text


def test_it_retries_a_rate_limit_then_reports_it_as_transient(no_backoff: list[float]) -> None:
    http = HttpMockSequence([reply(403, fixture("error_rate_limit_exceeded.json"))] * 2)
    with pytest.raises(TransientError) as raised:
        search(http, num_retries=1)
    assert len(http.request_sequence) == 2
    assert raised.value.reason == "rateLimitExceeded"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html>Service Unavailable</html>"),
        (200, b"\xff\xfe not utf-8"),
        (200, b"[1, 2, 3]"),
        (200, b'{"items": {"not": "a list"}}'),
        (200, b'{"items": [], "nextPageToken": 7}'),
        (403, b"<html>Forbidden by a proxy</html>"),
        (502, b"Bad Gateway"),
    ],
)
def test_it_reports_a_malformed_body_as_transient(status: int, body: bytes) -> None:
    with pytest.raises(TransientError) as raised:
        search(HttpMockSequence([reply(status, body)]))
    assert_no_key(raised.value)


def test_it_reports_a_malformed_details_body_as_transient() -> None:
    with pytest.raises(TransientError):
        details(HttpMockSequence([reply(200, b"not json")]), ["a"])


class FailingHttp:
    """A transport that raises instead of answering, and counts the attempts."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    def request(self, uri: str, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (TimeoutError("timed out"), "timeout"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "connectionError"),
        (httplib2.ServerNotFoundError("Unable to find the server"), "serverNotFound"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "transportError"),
    ],
)
def test_it_reports_transport_failures_as_transient(error: BaseException, reason: str) -> None:
    with pytest.raises(TransientError) as raised:
        search(FailingHttp(error))
    assert raised.value.reason == reason
    assert raised.value.status is None
    assert_no_key(raised.value)


def test_it_retries_a_timeout(no_backoff: list[float]) -> None:
    http = FailingHttp(TimeoutError("timed out"))
    with pytest.raises(TransientError):
        search(http, num_retries=2)
    assert http.calls == 3


def test_it_cuts_the_key_out_of_a_transport_error_that_quotes_the_url() -> None:
    url = f"{ENDPOINT}/youtube/v3/search?part=snippet&key={KEY}&alt=json"
    with pytest.raises(TransientError) as raised:
        search(FailingHttp(httplib2.RedirectLimit(f"Too many redirects for {url}", {}, b"")))
    assert "key=REDACTED" in str(raised.value)
    assert_no_key(raised.value)


def test_it_times_out_on_a_silent_server() -> None:
    # Real httplib2 over a socket that accepts the connection and never answers.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with pytest.raises(TransientError) as raised:
            search(None, endpoint=f"http://127.0.0.1:{port}", timeout=0.2)
    assert raised.value.reason == "timeout"
    assert "0.2 s" in str(raised.value)
    assert_no_key(raised.value)


def test_it_reports_a_refused_connection() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    # The port is closed again: nothing listens there now.
    with pytest.raises(TransientError) as raised:
        search(None, endpoint=f"http://127.0.0.1:{port}")
    assert raised.value.reason == "connectionError"


def test_it_pickles_its_errors() -> None:
    error = KeyRejected("the API key was rejected", reason="keyInvalid", status=400)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is KeyRejected
    assert (copy.reason, copy.status, str(copy)) == ("keyInvalid", 400, str(error))


def test_it_redacts_a_key_passed_into_an_error_message() -> None:
    error = YouTubeError(f"failed: GET /search?key={KEY}", reason="x")
    assert str(error) == "failed: GET /search?key=REDACTED"


# --- keys in logs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /s?part=snippet&key={KEY}&alt=json", "GET /s?part=snippet&key=REDACTED&alt=json"),
        (f"GET /s?key={KEY}, after 503", "GET /s?key=REDACTED, after 503"),
        (f"/s?part=x&key={KEY}", "/s?part=x&key=REDACTED"),
        (f"developerKey={KEY}", "developerKey=REDACTED"),
        (f"/s%3Fkey%3D{KEY}%26alt", "/s%3Fkey%3DREDACTED%26alt"),
        ("no key here", "no key here"),
    ],
)
def test_it_redacts_keys_in_text(text: str, expected: str) -> None:
    assert youtube.redact(text) == expected


def make_record(msg: object, args: Any = None, exc_info: Any = None) -> logging.LogRecord:
    return logging.LogRecord("test", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_it_redacts_a_log_record_message_args_and_traceback() -> None:
    url = f"http://x/s?key={KEY}&alt=json"
    try:
        raise RuntimeError(f"failed {url}")
    except RuntimeError:
        exc_info = sys.exc_info()
    filter_ = youtube.KeyRedactingFilter()
    records = [
        make_record(f"plain {url}"),
        make_record("Sleeping %.2f seconds for %s: %s", (1.5, "GET", url)),
        make_record("%(url)s", ({"url": url},)),
        make_record(RuntimeError(url)),
        make_record("boom", exc_info=exc_info),
    ]
    formatter = logging.Formatter()
    for record in records:
        assert filter_.filter(record) is True
        shown = formatter.format(record)
        assert KEY not in shown
        assert "key=REDACTED" in shown
    assert records[1].getMessage() == (
        "Sleeping 1.50 seconds for GET: http://x/s?key=REDACTED&alt=json"
    )


def test_it_installs_log_redaction_once(monkeypatch: pytest.MonkeyPatch) -> None:
    root_handler = logging.NullHandler()
    monkeypatch.setattr(logging.getLogger(), "handlers", [root_handler])

    youtube.install_log_redaction()
    youtube.install_log_redaction()

    for target in [logging.getLogger("googleapiclient.http"), root_handler]:
        redacting = [f for f in target.filters if isinstance(f, youtube.KeyRedactingFilter)]
        assert len(redacting) == 1


def test_it_fingerprints_keys_stably_without_revealing_them() -> None:
    first = youtube.fingerprint(KEY)
    assert first == youtube.fingerprint(KEY)
    assert first != youtube.fingerprint(KEY + "x")
    assert first.startswith("key-")
    assert len(first) == len("key-") + 8
    assert KEY[:8] not in first

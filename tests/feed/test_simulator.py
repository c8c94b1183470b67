"""The built-in YouTube simulator, driven through the real google-api-python-client."""

from __future__ import annotations

import dataclasses
import html
import http.client
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from hypothesis import given, settings
from hypothesis import strategies as st

from feed import simulator_shapes as shapes
from feed.simulator import (
    SEARCH,
    VIDEOS,
    ManualClock,
    Simulator,
    SimulatorConfig,
    fingerprint,
    next_quota_reset,
    redact,
)
from tests.fixtures.simulator import (
    SIMULATOR_CONFIG,
    SIMULATOR_KEY,
    SIMULATOR_START,
    youtube_client,
)

PROJECT = Path(__file__).resolve().parents[2]
SAMPLES = PROJECT / "tests" / "fixtures" / "youtube"
ONE_SECOND = timedelta(seconds=1)


def with_config(**fields: Any) -> pytest.MarkDecorator:
    """Serve the test's simulator with these settings instead of SIMULATOR_CONFIG's."""
    config = dataclasses.replace(SIMULATOR_CONFIG, **fields)
    return pytest.mark.parametrize("simulator_config", [config], ids=[repr(fields)])


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search(client: Any, *, q: str | None = "football", **params: Any) -> dict[str, Any]:
    request = client.search().list(
        part="snippet", type="video", order="date", maxResults=50, q=q, **params
    )
    return request.execute()


def walk(client: Any, *, q: str | None = "football", **params: Any) -> list[dict[str, Any]]:
    """Every page of one search, following nextPageToken as a fetcher does."""
    pages = [search(client, q=q, **params)]
    while "nextPageToken" in pages[-1]:
        pages.append(search(client, q=q, **{**params, "pageToken": pages[-1]["nextPageToken"]}))
    return pages


def ids(pages: list[dict[str, Any]]) -> list[str]:
    return [item["id"]["videoId"] for page in pages for item in page["items"]]


def newest_first(published: list[tuple[str, datetime]]) -> list[str]:
    return [video_id for video_id, _ in reversed(published)]


def api_error(request: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HttpError) as caught:
        request.execute()
    return caught.value.status_code, json.loads(caught.value.content)["error"]


def reason(error: dict[str, Any]) -> str:
    return error["errors"][0]["reason"]


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())


# -- search.list -----------------------------------------------------------------------------


def test_it_answers_the_real_client_with_the_real_shapes(youtube):
    walk_from = {
        "part": "snippet",
        "type": "video",
        "order": "date",
        "maxResults": 50,
        "q": "football",
        "publishedAfter": "2026-11-28T15:30:00Z",
    }
    first = youtube.search().list(**walk_from).execute()
    second = youtube.search().list(**walk_from, pageToken=first["nextPageToken"]).execute()
    three = ",".join(item["id"]["videoId"] for item in first["items"][:3])
    details = youtube.videos().list(part="contentDetails,statistics", id=three).execute()

    page, last_page = sample("search_list_page.json"), sample("search_list_last_page.json")
    assert first.keys() == page.keys()
    assert second.keys() <= page.keys() | last_page.keys()
    assert len(first["items"]) == 50
    assert first["items"][0].keys() == page["items"][0].keys()
    assert first["items"][0]["snippet"].keys() == page["items"][0]["snippet"].keys()
    assert first["pageInfo"]["resultsPerPage"] == 50
    listed = sample("videos_list.json")
    assert details.keys() == listed.keys()
    assert [item["id"] for item in details["items"]] == three.split(",")
    assert details["items"][0].keys() == listed["items"][0].keys()


def test_it_walks_every_published_video_exactly_once_newest_first(youtube, simulator):
    pages = walk(youtube)

    expected = newest_first(simulator.published("football"))
    assert 50 < len(expected) <= 500
    assert ids(pages) == expected
    times = [item["snippet"]["publishedAt"] for page in pages for item in page["items"]]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) < len(times)  # several videos share a second


def test_it_answers_without_q_with_every_query(youtube, simulator):
    total = search(youtube, q=None)["pageInfo"]["totalResults"]

    assert total == simulator.count_published("football") + simulator.count_published("cricket")


def test_it_finds_nothing_for_a_query_it_does_not_know(youtube):
    page = search(youtube, q="underwater basket weaving")

    assert page["items"] == []
    assert page["pageInfo"]["totalResults"] == 0
    assert "nextPageToken" not in page


def test_it_honours_published_after_including_the_boundary_second(youtube, simulator):
    published = simulator.published("football")
    boundary = published[-100][1]

    pages = walk(youtube, publishedAfter=rfc3339(boundary))

    expected = [(i, t) for i, t in published if t >= boundary]
    assert ids(pages) == newest_first(expected)
    assert published[-100][0] in ids(pages)


def test_it_honours_published_before(youtube, simulator):
    published = simulator.published("football")
    boundary = published[100][1]

    pages = walk(youtube, publishedBefore=rfc3339(boundary))

    assert ids(pages) == newest_first([(i, t) for i, t in published if t <= boundary])


def test_it_shows_a_video_only_once_the_clock_reaches_it(youtube, simulator, simulator_clock):
    ahead = Simulator(SIMULATOR_CONFIG, clock=lambda: SIMULATOR_START + timedelta(minutes=10))
    upcoming = ahead.published("football", since=SIMULATOR_START + ONE_SECOND)
    upcoming_ids = [video_id for video_id, _ in upcoming]
    assert len(upcoming) > 30

    before = ids(walk(youtube))
    unknown_yet = youtube.videos().list(part="statistics", id=upcoming_ids[0]).execute()
    simulator_clock.advance(timedelta(minutes=10))
    after = ids(walk(youtube, publishedAfter=rfc3339(SIMULATOR_START + ONE_SECOND)))

    assert not set(upcoming_ids) & set(before)
    assert unknown_yet["items"] == []
    assert after == upcoming_ids[::-1]


def test_it_keeps_the_pages_of_one_walk_stable_while_videos_arrive(
    youtube, simulator, simulator_clock
):
    first = search(youtube)
    simulator_clock.advance(timedelta(minutes=10))
    rest = walk(youtube, pageToken=first["nextPageToken"])

    assert ids([first, *rest]) == newest_first(
        simulator.published("football", until=SIMULATOR_START)
    )


@with_config(history_hours=3)
def test_it_stops_a_walk_at_500_results_like_youtube(youtube, simulator):
    pages = walk(youtube)

    assert pages[0]["pageInfo"]["totalResults"] > 1000
    assert ids(pages) == newest_first(simulator.published("football"))[:500]
    assert "nextPageToken" not in pages[-1]


def test_it_rejects_more_than_50_results_per_page(youtube):
    status, error = api_error(youtube.search().list(part="snippet", q="football", maxResults=51))

    assert status == 400
    assert reason(error) == "invalid"
    assert error["errors"][0]["location"] == "maxResults"


def test_it_answers_5_results_by_default_and_none_for_zero(youtube):
    default = youtube.search().list(part="snippet", q="football").execute()
    zero = youtube.search().list(part="snippet", q="football", maxResults=0).execute()

    assert len(default["items"]) == 5
    assert zero["items"] == []
    assert zero["pageInfo"]["totalResults"] > 0


@pytest.mark.parametrize("token", ["garbage", "CAUQAA", "tampered"])
def test_it_rejects_a_page_token_it_did_not_issue(youtube, token):
    if token == "tampered":
        real = search(youtube)["nextPageToken"]
        token = real[:-2] + ("AA" if real[-2:] != "AA" else "BB")

    status, error = api_error(youtube.search().list(part="snippet", q="football", pageToken=token))

    assert status == 400
    assert error == sample("error_invalid_page_token.json")["error"]


def test_it_escapes_text_as_youtube_does(youtube, simulator):
    items = [item for page in walk(youtube) for item in page["items"]]
    titles = [item["snippet"]["title"] for item in items]

    for entity in ("&amp;", "&#39;", "&quot;"):
        assert any(entity in title for title in titles), entity
    assert not any(raw in title for title in titles for raw in "'\"<>")
    for item in items[:50]:
        video = simulator.video(item["id"]["videoId"])
        assert html.unescape(item["snippet"]["title"]) == video.title
        assert "football" in video.title.casefold()
    assert {item["snippet"]["liveBroadcastContent"] for item in items} == {
        "none",
        "live",
        "upcoming",
    }


@with_config(rate_per_minute=1, burst_every_minutes=30, burst_size=120, burst_spread_seconds=3)
def test_it_publishes_bursts_bigger_than_a_page_within_seconds(youtube, simulator):
    published = simulator.published("football")
    per_second = Counter(moment for _, moment in published)
    # A burst's first second may hold only a few of its videos: start the window before it.
    start = min(moment for moment, n in per_second.items() if n > 5) - ONE_SECOND
    end = start + 4 * ONE_SECOND
    burst = [(i, t) for i, t in published if start <= t <= end]

    pages = walk(youtube, publishedAfter=rfc3339(start), publishedBefore=rfc3339(end))

    assert len(burst) >= 120
    assert len(pages) >= 3
    assert ids(pages) == newest_first(burst)


# -- videos.list -----------------------------------------------------------------------------


def test_it_describes_videos_with_iso_durations_and_counts_as_strings(youtube, simulator):
    fifty = ids([search(youtube)])

    page = youtube.videos().list(part="contentDetails,statistics", id=",".join(fifty)).execute()
    items = page["items"]

    assert [item["id"] for item in items] == fifty
    for item in items:
        assert re.fullmatch(r"P0D|PT(\d+H)?(\d+M)?(\d+S)?", item["contentDetails"]["duration"])
        assert item["contentDetails"]["duration"] != "PT"
        assert all(re.fullmatch(r"\d+", count) for count in item["statistics"].values())
        assert "viewCount" in item["statistics"]
    live = {i for i in fifty if simulator.video(i).live_broadcast_content != "none"}
    durations = {item["id"]: item["contentDetails"]["duration"] for item in items}
    assert all(durations[i] == "P0D" for i in live)
    assert any(re.fullmatch(r"PT\d+M\d+S", d) for d in durations.values())


def test_it_lets_view_counts_grow_with_time(youtube, simulator, simulator_clock):
    found = ids([search(youtube)])
    video_id = next(i for i in found if simulator.video(i).live_broadcast_content == "none")

    def views() -> int:
        page = youtube.videos().list(part="statistics", id=video_id).execute()
        return int(page["items"][0]["statistics"]["viewCount"])

    early = views()
    simulator_clock.advance(timedelta(days=2))
    assert views() > early


def test_it_omits_unknown_ids_silently(youtube):
    known = ids([search(youtube)])[:2]
    asked = [known[0], "AAAAAAAAAAA", "not-an-id", "dQw4w9WgXcQ", known[1]]

    page = youtube.videos().list(part="contentDetails", id=",".join(asked)).execute()

    assert [item["id"] for item in page["items"]] == known


def test_it_rejects_more_than_50_ids(youtube):
    fifty_one = ids(walk(youtube))[:51]

    status, error = api_error(youtube.videos().list(part="statistics", id=",".join(fifty_one)))

    assert status == 400
    assert reason(error) == "invalidFilters"


# -- keys and quota --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spent_at", "last_refused", "reset"),
    [
        ("2026-11-28T16:00:00Z", "2026-11-29T07:59:59Z", "2026-11-29T08:00:00Z"),
        # Spring forward: a 23-hour Pacific day, midnight is 07:00 UTC.
        ("2026-03-08T12:00:00Z", "2026-03-09T06:59:59Z", "2026-03-09T07:00:00Z"),
        # Fall back: a 25-hour Pacific day, midnight is 08:00 UTC.
        ("2026-11-01T12:00:00Z", "2026-11-02T07:59:59Z", "2026-11-02T08:00:00Z"),
    ],
    ids=["ordinary-day", "dst-starts", "dst-ends"],
)
def test_it_refuses_a_spent_key_until_pacific_midnight(spent_at, last_refused, reset):
    clock = ManualClock(datetime.fromisoformat(spent_at))
    config = dataclasses.replace(SIMULATOR_CONFIG, daily_quota=300, history_hours=0.2)
    simulator = Simulator(config, clock=clock)
    with simulator.serve() as url:
        youtube, other = youtube_client(url), youtube_client(url, key="simulator-test-key-2")
        for _ in range(3):
            search(youtube)

        status, error = api_error(youtube.search().list(part="snippet", q="football"))
        assert (status, reason(error)) == (403, "quotaExceeded")
        assert error == sample("error_quota_exceeded.json")["error"]
        assert api_error(youtube.videos().list(part="statistics", id="x"))[0] == 403
        search(other)
        clock.set(datetime.fromisoformat(last_refused))
        assert reason(api_error(youtube.search().list(part="snippet", q="football"))[1]) == (
            "quotaExceeded"
        )
        clock.set(datetime.fromisoformat(reset))
        search(youtube)

    assert next_quota_reset(datetime.fromisoformat(spent_at)) == datetime.fromisoformat(reset)
    assert simulator.stats.calls_for(SIMULATOR_KEY, method=SEARCH) == 6
    assert simulator.stats.calls_after_quota_exceeded == {SIMULATOR_KEY: 2}
    assert simulator.units_used(SIMULATOR_KEY) == 100


def test_it_charges_search_100_units_and_videos_1(youtube, simulator):
    search(youtube)
    youtube.videos().list(part="statistics", id="x").execute()
    api_error(youtube.search().list(part="snippet", q="football", maxResults=99))

    assert simulator.units_used(SIMULATOR_KEY) == 201  # an invalid request costs too


@with_config(invalid_keys=frozenset({"revoked-key-123"}), disabled_keys={"disabled-key-123"})
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("invalid-anything", "error_key_invalid.json"),
        ("revoked-key-123", "error_key_invalid.json"),
        ("disabled-key-123", "error_access_not_configured.json"),
    ],
)
def test_it_rejects_bad_keys_with_the_documented_errors(simulator_url, simulator, key, expected):
    youtube = youtube_client(simulator_url, key=key)

    status, error = api_error(youtube.search().list(part="snippet", q="football"))

    documented = sample(expected)["error"]
    assert (status, error) == (documented["code"], documented)
    assert simulator.units_used(key) == 0


@with_config(key_invalid_form="old")
def test_it_can_reject_invalid_keys_in_the_older_form(simulator_url):
    youtube = youtube_client(simulator_url, key="invalid-key")

    status, error = api_error(youtube.search().list(part="snippet", q="football"))

    assert (status, reason(error)) == (400, "keyInvalid")


def test_it_refuses_a_request_without_a_key(simulator_url):
    youtube = youtube_client(simulator_url, key=None)

    status, error = api_error(youtube.search().list(part="snippet", q="football"))

    assert (status, reason(error)) == (403, "forbidden")


def test_it_never_logs_a_key_in_full(youtube, simulator, caplog):
    caplog.set_level(logging.DEBUG, logger="feed.simulator")

    search(youtube)

    assert "GET /youtube/v3/search" in caplog.text
    assert SIMULATOR_KEY not in caplog.text


def test_it_redacts_keys_to_their_fingerprint():
    line = redact("GET /youtube/v3/search?q=a&key=abc-def&alt=json")

    assert line == f"GET /youtube/v3/search?q=a&key={fingerprint('abc-def')}&alt=json"
    assert fingerprint("abc-def") != fingerprint("abc-deg")


# -- faults ----------------------------------------------------------------------------------

ERROR_FAULTS = [
    ("backendError", 503, "error_backend.json"),
    ("internalError", 500, None),
    ("tooManyRequests", 429, None),
    ("rateLimitExceeded", 403, "error_rate_limit_exceeded.json"),
    ("dailyLimitExceeded", 403, "error_daily_limit_exceeded.json"),
    ("quotaExceeded", 403, "error_quota_exceeded.json"),
    ("invalidPageToken", 400, "error_invalid_page_token.json"),
    ("keyInvalid", 400, "error_key_invalid.json"),
    ("keyInvalidOld", 400, "error_key_invalid_old.json"),
    ("accessNotConfigured", 403, "error_access_not_configured.json"),
    ("missingKey", 403, None),
]


@pytest.mark.parametrize(("kind", "status", "documented"), ERROR_FAULTS)
def test_it_produces_each_injected_error_once(
    simulator_url, simulator, youtube, kind, status, documented
):
    simulator.inject(kind, method=SEARCH)

    youtube.videos().list(part="statistics", id="x").execute()  # not the method asked for
    answered = api_error(youtube.search().list(part="snippet", q="football"))
    next_search = search(youtube_client(simulator_url, key="simulator-test-key-2"))

    assert answered == (status, shapes.ERRORS[kind][1]["error"])
    if documented:
        assert answered[1] == sample(documented)["error"]
    assert simulator.stats.faults == {kind: 1}
    assert next_search["items"]


@pytest.mark.parametrize("kind", ["quotaExceeded", "dailyLimitExceeded"])
def test_it_spends_the_key_on_an_injected_quota_error(simulator_url, simulator, youtube, kind):
    simulator.inject(kind, key=SIMULATOR_KEY)

    api_error(youtube.search().list(part="snippet", q="football"))
    status, error = api_error(youtube.search().list(part="snippet", q="football"))
    other_key = search(youtube_client(simulator_url, key="simulator-test-key-2"))

    assert (status, reason(error)) == (403, "quotaExceeded")
    assert simulator.stats.calls_after_quota_exceeded == {SIMULATOR_KEY: 1}
    assert other_key["items"]


def test_it_drops_the_connection_twice_before_the_client_notices(youtube, simulator):
    simulator.inject("connectionDrop", times=1)
    search(youtube)  # httplib2 silently retries a dropped connection once
    simulator.inject("connectionDrop", times=2)

    with pytest.raises((ConnectionError, http.client.HTTPException)):
        search(youtube)

    assert simulator.stats.faults == {"connectionDrop": 3}
    assert simulator.stats.calls_for(SIMULATOR_KEY) == 4
    assert search(youtube)["items"]


@with_config(slow_seconds=0.3)
def test_it_answers_slowly(youtube, simulator):
    simulator.inject("slow")

    started = time.perf_counter()
    page = search(youtube)

    assert time.perf_counter() - started >= 0.3
    assert len(page["items"]) == 50


def test_it_sends_a_malformed_body(youtube, simulator):
    simulator.inject("malformedJson", method=VIDEOS)

    answer = youtube.videos().list(part="statistics", id="x").execute()

    # The client does not raise on a 200 it cannot parse: it hands back the text.
    assert isinstance(answer, str)
    assert answer.startswith('{"kind": "youtube#videoListResponse"')
    with pytest.raises(ValueError):
        json.loads(answer)


def test_it_truncates_a_page_without_losing_the_rest_of_the_walk(youtube, simulator):
    simulator.inject("truncatedPage", method=SEARCH)

    pages = walk(youtube)

    assert len(pages[0]["items"]) < 50
    assert "nextPageToken" in pages[0]
    assert ids(pages) == newest_first(simulator.published("football"))


def test_it_truncates_a_videos_list(youtube, simulator):
    ten = ids([search(youtube)])[:10]
    simulator.inject("truncatedPage", method=VIDEOS)

    page = youtube.videos().list(part="statistics", id=",".join(ten)).execute()

    assert 0 < len(page["items"]) < 10


def test_it_draws_random_faults_reproducibly():
    def statuses(seed: int) -> list[int]:
        config = SimulatorConfig(seed=seed, fault_rate=0.3, slow_seconds=0, history_hours=0.1)
        simulator = Simulator(config, clock=ManualClock(SIMULATOR_START))
        target = "/youtube/v3/search?part=snippet&q=football&maxResults=50&key=k"
        answers = [simulator.handle(target) for _ in range(300)]
        return [answer.status for answer in answers], simulator.stats.faults

    (first, faults), (again, _), (other, _) = statuses(1), statuses(1), statuses(2)

    assert first == again
    assert first != other
    assert 60 <= sum(faults.values()) <= 120
    assert {0, 403, 429, 500, 503} <= set(first)
    assert len(faults) >= 8


# -- the stream ------------------------------------------------------------------------------


def test_it_gives_the_same_stream_for_the_same_seed():
    def first_page(seed: int) -> bytes:
        config = dataclasses.replace(SIMULATOR_CONFIG, seed=seed)
        simulator = Simulator(config, clock=ManualClock(SIMULATOR_START))
        return simulator.handle("/youtube/v3/search?part=snippet&q=football&key=k").body

    assert first_page(1) == first_page(1)
    assert first_page(1) != first_page(2)


def test_it_publishes_a_year_at_the_configured_rate_without_storing_it():
    config = SimulatorConfig(rate_per_minute=6, burst_every_minutes=60, burst_size=60)
    simulator = Simulator(
        dataclasses.replace(config, history_hours=24 * 365), clock=ManualClock(SIMULATOR_START)
    )

    count = simulator.count_published("football")
    first = simulator.handle("/youtube/v3/search?part=snippet&q=football&maxResults=50&key=k")

    assert abs(count - 365 * 24 * (6 * 60 + 60)) <= 61
    assert len(json.loads(first.body)["items"]) == 50


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    rate=st.floats(0.2, 120),
    burst_size=st.integers(0, 200),
    points=st.lists(st.integers(-7300, 60), min_size=3, max_size=3),
)
def test_it_splits_any_window_without_losing_or_doubling_videos(seed, rate, burst_size, points):
    config = SimulatorConfig(
        seed=seed, rate_per_minute=rate, burst_size=burst_size, burst_every_minutes=7
    )
    simulator = Simulator(
        dataclasses.replace(config, history_hours=2), clock=ManualClock(SIMULATOR_START)
    )
    low, middle, high = (SIMULATOR_START + timedelta(seconds=s) for s in sorted(points))

    whole = simulator.published("football", since=low, until=high)
    left = simulator.published("football", since=low, until=middle)
    right = simulator.published("football", since=middle + ONE_SECOND, until=high)

    assert whole == left + right
    assert len(whole) == simulator.count_published("football", since=low, until=high)
    assert [t for _, t in whole] == sorted(t for _, t in whole)
    assert all(low <= t <= min(high, SIMULATOR_START) for _, t in whole)
    for video_id, moment in whole[:3]:
        assert simulator.video(video_id).published_at == moment


# -- the management command ------------------------------------------------------------------


def test_it_serves_from_the_management_command():
    command = [sys.executable, "manage.py", "youtube_simulator", "--port", "0"]
    command += ["--queries", "football", "--history-hours", "0.5"]
    env = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        lines = [process.stdout.readline(), process.stdout.readline()]
        url = lines[1].strip().removeprefix("Point the app at it: YOUTUBE_API_ENDPOINT=")
        page = search(youtube_client(url))
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)

    assert url.startswith("http://127.0.0.1:")
    assert len(page["items"]) == 50
    assert f"{fingerprint(SIMULATOR_KEY)} search.list: calls=1" in output
    assert SIMULATOR_KEY not in output

"""Injected faults, scripted or random, as the real client meets them."""

from __future__ import annotations

import http.client
import json

import pytest

from simulator import SEARCH, VIDEOS, ManualClock, Simulator, SimulatorConfig, shapes
from tests.fixtures.simulator import (
    SIMULATOR_KEY,
    SIMULATOR_START,
    api_error,
    ids,
    newest_first,
    reason,
    sample,
    search,
    walk,
    with_config,
    youtube_client,
)

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
def test_it_answers_slowly(youtube, simulator, monkeypatch):
    # What the HTTP layer waits, recorded rather than timed: no clock in the assertion.
    waits = []
    monkeypatch.setattr("simulator.server.time.sleep", waits.append)
    simulator.inject("slow")

    page = search(youtube)
    search(youtube)

    assert waits == [0.3]  # once, before the first answer only
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

"""Keys and quota: refused keys and units charged per key per Pacific day."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from simulator import SEARCH, ManualClock, Simulator, next_quota_reset
from tests.fixtures.simulator import (
    SIMULATOR_CONFIG,
    SIMULATOR_KEY,
    api_error,
    reason,
    sample,
    search,
    with_config,
    youtube_client,
)


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

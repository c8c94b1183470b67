"""Per-client request limits (dashboard/limits.py): a 429 with Retry-After and the JSON error
body once a client is over its limit, counted per client and per scope."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

API = "/api/v1/youtube/videos"


@pytest.fixture
def limits(settings, db, clock, monkeypatch) -> dict[str, str | None]:
    # django-ratelimit counts in windows of wall-clock time: on the tests' clock, no window
    # ends between two requests of a test, whenever the suite runs.
    monkeypatch.setattr(
        "django_ratelimit.core.time", SimpleNamespace(time=lambda: clock().timestamp())
    )
    settings.RATELIMIT_ENABLE = True
    # Counters of earlier tests (or runs, in Redis) are under another prefix.
    settings.RATELIMIT_CACHE_PREFIX = f"rl-test-{uuid.uuid4().hex}:"
    settings.RATE_LIMITS = {"api": "3/m", "grid": "2/h", "status": "2/m"}
    settings.TRUSTED_PROXY_HOPS = 0
    return settings.RATE_LIMITS


def test_it_answers_429_with_retry_after_and_the_json_error_body(client, limits):
    assert [client.get(API).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(API, {"q": "tea"})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.json() == {
        "error": {
            "param": None,
            "message": "too many requests: at most 3 a minute from one client; "
            f"try again in {retry_after} s",
        }
    }
    # The other path of the API counts against the same limit.
    assert client.get("/api/v1/youtube/video/").status_code == 429


def test_it_counts_each_client_and_each_scope_on_its_own(client, limits):
    for _ in range(3):
        client.get(API)
    assert client.get(API).status_code == 429
    assert client.get(API, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/healthz").status_code == 200  # never limited
    # The grid's page and its htmx fragments share one limit; /status has its own.
    assert client.get("/").status_code == 200
    assert client.get("/", {"q": "tea"}, headers={"HX-Request": "true"}).status_code == 200
    limited = client.get("/", headers={"HX-Request": "true"})
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 3600
    assert "at most 2 an hour from one client" in limited.json()["error"]["message"]
    assert client.get("/status").status_code == 200


def test_a_limit_set_to_off_or_all_limits_off_let_everything_through(client, limits, settings):
    settings.RATE_LIMITS = {**limits, "api": None}
    assert {client.get(API).status_code for _ in range(5)} == {200}
    settings.RATE_LIMITS = limits
    settings.RATELIMIT_ENABLE = False
    assert {client.get(API).status_code for _ in range(5)} == {200}


def test_it_takes_the_address_the_trusted_proxy_saw(client, limits, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    # What a client writes into X-Forwarded-For itself stays left of what the router appends.
    for spoofed in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        forwarded = f"{spoofed}, 203.0.113.9"
        assert client.get(API, HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    assert client.get(API, HTTP_X_FORWARDED_FOR="198.51.100.4, 203.0.113.9").status_code == 429
    assert client.get(API, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 200
    # Without a trusted proxy the header is the client's to write, so it is ignored.
    settings.TRUSTED_PROXY_HOPS = 0
    for n in range(3):
        assert client.get(API, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
    assert client.get(API, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_it_says_the_limit_in_words():
    from dashboard.limits import in_words

    assert in_words("300/m") == "300 a minute"
    assert in_words("2/h") == "2 an hour"
    assert in_words("10/5m") == "10 every 5 minutes"

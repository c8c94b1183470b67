"""Secrets: with known fake keys configured, fetches meet every error shape the simulator can
produce; then no log line, FetchRun, page, JSON response or database dump contains a key."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from feed import quota, services
from feed.models import ApiKeyState, SearchQuery
from simulator import INJECTABLE_KINDS

# Shaped like real keys at run time; split in the source so no key-shaped string is in the tree.
KEYS = [
    "AIza" + "SyFAKE-hardening-key-one-0000000000",
    "AIza" + "SyFAKE-hardening-key-two-1111111111",
    "AIza" + "SyFAKE-hardening-key-three-22222222",
]
# Parts of a key that would give it away even cut short or re-encoded.
NEEDLES = [*KEYS, *(key[8:30] for key in KEYS)]


# The client's retries without their backoff's wait (tests/fixtures/fetching.py).
pytestmark = pytest.mark.usefixtures("no_backoff_sleep")


def assert_no_key(text: str, where: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"a key in {where}"


@pytest.mark.django_db
def test_no_key_appears_in_logs_runs_pages_json_or_the_database(
    settings, simulator, simulator_url, simulator_clock, client, caplog
):
    settings.YOUTUBE_API_KEYS = KEYS
    settings.DEMO_MODE = False
    settings.YOUTUBE_API_ENDPOINT = simulator_url
    settings.YOUTUBE_NUM_RETRIES = 2
    settings.FETCH_MAX_PAGES = 3
    caplog.set_level("DEBUG")
    query = SearchQuery.objects.create(text="football")
    # Every error shape, for every key, each on a fresh day with fresh key states.
    for kind in INJECTABLE_KINDS:
        ApiKeyState.objects.all().delete()
        simulator_clock.set(quota.next_reset(simulator_clock()) + timedelta(minutes=1))
        for key in KEYS:
            simulator.inject(kind, key=key)
        services.fetch_query(query, clock=simulator_clock)
        services.fetch_query(query, clock=simulator_clock)
    assert simulator.stats.faults.keys() == set(INJECTABLE_KINDS)

    assert_no_key(caplog.text, "a log line")
    for record in caplog.records:
        assert_no_key(record.getMessage(), "a log record")
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert "feed.fetchrun" in dump.getvalue() and "feed.apikeystate" in dump.getvalue()
    assert_no_key(dump.getvalue(), "the database dump")

    pages = ["/api/v1/youtube/videos?limit=100", "/api/v1/openapi.json", "/healthz"]
    for name in ("dashboard-grid", "dashboard-status"):
        with contextlib.suppress(NoReverseMatch):  # the dashboard has not landed yet
            pages.append(reverse(name))
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_key(response.content.decode(), path)

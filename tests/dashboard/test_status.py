"""The status page: queries, keys, pacing and the hourly chart, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import caches

from dashboard import status
from feed import keys
from feed.models import FetchRun, SearchQuery, Video
from feed.youtube import fingerprint
from tests.fixtures.clock import NOW
from tests.fixtures.videos import FakeSnippet

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_keys(settings):
    settings.YOUTUBE_API_KEYS = ["key-one", "key-two", "key-three"]
    settings.DEMO_MODE = False
    settings.YOUTUBE_DAILY_QUOTA = 10_000
    return settings.YOUTUBE_API_KEYS


def stored_ago(youtube_ids: list[str], delta: timedelta) -> None:
    Video.objects.filter(youtube_id__in=youtube_ids).update(first_seen_at=NOW - delta)


def test_it_shows_each_query_with_its_last_poll_lag_counts_and_error(client, add_videos):
    now = NOW
    fresh = add_videos(3, published_at=now - timedelta(minutes=20, seconds=10), query="football")
    older = add_videos(2, published_at=now - timedelta(hours=5), query="football")
    stored_ago([s.youtube_id for s in older], timedelta(hours=5))
    add_videos(1, published_at=now - timedelta(days=3), query="cricket")
    stored_ago(
        list(Video.objects.filter(queries__text="cricket").values_list("youtube_id", flat=True)),
        timedelta(days=2),
    )
    football = SearchQuery.objects.get(text="football")
    cricket = SearchQuery.objects.get(text="cricket")
    SearchQuery.objects.filter(pk=football.pk).update(last_polled_at=now - timedelta(minutes=2))
    FetchRun.objects.create(
        query=football,
        started_at=now - timedelta(minutes=2),
        error_reason="quotaExceeded",
        error="the key's daily quota is spent (quotaExceeded)",
    )
    FetchRun.objects.create(
        query=cricket,
        started_at=now - timedelta(hours=2),
        error_reason="timeout",
        error="YouTube did not answer",
    )
    FetchRun.objects.create(
        query=cricket, started_at=now - timedelta(hours=1), new_videos=4, pages=1, units=101
    )

    html = client.get("/status").content.decode()
    rows = dict(re.findall(r'<th scope="row">(\w+).*?</th>(.*?)</tr>', html, re.S))
    assert ">2 min ago</time>" in rows["football"]
    assert "published 20 min ago" in rows["football"]
    assert re.search(
        r'<td class="num" data-label="[^"]+">3</td>\s*<td class="num" data-label="[^"]+">5</td>',
        rows["football"],
    )
    assert "the key&#x27;s daily quota is spent" in rows["football"]
    assert "never" in rows["cricket"]  # its runs were recorded, but last_polled_at not set
    assert re.search(
        r'<td class="num" data-label="[^"]+">0</td>\s*<td class="num" data-label="[^"]+">0</td>',
        rows["cricket"],
    )
    assert "YouTube did not answer in time" in rows["cricket"]
    assert "Polls since then succeeded." in rows["cricket"]
    assert len(fresh) == 3


def test_it_shows_each_key_state_spend_and_the_pacing_sentence(client, two_keys):
    now = NOW
    one, two, three = two_keys
    keys.charge(one, units=2500, now=now)
    keys.mark_exhausted(two, now=now, reason="quotaExceeded", message="spent")
    keys.disable(
        three,
        now=now,
        reason="API_KEY_INVALID",  # the newer, upper-case reason has words too
        message="API key not valid. Check YOUTUBE_API_KEYS.",
    )
    html = client.get("/status").content.decode()
    assert f"<code>{fingerprint(one)}</code>" in html
    assert "one" not in re.sub(r"<[^>]+>", "", html).split("API keys")[1].split("key-")[0]
    assert '<span class="state ok">ok</span>' in html
    assert re.search(r'<span class="state exhausted">exhausted until \d\d:\d\d PT</span>', html)
    disabled = '<span class="state disabled">disabled: the API key was rejected as invalid</span>'
    assert disabled in html
    assert '<meter min="0" max="10000" value="2500"' in html
    assert "2,500 of 10,000" in html
    assert "a poll every" in html or "nothing is polled" in html
    for secret in two_keys:
        assert secret not in html


def test_it_charts_the_videos_stored_per_hour(client, add_videos):
    now = NOW
    recent = add_videos(5, published_at=now - timedelta(minutes=30))
    three_hours = add_videos(2, published_at=now - timedelta(hours=3))
    stored_ago([s.youtube_id for s in three_hours], timedelta(hours=3))
    too_old = add_videos(4, published_at=now - timedelta(days=2))
    stored_ago([s.youtube_id for s in too_old], timedelta(hours=25))
    html = client.get("/status").content.decode()
    bars = re.findall(r'<rect class="bar[^"]*"[^>]*>\s*<title>[^<]*: (\d+) videos?</title>', html)
    assert len(bars) == 24
    assert int(bars[-1]) + int(bars[-2]) >= 5 or int(bars[-1]) == 5  # the last half hour
    assert sum(map(int, bars)) == 7
    assert "<strong>7</strong> videos stored in the last 24 hours" in html
    assert "<strong>5</strong> videos stored in the last hour" in html
    assert len(recent) == 5


def test_it_says_where_the_data_comes_from_in_demo_mode(client, settings):
    settings.DEMO_MODE = True
    html = client.get("/status").content.decode()
    assert "built-in YouTube simulator" in html
    assert "No search queries yet" in html


def test_it_runs_the_same_number_of_queries_whatever_it_shows(
    client, add_videos, two_keys, django_assert_num_queries, settings
):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get("/status").status_code == 200
        return len(captured)

    # With the cache off (tests/conftest.py): each view computes the page. With it on, a view
    # runs no query at all (test_it_computes_its_figures_once_for_a_few_seconds_and_says_when).
    assert not settings.STATUS_CACHE_SECONDS
    now = NOW
    add_videos(FakeSnippet(published_at=now), query="first")
    FetchRun.objects.create(query=SearchQuery.objects.get(text="first"), started_at=now)
    small = count_queries()
    for text in ["a", "b", "c", "d"]:
        add_videos(FakeSnippet(published_at=now), query=text)
        query = SearchQuery.objects.get(text=text)
        FetchRun.objects.create(query=query, started_at=now, error="x", error_reason="timeout")
        FetchRun.objects.create(query=query, started_at=now - timedelta(hours=1))
    for key in two_keys:
        keys.charge(key, units=100, now=now)
    assert count_queries() == small
    with django_assert_num_queries(small):
        client.get("/status")


def test_it_shows_how_long_after_publishing_each_query_stored_its_videos(client, add_videos):
    football = SearchQuery.objects.create(text="football", created_at=NOW - timedelta(days=2))
    for minutes in (1, 2, 3, 4, 300):
        (snippet,) = add_videos(
            FakeSnippet(published_at=NOW - timedelta(hours=6)), query="football"
        )
        Video.objects.filter(youtube_id=snippet.youtube_id).update(
            first_seen_at=NOW - timedelta(hours=6) + timedelta(minutes=minutes)
        )
    # Published before the query existed: its first poll's backfill, not a delay.
    add_videos(FakeSnippet(published_at=NOW - timedelta(days=3)), query="football")
    FetchRun.objects.create(query=football, started_at=NOW - timedelta(hours=2), late_videos=1)
    FetchRun.objects.create(query=football, started_at=NOW - timedelta(days=2), late_videos=9)
    html = client.get("/status").content.decode()
    row = dict(re.findall(r'<th scope="row">(\w+).*?</th>(.*?)</tr>', html, re.S))["football"]
    assert "median 3 min · p95 5 h · max 5 h" in row
    assert "over 5 videos; 1 found late by re-walks" in row


def test_it_shows_the_checks_backlog_removals_and_share(client, add_videos, two_keys):
    old, fresh, gone = add_videos(3)
    Video.objects.filter(youtube_id=old.youtube_id).update(check_due_at=NOW - timedelta(hours=1))
    Video.objects.filter(youtube_id=fresh.youtube_id).update(check_due_at=NOW + timedelta(hours=1))
    Video.objects.filter(youtube_id=gone.youtube_id).update(
        removed_at=NOW - timedelta(hours=2), check_due_at=NOW + timedelta(hours=1)
    )
    keys.charge(two_keys[0], units=7, now=NOW, check=True)
    text = re.sub(r"<[^>]+>", "", client.get("/status").content.decode())
    assert "1 video overdue for a check" in text
    assert "1 video removed from YouTube in the last 24 hours" in text
    assert "7 of 3,000 units of today's checks' share spent" in text


@pytest.fixture
def status_cache(settings):
    settings.STATUS_CACHE_SECONDS = 5
    cache = caches["status"]
    # Not clear(): on Redis that would empty the whole database, the rate limits' counters too.
    cache.delete_many([status.CACHE_KEY, status.COMPUTING_KEY])
    yield cache
    cache.delete_many([status.CACHE_KEY, status.COMPUTING_KEY])


def stored_day(html: str) -> str:
    return re.search(r"<strong>(\d+)</strong> videos? stored in the last 24 hours", html)[1]


def test_it_computes_its_figures_once_for_a_few_seconds_and_says_when(
    client, add_videos, clock, status_cache, django_assert_num_queries
):
    add_videos(2)
    first = client.get("/status").content.decode()
    assert stored_day(first) == "2" and ">16:00:00 UTC</time>" in first
    add_videos(3, published_at=NOW - timedelta(minutes=5))
    clock.advance(timedelta(seconds=4))
    with django_assert_num_queries(0):
        cached = client.get("/status").content.decode()
    assert stored_day(cached) == "2" and ">16:00:00 UTC</time>" in cached  # as of when computed
    clock.advance(timedelta(seconds=1))
    fresh = client.get("/status").content.decode()
    assert stored_day(fresh) == "5" and ">16:00:05 UTC</time>" in fresh


def test_it_shows_the_previous_figures_while_another_request_computes_them(
    client, add_videos, clock, status_cache, django_assert_max_num_queries
):
    add_videos(2)
    client.get("/status")
    add_videos(3, published_at=NOW - timedelta(minutes=5))
    clock.advance(timedelta(seconds=10))
    assert status_cache.add(status.COMPUTING_KEY, True)  # another thread or process
    with django_assert_max_num_queries(0):
        assert stored_day(client.get("/status").content.decode()) == "2"
    status_cache.delete(status.COMPUTING_KEY)  # it is done (or died)
    assert stored_day(client.get("/status").content.decode()) == "5"
    assert status_cache.get(status.COMPUTING_KEY) is None  # released after computing


def test_it_asks_for_a_staff_login_unless_public(client, django_user_model, settings):
    settings.STATUS_PUBLIC = False
    query = SearchQuery.objects.create(text="football")
    FetchRun.objects.create(
        query=query,
        started_at=NOW,
        error_reason="connectionError",
        error="[Errno 111] Connection refused: http://10.0.0.7:8080/youtube/v3/search",
    )
    response = client.get("/status")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/status"
    client.force_login(django_user_model.objects.create_user("reader", password="x" * 12))
    assert client.get("/status").status_code == 302  # signed in, but not staff
    client.force_login(
        django_user_model.objects.create_user("admin", password="x" * 12, is_staff=True)
    )
    html = client.get("/status").content.decode()
    assert "Connection refused: http://10.0.0.7:8080" in html
    settings.STATUS_PUBLIC = True
    client.logout()
    assert "Connection refused" in client.get("/status").content.decode()

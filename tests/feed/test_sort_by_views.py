"""sort=views: most viewed first, with its own exact cursor (feed.pagination.fetch_views_page)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feed import store
from feed.models import Video
from tests.feed.test_filters import Details, add_timed, ids
from tests.fixtures.plans import page_plan
from tests.fixtures.videos import T0, FakeSnippet, api_get

URL = "/api/v1/youtube/videos"


def set_views(views: dict[str, int | None], *, duration: int = 600) -> None:
    store.record_details(
        {vid: Details(duration, count) for vid, count in views.items()},
        asked=list(views),
        now=T0 + timedelta(hours=2),
    )


def walk(client, **params) -> list[str]:
    seen, token = [], params.pop("sync_token", None)
    while True:
        payload = api_get(client, **params, **({"sync_token": token} if token else {}))
        seen += ids(payload)
        if (token := payload["sync_token"]) is None:
            return seen
        assert isinstance(token, str)


def test_it_puts_the_most_viewed_first_hidden_counts_last_and_ties_newest_first(client, add_videos):
    add_timed(add_videos, {"older100vws": 600, "hiddencount": 600, "newer100vws": 600})
    add_timed(add_videos, {"a5000views1": 600, "unanswered1": None})
    set_views({"older100vws": 100, "hiddencount": None, "newer100vws": 100, "a5000views1": 5000})
    assert ids(api_get(client, sort="views")) == [
        "a5000views1",
        "newer100vws",
        "older100vws",
        # No count yet or a hidden one: below every known count, newest first.
        "unanswered1",
        "hiddencount",
    ]


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_its_cursor_walks_every_video_exactly_once(client, add_videos, limit):
    snippets = add_videos(12)
    add_videos(6, published_at=T0)  # same-second ties
    counts = [None, 0, 5, 5, 5, 17, 17, 900, 0]
    set_views({s.youtube_id: counts[i % len(counts)] for i, s in enumerate(snippets)})
    expected = [
        v.youtube_id
        for v in sorted(
            Video.objects.all(),
            key=lambda v: (v.view_count if v.view_count is not None else -1, v.sort_key),
            reverse=True,
        )
    ]
    assert walk(client, sort="views", limit=limit) == expected
    assert len(expected) == 18


def test_it_sorts_by_views_within_the_search_and_filters(client, add_videos):
    add_videos(
        FakeSnippet(youtube_id="teapopular1", title="tea"),
        FakeSnippet(youtube_id="teaquiet001", title="tea"),
        FakeSnippet(youtube_id="teashort001", title="tea #shorts"),
        FakeSnippet(youtube_id="coffeetop01", title="coffee"),
    )
    set_views({"teapopular1": 90, "teaquiet001": 3, "teashort001": 1000, "coffeetop01": 5000})
    assert walk(client, sort="views", q="tea", limit=1) == [
        "teashort001",
        "teapopular1",
        "teaquiet001",
    ]
    assert walk(client, sort="views", q="te", shorts="exclude", limit=1) == [
        "teapopular1",
        "teaquiet001",
    ]


def test_what_a_page_means_when_counts_move(client, add_videos):
    add_timed(add_videos, {f"moving{i:05d}": 600 for i in range(6)})
    set_views({f"moving{i:05d}": 100 * (i + 1) for i in range(6)})  # 100 .. 600
    first = api_get(client, sort="views", limit=2)
    assert ids(first) == ["moving00005", "moving00004"]
    # Between requests: a video already shown gains views, one not yet shown overtakes the
    # cursor, another gains views but stays below it.
    set_views({"moving00005": 10_000, "moving00000": 550, "moving00002": 420})
    rest = walk(client, sort="views", limit=2, sync_token=first["sync_token"])
    # Nothing twice; the one that overtook the cursor is not on this walk (a new walk has it).
    assert rest == ["moving00002", "moving00003", "moving00001"]
    assert "moving00000" in ids(api_get(client, sort="views"))


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"sort": "popular"}, "sort"),
        ({"sort": "views", "sync_token": "1764000000000000"}, "sync_token"),
        ({"sort": "views", "sync_token": "5_x"}, "sync_token"),
        ({"sort": "views", "sync_token": "-2_5"}, "sync_token"),
        ({"sort": "views", "sync_token": f"5_{2**63}"}, "sync_token"),
        ({"sync_token": "5_1764000000000000"}, "sync_token"),
    ],
)
def test_it_rejects_a_bad_sort_or_a_cursor_of_another_sort(client, add_videos, params, param):
    add_videos(1)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_sort_newest_and_oldest_work_in_the_api_too(client, add_videos):
    snippets = [s.youtube_id for s in add_videos(5)]
    assert ids(api_get(client, sort="oldest")) == snippets
    assert ids(api_get(client, sort="newest")) == list(reversed(snippets))
    assert ids(api_get(client, sort="")) == list(reversed(snippets))


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "views"},
        {"sort": "views", "sync_token": "50_1764000000000000"},
        {"sort": "views", "channel": "UCchannel0000000000000"},
        {"sort": "views", "duration": "long"},
    ],
)
def test_a_views_page_walks_an_index_and_sorts_nothing(client, add_videos, params):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's plan depends on statistics; make bench reads it at 1M")
    add_timed(add_videos, {f"planned{i:04d}": 600 for i in range(30)})
    plan = page_plan(client, URL, params)
    assert "_views" in plan and "TEMP B-TREE" not in plan, plan
    if "sync_token" in params:
        # A seek to the rest of the cursor's tie, not a walk of the tie from its top (824 ms for
        # a page deep in a tie of 1M videos).
        assert "=? AND sort_key<?" in plan, plan


def test_a_short_date_range_is_sorted_whole_and_pages_exactly_the_same(
    client, add_videos, monkeypatch
):
    from feed import search

    add_timed(add_videos, {f"ranged{i:05d}": 600 for i in range(12)})
    set_views({f"ranged{i:05d}": (i * 37) % 5 for i in range(12)})
    params = {"sort": "views", "published_after": "2026-11-28T12:00:03Z", "limit": 2}
    sorted_whole = walk(client, **params)
    monkeypatch.setattr(search, "VIEWS_RANGE_SORT_AT_MOST", 3)  # now: walk the views index
    assert walk(client, **params) == sorted_whole
    assert len(sorted_whole) == 9


def test_most_viewed_of_one_live_state_walks_its_own_index(client, add_videos):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's plan depends on statistics; make bench reads it at 1M")
    add_timed(add_videos, {f"premiere{i:03d}": None for i in range(5)}, live="upcoming")
    add_timed(add_videos, {f"regular{i:04d}": 600 for i in range(5)})
    with CaptureQueriesContext(connection) as captured:
        payload = api_get(client, sort="views", live="upcoming")
    assert {v["id"] for v in payload["videos"]} == {f"premiere{i:03d}" for i in range(5)}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + captured.captured_queries[-2]["sql"])
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "video_live_views" in plan and "TEMP B-TREE" not in plan, plan

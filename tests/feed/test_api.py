from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fixtures.videos import T0, FakeSnippet, api_get

URL = "/api/v1/youtube/videos"


def ids(payload: dict) -> list[str]:
    return [video["id"] for video in payload["videos"]]


def test_it_answers_with_and_without_trailing_slash(client, add_videos):
    add_videos(3)
    for path in (URL, URL + "/"):
        response = client.get(path)
        assert response.status_code == 200
        assert len(response.json()["videos"]) == 3


def test_it_returns_the_newest_first_in_the_documented_shape(client, add_videos):
    old, new = add_videos(
        FakeSnippet(youtube_id="oldvideo001", published_at=T0),
        FakeSnippet(
            youtube_id="newvideo001",
            published_at=T0 + timedelta(minutes=5),
            title="How to make tea?",
            description="Masala chai",
            channel_id="UCchai",
            channel_title="Chai & Cricket",
            live="upcoming",
        ),
        query="tea",
    )
    payload = api_get(client)
    assert ids(payload) == ["newvideo001", "oldvideo001"]
    assert payload["sync_token"] is None
    assert payload["videos"][0] == {
        "id": "newvideo001",
        "url": "https://www.youtube.com/watch?v=newvideo001",
        "title": "How to make tea?",
        "description": "Masala chai",
        "published_at": "2026-11-28T12:05:00Z",
        "channel_id": "UCchai",
        "channel_title": "Chai & Cricket",
        "thumbnails": new.thumbnails,
        "live": "upcoming",
        "queries": ["tea"],
        "duration_seconds": None,
        "view_count": None,
    }


def test_it_pages_with_the_sync_token_until_it_is_null(client, add_videos):
    stored = add_videos(7)
    first = api_get(client, limit=3)
    second = api_get(client, limit=3, sync_token=first["sync_token"])
    third = api_get(client, limit=3, sync_token=second["sync_token"])
    assert isinstance(first["sync_token"], int)
    assert ids(first) + ids(second) + ids(third) == [s.youtube_id for s in reversed(stored)]
    assert third["sync_token"] is None


def test_it_says_null_when_the_last_page_is_exactly_full(client, add_videos):
    add_videos(4)
    first = api_get(client, limit=2)
    second = api_get(client, limit=2, sync_token=first["sync_token"])
    assert len(second["videos"]) == 2
    assert second["sync_token"] is None


def test_it_treats_sync_token_zero_as_the_latest_videos(client, add_videos):
    add_videos(3)
    assert api_get(client, sync_token="0") == api_get(client)


def test_it_keeps_the_original_search_path_as_an_alias(client, add_videos):
    add_videos(FakeSnippet(title="Football final"), FakeSnippet(title="Cooking"))
    old_path = client.get("/api/v1/youtube/video/", {"q": "football"})
    assert old_path.status_code == 200
    assert [v["title"] for v in old_path.json()["videos"]] == ["Football final"]
    assert client.get("/api/v1/youtube/video", {"q": "football"}).json() == old_path.json()


def test_it_serves_the_postman_collections_requests(client, add_videos):
    add_videos(FakeSnippet(title="Football final"))
    for path in (
        "/api/v1/youtube/videos/?q=football&sync_token=0",
        "/api/v1/youtube/video/?q=football",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json()["videos"][0]["title"] == "Football final"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"sync_token": "abc"}, "sync_token"),
        ({"sync_token": "-1"}, "sync_token"),
        ({"sync_token": "99999999999999999999999"}, "sync_token"),
        ({"sync_token": "9223372036854775808"}, "sync_token"),
        ({"sync_token": "1.5"}, "sync_token"),
        ({"sync_token": ""}, "sync_token"),
        ({"sync_token": " 5"}, "sync_token"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "1000"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"published_after": "yesterday"}, "published_after"),
        ({"published_after": "2026-02-30T00:00:00Z"}, "published_after"),
        ({"published_before": "2026-13-01"}, "published_before"),
        ({"published_before": "2026-11-28T25:00:00Z"}, "published_before"),
        ({"q": "tea " * 2500}, "q"),
        ({"live": "sometimes"}, "live"),
        ({"channel": "x" * 65}, "channel"),
    ],
)
def test_it_rejects_bad_parameters_with_a_json_error(client, db, params, param):
    response = client.get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param
    assert error["message"]


def test_it_ignores_unknown_parameters(client, add_videos):
    add_videos(2)
    assert api_get(client, colour="blue", page="7") == api_get(client)


def test_it_honours_limit(client, add_videos):
    add_videos(5)
    assert len(api_get(client, limit=1)["videos"]) == 1
    assert len(api_get(client, limit=100)["videos"]) == 5


def test_it_filters_by_channel_query_and_live(client, add_videos):
    add_videos(
        FakeSnippet(youtube_id="a", channel_id="UCone", live="live"),
        FakeSnippet(youtube_id="b", channel_id="UCtwo"),
        query="football",
    )
    add_videos(FakeSnippet(youtube_id="c", channel_id="UCone"), query="cricket")
    # All published in the same second: the later stored comes first.
    assert ids(api_get(client, channel="UCone")) == ["c", "a"]
    # Stored together: the order they were given in (YouTube's, newest first).
    assert ids(api_get(client, query="football")) == ["a", "b"]
    assert ids(api_get(client, query="cricket")) == ["c"]
    assert ids(api_get(client, live="live")) == ["a"]
    assert ids(api_get(client, channel="UCone", query="cricket")) == ["c"]
    assert ids(api_get(client, query="nothing")) == []


def test_it_filters_by_publish_time_with_inclusive_bounds(client, add_videos):
    add_videos(5)  # T0 .. T0+4s
    at = T0 + timedelta(seconds=1)
    until = T0 + timedelta(seconds=3)
    payload = api_get(client, published_after=at.isoformat(), published_before=until.isoformat())
    assert [v["published_at"] for v in payload["videos"]] == [
        "2026-11-28T12:00:03Z",
        "2026-11-28T12:00:02Z",
        "2026-11-28T12:00:01Z",
    ]
    # A fraction of a second after a video's second excludes it from "after".
    later = api_get(client, published_after="2026-11-28T12:00:03.5Z")
    assert [v["published_at"] for v in later["videos"]] == ["2026-11-28T12:00:04Z"]
    assert len(api_get(client, published_after="2026-11-28")["videos"]) == 5


def test_it_pins_three_queries_per_request(client, add_videos, django_assert_num_queries):
    add_videos(30, query="football")
    # the change log's position, the page, and the queries that found its videos
    with django_assert_num_queries(3):
        payload = api_get(client, q="video", query="football", limit=20)
    with django_assert_num_queries(3):
        api_get(client, sync_token=payload["sync_token"], published_after="2026-01-01")
    with django_assert_num_queries(3):
        api_get(client, channel="UCchannel0000000000000", live="none")


def test_it_sizes_a_filtered_set_before_searching_it(client, add_videos, django_assert_num_queries):
    from django.db import connection

    add_videos(30)
    # SQLite: a capped count of the channel's videos picks the search plan (feed/search.py).
    expected = 4 if connection.vendor == "sqlite" else 3
    with django_assert_num_queries(expected):
        assert len(api_get(client, q="video", channel="UCchannel0000000000000")["videos"]) == 20


def test_it_answers_an_empty_store_with_an_empty_page(client, db):
    assert api_get(client) == {"videos": [], "sync_token": None, "changes_since": 0}


def test_it_refuses_writes(client, db):
    assert client.post(URL).status_code == 405


def test_it_answers_an_internal_error_with_the_json_error_body(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("feed.api.pagination.fetch_page", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/youtube/videos")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"param": None, "message": "internal error: it is logged; try again in a moment"}
    }
    # The pages keep the site's HTML page.
    monkeypatch.setattr("dashboard.views.pagination.fetch_page", broken)
    page = client.get("/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert b"Something went wrong" in page.content

"""sort=relevance: best match first among the newest matches (pagination.fetch_relevance_page)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.feed.test_filters import ids
from tests.fixtures.videos import T0, FakeSnippet, api_get

URL = "/api/v1/youtube/videos"


def walk(client, **params) -> list[str]:
    seen, token = [], None
    while True:
        payload = api_get(client, **params, **({"sync_token": token} if token else {}))
        seen += ids(payload)
        if (token := payload["sync_token"]) is None:
            return seen


def at(minutes: int) -> dict:
    return {"published_at": T0 + timedelta(minutes=minutes)}


def test_it_ranks_a_title_match_above_a_mention_in_a_long_description(client, add_videos):
    add_videos(
        FakeSnippet(youtube_id="titlematch1", title="Masala tea", **at(0)),
        FakeSnippet(
            youtube_id="mentioned01",
            title="Cooking show",
            description="we cook rice and dal and, at the very end, make a cup of tea for all",
            **at(5),
        ),
        FakeSnippet(youtube_id="nomatch0001", title="Coffee", **at(9)),
    )
    assert ids(api_get(client, q="tea")) == ["mentioned01", "titlematch1"]  # newest first
    assert ids(api_get(client, q="tea", sort="relevance")) == ["titlematch1", "mentioned01"]


def test_equal_matches_come_newest_first_and_the_cursor_walks_each_once(client, add_videos):
    longer = [s.youtube_id for s in add_videos(7, title="tea time")]
    shorter = [s.youtube_id for s in add_videos(3, title="tea", published_at=T0)]  # ties
    expected = walk(client, q="tea", sort="relevance", limit=100)
    assert sorted(expected) == sorted(longer + shorter)
    # Equal texts score the same: among them, newest first.
    assert [v for v in expected if v in longer] == list(reversed(longer))
    assert [v for v in expected if v in shorter] == list(reversed(shorter))
    for limit in (1, 2, 3):
        assert walk(client, q="tea", sort="relevance", limit=limit) == expected


def test_later_pages_rank_the_same_candidates_when_videos_arrive(client, add_videos):
    add_videos(4, title="tea")
    first = api_get(client, q="tea", sort="relevance", limit=2)
    add_videos(FakeSnippet(youtube_id="latearrival", title="tea tea", **at(60)))
    rest = walk(client, q="tea", sort="relevance", limit=2, sync_token=first["sync_token"])
    assert len(ids(first) + rest) == 4 and "latearrival" not in rest
    assert "latearrival" in ids(api_get(client, q="tea", sort="relevance"))


def test_it_ranks_only_the_newest_candidates(client, add_videos, monkeypatch):
    from feed import search

    monkeypatch.setattr(search, "RELEVANCE_CANDIDATES", 5)
    snippets = add_videos(8, title="tea")
    newest = {s.youtube_id for s in snippets[-5:]}
    assert set(walk(client, q="tea", sort="relevance", limit=2)) == newest


def test_it_ranks_within_the_filters(client, add_videos):
    add_videos(3, title="tea", channel_id="UCmine")
    add_videos(3, title="tea tea", channel_id="UCother")
    shown = walk(client, q="tea", sort="relevance", channel="UCmine", limit=2)
    assert len(shown) == 3
    assert set(shown) == set(ids(api_get(client, q="tea", channel="UCmine")))


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "relevance"},
        {"sort": "relevance", "q": "!!!"},
        {"sort": "relevance", "q": "https://youtu.be/vid00000001"},
        {"sort": "relevance", "live": "none"},
    ],
)
def test_relevance_without_words_is_a_400_naming_sort(client, add_videos, params):
    add_videos(1, title="tea")
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "sort"


@pytest.mark.parametrize("token", ["1764000000000000", "5_-1", "x_1", "1_12345", "12"])
def test_a_cursor_of_another_sort_is_a_400(client, add_videos, token):
    add_videos(1, title="tea")
    response = client.get(URL, {"sort": "relevance", "q": "tea", "sync_token": token})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "sync_token"


def test_within_a_small_channel_it_ranks_as_fts5_ranks_the_whole_feed(client, add_videos):
    # SQLite probes the index per video of a small channel, and bm25 is then computed outside
    # FTS5 (feed.ranking); the order must be the one FTS5's own bm25 gives.
    texts = [
        ("Tea", ""),
        ("Masala tea", "how to make masala tea"),
        ("Cooking", "rice, dal and a cup of tea at the very end of a long evening"),
        ("Tea tea", "tea"),
        ("Green tea, brewed at 80 degrees", ""),
        ("Teapots", "and teacups"),
    ]
    small = [
        s.youtube_id
        for s in add_videos(
            *(
                FakeSnippet(title=title, description=text, channel_id="UCsmall", **at(i))
                for i, (title, text) in enumerate(texts)
            )
        )
    ]
    add_videos(20, title="tea for others", channel_id="UCother", published_at=T0)
    everywhere = walk(client, q="tea", sort="relevance", limit=100)
    with CaptureQueriesContext(connection) as queries:
        in_channel = walk(client, q="tea", sort="relevance", channel="UCsmall", limit=2)
    assert in_channel == [v for v in everywhere if v in small]
    assert len(set(in_channel)) == len(texts)
    if connection.vendor == "sqlite":  # scored outside FTS5: no bm25() in any statement
        assert not any("bm25(" in q["sql"] for q in queries.captured_queries)

"""The grid's Atom and JSON Feed twins (dashboard/feeds.py), read with a real feed parser."""

from __future__ import annotations

import calendar
import json
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import feedparser
import pytest
from django.utils.http import http_date

from dashboard.feeds import CANDIDATES, FEED_SIZE
from feed.models import Video
from tests.fixtures.clock import NOW
from tests.fixtures.videos import T0, FakeSnippet

ATOM = "/feed.atom"
JSON = "/feed.json"
HOST = "http://testserver"


def get(client, path: str, params: dict | str, **headers):
    if isinstance(params, str):
        return client.get(f"{path}?{params}" if params else path, headers=headers)
    return client.get(path, params, headers=headers)


def atom(client, params: dict | str = "", **headers) -> feedparser.FeedParserDict:
    response = get(client, ATOM, params, **headers)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def json_feed(client, params: dict | str = "") -> dict:
    """The JSON Feed, checked against the spec (feedparser 6 reads no JSON Feed)."""
    response = get(client, JSON, params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/feed+json; charset=utf-8"
    document = json.loads(response.content)
    assert_valid_json_feed(document)
    return document


def assert_valid_json_feed(document: dict) -> None:
    """What JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) requires, and what this
    product promises of each item."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    assert isinstance(document["items"], list)
    for key in ("home_page_url", "feed_url"):
        assert document[key].startswith(HOST + "/")
    for item in document["items"]:
        # Required: a string id, and content_html or content_text.
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item["content_text"], str)
        assert set(item) <= {
            "id",
            "url",
            "title",
            "content_text",
            "image",
            "date_published",
            "date_modified",
            "authors",
        }
        for key in ("date_published", "date_modified"):
            # RFC 3339, with its offset.
            assert re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", item[key]
            )
        assert all(isinstance(a["name"], str) and a["name"] for a in item["authors"])


def atom_ids(parsed) -> list[str]:
    return [entry.link.rsplit("=", 1)[1] for entry in parsed.entries]


def json_ids(document: dict) -> list[str]:
    return [item["url"].rsplit("=", 1)[1] for item in document["items"]]


def test_an_atom_entry_carries_the_watch_link_thumbnail_channel_and_times(
    client, add_videos, clock
):
    (video,) = add_videos(
        FakeSnippet(
            youtube_id="Tq7mK2pL9xA",
            published_at=NOW - timedelta(hours=2),
            title="How to make tea? <b>chai</b> & more",
            description="Masala chai.\nSecond line",
            channel_id="UCchai00000000000000000",
            channel_title="Chai & Cricket",
        )
    )
    parsed = atom(client, {"q": "tea"})
    assert parsed.feed.title == "Videos matching “tea” · Video feed"
    assert parsed.feed.link == f"{HOST}/?q=tea"
    assert {(link.rel, link.href) for link in parsed.feed.links} == {
        ("alternate", f"{HOST}/?q=tea"),
        ("self", f"{HOST}/feed.atom?q=tea"),
    }
    assert calendar.timegm(parsed.feed.updated_parsed) == int(NOW.timestamp())
    (entry,) = parsed.entries
    assert entry.id == entry.link == "https://www.youtube.com/watch?v=Tq7mK2pL9xA"
    assert entry.title == "How to make tea? <b>chai</b> & more"
    assert entry.author == "Chai & Cricket"
    assert entry.author_detail.href == "https://www.youtube.com/channel/UCchai00000000000000000"
    assert calendar.timegm(entry.published_parsed) == int(video.published_at.timestamp())
    # Updated: when the feed stored it, the time entries are ordered by.
    assert calendar.timegm(entry.updated_parsed) == int(NOW.timestamp())
    assert entry.media_thumbnail == [{"url": "https://i.ytimg.com/vi/x/hqdefault.jpg"}]
    # The summary shows the thumbnail and the description, escaped.
    assert '<img alt="" src="https://i.ytimg.com/vi/x/hqdefault.jpg"' in entry.summary
    assert "Masala chai.<br />Second line" in entry.summary


def test_a_json_feed_item_carries_the_same_fields(client, add_videos):
    add_videos(
        FakeSnippet(
            youtube_id="Tq7mK2pL9xA",
            published_at=NOW - timedelta(hours=2),
            title="How to make tea?",
            description="Masala chai",
            channel_id="UCchai00000000000000000",
            channel_title="Chai & Cricket",
        )
    )
    document = json_feed(client, {"q": "tea", "channel": "UCchai00000000000000000"})
    assert document["title"] == "Videos matching “tea” · Video feed"
    assert document["home_page_url"] == f"{HOST}/?q=tea&channel=UCchai00000000000000000"
    assert document["feed_url"] == f"{HOST}/feed.json?q=tea&channel=UCchai00000000000000000"
    assert document["items"] == [
        {
            "id": "https://www.youtube.com/watch?v=Tq7mK2pL9xA",
            "url": "https://www.youtube.com/watch?v=Tq7mK2pL9xA",
            "title": "How to make tea?",
            "content_text": "Masala chai",
            "image": "https://i.ytimg.com/vi/x/hqdefault.jpg",
            "date_published": "2026-11-28T14:00:00+00:00",
            "date_modified": "2026-11-28T16:00:00+00:00",
            "authors": [
                {
                    "name": "Chai & Cricket",
                    "url": "https://www.youtube.com/channel/UCchai00000000000000000",
                }
            ],
        }
    ]


def test_a_video_stored_late_comes_before_newer_published_ones(client, add_videos, clock):
    newer = add_videos(FakeSnippet(published_at=NOW - timedelta(minutes=5), title="tea newer"))
    clock.advance(timedelta(minutes=10))
    # YouTube's search showed this one late: published an hour earlier, stored after.
    late = add_videos(FakeSnippet(published_at=NOW - timedelta(hours=1), title="tea late"))
    order = [late[0].youtube_id, newer[0].youtube_id]
    assert atom_ids(atom(client)) == order
    assert json_ids(json_feed(client, {"q": "tea"})) == order
    # The grid, by publish time, shows them the other way round.
    grid = client.get("/").content.decode()
    assert grid.index(newer[0].youtube_id) < grid.index(late[0].youtube_id)


def test_videos_stored_together_come_newest_published_first(client, add_videos):
    snippets = add_videos(3)
    expected = [s.youtube_id for s in reversed(snippets)]
    assert atom_ids(atom(client)) == expected
    assert json_ids(json_feed(client)) == expected


def test_it_lists_the_fifty_most_recently_stored(client, add_videos, clock):
    first = add_videos(FEED_SIZE)
    clock.advance(timedelta(minutes=1))
    second = add_videos(5, published_at=T0 - timedelta(days=1))
    ids = atom_ids(atom(client))
    assert len(ids) == FEED_SIZE
    assert ids[:5] == [s.youtube_id for s in reversed(second)]
    assert ids[5:] == [s.youtube_id for s in reversed(first)][: FEED_SIZE - 5]
    assert len(json_feed(client)["items"]) == FEED_SIZE


def test_without_a_search_a_video_stored_late_is_listed_however_old(client, add_videos, clock):
    add_videos(CANDIDATES, title="tea")
    clock.advance(timedelta(minutes=1))
    late = add_videos(FakeSnippet(published_at=T0 - timedelta(days=30), title="tea"))
    assert atom_ids(atom(client))[0] == late[0].youtube_id
    assert json_ids(json_feed(client, {"live": "none"}))[0] == late[0].youtube_id


def test_the_videos_stored_last_are_filtered_as_the_grid_filters(client, add_videos, clock):
    # Newer-published matches than the late videos fill every candidate: only the walk of the
    # videos stored last can find those.
    add_videos(CANDIDATES, channel_id="UCa", live="live", query="sport")
    clock.advance(timedelta(minutes=1))
    old = T0 - timedelta(days=30)
    (match,) = add_videos(
        FakeSnippet(published_at=old, channel_id="UCa", live="live"), query="sport"
    )
    add_videos(FakeSnippet(published_at=old, channel_id="UCa", live="live"), query="other")
    add_videos(FakeSnippet(published_at=old, channel_id="UCb", live="live"), query="sport")
    add_videos(FakeSnippet(published_at=old, channel_id="UCa", live="none"), query="sport")
    (removed,) = add_videos(
        FakeSnippet(published_at=old, channel_id="UCa", live="live"), query="sport"
    )
    Video.objects.filter(youtube_id=removed.youtube_id).update(removed_at=NOW)
    params = {
        "channel": "UCa",
        "live": "live",
        "query": "sport",
        "published_after": (old - timedelta(days=1)).isoformat(),
    }
    for ids in (atom_ids(atom(client, params)), json_ids(json_feed(client, params))):
        assert ids[0] == match.youtube_id
        assert len(ids) == FEED_SIZE
        assert set(
            Video.objects.filter(youtube_id__in=ids[1:]).values_list("published_at", flat=True)
        ) <= {T0 + timedelta(seconds=i) for i in range(CANDIDATES)}


def test_a_search_picks_from_its_newest_published_matches(client, add_videos, clock):
    # The documented bound: a video stored late is listed as long as fewer than CANDIDATES
    # matching videos were published after it.
    listed = add_videos(CANDIDATES, title="tea")
    clock.advance(timedelta(minutes=1))
    within = add_videos(FakeSnippet(published_at=T0 + timedelta(seconds=1), title="tea"))
    beyond = add_videos(FakeSnippet(published_at=T0 - timedelta(seconds=1), title="tea"))
    ids = atom_ids(atom(client, {"q": "tea"}))
    assert beyond[0].youtube_id not in ids
    assert ids[0] == within[0].youtube_id
    assert ids[1:] == [s.youtube_id for s in reversed(listed)][: FEED_SIZE - 1]


def test_it_applies_the_grids_filters(client, add_videos):
    add_videos(2, title="How to make tea?", channel_id="UCtea", query="drinks")
    add_videos(1, title="How to make tea?", channel_id="UCother", live="live", query="drinks")
    add_videos(1, title="Football highlights", channel_id="UCtea", query="sport")
    tea = [v.youtube_id for v in Video.objects.filter(title__contains="tea")]
    cases = {
        "q=tea+how": set(tea),
        "q=tea&channel=UCtea": set(tea) - {Video.objects.get(live="live").youtube_id},
        "query=sport": {Video.objects.get(title__startswith="Football").youtube_id},
        "live=live&sort=oldest": {Video.objects.get(live="live").youtube_id},
        "published_before=2026-11-27": set(),
        "q=nothing": set(),
    }
    for params, expected in cases.items():
        assert set(atom_ids(atom(client, params))) == expected, params
        assert set(json_ids(json_feed(client, params))) == expected, params


def test_removed_videos_never_appear(client, add_videos, clock):
    kept, removed = add_videos(2, title="tea")
    Video.objects.filter(youtube_id=removed.youtube_id).update(removed_at=NOW)
    assert atom_ids(atom(client)) == [kept.youtube_id]
    assert json_ids(json_feed(client, {"q": "tea"})) == [kept.youtube_id]


def test_an_empty_feed_is_valid(client, db):
    parsed = atom(client, {"q": "nothing"})
    assert parsed.entries == []
    assert calendar.timegm(parsed.feed.updated_parsed) == int(NOW.timestamp())
    assert json_feed(client)["items"] == []


@pytest.mark.parametrize("path", [ATOM, JSON])
def test_it_answers_304_until_the_entries_change(client, add_videos, clock, path):
    add_videos(2, title="tea")
    first = client.get(path, {"q": "tea"})
    etag, modified = first["ETag"], first["Last-Modified"]
    assert modified == http_date(NOW.timestamp())
    again = client.get(path, {"q": "tea"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    since = client.get(path, {"q": "tea"}, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    # Another search is another feed.
    assert client.get(path, {"q": "te"}, headers={"If-None-Match": etag}).status_code == 200

    clock.advance(timedelta(minutes=1))
    add_videos(1, title="tea", published_at=T0 - timedelta(hours=1))
    changed = client.get(path, {"q": "tea"}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert (
        client.get(path, {"q": "tea"}, headers={"If-Modified-Since": modified}).status_code == 200
    )


@pytest.mark.parametrize("path", [ATOM, JSON])
def test_a_removal_changes_the_etag(client, add_videos, path):
    snippets = add_videos(2, title="tea")
    etag = client.get(path)["ETag"]
    Video.objects.filter(youtube_id=snippets[0].youtube_id).update(removed_at=NOW)
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("path", [ATOM, JSON])
@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"live": "sometimes"}, "live"),
        ({"when": "yesterday"}, "when"),
        ({"sort": "random"}, "sort"),
        ({"published_after": "2026-13-45"}, "published_after"),
        ({"q": "a1 b2 c3 d4 e5 f6 g7 h8 i9"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"published_after": "2026-11-28", "published_before": "2026-11-01"}, "published_before"),
    ],
)
def test_bad_values_get_the_apis_400_naming_the_parameter(client, db, path, params, param):
    response = client.get(path, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["message"]
    assert "ETag" not in response
    # The grid refuses the same values.
    assert client.get("/", params).status_code == 400


def test_paging_parameters_of_a_grid_url_are_ignored(client, add_videos):
    snippets = add_videos(2)
    params = {"sync_token": "12", "since": "x", "shown": "999", "seen": "1"}
    assert atom_ids(atom(client, params)) == [s.youtube_id for s in reversed(snippets)]


def test_the_grid_links_its_feeds_in_the_head_and_visibly(client, add_videos):
    add_videos(1, title="How to make tea?")
    params = {"q": "tea how", "channel": "UCchannel0000000000000", "sort": "oldest"}
    feeds = "q=tea+how&amp;channel=UCchannel0000000000000"
    html = client.get("/", params).content.decode()
    head = html[: html.index("</head>")]
    assert (
        f'<link id="feed-atom" rel="alternate" type="application/atom+xml" '
        f'title="Atom feed of these videos" href="/feed.atom?{feeds}">'
    ) in head
    assert (
        f'<link id="feed-json" rel="alternate" type="application/feed+json" '
        f'title="JSON Feed of these videos" href="/feed.json?{feeds}">'
    ) in head
    fragment = client.get("/", params, headers={"HX-Request": "true"}).content.decode()
    for page in (html, fragment):
        assert (
            f'<a href="/feed.atom?{feeds}" type="application/atom+xml" data-feed="atom">'
            "Subscribe</a>"
        ) in page
        assert f'<a href="/?{feeds}&amp;sort=oldest" data-copy>Copy link</a>' in page
    # Every link the grid gives is a feed that answers.
    assert atom(client, urlencode(params)).entries


def test_the_feeds_count_against_the_grids_rate_limit(client, db, settings, clock, monkeypatch):
    monkeypatch.setattr(
        "django_ratelimit.core.time", SimpleNamespace(time=lambda: clock().timestamp())
    )
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_CACHE_PREFIX = f"rl-test-{uuid.uuid4().hex}:"
    settings.RATE_LIMITS = {"api": "100/m", "grid": "2/h", "status": "100/m"}
    settings.TRUSTED_PROXY_HOPS = 0
    assert client.get("/").status_code == 200
    assert client.get(ATOM).status_code == 200
    limited = client.get(JSON)
    assert limited.status_code == 429 and "Retry-After" in limited
    assert client.get("/api/v1/youtube/videos").status_code == 200


def test_markup_in_a_json_feed_is_escaped_text(client, add_videos):
    add_videos(1, title="<script>alert(1)</script> & tea")
    response = client.get(JSON, {"q": "<tea>"})
    assert b"<" not in response.content and b"&" not in response.content
    document = json.loads(response.content)
    assert document["title"] == "Videos matching “<tea>” · Video feed"
    assert document["items"][0]["title"] == "<script>alert(1)</script> & tea"

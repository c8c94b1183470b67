"""The duration and Shorts filters (feed.filters, feed.models.classify), through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection

from feed import pagination, store
from feed.filters import VideoFilter
from feed.models import Video
from tests.fixtures.plans import page_plan
from tests.fixtures.videos import T0, FakeSnippet, api_get

URL = "/api/v1/youtube/videos"


@dataclass(frozen=True)
class Details:
    duration_seconds: int | None
    view_count: int | None = None


def ids(payload: dict) -> list[str]:
    return [video["id"] for video in payload["videos"]]


def add_timed(add_videos, durations: dict[str, int | None], **fields) -> None:
    """One video per id, the first the oldest; a duration of None: videos.list never answered
    about it. `live` in fields makes them streams (YouTube then says P0D: 0)."""
    snippets = [
        FakeSnippet(youtube_id=vid, published_at=T0 + timedelta(seconds=i), **fields)
        for i, vid in enumerate(durations)
    ]
    add_videos(*snippets)
    answered = {vid: Details(seconds) for vid, seconds in durations.items() if seconds is not None}
    store.record_details(answered, asked=list(answered), now=T0 + timedelta(hours=1))


@pytest.fixture
def catalogue(add_videos) -> None:
    add_timed(
        add_videos,
        {
            "sec180short": 180,
            "sec181xxxxx": 181,
            "sec239xxxxx": 239,
            "sec240xxxxx": 240,
            "sec1200xxxx": 1200,
            "sec1201xxxx": 1201,
            "unanswered1": None,
        },
    )
    add_timed(add_videos, {"livestream1": 0}, live="live")
    add_timed(add_videos, {"premiere001": None}, live="upcoming")


UNKNOWN = {"unanswered1", "livestream1", "premiere001"}


@pytest.mark.parametrize(
    ("bucket", "known"),
    [
        ("short", {"sec180short", "sec181xxxxx", "sec239xxxxx"}),
        ("medium", {"sec240xxxxx", "sec1200xxxx"}),
        ("long", {"sec1201xxxx"}),
    ],
)
def test_it_buckets_by_duration_as_youtube_does_and_hides_no_unknown_length(
    client, catalogue, bucket, known
):
    assert set(ids(api_get(client, duration=bucket))) == known | UNKNOWN


def test_it_tells_shorts_by_duration_of_at_most_three_minutes(client, catalogue):
    assert ids(api_get(client, shorts="only")) == ["sec180short"]
    assert "sec180short" not in ids(api_get(client, shorts="exclude"))
    # Not known to be Shorts: never hidden by "exclude".
    assert set(ids(api_get(client, shorts="exclude"))) >= UNKNOWN | {"sec181xxxxx"}


def test_it_tells_shorts_by_the_shorts_tag_even_before_the_duration_is_known(client, add_videos):
    add_videos(
        FakeSnippet(youtube_id="taggedtitle", title="Goal of the day #Shorts"),
        FakeSnippet(youtube_id="taggeddescr", description="more at #shorts"),
        FakeSnippet(youtube_id="plainvideo1", title="shorts for summer"),
    )
    assert set(ids(api_get(client, shorts="only"))) == {"taggedtitle", "taggeddescr"}
    assert ids(api_get(client, shorts="exclude")) == ["plainvideo1"]


def test_only_shorts_of_a_longer_bucket_are_the_tagged_ones(client, add_videos):
    add_timed(add_videos, {"shortbytime": 100, "plainlong01": 1500})
    add_videos(
        FakeSnippet(youtube_id="taggedlong1", title="#shorts compilation"),
        FakeSnippet(youtube_id="taggednodur", title="no details yet #shorts"),
    )
    store.record_details(
        {"taggedlong1": Details(1500)}, asked=["taggedlong1"], now=T0 + timedelta(hours=1)
    )
    assert set(ids(api_get(client, shorts="only", duration="long"))) == {
        "taggedlong1",
        "taggednodur",
    }
    assert ids(api_get(client, shorts="only", duration="medium")) == ["taggednodur"]
    assert set(ids(api_get(client, shorts="only", duration="short"))) == {
        "shortbytime",
        "taggednodur",
    }


def test_it_classifies_again_when_the_details_or_the_title_change(client, add_videos):
    add_timed(add_videos, {"growingshrt": None})
    assert ids(api_get(client, shorts="only")) == []
    store.record_details(
        {"growingshrt": Details(59)}, asked=["growingshrt"], now=T0 + timedelta(hours=1)
    )
    assert ids(api_get(client, shorts="only")) == ["growingshrt"]
    assert ids(api_get(client, duration="long")) == []

    # A stream that ended keeps its stored duration; a re-poll that tags it makes it a Short.
    add_timed(add_videos, {"retitled001": 1500})
    assert ids(api_get(client, duration="long")) == ["retitled001"]
    add_videos(FakeSnippet(youtube_id="retitled001", title="Now a #shorts"))
    assert set(ids(api_get(client, shorts="only"))) == {"growingshrt", "retitled001"}
    assert ids(api_get(client, duration="long")) == ["retitled001"]


def test_it_pages_a_filtered_feed_exactly(client, add_videos):
    durations = {f"paged{i:06d}": (100 if i % 3 else 3000) for i in range(20)}
    add_timed(add_videos, durations)
    add_videos(5, published_at=T0 + timedelta(seconds=3))  # ties, length unknown
    expected = list(
        Video.objects.filter(length__in=[0, 3])
        .order_by("-sort_key")
        .values_list("youtube_id", flat=True)
    )
    seen, token = [], None
    while True:
        payload = api_get(
            client, duration="long", limit=3, **({"sync_token": token} if token else {})
        )
        seen += ids(payload)
        if (token := payload["sync_token"]) is None:
            break
    assert seen == expected
    assert len(expected) == 7 + 5


@pytest.mark.parametrize(
    ("param", "value"),
    [("duration", "tiny"), ("duration", "SHORT"), ("shorts", "hide"), ("shorts", "1")],
)
def test_it_rejects_an_unknown_value_naming_the_parameter(client, add_videos, param, value):
    add_videos(1)
    response = client.get(URL, {param: value})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_an_empty_value_applies_no_filter(client, catalogue):
    assert len(ids(api_get(client, duration="", shorts=""))) == 9


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"duration": "short"}, "video_short_sort"),
        ({"duration": "long", "sync_token": "1764000000000000"}, "video_long_sort"),
        ({"shorts": "only"}, "video_shorts_sort"),
        ({"shorts": "exclude"}, "video_not_shorts_sort"),
        ({"shorts": "only", "duration": "long"}, "video_tagged_shorts_sort"),
    ],
)
def test_a_filtered_page_walks_the_filters_partial_index(client, catalogue, params, index):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's plan depends on statistics; make bench reads it at 1M")
    plan = page_plan(client, URL, params)
    assert index in plan and "TEMP B-TREE" not in plan, plan


def test_the_filters_say_how_to_page_what_they_keep_before_anything_is_read(add_videos):
    add_videos(3, title="tea", channel_id="UCsmall")
    add_videos(3, title="tea")
    cases = [
        ({"q": "tea", "channel": "UCsmall"}, Video.listed().filter(channel_id="UCsmall")),
        ({"q": "tea"}, Video.listed()),
    ]
    for params, kept in cases:
        filterset = VideoFilter(params, queryset=Video.listed())
        assert filterset.is_valid()
        # The column first: it must not depend on the queryset having been built before.
        column = filterset.filtered.column
        page = pagination.fetch_page(filterset.qs, cursor=None, limit=2, column=column)
        assert page.items == list(kept.order_by("-sort_key")[:2])
        assert page.next_token is not None
        if connection.vendor == "sqlite":
            # A small channel's search probes the full-text index per video; the whole feed's
            # walks the index, whose rowid is then the sort key (feed.search.apply).
            walks = "channel" not in params
            assert column == ("feed_video_fts.rowid" if walks else "feed_video.sort_key")

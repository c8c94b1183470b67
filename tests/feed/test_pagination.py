from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feed import store
from feed.models import Video
from feed.pagination import BadParameter, parse_limit, parse_token
from tests.fixtures.plans import page_plan
from tests.fixtures.videos import T0, FakeSnippet, api_get

# Few distinct seconds, so that many videos share one: the hard case for a cursor.
offsets = st.lists(st.integers(min_value=0, max_value=6), min_size=0, max_size=40)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    existing=offsets,
    inserts=st.lists(offsets, max_size=8),
    limit=st.integers(min_value=1, max_value=7),
    search=st.booleans(),
)
def test_it_walks_every_video_exactly_once_in_order_despite_inserts(
    client, db, existing, inserts, limit, search
):
    Video.objects.all().delete()
    batches = iter(inserts)

    def store_at(seconds: list[int]) -> list[str]:
        snippets = [
            FakeSnippet(published_at=T0 + timedelta(seconds=s), title="tea time") for s in seconds
        ]
        store.upsert_videos(snippets)
        return [s.youtube_id for s in snippets]

    before = store_at(existing)
    expected = list(
        Video.objects.filter(youtube_id__in=before)
        .order_by("-sort_key")
        .values_list("youtube_id", flat=True)
    )
    walked: list[str] = []
    keys: list[int] = []
    params = {"limit": limit, **({"q": "tea ti"} if search else {})}
    token = None
    while True:
        payload = api_get(client, **params, **({"sync_token": token} if token else {}))
        walked += [v["id"] for v in payload["videos"]]
        keys += list(
            Video.objects.filter(youtube_id__in=[v["id"] for v in payload["videos"]])
            .order_by("-sort_key")
            .values_list("sort_key", flat=True)
        )
        token = payload["sync_token"]
        if token is None:
            break
        store_at(next(batches, []))  # new videos, older and newer, arrive between pages

    assert len(walked) == len(set(walked)), "a video appeared twice"
    assert [v for v in walked if v in set(before)] == expected, "a video was lost or misordered"


def test_it_keeps_a_videos_place_when_it_is_stored_again(add_videos):
    first, second = add_videos(2)
    keys = dict(Video.objects.values_list("youtube_id", "sort_key"))
    moved = FakeSnippet(
        youtube_id=first.youtube_id, published_at=T0 + timedelta(days=1), title="Renamed"
    )
    store.upsert_videos([moved])
    video = Video.objects.get(youtube_id=first.youtube_id)
    assert video.sort_key == keys[first.youtube_id]
    assert video.published_at == first.published_at
    assert video.title == "Renamed"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("0", None), ("17", 17), ("007", 7), (str(2**63 - 1), 2**63 - 1)],
)
def test_it_parses_tokens(raw, expected):
    assert parse_token(raw) == expected


@pytest.mark.parametrize("raw", ["", "-1", "1.5", "1e3", "abc", str(2**63), "１２", "0x10"])
def test_it_rejects_tokens_naming_the_parameter(raw):
    with pytest.raises(BadParameter) as caught:
        parse_token(raw)
    assert caught.value.param == "sync_token"


def test_it_bounds_the_limit():
    assert parse_limit(None) == 20
    assert parse_limit("100") == 100
    with pytest.raises(BadParameter):
        parse_limit("101")


def test_it_pages_oldest_first_too(add_videos):
    from feed.pagination import fetch_page

    add_videos(5)
    add_videos(3)  # the same seconds again: ties
    qs = Video.objects.all()
    seen, cursor = [], None
    while True:
        page = fetch_page(
            qs, cursor=cursor, limit=2, column="feed_video.sort_key", oldest_first=True
        )
        seen += [v.sort_key for v in page.items]
        if (cursor := page.next_token) is None:
            break
    assert seen == sorted(Video.objects.values_list("sort_key", flat=True))


@pytest.mark.parametrize("params", [{}, {"sync_token": "1764000000000000"}, {"live": "none"}])
def test_a_page_walks_an_index_in_feed_order_and_sorts_nothing(client, add_videos, params):
    # Hiding removed videos must not make the database sort the whole table. (The plan that
    # did, through an index holding removed_at's NULLs, showed on 20k seeded videos, not on a
    # test's few: feed.models explains the partial index.)
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL rightly sorts 30 rows; make bench reads its plans at 1M")
    add_videos(30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plan = page_plan(client, "/api/v1/youtube/videos", params)
    assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan

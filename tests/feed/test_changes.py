"""GET /api/v1/youtube/changes: every change in the order it was stored, the list's filters,
and `changes_since` on the list to follow changes from a page without a gap."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from django.db import connection

from feed import search, store
from feed.models import Change, SearchQuery, Video
from tests.fixtures.clock import NOW
from tests.fixtures.videos import T0, FakeSnippet, api_get

URL = "/api/v1/youtube/changes"


@dataclass(frozen=True, slots=True)
class FakeDetails:
    duration_seconds: int | None = 60
    view_count: int | None = 10


def changes(client, **params) -> dict:
    return api_get(client, URL, **params)


def entries(client, **params) -> list[tuple[str, bool]]:
    return [(entry["id"], entry["removed"]) for entry in changes(client, **params)["changes"]]


def remove(*snippets: FakeSnippet, at=NOW) -> None:
    store.record_details({}, asked=[s.youtube_id for s in snippets], now=at)


def restore(*snippets: FakeSnippet, at=NOW, views: int = 10) -> None:
    found = {s.youtube_id: FakeDetails(view_count=views) for s in snippets}
    store.record_details(found, asked=list(found), now=at)


def add_one(add_videos, query: str | None = None, **fields) -> FakeSnippet:
    """One video in its own write: its change's position follows the previous write's."""
    (video,) = add_videos(FakeSnippet(**fields), query=query)
    return video


def test_it_lists_stored_videos_then_removals_in_the_order_they_happened(client, add_videos):
    a = add_one(add_videos, published_at=T0)
    b = add_one(add_videos, published_at=T0 + timedelta(seconds=1))
    remove(b)
    c = add_one(add_videos, published_at=T0 - timedelta(days=1))  # late: older than the others
    # Each entry is the video as it is now: b's storing shows it removed too.
    assert entries(client) == [
        (a.youtube_id, False),
        (b.youtube_id, True),
        (b.youtube_id, True),
        (c.youtube_id, False),
    ]
    kinds = list(Change.objects.values_list("video__youtube_id", "kind"))
    assert kinds == [
        (a.youtube_id, "stored"),
        (b.youtube_id, "stored"),
        (b.youtube_id, "removed"),
        (c.youtube_id, "stored"),
    ]


def test_an_entry_is_the_list_s_video_object_plus_removed(client, add_videos):
    add_videos(
        FakeSnippet(youtube_id="teavideo001", title="How to make tea?", live="upcoming"),
        query="tea",
    )
    (gone,) = add_videos(1)
    remove(gone)
    listed = api_get(client)["videos"][0]
    first, second, third = changes(client)["changes"]
    assert first == {**listed, "removed": False}
    assert second == third == {"id": gone.youtube_id, "removed": True}


def test_a_client_passes_since_back_and_an_empty_page_keeps_it(client, add_videos):
    stored = [add_one(add_videos, published_at=T0 + timedelta(seconds=i)) for i in range(5)]
    first = changes(client, limit=2)
    assert [e["id"] for e in first["changes"]] == [s.youtube_id for s in stored[:2]]
    second = changes(client, limit=2, since=first["since"])
    third = changes(client, limit=2, since=second["since"])
    assert [e["id"] for e in second["changes"] + third["changes"]] == [
        s.youtube_id for s in stored[2:]
    ]
    assert changes(client, since=third["since"]) == {"changes": [], "since": third["since"]}
    later = add_one(add_videos)
    assert entries(client, since=third["since"]) == [(later.youtube_id, False)]
    assert changes(client, since=0) == changes(client)  # 0 and absent: from the first change


def test_an_empty_log_answers_an_empty_page(client, db):
    assert changes(client) == {"changes": [], "since": 0}
    assert changes(client, since=42) == {"changes": [], "since": 42}


def test_title_and_description_edits_are_changes_and_re_polls_are_not(client, add_videos):
    video, other = add_videos(2)
    start = changes(client)["since"]
    add_videos(video, other)  # the same again: a re-poll
    assert changes(client, since=start)["changes"] == []
    add_videos(replace(video, title="A new title"))
    add_videos(replace(other, description="Now described"))
    add_videos(replace(video, title="A new title", channel_title="Renamed"))  # not a change
    edited = changes(client, since=start)["changes"]
    assert [(e["id"], e["title"], e["description"]) for e in edited] == [
        (video.youtube_id, "A new title", ""),
        (other.youtube_id, "A video", "Now described"),
    ]
    assert Change.objects.filter(kind=Change.Kind.EDITED).count() == 2


def test_view_count_and_duration_refreshes_are_not_changes(client, add_videos):
    video, _ = add_videos(2)
    restore(video, views=10)  # its first details
    start = changes(client)["since"]
    restore(video, views=5000, at=NOW + timedelta(hours=1))
    assert Video.objects.get(youtube_id=video.youtube_id).view_count == 5000
    assert changes(client, since=start) == {"changes": [], "since": start}


def test_a_restored_video_comes_back_and_a_second_check_logs_nothing(client, add_videos):
    (video,) = add_videos(1)
    start = changes(client)["since"]
    remove(video)
    remove(video, at=NOW + timedelta(hours=1))  # still gone: no second removal
    restore(video, at=NOW + timedelta(hours=2))
    restore(video, at=NOW + timedelta(hours=3))  # still there: no second restoring
    after = changes(client, since=start)["changes"]
    assert [(e["id"], e["removed"]) for e in after] == [(video.youtube_id, False)] * 2
    assert after[-1]["title"] == "A video"
    kinds = list(Change.objects.values_list("kind", flat=True))
    assert kinds == ["stored", "removed", "restored"]


def test_a_tombstone_s_new_title_is_not_a_change_but_its_restoring_shows_it(client, add_videos):
    (video,) = add_videos(1)
    remove(video)
    start = changes(client)["since"]
    add_videos(replace(video, title="Renamed while gone"))
    assert changes(client, since=start)["changes"] == []
    restore(video, at=NOW + timedelta(hours=1))
    (back,) = changes(client, since=start)["changes"]
    assert (back["title"], back["removed"]) == ("Renamed while gone", False)


def test_the_list_s_changes_since_follows_on_from_the_page_without_a_gap(client, add_videos):
    add_videos(30)
    page = api_get(client, "/api/v1/youtube/videos", limit=5)
    assert page["changes_since"] == Change.objects.latest("id").id
    (late,) = add_videos(1, published_at=T0 - timedelta(days=2))  # older than any on the page
    assert entries(client, since=page["changes_since"]) == [(late.youtube_id, False)]


def test_the_list_reads_changes_since_before_its_page(client, add_videos, monkeypatch):
    # A video stored between the two reads is in the page and after changes_since: a client
    # upserting by id sees it once. Read the other way round it would be in neither.
    from feed import pagination

    add_videos(3)
    fetch_page = pagination.fetch_page

    def store_one_first(*args, **kwargs):
        add_one(add_videos, youtube_id="betweenread", published_at=T0 + timedelta(hours=1))
        return fetch_page(*args, **kwargs)

    monkeypatch.setattr(pagination, "fetch_page", store_one_first)
    page = api_get(client, "/api/v1/youtube/videos")
    assert page["videos"][0]["id"] == "betweenread"
    assert entries(client, since=page["changes_since"]) == [("betweenread", False)]


@pytest.fixture
def filtered(add_videos) -> None:
    add_one(add_videos, youtube_id="tea1xxxxxxx", title="Tea", channel_id="UCchai", query="tea")
    add_one(
        add_videos,
        youtube_id="tea2xxxxxxx",
        published_at=T0 + timedelta(seconds=1),
        title="More tea",
        channel_id="UCchai",
        live="upcoming",
        query="tea",
    )
    add_one(
        add_videos,
        youtube_id="foot1xxxxxx",
        published_at=T0 + timedelta(seconds=2),
        title="Football",
    )
    add_one(
        add_videos,
        youtube_id="gonexxxxxxx",
        published_at=T0 + timedelta(seconds=3),
        title="Tea gone",
        channel_id="UCchai",
    )
    remove(FakeSnippet(youtube_id="gonexxxxxxx"))
    SearchQuery.objects.create(text="football")


FILTER_CASES = [
    ({"channel": "UCchai"}, ["tea1", "tea2", "gone", "gone"]),
    ({"q": "tea"}, ["tea1", "tea2", "gone", "gone"]),
    ({"q": "foot"}, ["foot1"]),
    ({"live": "upcoming"}, ["tea2"]),
    ({"query": "tea"}, ["tea1", "tea2"]),
    ({"query": "football"}, []),
    ({"published_after": "2026-11-28T12:00:02Z"}, ["foot1", "gone", "gone"]),
    ({"published_before": "2026-11-28T12:00:01Z"}, ["tea1", "tea2"]),
    ({"q": "https://youtu.be/foot1xxxxxx"}, ["foot1"]),
    ({"q": "tea", "channel": "UCchai", "live": "none"}, ["tea1", "gone", "gone"]),
    ({"q": "tea", "published_after": "2026-11-28T12:00:01Z"}, ["tea2", "gone", "gone"]),
]


def short(payload: dict) -> list[str]:
    return [entry["id"].rstrip("x") for entry in payload["changes"]]


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
@pytest.mark.parametrize("few", [True, False], ids=["from-the-videos", "walking-the-log"])
def test_it_filters_as_the_list_does_removals_included(
    client, filtered, monkeypatch, params, expected, few
):
    # SQLite finds a page from the few videos that match, or by walking the log when many do
    # (feed.filters.ChangeFilter): both give the same changes.
    monkeypatch.setattr(search, "PROBE_AT_MOST", 500 if few else 0)
    assert short(changes(client, **params)) == expected
    # and page by page
    since, got = 0, []
    while page := changes(client, **params, since=since, limit=1)["changes"]:
        got.append(page[0]["id"].rstrip("x"))
        since = changes(client, **params, since=since, limit=1)["since"]
    assert got == expected


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"since": "-1"}, "since"),
        ({"since": "abc"}, "since"),
        ({"since": str(2**63)}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"live": "sometimes"}, "live"),
        ({"published_after": "yesterday"}, "published_after"),
        ({"q": "a b c d e f g h i"}, "q"),
        ({"channel": "UC" + "x" * 100}, "channel"),
    ],
)
def test_it_answers_a_bad_parameter_with_a_400_naming_it(client, db, params, param):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_it_pins_two_queries_per_page(client, add_videos, django_assert_num_queries):
    add_videos(30, query="football")
    with django_assert_num_queries(2):  # the page, and the queries that found its videos
        assert len(changes(client, limit=25)["changes"]) == 25


def test_it_answers_with_and_without_trailing_slash_and_refuses_writes(client, add_videos):
    add_videos(2)
    assert len(api_get(client, URL + "/")["changes"]) == 2
    assert client.post(URL).status_code == 405


def test_a_filtered_page_costs_a_constant_number_of_queries(
    client, add_videos, django_assert_num_queries
):
    from django.db import connection

    add_videos(30, query="football")
    # SQLite: a capped count of the matching videos picks the plan (feed.filters.ChangeFilter).
    with django_assert_num_queries(3 if connection.vendor == "sqlite" else 2):
        assert len(changes(client, q="video", limit=25)["changes"]) == 25


def test_the_migration_logs_the_videos_stored_before_it(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = ("feed", "0007_rechecks_and_rewalks"), ("feed", "0008_change")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("feed", "Video")
    for n, (seen_minutes, removed) in enumerate([(30, False), (10, True), (20, False)]):
        old.objects.create(
            youtube_id=f"old{n}",
            sort_key=n,
            published_at=T0,
            title="Old",
            channel_id="UC",
            first_seen_at=T0 + timedelta(minutes=seen_minutes),
            removed_at=T0 + timedelta(hours=1) if removed else None,
        )
    executor = MigrationExecutor(connection)
    executor.migrate([after])
    logged = list(Change.objects.values_list("video__youtube_id", "kind"))
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert logged == [
        ("old1", "stored"),
        ("old2", "stored"),
        ("old0", "stored"),
        ("old1", "removed"),
    ]


def test_the_log_is_indexed_by_video_then_position_and_once(db):
    # A filter that keeps few videos reads each one's changes after `since` from this index.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "feed_change")
    indexed = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert indexed == [["video_id", "id"]]

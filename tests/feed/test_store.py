from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection

from feed import store
from feed.models import SLOTS_PER_SECOND, SearchQuery, Video
from tests.fixtures.clock import NOW
from tests.fixtures.videos import T0, FakeSnippet


@dataclass
class FakeDetails:
    duration_seconds: int | None
    view_count: int | None


def test_it_reports_new_and_updated_videos(db):
    a, b = FakeSnippet(), FakeSnippet()
    assert store.upsert_videos([a]).new_ids == [a.youtube_id]
    again = store.upsert_videos([a, b])
    assert again.new_ids == [b.youtube_id]
    assert again.updated_ids == [a.youtube_id]
    assert Video.objects.count() == 2


def test_it_is_idempotent(db):
    batch = [FakeSnippet(published_at=T0) for _ in range(5)]
    store.upsert_videos(batch)
    before = list(Video.objects.values_list("youtube_id", "sort_key"))
    store.upsert_videos(batch)
    store.upsert_videos(batch + batch)  # duplicates inside one batch too
    assert list(Video.objects.values_list("youtube_id", "sort_key")) == before


def test_it_breaks_ties_in_a_second_by_the_order_of_storing(db):
    first = FakeSnippet(published_at=T0)
    second = FakeSnippet(published_at=T0 + timedelta(microseconds=500))
    store.upsert_videos([first])
    store.upsert_videos([second])
    keys = dict(Video.objects.values_list("youtube_id", "sort_key"))
    base = int(T0.timestamp()) * SLOTS_PER_SECOND
    assert keys == {first.youtube_id: base, second.youtube_id: base + 1}


def test_it_links_each_query_once(db):
    football = SearchQuery.objects.create(text="football")
    cricket = SearchQuery.objects.create(text="cricket")
    video = FakeSnippet()
    store.upsert_videos([video], query=football)
    store.upsert_videos([video], query=football)
    store.upsert_videos([video], query=cricket)
    stored = Video.objects.get(youtube_id=video.youtube_id)
    assert sorted(q.text for q in stored.queries.all()) == ["cricket", "football"]


def test_it_stores_details_in_bulk(db, django_assert_num_queries):
    videos = [FakeSnippet() for _ in range(3)]
    store.upsert_videos(videos)
    details = {v.youtube_id: FakeDetails(60 * i, 1000 * i) for i, v in enumerate(videos)}
    details["unknown"] = FakeDetails(1, 1)
    # savepoint, the rows (locked on PostgreSQL), their update, release: no change to log
    with django_assert_num_queries(4):
        store.record_details(details, asked=list(details), now=NOW)
    assert Video.objects.get(youtube_id=videos[2].youtube_id).duration_seconds == 120
    assert Video.objects.get(youtube_id=videos[2].youtube_id).view_count == 2000
    assert Video.objects.filter(checked_at=NOW, removed_at=None).count() == 3


def test_a_video_left_out_of_an_answer_is_a_tombstone_until_it_is_listed_again(db):
    kept, gone = FakeSnippet(), FakeSnippet()
    store.upsert_videos([kept, gone])
    store.record_details(
        {kept.youtube_id: FakeDetails(60, 5)}, asked=[kept.youtube_id, gone.youtube_id], now=NOW
    )
    assert list(Video.listed().values_list("youtube_id", flat=True)) == [kept.youtube_id]
    tombstone = Video.objects.get(youtube_id=gone.youtube_id)
    assert tombstone.removed_at == NOW and tombstone.check_due_at > NOW  # still checked
    later = NOW + timedelta(hours=1)
    store.record_details({gone.youtube_id: FakeDetails(61, 9)}, asked=[gone.youtube_id], now=later)
    back = Video.objects.get(youtube_id=gone.youtube_id)
    assert back.removed_at is None and back.view_count == 9
    assert Video.listed().count() == 2


def test_search_listing_a_removed_video_makes_it_due_for_a_check_at_once(db):
    video = FakeSnippet()
    store.upsert_videos([video])
    store.record_details({}, asked=[video.youtube_id], now=NOW)
    later = NOW + timedelta(minutes=5)
    store.upsert_videos([video], now=later)
    stored = Video.objects.get(youtube_id=video.youtube_id)
    assert stored.removed_at == NOW  # search alone does not restore it: videos.list decides
    assert stored.check_due_at == later


def test_it_upserts_a_page_in_a_constant_number_of_queries(db, django_assert_num_queries):
    query = SearchQuery.objects.create(text="football")
    store.upsert_videos([FakeSnippet() for _ in range(10)], query=query)
    page = [FakeSnippet(published_at=T0 + timedelta(seconds=i)) for i in range(50)]
    # savepoint, (PostgreSQL: the sort-key lock), known ids, free slots, the upsert, the query
    # links, (PostgreSQL: the change-log lock), the change log, release
    with django_assert_num_queries(9 if connection.vendor == "postgresql" else 7):
        store.upsert_videos(page, query=query)


def test_it_keeps_the_search_index_in_step_with_the_rows(client, db):
    video = FakeSnippet(title="Original title")
    store.upsert_videos([video])
    store.upsert_videos([FakeSnippet(youtube_id=video.youtube_id, title="Renamed title")])

    def found(q: str) -> int:
        return len(client.get("/api/v1/youtube/videos", {"q": q}).json()["videos"])

    assert (found("original"), found("renamed")) == (0, 1)
    Video.objects.all().delete()
    assert found("renamed") == 0

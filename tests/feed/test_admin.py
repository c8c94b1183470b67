"""The admin: what an operator sees of queries, runs and removed videos."""

from __future__ import annotations

from datetime import timedelta

from feed.models import FetchRun, SearchQuery, Video
from tests.fixtures.clock import NOW
from tests.fixtures.videos import FakeSnippet


def test_the_query_list_shows_each_querys_discovery_delay(admin_client, add_videos):
    SearchQuery.objects.create(text="football", created_at=NOW - timedelta(days=1))
    add_videos(FakeSnippet(published_at=NOW - timedelta(minutes=7)), query="football")
    add_videos(FakeSnippet(published_at=NOW - timedelta(minutes=7)), query="quiet")
    html = admin_client.get("/admin/feed/searchquery/").content.decode()
    assert "median 7 min, p95 7 min, max 7 min (1)" in html
    assert "no new videos" in html  # "quiet" was created after its only video was published


def test_the_run_list_shows_what_re_walks_found(admin_client, add_videos):
    query = SearchQuery.objects.create(text="football")
    FetchRun.objects.create(query=query, started_at=NOW, late_videos=4, rewalk_seconds=43200)
    html = admin_client.get("/admin/feed/fetchrun/").content.decode()
    assert '<td class="field-late_videos">4</td>' in html
    assert '<td class="field-rewalk_seconds">43200</td>' in html


def test_removed_videos_can_be_listed_apart(admin_client, add_videos):
    _, gone = add_videos(FakeSnippet(title="Kept"), FakeSnippet(title="Gone"))
    Video.objects.filter(youtube_id=gone.youtube_id).update(removed_at=NOW)
    html = admin_client.get("/admin/feed/video/?removed_at__isnull=False").content.decode()
    assert "Gone" in html and "Kept" not in html

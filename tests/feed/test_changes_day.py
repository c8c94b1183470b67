"""The changes feed through a simulated day of YouTube as it behaves (late-indexed videos,
removals, restorings): clients that follow /changes end with exactly what the list shows, having
seen every removal, and every change exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from feed import services
from feed.models import Change, FetchRun, Video
from simulator import DEFAULT_INDEX_LAG
from tests.fixtures.fetching import poll
from tests.fixtures.simulator import with_config
from tests.fixtures.videos import api_get

MIN = timedelta(minutes=1)


class Follower:
    """A client of the feed: upserts what /changes lists by id, drops what it says is removed."""

    def __init__(self, client, *, since: int = 0, videos: dict[str, dict] | None = None) -> None:
        self.client = client
        self.since = since
        self.videos = dict(videos or {})
        self.seen: Counter[str] = Counter()  # entries per video id
        self.removals: set[str] = set()

    def follow(self) -> None:
        while True:
            page = api_get(self.client, "/api/v1/youtube/changes", since=self.since, limit=7)
            assert page["since"] >= self.since
            for entry in page["changes"]:
                self.seen[entry["id"]] += 1
                if entry["removed"]:
                    self.removals.add(entry["id"])
                    self.videos.pop(entry["id"], None)
                else:
                    self.videos[entry["id"]] = entry
            if not page["changes"]:
                assert page["since"] == self.since
                return
            self.since = page["since"]


def listed(client) -> tuple[dict[str, dict], int]:
    """Every video the list shows (all its pages), and the first page's changes_since."""
    videos: dict[str, dict] = {}
    page = api_get(client, "/api/v1/youtube/videos", limit=100)
    changes_since = page["changes_since"]
    while True:
        videos.update((video["id"], video) for video in page["videos"])
        if page["sync_token"] is None:
            return videos, changes_since
        page = api_get(client, "/api/v1/youtube/videos", limit=100, sync_token=page["sync_token"])


@with_config(
    rate_per_minute=0.4,
    burst_every_minutes=0,
    index_lag=DEFAULT_INDEX_LAG,
    removal_share=0.08,
    removal_after_hours=(1.0, 12.0),
    restore_share=0.3,
    restore_after_hours=(1.0, 8.0),
)
def test_followers_end_with_what_the_list_shows_and_every_removal(
    fetching, simulator, simulator_clock, client
):
    from_start = Follower(client)
    poll(simulator)
    from_start.follow()
    from_a_page = None
    for round_ in range(72):  # a day: a poll and a round of checks every 20 minutes
        simulator_clock.advance(20 * MIN)
        poll(simulator)
        services.check_videos()
        if round_ % 5 == 0:
            from_start.follow()
        if round_ == 30:
            # A client arriving mid-day: the whole list, then the changes from its position.
            videos, changes_since = listed(client)
            from_a_page = Follower(client, since=changes_since, videos=videos)
        if from_a_page and round_ % 3 == 0:
            from_a_page.follow()
    from_start.follow()
    from_a_page.follow()

    # The day was one worth testing: videos found late, removed, and back.
    assert FetchRun.objects.filter(late_videos__gt=0).exists()
    removed_ids = set(
        Change.objects.filter(kind=Change.Kind.REMOVED).values_list("video__youtube_id", flat=True)
    )
    assert len(removed_ids) >= 3
    assert Change.objects.filter(kind=Change.Kind.RESTORED).exists()
    assert Video.objects.filter(removed_at__isnull=False).exists()

    final, _ = listed(client)
    for follower in (from_start, from_a_page):
        assert set(follower.videos) == set(final)
        assert {vid: v["title"] for vid, v in follower.videos.items()} == {
            vid: v["title"] for vid, v in final.items()
        }
    # The one that followed from the start saw every change once: each stored video once,
    # every removal (its entries are each video as it was when read, so a removal is seen).
    logged = Counter(Change.objects.values_list("video__youtube_id", flat=True))
    assert from_start.seen == logged
    stored = Counter(
        Change.objects.filter(kind=Change.Kind.STORED).values_list("video__youtube_id", flat=True)
    )
    assert stored == Counter(Video.objects.values_list("youtube_id", flat=True))
    assert set(stored.values()) == {1}
    still_removed = set(
        Video.objects.filter(removed_at__isnull=False).values_list("youtube_id", flat=True)
    )
    assert still_removed <= from_start.removals
    assert still_removed.isdisjoint(from_start.videos)

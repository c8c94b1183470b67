from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from feed.models import SLOTS_PER_SECOND, SearchQuery, Video


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_videos", stdout=out, **options)
    return out.getvalue()


def test_it_seeds_searchable_videos_with_ties_entities_and_live_states(client, db):
    output = seed(count=600, seed=3, ties=0.3)
    assert "seeded 600 new videos" in output
    assert Video.objects.count() == 600
    seconds = {key // SLOTS_PER_SECOND for key in Video.objects.values_list("sort_key", flat=True)}
    assert len(seconds) < 500  # about 30% share a second with another
    titles = list(Video.objects.values_list("title", flat=True))
    assert any("&" in t for t in titles) and not any("&amp;" in t for t in titles)
    assert set(Video.objects.values_list("live", flat=True)) == {"none", "live", "upcoming"}
    assert SearchQuery.objects.filter(videos__isnull=False).distinct().count() == 4
    assert client.get("/api/v1/youtube/videos", {"q": "how mak"}).json()["videos"]


def test_it_is_reproducible_by_seed(db):
    seed(count=50, seed=7)
    first = list(Video.objects.order_by("sort_key").values_list("youtube_id", "title"))
    Video.objects.all().delete()
    seed(count=50, seed=7)
    assert list(Video.objects.order_by("sort_key").values_list("youtube_id", "title")) == first


@pytest.mark.parametrize("options", [{"count": 0}, {"count": 5, "ties": 1.5}])
def test_it_explains_bad_options(db, options):
    with pytest.raises(CommandError):
        seed(**options)

from __future__ import annotations

import io

from django.core.management import call_command

from feed.models import Video, classify, classify_all


def test_it_classifies_every_stored_video_in_sql_as_classify_does(db):
    call_command("seed_videos", count=400, seed=5, stdout=io.StringIO())
    # Seeded titles never say #shorts: two long videos that do.
    long = Video.objects.filter(live="none", duration_seconds__gt=1200).order_by("pk")
    tagged = list(long.values_list("pk", flat=True)[:2])
    Video.objects.filter(pk=tagged[0]).update(title="Goal of the day #Shorts")
    Video.objects.filter(pk=tagged[1]).update(description="more at #shorts")
    Video.objects.update(length=0, is_short=False)

    classify_all()

    rows = Video.objects.values_list(
        "duration_seconds", "live", "title", "description", "length", "is_short"
    )
    for duration, live, title, description, length, is_short in rows:
        expected = classify(
            duration_seconds=duration, live=live, title=title, description=description
        )
        assert (length, is_short) == expected
    assert set(Video.objects.filter(is_short=True, length=3).values_list("pk", flat=True)) == set(
        tagged
    )
    assert {length for _, _, _, _, length, _ in rows} == {0, 1, 2, 3}

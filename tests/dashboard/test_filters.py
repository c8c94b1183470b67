"""The grid's FilterSet: the API's filters plus date presets and a sort order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard.filters import GridFilter, when_start
from feed.models import Video

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("when", "start"),
    [
        ("hour", datetime(2026, 11, 26, 14, 30, tzinfo=UTC)),
        ("today", datetime(2026, 11, 26, tzinfo=UTC)),
        ("week", datetime(2026, 11, 23, tzinfo=UTC)),  # Monday
        ("month", datetime(2026, 11, 1, tzinfo=UTC)),
    ],
)
def test_it_starts_each_preset_where_its_name_says(when, start):
    assert when_start(when, now=NOW) == start


@pytest.mark.django_db
def test_it_keeps_the_later_of_a_preset_and_a_from_date():
    filterset = GridFilter(
        {"when": "month", "published_after": "2026-11-20"}, queryset=Video.objects.all(), now=NOW
    )
    assert filterset.is_valid()
    str(filterset.qs.query)  # filters are applied when the queryset is built
    assert filterset.form.cleaned_data["published_after"] == datetime(2026, 11, 20, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(("sort", "oldest"), [("", False), ("newest", False), ("oldest", True)])
def test_it_sorts_newest_first_unless_asked(sort, oldest):
    filterset = GridFilter({"sort": sort}, queryset=Video.objects.all(), now=NOW)
    assert filterset.is_valid()
    assert filterset.oldest_first is oldest


@pytest.mark.django_db
def test_a_preset_narrows_the_range_and_a_bare_to_date_takes_its_whole_day():
    filterset = GridFilter(
        {"when": "month", "published_after": "2026-10-20", "published_before": "2026-11-25"},
        queryset=Video.objects.all(),
        now=NOW,
    )
    assert filterset.is_valid()
    assert filterset.date_range() == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC),
    )

"""The one FilterSet for videos, shared by the JSON API and the dashboard."""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet

from feed import search
from feed.models import SLOTS_PER_SECOND, Video, bucket_sql

DURATION_CHOICES = [
    ("short", "Under 4 minutes"),
    ("medium", "4-20 minutes"),
    ("long", "Over 20 minutes"),
]
SHORTS_CHOICES = [("exclude", "Hide Shorts"), ("only", "Only Shorts")]

# A pasted YouTube link finds its video, and so does a bare video id that is one (readers paste
# both): watch?v=, youtu.be/, shorts/, live/ and embed/ links, with or without scheme and host.
YOUTUBE_LINK = re.compile(
    r"(?:https?://)?(?:(?:www|m|music)\.)?"
    r"(?:youtube\.com/(?:watch\?(?:[^#\s]*&)?v=|shorts/|live/|embed/)|youtu\.be/)"
    r"([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")


def linked_id(text: str) -> str | None:
    """The video id of a YouTube link (the whole text, trimmed, starts with one), or None."""
    match = YOUTUBE_LINK.match(text.strip())
    return match.group(1) if match else None


class SearchTextField(forms.CharField):
    def to_python(self, value: str | None) -> str:
        # A NUL byte in a search is just not a word (Django's CharField would reject it).
        return super().to_python(value).replace("\x00", " ")

    def run_validators(self, value: str) -> None:
        super().run_validators(value)  # the length first: words() is quadratic in the words
        # Each word is one more term for the engine to match (feed/search.py); a link is none.
        if linked_id(value) is None and len(search.words(value)) > settings.SEARCH_MAX_WORDS:
            raise ValidationError(
                f"must have at most {settings.SEARCH_MAX_WORDS} different words", code="words"
            )


class SearchTextFilter(django_filters.CharFilter):
    field_class = SearchTextField


@dataclass(frozen=True, slots=True)
class Filtered:
    """What the filters decided: the videos they keep, and how to page them
    (feed.pagination.fetch_page's arguments)."""

    qs: QuerySet[Video]
    # The column holding the sort key in `qs`: the full-text index's rowid while a search walks
    # it on SQLite (search.order_column).
    column: str
    terms: list[str]  # the words searched for
    # Rank every video the filters keep instead of walking an index: by views (a short date
    # range, feed.pagination.fetch_views_page), or scored by feed.ranking (best match in a small
    # channel, fetch_relevance_page).
    rank_all: bool = False
    # ChangeFilter only: the filters keep few videos (search.is_small), so the change log is read
    # from those videos rather than walked (feed.changes.fetch_page).
    few: bool = False


class VideoFilter(django_filters.FilterSet):
    q = SearchTextFilter(max_length=settings.SEARCH_MAX_LENGTH)
    channel = django_filters.CharFilter(field_name="channel_id", max_length=64)
    query = django_filters.CharFilter(method="filter_query", max_length=200)
    live = django_filters.ChoiceFilter(choices=Video.Live.choices)
    # Each bucket holds the videos whose length is not known yet too (models.DURATION_BUCKETS),
    # and "exclude" keeps them unless they say #shorts: no filter hides a video on a guess.
    duration = django_filters.ChoiceFilter(choices=DURATION_CHOICES, method="filter_duration")
    shorts = django_filters.ChoiceFilter(choices=SHORTS_CHOICES, method="filter_shorts")
    published_after = django_filters.IsoDateTimeFilter()
    published_before = django_filters.IsoDateTimeFilter()
    # Read by select(), not applied one by one (filter_queryset): search and the date range go
    # together, as while searching on SQLite they constrain the full-text index's rowid.
    selected: ClassVar[frozenset[str]] = frozenset({"q", "published_after", "published_before"})

    class Meta:
        model = Video
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, sort: str = "newest", **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.requested_sort = sort

    @property
    def sort_order(self) -> str:
        """newest, oldest, views or relevance (feed.pagination.SORTS): the API passes it in,
        the grid reads it from its form (dashboard.filters.GridFilter)."""
        return self.requested_sort

    # The form's fields follow from the declared filters alone, so one form class per FilterSet
    # class serves every request (django-filter builds a new one for each instance: a tenth of
    # an API request's time).
    form_classes: ClassVar[dict[type, type[forms.Form]]] = {}

    def get_form_class(self) -> type[forms.Form]:
        cls = type(self)
        if cls not in VideoFilter.form_classes:
            VideoFilter.form_classes[cls] = super().get_form_class()
        return VideoFilter.form_classes[cls]

    def filter_query(self, qs: QuerySet[Video], name: str, value: str) -> QuerySet[Video]:
        # EXISTS, not a join: the feed keeps walking the sort-key index in order and probes the
        # link table's (video, query) index per row, instead of sorting every video of a query.
        links = Video.queries.through.objects.filter(
            video_id=OuterRef("pk"), searchquery__text=value
        )
        return qs.filter(Exists(links))

    def filter_duration(self, qs: QuerySet[Video], name: str, value: str) -> QuerySet[Video]:
        # The numbers inline, as in the bucket's partial index: the planner then uses it.
        return qs.extra(where=[f"feed_video.{bucket_sql(value)}"])

    def filter_shorts(self, qs: QuerySet[Video], name: str, value: str) -> QuerySet[Video]:
        # As the partial indexes video_shorts_sort and video_not_shorts_sort say it.
        return qs.extra(
            where=["feed_video.is_short" if value == "only" else "NOT feed_video.is_short"]
        )

    def sort_error(self) -> str | None:
        """Why the sort cannot apply (a 400 naming `sort`), or None."""
        if self.sort_order == "relevance" and not self.terms:
            return "relevance ranks a search: give words to search for in q"
        return None

    @functools.cached_property
    def video_id(self) -> str | None:
        """The one video `q` names, by a YouTube link or by its id; None for words."""
        text = (self.form.cleaned_data.get("q") or "").strip()
        if found := linked_id(text):
            return found
        # An 11-letter word may be an id or just a word: an id only if such a video is stored.
        if VIDEO_ID.fullmatch(text) and Video.objects.filter(youtube_id=text).exists():
            return text
        return None

    @property
    def terms(self) -> list[str]:
        if self.video_id:
            return []
        return search.words(self.form.cleaned_data.get("q") or "")

    @functools.cached_property
    def filtered(self) -> Filtered:
        """The videos these (valid) filters keep and how to page them: decided once."""
        if not self.is_bound:  # as django-filter's qs: no data, no filtering
            return Filtered(
                qs=self.queryset.all(), column=search.order_column(searching=False), terms=[]
            )
        self.errors  # noqa: B018 -- validates first, as django-filter's qs does
        return self.select(self.queryset.all())

    @property
    def qs(self) -> QuerySet[Video]:
        return self.filtered.qs

    def filter_queryset(self, queryset: QuerySet[Video]) -> QuerySet[Video]:
        """The filters that apply one by one (channel, query, live, duration, shorts)."""
        for name, value in self.form.cleaned_data.items():
            if name not in self.selected:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def select(self, queryset: QuerySet[Video], *, always_probe: bool = False) -> Filtered:
        """`queryset` filtered, searched and limited to the date range; `always_probe`: the
        search probes the full-text index per video whatever the filters (ChangeFilter)."""
        qs = self.filter_queryset(queryset)
        terms = self.terms
        probing = bool(terms) and (always_probe or self.probes(qs))
        qs = search.apply(qs, terms, probing=probing)
        data = self.form.cleaned_data
        if data.get("shorts") == "only" and data.get("duration") in ("medium", "long"):
            # Implied by the two filters (a Short by duration is under 4 minutes), and said so
            # that the planner uses the small partial index video_tagged_shorts_sort.
            qs = qs.extra(where=["NOT (feed_video.length = 1)"])
        if self.video_id:
            qs = qs.filter(youtube_id=self.video_id)
        # The sort key starts with the publish second, so a date range is a sort-key range:
        # the same index that pages the feed answers it. Both bounds are inclusive.
        column = search.order_column(searching=bool(terms), probing=probing)
        after, before = self.date_range()
        if after is not None:
            qs = qs.extra(where=[f"{column} >= %s"], params=[first_key(after)])
        if before is not None:
            qs = qs.extra(where=[f"{column} < %s"], params=[first_key(before, next_second=True)])
        # Best match of few videos: scored outside the index (feed.pagination).
        rank_all = self.sort_order == "relevance" and probing
        if self.sort_order == "views" and (after is not None or before is not None):
            # Most viewed of a short date range: walking the views index would read past every
            # video outside it (the last hour at 1M videos: all of them); sorting the range's
            # few videos is cheaper. The count stops at the bound.
            bound = search.VIEWS_RANGE_SORT_AT_MOST
            rank_all = qs.order_by()[: bound + 1].count() <= bound
        return Filtered(qs=qs, column=column, terms=terms, rank_all=rank_all)

    def probes(self, qs: QuerySet[Video]) -> bool:
        """Whether the search probes the full-text index per video of `qs` (the filtered videos)
        instead of walking the index (see search.apply)."""
        if self.sort_order == "views":
            # Most viewed walks the views index and probes the full-text index per video, unless
            # the search matches few enough videos to sort them all (search.few_matches).
            return not search.few_matches(self.terms)
        data = self.form.cleaned_data
        if self.sort_order == "relevance":
            # FTS5 scores (bm25) only a walk of its index: a probe recounts every word's matches.
            # Few videos are probed and scored outside it (feed.ranking).
            return bool(data.get("channel") or data.get("live")) and search.is_small(qs)
        return bool(data.get("channel") or data.get("live")) and search.is_small(qs)

    def date_range(self) -> tuple[datetime | None, datetime | None]:
        """The publish times asked for, both inclusive (None: unbounded)."""
        data = self.form.cleaned_data
        return data.get("published_after"), data.get("published_before")


def first_key(moment: datetime, *, next_second: bool = False) -> int:
    """The first sort key at or after `moment`, or after its whole second."""
    seconds = math.floor(moment.timestamp()) + 1 if next_second else math.ceil(moment.timestamp())
    return seconds * SLOTS_PER_SECOND


class ChangeFilter(VideoFilter):
    """The list's filters, for the change log (GET .../changes): the same parameters, values
    and errors, applied to the changed videos.

    The log is read in its own order (the change id), not the feed's, so a page is found one of
    two ways (feed.changes.fetch_page). When the filters keep few videos (`few`: at most
    search.PROBE_AT_MOST, SQLite only), from those videos: their changes after `since`, sorted.
    Otherwise by walking the log from `since` and checking each change's video; a search then
    probes the full-text index by rowid per change, as the list does within a small channel.
    """

    @property
    def few(self) -> bool:
        return self.filtered.few

    def select(self, queryset: QuerySet[Video], *, always_probe: bool = False) -> Filtered:
        walked = super().select(queryset)
        # Counted with the search walking the full-text index (its matches drive the count).
        few = search.is_small(walked.qs)
        if few or not walked.terms:
            return dataclasses.replace(walked, few=few)
        return super().select(queryset, always_probe=True)

"""How a video reads on a card: highlighting, relative times, durations, view counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.display import ago, duration, highlight, snippet, views, when
from feed.search import words

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        ("How to make tea?", "tea ho", "<mark>Ho</mark>w to make <mark>tea</mark>?"),
        ("Showdown", "how", "Showdown"),  # a word's start only, as the search matches
        ("Café CRÈME", "cafe creme", "<mark>Café</mark> <mark>CRÈME</mark>"),
        ("cafe", "CAFÉ", "<mark>cafe</mark>"),
        ("Straße", "strass", "<mark>Straß</mark>e"),
        ("Making pasta", "mak m", "<mark>Mak</mark>ing pasta"),
        ("a < b & c", "b", "a &lt; <mark>b</mark> &amp; c"),
        ("<b>bold</b>", "b", "&lt;<mark>b</mark>&gt;<mark>b</mark>old&lt;/<mark>b</mark>&gt;"),
        ("tea", "", "tea"),
    ],
)
def test_it_marks_the_start_of_each_matched_word(text, query, expected):
    assert highlight(text, words(query)) == expected


@given(st.text(max_size=40), st.text(max_size=12))
def test_it_never_lets_markup_through(text, query):
    html = str(highlight(text, words(query)))
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    plain = html.replace("<mark>", "").replace("</mark>", "")
    assert (
        plain.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        == text
    )


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(minutes=59), "59 min ago"),
        (timedelta(hours=3, minutes=40), "3 h ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=9), "1 week ago"),
        (timedelta(days=65), "2 months ago"),
        (timedelta(days=800), "2 years ago"),
        (-timedelta(hours=4), "in 4 h"),
    ],
)
def test_it_says_how_long_ago(delta, expected):
    assert ago(NOW - delta, now=NOW) == expected


@pytest.mark.parametrize(
    ("delta", "live", "expected"),
    [
        (timedelta(minutes=60), "none", "1 h ago"),
        (timedelta(minutes=60), "live", "started 1 h ago"),
        (timedelta(hours=9), "upcoming", "announced 9 h ago"),
        (-timedelta(hours=4), "upcoming", "starts in 4 h"),
    ],
)
def test_it_says_when_a_live_or_upcoming_video_starts(delta, live, expected):
    assert when(NOW - delta, live=live, now=NOW) == expected


def test_half_a_minute_rounds_up_as_in_the_browser():
    assert ago(NOW - timedelta(seconds=150), now=NOW) == "3 min ago"


@pytest.mark.parametrize(
    ("seconds", "expected"), [(None, ""), (0, "0:00"), (65, "1:05"), (3723, "1:02:03")]
)
def test_it_formats_durations(seconds, expected):
    assert duration(seconds) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (None, ""),
        (0, "0 views"),
        (1, "1 view"),
        (999, "999 views"),
        (1000, "1K views"),
        (1234, "1.2K views"),
        (56_789, "57K views"),
        (3_400_000, "3.4M views"),
        (2_000_000_000, "2B views"),
    ],
)
def test_it_shortens_view_counts(count, expected):
    assert views(count) == expected


def test_a_snippet_shows_the_description_around_its_first_match():
    text = "Intro words " * 10 + "then the masala chai recipe, step by step. " + "More text " * 30
    shown = str(snippet(text, words("chai")))
    assert "<mark>chai</mark> recipe" in shown
    assert shown.startswith("… ") and shown.endswith(" …")
    assert len(shown) < 200
    assert (
        str(snippet("Short <b>chai</b>", words("chai")))
        == "Short &lt;b&gt;<mark>chai</mark>&lt;/b&gt;"
    )
    assert str(snippet("nothing here", words("chai"))) == ""

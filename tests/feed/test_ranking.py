"""feed.ranking: bm25 computed outside FTS5, for best match within a small set (SQLite only)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.db import connection

from feed import ranking, search
from feed.models import Video
from tests.fixtures.videos import T0, FakeSnippet

TEXTS = [
    ("Masala tea", "how to make masala tea at home"),
    ("Tea", ""),
    ("Tea time: teapot and teacups", "tea tea tea"),
    ("Cooking show", "rice and dal, then a cup of tea for everyone in the kitchen today"),
    ("Thé à la menthe", "le thé de Marrakech, très sucré"),
    ("How to brew green tea properly", "water at 80 degrees, three minutes"),
    ("Football highlights", "goals of the week"),
    ("Coffee", "no leaves here"),
    ("TEA TEA", "Tea. TEA! tea?"),
    ("A long description", " ".join(["word"] * 60) + " tea"),
]


@pytest.fixture
def texts(add_videos):
    if connection.vendor != "sqlite":
        pytest.skip("bm25 outside FTS5 is SQLite's: PostgreSQL ranks with ts_rank")
    add_videos(*(FakeSnippet(title=title, description=text) for title, text in TEXTS))


def fts5_bm25(terms: list[str]) -> dict[int, float]:
    """FTS5's own bm25 for every match, as search.relevance_score asks for it (negated)."""
    score_sql, _, _ = search.relevance_score(terms)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, -{score_sql} FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH %s",
            [search.sqlite_match(terms)],
        )
        return dict(cursor.fetchall())


def matches(terms: list[str]) -> list[tuple[int, str, str]]:
    keys = fts5_bm25(terms)
    return list(
        Video.objects.filter(sort_key__in=keys).values_list("sort_key", "title", "description")
    )


@pytest.mark.parametrize("text", ["tea", "tea how", "te", "the", "thé menthe", "word tea", "goals"])
def test_it_scores_every_match_as_fts5_does(texts, text):
    terms = search.words(text)
    expected = fts5_bm25(terms)
    assert expected, "the search must match something to compare"
    ours = ranking.scores(matches(terms), terms)
    assert ours.keys() == expected.keys()
    for rowid, score in expected.items():
        assert ours[rowid] == pytest.approx(score, rel=1e-9), rowid


def test_a_title_match_outranks_a_mention_in_a_long_description(texts):
    terms = search.words("tea")
    ours = ranking.scores(matches(terms), terms)
    by_title = dict(Video.objects.values_list("title", "sort_key"))
    assert ours[by_title["Tea"]] > ours[by_title["Cooking show"]]
    assert ours[by_title["TEA TEA"]] > ours[by_title["Tea"]]


def test_it_estimates_a_words_rarity_from_the_newest_videos(texts, add_videos, monkeypatch):
    # 30 older videos without "menthe" or "tea": the newest ten (the texts) are the sample.
    add_videos(30, title="Older", published_at=T0 - timedelta(days=1))
    monkeypatch.setattr(ranking, "IDF_SAMPLE", len(TEXTS))
    total = Video.objects.count()
    (idf,) = ranking.inverse_frequencies(["menthe"], total_rows=total)
    holding = 1 * total / len(TEXTS)
    assert idf == pytest.approx(math.log((total - holding + 0.5) / (holding + 0.5)))
    # "tea" is in 7 of the sample's 10 (so in 70% of all, by the estimate): FTS5's floor.
    assert ranking.inverse_frequencies(["tea"], total_rows=total) == [1e-6]
    monkeypatch.setattr(ranking, "IDF_SAMPLE", 1000)  # more than stored: counted exactly
    (exact,) = ranking.inverse_frequencies(["tea"], total_rows=total)
    assert exact == pytest.approx(math.log((total - 7 + 0.5) / (7 + 0.5)))


def test_it_reads_sqlites_variable_length_integers():
    assert ranking.varints(b"\x00\x7f") == [0, 127]
    assert ranking.varints(b"\x81\x00") == [128]
    assert ranking.varints(b"\xbd\x84\x40\x17") == [1_000_000, 23]
    assert ranking.varints(b"\xff" * 8 + b"\x01") == [(1 << 64) - 255]

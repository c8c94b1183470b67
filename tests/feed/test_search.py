from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from django.db import connection

from feed import search
from tests.fixtures.videos import T0, FakeSnippet, api_get

TEA = FakeSnippet(youtube_id="tea", title="How to make tea?", description="A masala chai recipe")
PASTA = FakeSnippet(youtube_id="pasta", title="Making pasta", description="Fresh & easy")
CAFE = FakeSnippet(youtube_id="cafe", title="Crème brûlée at the Café", description="Zürich")
ROHIT = FakeSnippet(youtube_id="rohit", title="Chai & Cricket with Rohit's fans", description="")


@pytest.fixture
def library(add_videos):
    add_videos(TEA, PASTA, CAFE, ROHIT)


def found(client, q: str, **params) -> list[str]:
    return [v["id"] for v in api_get(client, q=q, **params)["videos"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tea how", ["tea"]),
        ("how tea", ["tea"]),
        ("tea ho", ["tea"]),
        ("ho tea", ["tea"]),
        ("mak", ["tea", "pasta"]),
        ("MAKING", ["pasta"]),
        ("tEa HoW", ["tea"]),
        ("chai", ["tea", "rohit"]),
        ("masala", ["tea"]),  # the description is searched too
        ("cafe", ["cafe"]),
        ("CAFÉ creme brulee", ["cafe"]),
        ("zurich", ["cafe"]),
        ("rohit", ["rohit"]),
        ("rohit's", ["rohit"]),
        ("tea pasta", []),
        ("coffee", []),
    ],
)
def test_it_matches_every_word_as_a_prefix_in_any_order(client, library, q, expected):
    # All four share a publish second: the order given when storing (newest first) holds.
    assert found(client, q) == expected


@pytest.mark.parametrize(
    "q",
    [
        '"tea',
        "tea*",
        "tea OR pasta",
        "NEAR(tea how)",
        "tea -how",
        "title:tea",
        "tea AND NOT how",
        "'; DROP TABLE feed_video; --",
        "tea\x00how",
        "tea) OR (1=1",
        "^tea",
        "{tea}",
    ],
)
def test_it_treats_full_text_syntax_as_plain_words(client, library, q):
    response = client.get("/api/v1/youtube/videos", {"q": q})
    assert response.status_code == 200
    # Every case holds the word "tea" and otherwise only words in that video or none at all;
    # never an OR, a NOT, or a column filter.
    assert [v["id"] for v in response.json()["videos"]] in (["tea"], [])
    assert found(client, "tea how") == ["tea"]  # and nothing was dropped


def test_it_keeps_operators_from_widening_or_narrowing_a_search(client, library):
    assert found(client, "tea OR pasta") == []  # "or" is a word no video has
    assert found(client, "tea -how") == ["tea"]  # "-" is not NOT
    assert found(client, "tea*") == ["tea"]


@pytest.mark.parametrize("q", ["", "   ", "!!!", "🍵🍵", "\x00", "*", '""', "-", ":"])
def test_it_applies_no_search_when_there_is_no_word(client, library, q):
    assert len(found(client, q)) == 4


def test_it_finds_emoji_and_right_to_left_text_words(client, add_videos):
    add_videos(FakeSnippet(youtube_id="arabic", title="شاي 🍵 tea"))
    assert found(client, "🍵 شاي") == ["arabic"]


def test_it_combines_search_with_filters_and_the_cursor(client, add_videos):
    add_videos(
        FakeSnippet(youtube_id="t1", title="tea one", channel_id="UCa", published_at=T0),
        FakeSnippet(youtube_id="t2", title="tea two", channel_id="UCb", published_at=T0),
        query="drinks",
    )
    later = T0 + timedelta(seconds=1)
    add_videos(30, title="tea more", channel_id="UCa", query="drinks", published_at=later)
    add_videos(10, title="coffee", channel_id="UCa", live="live")
    assert found(client, "tea", channel="UCb") == ["t2"]
    assert found(client, "tea", query="drinks", channel="UCb") == ["t2"]
    assert found(client, "tea", live="live") == []
    assert len(found(client, "coffee", live="live", channel="UCa")) == 10
    before = T0.isoformat()
    assert found(client, "tea", published_before=before) == ["t1", "t2"]
    # Walk a search with a filter page by page: 31 videos of channel UCa say "tea".
    seen, token = [], None
    while True:
        payload = api_get(
            client, q="te", channel="UCa", limit=4, **({"sync_token": token} if token else {})
        )
        seen += [v["id"] for v in payload["videos"]]
        token = payload["sync_token"]
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 31
    assert seen[-1] == "t1"


def test_it_normalises_words_like_the_index():
    assert search.words("Tea, HOW? tea!") == ["tea", "how"]
    assert search.words("snake_case ＦＵＬＬ") == ["snake", "case", "full"]
    assert search.words("🍵 \x00 --") == []


def test_it_quotes_every_word_for_sqlite():
    assert search.sqlite_match(["tea", "ho"]) == '"tea"* "ho"*'


@pytest.mark.parametrize("probe_at_most", [0, 500])
def test_both_search_plans_agree_on_a_filtered_walk(client, add_videos, monkeypatch, probe_at_most):
    # 0: the filtered set is "large", so the search walks the index; 500: it probes per video.
    monkeypatch.setattr(search, "PROBE_AT_MOST", probe_at_most)
    add_videos(12, title="tea for two", channel_id="UCa", live="live")
    add_videos(12, title="tea for one", channel_id="UCb", published_at=T0 + timedelta(hours=1))
    add_videos(5, title="coffee", channel_id="UCa", published_at=T0 + timedelta(hours=2))
    walked, token = [], None
    while True:
        params = {"q": "tea fo", "channel": "UCa", "limit": 5}
        payload = api_get(client, **params, **({"sync_token": token} if token else {}))
        walked += [v["published_at"] for v in payload["videos"]]
        if (token := payload["sync_token"]) is None:
            break
    assert walked == sorted(walked, reverse=True) and len(walked) == 12
    assert len(found(client, "tea", live="live")) == 12


def test_it_finds_words_inside_markup_hosts_and_paths_on_every_database(client, add_videos):
    add_videos(
        FakeSnippet(youtube_id="markup", title="<script>alert(1)</script> <b>bold</b> tea"),
        FakeSnippet(youtube_id="host", title="Visit example.com or a/b_c for news@home"),
    )
    for q in ("script alert", "bold", "alert 1"):
        assert found(client, q) == ["markup"], q
    for q in ("example", "com", "a b c", "news home"):
        assert found(client, q) == ["host"], q


@pytest.mark.django_db(transaction=True)
def test_merging_the_index_folds_in_recent_writes_and_keeps_the_results(client, add_videos):
    # Each committed write adds a segment to SQLite's index, and entries to GIN's pending list.
    for n in range(6):
        add_videos(
            FakeSnippet(youtube_id=f"tea{n}", title=f"How to make tea, part {n}"),
            FakeSnippet(youtube_id=f"pasta{n}", title=f"Making pasta {n}", description="easy"),
        )
    before = {q: found(client, q) for q in ("tea how", "mak", "easy", "part 3")}
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        assert search.index_segments() > 1
    assert search.merge_index(max_steps=1000) >= 1
    assert search.merge_index(max_steps=1000) == 0  # nothing left to fold in
    assert search.index_segments() == (1 if sqlite else None)
    assert {q: found(client, q) for q in before} == before
    assert before["tea how"] == [f"tea{n}" for n in reversed(range(6))]


def test_it_counts_words_equal_once_folded_and_prefixes_of_others_once():
    assert search.words("à á â ã ä å a À") == ["à"]
    assert search.words("tea te t TEA ho") == ["tea", "ho"]
    assert search.words("café cafe caf") == ["café"]
    # 100 accented variants of "a", 199 characters: one term, not 100.
    assert search.words(" ".join("àáâãäåāăąạảấầẩẫậắằẳẵặǎǟǡǻȁȃȧ" * 4)[:199]) == ["à"]


def test_it_still_matches_what_the_dropped_words_would_have(client, library):
    assert found(client, "tea te t ho") == ["tea"]
    assert found(client, "à a á mak") == ["tea"]  # "A masala": every word must match


def test_it_refuses_more_different_words_than_the_limit(client, library, settings):
    settings.SEARCH_MAX_WORDS = 3
    assert found(client, "to make tea") == ["tea"]
    response = client.get("/api/v1/youtube/videos", {"q": "how to make tea ho"})
    assert response.status_code == 400
    message = "must have at most 3 different words"
    assert response.json() == {"error": {"param": "q", "message": message}}
    # Repeats and prefixes of other words are not counted.
    assert found(client, "tea tea TEA te make mak ho") == ["tea"]


# unaccent() turns these letters into tsquery syntax (an apostrophe, a colon): a 500 before.
MODIFIER_LETTERS = ["ʻ", "ʹ", "ʼ", "ʽ", "ˈ", "ː", "ŉ"]


@pytest.mark.parametrize("letter", MODIFIER_LETTERS)
def test_it_searches_words_with_modifier_letters_on_every_database(client, add_videos, letter):
    # Stored as YouTube would send it; searches are NFKC-normalised ("ŉ" is "ʼn").
    stored = unicodedata.normalize("NFKC", letter)
    add_videos(FakeSnippet(youtube_id="uke", title=f"{stored}Ukulele lessons for {stored}"))
    assert found(client, f"{letter}ukulele") == ["uke"]
    assert found(client, f"{letter}ukulele lessons") == ["uke"]
    for q in (letter, f"{letter} {letter}{letter}", f"tea {letter}", f"x{letter}y ukulele"):
        api_get(client, q=q)  # 200, whatever it finds


def test_it_looks_up_only_words_of_three_letters_or_more_on_postgresql():
    where, params = search.postgres_where(["tea", "a", "ho", "masala"])
    assert params == ["tea", "masala", "a", "ho", "a", "ho"]
    assert where[0].count("%s") == 2 and where[0].startswith("feed_video.search @@")
    assert "ts_match_vq(" in where[1]
    # With no long word, the longest is looked up.
    assert search.postgres_where(["a", "ho", "b"])[1] == ["ho", "a", "b", "a", "b"]


def test_short_words_find_the_same_videos_as_before_on_every_database(client, library):
    assert found(client, "a m h t") == ["tea"]  # How to make tea? A masala ...
    assert found(client, "c r w") == ["rohit"]
    assert found(client, "m t") == ["tea"]
    assert found(client, "m e") == ["pasta"]  # "Making pasta", "Fresh & easy"

"""The video grid: full page and htmx fragments, search, filters, sorting, the cursor, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from dashboard.views import BANNER_CAP, PAGE_SIZE
from feed.models import Video
from tests.fixtures.clock import NOW
from tests.fixtures.videos import FakeSnippet

HTMX = {"HX-Request": "true"}
CARD_ID = re.compile(r'<li class="card" id="v-([^"]+)"')
NEXT_URL = re.compile(r'<li class="more"><a class="button" href="([^"]+)"')


def card_ids(response) -> list[str]:
    return CARD_ID.findall(response.content.decode())


def next_url(response) -> str | None:
    found = NEXT_URL.search(response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def get(client, path: str = "/", params: dict | None = None, **headers):
    return client.get(path, params or {}, headers=headers)


def test_it_renders_the_full_page_newest_first(client, add_videos):
    snippets = add_videos(PAGE_SIZE + 5)
    response = get(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("<!doctype html>")
    assert '<input id="q" name="q" type="search"' in html
    assert card_ids(response) == [s.youtube_id for s in reversed(snippets)][:PAGE_SIZE]
    assert "HX-Request" in response["Vary"]
    assert "/static/django_htmx/htmx-2.min.js" in html
    assert "<script>" not in html and " style=" not in html  # CSP: nothing inline


def test_it_answers_an_htmx_request_with_the_results_fragment_only(client, add_videos):
    add_videos(3, title="How to make tea?")
    response = get(client, params={"q": "tea how", "live": "", "sort": "newest"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    # The tab's title, what the screen reader's live region says, then the results.
    assert html.lstrip().startswith("<title>tea how · Video feed</title>")
    assert '<p id="announce" hx-swap-oob="innerHTML">3 videos match.</p>' in html
    assert '<section id="results"' in html
    assert "<html" not in html and 'id="filters"' not in html
    assert len(card_ids(response)) == 3
    # The address bar shows what the reader asked for, without empty or default parameters.
    assert response["HX-Push-Url"] == "/?q=tea+how"
    assert "HX-Request" in response["Vary"]


def test_it_renders_the_full_page_when_htmx_restores_history(client, add_videos):
    add_videos(2)
    response = get(client, params={"q": "video"}, **HTMX, **{"HX-History-Restore-Request": "true"})
    assert response.content.decode().startswith("<!doctype html>")


def test_it_walks_every_video_once_through_the_load_more_links(client, add_videos):
    # Many videos in the same second: the cursor must still neither skip nor repeat one.
    snippets = add_videos(PAGE_SIZE * 2 + 7, published_at=NOW - timedelta(hours=1))
    snippets += add_videos(
        *[FakeSnippet(published_at=NOW - timedelta(minutes=30)) for _ in range(10)]
    )
    seen = card_ids(get(client))
    url = next_url(get(client))
    pages = 1
    while url:
        response = get(client, url, **HTMX)
        assert not response.content.decode().lstrip().startswith("<section")  # cards only
        seen += card_ids(response)
        url = next_url(response)
        pages += 1
    assert len(seen) == len(set(seen)) == len(snippets)
    expected = Video.objects.order_by("-sort_key").values_list("youtube_id", flat=True)
    assert seen == list(expected)
    assert pages == 3
    assert "You've reached the end" in response.content.decode()


def test_it_serves_a_next_page_as_a_whole_page_without_javascript(client, add_videos):
    add_videos(PAGE_SIZE + 3)
    url = next_url(get(client))
    assert "sync_token=" in url
    response = get(client, url)
    html = response.content.decode()
    assert html.startswith("<!doctype html>")
    assert len(card_ids(response)) == 3
    assert "Older videos" in html and "Back to the newest" in html
    assert 'id="banner"' not in html  # only the top of the feed grows


def test_every_heading_link_and_end_follows_an_oldest_first_sort(client, add_videos):
    add_videos(PAGE_SIZE + 3)
    first = get(client, params={"sort": "oldest"}).content.decode()
    assert "Oldest videos</h1>" in first and "Newest videos" not in first
    response = get(client, next_url(get(client, params={"sort": "oldest"})))
    html = response.content.decode()
    assert "Newer videos</h1>" in html and "Back to the oldest" in html
    assert "no newer videos." in html
    assert not re.search(r"\bolder\b", html, re.IGNORECASE)


def test_it_searches_with_the_api_semantics(client, add_videos):
    tea, _, cafe = add_videos(
        FakeSnippet(title="How to make tea?"),
        FakeSnippet(title="Showdown at the tea house"),  # "how" is not the start of a word here
        FakeSnippet(title="Café crème", description="breakfast"),
    )
    assert card_ids(get(client, params={"q": "tea how"})) == [tea.youtube_id]
    assert card_ids(get(client, params={"q": "TEA hOw"})) == [tea.youtube_id]
    assert card_ids(get(client, params={"q": "creme cafe"})) == [cafe.youtube_id]
    assert card_ids(get(client, params={"q": "breakf"})) == [cafe.youtube_id]
    api = client.get("/api/v1/youtube/videos", {"q": "tea how"}).json()
    assert [v["id"] for v in api["videos"]] == [tea.youtube_id]


def test_it_highlights_the_matched_word_starts(client, add_videos):
    add_videos(FakeSnippet(title="How to make tea? Café crème"))
    html = get(client, params={"q": "tea ho cafe"}).content.decode()
    assert "<mark>Ho</mark>w to make <mark>tea</mark>? <mark>Café</mark> crème" in html


def test_it_shows_a_hostile_title_as_text(client, add_videos):
    add_videos(FakeSnippet(title='<script>alert(1)</script> "tea" <b>', channel_title="<i>x</i>"))
    # Only "tea": PostgreSQL's text parser leaves tags and a <script>'s text out.
    html = get(client, params={"q": "tea"}).content.decode()
    assert "<script>alert" not in html and "<b>" not in html and "<i>x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;<mark>tea</mark>&quot;" in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel": "UCother"}, {"other-channel"}),
        ({"live": "live"}, {"live-now"}),
        ({"live": "upcoming"}, {"upcoming"}),
        ({"live": "none"}, {"old", "recent", "other-channel", "found-by-cricket"}),
        ({"query": "cricket"}, {"found-by-cricket"}),
        ({"when": "hour"}, {"recent", "live-now", "upcoming"}),
        ({"when": "month", "live": "live"}, {"live-now"}),
        ({"channel": "UCother", "q": "match"}, {"other-channel"}),
    ],
)
def test_it_filters_with_the_shared_filterset(client, add_videos, params, expected):
    now = NOW
    add_videos(FakeSnippet(youtube_id="old", published_at=now - timedelta(days=40), title="match"))
    add_videos(FakeSnippet(youtube_id="recent", published_at=now - timedelta(minutes=5)))
    add_videos(
        FakeSnippet(youtube_id="live-now", published_at=now - timedelta(minutes=6), live="live")
    )
    add_videos(
        FakeSnippet(youtube_id="upcoming", published_at=now - timedelta(minutes=7), live="upcoming")
    )
    add_videos(
        FakeSnippet(
            youtube_id="other-channel",
            published_at=now - timedelta(hours=2),
            channel_id="UCother",
            channel_title="Other channel",
            title="The match",
        )
    )
    add_videos(
        FakeSnippet(youtube_id="found-by-cricket", published_at=now - timedelta(hours=3)),
        query="cricket",
    )
    response = get(client, params=params)
    assert response.status_code == 200
    assert set(card_ids(response)) == expected


@pytest.mark.parametrize(
    ("now", "starts"),
    [
        # The first half-minute of a month that begins on a Tuesday.
        (
            datetime(2026, 12, 1, 0, 0, 30, tzinfo=UTC),
            {"hour": datetime(2026, 11, 30, 23, 0, 30, tzinfo=UTC), "month": "today"},
        ),
        # New Year's midnight, a Friday: the week began in the old year.
        (
            datetime(2027, 1, 1, tzinfo=UTC),
            {"week": datetime(2026, 12, 28, tzinfo=UTC), "month": "today"},
        ),
        # The last second of a Sunday in a month of 31 days.
        (
            datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC),
            {"week": datetime(2026, 5, 25, tzinfo=UTC), "month": datetime(2026, 5, 1, tzinfo=UTC)},
        ),
    ],
)
def test_the_date_presets_follow_the_products_clock_at_any_instant(
    client, add_videos, clock, now, starts
):
    clock.set(now)
    starts.setdefault("today", now.replace(hour=0, minute=0, second=0))
    starts.setdefault("hour", now - timedelta(hours=1))
    for when, start in starts.items():
        start = starts[start] if isinstance(start, str) else start
        Video.objects.all().delete()
        add_videos(
            FakeSnippet(youtube_id="before", published_at=start - timedelta(seconds=1)),
            FakeSnippet(youtube_id="first", published_at=start),
            FakeSnippet(youtube_id="now", published_at=now),
        )
        assert set(card_ids(get(client, params={"when": when}))) == {"now", "first"}, when


def test_it_reads_a_custom_range_with_the_whole_last_day(client, add_videos):
    day = NOW.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    add_videos(
        FakeSnippet(youtube_id="before", published_at=day - timedelta(seconds=1)),
        FakeSnippet(youtube_id="first", published_at=day),
        FakeSnippet(youtube_id="last", published_at=day + timedelta(hours=23, minutes=59)),
        FakeSnippet(youtube_id="after", published_at=day + timedelta(days=1)),
    )
    date = day.date().isoformat()
    response = get(client, params={"published_after": date, "published_before": date})
    assert card_ids(response) == ["last", "first"]
    # A full ISO time keeps the API's meaning, and the form keeps it editable as text.
    response = get(client, params={"published_before": f"{date}T12:00:00Z"})
    assert card_ids(response) == ["first", "before"]
    assert f'value="{date}T12:00:00Z" type="text"' in response.content.decode()


def test_it_sorts_oldest_first_and_pages_that_way(client, add_videos):
    snippets = add_videos(PAGE_SIZE + 2)
    response = get(client, params={"sort": "oldest"})
    oldest = [s.youtube_id for s in snippets]
    assert card_ids(response) == oldest[:PAGE_SIZE]
    url = next_url(response)
    assert "sort=oldest" in url
    assert card_ids(get(client, url, **HTMX)) == oldest[PAGE_SIZE:]
    assert 'id="banner"' not in response.content.decode()  # the new ones arrive at the end


def test_it_keeps_every_filter_in_the_links_it_makes(client, add_videos):
    add_videos(PAGE_SIZE + 1, channel_id="UCx", live="live", title="tea")
    params = {"q": "tea", "channel": "UCx", "live": "live", "when": "month", "sort": "oldest"}
    html = get(client, params=params).content.decode()
    query = parse_qs(urlsplit(next_url(get(client, params=params))).query)
    assert {k: v[0] for k, v in query.items() if k != "sync_token"} == params
    # Clearing the filters is one link; it keeps the search.
    assert '<a class="clear" href="/?q=tea">Clear filters</a>' in html


def test_it_offers_no_clear_link_without_filters(client, add_videos):
    add_videos(1, title="tea")
    assert (
        "Clear filters" not in get(client, params={"q": "tea", "sort": "newest"}).content.decode()
    )


def test_it_shows_the_empty_states(client, add_videos):
    html = get(client).content.decode()
    assert "No videos yet" in html
    add_videos(1, title="tea")
    html = get(client, params={"q": "coffee"}).content.decode()
    assert "No videos match" in html and "No videos yet" not in html
    html = get(client, params={"q": "coffee", "live": "live"}).content.decode()
    assert "clear the filters</a>" in html


@pytest.mark.parametrize(
    ("params", "param", "says"),
    [
        ({"published_after": "yesterday"}, "published_after", "must be a date like 2026-11-28"),
        ({"published_before": "2026-13-45"}, "published_before", "must be a date like"),
        ({"live": "maybe"}, "live", "must be none, live or upcoming"),
        ({"when": "decade"}, "when", "must be hour, today, week or month"),
        ({"sort": "random"}, "sort", "must be newest, oldest, views or relevance"),
        ({"sync_token": "abc"}, "sync_token", "must be the integer sync_token"),
        ({"sync_token": "-5"}, "sync_token", "must be the integer sync_token"),
        ({"since": "1e9"}, "since", "must be the sort key"),
        ({"q": "x" * 201}, "q", "at most 200 characters"),
    ],
)
def test_it_explains_a_bad_parameter_with_a_400_page(client, add_videos, params, param, says):
    add_videos(1)
    response = get(client, params=params)
    html = response.content.decode()
    assert response.status_code == 400
    assert html.startswith("<!doctype html>") and 'role="alert"' in html
    assert f"<code>{param}</code>" in html and says in html
    fragment = get(client, params=params, **HTMX)
    assert fragment.status_code == 400
    assert "<html" not in fragment.content.decode()
    assert '<section id="results"' in fragment.content.decode()
    assert "These videos can't be shown" in fragment.content.decode().split("<section")[0]


def test_it_treats_hostile_search_text_as_words(client, add_videos):
    add_videos(FakeSnippet(title="tea OR coffee"))
    for text in ['"tea', "tea*", "NEAR(tea)", "tea -coffee", "tea:", "\x00tea", "' OR 1=1 --"]:
        response = get(client, params={"q": text})
        assert response.status_code == 200, text


def test_it_counts_new_videos_for_the_live_banner(client, add_videos):
    now = NOW
    add_videos(3, published_at=now - timedelta(hours=1))
    response = get(client)
    poll = re.search(r'id="banner" class="banner" hx-get="([^"]+)"', response.content.decode())
    poll_url = poll.group(1).replace("&amp;", "&")
    top = Video.objects.order_by("-sort_key").first().sort_key
    assert poll_url == f"/?since={top}"

    quiet = get(client, poll_url, **HTMX)
    assert quiet.content.decode().lstrip().startswith('<div id="banner"')
    assert (
        "new video" not in quiet.content.decode() and 'id="announce"' not in quiet.content.decode()
    )

    add_videos(4, published_at=now - timedelta(minutes=1))
    html = get(client, poll_url, **HTMX).content.decode()
    assert "4 new videos" in html
    # The poll keeps its own mark: the grid has not moved, so neither has "since"; it notes the
    # count shown, and the live region hears a count only when it changes.
    assert f'hx-get="/?since={top}&amp;seen=4"' in html
    assert '<p id="announce" hx-swap-oob="innerHTML">4 new videos: press n to show them.' in html
    again = get(client, f"/?since={top}&seen=4", **HTMX).content.decode()
    assert "4 new videos" in again and 'id="announce"' not in again

    add_videos(BANNER_CAP + 5, published_at=now - timedelta(seconds=30))
    assert f"{BANNER_CAP}+ new videos" in get(client, poll_url, **HTMX).content.decode()


def test_the_live_banner_counts_only_videos_that_match(client, add_videos):
    now = NOW
    add_videos(FakeSnippet(title="tea", published_at=now - timedelta(hours=1)))
    top = Video.objects.get().sort_key
    add_videos(
        FakeSnippet(title="tea again", published_at=now),
        FakeSnippet(title="coffee", published_at=now),
    )
    html = get(client, params={"q": "tea", "since": top}, **HTMX).content.decode()
    assert "1 new video " in html


def test_it_says_demo_mode_and_hides_the_simulators_thumbnails(client, add_videos, settings):
    add_videos(1)
    settings.DEMO_MODE = True
    html = get(client).content.decode()
    assert "built-in YouTube simulator" in html and "<img" not in html


def test_it_lazy_loads_sized_thumbnails(client, add_videos, settings):
    settings.DEMO_MODE = False
    add_videos(FakeSnippet(title="A video", live="live"))
    html = get(client).content.decode()
    assert "built-in YouTube simulator" not in html
    assert (
        '<img src="https://i.ytimg.com/vi/x/mqdefault.jpg" alt="" width="320" height="180" '
        'loading="lazy"'
    ) in html
    assert '<span class="badge live">LIVE</span>' in html


def test_live_and_upcoming_cards_have_no_duration_or_zero_views(client, add_videos):
    add_videos(FakeSnippet(youtube_id="live1", live="live", published_at=NOW - timedelta(hours=1)))
    add_videos(
        FakeSnippet(youtube_id="soon1", live="upcoming", published_at=NOW - timedelta(hours=9))
    )
    Video.objects.update(duration_seconds=0, view_count=0)
    html = get(client).content.decode()
    assert "badge duration" not in html and "0 views" not in html
    assert ">started 1 h ago</time>" in html and ">announced 9 h ago</time>" in html


def test_a_card_shows_duration_views_and_time(client, add_videos):
    (snippet,) = add_videos(FakeSnippet(published_at=NOW - timedelta(minutes=5)))
    Video.objects.update(duration_seconds=3723, view_count=1_234_567)
    html = get(client).content.decode()
    assert "1:02:03</span>" in html and "1.2M views" in html
    assert re.search(
        r'<time datetime="[^"]+" data-live="none" title="\d\d \w+ \d{4}, \d\d:\d\d UTC">'
        r"5 min ago</time>",
        html,
    )
    assert f'href="https://www.youtube.com/watch?v={snippet.youtube_id}"' in html


@pytest.mark.parametrize(
    ("params", "headers", "queries"),
    [
        # The page, then the source-query list (the filter form's: only a full page has it).
        ({}, {}, 2),
        ({"q": "tea how", "when": "week", "sort": "oldest"}, {}, 2),
        # SQLite first asks whether the filter keeps few videos (feed.search.is_small).
        ({"q": "tea", "live": "none"}, HTMX, 2 if connection.vendor == "sqlite" else 1),
        # The live banner's poll: the count alone.
        ({"since": "1"}, HTMX, 1),
    ],
)
def test_it_runs_a_fixed_number_of_queries(
    client, add_videos, django_assert_num_queries, params, headers, queries
):
    add_videos(PAGE_SIZE * 2, title="How to make tea?")
    add_videos(5, title="How to make tea?", query="football")
    with django_assert_num_queries(queries):
        assert get(client, params=params, **headers).status_code == 200


@pytest.mark.parametrize(
    "q",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "  youtube.com/watch?feature=share&v=dQw4w9WgXcQ ",
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://m.youtube.com/shorts/dQw4w9WgXcQ",
        "dQw4w9WgXcQ",
    ],
)
def test_a_youtube_link_or_video_id_finds_that_video(client, add_videos, q):
    add_videos(FakeSnippet(youtube_id="dQw4w9WgXcQ", title="Never gonna"), FakeSnippet(title="x"))
    response = get(client, params={"q": q})
    assert response.status_code == 200
    assert card_ids(response) == ["dQw4w9WgXcQ"]
    api = client.get("/api/v1/youtube/videos", {"q": q}).json()
    assert [v["id"] for v in api["videos"]] == ["dQw4w9WgXcQ"]


def test_an_eleven_letter_word_that_is_no_stored_id_is_searched_as_a_word(client, add_videos):
    add_videos(FakeSnippet(title="Masterchefs final"), FakeSnippet(title="Other"))
    response = get(client, params={"q": "masterchefs"})
    assert len(card_ids(response)) == 1 and "<mark>Masterchefs</mark>" in response.content.decode()
    unknown = get(client, params={"q": "https://youtu.be/aaaaaaaaaaa"}).content.decode()
    assert "No videos match" in unknown


def test_it_refuses_a_from_date_after_the_to_date(client, add_videos):
    add_videos(1)
    response = get(
        client, params={"published_after": "2026-11-28", "published_before": "2026-11-20"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "check the “To” date" in html and "must not be before the “From” date" in html
    same_day = {"published_after": "2026-11-28", "published_before": "2026-11-28"}
    assert get(client, params=same_day).status_code == 200


def test_an_unknown_address_is_the_sites_404_page_even_in_debug(client, settings):
    settings.DEBUG = True
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "<style" not in html and 'href="/static/css/' in html
    assert client.get("/admin").status_code == 301  # still given its slash


def test_it_serves_the_depth_a_reader_had_loaded_as_one_page(client, add_videos):
    add_videos(PAGE_SIZE * 3 + 5)
    assert len(card_ids(get(client, params={"shown": "72"}))) == 72
    assert len(card_ids(get(client, params={"shown": "3"}))) == PAGE_SIZE
    assert len(card_ids(get(client, params={"shown": "99999"}))) == PAGE_SIZE
    assert len(card_ids(get(client, params={"shown": "2²"}))) == PAGE_SIZE
    # The next page starts after the last card shown.
    following = get(client, next_url(get(client, params={"shown": "72"})))
    assert len(card_ids(following)) == 5


def test_a_match_only_in_the_description_shows_a_snippet_of_it(client, add_videos):
    add_videos(
        FakeSnippet(youtube_id="desc", title="Sunday stream", description="We brew masala chai."),
        FakeSnippet(youtube_id="titl", title="Masala chai", description="Masala chai again."),
    )
    html = get(client, params={"q": "chai"}).content.decode()
    assert '<p class="snippet">We brew masala <mark>chai</mark>.</p>' in html
    assert html.count('class="snippet"') == 1  # the title already shows why the other matched


def test_the_api_link_leads_to_a_page_that_describes_the_api(client, db):
    html = get(client).content.decode()
    assert '<a href="/api">API</a>' in html
    page = client.get("/api")
    text = page.content.decode()
    assert page.status_code == 200 and text.startswith("<!doctype html>")
    assert "<code>GET /api/v1/youtube/videos</code>" in text and "<code>sync_token</code>" in text
    assert 'href="/api/v1/openapi.json"' in text


def test_the_type_filter_offers_every_kind_of_video_in_the_pages_words(client, db):
    html = get(client).content.decode()
    select = html.split('<select name="live">')[1].split("</select>")[0]
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', select)
    assert options == [
        ("", "All videos"),
        ("none", "Regular"),
        ("live", "Live now"),
        ("upcoming", "Upcoming"),
    ]

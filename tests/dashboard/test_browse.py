"""The grid's length and Shorts filters, sort by views and the channel pages (issue 14)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.views import PAGE_SIZE
from tests.dashboard.test_grid import HTMX, card_ids, get, next_url
from tests.feed.test_filters import add_timed
from tests.fixtures.videos import T0, FakeSnippet


@pytest.fixture
def timed(add_videos) -> None:
    add_timed(add_videos, {"shortclip01": 60, "mediumtalk1": 600, "longmatch01": 3600})
    add_timed(add_videos, {"unanswered1": None})


def test_it_filters_by_length_and_shorts_with_the_apis_rules(client, timed):
    assert set(card_ids(get(client, params={"duration": "long"}))) == {"unanswered1", "longmatch01"}
    assert card_ids(get(client, params={"shorts": "only"})) == ["shortclip01"]
    assert "shortclip01" not in card_ids(get(client, params={"shorts": "exclude"}))
    html = get(client, params={"duration": "medium"}).content.decode()
    assert '<option value="medium" selected>4-20 minutes</option>' in html
    assert "Clear filters" in html


def test_the_length_filters_stay_in_the_address_and_the_next_page(client, add_videos):
    add_timed(add_videos, {f"longvideo{i:02d}": 1500 for i in range(PAGE_SIZE + 1)})
    params = {"duration": "long", "shorts": "exclude"}
    response = get(client, params=params, **HTMX)
    assert response["HX-Push-Url"] == "/?duration=long&shorts=exclude"
    query = parse_qs(urlsplit(next_url(response)).query)
    assert {k: v[0] for k, v in query.items() if k != "sync_token"} == params


@pytest.mark.parametrize(
    ("params", "param", "says"),
    [
        ({"duration": "tiny"}, "duration", "must be short, medium or long"),
        ({"shorts": "hide"}, "shorts", "must be exclude or only"),
    ],
)
def test_it_explains_a_bad_length_filter_with_a_400_page(client, add_videos, params, param, says):
    add_videos(1)
    response = get(client, params=params)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<code>{param}</code>" in html and says in html


def channel_videos(add_videos, count: int = 3) -> list:
    mine = add_videos(count, channel_id="UCchai", channel_title="Chai & Cricket", title="tea time")
    add_videos(2, channel_id="UCother", channel_title="Other", title="tea too")
    return mine


def test_a_cards_channel_name_links_to_the_channel_page(client, add_videos):
    channel_videos(add_videos, 1)
    html = get(client).content.decode()
    assert '<p class="channel"><a href="/channel/UCchai">Chai &amp; Cricket</a></p>' in html


def test_the_channel_page_shows_its_videos_its_name_and_count(client, add_videos):
    from feed.models import Video

    mine = channel_videos(add_videos, 3)
    Video.objects.filter(youtube_id=mine[0].youtube_id).update(removed_at=T0)
    response = get(client, "/channel/UCchai")
    html = response.content.decode()
    assert response.status_code == 200
    assert card_ids(response) == [s.youtube_id for s in reversed(mine[1:])]
    assert '<h1 id="channel-name">Chai &amp; Cricket</h1>' in html
    assert '<p class="channel-count">2 videos' in html
    assert "<title>Chai &amp; Cricket · Video feed</title>" in html
    assert '<h2 id="results-heading"' in html
    assert 'action="/channel/UCchai"' in html and 'name="channel"' not in html


def test_the_channel_page_searches_filters_and_scrolls_within_the_channel(client, add_videos):
    mine = channel_videos(add_videos, PAGE_SIZE + 2)
    response = get(client, "/channel/UCchai", params={"q": "tea", "channel": "UCother"}, **HTMX)
    assert response["HX-Push-Url"] == "/channel/UCchai?q=tea"
    assert "<title>tea · Chai &amp; Cricket · Video feed</title>" in response.content.decode()
    newest_first = [s.youtube_id for s in reversed(mine)]
    assert card_ids(response) == newest_first[:PAGE_SIZE]
    url = next_url(response)
    assert url.startswith("/channel/UCchai?q=tea&sync_token=")
    assert card_ids(get(client, url, **HTMX)) == newest_first[PAGE_SIZE:]
    clear = get(client, "/channel/UCchai", params={"q": "tea", "live": "none"}).content.decode()
    assert '<a class="clear" href="/channel/UCchai?q=tea">Clear filters</a>' in clear


def test_the_channel_pages_banner_counts_only_that_channels_new_videos(client, add_videos):
    channel_videos(add_videos, 2)
    page = get(client, "/channel/UCchai").content.decode()
    poll_url = re.search(r'id="banner" class="banner" hx-get="([^"]+)"', page).group(1)
    assert poll_url.startswith("/channel/UCchai?since=")
    add_videos(2, channel_id="UCchai", published_at=T0 + timedelta(hours=1))
    add_videos(3, channel_id="UCother", published_at=T0 + timedelta(hours=1))
    html = get(client, poll_url, **HTMX).content.decode()
    assert "2 new videos" in html and 'href="/channel/UCchai"' in html


def test_the_channel_filter_of_the_grid_keeps_working(client, add_videos):
    mine = channel_videos(add_videos, 2)
    response = get(client, params={"channel": "UCchai"})
    assert card_ids(response) == [s.youtube_id for s in reversed(mine)]
    assert "from Chai &amp; Cricket" in response.content.decode()


@pytest.mark.parametrize("path", ["/channel/UCnobody", "/channel/" + "U" * 65, "/channel/UC%00x"])
def test_an_unknown_channel_is_a_404_page(client, add_videos, path):
    channel_videos(add_videos, 1)
    response = get(client, path)
    assert response.status_code == 404
    html = response.content.decode()
    assert html.startswith("<!doctype html>") and "<h1>Channel not found</h1>" in html


def test_a_channel_id_with_a_slash_still_has_its_page(client, add_videos):
    add_videos(1, channel_id="UC/odd id", channel_title="Odd")
    html = get(client).content.decode()
    assert 'href="/channel/UC/odd%20id"' in html
    assert card_ids(get(client, "/channel/UC/odd%20id"))


def test_most_viewed_pages_with_its_own_cursor_and_says_so(client, add_videos):
    from tests.feed.test_sort_by_views import set_views

    snippets = add_videos(PAGE_SIZE + 2)
    set_views({s.youtube_id: i * 10 for i, s in enumerate(snippets)})
    response = get(client, params={"sort": "views"})
    html = response.content.decode()
    most_viewed = [s.youtube_id for s in reversed(snippets)]
    assert card_ids(response) == most_viewed[:PAGE_SIZE]
    assert ">Most viewed videos</h1>" in html
    assert '<option value="views" selected>Most viewed</option>' in html
    assert 'id="banner"' not in html  # new videos do not arrive at the top of this order
    url = next_url(response)
    assert "sort=views" in url and "sync_token=20_" in url
    rest = get(client, url)
    assert card_ids(rest) == most_viewed[PAGE_SIZE:]
    html = rest.content.decode()
    assert ">Less viewed videos</h1>" in html and "Back to the most viewed" in html
    assert "no less viewed videos" in html


def test_a_cursor_of_another_sort_is_a_400_page(client, add_videos):
    add_videos(1)
    response = get(client, params={"sort": "views", "sync_token": "1764000000000000"})
    assert response.status_code == 400
    assert "<code>sync_token</code>" in response.content.decode()


def test_best_match_ranks_a_search_and_pages_within_its_candidates(client, add_videos):
    from feed.models import Video

    add_videos(PAGE_SIZE + 3, title="tea time at the station with friends")
    add_videos(FakeSnippet(youtube_id="besttea0001", title="tea", published_at=T0))
    response = get(client, params={"q": "tea", "sort": "relevance"})
    html = response.content.decode()
    assert card_ids(response)[0] == "besttea0001"
    assert '<option value="relevance" selected>Best match</option>' in html
    url = next_url(response)
    assert "sort=relevance" in url
    rest = card_ids(get(client, url, **HTMX))
    assert len(card_ids(response)) + len(rest) == Video.objects.count()
    assert not set(rest) & set(card_ids(response))


def test_best_match_without_a_search_is_a_400_page_that_says_why(client, add_videos):
    add_videos(1)
    response = get(client, params={"sort": "relevance"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<code>sort</code>" in html and "relevance ranks a search" in html


def test_the_api_page_lists_the_new_parameters_and_both_cursor_shapes(client, db):
    text = client.get("/api").content.decode()
    for name in ("duration", "shorts", "sort"):
        assert f"<code>{name}</code>" in text
    assert "string, one of short, medium, long" in text
    assert "integer or string" in text  # sync_token: an integer, or a string when sorted

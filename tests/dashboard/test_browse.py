"""The grid's length and Shorts filters, sort by views and the channel pages (issue 14)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.views import PAGE_SIZE
from tests.dashboard.test_grid import HTMX, card_ids, get, next_url
from tests.feed.test_filters import add_timed


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

"""Hostile parameters (tests/hardening/hostile_inputs.py) against the JSON API and the dashboard:
never a 5xx; the API answers its documented 400 body or a page, the pages a friendly message."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse

from tests.fixtures.videos import T0, FakeSnippet
from tests.hardening.hostile_inputs import HOSTILE_INPUTS, HOSTILE_QUERY_STRINGS, Hostile

API_PATHS = ["/api/v1/youtube/videos", "/api/v1/youtube/video/"]
CHANGES = "/api/v1/youtube/changes"
ALL_QUERY_STRINGS = [
    *((h.name, urlencode(h.params)) for h in HOSTILE_INPUTS),
    *HOSTILE_QUERY_STRINGS,
]
# Text that only an unescaped rendering of a hostile value (or a crash page) would contain.
NEVER_IN_A_PAGE = ("<script>alert(1)</script>", "Traceback", "OperationalError", "DataError")


@pytest.fixture
def videos(add_videos) -> None:
    add_videos(
        *(
            FakeSnippet(
                published_at=T0 + timedelta(seconds=i),
                title=f"How to make tea? {i} ⚽ مرحبا",
                description="Café & chai",
                channel_id="UCchai",
                live=("none", "live", "upcoming")[i % 3],
            )
            for i in range(25)
        ),
        query="tea",
    )


def as_changes(hostile: Hostile) -> Hostile:
    """The same attack on /changes, whose cursor is `since` and which has no `sort` (the change
    log has one order): an attack through a sort expects no particular answer there."""
    pairs = tuple(("since" if k == "sync_token" else k, v) for k, v in hostile.pairs if k != "sort")
    sorted_attack = len(pairs) < len(hostile.pairs)
    status = None if sorted_attack else hostile.api_status
    return Hostile(name=hostile.name, pairs=pairs, api_status=status)


def assert_api_answer(response, *, expected: int | None, keys: tuple[str, ...]) -> None:
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"] == "application/json", response.content[:500]
    body = response.json()
    if expected is not None:
        assert response.status_code == expected, body
    if response.status_code == 400:
        assert set(body) == {"error"} and set(body["error"]) == {"param", "message"}, body
        assert body["error"]["message"]
    else:
        assert response.status_code == 200, body
        assert set(body) == set(keys)


@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize("hostile", HOSTILE_INPUTS, ids=lambda h: h.name)
def test_the_api_answers_hostile_parameters_without_a_5xx(
    client, videos, hostile: Hostile, path: str
):
    response = client.get(f"{path}?{urlencode(hostile.params)}")
    assert_api_answer(
        response, expected=hostile.api_status, keys=("videos", "sync_token", "changes_since")
    )


@pytest.mark.parametrize("hostile", HOSTILE_INPUTS, ids=lambda h: h.name)
def test_the_changes_feed_answers_hostile_parameters_without_a_5xx(client, videos, hostile):
    hostile = as_changes(hostile)
    response = client.get(f"{CHANGES}?{urlencode(hostile.params)}")
    assert_api_answer(response, expected=hostile.api_status, keys=("changes", "since"))
    if response.status_code == 400 and hostile.name.startswith("sync_token-"):
        assert response.json()["error"]["param"] == "since"


@pytest.mark.parametrize(("name", "query_string"), HOSTILE_QUERY_STRINGS, ids=lambda v: v[:30])
def test_the_api_answers_malformed_query_strings_without_a_5xx(client, videos, name, query_string):
    response = client.get(f"{API_PATHS[0]}?{query_string}")
    assert_api_answer(response, expected=None, keys=("videos", "sync_token", "changes_since"))
    response = client.get(f"{CHANGES}?{query_string.replace('sync_token', 'since')}")
    assert_api_answer(response, expected=None, keys=("changes", "since"))


def test_a_hostile_search_never_matches_more_than_its_words(client, videos):
    # An injected OR / wildcard / SQL fragment would widen the match; plain words narrow it.
    for text in ("tea OR nothing", "tea' OR '1'='1", 'tea" OR "nothing', "tea NEAR(nothing)"):
        response = client.get(API_PATHS[0], {"q": text})
        assert response.status_code == 200
        assert response.json()["videos"] == [], text
    assert len(client.get(API_PATHS[0], {"q": "tea"}).json()["videos"]) == 20


# -- the dashboard: runs once its URL exists ------------------------------------------------------


def dashboard_url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        pytest.skip(f"the dashboard's {name!r} URL does not exist yet")


def assert_friendly_page(response) -> None:
    assert response.status_code < 500, response.content[:500]
    assert response.status_code in (200, 400), response.status_code
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    for needle in NEVER_IN_A_PAGE:
        assert needle not in text, needle
    if response.status_code == 400:
        assert len(text.strip()) > 0, "a 400 page must say what was wrong"


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "htmx-fragment"])
@pytest.mark.parametrize(("name", "query_string"), ALL_QUERY_STRINGS, ids=lambda v: v[:40])
def test_the_dashboard_renders_hostile_parameters_without_a_5xx(
    client, videos, name, query_string, fragment
):
    url = dashboard_url("dashboard-grid")
    headers = {"HX-Request": "true"} if fragment else {}
    response = client.get(f"{url}?{query_string}", headers=headers)
    assert_friendly_page(response)


# -- the grid's feeds: the grid is the reference ---------------------------------------------------

PAGING = {"sync_token", "since", "shown", "seen"}


@pytest.mark.parametrize("kind", ["atom", "json"])
@pytest.mark.parametrize(("name", "query_string"), ALL_QUERY_STRINGS, ids=lambda v: v[:40])
def test_the_feeds_answer_hostile_parameters_as_the_grid_does(
    client, videos, name, query_string, kind
):
    response = client.get(f"{reverse(f'feed-{kind}')}?{query_string}")
    assert response.status_code in (200, 400), response.content[:500]
    grid = client.get(f"{reverse('dashboard-grid')}?{query_string}").status_code
    if response.status_code == 400:
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"param", "message"}, body
        assert grid == 400, "the feed refuses what the grid shows"
    else:
        # The grid refuses only what a feed ignores: its paging.
        params = QueryDict(query_string)
        assert grid == 200 or PAGING & set(params), "the feed shows what the grid refuses"
        text = response.content.decode()
        for needle in NEVER_IN_A_PAGE:
            assert needle not in text, needle

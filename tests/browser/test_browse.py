"""Issue 14 in Chromium: the length and Shorts filters, "Most viewed" and the channel pages, with
the keyboard only, and axe-core's verdict on each."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from feed.models import Length, Video
from tests.browser.conftest import axe_violations
from tests.browser.test_dashboard import CARDS, card_ids, lively  # noqa: F401 (a fixture)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def swapped_after(page: Page, step) -> None:
    """Run `step` (it makes htmx replace #results) and wait until the old results are gone."""
    page.evaluate("document.getElementById('results').dataset.old = '1'")
    step()
    expect(page.locator("#results[data-old]")).to_have_count(0)


def choose_by_keyboard(page: Page, name: str, option: str) -> None:
    """Tab from the search box to the select `name`, then arrow down until it shows `option`,
    each step waiting for the swap it makes."""
    select = page.locator(f"select[name={name}]")
    page.locator("#q").focus()
    for _ in range(30):  # a date input takes a Tab per part
        if select.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert select.evaluate("el => el === document.activeElement"), name
    for _ in range(5):
        if select.evaluate("el => el.options[el.selectedIndex].text") == option:
            return
        swapped_after(page, lambda: page.keyboard.press("ArrowDown"))
    raise AssertionError(f"{name} never showed {option}")


def test_the_length_and_shorts_filters_work_from_the_keyboard(
    page: Page,
    live_server,
    lively,  # noqa: F811
):
    page.goto(live_server.url)
    choose_by_keyboard(page, "duration", "Over 20 minutes")
    expect(page).to_have_url(re.compile(r"/\?duration=long$"))
    long_or_unknown = set(
        Video.objects.filter(length__in=[Length.UNKNOWN, Length.LONG]).values_list(
            "youtube_id", flat=True
        )
    )
    shown = {card.removeprefix("v-") for card in card_ids(page)}
    assert shown and shown <= long_or_unknown
    expect(page.locator("#announce")).to_have_text(re.compile("match"))

    choose_by_keyboard(page, "shorts", "Hide Shorts")
    expect(page).to_have_url(re.compile(r"/\?duration=long&shorts=exclude$"))
    shown = [card.removeprefix("v-") for card in card_ids(page)]
    assert shown and not Video.objects.filter(youtube_id__in=shown, is_short=True).exists()
    expect(page.get_by_role("link", name="Clear filters")).to_be_visible()


def test_most_viewed_from_the_keyboard_says_so_and_scrolls_in_that_order(
    page: Page,
    live_server,
    lively,  # noqa: F811
):
    page.goto(live_server.url)
    choose_by_keyboard(page, "sort", "Most viewed")
    expect(page).to_have_url(re.compile(r"/\?sort=views$"))
    expect(page.locator("#results-heading")).to_have_text("Most viewed videos")
    expect(page.locator("#banner")).to_have_count(0)
    for count in (48, 72, 80):
        page.locator("li.more").scroll_into_view_if_needed()
        expect(page.locator(CARDS)).to_have_count(count)
    expect(page.locator("li.end")).to_have_text("You've reached the end: no less viewed videos.")
    expected = [
        f"v-{v.youtube_id}"
        for v in sorted(
            Video.objects.all(),
            key=lambda v: (v.view_count if v.view_count is not None else -1, v.sort_key),
            reverse=True,
        )
    ]
    assert card_ids(page) == expected


def test_a_channel_name_leads_by_keyboard_to_the_channels_page(
    page: Page,
    live_server,
    lively,  # noqa: F811
):
    page.goto(live_server.url)
    first = page.locator(CARDS).first
    channel = first.locator(".channel a")
    name = channel.inner_text()
    channel.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/channel/UC\w+$"))
    expect(page.locator("h1")).to_have_text(name)
    channel_id = page.url.rsplit("/", 1)[1]
    stored = Video.objects.filter(channel_id=channel_id).count()
    expect(page.locator(".channel-count")).to_contain_text(f"{stored} videos")
    expect(page).to_have_title(f"{name} · Video feed")
    expect(page.locator(CARDS)).to_have_count(min(stored, 24))
    assert {c.inner_text() for c in page.locator(f"{CARDS} .channel a").all()} == {name}

    # Search within the channel: the address stays the channel's.
    page.locator("#q").focus()
    swapped_after(page, lambda: page.keyboard.type("tea"))
    expect(page).to_have_url(re.compile(rf"/channel/{channel_id}\?q=tea$"))
    expect(page).to_have_title(f"tea · {name} · Video feed")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_nothing_on_a_channel_page_nor_with_the_new_filters(
    page: Page,
    live_server,
    lively,  # noqa: F811
    settings,
    scheme,
    size,
):
    settings.DEMO_MODE = True
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size(size)
    channel_id = lively[0].channel_id
    page.goto(f"{live_server.url}/channel/{channel_id}?sort=views")
    expect(page.locator(CARDS).first).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/?duration=medium&shorts=exclude&sort=views")
    expect(page.locator(CARDS).first).to_be_visible()
    assert axe_violations(page) == []


def test_an_unknown_channel_is_the_404_page_and_axe_finds_nothing(
    page: Page,
    live_server,
    lively,  # noqa: F811
    settings,
):
    settings.DEMO_MODE = True
    response = page.goto(live_server.url + "/channel/UCnobody")
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("Channel not found")
    assert axe_violations(page) == []


def test_best_match_ranks_a_search_from_the_keyboard(
    page: Page,
    live_server,
    lively,  # noqa: F811
):
    page.goto(live_server.url)
    page.locator("#q").focus()
    swapped_after(page, lambda: page.keyboard.type("tea"))
    newest_first = card_ids(page)
    choose_by_keyboard(page, "sort", "Best match")
    expect(page).to_have_url(re.compile(r"/\?q=tea&sort=relevance$"))
    expect(page.locator("#results-heading")).to_have_text("Videos matching “tea”")
    assert sorted(card_ids(page)) == sorted(newest_first)
    assert axe_violations(page) == []

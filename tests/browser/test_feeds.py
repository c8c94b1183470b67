"""Subscribe and share (issue 14, item 5) in Chromium: the feed links follow the search, the copy
control copies the grid's address and says so, by keyboard, and is a plain link without
JavaScript; axe-core finds nothing."""

from __future__ import annotations

import feedparser
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations
from tests.browser.test_dashboard import CARDS, lively  # noqa: F401 (a fixture)

SUBSCRIBE = "#results a[data-feed='atom']"
COPY = "#results a[data-copy]"


def test_the_feed_links_follow_the_search_and_the_feed_lists_its_videos(
    page: Page,
    live_server,
    lively,  # noqa: F811
):
    page.goto(live_server.url)
    expect(page.locator(SUBSCRIBE)).to_have_text("Subscribe")
    expect(page.locator("link#feed-atom")).to_have_attribute("href", "/feed.atom")
    page.locator("#q").fill("tea how")
    # The swap's own result: the new results carry the search's feed.
    expect(page.locator(SUBSCRIBE)).to_have_attribute("href", "/feed.atom?q=tea+how")
    expect(page.locator("#results a[data-feed='json']")).to_have_attribute(
        "href", "/feed.json?q=tea+how"
    )
    # The head, which htmx does not swap, follows too.
    expect(page.locator("link#feed-atom")).to_have_attribute("href", "/feed.atom?q=tea+how")
    expect(page.locator("link#feed-json")).to_have_attribute("href", "/feed.json?q=tea+how")

    shown = page.locator(f"{CARDS} .title a").all_inner_texts()
    assert shown
    answer = page.request.get(live_server.url + page.locator(SUBSCRIBE).get_attribute("href"))
    assert answer.ok and answer.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(answer.body())
    assert not parsed.bozo
    # Stored together, the feed's order is the grid's.
    assert [entry.title for entry in parsed.entries][: len(shown)] == shown


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_copy_link_copies_the_grids_address_by_keyboard_and_says_so(
    page: Page,
    live_server,
    lively,  # noqa: F811
    scheme,
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url + "/?live=live")
    copy = page.locator(COPY)
    expect(copy).to_have_text("Copy link")
    expect(page.locator("#results [data-copied]")).to_be_hidden()
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#results [data-copied]")).to_have_text("Link copied")
    expect(page.locator("#announce")).to_have_text("Link copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == live_server.url + "/?live=live"
    # It stayed on the page: a copy, not a visit.
    assert page.url == live_server.url + "/?live=live"
    assert axe_violations(page) == []


def test_without_javascript_copy_link_is_a_plain_link_to_the_same_grid(
    browser: Browser,
    live_server,
    lively,  # noqa: F811
):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/?q=tea+how&sort=oldest")
        expect(page.locator(COPY)).to_have_attribute("href", "/?q=tea+how&sort=oldest")
        expect(page.locator(SUBSCRIBE)).to_have_attribute("href", "/feed.atom?q=tea+how")
        page.locator("#results").evaluate("node => node.dataset.before = '1'")
        page.locator(COPY).click()
        # The visit's own result: a new page, without the mark on the old one.
        expect(page.locator("#results[data-before]")).to_have_count(0)
        assert page.url == live_server.url + "/?q=tea+how&sort=oldest"
        expect(page.locator("#q")).to_have_value("tea how")
    finally:
        context.close()

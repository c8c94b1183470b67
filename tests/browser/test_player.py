"""Play in place (issue 14, item 4): a card's thumbnail opens YouTube's privacy-enhanced embed in a
dialog, by keyboard or pointer, on every card however it arrived; focus stays in the dialog and
comes back to the thumbnail; the CSP lets exactly that frame in; without JavaScript the thumbnail
is a link to YouTube.

There is no internet here: the tests answer the embed's and YouTube's addresses themselves
(page.route), so the frame loads a stand-in page with a focusable button, as the real player has."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import axe_violations
from tests.browser.test_dashboard import CARDS, lively  # noqa: F401 (a fixture)
from tests.browser.test_grid import DESKTOP, PHONE
from tests.fixtures.clock import NOW
from tests.fixtures.videos import FakeSnippet

EMBED = "https://www.youtube-nocookie.com/embed/"
STAND_IN = "<!doctype html><title>player</title><button id='play'>Play</button>"


@pytest.fixture
def offline_youtube(page: Page) -> Page:
    """The embed and youtube.com answered locally, and every CSP violation the page reports kept
    in window.cspViolations (the event a browser fires when its policy blocks something)."""
    for pattern in (EMBED + "**", "https://www.youtube.com/**"):
        page.route(pattern, lambda route: route.fulfill(content_type="text/html", body=STAND_IN))
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return page


def thumb(page: Page, youtube_id: str):
    return page.locator(f"#v-{youtube_id} a.thumb")


def test_the_keyboard_opens_the_player_and_escape_returns_to_the_thumbnail(
    offline_youtube: Page,
    live_server,
    lively,  # noqa: F811
    console_errors,
):
    page = offline_youtube
    page.goto(live_server.url)
    video = lively[0]  # the newest: the first card
    link = thumb(page, video.youtube_id)
    expect(link).to_have_attribute("href", f"https://www.youtube.com/watch?v={video.youtube_id}")
    # A screen reader hears what the thumbnail does, and for which video.
    expect(link).to_have_accessible_name(re.compile(f"^Play: {re.escape(video.title)}"))
    link.focus()
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog", name=video.title)
    expect(dialog).to_be_visible()
    frame = dialog.locator("iframe")
    expect(frame).to_have_attribute("src", f"{EMBED}{video.youtube_id}?autoplay=1")
    expect(frame).to_have_attribute("title", f"Video player: {video.title}")
    expect(page.frame_locator("#player iframe").locator("#play")).to_be_visible()
    expect(dialog.get_by_role("button", name="Close the player")).to_be_focused()
    # The page stayed where it was: no navigation to YouTube.
    assert page.url.rstrip("/") == live_server.url

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(link).to_be_focused()
    # Closed, the frame is gone: the video stops.
    expect(page.locator("#player iframe")).to_have_count(0)
    assert page.evaluate("window.cspViolations") == []
    assert console_errors == []


def test_tab_and_shift_tab_stay_in_the_player(
    offline_youtube: Page,
    live_server,
    lively,  # noqa: F811
):
    page = offline_youtube
    page.goto(live_server.url)
    thumb(page, lively[2].youtube_id).focus()
    page.keyboard.press("Enter")
    expect(page.frame_locator("#player iframe").locator("#play")).to_be_visible()
    inside = "() => document.getElementById('player').contains(document.activeElement)"
    # Close, the frame (its button), "Watch on YouTube", and round again, both ways.
    visited = set()
    for key in ["Tab"] * 7 + ["Shift+Tab"] * 7:
        page.keyboard.press(key)
        # The frame is another origin, so another renderer: focus crosses into and out of it
        # asynchronously, and for a moment after the key it may be on neither side. Wait for it
        # to land; it must land inside.
        try:
            page.wait_for_function(inside, timeout=3000)
        except PlaywrightTimeoutError:
            raise AssertionError(f"focus left the player after {key}") from None
        visited.add(
            page.evaluate(
                "() => document.activeElement.className || document.activeElement.tagName"
            )
        )
    assert {"player-close", "IFRAME", "player-youtube"} <= visited
    expect(page.get_by_role("dialog")).to_be_visible()


def test_the_close_button_closes_it_and_the_title_still_goes_to_youtube(
    offline_youtube: Page,
    live_server,
    lively,  # noqa: F811
):
    page = offline_youtube
    page.goto(live_server.url)
    video = lively[3]
    link = thumb(page, video.youtube_id)
    link.click()
    dialog = page.get_by_role("dialog", name=video.title)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name="Watch on YouTube")).to_have_attribute(
        "href", video_url(video.youtube_id)
    )
    dialog.get_by_role("button", name="Close the player").click()
    expect(dialog).to_be_hidden()
    expect(link).to_be_focused()

    page.locator(f"#v-{video.youtube_id} .title a").click()
    page.wait_for_url(video_url(video.youtube_id))
    expect(page.locator("#play")).to_be_visible()


def video_url(youtube_id: str) -> str:
    return f"https://www.youtube.com/watch?v={youtube_id}"


def test_the_csp_lets_the_embed_in_and_reports_no_violation(
    offline_youtube: Page,
    live_server,
    lively,  # noqa: F811
):
    page = offline_youtube
    response = page.goto(live_server.url)
    assert (
        "frame-src https://www.youtube-nocookie.com;" in response.headers["content-security-policy"]
    )
    thumb(page, lively[0].youtube_id).click()
    # The stand-in page loaded inside the frame: the policy let it in.
    expect(page.frame_locator("#player iframe").locator("#play")).to_be_visible()
    assert page.evaluate("window.cspViolations") == []

    # The same listener does hear the policy: a frame from anywhere else is refused and reported.
    page.evaluate(
        "() => { const f = document.createElement('iframe');"
        " f.src = 'https://www.youtube.com/embed/x'; document.body.append(f); }"
    )
    page.wait_for_function("window.cspViolations.length > 0")
    assert page.evaluate("window.cspViolations") == ["frame-src https://www.youtube.com"]


def test_cards_added_by_scrolling_and_by_the_pill_play_in_place(
    offline_youtube: Page,
    live_server,
    lively,  # noqa: F811
    seed,
):
    page = offline_youtube
    page.goto(live_server.url)
    page.locator("li.more").scroll_into_view_if_needed()
    expect(page.locator(CARDS)).to_have_count(48)
    older = lively[39]  # the 40th card: on the second page
    thumb(page, older.youtube_id).click()
    dialog = page.get_by_role("dialog", name=older.title)
    expect(dialog.locator("iframe")).to_have_attribute(
        "src", f"{EMBED}{older.youtube_id}?autoplay=1"
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    seed(FakeSnippet(youtube_id="justarrived", title="Just arrived", published_at=NOW))
    page.clock.fast_forward(16_000)
    page.locator("#pill").click()
    # The pill's swap has settled (focus moves to the heading then), so nothing below races it.
    expect(page.locator("#results-heading")).to_be_focused()
    thumb(page, "justarrived").click()
    dialog = page.get_by_role("dialog", name="Just arrived")
    expect(dialog.locator("iframe")).to_have_attribute("src", f"{EMBED}justarrived?autoplay=1")
    page.keyboard.press("Escape")
    expect(thumb(page, "justarrived")).to_be_focused()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_nothing_with_the_player_open(
    offline_youtube: Page,
    live_server,
    lively,  # noqa: F811
    scheme,
    size,
):
    page = offline_youtube
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size(size)
    page.goto(live_server.url)
    thumb(page, lively[0].youtube_id).click()
    expect(page.frame_locator("#player iframe").locator("#play")).to_be_visible()
    assert axe_violations(page) == []
    box = page.locator("#player").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]


def test_without_javascript_the_thumbnail_goes_to_youtube(
    browser,
    live_server,
    lively,  # noqa: F811
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.route(
        "https://www.youtube.com/**",
        lambda route: route.fulfill(body=STAND_IN, content_type="text/html"),
    )
    page.goto(live_server.url)
    video = lively[0]
    thumb(page, video.youtube_id).click()
    page.wait_for_url(video_url(video.youtube_id))
    expect(page.locator("#play")).to_be_visible()
    context.close()

"""The grid's rough edges (issue 15), each as a reader meets it in Chromium: live and upcoming
cards, times that stay true, the new-videos pill, what a screen reader hears, history, position,
overflow, the phone layout, and axe-core's verdict."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.browser.test_dashboard import CARDS, lively  # noqa: F401 (a fixture)
from tests.fixtures.clock import NOW
from tests.fixtures.videos import FakeSnippet

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def test_live_and_upcoming_cards_say_what_they_are(page: Page, live_server, lively):  # noqa: F811
    page.goto(live_server.url)
    live = page.locator(f"#v-{lively[1].youtube_id}")
    expect(live.locator(".badge.live")).to_have_text("LIVE")
    expect(live.locator("time")).to_have_text("started 14 min ago")
    expect(live.locator(".badge.duration")).to_have_count(0)

    upcoming = page.locator(f"#v-{lively[6].youtube_id}")
    expect(upcoming.locator(".badge.upcoming")).to_have_text("UPCOMING")
    expect(upcoming.locator("time")).to_have_text("announced 1 h ago")
    expect(upcoming.locator(".badge.duration")).to_have_count(0)
    expect(upcoming.locator(".views")).to_have_count(0)

    regular = page.locator(f"#v-{lively[0].youtube_id}")
    expect(regular.locator("time")).to_have_text("3 min ago")
    expect(regular.locator(".badge.duration")).to_have_text(re.compile(r"\d+:\d\d$"))


def test_times_stay_true_and_the_exact_time_shows_on_focus_in_the_readers_zone(
    browser, live_server, seed
):
    seed(FakeSnippet(youtube_id="fresh", title="Fresh", published_at=NOW - timedelta(seconds=10)))
    context = browser.new_context(timezone_id="Asia/Kolkata", locale="en-GB", has_touch=False)
    page = context.new_page()
    page.clock.install(time=NOW)
    page.goto(live_server.url)
    time = page.locator("#v-fresh time")
    expect(time).to_have_text("just now")
    expect(time).to_have_attribute("datetime", "2026-11-28T15:59:50+00:00")
    page.clock.fast_forward(75_000)
    expect(time).to_have_text("1 min ago")

    exact = page.locator("#v-fresh .exact")
    assert exact.bounding_box()["width"] <= 1  # for screen readers only, until focus
    page.locator("#v-fresh .title a").focus()
    expect(exact).to_be_visible()
    assert exact.bounding_box()["width"] > 50
    # 15:59 UTC is 21:29 in India.
    expect(exact).to_have_text("28 Nov 2026, 21:29 UTC+5:30")
    expect(time).to_have_attribute("title", re.compile("21:29"))
    context.close()


def test_an_oldest_first_feed_says_oldest_and_newer(page: Page, live_server, lively):  # noqa: F811
    page.goto(live_server.url)
    page.get_by_label("Sort").select_option("oldest")
    expect(page.locator("h1")).to_have_text("Oldest videos")
    for count in (48, 72, 80):
        page.locator("li.more").scroll_into_view_if_needed()
        expect(page.locator(CARDS)).to_have_count(count)
    expect(page.locator("li.end")).to_have_text("You've reached the end: no newer videos.")
    page.goto(live_server.url + "/?sort=oldest&sync_token=1")
    expect(page.locator("h1")).to_have_text("Newer videos")
    expect(page.get_by_role("link", name="Back to the oldest")).to_be_visible()


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_new_videos_pill_is_announced_reachable_and_hands_focus_on(
    page: Page,
    live_server,
    lively,  # noqa: F811
    seed,
    size,
):
    page.set_viewport_size(size)
    page.goto(live_server.url)
    announce = page.locator("#announce")
    announce.evaluate("node => { node.dataset.original = 'yes' }")
    seed(*[FakeSnippet(title=f"Just in #{i}", published_at=NOW) for i in range(3)])
    page.clock.fast_forward(16_000)
    pill = page.locator("#pill")
    expect(pill).to_contain_text("3 new videos — show")
    expect(announce).to_have_text("3 new videos: press n to show them.")
    # The next poll finds the same count: the region stays and says nothing new.
    announce.evaluate("node => { node.textContent = '' }")
    page.locator("#banner").evaluate("node => { node.dataset.before = 'yes' }")
    page.clock.fast_forward(16_000)
    # Wait for that poll's swap to land, so nothing below races it.
    expect(page.locator("#banner[data-before]")).to_have_count(0)
    expect(page.locator("#banner")).to_have_attribute("hx-get", re.compile("seen=3"))
    expect(announce).to_have_text("")
    expect(announce).to_have_attribute("data-original", "yes")

    # It covers neither the site's name nor the navigation.
    box = pill.bounding_box()
    for covered in (page.locator(".brand"), page.locator(".top nav a").last):
        assert not overlaps(box, covered.bounding_box())

    # Deep in the grid, the keyboard reaches it with "n"; focus then goes to the heading.
    page.locator(CARDS).nth(20).locator(".title a").focus()
    page.keyboard.press("n")
    expect(page.locator(CARDS).first).to_contain_text("Just in")
    expect(page.locator("#results-heading")).to_be_focused()
    # Tab goes on into the results: the subscribe and share links under the heading, then the
    # first card: its thumbnail (plays in place), its title.
    page.keyboard.press("Tab")
    expect(page.locator("#results a[data-feed='atom']")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(page.locator(CARDS).first.locator("a.thumb")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(CARDS).first.locator(".title a")).to_be_focused()


def test_a_screen_reader_hears_the_results_of_a_search_and_the_tab_title_follows(
    page: Page,
    live_server,
    lively,  # noqa: F811
):
    page.goto(live_server.url)
    expect(page).to_have_title("Video feed")
    # Nothing claims to be loading while nothing is.
    expect(page.get_by_role("status")).to_have_text("")
    page.locator("#q").fill("tea how")
    expect(page.locator("#announce")).to_have_text(re.compile(r"^\d+ videos match\.$"))
    shown = page.locator(CARDS).count()
    expect(page.locator("#announce")).to_have_text(f"{shown} videos match.")
    expect(page).to_have_title("tea how · Video feed")
    page.locator("#q").fill("zebra")
    expect(page.locator("#announce")).to_have_text("No videos match.")
    page.locator("#q").fill("")
    expect(page.locator("#announce")).to_have_text("More than 24 videos.")
    expect(page).to_have_title("Video feed")
    page.get_by_label("Type").select_option("live")
    expect(page.locator("#announce")).to_have_text("2 videos match.")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_nothing_on_load_nor_with_the_pill_showing(
    page: Page,
    live_server,
    lively,  # noqa: F811
    seed,
    settings,
    scheme,
    size,
):
    settings.DEMO_MODE = True  # the demo note must sit in a landmark too
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size(size)
    page.goto(live_server.url)
    expect(page.locator(CARDS)).to_have_count(24)
    assert axe_violations(page) == []

    seed(*[FakeSnippet(title=f"Just in #{i}", published_at=NOW) for i in range(3)])
    page.clock.fast_forward(16_000)
    expect(page.locator("#pill")).to_be_visible()
    assert axe_violations(page) == []
    # A card with focus shows its exact time; the phone's filters are all on screen.
    page.locator(CARDS).first.locator(".title a").focus()
    assert axe_violations(page) == []


def history_length(page: Page) -> int:
    return page.evaluate("() => history.length")


def reloaded_after(page: Page, step) -> None:
    """Back or Forward over htmx's entries: htmx keeps no snapshot (historyCacheSize 0), so it
    reloads the page. Wait for that reload, or the next step races it (and can be cancelled)."""
    page.evaluate("document.documentElement.dataset.beforeReload = '1'")
    step()
    expect(page.locator("html[data-before-reload]")).to_have_count(0)


def test_a_slow_typist_gets_one_back_step_and_nothing_pushes_a_copy(
    page: Page,
    live_server,
    lively,  # noqa: F811
    seed,
):
    page.goto(live_server.url)
    before = history_length(page)
    page.locator("#q").focus()
    # 400 ms between keys: every key outlasts the 300 ms debounce and sends its own request.
    page.keyboard.type("tea how", delay=400)
    expect(page).to_have_url(re.compile(r"/\?q=tea\+how$"))
    assert history_length(page) == before + 1
    page.keyboard.press("Enter")  # the same search again: no copy of the entry
    expect(page.locator("#announce")).to_have_text(re.compile("match"))
    assert history_length(page) == before + 1

    # "show" asks for the address already shown: no copy either.
    seed(FakeSnippet(title="Tea how-to, just in", published_at=NOW))
    page.clock.fast_forward(16_000)
    page.locator("#pill").click()
    expect(page.locator(CARDS).first).to_contain_text("just in")
    assert history_length(page) == before + 1

    reloaded_after(page, page.go_back)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("#q")).to_have_value("")
    reloaded_after(page, page.go_forward)
    expect(page.locator("#q")).to_have_value("tea how")

    # A new search after the first settled is a step of its own.
    page.clock.fast_forward(3_000)
    page.locator("#q").select_text()
    page.locator("#q").press_sequentially("pasta", delay=50)
    expect(page).to_have_url(re.compile(r"/\?q=pasta$"))
    assert history_length(page) == before + 2
    reloaded_after(page, page.go_back)
    expect(page).to_have_url(re.compile(r"/\?q=tea\+how$"))


def page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_a_long_search_or_a_pasted_link_never_widens_the_page(
    page: Page,
    live_server,
    lively,  # noqa: F811
):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url)
    page.locator("#q").fill("w" * 200)
    expect(page.locator("h1")).to_contain_text("www")
    assert page_width(page) <= DESKTOP["width"]

    page.set_viewport_size(PHONE)
    link = f"https://www.youtube.com/watch?v={lively[5].youtube_id}&t=42s"
    page.goto(live_server.url)
    page.locator("#q").fill(link)
    expect(page.locator(CARDS)).to_have_count(1)
    expect(page.locator(CARDS).first).to_have_id(f"v-{lively[5].youtube_id}")
    assert page_width(page) <= PHONE["width"]


def test_every_filter_is_on_a_phones_screen(page: Page, live_server, lively):  # noqa: F811
    page.set_viewport_size(PHONE)
    page.goto(live_server.url)
    for name in ("query", "live", "when", "published_after", "published_before", "sort"):
        box = page.locator(f"#controls [name={name}]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        assert box["y"] + box["height"] <= PHONE["height"], name
    assert page_width(page) <= PHONE["width"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_form_controls_outlines_stand_out_three_to_one(page: Page, live_server, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url)
    ratios = page.evaluate(
        """() => {
        const rgb = (c) => c.match(/\\d+/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => [r, g, b]
          .map((v) => v / 255)
          .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
          .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
        const ratio = (a, b) => {
          const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
          return (hi + 0.05) / (lo + 0.05);
        };
        const page = rgb(getComputedStyle(document.body).backgroundColor);
        return [...document.querySelectorAll("#filters input, #filters select")].map((el) => {
          const style = getComputedStyle(el);
          const border = rgb(style.borderTopColor);
          return Math.min(ratio(border, page), ratio(border, rgb(style.backgroundColor)));
        });
    }"""
    )
    assert ratios and min(ratios) >= 3, ratios


def test_contradictory_dates_are_refused_and_said(page: Page, live_server, lively):  # noqa: F811
    page.goto(live_server.url)
    page.locator("[name=published_after]").fill("2026-11-28")
    page.locator("[name=published_before]").fill("2026-11-20")
    expect(page.get_by_role("alert")).to_contain_text("check the “To” date")
    expect(page.get_by_role("alert")).to_contain_text("must not be before the “From” date")
    expect(page.locator("#announce")).to_have_text(
        "These videos can't be shown: check the “To” date."
    )


def test_the_404_page_is_the_sites_even_in_debug_and_logs_nothing(
    page: Page, live_server, settings, console_errors
):
    settings.DEBUG = True  # demo mode (make run) runs with DEBUG on
    settings.DEMO_MODE = True
    response = page.goto(live_server.url + "/no/such/page")
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("Page not found")
    assert [e for e in console_errors if "status of 404" not in e] == []
    assert axe_violations(page) == []


def test_a_reload_or_a_back_returns_to_the_depth_and_place_read(
    page: Page,
    live_server,
    lively,  # noqa: F811
):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url)
    for count in (48, 72):
        page.locator("li.more").scroll_into_view_if_needed()
        expect(page.locator(CARDS)).to_have_count(count)
    reading = page.locator(CARDS).nth(60)
    reading.scroll_into_view_if_needed()
    # The position saved after that scroll, not the one an earlier save (the swap's) left: the
    # count alone was already 72 then, and a reload raced to the bottom of the page under load.
    page.wait_for_function(
        "() => history.state && history.state.feedCards === 72"
        " && history.state.feedScroll === Math.round(window.scrollY)"
    )

    page.reload()
    expect(page.locator(CARDS)).to_have_count(72)
    expect(reading).to_be_in_viewport()

    # Away and back, without the page cache (htmx or the browser reloads the page).
    page.goto(live_server.url + "/status")
    # Back after evaluate returns: a navigation inside it destroys its context mid-call.
    page.evaluate("() => { setTimeout(() => history.back()) }")
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(CARDS)).to_have_count(72)
    expect(reading).to_be_in_viewport()


def test_a_description_match_shows_a_snippet(page: Page, live_server, seed):
    seed(
        FakeSnippet(
            youtube_id="desc",
            title="Sunday stream",
            description="A long chat about the week, then how we brew masala chai at home.",
        )
    )
    page.goto(live_server.url + "/?q=chai")
    expect(page.locator("#v-desc .snippet mark")).to_have_text("chai")
    expect(page.locator("#v-desc .snippet")).to_be_visible()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_api_link_opens_a_page_to_read(page: Page, live_server, console_errors, size):
    page.set_viewport_size(size)
    page.goto(live_server.url)
    page.get_by_role("navigation").get_by_role("link", name="API").click()
    expect(page.locator("main h1")).to_have_text("API")
    expect(page.get_by_role("heading", name="GET /api/v1/youtube/videos")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("OpenAPI"))).to_have_attribute(
        "href", "/api/v1/openapi.json"
    )
    assert page_width(page) <= size["width"]
    assert axe_violations(page) == []
    assert console_errors == []

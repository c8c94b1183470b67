"""Browser tests: pytest-playwright driving the system Chromium against Django's live server.

Without /usr/bin/chromium (`apt-get install -y chromium`) every test here is skipped, saying why.
Playwright never downloads a browser: there is no internet on these machines.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

# Sync Playwright runs an event loop in this thread; pytest-django's database access from the
# same thread would otherwise raise SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).parent
SCREENSHOTS = HERE.parent.parent / "docs" / "screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"browser tests need Chromium at {CHROMIUM}: apt-get install -y chromium"
    )
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def console_errors(page) -> Iterator[list[str]]:
    """Everything the page logs as an error or throws; a test asserts it stays empty."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    yield errors


@pytest.fixture
def seed(transactional_db) -> Callable[..., list]:
    """seed(n, **fields): n videos, one minute apart, the newest a minute old; or snippets."""

    from feed import store
    from feed.models import SearchQuery
    from tests.fixtures.clock import NOW
    from tests.fixtures.videos import FakeSnippet

    def add(*snippets, query: str | None = None, **fields) -> list:
        if len(snippets) == 1 and isinstance(snippets[0], int):
            newest = NOW - timedelta(minutes=1)
            snippets = tuple(
                FakeSnippet(published_at=newest - timedelta(minutes=i), **fields)
                for i in reversed(range(snippets[0]))
            )
        search_query = SearchQuery.objects.get_or_create(text=query)[0] if query else None
        store.upsert_videos(snippets, query=search_query)
        return list(snippets)

    return add


@pytest.fixture(autouse=True)
def browser_clock(page) -> None:
    """The page's clock starts at the server's NOW (tests/fixtures/clock.py) and runs on from
    there: the grid's relative times, computed again in the browser, agree with the server's.
    A test moves it with page.clock.fast_forward()."""
    from tests.fixtures.clock import NOW

    page.clock.install(time=NOW)


AXE = HERE / "vendor" / "axe.min.js"


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it is (WCAG 2.x A and AA and best practices), one
    line each. Evaluated through the DevTools protocol, not a <script> tag: the page's CSP stays
    as strict as it is served, and the app never serves axe."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results["violations"]
    ]

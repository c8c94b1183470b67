"""The pages satisfy the Content-Security-Policy: nothing inline that the browser would block."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from feed.models import ApiKeyState, FetchRun, SearchQuery

# Script types a browser runs; others (application/json data blocks) are never executed.
EXECUTED_SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}
ALLOWED_IMAGE_PREFIXES = ("/", "https://i.ytimg.com/", "data:")


class InlineFinder(HTMLParser):
    """What a policy without 'unsafe-inline' blocks: inline scripts and styles, style and
    event-handler attributes, javascript: URLs; and images from hosts img-src does not list."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and "src" not in values:
            self._in_inline_script = (values.get("type") or "").lower() in EXECUTED_SCRIPT_TYPES
        if tag == "style":
            self.blocked.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.blocked.append(f"style attribute on <{tag}>: {value}")
            if name.startswith("on"):
                self.blocked.append(f"{name} handler on <{tag}>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.blocked.append(f"javascript: URL on <{tag}>")
        if tag == "img" and not (values.get("src") or "/").startswith(ALLOWED_IMAGE_PREFIXES):
            self.blocked.append(f"image from elsewhere: {values.get('src')}")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.blocked.append(f"inline script: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


def blocked_by_policy(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.blocked


def test_the_finder_sees_what_the_policy_blocks():
    html = (
        '<script>alert(1)</script><script type="application/json">{"a": 1}</script>'
        '<script src="/static/x.js"></script><p style="color: red" onclick="go()">'
        '<img src="https://evil.example/x.png"><img src="https://i.ytimg.com/vi/a/default.jpg">'
    )
    assert len(blocked_by_policy(html)) == 4


def test_every_response_carries_the_policy(client, db):
    for path in ["/healthz", "/api/v1/youtube/videos", "/admin/login/", "/no/such/page"]:
        response = client.get(path)
        assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY, path
    assert "img-src 'self' https://i.ytimg.com data:" in settings.CONTENT_SECURITY_POLICY


def test_the_only_frame_the_policy_allows_is_youtubes_privacy_enhanced_embed(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["frame-src"] == "https://www.youtube-nocookie.com"
    # Nothing else that could widen it: child-src would stand in for a missing frame-src, and
    # default-src stays the site's own.
    assert "child-src" not in directives
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_a_view_may_set_a_policy_of_its_own(rf):
    from django.http import HttpResponse

    from dashboard.middleware import content_security_policy

    def view(request):
        response = HttpResponse()
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    assert content_security_policy(view)(rf.get("/"))["Content-Security-Policy"] == (
        "default-src 'none'"
    )


@pytest.fixture
def admin_objects(db, add_videos) -> dict[str, int]:
    add_videos(3, query="football")
    query = SearchQuery.objects.get(text="football")
    key = ApiKeyState.objects.create(fingerprint="key-1a2b3c")
    run = FetchRun.objects.create(query=query, started_at=query.created_at)
    return {"searchquery": query.pk, "apikeystate": key.pk, "fetchrun": run.pk}


def admin_pages(objects: dict[str, int]) -> list[str]:
    pages = [reverse("admin:index"), reverse("admin:password_change")]
    for model in ["video", "searchquery", "apikeystate", "fetchrun", "quotausage"]:
        pages.append(reverse(f"admin:feed_{model}_changelist"))
        pages.append(reverse(f"admin:feed_{model}_changelist") + "?q=foot")
    for model in ["video", "searchquery", "apikeystate", "quotausage"]:
        pages.append(reverse(f"admin:feed_{model}_add"))
    from feed.models import Video

    objects = {**objects, "video": Video.objects.first().pk}
    for model, pk in objects.items():
        pages.append(reverse(f"admin:feed_{model}_change", args=[pk]))
        pages.append(reverse(f"admin:feed_{model}_delete", args=[pk]))
    return pages


def test_the_admin_pages_need_nothing_the_policy_blocks(admin_client, admin_objects):
    for path in admin_pages(admin_objects):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert blocked_by_policy(response.content.decode()) == [], path


def test_the_admin_login_page_needs_nothing_the_policy_blocks(client, db):
    response = client.get(reverse("admin:login"))
    assert blocked_by_policy(response.content.decode()) == []


def test_the_admin_asks_for_a_staff_login(client, django_user_model, db):
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    user = django_user_model.objects.create_user("viewer", password="not-staff-123")
    client.force_login(user)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_the_dashboard_pages_need_nothing_the_policy_blocks(client, add_videos):
    add_videos(30, query="football")
    pages = ["/", "/?q=foot", "/status", "/no/such/page"]
    checked = 0
    for path in pages:
        response = client.get(path)
        if response.status_code in (200, 404) and "text/html" in response["Content-Type"]:
            assert blocked_by_policy(response.content.decode()) == [], path
            checked += 1
    assert checked, "no dashboard page answered"

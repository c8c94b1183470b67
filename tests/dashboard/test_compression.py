"""gzip (dashboard/middleware.py Compression): the pages, fragments, JSON and uncompressed static
files go out compressed; nothing that holds the CSRF token (the admin's pages) does (BREACH)."""

from __future__ import annotations

import gzip
import io

import pytest
from django.http import FileResponse, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token

from dashboard.middleware import Compression

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    return content.decode()


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/", "Newest videos"),
        ("/?q=tea+how", "Videos matching “tea how”"),
        ("/status", "Status"),
        ("/api/v1/youtube/videos", '"videos": ['),
    ],
)
def test_it_compresses_the_pages_a_search_and_the_api(client, add_videos, path, shown):
    add_videos(30, query="football", title="How to make tea?")
    response = client.get(path, **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert len(response.content) < len(body(response)) / 2
    assert shown in body(response)


def test_it_compresses_the_grids_htmx_fragment(client, add_videos):
    add_videos(30)
    response = client.get("/", headers={"HX-Request": "true"}, **GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert 'id="results"' in body(response)


def test_a_client_that_does_not_ask_for_gzip_gets_the_page_as_it_is(client, add_videos):
    add_videos(30)
    response = client.get("/")
    assert not response.has_header("Content-Encoding")
    assert "Newest videos" in response.content.decode()


def test_a_page_that_holds_the_csrf_token_is_never_compressed(client, db):
    response = client.get("/admin/login/", **GZIP)
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert not response.has_header("Content-Encoding")


def test_any_view_that_renders_the_token_is_left_uncompressed_behind_the_csrf_middleware(rf):
    """Not only the admin: the rule is "the token was asked for", read after Django's CSRF
    middleware has handled the response (it leaves its mark in request.META). If a Django
    upgrade changes that mark, this fails."""

    def form(request):
        return HttpResponse(f'<form method="post"><input value="{get_token(request)}">' + "x" * 500)

    def plain(request):
        return HttpResponse("<p>" + "x" * 500)

    with_token = Compression(CsrfViewMiddleware(form))(rf.get("/", **GZIP))
    without = Compression(CsrfViewMiddleware(plain))(rf.get("/", **GZIP))
    assert not with_token.has_header("Content-Encoding")
    assert without["Content-Encoding"] == "gzip"


def test_the_admin_whose_every_page_holds_the_token_is_never_compressed(admin_client):
    response = admin_client.get("/admin/feed/video/", **GZIP)
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert not response.has_header("Content-Encoding")


def streamed(content_type: str, **headers: str) -> FileResponse:
    response = FileResponse(io.BytesIO(b"body { color: red; }\n" * 200), content_type=content_type)
    for name, value in headers.items():
        response[name] = value
    return response


def test_it_compresses_static_text_served_as_it_is_but_not_images_or_precompressed_files(rf):
    css = Compression(lambda request: streamed("text/css"))(rf.get("/static/x.css", **GZIP))
    assert css["Content-Encoding"] == "gzip"
    assert body(css).startswith("body { color: red; }")

    png = Compression(lambda request: streamed("image/png"))(rf.get("/static/x.png", **GZIP))
    assert not png.has_header("Content-Encoding")

    brotli = Compression(lambda request: streamed("text/css", **{"Content-Encoding": "br"}))(
        rf.get("/static/x.css", **GZIP)
    )
    assert brotli["Content-Encoding"] == "br"

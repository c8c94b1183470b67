"""The production WSGI application plus one trivial view, for the benchmarks' framework floor.

`gunicorn bench.floor_wsgi` serves exactly what `gunicorn dashboard.wsgi` serves (same settings,
middleware and URLs), and `/bench/floor`: a view that touches no database and renders no
template, so its latency is what Django and gunicorn cost by themselves. Bench-only: nothing in
the project imports this module.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from dashboard.wsgi import application  # noqa: F401 -- sets up Django; gunicorn serves this


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


def add_floor_view() -> None:
    from dashboard import urls

    # First: the last pattern is the catch-all 404 page.
    urls.urlpatterns.insert(0, path("bench/floor", floor, name="bench-floor"))


add_floor_view()

"""Content-Security-Policy on every response (Django 5.2 has no CSP setting of its own)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def content_security_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    # Read once: settings do not change while a process runs.
    policy = settings.CONTENT_SECURITY_POLICY

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        # A view that needs a policy of its own sets it; every other response gets ours. JSON
        # gets it too: a header costs nothing, and a response opened as a page stays inert.
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response

    return middleware

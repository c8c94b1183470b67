"""Content-Security-Policy and Permissions-Policy on every response (Django 5.2 sets neither)."""

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


def permissions_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Permissions-Policy on every response: the site uses no powerful browser feature, so a
    page (or anything injected into one) may not ask for the camera, location and the like."""
    policy = settings.PERMISSIONS_POLICY

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Permissions-Policy", policy)
        return response

    return middleware

"""Content-Security-Policy and Permissions-Policy on every response (Django 5.2 sets neither), and
gzip for the responses that can be compressed safely."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import GZipMiddleware


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


# Text worth compressing; images other than SVG, fonts and archives are compressed already.
TEXT_TYPES = {"application/javascript", "application/json", "image/svg+xml"}


def is_text(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind in TEXT_TYPES or kind.endswith(("+json", "+xml"))


class Compression(GZipMiddleware):
    """gzip for pages, fragments, JSON, and the static files WhiteNoise serves uncompressed
    (DEBUG and demo mode; in production it serves its own pre-compressed files, which carry a
    Content-Encoding and are left alone).

    BREACH: an attacker who can make a victim's browser fetch a compressed page that reflects the
    attacker's input (the grid echoes `q`) next to a secret (a CSRF token) learns the secret from
    the compressed sizes. So nothing that holds a secret is compressed: no response for which the
    CSRF token was asked (a form's {% csrf_token %}: every admin page, whose header has the
    sign-out form, and the sign-in page; Django marks the request when get_token() runs). What is
    compressed holds no secret: the grid, its fragments, /status and the API show the same
    public data to everyone, with no token, session value or key in them. And
    Django's GZipMiddleware pads every response with up to 100 random bytes ("Heal the Breach")
    on top, which slows such an attack where a secret did slip in.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not is_text(response.get("Content-Type", "")):
            return response
        # get_token() leaves this key in the request (True, or False once the CSRF middleware has
        # set the cookie): a page was rendered with the token. tests/dashboard/test_compression.py
        # pins that behaviour of Django, so an upgrade that changes it fails there, not silently.
        if "CSRF_COOKIE_NEEDS_UPDATE" in request.META:
            return response
        return super().process_response(request, response)

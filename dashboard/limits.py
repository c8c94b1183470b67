"""Per-client request limits, counted by django-ratelimit on the "ratelimit" cache, and who the
client is (also for django-axes' login lockout)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from feed import api

GRID_PATHS = {"/", "/feed.atom", "/feed.json"}
PERIODS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_HOPS proxies in front (a PaaS
    router: 1), the address the nearest of them put into X-Forwarded-For. Entries further left
    are whatever the client sent and are never trusted."""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        if len(forwarded) >= hops and forwarded[-hops]:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def scope(request: HttpRequest) -> str | None:
    """Which limit a request counts against (a key of settings.RATE_LIMITS), if any."""
    path = request.path_info
    if path.startswith("/api/"):
        return "api"
    if path in GRID_PATHS:
        # The page and its htmx fragments (search, scrolling, the banner's poll), and its feeds.
        return "grid"
    if path == "/status":
        return "status"
    return None


def in_words(rate: str) -> str:
    count, period = rate.split("/")
    unit = PERIODS[period[-1]]
    if len(period) > 1:
        return f"{count} every {period[:-1]} {unit}s"
    return f"{count} {'an' if unit == 'hour' else 'a'} {unit}"


def rate_limits(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        name = scope(request)
        rate = settings.RATE_LIMITS.get(name) if name else None
        if not rate or not settings.RATELIMIT_ENABLE:
            return get_response(request)
        usage = get_usage(
            request,
            group=name,
            key=lambda group, request: client_ip(request),
            rate=rate,
            increment=True,
        )
        if usage is None or not usage["should_limit"]:
            return get_response(request)
        retry_after = max(1, usage["time_left"])
        response = api.error(
            None,
            f"too many requests: at most {in_words(rate)} from one client; "
            f"try again in {retry_after} s",
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response

    return middleware

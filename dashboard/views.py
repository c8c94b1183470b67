"""HTML views: the video grid and the status page. Each view renders one page template in full,
or, for an htmx request, only the fragment that request swaps (from the same data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views import defaults
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from dashboard import display, status
from dashboard.filters import SORT_CHOICES, WHEN_CHOICES, GridFilter
from feed import api, clock, openapi, pagination
from feed.filters import DURATION_CHOICES, SHORTS_CHOICES
from feed.models import SearchQuery, Video

PAGE_SIZE = 24
# A reload or a Back asks for as many cards as the reader had loaded (`shown`), up to this many.
MAX_SHOWN = PAGE_SIZE * 20
# The live banner counts new videos up to this many ("50+ new videos").
BANNER_CAP = 50
# The grid's parameters, in the order a canonical URL lists them.
GRID_PARAMS = [
    "q",
    "channel",
    "query",
    "live",
    "duration",
    "shorts",
    "when",
    "published_after",
    "published_before",
]
A_TIME = "must be a date like 2026-11-28 or a time like 2026-11-28T15:00:00Z"
# What each parameter is called on the page, and what it accepts, for the 400 message.
PARAMS_EXPLAINED = {
    "q": ("search", ""),
    "channel": ("channel", ""),
    "query": ("“Source” filter", ""),
    "live": ("“Type” filter", "must be none, live or upcoming"),
    "duration": ("“Length” filter", "must be short, medium or long"),
    "shorts": ("“Shorts” filter", "must be exclude or only"),
    "when": ("“Published” filter", "must be hour, today, week or month"),
    "published_after": ("“From” date", A_TIME),
    "published_before": ("“To” date", A_TIME),
    "sort": ("sort order", "must be newest, oldest, views or relevance"),
    "sync_token": ("page link", ""),
    "since": ("live banner's link", ""),
}


# The "Type" filter's words for each Video.Live (the admin shows the model's own labels).
LIVE_WORDS = {
    Video.Live.NONE: "Regular",
    Video.Live.LIVE: "Live now",
    Video.Live.UPCOMING: "Upcoming",
}

# What the first page and the next ones hold, by sort: headings, links and the end say it.
FIRST_AND_LATER = {
    "newest": ("newest", "older"),
    "oldest": ("oldest", "newer"),
    "views": ("most viewed", "less viewed"),
    "relevance": ("best matching", "less relevant"),
}


@dataclass(frozen=True, slots=True)
class Card:
    video: Video
    title: SafeString
    snippet: SafeString  # of the description, when only it matched the search
    when: str  # "5 min ago", "started 5 min ago", "announced 9 h ago"
    published: str  # the absolute time in UTC (the browser shows it in the reader's zone)
    duration: str
    views: str
    tone: int


def cards(videos: list[Video], *, terms: list[str], now: datetime) -> list[Card]:
    titles = [display.highlight(v.title, terms) for v in videos]
    return [
        Card(
            video=v,
            title=title,
            snippet=display.snippet(v.description, terms)
            if terms and "<mark>" not in title
            else SafeString(""),
            when=display.when(v.published_at, live=v.live, now=now),
            published=f"{v.published_at:%d %b %Y, %H:%M} UTC",
            # YouTube says P0D until a stream ends, and a premiere has no audience before it
            # starts: no duration, and views only once someone watches.
            duration=display.duration(v.duration_seconds) if v.live == "none" else "",
            views=display.views(v.view_count)
            if v.live == "none" or (v.live == "live" and v.view_count)
            else "",
            tone=display.tone(v.youtube_id),
        )
        for v, title in zip(videos, titles, strict=True)
    ]


def canonical_params(data: QueryDict) -> list[tuple[str, str]]:
    """The filters a URL should show: known, non-empty, and not the default sort."""
    params = [(name, data[name].strip()) for name in GRID_PARAMS if data.get(name, "").strip()]
    if data.get("sort") in ("oldest", "views", "relevance"):
        params.append(("sort", data["sort"]))
    return params


def feed_urls(params: list[tuple[str, str]]) -> dict[str, str]:
    """The grid's Atom and JSON Feed twins (dashboard/feeds.py): its filters, not its sort."""
    query = urlencode([(name, value) for name, value in params if name != "sort"])
    return {
        kind: f"{reverse(name)}?{query}" if query else reverse(name)
        for kind, name in (("atom", "feed-atom"), ("json", "feed-json"))
    }


def with_params(params: list[tuple[str, str]], *, base: str = "", **extra: str | int) -> str:
    """A link to the grid (or to `base`, a channel's page) with these parameters."""
    base = base or reverse("dashboard-grid")
    query = urlencode(params + [(k, str(v)) for k, v in extra.items()])
    return f"{base}?{query}" if query else base


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    title: str
    videos: int  # listed videos, whatever the filters

    @property
    def url(self) -> str:
        return reverse("dashboard-channel", args=[self.id])


def find_channel(channel_id: str) -> Channel | None:
    """The channel's name (as its newest video gives it) and how many of its videos are listed;
    None when none is."""
    videos = Video.listed().filter(channel_id=channel_id)
    # Both on the (channel_id, sort_key) index: the newest video, and a count of the range.
    newest = videos.order_by("-sort_key").values_list("channel_title", flat=True).first()
    if newest is None:
        return None
    return Channel(id=channel_id, title=newest or channel_id, videos=videos.count())


def bad_request(
    request: HttpRequest, *, param: str, message: str, context: dict, explained: str = ""
) -> HttpResponse:
    name, default = PARAMS_EXPLAINED.get(param, (param, ""))
    explained = explained or default
    if not explained and message.startswith("must "):
        explained = message
    error = {"param": param, "name": name, "explained": explained, "message": message}
    template = "dashboard/_results.html" if request.htmx else "dashboard/grid.html"
    context = {**context, "error": error, "fragment": bool(request.htmx)}
    return render(request, template, context, status=400)


def base_context() -> dict:
    return {"demo_mode": settings.DEMO_MODE}


@require_safe
@vary_on_headers("HX-Request")
def video_grid(request: HttpRequest) -> HttpResponse:
    return grid(request, channel=None)


@require_safe
@vary_on_headers("HX-Request")
def channel_page(request: HttpRequest, channel_id: str) -> HttpResponse:
    """One channel's videos: the grid, with the same search, filters, sorts and scroll."""
    # Longer than any stored id, or with a NUL (PostgreSQL refuses one in a query): none stored.
    valid = len(channel_id) <= CHANNEL_ID_MAX and "\x00" not in channel_id
    channel = find_channel(channel_id) if valid else None
    if channel is None:
        return render(
            request, "404.html", {**base_context(), "missing_channel": channel_id}, status=404
        )
    return grid(request, channel=channel)


CHANNEL_ID_MAX = 64  # Video.channel_id's max_length


def grid(request: HttpRequest, *, channel: Channel | None) -> HttpResponse:
    now = clock.now()
    params = canonical_params(request.GET)
    base = ""
    data = request.GET
    if channel is not None:
        # The page is the channel filter: the address says it, not a parameter.
        params = [p for p in params if p[0] != "channel"]
        base = channel.url
        data = request.GET.copy()
        data["channel"] = channel.id

    def link(params: list[tuple[str, str]], **extra: str | int) -> str:
        return with_params(params, base=base, **extra)

    sort = dict(params).get("sort", "newest")
    context = {
        **base_context(),
        "params": dict(params),
        "raw": request.GET,
        "when_choices": WHEN_CHOICES,
        "sort_choices": SORT_CHOICES,
        "live_choices": [(live.value, LIVE_WORDS[live]) for live in Video.Live],
        "duration_choices": DURATION_CHOICES,
        "shorts_choices": SHORTS_CHOICES,
        "source_queries": list(SearchQuery.objects.values_list("text", flat=True)),
        "filtered": any(name != "q" for name, _ in params if name != "sort"),
        "clear_url": link([p for p in params if p[0] == "q"]),
        "channel": channel,
        "form_url": base or reverse("dashboard-grid"),
        # Subscribe and share: the feeds of these filters (a channel page's with its channel),
        # and this page's own address.
        "feeds": feed_urls(canonical_params(data)),
        "share_url": link(params),
        # The words follow the sort: an oldest-first feed's next page holds newer videos.
        "first": FIRST_AND_LATER[sort][0],
        "later": FIRST_AND_LATER[sort][1],
    }
    try:
        cursor = pagination.parse_token(
            request.GET.get("sync_token"), sort=pagination.parse_sort(request.GET.get("sort"))
        )
        since = parse_since(request.GET.get("since"))
    except pagination.BadParameter as e:
        return bad_request(request, param=e.param, message=e.message, context=context)

    filterset = GridFilter(data, queryset=Video.listed(), now=now)
    if not filterset.is_valid():
        param, messages = next(iter(filterset.errors.items()))
        return bad_request(request, param=param, message=" ".join(messages), context=context)

    if message := filterset.sort_error():
        return bad_request(
            request, param="sort", message=message, explained=message, context=context
        )

    data = filterset.form.cleaned_data
    after, before = data.get("published_after"), data.get("published_before")
    if after is not None and before is not None and after > before:
        # Contradictory dates would just show nothing: say which one to change.
        message = "must not be before the “From” date"
        return bad_request(
            request, param="published_before", message=message, explained=message, context=context
        )

    fragment = request.htmx and not request.htmx.history_restore_request
    if since is not None and fragment:
        # The live banner's poll: how many newer videos match, without moving the grid.
        count = filterset.count_newer(since, cap=BANNER_CAP)
        # The count the page shows now: a screen reader hears the new one only when it changes.
        seen = request.GET.get("seen", "")
        return render(
            request,
            "dashboard/_banner.html",
            {
                "since": since,
                "new_count": count,
                "new_label": f"{BANNER_CAP}+" if count > BANNER_CAP else str(count),
                "poll_url": link(params, since=since, seen=min(count, BANNER_CAP + 1)),
                "show_url": link(params),
                "announce_new": count and seen != str(min(count, BANNER_CAP + 1)),
            },
        )

    filtered = filterset.filtered
    page = pagination.fetch_page(
        filtered.qs,
        cursor=cursor,
        limit=shown_limit(request.GET.get("shown", "")) if cursor is None else PAGE_SIZE,
        column=filtered.column,
        sort=filterset.sort_order,
        terms=filtered.terms,
        rank_all=filtered.rank_all,
    )
    items = cards(page.items, terms=filtered.terms, now=now)
    newest_first = filterset.sort_order == "newest"
    top = page.items[0].sort_key if page.items and cursor is None else 0
    channel_id = data.get("channel", "").strip()
    context.update(
        {
            "cards": items,
            "cursor": cursor,
            "next_url": link(params, sync_token=page.next_token) if page.next_token else "",
            "first_url": link(params),
            # Only the top of a newest-first feed can grow while the reader looks at it.
            "poll_url": link(params, since=top) if newest_first and cursor is None else "",
            "channel_title": next(
                (v.channel_title for v in page.items if v.channel_id == channel_id), channel_id
            ),
            "searching": bool(filtered.terms or filterset.video_id),
        }
    )
    if fragment:
        if cursor is not None:
            return render(request, "dashboard/_cards.html", context)
        response = render(request, "dashboard/_results.html", {**context, "fragment": True})
        # The address bar shows the search and filters as a reader would type them.
        return push_url(response, link(params))
    return render(request, "dashboard/grid.html", context)


def shown_limit(raw: str) -> int:
    """The first page's size: PAGE_SIZE, or the depth a reader had reached (static/js)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        return PAGE_SIZE
    return min(max(int(raw), PAGE_SIZE), MAX_SHOWN)


def parse_since(raw: str | None) -> int | None:
    """The live banner's mark: the sort key of the newest video the grid showed (0: none)."""
    if raw is None:
        return None
    message = "must be the sort key of the newest video shown"
    return pagination.parse_position(raw, param="since", message=message)


@require_safe
def status_page(request: HttpRequest) -> HttpResponse:
    # Its error texts name endpoints and OS errors: staff only, unless STATUS_PUBLIC.
    if not settings.STATUS_PUBLIC and not request.user.is_staff:
        return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
    page = status.page(now=clock.now())
    return render(
        request,
        "dashboard/status.html",
        {**base_context(), "page": page, "simulator_port": settings.SIMULATOR_PORT},
    )


@require_safe
def api_page(request: HttpRequest) -> HttpResponse:
    """The OpenAPI document as a page to read; the JSON stays at /api/v1/openapi.json."""
    document = openapi.document()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": operation.get("summary", ""),
            "parameters": [
                {
                    "name": p["name"],
                    "description": p.get("description", ""),
                    "schema": schema_text(p.get("schema", {})),
                }
                for p in operation.get("parameters", [])
            ],
            "responses": [
                (code, answer.get("description", ""))
                for code, answer in operation.get("responses", {}).items()
            ],
        }
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    context = {**base_context(), "info": document["info"], "operations": operations}
    return render(request, "dashboard/api.html", context)


def schema_text(schema: dict) -> str:
    """integer, 1 to 100; string, one of none, live, upcoming; ..."""
    kind = schema.get("type") or " or ".join(
        dict.fromkeys(part.get("type", "string") for part in schema.get("anyOf", [{}]))
    )
    if "enum" in schema:
        return f"{kind}, one of {', '.join(str(v) for v in schema['enum'])}"
    if "minimum" in schema or "maximum" in schema:
        return f"{kind}, {schema.get('minimum', '')} to {schema.get('maximum', '')}".strip()
    if "maxLength" in schema:
        return f"{kind}, at most {schema['maxLength']} characters"
    return kind


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", base_context(), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500: the API's JSON error body under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return api.server_error(request)
    return defaults.server_error(request)

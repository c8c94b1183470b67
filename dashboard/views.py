"""HTML views: the video grid and the status page. Each view renders one page template in full,
or, for an htmx request, only the fragment that request swaps (from the same data)."""

from __future__ import annotations

from collections.abc import Iterable
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
    """The grid's page (video_grid, channel_page): parse, validate, fetch the page, render.
    The live banner's poll asks the same address with `since`: banner() answers it."""
    fragment = bool(request.htmx) and not request.htmx.history_restore_request
    if fragment and "since" in request.GET:
        return banner(request, channel=channel)
    address = address_of(request, channel=channel)
    try:
        sort = pagination.parse_sort(request.GET.get("sort"))
        cursor = pagination.parse_token(request.GET.get("sync_token"), sort=sort)
        # Only the banner reads it, but a bad one is refused wherever it comes.
        parse_since(request.GET.get("since"))
    except pagination.BadParameter as e:
        return bad_request(request, Refusal(param=e.param, message=e.message), address=address)
    now = clock.now()
    filterset = GridFilter(address.data, queryset=Video.listed(), now=now)
    if refusal := check_filters(filterset):
        return bad_request(request, refusal, address=address)

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
    # Only the top of a newest-first feed can grow while the reader looks at it.
    top_shown = filterset.sort_order == "newest" and cursor is None
    top = page.items[0].sort_key if page.items else 0
    channel_id = filterset.form.cleaned_data.get("channel", "").strip()
    context = {
        **results_context(address),
        "cards": cards(page.items, terms=filtered.terms, now=now),
        "cursor": cursor,
        "next_url": address.link(sync_token=page.next_token) if page.next_token else "",
        "first_url": address.link(),
        "poll_url": address.link(since=top) if top_shown else "",
        "channel_title": next(
            (v.channel_title for v in page.items if v.channel_id == channel_id), channel_id
        ),
        "searching": bool(filtered.terms or filterset.video_id),
    }
    if not fragment:
        return render(request, "dashboard/grid.html", {**context, **form_context(request, address)})
    if cursor is not None:
        return render(request, "dashboard/_cards.html", context)
    response = render(request, "dashboard/_results.html", {**context, "fragment": True})
    # The address bar shows the search and filters as a reader would type them.
    return push_url(response, address.link())


def banner(request: HttpRequest, *, channel: Channel | None) -> HttpResponse:
    """The live banner's poll (every 15 seconds, htmx): how many newer videos match, without
    moving the grid. It reads the count and nothing the banner does not show."""
    address = address_of(request, channel=channel)
    try:
        since = parse_since(request.GET["since"])
    except pagination.BadParameter as e:
        return bad_request(request, Refusal(param=e.param, message=e.message), address=address)
    filterset = GridFilter(address.data, queryset=Video.listed(), now=clock.now())
    if refusal := check_filters(filterset):
        return bad_request(request, refusal, address=address)
    count = filterset.count_newer(since, cap=BANNER_CAP)
    seen = min(count, BANNER_CAP + 1)
    context = {
        "new_count": count,
        "new_label": f"{BANNER_CAP}+" if count > BANNER_CAP else str(count),
        "poll_url": address.link(since=since, seen=seen),
        "show_url": address.link(),
        # `seen`: the count the page shows now; a screen reader hears a count only when it
        # changes.
        "announce_new": count and request.GET.get("seen", "") != str(seen),
    }
    return render(request, "dashboard/_banner.html", context)


@dataclass(frozen=True, slots=True)
class Address:
    """Where a grid page is: the grid or a channel's page, the filters its links carry
    (canonical; a channel's page leaves its own channel to the path) and the data its
    filters read (with that channel)."""

    channel: Channel | None
    params: list[tuple[str, str]]
    data: QueryDict

    @property
    def path(self) -> str:
        return self.channel.url if self.channel else reverse("dashboard-grid")

    def link(self, params: list[tuple[str, str]] | None = None, **extra: str | int) -> str:
        """This page with `params` (by default its own) and `extra`."""
        params = self.params if params is None else params
        query = urlencode(params + [(k, str(v)) for k, v in extra.items()])
        return f"{self.path}?{query}" if query else self.path


def address_of(request: HttpRequest, *, channel: Channel | None) -> Address:
    params = canonical_params(request.GET)
    if channel is None:
        return Address(channel=None, params=params, data=request.GET)
    # The page is the channel filter: the address says it, not a parameter.
    data = request.GET.copy()
    data["channel"] = channel.id
    return Address(channel=channel, params=[p for p in params if p[0] != "channel"], data=data)


def results_context(address: Address) -> dict:
    """What the results show whatever they hold: the filters, their links, the sort's words."""
    params = dict(address.params)
    # The words follow the sort: an oldest-first feed's next page holds newer videos.
    first, later = FIRST_AND_LATER[params.get("sort", "newest")]
    return {
        **base_context(),
        "params": params,
        "channel": address.channel,
        "filtered": any(name not in ("q", "sort") for name in params),
        "clear_url": address.link([p for p in address.params if p[0] == "q"]),
        # Subscribe and share: the feeds of these filters (a channel page's with its channel),
        # and this page's own address.
        "feeds": feed_urls(canonical_params(address.data)),
        "share_url": address.link(),
        "first": first,
        "later": later,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Select:
    """One <select> of the grid's filter form (templates/dashboard/_select.html)."""

    label: str
    name: str
    choices: list[tuple[str, str]]
    chosen: str  # the value the address asks for
    anything: str = ""  # the first option's words, for no filter ("": no such option)


def form_context(request: HttpRequest, address: Address) -> dict:
    """What only the full page adds: the filter form, with the source queries to choose from."""

    def select(label: str, name: str, choices: Iterable[tuple[str, str]], **more: str) -> Select:
        chosen = request.GET.get(name, "")
        return Select(label=label, name=name, choices=list(choices), chosen=chosen, **more)

    sources = SearchQuery.objects.values_list("text", flat=True)
    live = [(live.value, LIVE_WORDS[live]) for live in Video.Live]
    return {
        "raw": request.GET,
        "form_url": address.path,
        "selects": [
            select("Source", "query", ((text, text) for text in sources), anything="All queries"),
            select("Type", "live", live, anything="All videos"),
            select("Length", "duration", DURATION_CHOICES, anything="Any length"),
            select("Shorts", "shorts", SHORTS_CHOICES, anything="With Shorts"),
            select("Published", "when", WHEN_CHOICES, anything="Any time"),
        ],
        "sort": select("Sort", "sort", SORT_CHOICES),
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """Why the grid cannot show what a request asks: the parameter at fault and its message."""

    param: str
    message: str
    explained: str = ""  # what the page says the parameter needs, when not PARAMS_EXPLAINED's


def check_filters(filterset: GridFilter) -> Refusal | None:
    """Why the grid cannot show what these filters ask (a 400), or None."""
    if not filterset.is_valid():
        param, messages = next(iter(filterset.errors.items()))
        return Refusal(param=param, message=" ".join(messages))
    if message := filterset.sort_error():
        return Refusal(param="sort", message=message, explained=message)
    data = filterset.form.cleaned_data
    after, before = data.get("published_after"), data.get("published_before")
    if after is not None and before is not None and after > before:
        # Contradictory dates would just show nothing: say which one to change.
        message = "must not be before the “From” date"
        return Refusal(param="published_before", message=message, explained=message)
    return None


def bad_request(request: HttpRequest, refusal: Refusal, *, address: Address) -> HttpResponse:
    """The 400: the grid page saying which parameter to change (for htmx, its results)."""
    name, default = PARAMS_EXPLAINED.get(refusal.param, (refusal.param, ""))
    explained = refusal.explained or default
    if not explained and refusal.message.startswith("must "):
        explained = refusal.message
    error = {
        "param": refusal.param,
        "name": name,
        "explained": explained,
        "message": refusal.message,
    }
    context = {**results_context(address), "error": error, "fragment": bool(request.htmx)}
    if request.htmx:
        return render(request, "dashboard/_results.html", context, status=400)
    context.update(form_context(request, address))
    return render(request, "dashboard/grid.html", context, status=400)


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

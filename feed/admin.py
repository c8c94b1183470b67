from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from feed import clock, discovery
from feed.models import ApiKeyState, FetchRun, QuotaUsage, SearchQuery, Video


@admin.register(SearchQuery)
class SearchQueryAdmin(admin.ModelAdmin):
    list_display = ["text", "active", "last_polled_at", "covered_until", "discovery_delay"]
    list_editable = ["active"]
    search_fields = ["text"]
    readonly_fields = ["covered_until", "gaps", "last_polled_at", "rewalked", "discovery_delay"]

    @admin.display(description="stored after publishing (last 24 h)")
    def discovery_delay(self, query: SearchQuery) -> str:
        # A query per row: an admin lists a handful of search queries.
        delays = discovery.delays(now=clock.now(), query_ids=[query.pk]).get(query.pk)
        if delays is None:
            return "no new videos"
        return f"median {delays.median}, p95 {delays.p95}, max {delays.max} ({delays.count})"


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ["title", "channel_title", "published_at", "live", "view_count", "removed_at"]
    list_filter = ["live", ("removed_at", admin.EmptyFieldListFilter), "queries"]
    search_fields = ["youtube_id", "title", "channel_id"]
    readonly_fields = [
        "youtube_id",
        "sort_key",
        "published_at",
        "first_seen_at",
        "updated_at",
        "removed_at",
        "checked_at",
        "check_due_at",
    ]
    show_full_result_count = False  # no COUNT(*) over a million rows per page view


@admin.register(ApiKeyState)
class ApiKeyStateAdmin(admin.ModelAdmin):
    list_display = ["fingerprint", "state", "exhausted_until", "reason", "changed_at"]
    readonly_fields = ["fingerprint", "disabled_config", "changed_at"]
    actions = ["reset"]

    @admin.action(description="Reset to ok (try the key again)")
    def reset(self, request: HttpRequest, queryset: QuerySet[ApiKeyState]) -> None:
        queryset.update(state=ApiKeyState.State.OK, exhausted_until=None, reason="", message="")


@admin.register(QuotaUsage)
class QuotaUsageAdmin(admin.ModelAdmin):
    list_display = ["fingerprint", "day", "units", "check_units", "calls"]
    list_filter = ["day"]


@admin.register(FetchRun)
class FetchRunAdmin(admin.ModelAdmin):
    list_display = [
        "query",
        "started_at",
        "pages",
        "new_videos",
        "late_videos",
        "rewalk_seconds",
        "units",
        "error_reason",
    ]
    list_filter = ["query", "error_reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

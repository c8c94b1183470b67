from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from feed import changes as change_log
from feed import clock, discovery, webhooks
from feed.models import ApiKeyState, Delivery, FetchRun, QuotaUsage, SearchQuery, Video, Webhook

# Attempts shown on a subscription's page, newest first.
RECENT_DELIVERIES = 20


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


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", label="URL")

    class Meta:
        model = Webhook
        fields = ["url", "filters", "active", "position"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValidationError("only http and https URLs are delivered to")
        return url

    def clean_filters(self) -> str:
        filters = self.cleaned_data["filters"].strip().lstrip("?")
        webhooks.validate_filters(filters)
        return filters


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["url", "filters", "active", "position", "failing_since", "disabled_reason"]
    list_filter = ["active"]
    readonly_fields = [
        "created_at",
        "secret_rotated_at",
        "failing_since",
        "failures",
        "retry_at",
        "disabled_reason",
        "recent_deliveries",
    ]
    actions = ["rotate_secret", "enable"]

    def save_model(
        self, request: HttpRequest, obj: Webhook, form: forms.Form, change: bool
    ) -> None:
        if not change and obj.position is None:
            # From the current end of the log: what changes from now on.
            obj.position = change_log.latest()
        super().save_model(request, obj, form, change)
        if not change:
            show_secret(request, obj, webhooks.secret(obj))

    @admin.action(description="Rotate the secret (the old one stops signing at once)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for webhook in queryset:
            show_secret(request, webhook, webhooks.rotate(webhook, now=clock.now()))

    @admin.action(description="Enable (deliver again, from where it stopped)")
    def enable(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for webhook in queryset:
            webhooks.enable(webhook)

    @admin.display(description="recent deliveries")
    def recent_deliveries(self, webhook: Webhook) -> str:
        attempts = Delivery.objects.filter(webhook=webhook).order_by("-id")[:RECENT_DELIVERIES]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{d.at:%Y-%m-%d %H:%M:%S}",
                    d.message_id,
                    d.attempt,
                    "ok" if d.ok else "failed",
                    d.status_code if d.status_code is not None else "-",
                    d.error,
                )
                for d in attempts
            ),
        )
        if not rows:
            return "none yet"
        return format_html(
            "<table><tr><th>time (UTC)</th><th>webhook-id</th><th>attempt</th><th>result</th>"
            "<th>status</th><th>error</th></tr>{}</table>",
            rows,
        )


def show_secret(request: HttpRequest, webhook: Webhook, secret: str) -> None:
    # The one time it is shown: it is stored nowhere, and derived again only to sign.
    messages.warning(
        request,
        f"The signing secret of {webhook.url} is {secret} . It is shown only this once: "
        "give it to the receiver now (rotate it to get a new one).",
    )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["at", "webhook", "message_id", "attempt", "ok", "status_code", "error"]
    list_filter = ["ok", "webhook"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

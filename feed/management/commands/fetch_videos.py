"""One poll of every (or one) query, in the foreground, saying what it did."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feed import clock, services
from feed.models import SearchQuery

# Reasons that mean "fix the configuration", not "try again later".
CONFIGURATION_REASONS = {
    "noUsableKey",
    "keyInvalid",
    "API_KEY_INVALID",
    "accessNotConfigured",
    "SERVICE_DISABLED",
    "forbidden",
}


class Command(BaseCommand):
    help = "Poll YouTube once for every active query (or one) and print what was fetched."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--query", help="poll only this configured query")

    def handle(self, *args: object, query: str | None, **options: object) -> None:
        services.sync_configured_queries()
        queries = SearchQuery.objects.filter(active=True)
        if query is not None:
            queries = SearchQuery.objects.filter(text=query)
            if not queries:
                known = ", ".join(SearchQuery.objects.values_list("text", flat=True)) or "none"
                raise CommandError(
                    f"unknown query {query!r} (configured: {known}); "
                    "add it to YOUTUBE_QUERIES or in the admin"
                )
        if settings.DEMO_MODE:
            self.stdout.write(
                f"demo mode: fetching from the simulator at {settings.YOUTUBE_API_ENDPOINT}"
            )
        runs = [services.fetch_query(q) for q in queries]
        for run in runs:
            self.stdout.write(
                f"{run.query.text!r}: {run.pages} page(s), {run.new_videos} new, "
                f"{run.updated_videos} updated, {run.units} units, "
                f"key {run.key_fingerprints or '(none)'}"
            )
            if run.error:
                self.stdout.write(f"  error ({run.error_reason}): {run.error}")
        self.stdout.write(services.pacing(now=clock.now()).sentence)
        if runs and all(r.pages == 0 and r.error_reason in CONFIGURATION_REASONS for r in runs):
            raise CommandError("nothing could be fetched: fix the configuration above")

"""One poll of every (or one) query, in the foreground, saying what it did.

Exit status: 0 when something could be fetched (or there was nothing to poll); 1 when nothing
can be fetched until the configuration changes (no key, every key rejected); 3 when every
usable key has spent today's quota: that fixes itself at the reset, which it names.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feed import clock, keys, quota, reasons, services
from feed.models import ApiKeyState, SearchQuery

QUOTA_SPENT = 3


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
                f"{run.query.text!r}: {run.pages} page(s), {run.new_videos} new"
                f"{f' ({run.late_videos} found late by a re-walk)' if run.late_videos else ''}, "
                f"{run.updated_videos} updated, {run.units} units, "
                f"key {run.key_fingerprints or '(none)'}"
            )
            if run.error:
                self.stdout.write(f"  error ({run.error_reason}): {run.error}")
        now = clock.now()
        self.stdout.write(services.pacing(now=now).sentence)
        for line in services.coverage(now=now):
            self.stdout.write(line)
        if runs and all(r.pages == 0 and r.error_reason == reasons.NO_USABLE_KEY for r in runs):
            statuses = keys.statuses(now=now)
            if any(s.state != ApiKeyState.State.DISABLED for s in statuses):
                reset = quota.next_reset(now)
                raise CommandError(
                    "nothing could be fetched: today's quota is spent; it resets at "
                    f"{reset.astimezone(quota.PACIFIC):%H:%M} PT "
                    f"(in {quota.humanise((reset - now).total_seconds())}), or add a key",
                    returncode=QUOTA_SPENT,
                )
            raise CommandError("nothing could be fetched: fix the configuration above")

"""One round of webhook deliveries in the foreground (what the worker does once a minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from huey.exceptions import TaskLockedException

from feed import clock, webhooks


class Command(BaseCommand):
    help = "Deliver the change log to every due webhook subscription once, and say what happened."

    def handle(self, *args: object, **options: object) -> None:
        try:
            done = webhooks.deliver_leased(now=clock.now())
        except TaskLockedException as e:
            raise CommandError(
                f"another round of deliveries is running ({e}); a killed one's lease expires "
                "after WEBHOOK_LEASE_SECONDS"
            ) from None
        self.stdout.write(
            f"{done.delivered} changes delivered, {done.failed} failed, "
            f"{done.disabled} subscriptions disabled"
        )

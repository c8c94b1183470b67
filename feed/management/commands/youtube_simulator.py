"""Serve the built-in YouTube simulator until Ctrl-C (demo mode, manual testing, benchmarks)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from simulator import (
    DEFAULT_INDEX_LAG,
    FAULT_KINDS,
    NO_LAG,
    Simulator,
    SimulatorConfig,
    fingerprint,
    server_url,
)


class Command(BaseCommand):
    # The simulator uses neither the database nor the app: it must start even when they are broken.
    requires_system_checks: list[str] = []
    help = (
        "Serve a simulated YouTube Data API (search.list, videos.list) and print the URL to set "
        "as YOUTUBE_API_ENDPOINT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = SimulatorConfig()
        parser.add_argument(
            "--port",
            type=int,
            default=settings.SIMULATOR_PORT,
            help=f"0 picks a free port (default: SIMULATOR_PORT, {settings.SIMULATOR_PORT})",
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--queries",
            nargs="+",
            default=None,
            help="queries with a video stream (default: settings.YOUTUBE_QUERIES)",
        )
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--rate",
            type=float,
            default=defaults.rate_per_minute,
            help="steady videos per minute per query",
        )
        parser.add_argument(
            "--burst-every",
            type=float,
            default=defaults.burst_every_minutes,
            help="minutes between bursts (0: no bursts)",
        )
        parser.add_argument("--burst-size", type=int, default=defaults.burst_size)
        parser.add_argument(
            "--history-hours",
            type=float,
            default=defaults.history_hours,
            help="hours of videos already published at start",
        )
        parser.add_argument(
            "--start",
            type=datetime.fromisoformat,
            default=None,
            help="the simulated start, ISO 8601 with a UTC offset (default: now); the same seed "
            "and start give the same videos, in this process or in a test",
        )
        parser.add_argument(
            "--no-index-lag",
            action="store_true",
            help="search shows every video the second it is published (default: as YouTube's "
            "index does, most within minutes and a few only after hours; videos.list by id "
            "always shows it at once)",
        )
        low, high = defaults.removal_after_hours
        back = round(defaults.restore_share * 100)
        parser.add_argument(
            "--removal-share",
            type=float,
            default=defaults.removal_share,
            help=f"share (0..1) of videos deleted or made private {low:g} to {high:g} hours after "
            f"publishing: search and videos.list then leave them out; {back}%% of those come back "
            "later (default: %(default)s; 0: none)",
        )
        parser.add_argument(
            "--daily-quota",
            type=int,
            default=settings.YOUTUBE_DAILY_QUOTA,
            help="units per key per Pacific day (default: YOUTUBE_DAILY_QUOTA)",
        )
        parser.add_argument(
            "--invalid-keys", nargs="*", default=[], help="keys answered with keyInvalid"
        )
        parser.add_argument(
            "--disabled-keys", nargs="*", default=[], help="keys answered with accessNotConfigured"
        )
        parser.add_argument(
            "--old-key-errors",
            action="store_true",
            help="answer invalid keys with the older keyInvalid form",
        )
        parser.add_argument(
            "--fault-rate",
            type=float,
            default=0.0,
            help="probability (0..1) that a request gets a random fault",
        )
        parser.add_argument(
            "--fault-kinds",
            nargs="+",
            choices=FAULT_KINDS,
            default=list(FAULT_KINDS),
            metavar="KIND",
            help=f"which faults --fault-rate draws from (default: all of {', '.join(FAULT_KINDS)})",
        )
        parser.add_argument("--slow-seconds", type=float, default=defaults.slow_seconds)

    def handle(self, *args: Any, **options: Any) -> None:
        config = self.build_config(options)

        if options["verbosity"] >= 2:
            # Request lines, with each key=... replaced by its fingerprint.
            logging.getLogger("simulator").setLevel(logging.DEBUG)

        simulator = Simulator(config)
        try:
            server = simulator.make_server(host=options["host"], port=options["port"])
        except OSError as e:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {e}. "
                "Pick another --port (0 picks a free one)."
            ) from None

        url = server_url(server)
        self.stdout.write(f"YouTube simulator for {', '.join(config.queries)} at {url}")
        self.stdout.write(f"Point the app at it: YOUTUBE_API_ENDPOINT={url}")
        self.stdout.write("Any key works, except keys starting with 'invalid'. Ctrl-C stops.")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        self._report(simulator)

    def build_config(self, options: dict[str, Any]) -> SimulatorConfig:
        """The simulator the options ask for; defaults are the realistic YouTube."""
        try:
            return SimulatorConfig(
                seed=options["seed"],
                queries=tuple(options["queries"] or settings.YOUTUBE_QUERIES or ["football"]),
                rate_per_minute=options["rate"],
                burst_every_minutes=options["burst_every"],
                burst_size=options["burst_size"],
                history_hours=options["history_hours"],
                start=options["start"],
                daily_quota=options["daily_quota"],
                invalid_keys=frozenset(options["invalid_keys"]),
                disabled_keys=frozenset(options["disabled_keys"]),
                key_invalid_form="old" if options["old_key_errors"] else "new",
                fault_rate=options["fault_rate"],
                fault_kinds=tuple(options["fault_kinds"]),
                slow_seconds=options["slow_seconds"],
                index_lag=NO_LAG if options["no_index_lag"] else DEFAULT_INDEX_LAG,
                removal_share=options["removal_share"],
            )
        except ValueError as e:
            raise CommandError(str(e)) from None

    def _report(self, simulator: Simulator) -> None:
        stats = simulator.stats
        for (key, method), calls in sorted(stats.calls.items()):
            name = fingerprint(key) if key else "(no key)"
            self.stdout.write(f"{name} {method}: calls={calls}")
        for key, calls in sorted(stats.calls_after_quota_exceeded.items()):
            self.stdout.write(f"{fingerprint(key)}: {calls} calls after quotaExceeded")
        if simulator.stats.faults:
            faults = ", ".join(f"{kind}={n}" for kind, n in sorted(simulator.stats.faults.items()))
            self.stdout.write(f"faults: {faults}")

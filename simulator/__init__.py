"""The built-in YouTube stand-in: search.list and videos.list of the Data API v3 over HTTP.

Demo mode, tests and benchmarks point the real google-api-python-client at it with
`client_options={"api_endpoint": url}`. It answers with the real response and error shapes,
charges quota per key per Pacific day, and injects faults on request. Standard library only and
nothing from Django or the app, so it runs in-process anywhere.

The video stream is a pure function of (seed, query, time): see simulator/streams.py.
Unknown queries (a `q` not in the configured list) match nothing: the answer is an empty page,
as YouTube answers a query nobody has uploaded for. A request without `q` matches every query.

By default it behaves as YouTube does over time (shared/youtube/README.md): search.list shows a
video only after its index lag (minutes for most, hours for a few; videos.list at once), about
2% of videos are removed hours after publishing and a tenth of those come back, view counts grow
for days and about 1% are hidden, and Shorts (titled #shorts) last at most 3 minutes. For an
instant world pass `index_lag=NO_LAG, removal_share=0`. The truth, for tests and benchmarks:
Simulator.published(), searchable(), searchable_at(), is_removed(), view_count(), video().

    sim = Simulator(SimulatorConfig(queries=("football",)), clock=ManualClock(start))
    with sim.serve() as url:
        ...  # build("youtube", "v3", ..., client_options={"api_endpoint": url})
"""

from __future__ import annotations

from simulator.clock import ManualClock, utc_now
from simulator.config import DEFAULT_INDEX_LAG, NO_LAG, IndexLag, SimulatorConfig
from simulator.content import Video
from simulator.faults import FAULT_KINDS, INJECTABLE_KINDS
from simulator.params import SEARCH, VIDEOS
from simulator.quota import PACIFIC, next_quota_reset, pacific_day
from simulator.server import fingerprint, redact, server_url
from simulator.shapes import Answer
from simulator.youtube import Simulator, SimulatorStats

__all__ = [
    "DEFAULT_INDEX_LAG",
    "FAULT_KINDS",
    "INJECTABLE_KINDS",
    "NO_LAG",
    "PACIFIC",
    "SEARCH",
    "VIDEOS",
    "Answer",
    "IndexLag",
    "ManualClock",
    "Simulator",
    "SimulatorConfig",
    "SimulatorStats",
    "Video",
    "fingerprint",
    "next_quota_reset",
    "pacific_day",
    "redact",
    "server_url",
    "utc_now",
]

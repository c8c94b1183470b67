"""The HTTP layer: what it logs, and keys only as fingerprints."""

from __future__ import annotations

import logging

from simulator import fingerprint, redact
from tests.fixtures.simulator import SIMULATOR_KEY, search


def test_it_never_logs_a_key_in_full(youtube, simulator, caplog):
    caplog.set_level(logging.DEBUG, logger="simulator")

    search(youtube)

    assert "GET /youtube/v3/search" in caplog.text
    assert SIMULATOR_KEY not in caplog.text


def test_it_redacts_keys_to_their_fingerprint():
    line = redact("GET /youtube/v3/search?q=a&key=abc-def&alt=json")

    assert line == f"GET /youtube/v3/search?q=a&key={fingerprint('abc-def')}&alt=json"
    assert fingerprint("abc-def") != fingerprint("abc-deg")

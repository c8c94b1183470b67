"""One list of reasons: every reason youtube.py can record has words of its own, and a key's
state reads the same on /status and in a poll's "no usable key" message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feed import keys, reasons, services
from feed.youtube import fingerprint
from tests.fixtures.clock import NOW

KNOWN = sorted(
    reasons.QUOTA
    | reasons.RATE
    | reasons.KEY_PROBLEMS.keys()
    | reasons.TRANSPORT.keys()
    | {reasons.MALFORMED, reasons.NO_USABLE_KEY, reasons.DATABASE_ERROR}
)


@pytest.mark.parametrize("reason", KNOWN)
def test_every_known_reason_has_words_of_its_own(reason):
    words = reasons.plain(reason)
    assert words and reason not in words


def test_an_unknown_reason_or_status_is_quoted():
    assert reasons.plain("somethingNew") == "YouTube said somethingNew"
    assert reasons.plain("http418") == "YouTube answered HTTP 418"
    assert reasons.plain("") == ""


@pytest.mark.django_db
def test_a_key_state_reads_the_same_on_status_and_in_the_poll_message(settings):
    spent, rejected = "key-spent-0000000000000000000000", "key-rejected-000000000000000000000"
    settings.YOUTUBE_API_KEYS = [spent, rejected]
    keys.mark_exhausted(spent, now=NOW, reason="quotaExceeded", message="spent")
    keys.disable(rejected, now=NOW, reason="API_KEY_INVALID", message="API key not valid.")
    words = {s.fingerprint: s.words for s in keys.statuses(now=NOW + timedelta(minutes=1))}
    assert words[fingerprint(spent)] == "exhausted until 00:00 PT"
    assert words[fingerprint(rejected)] == "disabled: the API key was rejected as invalid"
    message = services.no_key_message(now=NOW + timedelta(minutes=1), cost=100)
    for fp, said in words.items():
        assert f"{fp} is {said}" in message

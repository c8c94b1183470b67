"""One list of reasons: every reason youtube.py can record has words of its own, and a key's
state reads the same on /status and in a poll's "no usable key" message."""

from __future__ import annotations

import pytest

from feed import reasons

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

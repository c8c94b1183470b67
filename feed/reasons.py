"""YouTube's reason strings and ours, and the words people read for them: the one list that
feed/youtube.py classifies errors by, and that /status, the admin and `fetch_videos` word."""

from __future__ import annotations

QUOTA = frozenset({"quotaExceeded", "dailyLimitExceeded"})
PAGE_TOKEN = frozenset({"invalidPageToken"})
RATE = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})

# A rejected key as (what happened, what to do). `details[].reason` (newer, upper case) is more
# specific than `errors[].reason` ("badRequest"), so youtube.py reads both, details first.
_INVALID_KEY = ("the API key was rejected as invalid", "check YOUTUBE_API_KEYS")
_API_DISABLED = (
    "YouTube Data API v3 is not enabled for this key's Google Cloud project",
    "enable it in the console",
)
_RESTRICTED = (
    "the API key is not allowed to call the YouTube Data API",
    "check the key's API and application restrictions in the Google Cloud console",
)
_EXPIRED = ("the API key has expired", "create a new key and update YOUTUBE_API_KEYS")
KEY_PROBLEMS = {
    "API_KEY_INVALID": _INVALID_KEY,
    "keyInvalid": _INVALID_KEY,
    "API_KEY_EXPIRED": _EXPIRED,
    "keyExpired": _EXPIRED,
    "SERVICE_DISABLED": _API_DISABLED,
    "accessNotConfigured": _API_DISABLED,
    "API_KEY_SERVICE_BLOCKED": _RESTRICTED,
    "API_KEY_HTTP_REFERRER_BLOCKED": _RESTRICTED,
    "API_KEY_IP_ADDRESS_BLOCKED": _RESTRICTED,
    "API_KEY_ANDROID_APP_BLOCKED": _RESTRICTED,
    "API_KEY_IOS_APP_BLOCKED": _RESTRICTED,
    "ipRefererBlocked": _RESTRICTED,
    "forbidden": _RESTRICTED,
}

# Ours: a transport failure has no YouTube reason, so youtube.py names it.
TRANSPORT = {
    "timeout": "YouTube did not answer in time",
    "connectionError": "could not connect to YouTube",
    "serverNotFound": "YouTube's server could not be found",
    "transportError": "the connection to YouTube failed",
}
MALFORMED = "malformedResponse"
NO_USABLE_KEY = "noUsableKey"  # a poll found no key able to pay (feed.services)
DATABASE_ERROR = "databaseError"  # a poll's write failed (feed.services.fetch_query)
INTERNAL_ERROR = "internalError"  # a poll failed on our side

_PLAIN = {
    **dict.fromkeys(QUOTA, "the key's daily quota is spent"),
    **dict.fromkeys(RATE, "YouTube asked us to slow down"),
    **{reason: problem for reason, (problem, _fix) in KEY_PROBLEMS.items()},
    **TRANSPORT,
    "backendError": "YouTube had an internal error",
    MALFORMED: "YouTube sent an answer we could not read",
    NO_USABLE_KEY: "no API key could be used",
    DATABASE_ERROR: "our database refused a write (a full disk?)",
    INTERNAL_ERROR: "the poll failed on our side",
}


def plain(reason: str) -> str:
    """A reason in words for people; the stored message follows it where there is one."""
    if not reason:
        return ""
    if reason in _PLAIN:
        return _PLAIN[reason]
    if reason.startswith("http") and reason[4:].isdigit():
        return f"YouTube answered HTTP {reason[4:]}"
    return f"YouTube said {reason}"

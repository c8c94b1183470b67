"""Webhook subscriptions: their secrets and filters, and delivering the change log to them, each
change POSTed as JSON and signed with the Standard Webhooks library (standardwebhooks).

Delivery is at least once, in the log's order per subscription: a subscription's position moves
past a change only after its receiver answered 2xx, so a failure or a killed worker sends the
same change again, with the same `webhook-id` (msg_<change id>), for the receiver to deduplicate.
A failure pauses the subscription for an exponentially growing time (backoff); failing without
a success for WEBHOOK_DISABLE_AFTER_SECONDS disables it, with the reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import standardwebhooks
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict

from feed import changes as change_log
from feed import clock, outbound
from feed.filters import ChangeFilter, VideoFilter
from feed.leases import lease
from feed.models import Delivery, Video, Webhook, new_salt, query_texts

logger = logging.getLogger(__name__)

FILTERS = frozenset(VideoFilter.base_filters)
# Changes read from the log per statement, and delivered to one subscription per run at most
# (the others' turn comes after; the next run, a minute later, goes on).
PAGE = 100
MAX_PER_RUN = 1000
# Retries after a failure: 1, 2, 4, 8, 16, 32 minutes, then every hour (the worker looks once a
# minute, so a retry is due at most a minute late).
BACKOFF_FIRST_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
# Attempts kept per subscription for the admin (older ones are deleted).
KEEP_DELIVERIES = 50


# -- Secrets ---------------------------------------------------------------------------------


def secret(webhook: Webhook) -> str:
    """The subscription's signing secret, as the library (and the receiver) takes it: "whsec_"
    and the base64 of 32 bytes. Derived, never stored: HMAC-SHA256 of the stored salt under
    WEBHOOK_SECRET_KEY, so the database alone does not give it away."""
    salt = f"feed.webhooks:{webhook.salt}".encode()
    digest = hmac.new(signing_key(), salt, hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(digest).decode()


def signing_key() -> bytes:
    """WEBHOOK_SECRET_KEY; without one (DEBUG=1 and no SECRET_KEY) the development key that every
    process of this checkout shares, made at random the first time (never in code or database)."""
    if settings.WEBHOOK_SECRET_KEY:
        return settings.WEBHOOK_SECRET_KEY.encode()
    path = Path(settings.WEBHOOK_DEV_KEY_FILE)
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place: the file appears whole or not at all, and of two
    # processes starting at once the second reads the first one's key.
    # (mkstemp: readable by this user only).
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as draft:
        draft.write(secrets.token_urlsafe(50).encode())
    try:
        os.link(draft.name, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(draft.name)
    return path.read_bytes()


def rotate(webhook: Webhook, *, now: datetime) -> str:
    """A new secret for the subscription (the old one stops signing at once); returns it."""
    webhook.salt = new_salt()
    webhook.secret_rotated_at = now
    webhook.save(update_fields=["salt", "secret_rotated_at"])
    return secret(webhook)


# -- Filters ---------------------------------------------------------------------------------


def validate_filters(text: str) -> None:
    """Raise ValidationError unless `text` is a query string of the list's filters with valid
    values (the list's own messages)."""
    data = QueryDict(text)
    unknown = sorted(set(data) - FILTERS)
    if unknown:
        raise ValidationError(
            f"unknown filter {', '.join(unknown)}: the filters are {', '.join(sorted(FILTERS))}"
        )
    filterset = ChangeFilter(data, queryset=Video.objects.none())
    if not filterset.is_valid():
        raise ValidationError(
            [f"{param}: {' '.join(messages)}" for param, messages in filterset.errors.items()]
        )


# -- Delivery --------------------------------------------------------------------------------


def backoff(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failure in a row before trying again."""
    exponent = min(max(failures - 1, 0), 30)
    return timedelta(seconds=min(BACKOFF_FIRST_SECONDS * 2**exponent, BACKOFF_MAX_SECONDS))


def message_id(change_id: int) -> str:
    return f"msg_{change_id}"


def entry(video: Video, queries: list[str]) -> dict:
    """The change's object as GET /api/v1/youtube/changes gives it (feed.api.changes)."""
    if video.removed_at is not None:
        return {"id": video.youtube_id, "removed": True}
    return {**video.to_dict(queries=queries), "removed": False}


@dataclass
class Outcome:
    delivered: int = 0
    failed: int = 0
    disabled: int = 0


def due(*, now: datetime) -> list[Webhook]:
    return list(
        Webhook.objects.filter(active=True).filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
    )


def deliver_leased(*, now: datetime) -> Outcome:
    """deliver_due under the deliveries' lease: one round at a time across every consumer (and
    `manage.py deliver_webhooks`), so each subscription gets its changes in order. Raises
    TaskLockedException while another round holds it."""
    with lease("deliver-webhooks", seconds=settings.WEBHOOK_LEASE_SECONDS) as renew:
        return deliver_due(now=now, after_post=renew)


def deliver_due(*, now: datetime, after_post: Callable[[], None] = lambda: None) -> Outcome:
    """Deliver to every active subscription that is not waiting for a retry. `after_post` is
    called after each POST (a lease's renew)."""
    outcome = Outcome()
    for webhook in due(now=now):
        deliver(webhook, after_post=after_post, outcome=outcome)
    return outcome


def deliver(
    webhook: Webhook,
    *,
    after_post: Callable[[], None] = lambda: None,
    outcome: Outcome | None = None,
) -> Outcome:
    """Deliver the subscription's matching changes after its position, in order, until one
    fails, the log's end, or MAX_PER_RUN."""
    outcome = outcome or Outcome()
    if webhook.position is None:
        webhook.position = change_log.latest()
        webhook.save(update_fields=["position"])
    data = QueryDict(webhook.filters)
    sent = 0
    while sent < MAX_PER_RUN:
        # Read before the page: every change up to `end` is visible to the page's statement
        # (the log's ids become visible in order, feed/store.py), so a short page means every
        # change up to `end` is delivered or not matching.
        end = change_log.latest()
        qs = Video.objects.defer("first_seen_at", "updated_at", "checked_at", "check_due_at")
        walk = True
        if not FILTERS.isdisjoint(data.keys()):
            filterset = ChangeFilter(data, queryset=qs)
            if not filterset.is_valid():
                # Saved through the admin, they were valid: a release changed what is valid.
                errors = "; ".join(f"{p}: {' '.join(m)}" for p, m in filterset.errors.items())
                disable(webhook, reason=f"its filters are no longer valid: {errors}")
                outcome.disabled += 1
                return outcome
            qs, walk = filterset.qs, not filterset.few
        rows = change_log.fetch_page(qs, since=webhook.position, limit=PAGE, walk=walk)
        texts = query_texts([video for video in rows if video.removed_at is None])
        for video in rows:
            ok = attempt(
                webhook, change_id=video.change_id, payload=entry(video, texts.get(video.pk, []))
            )
            after_post()
            sent += 1
            if not ok:
                outcome.failed += 1
                outcome.disabled += not webhook.active
                prune(webhook)
                return outcome
            outcome.delivered += 1
        if len(rows) < PAGE:
            if end > webhook.position:
                webhook.position = end
                webhook.save(update_fields=["position"])
            break
    prune(webhook)
    return outcome


def attempt(webhook: Webhook, *, change_id: int, payload: dict) -> bool:
    """POST one change, record the attempt, and move the subscription on (a 2xx) or schedule
    its retry. Returns whether the receiver took it."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    msg_id = message_id(change_id)
    at = clock.now()
    signer = standardwebhooks.Webhook(secret(webhook))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "feed-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signer.sign(msg_id, at, body),
    }
    status, error = None, ""
    try:
        answer = outbound.post(
            webhook.url,
            body=body.encode(),
            headers=headers,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
            connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
            read_timeout=settings.WEBHOOK_READ_TIMEOUT,
        )
        status = answer.status
        if not 200 <= status < 300:
            error = f"HTTP {status}: {printable(answer.body)}"
    except outbound.Refused as e:
        error = f"refused: {e}"
    except OSError as e:
        error = f"{type(e).__name__}: {e}"
    ok = not error
    with transaction.atomic():
        Delivery.objects.create(
            webhook=webhook,
            change_id=change_id,
            message_id=msg_id,
            attempt=webhook.failures + 1,
            at=at,
            status_code=status,
            error=error[:500],
            ok=ok,
        )
        if ok:
            webhook.position = change_id
            webhook.failures = 0
            webhook.failing_since = webhook.retry_at = None
        else:
            webhook.failures += 1
            webhook.failing_since = webhook.failing_since or at
            webhook.retry_at = at + backoff(webhook.failures)
            failing = at - webhook.failing_since
            if failing.total_seconds() >= settings.WEBHOOK_DISABLE_AFTER_SECONDS:
                webhook.active = False
                webhook.disabled_reason = (
                    f"disabled at {at:%Y-%m-%d %H:%M:%S} UTC: every delivery failed since "
                    f"{webhook.failing_since:%Y-%m-%d %H:%M:%S} UTC ({webhook.failures} attempts, "
                    "longer than WEBHOOK_DISABLE_AFTER_SECONDS="
                    f"{settings.WEBHOOK_DISABLE_AFTER_SECONDS}); last error: {error[:200]}"
                )
        fields = ["position", "failures", "failing_since", "retry_at"]
        # Only when disabling it: an admin's switch made meanwhile is not written over.
        fields += [] if webhook.active else ["active", "disabled_reason"]
        webhook.save(update_fields=fields)
    if not ok:
        # The subscription by its id: a URL can carry a token of the receiver's.
        logger.warning(
            "webhook %d: %s failed (attempt %d)%s: %s",
            webhook.pk,
            msg_id,
            webhook.failures,
            ", disabled" if not webhook.active else "",
            error[:200],
        )
    return ok


def disable(webhook: Webhook, *, reason: str) -> None:
    webhook.active = False
    webhook.disabled_reason = reason
    webhook.save(update_fields=["active", "disabled_reason"])
    logger.warning("webhook %d disabled: %s", webhook.pk, reason)


def enable(webhook: Webhook) -> None:
    """Back on, from where it stopped, with a clean failure record and no wait."""
    webhook.active = True
    webhook.disabled_reason = ""
    webhook.failures = 0
    webhook.failing_since = webhook.retry_at = None
    webhook.save(
        update_fields=["active", "disabled_reason", "failures", "failing_since", "retry_at"]
    )


def prune(webhook: Webhook) -> None:
    """Keep the subscription's newest KEEP_DELIVERIES attempts: two range statements on the
    (webhook, -id) index (SQLite: SEARCH ... USING COVERING INDEX delivery_webhook_newest;
    PostgreSQL takes it, or the primary key backwards when one subscription has every row)."""
    oldest_kept = (
        Delivery.objects.filter(webhook=webhook)
        .order_by("-id")
        .values_list("id", flat=True)[KEEP_DELIVERIES - 1 : KEEP_DELIVERIES]
    )
    if cutoff := list(oldest_kept):
        Delivery.objects.filter(webhook=webhook, id__lt=cutoff[0]).delete()


def printable(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return "".join(c if c.isprintable() else " " for c in text)[:200]

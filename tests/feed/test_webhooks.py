"""Webhooks: each matching change of the log POSTed to a real receiver, signed (checked with the
standardwebhooks library), in order, at least once, with retries, backoff and the disable rule;
subscriptions and their secrets in the admin."""

from __future__ import annotations

import io
import re
import shutil
import ssl
import subprocess
from datetime import datetime, timedelta

import pytest
import standardwebhooks.webhooks
from django.core.management import call_command

from feed import clock as feed_clock
from feed import outbound, store, webhooks
from feed.models import Change, Delivery, Webhook
from tests.fixtures import receiver as receivers
from tests.fixtures.videos import FakeSnippet, api_get

CHANNEL = "UCteachannel0000000000"


class ClockDatetime(datetime):
    """What the library's timestamp check calls "now": the product's (pinned) clock, so that a
    signature made at the test's time verifies whatever the real date."""

    @classmethod
    def now(cls, tz=None):  # noqa: ANN206 -- datetime's own signature
        return feed_clock.now().astimezone(tz)


pytestmark = pytest.mark.usefixtures("memory_huey")  # tests/fixtures/queue.py


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", ClockDatetime)
    receiver = receivers.Receiver()
    server = receivers.start(receiver)
    yield receiver
    receiver.released.set()
    server.shutdown()
    server.server_close()


def subscribe(receiver: receivers.Receiver, *, position: int | None = 0, **fields) -> Webhook:
    webhook = Webhook.objects.create(url=receiver.url, position=position, **fields)
    receiver.secret = webhooks.secret(webhook)
    return webhook


def deliver() -> webhooks.Outcome:
    return webhooks.deliver_due(now=feed_clock.now())


def remove(snippet: FakeSnippet) -> None:
    store.record_details({}, asked=[snippet.youtube_id], now=feed_clock.now())


def change_ids() -> list[int]:
    return list(Change.objects.values_list("id", flat=True))


def test_every_change_arrives_signed_in_order_as_the_changes_api_gives_it(
    client, add_videos, receiver
):
    webhook = subscribe(receiver)
    a, b = add_videos(2, query="tea")
    add_videos(FakeSnippet(youtube_id=a.youtube_id, title="A new title"))  # an edit
    remove(b)

    done = deliver()

    ids = change_ids()
    assert len(ids) == 4 and done.delivered == 4 and done.failed == 0
    assert [r.id for r in receiver.received] == [f"msg_{i}" for i in ids]
    assert all(r.error == "" for r in receiver.received), [r.error for r in receiver.received]
    # The body is the change's entry of GET /api/v1/youtube/changes, as the library parsed it.
    api = api_get(client, "/api/v1/youtube/changes")["changes"]
    assert [r.verified for r in receiver.received] == api
    assert api[1]["title"] == "A new title" and api[3] == {"id": b.youtube_id, "removed": True}
    first = receiver.received[0].headers
    assert first["content-type"] == "application/json"
    assert first["webhook-timestamp"] == str(int(feed_clock.now().timestamp()))
    webhook.refresh_from_db()
    assert webhook.position == ids[-1]
    # Nothing new: nothing sent again.
    assert deliver().delivered == 0 and len(receiver.received) == 4


def test_a_signature_made_with_another_secret_does_not_verify(add_videos, receiver):
    subscribe(receiver)
    receiver.secret = webhooks.secret(Webhook(salt="another"))
    add_videos(1)
    deliver()
    assert receiver.received[0].error == "No matching signature found"


def test_a_failing_receiver_gets_every_change_once_it_recovers_in_order(
    add_videos, receiver, clock
):
    webhook = subscribe(receiver)
    add_videos(3)
    receiver.answers = [500, 500, "drop", 503]
    start = feed_clock.now()

    # Each failure waits twice as long as the previous one before the next attempt.
    retries = []
    for _ in range(4):
        assert deliver().failed == 1
        webhook.refresh_from_db()
        retries.append(webhook.retry_at - feed_clock.now())
        assert deliver().delivered == 0  # not due yet: nothing sent
        clock.set(webhook.retry_at)
    assert retries == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert feed_clock.now() - start == timedelta(minutes=15)

    assert deliver().delivered == 3
    ids = [f"msg_{i}" for i in change_ids()]
    # The first change five times (four failures, then taken), then the others, each once.
    assert [r.id for r in receiver.received] == [ids[0]] * 5 + ids[1:]
    assert [r.id for r in receiver.taken()] == ids
    # Duplicates only with the same id, and the same signed body.
    assert len({r.body for r in receiver.received[:5]}) == 1
    assert all(r.error == "" for r in receiver.received)
    webhook.refresh_from_db()
    assert webhook.failures == 0 and webhook.failing_since is None and webhook.active
    attempts = list(Delivery.objects.order_by("id").values_list("attempt", "status_code", "ok"))
    assert attempts[:5] == [(1, 500, False), (2, 500, False), (3, None, False)] + [
        (4, 503, False),
        (5, 200, True),
    ]
    errors = list(Delivery.objects.order_by("id").values_list("error", flat=True))
    assert errors[0].startswith("HTTP 500") and "RemoteDisconnected" in errors[2]


def test_the_position_advances_only_after_a_2xx(add_videos, receiver):
    webhook = subscribe(receiver)
    add_videos(2)
    receiver.answers = [200, 302]  # a redirect is not followed, and not a success
    deliver()
    webhook.refresh_from_db()
    assert webhook.position == change_ids()[0]
    assert Delivery.objects.filter(ok=False).get().error.startswith("HTTP 302")


def test_a_subscription_gets_only_the_changes_its_filters_keep(add_videos, receiver):
    webhook = subscribe(receiver, filters=f"q=tea+how&channel={CHANNEL}")
    (match,) = add_videos(FakeSnippet(title="How to make tea?", channel_id=CHANNEL))
    add_videos(FakeSnippet(title="How to make tea?"))  # another channel
    add_videos(FakeSnippet(title="Coffee", channel_id=CHANNEL))
    deliver()
    remove(match)
    add_videos(FakeSnippet(title="Tea, how?", channel_id="UCother"))
    deliver()

    (stored, removed) = [r.verified for r in receiver.received]
    assert (stored["id"], stored["title"], stored["removed"]) == (
        match.youtube_id,
        "How to make tea?",
        False,
    )
    assert removed == {"id": match.youtube_id, "removed": True}
    # Past the changes it does not match too: the next round starts at the end of the log.
    webhook.refresh_from_db()
    assert webhook.position == change_ids()[-1]


def test_private_addresses_are_refused_unless_allowed(add_videos, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    add_videos(1)
    webhook = subscribe(receiver)
    for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
        Webhook.objects.filter(pk=webhook.pk).update(url=url, retry_at=None)
        assert deliver().failed == 1
    assert receiver.received == []
    errors = list(Delivery.objects.values_list("error", flat=True))
    assert all("not a public address" in e and e.startswith("refused") for e in errors), errors

    settings.WEBHOOK_ALLOW_PRIVATE = True
    Webhook.objects.filter(pk=webhook.pk).update(retry_at=None)
    assert deliver().delivered == 1


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_global_addresses_are_public(address, public):
    assert outbound.is_public(address) is public


def test_a_host_is_refused_if_any_of_its_addresses_is_not_public(monkeypatch):
    answers = [("93.184.215.14", 80), ("10.0.0.7", 80)]
    monkeypatch.setattr(
        outbound.socket,
        "getaddrinfo",
        lambda *a, **k: [(2, 1, 6, "", address) for address in answers],
    )
    with pytest.raises(outbound.Refused, match="10.0.0.7"):
        outbound.resolve("mixed.example", 80, allow_private=False)


def test_it_connects_to_the_address_it_checked_not_to_a_second_lookup(
    add_videos, receiver, monkeypatch
):
    # The name resolves once, here, to the receiver; a second lookup of it would fail (no such
    # name), so a delivery that arrives went to the checked address.
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        assert host == "hooks.example"
        return [(2, 1, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", getaddrinfo)
    webhook = subscribe(receiver)
    Webhook.objects.filter(pk=webhook.pk).update(url=f"http://hooks.example:{receiver.port}/in")
    add_videos(1)
    assert deliver().delivered == 1
    assert lookups == ["hooks.example"]
    assert receiver.received[0].headers["host"] == f"hooks.example:{receiver.port}"


def test_a_subscription_failing_for_the_configured_time_is_disabled_saying_why(
    add_videos, receiver, clock, settings, admin_client
):
    settings.WEBHOOK_DISABLE_AFTER_SECONDS = 10 * 60
    webhook = subscribe(receiver)
    add_videos(2)
    receiver.answers = [500] * 100
    start = feed_clock.now()
    while deliver().failed:
        webhook.refresh_from_db()
        if not webhook.active:
            break
        clock.set(webhook.retry_at)
    webhook.refresh_from_db()
    assert not webhook.active
    # Attempts at 0, 1, 3, 7 minutes still within the 10; the one at 15 disables it.
    assert feed_clock.now() - start == timedelta(minutes=15)
    assert "every delivery failed since 2026-11-28 16:00:00 UTC (5 attempts" in (
        webhook.disabled_reason
    )
    assert "last error: HTTP 500" in webhook.disabled_reason
    clock.advance(timedelta(days=1))
    assert deliver().failed == 0 and len(receiver.received) == 5  # disabled: nothing sent

    page = admin_client.get(f"/admin/feed/webhook/{webhook.pk}/change/").content.decode()
    assert "every delivery failed since" in page and "HTTP 500" in page
    listing = admin_client.get("/admin/feed/webhook/").content.decode()
    assert "every delivery failed since" in listing

    # Re-enabled by an admin, it goes on from where it stopped.
    receiver.answers = []
    admin_client.post(
        "/admin/feed/webhook/",
        {"action": "enable", "_selected_action": [webhook.pk]},
    )
    webhook.refresh_from_db()
    assert webhook.active and webhook.disabled_reason == "" and webhook.failures == 0
    assert deliver().delivered == 2
    assert [r.id for r in receiver.taken()] == [f"msg_{i}" for i in change_ids()]


def test_the_admin_shows_recent_deliveries_and_failures(add_videos, receiver, admin_client):
    webhook = subscribe(receiver)
    add_videos(2)
    receiver.answers = [500]
    deliver()
    Webhook.objects.filter(pk=webhook.pk).update(retry_at=None)
    deliver()
    page = admin_client.get(f"/admin/feed/webhook/{webhook.pk}/change/").content.decode()
    first, second = change_ids()
    table = page[page.index("<th>webhook-id</th>") :]
    assert re.search(rf"msg_{first}</td><td>1</td><td>failed</td><td>500</td><td>HTTP 500", table)
    assert re.search(rf"msg_{first}</td><td>2</td><td>ok</td><td>200</td>", table)
    assert re.search(rf"msg_{second}</td><td>1</td><td>ok</td><td>200</td>", table)
    assert "2026-11-28 16:00:00" in table


def test_old_attempts_are_pruned(add_videos, receiver, monkeypatch):
    monkeypatch.setattr(webhooks, "KEEP_DELIVERIES", 3)
    subscribe(receiver)
    add_videos(5)
    deliver()
    kept = Delivery.objects.order_by("change_id").values_list("change_id", flat=True)
    assert list(kept) == change_ids()[-3:]


def test_an_admin_adds_a_subscription_from_the_end_of_the_log_and_sees_its_secret_once(
    admin_client, add_videos, receiver
):
    add_videos(2)
    response = admin_client.post(
        "/admin/feed/webhook/add/",
        {"url": receiver.url, "filters": "?q=tea", "active": "on", "position": ""},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    secrets_shown = re.findall(r"whsec_[A-Za-z0-9+/=]+", page)
    assert len(secrets_shown) == 1
    webhook = Webhook.objects.get()
    assert secrets_shown[0] == webhooks.secret(webhook)
    assert webhook.filters == "q=tea" and webhook.position == change_ids()[-1]
    # Only then: not on the next page, the subscription's own, or the list.
    for path in ("/admin/feed/webhook/", f"/admin/feed/webhook/{webhook.pk}/change/"):
        assert "whsec_" not in admin_client.get(path).content.decode()

    receiver.secret = secrets_shown[0]
    assert deliver().delivered == 0  # the videos stored before it are not sent
    add_videos(FakeSnippet(title="Green tea"))
    assert deliver().delivered == 1
    assert receiver.received[0].verified["title"] == "Green tea"


def test_an_admin_can_start_a_subscription_at_a_position(admin_client, add_videos, receiver):
    add_videos(3)
    admin_client.post(
        "/admin/feed/webhook/add/",
        {"url": receiver.url, "filters": "", "active": "on", "position": "0"},
    )
    receiver.secret = webhooks.secret(Webhook.objects.get())
    assert deliver().delivered == 3


@pytest.mark.parametrize(
    ("filters", "param"),
    [
        ("live=maybe", "live"),
        ("published_after=yesterday", "published_after"),
        ("q=" + "a" * 201, "q"),
    ],
)
def test_the_admin_refuses_filters_the_list_refuses_with_its_messages(
    admin_client, client, filters, param
):
    response = admin_client.post(
        "/admin/feed/webhook/add/",
        {"url": "https://hooks.example/in", "filters": filters, "active": "on"},
    )
    api = client.get(f"/api/v1/youtube/videos?{filters}")
    assert api.status_code == 400
    message = api.json()["error"]["message"]
    assert response.status_code == 200  # the form again, with the error
    assert f"{param}: {message}" in response.content.decode().replace("&#x27;", "'")
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"url": "ftp://hooks.example/in"}, "only http and https URLs"),
        ({"url": "https://hooks.example/in", "filters": "colour=red"}, "unknown filter colour"),
    ],
)
def test_the_admin_refuses_other_schemes_and_unknown_filters(admin_client, fields, error):
    response = admin_client.post("/admin/feed/webhook/add/", {"active": "on", **fields})
    assert error in response.content.decode()
    assert not Webhook.objects.exists()


def test_rotating_the_secret_shows_the_new_one_once_and_the_old_one_stops_verifying(
    admin_client, add_videos, receiver
):
    webhook = subscribe(receiver)
    old = receiver.secret
    response = admin_client.post(
        "/admin/feed/webhook/",
        {"action": "rotate_secret", "_selected_action": [webhook.pk]},
        follow=True,
    )
    (new,) = re.findall(r"whsec_[A-Za-z0-9+/=]+", response.content.decode())
    assert new != old
    webhook.refresh_from_db()
    assert webhook.secret_rotated_at == feed_clock.now()
    add_videos(1)
    deliver()
    assert receiver.received[0].error == "No matching signature found"
    receiver.secret = new
    add_videos(1)
    deliver()
    assert receiver.received[1].error == ""


def test_a_secret_is_never_in_logs_pages_or_a_dump(
    admin_client, add_videos, receiver, caplog, settings
):
    caplog.set_level("DEBUG")
    added = admin_client.post(
        "/admin/feed/webhook/add/",
        {"url": receiver.url, "filters": "", "active": "on", "position": "0"},
        follow=True,
    )
    webhook = Webhook.objects.get()
    secret = webhooks.secret(webhook)
    assert secret in added.content.decode()  # the one time it is shown
    receiver.secret = secret
    # Whatever the key's encoding: the whole, its base64 part, the key bytes' start.
    needles = [secret, secret.removeprefix("whsec_"), secret.removeprefix("whsec_")[:16]]
    add_videos(2)
    receiver.answers = [500]
    deliver()
    Webhook.objects.filter(pk=webhook.pk).update(retry_at=None)
    deliver()
    assert len(receiver.taken()) == 2
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)  # sessions too: a message could fall back to one
    assert webhook.salt in dump.getvalue() and "feed.delivery" in dump.getvalue()
    texts = {"the log": caplog.text, "the dump": dump.getvalue()}
    for path in (
        "/admin/feed/webhook/",
        f"/admin/feed/webhook/{webhook.pk}/change/",
        "/admin/feed/delivery/",
    ):
        texts[path] = admin_client.get(path).content.decode()
    for where, text in texts.items():
        for needle in needles:
            assert needle not in text, f"the secret in {where}"


def test_the_secret_follows_the_configured_key(settings):
    webhook = Webhook(salt="0" * 64)
    first = webhooks.secret(webhook)
    settings.WEBHOOK_SECRET_KEY = "another key"
    assert webhooks.secret(webhook) != first
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", first)


def test_without_a_key_the_processes_share_one_made_at_random(settings, tmp_path):
    # DEBUG=1 without SECRET_KEY: the web process and the worker each make up a SECRET_KEY.
    settings.WEBHOOK_SECRET_KEY = ""
    settings.WEBHOOK_DEV_KEY_FILE = tmp_path / "var" / "webhook-dev-key"
    webhook = Webhook(salt="0" * 64)
    first = webhooks.secret(webhook)
    key = settings.WEBHOOK_DEV_KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) >= 50
    assert webhooks.secret(webhook) == first  # the next process reads the same key
    assert list(key.parent.iterdir()) == [key]  # no draft left behind
    settings.WEBHOOK_DEV_KEY_FILE = tmp_path / "another checkout"
    assert webhooks.secret(webhook) != first  # random, not a key written in the code


def test_the_backoff_doubles_from_a_minute_up_to_an_hour():
    minutes = [webhooks.backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_the_periodic_task_delivers_under_its_lease(add_videos, receiver):
    from feed import tasks
    from feed.leases import lease

    subscribe(receiver)
    add_videos(1)
    with lease("deliver-webhooks", seconds=60):
        tasks.deliver_webhooks.call_local()
        assert receiver.received == []  # another round holds it
    tasks.deliver_webhooks.call_local()
    assert len(receiver.taken()) == 1


def test_the_command_runs_one_round(add_videos, receiver):
    subscribe(receiver)
    add_videos(2)
    out = io.StringIO()
    call_command("deliver_webhooks", stdout=out)
    assert out.getvalue().strip() == "2 changes delivered, 0 failed, 0 subscriptions disabled"


def test_a_subscription_whose_filters_became_invalid_is_disabled_saying_why(add_videos, receiver):
    # Saved before a release that refuses them (the admin checks them on save).
    webhook = subscribe(receiver, filters="live=maybe")
    add_videos(1)
    assert deliver().disabled == 1
    webhook.refresh_from_db()
    assert not webhook.active and "filters are no longer valid" in webhook.disabled_reason
    assert "live: Select a valid choice" in webhook.disabled_reason and receiver.received == []


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_https_goes_to_the_checked_address_and_checks_the_certificate_for_the_host_name(
    add_videos, monkeypatch, tmp_path
):
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", ClockDatetime)
    monkeypatch.setattr(
        outbound.socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(2, 1, 6, "", ("127.0.0.1", port))],
    )
    cert, key = self_signed(tmp_path, "hooks.example")
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    receiver = receivers.Receiver()
    server = receivers.start(receiver, tls=served)
    # The client trusts that certificate only (and checks it against the host name).
    trusted = ssl.create_default_context(cafile=cert)
    monkeypatch.setattr(outbound.ssl, "create_default_context", lambda: trusted)
    try:
        webhook = subscribe(receiver)
        add_videos(1)
        for host in ("other.example", "hooks.example"):
            Webhook.objects.filter(pk=webhook.pk).update(
                url=f"https://{host}:{receiver.port}/in", retry_at=None
            )
            deliver()
    finally:
        server.shutdown()
        server.server_close()
    first, second = Delivery.objects.order_by("id")
    # Connected to the same address both times: the name decides whether the certificate fits.
    assert not first.ok and "CERTIFICATE_VERIFY_FAILED" in first.error
    assert second.ok and len(receiver.received) == 1 and receiver.received[0].error == ""


def test_a_receiver_that_never_finishes_its_answer_is_cut_off(add_videos, receiver, monkeypatch):
    # Each read gets a byte well within the read timeout; only the whole-POST limit ends it.
    monkeypatch.setattr(outbound, "TOTAL_SECONDS", 1)
    webhook = subscribe(receiver)
    add_videos(1)
    receiver.answers = ["drip"]
    assert deliver().failed == 1
    attempt = Delivery.objects.get()
    assert attempt.error == "TimeoutError: no whole answer within 1 s" and not attempt.ok
    webhook.refresh_from_db()
    assert webhook.position == 0


def test_a_round_costs_four_statements_and_two_per_delivery(
    add_videos, receiver, django_assert_num_queries
):
    webhook = subscribe(receiver)
    for n in (1, 4):
        add_videos(n)
        # The log's end, a (short) page of changes, its videos' queries; per change its attempt
        # and the position, in a transaction (a savepoint's two statements, inside the test's
        # own); the prune's lookup. No statement per video or per query.
        with django_assert_num_queries(3 + (2 + 2) * n + 1):
            assert webhooks.deliver(webhook).delivered == n

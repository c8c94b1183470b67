"""Kill test for webhooks: a delivery round (manage.py deliver_webhooks, a real process on a real
SQLite file) is SIGKILLed while the receiver holds a request; the next round, once the killed
one's lease has expired, delivers everything: each change taken once, in order, the one in
flight sent again with the same id and body, every signature verified by the library."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest

from tests.feed.test_worker import manage
from tests.fixtures import receiver as receivers
from tests.hardening.test_kill import spawn

pytestmark = pytest.mark.skipif(
    "postgres" in os.environ.get("DATABASE_URL", ""), reason="runs on its own SQLite files"
)

VIDEOS = 6
LEASE_SECONDS = 2

SETUP = """
from feed import store, webhooks
from feed.models import Webhook
from tests.fixtures.videos import FakeSnippet
for n in range({videos}):
    store.upsert_videos([FakeSnippet(youtube_id=f"killvideo{{n:02d}}")])
webhook = Webhook.objects.create(url="{url}", position=0)
print(webhooks.secret(webhook))
"""


def test_a_round_killed_mid_delivery_loses_nothing(tmp_path):
    db = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{db}",
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3"),
        "REDIS_URL": "",
        "WEBHOOK_SECRET_KEY": "kill-test-webhook-key",
        "WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    # The third request is held until the round that sent it is dead.
    receiver = receivers.Receiver(answers=[200, 200, "hold"])
    server = receivers.start(receiver)
    try:
        manage("migrate", "-v0", env=env)
        out = manage("shell", "-c", SETUP.format(videos=VIDEOS, url=receiver.url), env=env)
        receiver.secret = out.strip().splitlines()[-1]
        with sqlite3.connect(db) as conn:
            ids = [f"msg_{i}" for (i,) in conn.execute("SELECT id FROM feed_change ORDER BY id")]
        assert len(ids) == VIDEOS

        process = spawn("deliver_webhooks", env=env)
        assert receiver.holding.wait(timeout=60), "the round never reached the third change"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        receiver.released.set()
        # The killed round's lease outlives it by WEBHOOK_LEASE_SECONDS at most.
        time.sleep(LEASE_SECONDS + 0.5)
        assert manage("deliver_webhooks", env=env).strip() == (
            f"{VIDEOS - 2} changes delivered, 0 failed, 0 subscriptions disabled"
        )
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()

    assert [r.id for r in receiver.taken()] == ids
    assert [r.id for r in receiver.received] == [*ids[:3], *ids[2:]]
    held, again = receiver.received[2], receiver.received[3]
    assert held.body == again.body and held.answer == "hold"
    assert [r.error for r in receiver.received] == [""] * (VIDEOS + 1)
    assert [r.verified["id"] for r in receiver.taken()] == [
        f"killvideo{n:02d}" for n in range(VIDEOS)
    ]
    with sqlite3.connect(db) as conn:
        (position,) = conn.execute("SELECT position FROM feed_webhook").fetchone()
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert f"msg_{position}" == ids[-1]

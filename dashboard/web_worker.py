"""gunicorn's gthread worker, changed to hand a connection to a thread only once its request has
arrived, so that a slow client costs a socket, not a thread.

gunicorn's own gthread worker waits up to 5 s for a connection's first byte, then reads the
request in a thread that blocks until the headers are complete, with no time limit: a client
sending one header byte every few seconds holds a thread for as long as it likes, and a few
such clients hold them all. Here the worker's event loop (its main thread) reads each
connection's request into a buffer as bytes arrive, without blocking, and hands it to a thread
only when the headers are complete (and a short body too); a connection whose request has not
arrived within WEB_REQUEST_TIMEOUT seconds is closed.

Behind a buffering proxy (nginx, most PaaS routers) requests arrive whole and this changes
nothing. It serves plain HTTP/1.x: the Procfile's web process terminates no TLS and speaks no
HTTP/2 (gunicorn's defaults).
"""

from __future__ import annotations

import contextlib
import errno
import re
import selectors
import socket
import time
from collections import deque
from functools import partial

from gunicorn import http
from gunicorn.workers.gthread import TConn, ThreadWorker

from dashboard import settings as app_settings

HEADERS_END = b"\r\n\r\n"
# A request is handed over once this much has arrived even if incomplete; gunicorn's parser
# then answers an oversized header block with its 4xx. A body larger than what is left of this
# is read by the thread (the app has no uploads; the admin's forms are small).
BUFFER_AT_MOST = 64 * 1024
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*([0-9]{1,12})[ \t]*\r\n", re.I)
READ_SIZE = 16 * 1024


def arrived(data: bytes) -> bool:
    """Whether `data` holds a whole request head and its body (up to BUFFER_AT_MOST)."""
    if len(data) >= BUFFER_AT_MOST:
        return True
    end = data.find(HEADERS_END)
    if end < 0:
        return False
    head = data[: end + 2]
    match = CONTENT_LENGTH.search(head)
    length = int(match.group(1)) if match else 0
    return len(data) >= min(end + len(HEADERS_END) + length, BUFFER_AT_MOST)


class BufferingThreadWorker(ThreadWorker):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Connections whose request is still arriving, oldest deadline first.
        self.arriving: deque[TConn] = deque()
        self.request_timeout = app_settings.WEB_REQUEST_TIMEOUT

    def enqueue_req(self, conn: TConn) -> None:
        """Every way a connection reaches the thread pool (new, kept alive, deferred) comes here:
        wait in the event loop until its request has arrived."""
        if self.cfg.is_ssl:
            super().enqueue_req(conn)
            return
        # Bytes a previous request's parser read ahead of this one: part of this request.
        early = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.early = bytearray(early)
        conn.arrival_deadline = time.monotonic() + self.request_timeout
        if not self.read_arriving(conn):
            return
        if arrived(conn.early):
            self.hand_over(conn)
            return
        self.arriving.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_arriving, conn))

    def read_arriving(self, conn: TConn) -> bool:
        """Read what has arrived without blocking; False when the connection is gone (closed)."""
        while len(conn.early) < BUFFER_AT_MOST:
            try:
                chunk = conn.sock.recv(READ_SIZE, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as e:
                if e.errno not in (errno.ECONNRESET, errno.ENOTCONN, errno.EPIPE):
                    self.log.debug("Closing a connection whose request was arriving: %s", e)
                self.drop(conn)
                return False
            if not chunk:
                # The client closed its side; a request it completed first is still answered.
                if arrived(conn.early):
                    return True
                self.drop(conn)
                return False
            conn.early += chunk
            if arrived(conn.early):
                return True
        return True

    def on_arriving(self, conn: TConn, client: socket.socket) -> None:
        if not self.read_arriving(conn):
            self.forget(conn)
            return
        if arrived(conn.early):
            self.forget(conn)
            self.hand_over(conn)

    def forget(self, conn: TConn) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):  # closed, or never registered
            self.poller.unregister(conn.sock)
        with contextlib.suppress(ValueError):
            self.arriving.remove(conn)

    def drop(self, conn: TConn) -> None:
        self.forget(conn)
        self.nr_conns -= 1
        conn.close()

    def hand_over(self, conn: TConn) -> None:
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(conn.early))
        conn.early = bytearray()
        conn.data_ready = True  # the thread must not wait for more
        super().enqueue_req(conn)

    def murder_pending(self) -> None:
        """Called by the event loop about once a second: also close connections whose request
        did not arrive in time."""
        super().murder_pending()
        now = time.monotonic()
        while self.arriving and self.arriving[0].arrival_deadline <= now:
            conn = self.arriving[0]
            self.log.info(
                "Closed a connection whose request did not arrive in time: %s", conn.client
            )
            self.drop(conn)

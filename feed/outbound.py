"""One guarded HTTP POST to a URL someone typed into the admin (webhook deliveries).

The host is resolved here, every address it resolves to is checked, and the connection goes to
the address that was checked: DNS cannot answer a public address to the check and a private one
to the connect (no re-resolution in between). Timeouts on connect and on each read; the answer's
body is read up to a small bound; redirects are not followed (a 3xx is just not a 2xx).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

# Of an answer's body, this much at most is read (the start of an error page, for the admin).
BODY_LIMIT = 1024
# A whole POST, answer included, takes at most this long: the read timeout bounds each read
# only, and a receiver that sends its answer a byte at a time would otherwise hold the round
# (and its lease) as long as it likes.
TOTAL_SECONDS = 30


class Refused(Exception):
    """The URL is not one we deliver to (its scheme, or an address that is not global)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    # ::ffff:10.0.0.1 is 10.0.0.1 (Python 3.11's is_global does not look inside).
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, *, allow_private: bool) -> tuple:
    """The address to connect to (getaddrinfo's first), after checking every address the host
    resolves to: one that is not global refuses the host, unless `allow_private`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise Refused(f"cannot resolve {host}: {e}") from None
    if not infos:
        raise Refused(f"{host} resolves to no address")
    if not allow_private:
        for info in infos:
            address = info[4][0]
            if not is_public(address):
                raise Refused(
                    f"{host} resolves to {address}, which is not a public address "
                    "(WEBHOOK_ALLOW_PRIVATE allows it)"
                )
    return infos[0]


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a given, already checked address; the Host header still names the host."""

    def __init__(self, host: str, port: int, *, address: tuple, connect_timeout: float, **kw):
        super().__init__(host, port, **kw)
        self.address = address
        self.connect_timeout = connect_timeout

    def connect(self) -> None:
        family, socktype, proto, _, sockaddr = self.address
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(self.connect_timeout)
            sock.connect(sockaddr)
            sock.settimeout(self.timeout)  # the read timeout from here on
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class PinnedHTTPSConnection(PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        # The certificate is checked against the host name, not the address connected to.
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    connect_timeout: float,
    read_timeout: float,
) -> Answer:
    """POST `body` to `url`. Raises Refused, or OSError (http.client.HTTPException included) for
    a failed connection or a broken answer."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("only http and https URLs are delivered to")
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = resolve(parts.hostname, port, allow_private=allow_private)
    cls = PinnedHTTPSConnection if https else PinnedHTTPConnection
    connection = cls(
        parts.hostname, port, address=address, connect_timeout=connect_timeout, timeout=read_timeout
    )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    expired = threading.Event()

    def cut() -> None:
        # From the timer's thread: a blocked read then returns at once.
        expired.set()
        if connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(TOTAL_SECONDS, cut)
    timer.start()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = Answer(status=response.status, body=response.read(BODY_LIMIT))
        if expired.is_set():
            # Cut short, an answer can look whole (the headers end where the data ended).
            raise TimeoutError
        return answer
    except (OSError, http.client.HTTPException) as e:
        if expired.is_set():
            raise TimeoutError(f"no whole answer within {TOTAL_SECONDS} s") from None
        if isinstance(e, OSError):
            raise
        raise OSError(f"bad answer: {type(e).__name__}: {e}") from None
    finally:
        timer.cancel()
        connection.close()

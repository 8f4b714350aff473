"""Raw-socket HTTP clients for the security tests: idle, slow and half-sent requests (127.0.0.1 only)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass


def connect(url: str, timeout: float = 10) -> socket.socket:
    """A TCP connection to the test server's ``http://127.0.0.1:PORT`` with a read timeout."""
    host, port = url.removeprefix("http://").split(":")
    assert host == "127.0.0.1"
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    return sock


def request_head(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    extra = [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def detail(self) -> str:
        return json.loads(self.body)["detail"]


def read_reply(sock: socket.socket) -> RawReply | None:
    """One response read to its Content-Length; None when the server closed without answering."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawReply(int(lines[0].split()[1]), headers, body[:length])


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server has closed the connection (reads EOF or a reset before the socket timeout)."""
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def await_continue(sock: socket.socket) -> None:
    """Read the server's ``100 Continue`` interim answer (sent once the app starts reading the body of a
    request that asked for it); fails when anything else comes or the connection closes first."""
    interim = b""
    while not interim.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        assert chunk, "closed before 100 Continue"
        interim += chunk
    assert interim.startswith(b"HTTP/1.1 100 "), interim


def reply_outcome(sock: socket.socket) -> tuple[str, RawReply | None]:
    """(the status answered, or how the connection failed: ``reset``, ``timeout``, ``closed unanswered``;
    the reply when there was one)."""
    try:
        reply = read_reply(sock)
    except ConnectionResetError:
        return "reset", None
    except TimeoutError:
        return "timeout", None
    return ("closed unanswered", None) if reply is None else (str(reply.status), reply)

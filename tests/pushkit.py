"""A local push service for the Web Push tests, and a browser's side of a subscription.

``PushReceiver`` is a tiny threaded HTTP server on 127.0.0.1 that records every request
and answers with scripted statuses (201 by default). ``BrowserKeys`` holds what a browser
keeps for a subscription (a P-256 key pair and a 16-byte auth secret), decrypts a
received body with http_ece (aes128gcm) and checks the VAPID ``Authorization`` header.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float


@dataclass
class Answer:
    status: int = 201
    delay: float = 0.0
    retry_after: str | None = None


@dataclass
class PushReceiver:
    """Start with ``start()``; ``endpoint(name)`` is an endpoint URL on it."""

    received: list[Received] = field(default_factory=list)
    # Per path, the answers to give in turn; afterwards 201.
    script: dict[str, list[Answer]] = field(default_factory=dict)
    on_request: Callable[[Received], None] | None = None

    def start(self) -> PushReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                item = Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                body, time.time())
                with receiver._lock:
                    receiver.received.append(item)
                    queue = receiver.script.get(self.path) or []
                    answer = queue.pop(0) if queue else Answer()
                if receiver.on_request:
                    receiver.on_request(item)
                time.sleep(answer.delay)
                self.send_response(answer.status)
                if answer.retry_after:
                    self.send_header("Retry-After", answer.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def to(self, name: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == f"/push/{name}"]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        with self._lock:
            return list(self.received)


class BrowserKeys:
    """A browser's subscription keys: ``p256dh`` (public) and ``auth``."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription(self, endpoint: str) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives."""
        return {"endpoint": endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)}}

    def decrypt(self, received: Received) -> dict[str, Any]:
        assert received.headers["content-encoding"] == "aes128gcm"
        plain = http_ece.decrypt(received.body, private_key=self.private,
                                 auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def verify_vapid(header: str, public_key: str, audience: str, subject: str) -> dict[str, Any]:
    """Check ``vapid t=<JWT>,k=<key>`` (RFC 8292): the key, the ES256 signature and the
    claims; returns the claims."""
    scheme, _, params = header.partition(" ")
    assert scheme.lower() == "vapid", header
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    assert parts["k"] == public_key
    head, claims, signature = parts["t"].split(".")
    assert json.loads(b64url_decode(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = b64url_decode(signature)
    assert len(raw) == 64
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public_key))
    key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                    int.from_bytes(raw[32:], "big")),
               f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    body = json.loads(b64url_decode(claims))
    assert body["aud"] == audience and body["sub"] == subject
    assert time.time() < body["exp"] <= time.time() + 24 * 3600
    return body

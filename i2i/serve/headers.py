"""Response headers: the security headers every answer carries, and header-safe text.

The page and the docs load only this server's own files (no CDN), so the Content-Security-Policy allows
``'self'`` and nothing else for scripts; images may also be ``blob:``/``data:`` URLs (the page previews
uploads and results that way); inline styles are allowed (the page has one ``<style>`` block).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


def header_text(value: str) -> str:
    """``value`` unchanged when it is printable ASCII, else percent-encoded UTF-8 (RFC 3986), so any model
    name can go into a header (they are Latin-1 on the wire, and a newline would split the header)."""
    if value.isascii() and value.isprintable():
        return value
    return quote(value, safe="")


class SecurityHeadersMiddleware:
    """ASGI middleware: adds :data:`SECURITY_HEADERS` to every HTTP response that does not set them."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

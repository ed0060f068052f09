"""Who may use the page's server: every request passes :class:`Access` before any handler runs.

DNS rebinding
    A page on ``attacker.example`` whose name is re-pointed at 127.0.0.1 reaches the loopback server as a page of
    the same origin: its requests carry ``Host: attacker.example:PORT`` (and a matching ``Origin``). Only these
    Host names are served: IP addresses (``127.0.0.1``, ``[::1]``, the machine's own; an address cannot be
    re-pointed), ``localhost``, and the names the performer configures (``http-allow-hosts``). An ``Origin``, when
    a request carries one, must be ``http://`` or ``https://`` and the request's own (allowed) Host.

The token
    A server that listens on anything but loopback (``--http-host 0.0.0.0``) gives the whole network the page:
    it then requires a token (``http-token``, else a fresh random one), printed at start in the page's URL
    (``http://HOST:PORT/?token=…``). Every request but the page's own static files must carry it: ``?token=`` in
    the URL (the page, its WebSocket) or the header ``X-RVAE-Token`` (uploads). A loopback server may be given one
    too.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from rvae_server.core.untrusted import printable
from rvae_server.surfaces.osc.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

#: Paths served without the token: the page's code and style are no secret (the page, its data and its socket are).
PUBLIC_PREFIXES = ("/static/", "/favicon.ico")
TOKEN_HEADER = "X-RVAE-Token"


def host_name(header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8080`` → ``::1``, ``Studio.local.:80`` → ``studio.local``)."""
    text = header.strip()
    if text.startswith("["):
        return text[1 : text.find("]")].lower() if "]" in text else ""
    name, colon, port = text.rpartition(":")
    if colon and port.isdigit():
        text = name
    return text.rstrip(".").lower()


def is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Access:
    """The Host, Origin and token rules of one server bound to ``bind_host``."""

    def __init__(self, bind_host: str, allowed_hosts: Sequence[str] = (), token: str | None = None) -> None:
        self.names = {"localhost", *(host_name(h) for h in allowed_hosts if h.strip())}
        self.open_to_network = not ipaddress.ip_address(bind_host).is_loopback
        self.token = token or (secrets.token_urlsafe(18) if self.open_to_network else None)
        self._log = RateLimitedLog(log)

    def host_allowed(self, host: str) -> bool:
        name = host_name(host)
        return bool(name) and (name in self.names or is_address(name))

    def refusal(self, request: web.Request) -> str | None:
        """Why ``request`` is refused, or None."""
        host = request.headers.get("Host", "")
        if not self.host_allowed(host):
            return (
                f"host {printable(host, 80)!r} is not a name this server answers to: open it by its address, "
                "or add the name with --http-allow-host"
            )
        origin = request.headers.get("Origin")
        if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
            return f"cross-origin request from {printable(origin, 80)!r} refused"
        if self.token is not None and not request.path.startswith(PUBLIC_PREFIXES):
            given = request.query.get("token") or request.headers.get(TOKEN_HEADER) or ""
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return "this page needs its token: open the URL rvae serve printed (…/?token=…)"
        return None

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        reason = self.refusal(request)
        if reason is not None:
            self._log(logging.WARNING, "web: refused %s %s from %s: %s", request.method, printable(request.path, 80),
                      request.remote, reason)  # fmt: skip
            return web.json_response({"error": reason}, status=403)
        return await handler(request)


__all__ = ["PUBLIC_PREFIXES", "TOKEN_HEADER", "Access", "host_name"]

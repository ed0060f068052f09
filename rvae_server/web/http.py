"""HTTP for the page: the static files, security headers on every response, the same-origin rule, uploads, the
small JSON documents the page reads, and the server's log of requests it refuses (:class:`RequestLog`)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from rvae_server.core.bar import INSTRUMENTS
from rvae_server.core.untrusted import printable
from rvae_server.surfaces.osc.ratelimit import RateLimitedLog
from rvae_server.web.uploads import UploadError, UploadStore

STATIC = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def instruments_json() -> list[dict[str, Any]]:
    """The instrument table for the page: ``[{index, name, note}]`` in model order."""
    return [{"index": k, "name": i.name, "note": i.note} for k, i in enumerate(INSTRUMENTS)]


def refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number the page may send")


def same_origin(request: web.Request) -> bool:
    """True unless the request carries an ``Origin`` for another host (a page elsewhere reaching the loopback)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    host = request.headers.get("Host", "")
    return origin in (f"http://{host}", f"https://{host}")


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


async def handle_upload(request: web.Request, uploads: UploadStore) -> web.StreamResponse:
    """``POST /api/upload``: store the multipart body's files in the session's folder (header ``X-RVAE-Session``)."""
    session = request.headers.get("X-RVAE-Session", "")
    if not same_origin(request):
        return web.json_response({"error": "cross-origin upload refused"}, status=403)
    stored: list[list[Any]] = []
    try:
        uploads.check(session)  # (its folder is made by the first file stored)
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader) or not part.filename:
                raise UploadError("only file fields can be uploaded")
            body = part

            async def chunks(body: Any = body) -> Any:
                while True:
                    chunk = await body.read_chunk(64 * 1024)
                    if not chunk:
                        return
                    yield chunk

            name, size = await uploads.save(session, part.filename, chunks())
            stored.append([name, size])
    except UploadError as err:
        return web.json_response({"error": str(err), "stored": stored}, status=err.status)
    except (ValueError, AssertionError) as err:  # a malformed multipart body
        return web.json_response({"error": f"bad upload: {err}", "stored": stored}, status=400)
    except OSError as err:  # the session folder cannot be made (a full disk ...)
        return web.json_response({"error": f"upload not stored: {err.strerror or err}", "stored": stored}, status=507)
    files = uploads.files(session)
    return web.json_response({"stored": stored, "files": files, "total": sum(s for _, s in files)})


class RequestLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server log (``aiohttp.server``) as the page's server uses it: a request its HTTP parser refuses (a
    request line over 8,190 bytes, a broken header: aiohttp answers 400 and logs an ERROR with a traceback each
    time) is one line, at most one every 10 s with a count of the rest; everything else as aiohttp logs it."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        super().__init__(logger or logging.getLogger("aiohttp.server"), {})
        self._refused = RateLimitedLog(self.logger, burst=1, window=10.0)

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        error = exc if isinstance(exc, BaseException) else sys.exc_info()[1] if exc else None
        if isinstance(error, HttpProcessingError):
            who = printable(args[0], 60) if args else "a client"
            self._refused(logging.WARNING, "web: refused a bad HTTP request from %s (%s)", who,
                          printable(str(error).replace("\n", " "), 160))  # fmt: skip
            return
        super().log(level, msg, *args, **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs

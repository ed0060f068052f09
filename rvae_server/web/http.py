"""HTTP for the page: the static files, security headers on every response, the same-origin rule, uploads, and
the small JSON documents the page reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from rvae_server.core.bar import INSTRUMENTS
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
        uploads.folder(session)
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

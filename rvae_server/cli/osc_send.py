"""``rvae osc ADDRESS [ARGS...] [--host H] [--port P] [--wait-reply [S] | --no-wait]``: send one OSC message to a
running server and print what comes back.

Arguments are sent as int when they read as whole numbers, float when they read as numbers, else as strings;
prefix ``s:`` to send a number as a string (``s:12``). The replies arriving within :data:`DEFAULT_WAIT` seconds
(``--wait-reply S`` for longer; S alone is 1) are printed one per line (``/address arg arg...``); the exit status is
1 when one of them is ``/rvae/error``, or when nothing came back (it says so: is the server running, on that
port?); an address that replies only on error (``/rvae/xy``) counts as applied when the server answers a
``/rvae/models`` right after. ``--no-wait`` fires and forgets: only a local port nobody listens on is reported
(exit status 1). ``rvae osc --list`` prints the address table.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from typing import Any

from rvae_server.surfaces.osc.packets import build_message
from rvae_server.surfaces.osc.spec import DEFAULT_HOST, DEFAULT_PORT
from rvae_server.surfaces.osc.table import handles, lookup, table_as_markdown

#: Seconds ``rvae osc`` waits for replies unless told otherwise (``--wait-reply S``, ``--no-wait``).
DEFAULT_WAIT = 0.5


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "osc",
        help="send one OSC message to a running server (and print its replies)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("address", nargs="?", help="e.g. /rvae/xy")
    parser.add_argument("args", nargs="*", help="arguments: numbers or strings (s:12 sends '12' as a string)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    waiting = parser.add_mutually_exclusive_group()
    waiting.add_argument(
        "--wait-reply",
        type=float,
        nargs="?",
        const=1.0,
        default=DEFAULT_WAIT,
        metavar="S",
        help=f"print the replies arriving within S s (default {DEFAULT_WAIT:g}; S alone: 1)",
    )
    waiting.add_argument(
        "--no-wait",
        dest="wait_reply",
        action="store_const",
        const=0.0,
        default=DEFAULT_WAIT,
        help="send and exit (fire and forget): print no replies",
    )
    parser.add_argument("--list", action="store_true", help="print the address table and exit")
    parser.set_defaults(func=run)


def parse_arg(text: str) -> int | float | str:
    """``"3"`` → 3, ``"0.5"`` → 0.5, ``"s:3"`` → ``"3"``, anything else → the text."""
    if text.startswith("s:"):
        return text[2:]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def run(args: argparse.Namespace) -> int:
    if args.list:
        sys.stdout.write(table_as_markdown())
        return 0
    if not args.address or not args.address.startswith("/"):
        print("rvae osc: give an OSC address such as /rvae/xy (rvae osc --list shows them)", file=sys.stderr)
        return 2
    if not handles(args.address):
        print(f"rvae osc: note: {args.address} is not in this version's address table", file=sys.stderr)
    values = [parse_arg(a) for a in args.args]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("0.0.0.0" if args.host not in ("127.0.0.1", "localhost") else "127.0.0.1", 0))
        sock.connect((args.host, args.port))  # connected: a port nobody listens on is reported (ICMP), replies kept
        sock.send(build_message(args.address, values))
        if args.wait_reply <= 0:
            return _check_refused(sock, args.host, args.port)
        status = _print_replies(sock, args.wait_reply, f"{args.host}:{args.port}")
        if status != NO_REPLY:
            return status
        found = lookup(args.address)
        if found is not None and not found[0].reply:
            # an address that answers only errors: silence means applied, if the server is there at all
            sock.send(build_message("/rvae/models", []))
            if _print_replies(sock, args.wait_reply, f"{args.host}:{args.port}", show=False) == 0:
                return 0
        print(f"rvae osc: no reply from {args.host}:{args.port} within {args.wait_reply:g} s "
              "(is rvae serve running there?)", file=sys.stderr)  # fmt: skip
        return 1
    except OSError as err:
        print(f"rvae osc: cannot send to {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    finally:
        sock.close()


def _check_refused(sock: socket.socket, host: str, port: int) -> int:
    """After a send without waiting for replies: a local port nobody listens on answers with an ICMP error, which
    the next receive reports (within a few ms on loopback). Anything else (a reply, silence) counts as sent."""
    sock.settimeout(0.05)
    try:
        sock.recvfrom(65536)
    except ConnectionRefusedError:
        print(f"rvae osc: nothing listens on {host}:{port} (is rvae serve running? --port)", file=sys.stderr)
        return 1
    except (TimeoutError, OSError):
        pass
    return 0


#: :func:`_print_replies` got nothing.
NO_REPLY = 3


def _print_replies(sock: socket.socket, seconds: float, where: str, *, show: bool = True) -> int:
    from pythonosc.osc_message import OscMessage

    status = 0
    replies = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65536)
        except TimeoutError:
            break
        except ConnectionRefusedError:
            print(f"rvae osc: nothing listens on {where} (is rvae serve running? --port)", file=sys.stderr)
            return 1
        replies += 1
        try:
            msg = OscMessage(data)
        except Exception:
            continue
        if msg.address == "/rvae/error":
            status = 1
        if show:
            print(
                " ".join([msg.address, *(repr(p) if isinstance(p, str) and " " in p else str(p) for p in msg.params)])
            )
    return status if replies else NO_REPLY

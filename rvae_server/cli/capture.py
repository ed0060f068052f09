"""``rvae capture BARS NAME [--host H] [--port P]``: ask a running server to write the last BARS bars it played
to ``NAME.mid`` in its capture folder (``serve --capture-dir``), and print the file's path.

Sends ``/rvae/capture/last BARS NAME`` over OSC and waits for ``/rvae/captured path notes`` (or the error).
Exit status 0 when written, 1 when the server refused (the reason is printed), 2 when no server answered.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from typing import Any

from rvae_server.surfaces.osc.packets import build_message
from rvae_server.surfaces.osc.spec import DEFAULT_HOST, DEFAULT_PORT


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "capture",
        help="write the last N bars a running server played to a MIDI file",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("bars", type=int, help="how many bars back (1..512)")
    parser.add_argument("name", help="file name in the server's capture folder (.mid added)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pythonosc.osc_message import OscMessage

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1" if args.host in ("127.0.0.1", "localhost") else "0.0.0.0", 0))
        sock.sendto(build_message("/rvae/capture/last", [args.bars, args.name]), (args.host, args.port))
        deadline = time.monotonic() + args.timeout
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data, _ = sock.recvfrom(65536)
            except TimeoutError:
                break
            try:
                msg = OscMessage(data)
            except Exception:
                continue
            if msg.address == "/rvae/captured":
                path, notes = msg.params[0], msg.params[1]
                print(f"{path} ({notes} notes)")
                return 0
            if msg.address == "/rvae/error":
                print(f"rvae capture: {msg.params[1]}", file=sys.stderr)
                return 1
    except OSError as err:
        print(f"rvae capture: cannot reach {args.host}:{args.port}: {err}", file=sys.stderr)
        return 2
    finally:
        sock.close()
    print(f"rvae capture: no answer from {args.host}:{args.port} within {args.timeout:g} s", file=sys.stderr)
    return 2

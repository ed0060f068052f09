"""OSC datagrams: building a message, and parsing incoming datagrams strictly (bundles unpacked in order, every
truncated, malformed or oversized part refused with a reason)."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

#: Most messages taken from one datagram (bundles included); bundles nest at most MAX_DEPTH deep.
MAX_MESSAGES = 64
MAX_DEPTH = 8
#: OSC type tags accepted in incoming messages.
TYPE_TAGS = frozenset("ifdshbTFN[]")


def build_message(address: str, args: Sequence[Any]) -> bytes:
    """One OSC message's bytes (ints as ``i``, floats as ``f``, strings as ``s``)."""
    builder = OscMessageBuilder(address=address)
    for value in args:
        if isinstance(value, bool):
            builder.add_arg(int(value), OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(value, int):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(value, float):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_FLOAT)
        else:
            builder.add_arg(str(value), OscMessageBuilder.ARG_TYPE_STRING)
    return builder.build().dgram


class PacketError(ValueError):
    """A datagram that cannot be parsed; ``address`` is the message address if one could be read."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(reason)
        self.address = address


def _read_string(data: bytes, start: int) -> tuple[str, int]:
    end = data.find(b"\x00", start)
    if end < 0:
        raise PacketError("", "an OSC string is not terminated (truncated datagram?)")
    try:
        text = data[start:end].decode("utf-8")
    except UnicodeDecodeError as err:
        raise PacketError("", f"a string is not valid UTF-8 ({err.reason} at byte {start + err.start})") from None
    return text, (end + 4) & ~3


def parse_packet(data: bytes) -> list[OscMessage]:
    """The messages of a datagram, bundles unpacked in order. Raises :class:`PacketError`."""
    messages: list[OscMessage] = []
    _parse_into(data, messages, 0)
    return messages


def _parse_into(data: bytes, messages: list[OscMessage], depth: int) -> None:
    if data.startswith(b"#bundle\x00"):
        if depth >= MAX_DEPTH:
            raise PacketError("", f"bundles nested deeper than {MAX_DEPTH}")
        if len(data) < 16:
            raise PacketError("", "bundle without a timetag (truncated datagram)")
        index = 16
        while index < len(data):
            if index + 4 > len(data):
                raise PacketError("", "bundle element size is truncated")
            (size,) = struct.unpack_from(">i", data, index)
            index += 4
            if size <= 0 or size % 4 or index + size > len(data):
                raise PacketError("", f"bundle element size {size} does not fit the datagram")
            _parse_into(data[index : index + size], messages, depth + 1)
            index += size
        return
    if not data.startswith(b"/"):
        raise PacketError("", "not an OSC message or bundle (must start with '/' or '#bundle')")
    address, index = _read_string(data, 0)
    if len(data) % 4:
        raise PacketError(address, f"message of {len(data)} bytes is not a multiple of 4 (truncated datagram?)")
    if index > len(data):
        raise PacketError(address, "address string is not padded to 4 bytes (truncated datagram?)")
    if index < len(data):
        try:
            tags, _ = _read_string(data, index)
        except PacketError as err:
            raise PacketError(address, str(err)) from None
        if not tags.startswith(","):
            raise PacketError(address, "type tag string must start with ','")
        bad = set(tags[1:]) - TYPE_TAGS
        if bad:
            raise PacketError(address, f"unsupported OSC type tag(s) {''.join(sorted(bad))!r}")
        _check_arguments(data, address, tags[1:], (index + len(tags) + 4) & ~3)
    if len(messages) >= MAX_MESSAGES:
        raise PacketError(address, f"more than {MAX_MESSAGES} messages in one datagram")
    try:
        message = OscMessage(data)
    except UnicodeDecodeError as err:
        raise PacketError(address, f"a string argument is not valid UTF-8 ({err.reason})") from None
    except Exception as err:  # pythonosc's ParseError, struct.error, IndexError, OverflowError...
        raise PacketError(address, f"malformed arguments ({_reason(err)})") from None
    messages.append(message)


def _check_arguments(data: bytes, address: str, tags: str, index: int) -> None:
    """Walk the argument bytes the type tags announce: they must fill the message exactly (python-osc would
    zero-pad a truncated number instead of refusing it)."""
    for tag in tags:
        if tag in "if":
            index += 4
        elif tag in "dh":
            index += 8
        elif tag == "s":
            try:
                _, index = _read_string(data, index)
            except PacketError as err:
                raise PacketError(address, str(err)) from None
        elif tag == "b":
            if index + 4 > len(data):
                break
            (size,) = struct.unpack_from(">i", data, index)
            if size < 0:
                raise PacketError(address, f"blob size {size} is negative")
            index += 4 + ((size + 3) & ~3)
        if index > len(data):
            break
    if index != len(data):
        raise PacketError(
            address, f"arguments take {index} bytes but the message has {len(data)} (truncated datagram?)"
        )


def _reason(err: BaseException) -> str:
    text = " ".join(str(a) for a in err.args if not isinstance(a, BaseException)) or type(err).__name__
    return text[:120]

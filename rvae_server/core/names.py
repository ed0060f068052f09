"""Plain names: what a model (a folder in a models dir) and a capture (a file) may be called. One pattern, always
matched whole (``fullmatch``: ``"abc\\n"`` is not a name, though ``re.match`` with ``$`` would take it).

* :data:`PLAIN_NAME` — 1-64 letters, digits, ``.``, ``_``, ``-``, the first a letter or digit; :data:`NAME_RULE`
  says so in words, for messages; :data:`MAX_NAME_LENGTH`.
* :func:`is_plain_name` — the test; :func:`model_name` — a name from outside (the page, OSC, the command line)
  checked once where it enters, as a :data:`ModelName` the inner layers trust, or :class:`InvalidName`.
* :func:`is_reserved_name` — a name Windows keeps for a device (:data:`WINDOWS_RESERVED`, in any case, alone or
  before an extension: ``nul.mid``), which no file on Windows can have: refused for captures and uploads
  (:data:`RESERVED_RULE` says so in words).

The web page gets the same pattern generated (:mod:`rvae_server.web.rules`).
"""

from __future__ import annotations

import re
from typing import NewType, TypeGuard

#: A plain name, matched whole with ``fullmatch``.
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_NAME_LENGTH = 64
#: :data:`PLAIN_NAME` in words.
NAME_RULE = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"

#: The device names of Windows: no file or folder can be called so, with or without an extension.
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{k}" for k in range(1, 10)),
                              *(f"LPT{k}" for k in range(1, 10))})  # fmt: skip
#: :data:`WINDOWS_RESERVED` in words.
RESERVED_RULE = "a name Windows keeps for a device (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension)"

#: A model name that passed :func:`model_name`.
ModelName = NewType("ModelName", str)


class InvalidName(ValueError):
    """A name that is not plain; the message quotes it and says the rule."""


def is_plain_name(text: object) -> TypeGuard[str]:
    """Whether ``text`` is a string that :data:`PLAIN_NAME` matches whole."""
    return isinstance(text, str) and PLAIN_NAME.fullmatch(text) is not None


def is_reserved_name(text: str) -> bool:
    """Whether ``text`` (a file name, extension included or not) is one Windows keeps for a device: its part
    before the first dot, trailing spaces aside, is in :data:`WINDOWS_RESERVED` in any case (``con``,
    ``NUL.mid``, ``Aux.tar.gz``; not ``console`` nor ``com10``)."""
    return text.split(".", 1)[0].rstrip(" ").upper() in WINDOWS_RESERVED


def model_name(text: object) -> ModelName:
    """``text`` as a :data:`ModelName`; raises :class:`InvalidName` (``invalid model name '…': use …``)."""
    if not is_plain_name(text):
        raise InvalidName(f"invalid model name {text!r}: use {NAME_RULE}")
    return ModelName(text)


__all__ = [
    "MAX_NAME_LENGTH",
    "NAME_RULE",
    "PLAIN_NAME",
    "RESERVED_RULE",
    "WINDOWS_RESERVED",
    "InvalidName",
    "ModelName",
    "is_plain_name",
    "is_reserved_name",
    "model_name",
]

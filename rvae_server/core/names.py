"""Plain names: what a model (a folder in a models dir) and a capture (a file) may be called. One pattern, always
matched whole (``fullmatch``: ``"abc\\n"`` is not a name, though ``re.match`` with ``$`` would take it).

* :data:`PLAIN_NAME` — 1-64 letters, digits, ``.``, ``_``, ``-``, the first a letter or digit; :data:`NAME_RULE`
  says so in words, for messages; :data:`MAX_NAME_LENGTH`.
* :func:`is_plain_name` — the test; :func:`model_name` — a name from outside (the page, OSC, the command line)
  checked once where it enters, as a :data:`ModelName` the inner layers trust, or :class:`InvalidName`.

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

#: A model name that passed :func:`model_name`.
ModelName = NewType("ModelName", str)


class InvalidName(ValueError):
    """A name that is not plain; the message quotes it and says the rule."""


def is_plain_name(text: object) -> TypeGuard[str]:
    """Whether ``text`` is a string that :data:`PLAIN_NAME` matches whole."""
    return isinstance(text, str) and PLAIN_NAME.fullmatch(text) is not None


def model_name(text: object) -> ModelName:
    """``text`` as a :data:`ModelName`; raises :class:`InvalidName` (``invalid model name '…': use …``)."""
    if not is_plain_name(text):
        raise InvalidName(f"invalid model name {text!r}: use {NAME_RULE}")
    return ModelName(text)


__all__ = ["MAX_NAME_LENGTH", "NAME_RULE", "PLAIN_NAME", "InvalidName", "ModelName", "is_plain_name", "model_name"]

"""Where rvae keeps its files on this machine, by the conventions of each desktop OS (``platformdirs``):

- config (``config.toml``): ``~/Library/Application Support/rvae`` (macOS), ``%LOCALAPPDATA%\\rvae`` (Windows),
  ``~/.config/rvae`` (Linux);
- performance state (``state.json``): ``~/Library/Application Support/rvae``, ``%LOCALAPPDATA%\\rvae``,
  ``~/.local/state/rvae``;
- trained models: ``~/Library/Application Support/rvae/models``, ``%LOCALAPPDATA%\\rvae\\models``,
  ``~/.local/share/rvae/models``.

On Linux the XDG variables (``XDG_CONFIG_HOME``, ``XDG_STATE_HOME``, ``XDG_DATA_HOME``) move them as usual.
``RVAE_HOME`` puts all three in one folder instead (``config/``, ``state/``, ``models/`` inside): a portable
install, or a test that must not touch the user's folders. Nothing is created here; writers make the folder
they write to."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "rvae"
#: The config file read by ``rvae serve`` when no ``--config`` is given (if it exists).
CONFIG_NAME = "config.toml"
STATE_NAME = "state.json"


def _home() -> Path | None:
    value = os.environ.get("RVAE_HOME")
    return Path(value).expanduser() if value else None


def _dirs() -> platformdirs.PlatformDirs:
    # no author folder (Windows: %LOCALAPPDATA%\rvae, not ...\rvae\rvae), local rather than roaming
    return platformdirs.PlatformDirs(APP, appauthor=False, roaming=False)


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(_dirs().user_config_dir)


def state_dir() -> Path:
    home = _home()
    return home / "state" if home else Path(_dirs().user_state_dir)


def data_dir() -> Path:
    home = _home()
    return home if home else Path(_dirs().user_data_dir)


def models_dir() -> Path:
    """Where trained models are saved (and found) by default."""
    return data_dir() / "models"


def config_file() -> Path:
    """The default config file (``rvae serve`` reads it when it exists and no ``--config`` is given)."""
    return config_dir() / CONFIG_NAME


def state_file() -> Path:
    """The default performance state file."""
    return state_dir() / STATE_NAME


__all__ = ["config_dir", "config_file", "data_dir", "models_dir", "state_dir", "state_file"]

"""The web page: the dynamic latent-space visualizer and player, served by the daemon (see :mod:`.server`)."""

from rvae_server.web.server import WebServer, start_web
from rvae_server.web.training import TrainingService, TrainingUpdate

__all__ = ["TrainingService", "TrainingUpdate", "WebServer", "start_web"]

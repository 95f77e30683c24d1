"""A faithful, stateful emulator of Spotify's accounts service and Web API (Feb 2026).

Spotify cannot be reached from development and CI machines, so the gateway talks to this
instead. See ``app.create_app`` and ``testing.EmulatorProcess``.
"""

from .app import create_app
from .state import DEFAULT_SCOPES

__all__ = ["create_app", "DEFAULT_SCOPES"]

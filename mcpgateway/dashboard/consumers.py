"""The dashboard's WebSocket (/ws/dashboard): one per open dashboard page of a signed-in person,
authenticated by the session cookie (channels' AuthMiddlewareStack) and origin-checked
(AllowedHostsOriginValidator, config/asgi.py). It joins the person's group and passes on the
events of mcpgateway.dashboard.events; it accepts nothing from the page.

The team page opens `/ws/dashboard?view=team`: a team admin's socket then joins the team group
(everyone's events, naming the person) instead; anyone else's is closed. A member's socket joins
only their own group, so it never carries another person's events. Every socket also joins the
person's access group: when their role or activity changes, it checks again and closes if it no
longer may be open (a team view of someone made a member, anyone deactivated)."""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model
from redis.exceptions import RedisError

from accounts.roles import is_team_admin

from .events import TEAM_GROUP, access_group, person_group

logger = logging.getLogger(__name__)

# Closed before accepting: not signed in, or deactivated.
CLOSE_NOT_SIGNED_IN = 4401
# Closed before accepting: the team view asked for by someone who is not a team admin.
CLOSE_NOT_TEAM_ADMIN = 4403
# Closed because the channel layer (Redis) failed: the page says live updates are off and retries.
CLOSE_CHANNEL_LAYER_DOWN = 1011
# What a channel layer raises when its server is gone or slow (channels_redis: redis-py's errors).
CHANNEL_LAYER_ERRORS = (RedisError, OSError)


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()
    team_view = False

    async def __call__(self, scope, receive, send):
        """A channel layer that fails (Redis stopped, a read timing out on a loaded machine) closes
        this socket with one log line, not a traceback: the page says so and connects again."""
        try:
            await super().__call__(scope, receive, send)
        except CHANNEL_LAYER_ERRORS as exc:
            logger.warning("A dashboard socket was closed: the channel layer failed (%s)", type(exc).__name__)
            with contextlib.suppress(Exception):  # the socket may be gone already
                await send({"type": "websocket.close", "code": CLOSE_CHANNEL_LAYER_DOWN})

    @staticmethod
    def refusal(user, *, team_view: bool) -> int | None:
        """The close code for `user` on this view, or None when they may have it."""
        if user is None or not user.is_authenticated or not user.is_active:
            return CLOSE_NOT_SIGNED_IN
        if team_view and not is_team_admin(user):
            return CLOSE_NOT_TEAM_ADMIN
        return None

    async def connect(self):
        user = self.scope.get("user")
        self.team_view = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("view") == ["team"]
        code = self.refusal(user, team_view=self.team_view)
        if code is not None:
            await self.close(code=code)
            return
        # The view's events, and the person's access checks (mcpgateway.core.signals: role, activity).
        self.groups_joined = (TEAM_GROUP if self.team_view else person_group(user.pk), access_group(user.pk))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = ()

    async def dashboard_access_changed(self, message):
        """Made a member, or deactivated, since the page opened: the socket closes (the page says
        live updates are off; a reload shows what they may see now)."""
        user = await database_sync_to_async(_reloaded)(self.scope["user"])
        code = self.refusal(user, team_view=self.team_view)
        if code is not None:
            await self.disconnect(code)
            await self.close(code=code)

    async def receive_json(self, content, **kwargs):
        pass  # the page only listens

    async def dashboard_event(self, message):
        await self.send_json(message["event"])


def _reloaded(user):
    return get_user_model().objects.filter(pk=user.pk).first()

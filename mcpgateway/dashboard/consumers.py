"""The dashboard's WebSocket (/ws/dashboard): one per open dashboard page of a signed-in person,
authenticated by the session cookie (channels' AuthMiddlewareStack) and origin-checked
(AllowedHostsOriginValidator, config/asgi.py). It joins the person's group and passes on the
events of mcpgateway.dashboard.events; it accepts nothing from the page.

The team page opens `/ws/dashboard?view=team`: a team admin's socket then joins the team group
(everyone's events, naming the person) instead; anyone else's is closed. A member's socket joins
only their own group, so it never carries another person's events."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.roles import is_team_admin

from .events import TEAM_GROUP, person_group

# Closed before accepting: not signed in, or deactivated.
CLOSE_NOT_SIGNED_IN = 4401
# Closed before accepting: the team view asked for by someone who is not a team admin.
CLOSE_NOT_TEAM_ADMIN = 4403


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if query.get("view") == ["team"]:
            if not is_team_admin(user):
                await self.close(code=CLOSE_NOT_TEAM_ADMIN)
                return
            self.group = TEAM_GROUP
        else:
            self.group = person_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        pass  # the page only listens

    async def dashboard_event(self, message):
        await self.send_json(message["event"])

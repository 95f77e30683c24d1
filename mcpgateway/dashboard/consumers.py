"""The dashboard's WebSocket (/ws/dashboard): one per open dashboard page of a signed-in person,
authenticated by the session cookie (channels' AuthMiddlewareStack) and origin-checked
(AllowedHostsOriginValidator, config/asgi.py). It joins the person's group and passes on the
events of mcpgateway.dashboard.events; it accepts nothing from the page."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .events import person_group

# Closed before accepting: not signed in, or deactivated.
CLOSE_NOT_SIGNED_IN = 4401


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
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

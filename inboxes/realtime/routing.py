"""WebSocket URL routes."""

from django.urls import path

from inboxes.realtime.consumers import OperatorConsumer, VisitorConsumer

websocket_urlpatterns = [
    path("ws/panel/", OperatorConsumer.as_asgi()),
    path("ws/widget/", VisitorConsumer.as_asgi()),
]

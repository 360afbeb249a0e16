"""WebSocket routes."""

from django.urls import path

from containers.consumers import TerminalConsumer

websocket_urlpatterns = [
    path("ws/terminal/<int:container_id>/", TerminalConsumer.as_asgi()),
]

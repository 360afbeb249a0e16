"""WebSocket routes. The terminal consumer adds its route here."""

websocket_urlpatterns = []

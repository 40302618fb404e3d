"""Websocket routes (filled by the realtime app)."""
websocket_urlpatterns: list = []

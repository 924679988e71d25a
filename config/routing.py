"""WebSocket routes; each app adds its consumers here."""

from django.urls import path

from accounts.consumers import UserSocketConsumer

websocket_urlpatterns = [
    path("ws/me/", UserSocketConsumer.as_asgi()),
]

"""WebSocket routes; each app adds its consumers here."""

from django.urls import path

from accounts.consumers import UserSocketConsumer
from auction.consumers import LotConsumer

websocket_urlpatterns = [
    path("ws/me/", UserSocketConsumer.as_asgi()),
    path("ws/lots/<int:lot_id>/", LotConsumer.as_asgi()),
]

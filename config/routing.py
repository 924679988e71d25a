"""WebSocket routes: the user socket every page opens (core.live), and each app's own."""

from django.urls import path

from auction.consumers import LotConsumer
from core.live.consumers import UserSocketConsumer

websocket_urlpatterns = [
    path("ws/me/", UserSocketConsumer.as_asgi()),
    path("ws/lots/<int:lot_id>/", LotConsumer.as_asgi()),
]

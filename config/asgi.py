"""The ASGI application: Django for HTTP, Channels for WebSockets (session auth, origin checked).

Served by uvicorn (`--ws websockets-sansio`) in production and by daphne in development.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from core.background import BackgroundTasks  # noqa: E402

# A page on another origin cannot open a socket as the user: the Origin header
# must name one of ALLOWED_HOSTS (and a missing Origin is refused).
router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
# Starts each process's background coroutines (heartbeat; the clock in embedded mode).
application = BackgroundTasks(router)

"""The ASGI application: Django for HTTP, Channels for WebSockets (session auth, origin checked).

Served by uvicorn (`--ws websockets-sansio`) in production and by daphne in development.
"""

import gc
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.sockets import SecondFactorSocketMiddleware  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from core import metrics  # noqa: E402
from core.background import BackgroundTasks  # noqa: E402
from core.live.hub import SERVER_SEND  # noqa: E402
from core.logs import SocketRequestId  # noqa: E402


class ServerSend:
    """Keeps the server's own ASGI `send` in a WebSocket's scope, in `extensions`.

    The hub writes every live frame to every watching socket; through the
    middleware's `send` each write would also pass Channels' session wrapper,
    which only acts on HTTP responses. The lot sockets give the hub this one
    (`core.live.hub.server_send`).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # A new `extensions` dict in the server's own scope, made for this connection alone:
        # a new top-level key would grow the scope and each of the middleware's copies of it
        # past a dict size step, and the server's dict may be shared.
        scope["extensions"] = {**(scope.get("extensions") or {}), SERVER_SEND: send}
        await self.app(scope, receive, send)


# A page on another origin cannot open a socket as the user: the Origin header
# must name one of ALLOWED_HOSTS (and a missing Origin is refused). A session that has not
# proved the second factor its account needs is an anonymous visitor's (accounts/sockets.py).
router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": ServerSend(
            SocketRequestId(
                AllowedHostsOriginValidator(
                    AuthMiddlewareStack(
                        SecondFactorSocketMiddleware(URLRouter(websocket_urlpatterns))
                    )
                )
            )
        ),
    }
)
# Starts each process's background coroutines (heartbeat; the clock in embedded mode).
application = BackgroundTasks(router)
# Metrics on their own port (METRICS_PORT), with the state read from the database.
metrics.serve_from_settings(with_state=True)

# What start-up made (Django, the URL and model registries: some 70 ms for the collector to walk)
# lives as long as the process. Frozen, the cyclic collector's full passes skip it, so each full
# pass that the sockets' own objects set off pauses the process for theirs alone.
gc.freeze()

"""Settings of the plain Channels reference: the same channel layer configuration as Mazad's."""

import os

SECRET_KEY = "reference-only-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["channels"]
USE_TZ = True
ASGI_APPLICATION = "bench.reference.application"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ["REDIS_URL"],
                    "max_connections": 1000,
                    "socket_timeout": 30,
                    "socket_connect_timeout": 5,
                    "socket_keepalive": True,
                }
            ],
            "capacity": 1500,
            "expiry": 60,
            "group_expiry": 86400,
            "prefix": os.environ.get("CHANNEL_PREFIX", "reference"),
        },
    }
}

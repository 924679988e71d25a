"""Settings of web processes started by the test suite: production-like, on loopback, no TLS."""

from .base import *  # noqa: F403
from .base import DATABASES, pool_connections

DEBUG = False
pool_connections(DATABASES, default_size=20)
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
COURT_SIGNING_DEV_DIR = str(BASE_DIR / "var" / "test-signing")  # noqa: F405
